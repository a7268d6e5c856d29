"""A send's progress: the editor's texts (a table of cases, no I/O) and the counting and
finishing of sends against the database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.handlers import progress_texts
from bot.i18n import translator_for
from bot.services import sends
from bot.services.sends import ChannelPost, Progress, Tally, Trouble
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus, Send, SendStatus
from tests.helpers import use_editions

EN, HI = translator_for("en"), translator_for("hi")
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
SENT = ChannelPost("@revoi_en", DeliveryStatus.SENT)


class TestNumbers:
    @pytest.mark.parametrize(
        ("language", "n", "shown"),
        [
            ("en", 0, "0"),
            ("en", 3400, "3,400"),
            ("en", 1234567, "1,234,567"),
            ("hi", 3400, "3,400"),
            ("hi", 1234567, "12,34,567"),  # lakh and crore grouping
        ],
    )
    def test_grouped_as_the_language_groups(self, language: str, n: int, shown: str) -> None:
        """Figures are grouped by the editor's language: thousands in English, lakhs in
        Hindi."""
        assert progress_texts.number(translator_for(language), n) == shown


class TestTexts:
    @pytest.mark.parametrize(
        ("tally", "expected"),
        [
            pytest.param(
                Tally(Progress(total=10000, sent=3398, blocked=2, waiting=6600), SENT),
                "<b>Snow</b>\nDelivering… 3,400 / 10,000 · 2 blocked · 0 failed\n"
                "Channel: @revoi_en ✓",
                id="mid-way",
            ),
            pytest.param(
                Tally(Progress(total=5, waiting=5), ChannelPost("@x", DeliveryStatus.PENDING)),
                "<b>Snow</b>\nDelivering… 0 / 5 · 0 blocked · 0 failed\nChannel: @x …",
                id="nothing-yet",
            ),
            pytest.param(
                Tally(Progress(total=3, sent=1, failed=1, waiting=1)),
                "<b>Snow</b>\nDelivering… 2 / 3 · 0 blocked · 1 failed",
                id="no-channel",
            ),
        ],
    )
    def test_delivering(self, tally: Tally, expected: str) -> None:
        """While it is delivered, the message shows settled of all, blocked, failed and the
        channel post."""
        assert progress_texts.delivering(EN, "Snow", tally) == expected

    @pytest.mark.parametrize(
        ("tally", "expected"),
        [
            pytest.param(
                Tally(Progress(total=10000, sent=9998, blocked=2), SENT),
                "Delivered to 9,998 of 10,000 readers: 2 blocked, 0 failed.\nChannel: @revoi_en ✓",
                id="summary",
            ),
            pytest.param(
                Tally(Progress(total=1, sent=1)),
                "Delivered to 1 of 1 reader: 0 blocked, 0 failed.",
                id="one-reader",
            ),
            pytest.param(
                Tally(Progress(total=7, sent=3, failed=1, held=2, unknown=1)),
                "Delivered to 3 of 7 readers: 0 blocked, 1 failed, 2 in digests, 1 not known.",
                id="digests-and-unknown",
            ),
            pytest.param(
                Tally(
                    Progress(),
                    ChannelPost("@x", DeliveryStatus.FAILED, "forbidden: not an admin"),
                ),
                "Delivered: no reader follows this edition.\nChannel: @x ✗ forbidden: not an admin",
                id="channel-failed",
            ),
            pytest.param(
                Tally(Progress(), ChannelPost("@x", DeliveryStatus.UNKNOWN, "interrupted")),
                "Delivered: no reader follows this edition.\n"
                "Channel: @x: not known whether it arrived",
                id="channel-unknown",
            ),
        ],
    )
    def test_summary(self, tally: Tally, expected: str) -> None:
        """The summary counts reached of all, blocked, failed, in digests and not known."""
        assert progress_texts.summary(EN, "Snow", tally) == "<b>Snow</b>\n" + expected

    def test_title_escaped_and_clipped(self) -> None:
        """The article's title is escaped for HTML and clipped to a line."""
        text = progress_texts.summary(EN, "<A&B> " + "x" * 300, Tally(Progress(total=1, sent=1)))
        head = text.splitlines()[0]
        assert head.startswith("<b>&lt;A&amp;B&gt; x")
        assert head.endswith("…</b>")
        assert len(head) < progress_texts.TITLE_LIMIT + 30

    def test_hindi_figures(self) -> None:
        """A Hindi editor's figures are grouped the Indian way."""
        tally = Tally(Progress(total=1234567, sent=1000, waiting=1233567))
        assert "1,000 / 12,34,567" in progress_texts.delivering(HI, "x", tally)

    def test_troubles_say_what_to_do(self) -> None:
        """The alert names each publication, what failed, and what to do about it."""
        text = progress_texts.troubles(
            EN,
            [
                Trouble(1, 10, "Dam", channel="@revoi_en", channel_error="forbidden: no rights"),
                Trouble(2, 11, "Snow", failed=3),
            ],
        )
        assert text.splitlines()[0] == "⚠️ 2 publications did not reach everyone:"
        assert "• <b>Dam</b>: the post to @revoi_en failed (forbidden: no rights)" in text
        assert "• <b>Snow</b>: 3 readers' messages failed" in text
        assert "administrator of the channel" in text
        assert "/stats" in text

    def test_many_troubles_are_counted(self) -> None:
        """Past the first ten, publications are counted rather than listed."""
        many = [Trouble(i, i, f"t{i}", failed=1) for i in range(13)]
        text = progress_texts.troubles(EN, many)
        assert text.count("• ") == progress_texts.TROUBLES_LISTED
        assert "…and 3 more." in text
        assert "administrator" not in text


async def _send(
    db: Database,
    key: str,
    outcomes: Sequence[tuple[str, str, str | None]],
    *,
    message_id: int | None = None,
) -> int:
    """A queued send of a new article with deliveries (kind, status, error), its id."""
    async with db.session() as session, session.begin():
        article = Article(identity=key, key=key, origin="push", title=f"Title {key}")
        session.add(article)
        await session.flush()
        send = Send(
            article_id=article.id,
            status=SendStatus.QUEUED,
            chat=42 if message_id else None,
            message_id=message_id,
            queued_at=NOW,
        )
        session.add(send)
        await session.flush()
        for n, (kind, status, error) in enumerate(outcomes):
            chat = "@revoi_en" if kind == "channel" else str(1000 + n)
            session.add(
                Delivery(
                    article_id=article.id,
                    send_id=send.id,
                    chat=chat,
                    kind=kind,
                    status=status,
                    error=error,
                )
            )
        return send.id


MIXED = [
    ("channel", DeliveryStatus.SENT, None),
    ("reader", DeliveryStatus.SENT, None),
    ("reader", DeliveryStatus.SENT, None),
    ("reader", DeliveryStatus.FAILED, "forbidden: bot was blocked by the user"),
    ("reader", DeliveryStatus.FAILED, "Bad Request: message is too long"),
    ("reader", DeliveryStatus.HELD, None),
    ("reader", DeliveryStatus.PENDING, None),
]


class TestCounting:
    async def test_tally_counts_readers_apart_from_the_channel(self, db: Database) -> None:
        """The readers' figures leave the channel post out; progress_of counts every row."""
        send_id = await _send(db, "a", MIXED)
        async with db.session() as session:
            tally = await sends.tally(session, send_id)
        assert tally.readers == Progress(total=6, sent=2, failed=1, blocked=1, waiting=1, held=1)
        assert tally.channel == ChannelPost("@revoi_en", DeliveryStatus.SENT)
        assert not tally.done
        assert tally.troubled

    async def test_progress_of_counts_every_row(self, db: Database) -> None:
        """progress_of counts the channel post with the readers' deliveries."""
        send_id = await _send(db, "a", MIXED)
        async with db.session() as session:
            progress = await sends.progress_of(session, send_id)
        assert progress == Progress(total=7, sent=3, failed=1, blocked=1, waiting=1, held=1)

    async def test_a_waiting_channel_post_is_not_done(self, db: Database) -> None:
        """Readers settled but the channel post still sending: not done."""
        send_id = await _send(
            db, "b", [("channel", DeliveryStatus.SENDING, None), ("reader", "sent", None)]
        )
        async with db.session() as session:
            tally = await sends.tally(session, send_id)
        assert tally.readers.done
        assert not tally.done

    async def test_claim_spaces_the_edits(self, db: Database) -> None:
        """A send's progress may be edited once per interval, whoever asks."""
        send_id = await _send(db, "c", MIXED, message_id=7)
        every = timedelta(seconds=3)
        async with db.session() as session, session.begin():
            first = await sends.claim_progress(session, send_id, NOW, every)
            again = await sends.claim_progress(session, send_id, NOW + timedelta(seconds=2), every)
            later = await sends.claim_progress(session, send_id, NOW + timedelta(seconds=3), every)
        assert (first, again, later) == (True, False, True)

    async def test_finish_once(self, db: Database) -> None:
        """finish marks a queued send done once; a second call finds nothing to do."""
        send_id = await _send(db, "d", [("reader", DeliveryStatus.SENT, None)], message_id=7)
        async with db.session() as session, session.begin():
            assert await sends.finish(session, send_id, NOW)
            assert not await sends.finish(session, send_id, NOW)
            assert not await sends.claim_progress(session, send_id, NOW, timedelta(seconds=3))
        async with db.session() as session:
            send = await session.get(Send, send_id)
        assert send is not None
        assert send.status == SendStatus.DONE
        assert send.finished_at == NOW


class TestFinishSettled:
    async def test_only_settled_sends_without_a_message(self, db: Database) -> None:
        """One UPDATE finishes the settled sends with no editor's message, and only those."""
        await use_editions(db, ("en", "@revoi_en"))
        settled = await _send(db, "s1", [("reader", DeliveryStatus.SENT, None)])
        held = await _send(db, "s2", [("reader", DeliveryStatus.HELD, None)])
        empty = await _send(db, "s3", [])
        waiting = await _send(db, "s4", [("reader", DeliveryStatus.PENDING, None)])
        watched = await _send(db, "s5", [("reader", DeliveryStatus.SENT, None)], message_id=9)
        async with db.session() as session:
            assert await sends.any_settled(session)
        async with db.writing() as session:
            finished = await sends.finish_settled(session, NOW)
        assert finished == [settled, held, empty]
        async with db.session() as session:
            assert not await sends.any_settled(session)
            statuses = {i: s for i, s in await session.execute(select(Send.id, Send.status))}
        assert statuses[waiting] == SendStatus.QUEUED
        assert statuses[watched] == SendStatus.QUEUED
        async with db.writing() as session:
            assert await sends.finish_settled(session, NOW) == []

    async def test_troubles_name_failures_not_blocks(self, db: Database) -> None:
        """Failed readers' messages and failed channel posts are troubles; blocks are not."""
        blocked = await _send(
            db, "t1", [("reader", DeliveryStatus.FAILED, "forbidden: bot was blocked by the user")]
        )
        failed = await _send(db, "t2", MIXED)
        channel = await _send(
            db, "t3", [("channel", DeliveryStatus.FAILED, "forbidden: bot is not a member")]
        )
        fine = await _send(db, "t4", [("reader", DeliveryStatus.SENT, None)])
        async with db.session() as session:
            found = await sends.troubles(session, [blocked, failed, channel, fine])
        assert [(t.send_id, t.failed, t.channel) for t in found] == [
            (failed, 1, None),
            (channel, 0, "@revoi_en"),
        ]
        assert found[1].channel_error == "forbidden: bot is not a member"
        assert found[0].title == "Title t2"
