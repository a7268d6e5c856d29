"""Routing: an article goes to its edition's channel and to the readers who follow the edition,
or a section the article is in, instantly and now — once each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.article import ArticleDraft
from bot.services import readers, sections, subscriptions
from bot.services.articles import store_drafts
from bot.services.editions import Editions
from bot.services.readers import Reader
from bot.services.routing import enqueue_many
from bot.storage.db import Database
from bot.storage.models import Delivery, DeliveryMode, Feed, Subscriber, utcnow
from tests.helpers import use_editions


async def two_editions(db: Database) -> tuple[Editions, int, int]:
    """Editions en and hi with a feed each: (editions, English feed id, Hindi feed id)."""
    editions = await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
    async with db.session() as session, session.begin():
        feeds = [
            Feed(url=f"https://p.example/{code}", title=code, active=True, primed=True,
                 error_count=0, edition_id=editions.by_code[code].id)
            for code in ("en", "hi")
        ]  # fmt: skip
        session.add_all(feeds)
        await session.flush()
        return editions, feeds[0].id, feeds[1].id


async def publish(db: Database, feed_id: int, n: int, *categories: str) -> int:
    draft = ArticleDraft(
        key=f"k{n}",
        title=f"Story {n}",
        summary="It happened.",
        link=f"https://p.example/{n}",
        categories=categories,
    )
    async with db.session() as session, session.begin():
        stored = await store_drafts(
            session, [draft], source=f"feed:{feed_id}", feed_id=feed_id, publish=True
        )
        await enqueue_many(session, [stored.published[0].id])
        return stored.published[0].id


async def chats_of(db: Database, article_id: int) -> set[str]:
    async with db.session() as session:
        return set(
            await session.scalars(select(Delivery.chat).where(Delivery.article_id == article_id))
        )


async def reader(db: Database, chat_id: int, edition_id: int | None = None) -> None:
    async with db.session() as session, session.begin():
        await readers.subscribe(session, Reader(chat_id), edition_id)


class TestEditions:
    async def test_each_article_goes_to_its_own_edition(self, db: Database) -> None:
        editions, en_feed, hi_feed = await two_editions(db)
        await reader(db, 1, editions.by_code["en"].id)
        await reader(db, 2, editions.by_code["hi"].id)
        await reader(db, 3, editions.by_code["en"].id)
        await reader(db, 3, editions.by_code["hi"].id)  # follows both
        assert await chats_of(db, await publish(db, en_feed, 1)) == {"@revoi_en", "1", "3"}
        assert await chats_of(db, await publish(db, hi_feed, 2)) == {"@revoi_hi", "2", "3"}

    async def test_a_reader_gets_the_edition_of_their_language(self, db: Database) -> None:
        _editions, _, hi_feed = await two_editions(db)
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(7, language="hi-IN"))
        assert await chats_of(db, await publish(db, hi_feed, 1)) == {"@revoi_hi", "7"}

    async def test_an_edition_without_a_channel_reaches_its_readers_only(
        self, db: Database
    ) -> None:
        editions = await use_editions(db, ("en", None))
        async with db.session() as session, session.begin():
            session.add(
                Feed(
                    id=50,
                    url="https://p.example/x",
                    title="",
                    active=True,
                    primed=True,
                    error_count=0,
                    edition_id=editions.default.id,
                )
            )
        await reader(db, 1)
        assert await chats_of(db, await publish(db, 50, 1)) == {"1"}


class TestSections:
    async def test_a_reader_of_one_section_gets_only_it(self, db: Database) -> None:
        editions, en_feed, _ = await two_editions(db)
        en = editions.by_code["en"].id
        async with db.session() as session, session.begin():
            cricket = await sections.add_category_section(session, en, "Cricket")
            await sections.add_feed_section(session, en_feed, "City")
            await readers.subscribe(session, Reader(1), en)  # all of it
            row = await readers.touch(session, Reader(2))
            await subscriptions.toggle_section(session, row, en, cricket.id)  # only Cricket
        # Reader 2 follows Cricket only: by category (any case), not by the feed.
        assert await chats_of(db, await publish(db, en_feed, 1, "Politics")) == {"@revoi_en", "1"}
        assert await chats_of(db, await publish(db, en_feed, 2, " CRICKET ")) == {
            "@revoi_en", "1", "2",
        }  # fmt: skip
        async with db.session() as session:
            following = await subscriptions.following(session, 2)
        assert following[en].sections == frozenset({cricket.id})

    async def test_a_muted_section_leaves_the_rest_of_the_edition(self, db: Database) -> None:
        """Muting one section of a whole edition keeps every other article, those in no section
        included; muting the only section unsubscribes nobody; unmuting brings it back."""
        editions, en_feed, _ = await two_editions(db)
        en = editions.by_code["en"].id
        async with db.session() as session, session.begin():
            cricket = await sections.add_category_section(session, en, "Cricket")
            row = await readers.touch(session, Reader(1))
            await readers.subscribe(session, Reader(1), en)
            muted = await subscriptions.toggle_section(session, row, en, cricket.id)
            assert muted is not None
            assert (muted.sections, muted.muted) == (None, frozenset({cricket.id}))
            assert not muted.follows(cricket.id)
            assert row.subscribed
        assert await chats_of(db, await publish(db, en_feed, 1, "Business")) == {"@revoi_en", "1"}
        assert await chats_of(db, await publish(db, en_feed, 2, "Cricket")) == {"@revoi_en"}
        async with db.session() as session, session.begin():
            row = await readers.touch(session, Reader(1))
            back = await subscriptions.toggle_section(session, row, en, cricket.id)
            assert back is not None
            assert back.follows(cricket.id)
        assert await chats_of(db, await publish(db, en_feed, 3, "Cricket")) == {"@revoi_en", "1"}

    async def test_two_matching_sections_one_delivery(self, db: Database) -> None:
        editions, en_feed, _ = await two_editions(db)
        en = editions.by_code["en"].id
        async with db.session() as session, session.begin():
            cricket = await sections.add_category_section(session, en, "Cricket")
            city = await sections.add_feed_section(session, en_feed)
            await readers.subscribe(session, Reader(1), en)
            row = await session.get(Subscriber, 1)
            assert row is not None
            await subscriptions.toggle_section(session, row, en, city.id)  # off: Cricket on
            await subscriptions.toggle_section(session, row, en, city.id)  # on: all again
            assert (await subscriptions.following(session, 1))[en].sections is None
            await subscriptions.unfollow(session, row, en)
            await subscriptions.toggle_section(session, row, en, cricket.id)
            await sections.add_category_section(session, en, "Sport")
            sport_id = (await sections.list_sections(session, en))[-1].id
            await subscriptions.toggle_section(session, row, en, sport_id)
        article = await publish(db, en_feed, 1, "Cricket", "Sport")
        async with db.session() as session:
            rows = list(await session.scalars(select(Delivery).where(Delivery.chat == "1")))
        assert [r.article_id for r in rows] == [article]

    async def test_the_last_chosen_section_off_stops_the_edition(self, db: Database) -> None:
        editions, _, _ = await two_editions(db)
        en = editions.by_code["en"].id
        async with db.session() as session, session.begin():
            cricket = await sections.add_category_section(session, en, "Cricket")
            await sections.add_category_section(session, en, "Politics")
            row = await readers.touch(session, Reader(1))
            chosen = await subscriptions.toggle_section(session, row, en, cricket.id)
            assert chosen is not None
            assert chosen.sections == frozenset({cricket.id})
            assert row.subscribed
            assert await subscriptions.toggle_section(session, row, en, cricket.id) is None
            assert not row.subscribed

    async def test_removing_a_section_keeps_its_only_readers_on_the_edition(
        self, db: Database
    ) -> None:
        editions, _en_feed, _ = await two_editions(db)
        en = editions.by_code["en"].id
        async with db.session() as session, session.begin():
            cricket = await sections.add_category_section(session, en, "Cricket")
            await sections.add_category_section(session, en, "Sport")
            row = await readers.touch(session, Reader(1))
            await subscriptions.toggle_section(session, row, en, cricket.id)
            await sections.remove_section(session, cricket.id)
            assert (await subscriptions.following(session, 1))[en].sections is None


class TestNotNow:
    async def test_paused_digest_and_unreachable_readers_get_nothing_now(
        self, db: Database
    ) -> None:
        _editions, en_feed, _ = await two_editions(db)
        for chat_id in (1, 2, 3, 4, 5):
            await reader(db, chat_id)
        now = utcnow()
        async with db.session() as session, session.begin():
            await session.execute(
                update(Subscriber).where(Subscriber.chat_id == 2)
                .values(paused_until=now + timedelta(days=1))
            )  # fmt: skip
            await session.execute(
                update(Subscriber).where(Subscriber.chat_id == 3)
                .values(paused_until=now - timedelta(minutes=1))  # the pause is over
            )  # fmt: skip
            await subscriptions.set_mode(session, 4, DeliveryMode.DIGEST)
            await readers.mark_unreachable(session, 5, "blocked")
        article = await publish(db, en_feed, 1)
        assert await chats_of(db, article) == {"@revoi_en", "1", "3", "4"}
        async with db.session() as session:
            statuses = dict(
                list(
                    await session.execute(
                        select(Delivery.chat, Delivery.status).where(Delivery.article_id == article)
                    )
                )
            )
        # The digest reader's row waits for their digest; the others go now.
        assert statuses == {"@revoi_en": "pending", "1": "pending", "3": "pending", "4": "held"}
