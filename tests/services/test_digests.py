"""Daily digests: the hour in each reader's time zone, once a local day, the articles routing
held for them (their digest subscriptions), nothing for paused or unreachable readers,
Telegram's length; one digest per reader however many calls, processes and batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, text, update

from bot.i18n import translator_for
from bot.services import digests, privacy, readers, routing, subscriptions
from bot.services.articles import store_drafts
from bot.services.digests import compose, hour_passed, is_due, next_digest, queue_digests
from bot.services.readers import Reader
from bot.services.sections import add_category_section
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus, Subscriber
from tests.conftest import POSTGRES_URL
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

    def test_the_hour_that_passed(self) -> None:
        """The hour a due digest is counted from: the latest one at or before now, once."""
        assert hour_passed(utc(9, 12), 8, IST, NOW) == utc(10, 2, 30)
        assert hour_passed(utc(7, 12), 8, IST, NOW) == utc(10, 2, 30)  # days missed: the last
        assert hour_passed(NOW, 8, IST, NOW + timedelta(hours=15)) is None
        assert hour_passed(None, 8, IST, NOW) == utc(10, 2, 30)

    def test_a_zone_that_is_a_directory(self) -> None:
        """A stored zone name this system cannot read ("America", a directory) is the
        publisher's."""
        assert digests.zone_of("America", IST) is IST
        assert digests.zone_of("Mars/Olympus", IST) is IST


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
    """Publish articles ``numbers`` (routed, so filed in their sections and held for digest
    readers) as of ``at``."""
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
        await session.execute(
            update(Delivery).where(Delivery.article_id.in_(ids)).values(created_at=at)
        )


async def run(
    db: Database, now: datetime, *, batch: int = digests.BATCH, page: int = digests.PAGE
) -> int:
    return await queue_digests(db, now, default_zone=IST, batch=batch, page=page)


async def statuses(db: Database, chat_id: int) -> list[str]:
    """The statuses of ``chat_id``'s article rows, by article."""
    async with db.session() as session:
        return list(
            await session.scalars(
                select(Delivery.status)
                .where(Delivery.chat == str(chat_id), Delivery.kind == "reader")
                .order_by(Delivery.article_id)
            )
        )


async def second_process(db: Database) -> Database:
    """Another engine on ``db``'s database, as a second process would have."""
    if db.dialect == "sqlite":
        return Database(db.url.render_as_string(hide_password=False))
    async with db.session() as session:
        schema = await session.scalar(text("SELECT current_schema()"))
    return Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": str(schema)}})


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
        [sent] = await digest_rows(db)
        assert "Headline 1" in (sent.html or "")
        assert "Headline 2" not in (sent.html or "")
        assert "Headline 3" not in (sent.html or "")

    async def test_instant_routing_holds_for_digest_readers(self, db: Database) -> None:
        """An article goes instantly to an instant reader; for a digest reader it is held."""
        await setup_readers(db, ASHA, RAVI)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 20), 1)
        assert await statuses(db, RAVI) == [DeliveryStatus.PENDING]
        assert await statuses(db, ASHA) == [DeliveryStatus.HELD]
        assert await run(db, NOW) == 1
        assert await statuses(db, ASHA) == [DeliveryStatus.DIGESTED]

    async def test_paused_and_unreachable_get_none(self, db: Database) -> None:
        """Paused and unreachable readers get no digest: nothing is held for them, what was is
        cancelled, and after /resume the paused days' articles do not come."""
        await setup_readers(db, ASHA, RAVI, MEERA)
        for chat_id in (ASHA, RAVI, MEERA):
            await choose(db, chat_id, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)  # held for all three
        async with db.session() as session, session.begin():
            await privacy.pause(session, ASHA, NOW + timedelta(hours=20), now=utc(9, 14))
            await readers.mark_unreachable(session, RAVI, "blocked the bot")
        assert await statuses(db, ASHA) == [DeliveryStatus.CANCELLED]
        assert await statuses(db, RAVI) == [DeliveryStatus.CANCELLED]
        await publish(db, utc(9, 20), 2)
        assert await run(db, NOW) == 1
        assert [r.chat for r in await digest_rows(db)] == [str(MEERA)]
        assert "Headline 1" in ((await digest_rows(db))[0].html or "")
        assert await run(db, utc(11, 2, 30)) == 0  # nothing held since; Asha's pause is over
        assert set(await statuses(db, ASHA)) == {DeliveryStatus.CANCELLED}

    async def test_held_while_unlistening_is_cancelled_at_the_hour(self, db: Database) -> None:
        """A reader found paused at their hour with rows still held: the day passes, the rows
        are cancelled, and nothing of them comes after the pause."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():  # paused behind /pause's back
            await session.execute(
                update(Subscriber)
                .where(Subscriber.chat_id == ASHA)
                .values(paused_until=NOW + timedelta(hours=1))
            )
        assert await run(db, NOW) == 0
        assert await last_digest(db, ASHA) == NOW
        assert await statuses(db, ASHA) == [DeliveryStatus.CANCELLED]
        assert await run(db, utc(11, 2, 30)) == 0

    async def test_pause_cancels_held_rows(self, db: Database) -> None:
        """/pause cancels what is held for the digest, as it cancels what is pending."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():
            await privacy.pause(session, ASHA, None, now=utc(9, 14))
        assert await statuses(db, ASHA) == [DeliveryStatus.CANCELLED]
        async with db.session() as session, session.begin():
            await privacy.resume(session, ASHA, now=utc(9, 15))
        assert await run(db, NOW) == 0
        assert await digest_rows(db) == []

    async def test_a_day_without_news_sends_nothing(self, db: Database) -> None:
        """Nothing held at the hour: no message, and the day counts as done: an article held
        later that day waits for tomorrow's hour."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        assert await run(db, NOW) == 0
        assert await digest_rows(db) == []
        await publish(db, utc(10, 9), 1)  # 14:30 IST
        assert await run(db, utc(10, 9, 1)) == 0
        assert await last_digest(db, ASHA) == utc(10, 2, 30)  # the day passed at its hour
        assert await run(db, utc(10, 20)) == 0
        assert await run(db, utc(11, 2, 30)) == 1
        assert "Headline 1" in ((await digest_rows(db))[0].html or "")

    async def test_late_commit_still_goes(self, db: Database) -> None:
        """An article routed before the hour whose transaction committed after the job looked
        goes out in the next minute's run, not a day later, and once."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        assert await run(db, utc(10, 2, 30)) == 0  # 08:00 IST: nothing committed yet
        await publish(db, utc(10, 2, 29), 1)  # created 07:59, committed after 08:00
        assert await run(db, utc(10, 2, 31)) == 1
        assert "Headline 1" in ((await digest_rows(db))[0].html or "")
        assert await run(db, utc(10, 2, 32)) == 0

    async def test_instant_again(self, db: Database) -> None:
        """Back to instant: what was held goes at once as a digest, later articles come one by
        one again, and no digest comes at the hour."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():
            row = await session.get(Subscriber, ASHA)
            assert row is not None
            assert await digests.choose_instant(session, row, utc(9, 14), default_zone=IST)
        [sent] = await digest_rows(db)
        assert sent.status == DeliveryStatus.PENDING
        assert "Headline 1" in (sent.html or "")
        assert (sent.html or "").startswith(digests.held_heading(translator_for("en")))
        await publish(db, utc(9, 20), 2)
        assert await statuses(db, ASHA) == [DeliveryStatus.DIGESTED, DeliveryStatus.PENDING]
        assert await run(db, NOW) == 0
        assert len(await digest_rows(db)) == 1

    async def test_another_hour_keeps_the_held_rows(self, db: Database) -> None:
        """A digest reader who picks another hour keeps what is held; it comes at the new
        hour."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 7, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        await choose(db, ASHA, 9, utc(9, 14))
        assert await statuses(db, ASHA) == [DeliveryStatus.HELD]
        assert await run(db, NOW) == 0  # 08:30 IST
        assert await run(db, utc(10, 3, 30)) == 1  # 09:00 IST

    async def test_resubscribing_brings_only_what_came_after(self, db: Database) -> None:
        """A reader who unsubscribes and resubscribes a month later gets in their digest only
        what was published after they came back."""
        await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():
            await readers.unsubscribe(session, Reader(ASHA))
        assert await statuses(db, ASHA) == [DeliveryStatus.CANCELLED]
        await publish(db, utc(20, 12), 2)  # while away
        back = datetime(2026, 4, 10, 12, tzinfo=UTC)
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(ASHA))
            await session.execute(  # subscribing counts the digest from then: `back` here
                update(Subscriber).where(Subscriber.chat_id == ASHA).values(last_digest_at=back)
            )
        await publish(db, back + timedelta(hours=1), 3)
        assert await run(db, back + timedelta(hours=2)) == 0  # the day's hour had passed
        assert await run(db, datetime(2026, 4, 11, 2, 30, tzinfo=UTC)) == 1
        [row] = await digest_rows(db)
        assert "Headline 3" in (row.html or "")
        assert "Headline 1" not in (row.html or "")
        assert "Headline 2" not in (row.html or "")

    async def test_unfollowing_the_last_edition_cancels_what_is_held(self, db: Database) -> None:
        """Stopping the last edition in /sections (not /unsubscribe) cancels the held rows:
        nothing old comes back in a digest if the reader follows again months later."""
        edition_id = await setup_readers(db, ASHA)
        await choose(db, ASHA, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():
            row = await session.get(Subscriber, ASHA)
            assert row is not None
            await subscriptions.unfollow(session, row, edition_id)
        assert await statuses(db, ASHA) == [DeliveryStatus.CANCELLED]

    async def test_the_sweep_settles_rows_no_digest_would_collect(self, db: Database) -> None:
        """Held rows routed while a reader's change committed (PostgreSQL) are settled each
        run: a forgotten reader's deleted, a reader who left has them cancelled, one back on
        instant delivery gets them as posts."""
        await setup_readers(db, ASHA, RAVI, MEERA)
        for chat_id in (ASHA, RAVI, MEERA):
            await choose(db, chat_id, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1)
        async with db.session() as session, session.begin():  # as if each committed mid-poll
            await session.execute(delete(Subscriber).where(Subscriber.chat_id == ASHA))
            await session.execute(
                update(Subscriber).where(Subscriber.chat_id == RAVI).values(subscribed=False)
            )
            await session.execute(
                update(Subscriber).where(Subscriber.chat_id == MEERA).values(digest_hour=None)
            )
        async with db.session() as session, session.begin():
            counts = await digests.sweep_held(session)
        assert counts == {"deleted": 1, "cancelled": 1, "released": 1}
        assert await statuses(db, ASHA) == []
        assert await statuses(db, RAVI) == [DeliveryStatus.CANCELLED]
        assert await statuses(db, MEERA) == [DeliveryStatus.PENDING]

    async def test_two_calls_at_the_same_minute_give_one_digest(self, db: Database) -> None:
        """Two runs at once (two processes, each its own engine) and a third after: one
        digest, its articles marked once."""
        await setup_readers(db, ASHA, RAVI)
        await choose(db, ASHA, 8, utc(9, 12))
        await choose(db, RAVI, 8, utc(9, 12))
        await publish(db, utc(9, 13), 1, 2)
        other = await second_process(db)
        try:
            both = await asyncio.gather(run(db, NOW), run(other, NOW))
        finally:
            if other is not db:
                await other.dispose()
        assert sum(both) == 2
        assert await run(db, NOW) == 0
        assert sorted(r.chat for r in await digest_rows(db)) == [str(ASHA), str(RAVI)]
        assert await statuses(db, ASHA) == [DeliveryStatus.DIGESTED] * 2

    async def test_batches_give_each_reader_one_digest(self, db: Database) -> None:
        """250 due readers, written 100 to a transaction and read 120 at a time: each gets one
        digest, and a second run none."""
        chat_ids = list(range(5000, 5250))
        await setup_readers(db, *chat_ids)
        async with db.session() as session, session.begin():
            for row in await session.scalars(
                select(Subscriber).where(Subscriber.chat_id.in_(chat_ids))
            ):
                await digests.choose_hour(session, row, 8, utc(9, 12), default_zone=IST)
        await publish(db, utc(9, 13), 1)
        assert await run(db, NOW, batch=100, page=120) == 250
        assert await run(db, NOW, batch=100, page=120) == 0
        async with db.session() as session:
            per_chat = dict(
                list(
                    await session.execute(
                        select(Delivery.chat, func.count())
                        .where(Delivery.kind == "digest")
                        .group_by(Delivery.chat)
                    )
                )
            )
            held = await session.scalar(
                select(func.count()).where(Delivery.status == DeliveryStatus.HELD)
            )
        assert per_chat == {str(chat_id): 1 for chat_id in chat_ids}
        assert held == 0

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
