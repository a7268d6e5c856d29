"""Readers: campaigns, subscribing, unsubscribing, becoming unreachable, and the numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services import readers
from bot.services.readers import Reader
from bot.services.stats import collect, format_stats
from bot.storage.db import Database
from bot.storage.models import Delivery, DeliveryStatus, Subscriber


async def row(db: Database, chat_id: int) -> Subscriber:
    async with db.session() as session:
        found = await session.get(Subscriber, chat_id)
        assert found is not None
        return found


class TestReaders:
    async def test_first_campaign_is_kept(self, db: Database) -> None:
        """The payload of the first /start is the campaign; a later one does not replace it."""
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(1, first_name="Asha"), "poster-metro")
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(1), "flyer-2")
        assert (await row(db, 1)).campaign == "poster-metro"

    async def test_invalid_payload_is_not_a_campaign(self, db: Database) -> None:
        """A payload outside Telegram's alphabet is ignored, and the reader still recorded."""
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(2), "bad payload!")
        assert (await row(db, 2)).campaign is None

    async def test_subscribe_and_unsubscribe_report_changes(self, db: Database) -> None:
        """Subscribing twice and unsubscribing twice each change state only the first time."""
        results = []
        for action in (
            readers.subscribe,
            readers.subscribe,
            readers.unsubscribe,
            readers.unsubscribe,
        ):
            async with db.session() as session, session.begin():
                results.append(await action(session, Reader(3)))
        assert results == [True, False, True, False]
        assert (await row(db, 3)).subscribed is False

    async def test_unreachable_reader_returns_on_contact(self, db: Database) -> None:
        """A reader marked unreachable is active again as soon as they write to the bot."""
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(4))
            await readers.mark_unreachable(session, 4, "blocked")
        assert (await row(db, 4)).active is False
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(4), None)
        assert (await row(db, 4)).active is True

    async def test_unsubscribe_cancels_queued_deliveries(self, db: Database) -> None:
        """Leaving works at once: what was queued for the reader is cancelled."""
        from bot.services.articles import store_drafts
        from bot.services.routing import enqueue
        from tests.services.test_articles import draft

        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(5))
            stored = await store_drafts(
                session, [draft(1)], source="push", feed_id=None, publish=True
            )
            await enqueue(session, stored.published[0])
            await readers.unsubscribe(session, Reader(5))
        async with db.session() as session:
            statuses = list(await session.scalars(select(Delivery.status)))
        assert statuses == [DeliveryStatus.CANCELLED]


class TestStats:
    async def test_signups_are_counted_per_campaign(self, db: Database) -> None:
        """Sign-ups count per campaign even after a reader leaves; current subscribers apart."""
        async with db.session() as session, session.begin():
            for chat_id, campaign in ((1, "poster-a"), (2, "poster-a"), (3, "poster-b"), (4, None)):
                await readers.start(session, Reader(chat_id), campaign)
            await readers.subscribe(session, Reader(1))
            await readers.subscribe(session, Reader(3))
            await readers.unsubscribe(session, Reader(3))
        async with db.session() as session:
            stats = await collect(session)
        by_campaign = {c.campaign: (c.started, c.signed_up, c.subscribed) for c in stats.campaigns}
        assert by_campaign == {"poster-a": (2, 1, 1), "poster-b": (1, 1, 0), None: (1, 0, 0)}
        assert (stats.readers, stats.subscribed) == (4, 1)
        assert "poster-a" in format_stats(stats)


class TestLanguage:
    async def test_choice_survives_telegram_language_code(self, db: Database) -> None:
        """A chosen language is kept apart from Telegram's language_code, which each message
        refreshes; the choice wins, and a Telegram language without a catalogue is English."""
        async with db.session() as session, session.begin():
            await readers.start(session, Reader(5, language="de"), None)
            assert await readers.language_of(session, 5) == "en"
            assert await readers.choose_language(session, Reader(5, language="de"), "hi-IN") == "hi"
            await readers.subscribe(session, Reader(5, language="en"))
            assert await readers.language_of(session, 5, "en") == "hi"
            assert await readers.language_of(session, 404, "hi") == "hi"  # never wrote to us
        stored = await row(db, 5)
        assert (stored.chosen_language, stored.language) == ("hi", "en")

    async def test_unknown_choice_is_refused(self, db: Database) -> None:
        """A language with no catalogue is not stored as a choice."""
        async with db.session() as session, session.begin():
            with pytest.raises(ValueError, match="'xx'"):
                await readers.choose_language(session, Reader(6), "xx")


class TestControlCharacters:
    @pytest.mark.parametrize(
        ("value", "cleaned"),
        [
            ("Asha", "Asha"),
            ("A\x00sha", "Asha"),
            ("\x1b[31mAsha\x7f", "[31mAsha"),
            ("As\u0085ha\u009f", "Asha"),
            ("प्रिया 🌼", "प्रिया 🌼"),
            ("\x00\x01", None),
            ("", None),
            (None, None),
        ],
    )
    def test_clean_text(self, value: str | None, cleaned: str | None) -> None:
        """NUL and the other C0, DEL and C1 controls are dropped; any script and emoji kept."""
        assert readers.clean_text(value) == cleaned

    async def test_names_and_payload_with_nul_are_stored(self, db: Database) -> None:
        """A name, username and /start payload with NUL are stored cleaned (PostgreSQL refuses
        NUL), long ones cut to their columns."""
        reader = Reader(8, username="as\x00ha", first_name="A\x00sha\x07" + "x" * 200)
        async with db.session() as session, session.begin():
            await readers.start(session, reader, "poster\x00-metro")
        stored = await row(db, 8)
        assert stored.username == "asha"
        assert stored.first_name == "Asha" + "x" * 124
        assert stored.campaign == "poster-metro"


class TestJoinAndHint:
    async def test_join_subscribes_and_counts_the_campaign(self, db: Database) -> None:
        """A campaign /start subscribes at once and counts as a sign-up; again, nothing new."""
        async with db.session() as session, session.begin():
            assert await readers.join(session, Reader(9), "poster-a") is True
        async with db.session() as session, session.begin():
            assert await readers.join(session, Reader(9), "poster-b") is False
        stored = await row(db, 9)
        assert (stored.subscribed, stored.campaign) == (True, "poster-a")
        async with db.session() as session:
            stats = await collect(session)
        assert [(c.campaign, c.signed_up) for c in stats.campaigns] == [("poster-a", 1)]

    async def test_hint_at_most_once_an_hour(self, db: Database) -> None:
        """Free text earns the hint once, then again only an hour later."""
        from datetime import timedelta

        from bot.storage.models import utcnow

        start = utcnow()
        due = []
        for minutes in (0, 1, 59, 60, 61):
            async with db.session() as session, session.begin():
                due.append(
                    await readers.hint_due(session, Reader(10), start + timedelta(minutes=minutes))
                )
        assert due == [True, False, False, True, False]
