"""The outbox against the Bot API sandbox: sent once, blocked readers, floods, errors, crashes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder

from bot.article import ArticleDraft
from bot.config import EditionConfig
from bot.posting import Pictures, send_post
from bot.sandbox import SandboxClient, SandboxServer
from bot.services import readers
from bot.services.articles import store_drafts
from bot.services.editions import ensure_editions
from bot.services.readers import Reader
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Delivery, DeliveryStatus, Subscriber, utcnow
from jobs.deliver import MAX_AGE, MAX_BACKOFF, STALE_CLAIM, Outbox
from tests.jobs.conftest import TOKEN, statuses, subscribe

CHANNEL = "outbox_news"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="outbox_bot", channels=(CHANNEL,)) as server:
        yield server


async def publish(db: Database, n: int, *, image: str | None = None) -> int:
    draft = ArticleDraft(
        key=f"k{n}",
        title=f"Headline {n}",
        summary=f"Summary of story {n}.",
        link=f"https://n.example/{n}",
        image=image,
    )
    async with db.session() as session, session.begin():
        stored = await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
        await ensure_editions(session, [EditionConfig("en", f"@{CHANNEL}")])
        await enqueue(session, stored.published[0])
        return stored.published[0].id


class TestOutbox:
    async def test_every_delivery_is_sent_once(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A drain sends each delivery once with its message id; a second drain sends nothing."""
        await subscribe(db, tg, 101, 102)
        await publish(db, 1)
        outbox = Outbox(db)
        first = await outbox.drain(app.bot)
        second = await outbox.drain(app.bot)
        assert (first.sent, second.sent) == (3, 0)
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}
        for chat in (101, 102, f"@{CHANNEL}"):
            assert len(await tg.bot_messages(chat)) == 1
        async with db.session() as session:
            ids = list(await session.scalars(select(Delivery.message_id)))
        assert all(ids)

    async def test_rows_of_a_reader_forgotten_meanwhile_are_deleted(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A row queued for a reader whose /forget committed meanwhile (their row is gone) is
        deleted, not sent and not kept: nothing holds their chat id afterwards."""
        await subscribe(db, tg, 161, 162)
        await publish(db, 1)
        async with db.session() as session, session.begin():
            forgotten = await session.get(Subscriber, 161)
            await session.delete(forgotten)  # as /forget's transaction, racing the poll's
        report = await Outbox(db).drain(app.bot)
        assert report.sent == 2  # the channel and reader 162
        assert await tg.bot_messages(161) == []
        assert "161" not in await statuses(db)

    async def test_photo_post(self, db: Database, tg: SandboxClient, app: Any) -> None:
        """An article with a picture goes out as a photo with the post as its caption."""
        await subscribe(db, tg, 103)
        await publish(db, 1, image="https://n.example/pic.jpg")
        await Outbox(db).drain(app.bot)
        [message] = await tg.bot_messages(103)
        assert message["photo"]
        assert message["caption"].startswith("Headline 1")

    async def test_refused_photo_falls_back_to_text(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """When Telegram refuses the picture (and newsbot cannot download it either: a
        loopback address), the post still arrives, as a text message."""
        await subscribe(db, tg, 104)
        await tg.faults(
            method="sendPhoto",
            count=2,  # the channel's and the reader's, sent in the same round
            status=400,
            description="Bad Request: wrong file identifier/HTTP URL specified",
        )
        await publish(db, 1, image="http://127.0.0.1:9/broken.jpg")
        outbox = Outbox(db)
        await outbox.drain(app.bot)
        [message] = await tg.bot_messages(104)
        assert not message["photo"]
        assert message["text"].startswith("Headline 1")
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_a_chat_error_does_not_drop_the_picture_for_others(
        self, tg: SandboxClient, app: Any
    ) -> None:
        """A photo refused because of the chat (not found) is still sent to the next chat."""
        await tg.send(107, "/start")
        pictures = Pictures()
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await send_post(app.bot, 999_999, "<b>Hi</b>", "https://n.example/p.jpg", pictures)
        assert not pictures.refused("https://n.example/p.jpg")
        message = await send_post(app.bot, 107, "<b>Hi</b>", "https://n.example/p.jpg", pictures)
        assert message.photo

    async def test_blocked_reader_becomes_inactive(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A reader who blocked the bot is marked inactive; the others still receive."""
        await subscribe(db, tg, 111, 112)
        await tg.block(111)
        await publish(db, 1)
        await Outbox(db).drain(app.bot)
        result = await statuses(db)
        assert (result["111"], result["112"]) == (DeliveryStatus.FAILED, DeliveryStatus.SENT)
        async with db.session() as session:
            reader = await session.get(Subscriber, 111)
        assert reader is not None
        assert reader.active is False
        await publish(db, 2)
        async with db.session() as session:
            chats = set(
                await session.scalars(select(Delivery.chat).where(Delivery.article_id == 2))
            )
        assert "111" not in chats
        assert "112" in chats

    async def test_unknown_chat_becomes_inactive(self, db: Database, app: Any) -> None:
        """A chat Telegram does not know ("chat not found") is treated like a blocked one."""
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(999_999))
        await publish(db, 1)
        await Outbox(db).drain(app.bot)
        assert (await statuses(db))["999999"] == DeliveryStatus.FAILED

    async def test_flood_control_is_waited_out(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A 429 reschedules that delivery after retry_after without holding up the others,
        and once that time has come the post arrives."""
        await subscribe(db, tg, 121)
        await tg.faults(method="sendMessage", count=1, status=429, retry_after=30)
        await publish(db, 1)
        outbox = Outbox(db)
        first = await outbox.drain(app.bot)
        assert (first.sent, first.counts.get("retry")) == (1, 1)
        async with db.session() as session, session.begin():
            [row] = await session.scalars(
                select(Delivery).where(Delivery.status == DeliveryStatus.PENDING)
            )
            assert (row.next_attempt_at - utcnow()).total_seconds() > 20
            row.next_attempt_at = utcnow()  # the 30 s have passed
        assert (await outbox.drain(app.bot)).sent == 1
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}
        codes = [r["status"] for r in await tg.requests("sendMessage")]
        assert sorted(codes) == [200, 200, 429]

    async def test_server_error_is_retried_later(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A 5xx leaves the delivery pending with a later attempt time, not lost and not sent."""
        await tg.faults(method="sendMessage", count=1, status=502)
        await publish(db, 1)
        await Outbox(db).drain(app.bot)
        async with db.session() as session:
            [row] = list(await session.scalars(select(Delivery)))
        assert row.status == DeliveryStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > row.created_at

    async def test_interrupted_send_is_never_repeated(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A row a crashed process left 'sending' becomes 'unknown' and is not sent again;
        a row another process claimed a moment ago is left to it."""
        await subscribe(db, tg, 141)
        await publish(db, 1)
        async with db.session() as session, session.begin():
            rows = {row.chat: row for row in await session.scalars(select(Delivery))}
            for row in rows.values():
                row.status = DeliveryStatus.SENDING
            rows[f"@{CHANNEL}"].claimed_at = utcnow() - STALE_CLAIM - timedelta(seconds=1)
            rows["141"].claimed_at = utcnow()
        outbox = Outbox(db)
        assert await outbox.recover() == 1
        report = await outbox.drain(app.bot)
        assert report.sent == 0
        assert await statuses(db) == {
            f"@{CHANNEL}": DeliveryStatus.UNKNOWN,
            "141": DeliveryStatus.SENDING,
        }
        assert await tg.bot_messages(f"@{CHANNEL}") == []

    async def test_lost_answer_is_not_resent(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A message Telegram posted but whose answer was lost is 'unknown', never sent twice."""
        await tg.faults(method="sendMessage", lose_answer=True)
        await publish(db, 1)
        outbox = Outbox(db)
        await outbox.drain(app.bot)
        await outbox.drain(app.bot)
        assert await statuses(db) == {f"@{CHANNEL}": DeliveryStatus.UNKNOWN}
        assert len(await tg.messages(f"@{CHANNEL}")) == 1

    async def test_outage_loses_nothing_until_max_age(self, db: Database) -> None:
        """While Telegram cannot be reached a delivery stays pending, however many tries it
        takes, at most MAX_BACKOFF apart; only past MAX_AGE is it given up."""
        await publish(db, 1)
        down = ApplicationBuilder().token(TOKEN).base_url("http://127.0.0.1:9/bot").build()
        outbox = Outbox(db)
        for _ in range(8):
            await outbox.drain(down.bot)
            async with db.session() as session, session.begin():
                [row] = await session.scalars(select(Delivery))
                assert row.status == DeliveryStatus.PENDING
                assert (row.next_attempt_at - utcnow()).total_seconds() <= MAX_BACKOFF
                row.next_attempt_at = utcnow()
        async with db.session() as session, session.begin():
            [row] = await session.scalars(select(Delivery))
            assert row.attempts == 8
            row.created_at = utcnow() - MAX_AGE
        await outbox.drain(down.bot)
        assert await statuses(db) == {f"@{CHANNEL}": DeliveryStatus.FAILED}

    async def test_reader_who_left_after_queueing_gets_nothing(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A row queued for a reader who has since left (a race on PostgreSQL) is cancelled."""
        await subscribe(db, tg, 151, 152)
        await publish(db, 1)
        async with db.session() as session, session.begin():
            reader = await session.get(Subscriber, 151)
            assert reader is not None
            reader.subscribed = False  # as an /unsubscribe that could not see the queued row
        await Outbox(db).drain(app.bot)
        result = await statuses(db)
        assert (result["151"], result["152"]) == (DeliveryStatus.CANCELLED, DeliveryStatus.SENT)
        assert await tg.bot_messages(151) == []

    async def test_timeout_is_not_resent(
        self, db: Database, tg: SandboxClient, sandbox: SandboxServer
    ) -> None:
        """A send that timed out may have arrived, so it becomes 'unknown' and is not resent."""
        await publish(db, 1)
        impatient = (
            ApplicationBuilder().token(TOKEN).base_url(f"{sandbox.url}/bot").read_timeout(0.2)
        ).build()
        async with impatient:
            await tg.faults(latency_ms=1000)
            outbox = Outbox(db)
            await outbox.drain(impatient.bot)
            await tg.faults(clear=True, latency_ms=0)
            again = await outbox.drain(impatient.bot)
        assert set((await statuses(db)).values()) == {DeliveryStatus.UNKNOWN}
        assert again.sent == 0

    async def test_stop_ends_a_drain(self, db: Database, tg: SandboxClient, app: Any) -> None:
        """After stop() a drain sends nothing, so a shutdown never waits for the queue."""
        await publish(db, 1)
        outbox = Outbox(db)
        outbox.stop()
        assert (await outbox.drain(app.bot)).sent == 0
        assert set((await statuses(db)).values()) == {DeliveryStatus.PENDING}

    @pytest.mark.slow
    async def test_private_chat_rate_is_respected(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """Several posts to one reader are spaced so that the sandbox never answers 429."""
        await tg.limits(private_per_second=1, private_burst=1)
        await subscribe(db, tg, 131)
        for n in range(3):
            await publish(db, n)
        await Outbox(db).drain(app.bot)
        assert len(await tg.bot_messages(131)) == 3
        assert 429 not in [r["status"] for r in await tg.requests("sendMessage")]
