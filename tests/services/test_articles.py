"""Storing articles once, publishing the newest, queueing one delivery per chat."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.article import ArticleDraft
from bot.config import EditionConfig
from bot.services import readers
from bot.services.articles import (
    MAX_NEW_PER_POLL,
    identity,
    known_identities,
    store_drafts,
)
from bot.services.editions import ensure_editions
from bot.services.readers import Reader
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Delivery, Feed


def draft(n: int, **changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "key": f"guid-{n}",
        "title": f"Headline {n}",
        "summary": f"What happened in story {n}. More detail follows.",
        "link": f"https://news.example/{n}",
    }
    values.update(changes)
    return ArticleDraft(**values)  # type: ignore[arg-type]


async def make_feed(db: Database) -> int:
    async with db.session() as session, session.begin():
        feed = Feed(url="https://news.example/feed.xml", title="News", primed=True)
        session.add(feed)
        await session.flush()
        return feed.id


class TestStoreDrafts:
    async def test_same_entry_is_stored_once(self, db: Database) -> None:
        """Storing the same entries twice stores and publishes them only the first time."""
        feed_id = await make_feed(db)
        for expected in (2, 0):
            async with db.session() as session, session.begin():
                stored = await store_drafts(
                    session,
                    [draft(2), draft(1)],
                    source=f"feed:{feed_id}",
                    feed_id=feed_id,
                    publish=True,
                )
            assert len(stored.published) == expected
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Article)) == 2

    async def test_backlog_is_seen_not_published(self, db: Database) -> None:
        """With publish=False every new entry is stored as seen and nothing is published."""
        feed_id = await make_feed(db)
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session,
                [draft(n) for n in range(5)],
                source=f"feed:{feed_id}",
                feed_id=feed_id,
                publish=False,
            )
        assert (stored.published, stored.seen) == ([], 5)

    async def test_published_oldest_first_and_capped(self, db: Database) -> None:
        """A flood of new entries publishes only the newest few, oldest of them first."""
        feed_id = await make_feed(db)
        drafts = [draft(n) for n in range(30, 0, -1)]  # newest first, as feeds list them
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, drafts, source=f"feed:{feed_id}", feed_id=feed_id, publish=True
            )
        titles = [a.title for a in stored.published]
        assert len(titles) == MAX_NEW_PER_POLL
        assert titles == [f"Headline {n}" for n in range(21, 31)]
        assert stored.seen == 30 - MAX_NEW_PER_POLL

    async def test_link_already_published_is_not_published_again(self, db: Database) -> None:
        """An entry whose link was already published (e.g. pushed) is only marked seen."""
        feed_id = await make_feed(db)
        async with db.session() as session, session.begin():
            await store_drafts(session, [draft(1)], source="push", feed_id=None, publish=True)
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session,
                [draft(1, key="other-guid")],
                source=f"feed:{feed_id}",
                feed_id=feed_id,
                publish=True,
            )
        assert stored.published == []
        async with db.session() as session:
            statuses = list(await session.scalars(select(Article.status).order_by(Article.id)))
        assert statuses == [ArticleStatus.PUBLISHED, ArticleStatus.SEEN]

    async def test_new_guids_for_known_links_are_not_new(self, db: Database) -> None:
        """A feed that changes its guids and moves to https publishes nothing it listed before,
        posted or only seen."""
        feed_id = await make_feed(db)
        source = f"feed:{feed_id}"
        async with db.session() as session, session.begin():
            await store_drafts(
                session, [draft(n) for n in range(15)], source=source, feed_id=feed_id,
                publish=False,
            )  # fmt: skip
            await store_drafts(
                session, [draft(n) for n in range(15, 20)], source=source, feed_id=feed_id,
                publish=True,
            )  # fmt: skip
        moved = [
            draft(n, key=f"https-guid-{n}", link=f"https://www.news.example/{n}/")
            for n in range(20)
        ]
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, moved, source=source, feed_id=feed_id, publish=True
            )
        assert stored.published == []
        assert stored.seen == 20

    async def test_every_new_entry_of_a_known_feed_is_published(self, db: Database) -> None:
        """More than MAX_NEW_PER_POLL new entries beside known ones are all published."""
        feed_id = await make_feed(db)
        source = f"feed:{feed_id}"
        async with db.session() as session, session.begin():
            await store_drafts(session, [draft(0)], source=source, feed_id=feed_id, publish=False)
        count = MAX_NEW_PER_POLL + 5
        drafts = [draft(n) for n in range(count, -1, -1)]  # newest first, the known one last
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, drafts, source=source, feed_id=feed_id, publish=True
            )
        assert [a.title for a in stored.published] == [f"Headline {n}" for n in range(1, count + 1)]

    async def test_a_pushed_link_in_another_form_is_not_published_again(self, db: Database) -> None:
        """A feed entry whose link differs from a pushed one only by scheme, www or a trailing
        slash is the same article."""
        feed_id = await make_feed(db)
        async with db.session() as session, session.begin():
            await store_drafts(
                session, [draft(1, link="https://www.news.example/1")], source="push",
                feed_id=None, publish=True,
            )  # fmt: skip
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, [draft(1, link="http://news.example/1/"), draft(0)],
                source=f"feed:{feed_id}", feed_id=feed_id, publish=True,
            )  # fmt: skip
        assert [a.title for a in stored.published] == ["Headline 0"]

    async def test_many_identities_are_looked_up_in_chunks(self, db: Database) -> None:
        """Looking up more identities than PostgreSQL takes parameters (32767) works."""
        async with db.session() as session, session.begin():
            await store_drafts(session, [draft(1)], source="push", feed_id=None, publish=False)
        wanted = [identity("push", f"guid-{n}") for n in range(40_000)]
        async with db.session() as session:
            assert await known_identities(session, wanted) == {identity("push", "guid-1")}

    async def test_post_html_is_rendered_once(self, db: Database) -> None:
        """The stored post escapes the entry's text exactly once."""
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session,
                [draft(1, title="Tom & Jerry <3")],
                source="push",
                feed_id=None,
                publish=True,
            )
        html = stored.published[0].post_html or ""
        assert "Tom &amp; Jerry &lt;3" in html
        assert "&amp;amp;" not in html


class TestEnqueue:
    async def test_one_delivery_per_active_subscriber_and_channel(self, db: Database) -> None:
        """The channel and each subscribed, reachable reader get one delivery; others none."""
        async with db.session() as session, session.begin():
            for chat_id in (11, 12, 13, 14):
                await readers.start(session, Reader(chat_id), None)
            for chat_id in (11, 12, 13):
                await readers.subscribe(session, Reader(chat_id))
            await readers.unsubscribe(session, Reader(12))
            await readers.mark_unreachable(session, 13, "blocked")
            stored = await store_drafts(
                session, [draft(1)], source="push", feed_id=None, publish=True
            )
            await ensure_editions(session, [EditionConfig("en", "@news")])
            count = await enqueue(session, stored.published[0])
        async with db.session() as session:
            chats = set(await session.scalars(select(Delivery.chat)))
        assert count == 2
        assert chats == {"@news", "11"}

    async def test_enqueue_twice_is_refused(self, db: Database) -> None:
        """The (article, chat) unique key makes a second queueing of the same article fail."""
        import pytest
        from sqlalchemy.exc import IntegrityError

        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, [draft(1)], source="push", feed_id=None, publish=True
            )
            await ensure_editions(session, [EditionConfig("en", "@news")])
            await enqueue(session, stored.published[0])
        async with db.session() as session:
            article = await session.get(Article, stored.published[0].id)
            assert article is not None
            with pytest.raises(IntegrityError):
                await enqueue(session, article)


class TestPostColumns:
    """A published article's post columns: style, language, categories, the readers' post."""

    async def test_columns_filled_with_utm(self, db: Database) -> None:
        """With UTM_SOURCE the readers' post is stored apart, campaign dm; the rest is filled."""
        from bot.formatting.post import PostOptions
        from bot.formatting.telegram_html import parse_telegram_html

        feed_id = await make_feed(db)
        options = PostOptions(utm_source="newsbot")
        hindi = draft(1, summary="भारत ने फाइनल जीता।", categories=("Sport", "2024"))
        async with db.session() as session, session.begin():
            await ensure_editions(session, [EditionConfig("en", "@revoi_en")])  # the campaign
            stored = await store_drafts(
                session, [hindi], source=f"feed:{feed_id}", feed_id=feed_id, publish=True,
                options=options,
            )  # fmt: skip
        [article] = stored.published
        assert article.post_style == "preview"
        assert article.language == "hi"
        assert article.categories == ["Sport", "2024"]
        assert article.post_html is not None
        assert article.post_dm_html is not None
        assert "utm_campaign=revoi_en" in article.post_html
        assert "#Sport" in article.post_html
        assert "utm_campaign=dm" in article.post_dm_html
        for html in (article.post_html, article.post_dm_html):
            parse_telegram_html(html, strict=True)

    async def test_no_utm_no_dm_post_and_feed_template(self, db: Database) -> None:
        """Without UTM the readers' post is NULL; the feed's own template and title are used."""
        feed_id = await make_feed(db)
        async with db.session() as session, session.begin():
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            feed.template = "<i>{{ feed }}</i>: {{ title }}"
        image = "https://img.news.example/1.jpg"
        async with db.session() as session, session.begin():
            stored = await store_drafts(
                session, [draft(1, image=image)], source=f"feed:{feed_id}", feed_id=feed_id,
                publish=True,
            )  # fmt: skip
        [article] = stored.published
        assert article.post_html == "<i>News</i>: Headline 1"
        assert (article.post_dm_html, article.post_style, article.image) == (None, "photo", image)


class TestLatest:
    async def test_latest_published_newest_first(self, db: Database) -> None:
        """The last published articles, newest first; seen-only ones are not among them."""
        from bot.services.articles import latest

        async with db.session() as session:
            assert await latest(session) == []
        async with db.session() as session, session.begin():
            for n in range(1, 8):
                await store_drafts(session, [draft(n)], source="push", feed_id=None, publish=True)
            await store_drafts(session, [draft(8)], source="push", feed_id=None, publish=False)
        async with db.session() as session:
            titles = [a.title for a in await latest(session, 5)]
        assert titles == [f"Headline {n}" for n in (7, 6, 5, 4, 3)]
