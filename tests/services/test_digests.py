"""Daily digests: the hour in each reader's time zone, once a local day, the articles their
digest subscriptions match, nothing for paused or unreachable readers, Telegram's length."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.i18n import translator_for
from bot.services import digests, readers, routing, subscriptions
from bot.services.articles import store_drafts
from bot.services.digests import compose, is_due, next_digest, queue_digests
from bot.services.readers import Reader
from bot.services.sections import add_category_section
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, Subscriber
from tests.helpers import use_editions
from tests.services.test_articles import draft

IST = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
EN = translator_for("en")
#: 2026-03-10 08:30 in Kolkata (+05:30), 03:00 in London (GMT).
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
ASHA, RAVI, MEERA = 101, 102, 103


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


class TestNextDigest:
    @pytest.mark.parametrize(
        ("after", "hour", "zone", "expected"),
        [
            (utc(10, 2, 0), 8, IST, utc(10, 2, 30)),  # 07:30 IST: at 08:00 IST today
            (utc(10, 2, 30), 8, IST, utc(11, 2, 30)),  # exactly at the hour: tomorrow's
            (utc(10, 3, 0), 8, IST, utc(11, 2, 30)),  # the hour passed today
            (utc(9, 20, 0), 0, IST, utc(9, 18, 30) + timedelta(days=1)),  # midnight, +05:30
            (utc(10, 3, 0), 8, LONDON, utc(10, 8, 0)),  # GMT in March
            (datetime(2026, 7, 1, 3, tzinfo=UTC), 8, LONDON, datetime(2026, 7, 1, 7, tzinfo=UTC)),
            (utc(8, 5, 0), 2, NEW_YORK, utc(8, 7, 0)),  # 02:00 skipped by DST: once, at 03:00
            (utc(8, 8, 0), 2, NEW_YORK, utc(9, 6, 0)),  # and 02:00 EDT the day after
        ],
    )
    def test_first_hour_strictly_after(
        self, after: datetime, hour: int, zone: ZoneInfo, expected: datetime
    ) -> None:
        """The next digest is the first hour:00 of the reader's zone strictly after the last."""
        assert next_digest(after, hour, zone) == expected

    def test_due_without_a_last_digest(self) -> None:
        """A reader with an hour and no last digest is due once the hour came today, locally."""
        assert is_due(None, 8, IST, NOW)  # 08:30 IST
        assert not is_due(None, 9, IST, NOW)
        assert not is_due(None, 8, LONDON, NOW)  # 03:00 in London

    def test_one_per_day(self) -> None:
        """Queued at 08:30, the next is due tomorrow at 08:00, not again today."""
        assert not is_due(NOW, 8, IST, NOW + timedelta(hours=15))
        assert is_due(NOW, 8, IST, utc(11, 2, 30))


class TestCompose:
    def test_lines_link_each_title(self) -> None:
        """A heading with the day in the reader's language, then one linked line per article,
        titles escaped."""
        html = compose(
            EN, date(2026, 3, 10), [("A <b>&", "https://x.example/?a=1&b=2"), ("", None)], 0
        )
        assert html.splitlines() == [
            "<b>Your digest of March 10, 2026</b>",
            "",
            '1. <a href="https://x.example/?a=1&amp;b=2">A &lt;b&gt;&amp;</a>',
            "2. (untitled)",
        ]
        hindi = compose(translator_for("hi"), date(2026, 3, 10), [("x", None)], 0)
        assert "मार्च" in hindi.splitlines()[0]

    def test_length_cap(self) -> None:
        """However long the titles and links, the digest stays within Telegram's 4096
        characters and counts what it left out in its last line."""
        long = [("T" * 500, "https://news.example/" + "p" * 300) for _ in range(20)]
        html = compose(EN, date(2026, 3, 10), long, 7)
        assert len(html) <= 4096
        shown = sum(1 for line in html.splitlines() if line[:1].isdigit())
        assert 0 < shown < 20
        assert html.endswith(f"… and {20 - shown + 7} more articles.")


async def setup_readers(db: Database, *chat_ids: int) -> int:
    """An edition ``en``; readers who subscribed to it; its id."""
    editions = await use_editions(db, ("en", None))
    async with db.session() as session, session.begin():
        for chat_id in chat_ids:
            await readers.subscribe(session, Reader(chat_id))
    return editions.default.id


async def choose(
    db: Database, chat_id: int, hour: int, at: datetime, timezone: str | None = None
) -> None:
    async with db.session() as session, session.begin():
        row = await session.get(Subscriber, chat_id)
        assert row is not None
        await digests.choose_hour(session, row, hour, at, default_zone=IST, timezone=timezone)


async def publish(
    db: Database, at: datetime, *numbers: int, categories: tuple[str, ...] = ()
) -> None:
    """Publish articles ``numbers`` (routed, so filed in their sections) as of ``at``."""
    async with db.session() as session, session.begin():
        stored = await store_drafts(
            session,
            [draft(n, categories=categories) for n in numbers],
            source="push",
            feed_id=None,
            publish=True,
        )
        ids = [a.id for a in stored.published]
        await routing.enqueue_many(session, ids)
        await session.execute(update(Article).where(Article.id.in_(ids)).values(created_at=at))


async def run(db: Database, now: datetime) -> int:
    async with db.session() as session, session.begin():
        return await queue_digests(session, now, default_zone=IST)


async def digest_rows(db: Database) -> list[Delivery]:
    async with db.session() as session:
        return list(
            await session.scalars(
                select(Delivery).where(Delivery.kind == "digest").order_by(Delivery.id)
            )
        )


async def last_digest(db: Database, chat_id: int) -> datetime | None:
    async with db.session() as session:
        row = await session.get(Subscriber, chat_id)
        assert row is not None
        return row.last_digest_at


class TestQueueDigests:
    async def test_hour_in_each_readers_zone(self, db: Database) -> None:
        """At 08:30 IST the Kolkata reader's 08:00 digest is queued, the London reader's is
        not (03:00 there) until 08:00 London; neither gets a second one that day."""
        await setup_readers(db, ASHA, RAVI)
        await choose(db, ASHA, 8, utc(9, 12))
        await choose(db, RAVI, 8, utc(9, 12), timezone="Europe/London")
        await publish(db, utc(9, 20), 1)
        await publish(db, utc(9, 21), 2)
        assert await run(db, utc(10, 2, 29)) == 0  # 07:59 IST
        assert await run(db, NOW) == 1
        [row] = await digest_rows(db)
        assert (row.chat, row.kind, row.article_id) == (str(ASHA), "digest", None)
        assert row.html is not None
        assert row.html.splitlines()[0] == "<b>Your digest of March 10, 2026</b>"
        assert [line[:3] for line in row.html.splitlines()[2:]] == ["1. ", "2. "]
        assert "Headline 2" in row.html.splitlines()[2]  # newest first
        assert await run(db, utc(10, 7, 59)) == 0
        assert await run(db, utc(10, 8, 0)) == 1
        assert [r.chat for r in await digest_rows(db)] == [str(ASHA), str(RAVI)]
        for minute in range(0, 18 * 60, 47):  # the job, all day long (to 08:00 IST tomorrow)
            assert await run(db, utc(10, 8) + timedelta(minutes=minute)) == 0
        assert await last_digest(db, ASHA) == NOW

    async def test_next_day_brings_what_came_since(self, db: Database) -> None:
        """The next day's digest holds only the articles published since the last one."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 20), 1)
        assert await run(db, NOW) == 1
        await publish(db, NOW + timedelta(hours=1), 2)
        assert await run(db, utc(11, 2, 30)) == 1
        last = (await digest_rows(db))[-1].html or ""
        assert "Headline 2" in last
        assert "Headline 1" not in last

    async def test_hour_passed_when_chosen_starts_tomorrow(self, db: Database) -> None:
        """A reader who picks 08:00 at 08:30 gets nothing today; the first digest comes at
        08:00 tomorrow, with what was published since they chose."""
        await setup_readers(db, ASHA)
        await publish(db, NOW - timedelta(hours=1), 1)
        await choose(db, ASHA, 8, NOW)
        await publish(db, NOW + timedelta(minutes=5), 2)
        assert await run(db, NOW + timedelta(minutes=10)) == 0
        assert await run(db, utc(11, 2, 30)) == 1
        [row] = await digest_rows(db)
        assert "Headline 2" in (row.html or "")
        assert "Headline 1" not in (row.html or "")

    async def test_only_the_sections_followed(self, db: Database) -> None:
        """A reader who follows one section in the digest gets that section's articles only."""
        edition_id = await setup_readers(db, ASHA)
        async with db.session() as session, session.begin():
            sport = await add_category_section(session, edition_id, "Sport")
            await add_category_section(session, edition_id, "Politics")
            row = await session.get(Subscriber, ASHA)
            assert row is not None
            await subscriptions.unfollow(session, row)
            await subscriptions.toggle_section(session, row, edition_id, sport.id)  # sport only
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 20), 1, categories=("Sport",))
        await publish(db, utc(9, 21), 2, categories=("Politics",))
        await publish(db, utc(9, 22), 3)
        assert await run(db, NOW) == 1
        [row] = await digest_rows(db)
        assert "Headline 1" in (row.html or "")
        assert "Headline 2" not in (row.html or "")
        assert "Headline 3" not in (row.html or "")

    async def test_instant_routing_skips_digest_readers(self, db: Database) -> None:
        """An article goes instantly to an instant reader and not to a digest reader."""
        await setup_readers(db, ASHA, RAVI)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 20), 1)
        async with db.session() as session:
            chats = set(await session.scalars(select(Delivery.chat)))
        assert chats == {str(RAVI)}

    async def test_paused_and_unreachable_get_none(self, db: Database) -> None:
        """Paused and unreachable readers get no digest, and their day passes; after /resume
        the paused days' articles do not come."""
        await setup_readers(db, ASHA, RAVI, MEERA)
        for chat_id in (ASHA, RAVI, MEERA):
            await choose(db, chat_id, 8, utc(9, 12))
        async with db.session() as session, session.begin():
            await session.execute(
                update(Subscriber)
                .where(Subscriber.chat_id == ASHA)
                .values(paused_until=NOW + timedelta(hours=20))
            )
            await readers.mark_unreachable(session, RAVI, "blocked the bot")
        await publish(db, utc(9, 20), 1)
        assert await run(db, NOW) == 1
        assert [r.chat for r in await digest_rows(db)] == [str(MEERA)]
        assert await last_digest(db, ASHA) == NOW
        assert await last_digest(db, RAVI) == NOW
        assert await run(db, utc(11, 2, 30)) == 0  # nothing new since; Asha's pause is over

    async def test_a_day_without_news_sends_nothing(self, db: Database) -> None:
        """No article since the last digest: no message, and the day counts as done."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        assert await run(db, NOW) == 0
        assert await digest_rows(db) == []
        assert await last_digest(db, ASHA) == NOW

    async def test_instant_again(self, db: Database) -> None:
        """Back to instant: no digest, articles come one by one again."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        async with db.session() as session, session.begin():
            row = await session.get(Subscriber, ASHA)
            assert row is not None
            assert await digests.choose_instant(session, row)
        await publish(db, utc(9, 20), 1)
        assert await run(db, NOW) == 0
        async with db.session() as session:
            assert list(await session.scalars(select(Delivery.chat))) == [str(ASHA)]

    async def test_at_most_twenty_lines(self, db: Database) -> None:
        """25 articles: the 20 newest, and a line that says 5 more."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        for n in range(1, 26):
            await publish(db, utc(9, 12) + timedelta(minutes=n), n)
        assert await run(db, NOW) == 1
        [row] = await digest_rows(db)
        lines = (row.html or "").splitlines()
        assert lines[2].startswith('1. <a href="https://news.example/25">')
        assert lines[21].startswith("20. ")
        assert lines[-1] == "… and 5 more articles."
        assert len(row.html or "") <= 4096
