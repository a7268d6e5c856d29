"""Privacy: a pause's duration as typed, pausing and resuming, and forgetting a reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.services import privacy, readers
from bot.services.articles import store_drafts
from bot.services.privacy import UNTIL_RESUMED, parse_duration
from bot.services.readers import Reader
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import (
    Delivery,
    DeliveryStatus,
    ForgottenReaders,
    Subscriber,
    Subscription,
    utcnow,
)
from tests.services.test_articles import draft

HOUR, DAY, WEEK = timedelta(hours=1), timedelta(days=1), timedelta(weeks=1)


class TestParseDuration:
    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("1d", DAY),
            ("1w", WEEK),
            ("3h", 3 * HOUR),
            ("2 days", 2 * DAY),
            ("2days", 2 * DAY),
            ("  1 Week ", WEEK),
            ("a day", DAY),
            ("an hour", HOUR),
            ("two weeks", 2 * WEEK),
            ("day", DAY),
            ("1d 12h", DAY + 12 * HOUR),
            ("1d, 12h", DAY + 12 * HOUR),
            ("48 hrs", 2 * DAY),
            ("365d", 365 * DAY),
            ("52w", 52 * WEEK),
            ("2 दिन", 2 * DAY),
            ("एक हफ़्ता", WEEK),
            ("३ घंटे", 3 * HOUR),
            ("forever", None),
            ("Until I resume", None),
        ],
    )
    def test_understood(self, typed: str, expected: timedelta | None) -> None:
        """Numbers with h/d/w or their English (or Hindi) names, summed; "forever" is None."""
        assert parse_duration(typed) == expected

    @pytest.mark.parametrize(
        ("typed", "reason"),
        [
            ("", "no duration"),
            ("   ", "no duration"),
            ("3", "what?"),
            ("3 4d", "two numbers"),
            ("1 month", "no unit of time"),
            ("tomorrow", "no unit of time"),
            ("-1d", "no unit of time"),
            ("1.5d", "no unit of time"),
            ("0d", "at least an hour"),
            ("366d", "longer than 365 days"),
            ("53w", "longer than 365 days"),
            ("99999999999999999999d", "longer than 365 days"),
        ],
    )
    def test_refused_with_a_reason(self, typed: str, reason: str) -> None:
        """Anything else raises ValueError saying what is wrong."""
        with pytest.raises(ValueError, match=reason):
            parse_duration(typed)


async def subscribed(db: Database, chat_id: int, campaign: str | None = None) -> None:
    async with db.session() as session, session.begin():
        if campaign is None:
            await readers.subscribe(session, Reader(chat_id, first_name="Asha"))
        else:
            await readers.join(session, Reader(chat_id, first_name="Asha"), campaign)


async def publish(db: Database, n: int) -> None:
    async with db.session() as session, session.begin():
        stored = await store_drafts(session, [draft(n)], source="push", feed_id=None, publish=True)
        for article in stored.published:
            await enqueue(session, article)


async def deliveries(db: Database, chat_id: int) -> list[tuple[int | None, str]]:
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.article_id, Delivery.status)
            .where(Delivery.chat == str(chat_id))
            .order_by(Delivery.id)
        )
        return [(article_id, status) for article_id, status in rows]


class TestPause:
    async def test_pause_for_a_day_then_resume(self, db: Database) -> None:
        """A paused reader is queued nothing, what was queued is cancelled, and after /resume
        the next article is queued for them again."""
        await subscribed(db, 1)
        await publish(db, 1)
        now = utcnow()
        async with db.session() as session, session.begin():
            until = await privacy.pause(session, 1, now + DAY, now=now)
        assert until == now + DAY
        await publish(db, 2)
        assert [status for _, status in await deliveries(db, 1)] == [DeliveryStatus.CANCELLED]
        async with db.session() as session:
            assert await privacy.paused_until(session, 1) == now + DAY
        async with db.session() as session, session.begin():
            assert await privacy.resume(session, 1) is True
        async with db.session() as session, session.begin():
            assert await privacy.paused_until(session, 1) is None
            assert await privacy.resume(session, 1) is False
        await publish(db, 3)
        statuses = [status for _, status in await deliveries(db, 1)]
        assert statuses == [DeliveryStatus.CANCELLED, DeliveryStatus.PENDING]

    async def test_pause_until_resumed(self, db: Database) -> None:
        """Without an end the pause lasts until /resume: the far-future sentinel is stored."""
        await subscribed(db, 2)
        async with db.session() as session, session.begin():
            until = await privacy.pause(session, 2, None)
        assert until == UNTIL_RESUMED
        assert privacy.is_until_resumed(until)
        async with db.session() as session:
            row = await session.get(Subscriber, 2)
            assert row is not None
            assert row.paused_until == UNTIL_RESUMED
            assert await privacy.paused_until(session, row) == UNTIL_RESUMED

    async def test_pause_that_ended_is_no_pause(self, db: Database) -> None:
        """Once ``paused_until`` has passed the reader is not paused, and /resume says so."""
        await subscribed(db, 3)
        now = utcnow()
        async with db.session() as session, session.begin():
            await privacy.pause(session, 3, now + HOUR, now=now)
        later = now + 2 * HOUR
        async with db.session() as session, session.begin():
            assert await privacy.paused_until(session, 3, now=later) is None
            assert await privacy.resume(session, 3, now=later) is False

    async def test_bad_pauses_are_refused(self, db: Database) -> None:
        """A naive or past end is a ValueError; an unknown chat id a LookupError."""
        await subscribed(db, 4)
        async with db.session() as session, session.begin():
            with pytest.raises(ValueError, match="naive"):
                await privacy.pause(session, 4, datetime(2030, 1, 1))
            with pytest.raises(ValueError, match="not in the future"):
                await privacy.pause(session, 4, datetime(2020, 1, 1, tzinfo=UTC))
            with pytest.raises(LookupError, match="999"):
                await privacy.pause(session, 999, None)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)


class TestForget:
    async def test_forget_deletes_everything_and_counts_the_campaign(self, db: Database) -> None:
        """The reader's row, subscriptions and deliveries (sent ones too) go; their campaign
        keeps one started and one signed-up reader; other readers are untouched."""
        await subscribed(db, 10, "poster-metro")
        await subscribed(db, 11, "poster-metro")
        await publish(db, 1)
        async with db.session() as session, session.begin():
            sent = await session.scalar(select(Delivery).where(Delivery.chat == "10"))
            assert sent is not None
            sent.status = DeliveryStatus.SENT
        async with db.session() as session, session.begin():
            assert await privacy.forget(session, 10) is True
        assert await count(db, Subscriber, Subscriber.chat_id == 10) == 0
        assert await count(db, Subscription, Subscription.chat_id == 10) == 0
        assert await count(db, Delivery, Delivery.chat == "10") == 0
        assert await count(db, Subscription, Subscription.chat_id == 11) == 1
        assert await count(db, Delivery, Delivery.chat == "11") == 1
        async with db.session() as session:
            [only] = await session.scalars(select(ForgottenReaders))
            assert (only.campaign, only.started, only.signed_up) == ("poster-metro", 1, 1)

        async with db.session() as session, session.begin():
            assert await privacy.forget(session, 11) is True
        async with db.session() as session:
            [only] = await session.scalars(select(ForgottenReaders))
            assert (only.campaign, only.started, only.signed_up) == ("poster-metro", 2, 2)

    async def test_reader_who_never_subscribed_counts_as_started(self, db: Database) -> None:
        """A reader with no campaign who only said /start counts under "" as started only."""
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(20, first_name="Ravi"), None)
        async with db.session() as session, session.begin():
            assert await privacy.forget(session, 20) is True
        async with db.session() as session:
            [only] = await session.scalars(select(ForgottenReaders))
            assert (only.campaign, only.started, only.signed_up) == ("", 1, 0)

    async def test_unsubscribed_reader_still_counts_as_signed_up(self, db: Database) -> None:
        """A sign-up counts after the reader left: /subscribe, /unsubscribe, /forget is 1/1."""
        await subscribed(db, 21, "flyer-7")
        async with db.session() as session, session.begin():
            await readers.unsubscribe(session, Reader(21))
            assert await privacy.forget(session, 21) is True
        async with db.session() as session:
            [only] = await session.scalars(select(ForgottenReaders))
            assert (only.campaign, only.started, only.signed_up) == ("flyer-7", 1, 1)

    async def test_forget_of_an_unknown_reader_is_harmless(self, db: Database) -> None:
        """Forgetting a chat nobody knows changes nothing and counts nobody."""
        await subscribed(db, 30)
        async with db.session() as session, session.begin():
            assert await privacy.forget(session, 31) is False
        assert await count(db, ForgottenReaders) == 0
        assert await count(db, Subscriber) == 1
