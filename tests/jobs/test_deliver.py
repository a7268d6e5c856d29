"""The outbox against the Bot API sandbox: sent once, blocked readers, floods, errors, crashes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, ExtBot

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
from bot.storage.leases import ProcessLease
from bot.storage.models import Chat, Delivery, DeliveryStatus, Subscriber, utcnow
from bot.telegram_request import AiohttpRequest
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
            assert row.reason == "flood"
            pause = await session.get(Chat, row.chat)
            assert pause is not None
            assert (pause.next_at - utcnow()).total_seconds() > 20  # that chat alone waits
            pause.next_at = utcnow()
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

    async def test_a_dead_process_rows_are_taken_back_by_kind(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """Rows a dead process left 'sending': a reader's is sent again (at least once), the
        channel's becomes 'unknown' and the editors' callback hears of it; rows of a process
        still alive (its lease held) are left to it."""
        await subscribe(db, tg, 141, 142)
        await publish(db, 1)
        dead = await ProcessLease.acquire(db)
        alive = await ProcessLease.acquire(db)
        await dead.close()  # as SIGKILL would: its lock is gone
        async with db.session() as session, session.begin():
            rows = {row.chat: row for row in await session.scalars(select(Delivery))}
            for chat, token in ((f"@{CHANNEL}", dead.token), ("141", dead.token)):
                rows[chat].status, rows[chat].claim = DeliveryStatus.SENDING, token
            rows["142"].status, rows["142"].claim = DeliveryStatus.SENDING, alive.token
        told: list[list[int]] = []

        async def on_unknown(ids: list[int]) -> None:
            told.append(ids)

        outbox = Outbox(db, on_unknown=on_unknown)
        report = await outbox.drain(app.bot)
        assert report.sent == 1
        assert await statuses(db) == {
            f"@{CHANNEL}": DeliveryStatus.UNKNOWN,
            "141": DeliveryStatus.SENT,
            "142": DeliveryStatus.SENDING,
        }
        assert told == [[rows[f"@{CHANNEL}"].id]]
        assert await tg.bot_messages(f"@{CHANNEL}") == []
        assert len(await tg.bot_messages(141)) == 1
        await alive.close()
        assert (await outbox.drain(app.bot)).sent == 1  # now 142's process is gone too
        assert len(await tg.bot_messages(142)) == 1

    async def test_claims_of_older_code_are_taken_back_only_when_stale(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A claim made before process leases (a random id) is a dead process's only once it
        is older than any send could take."""
        await subscribe(db, tg, 143, 144)
        await publish(db, 1)
        async with db.session() as session, session.begin():
            rows = {row.chat: row for row in await session.scalars(select(Delivery))}
            for row in rows.values():
                row.status, row.claim = DeliveryStatus.SENDING, "0123456789abcdef0123456789abcdef"
                row.claimed_at = utcnow() - STALE_CLAIM - timedelta(seconds=1)
            rows["144"].claimed_at = utcnow()
        await Outbox(db).drain(app.bot)
        assert await statuses(db) == {
            f"@{CHANNEL}": DeliveryStatus.UNKNOWN,
            "143": DeliveryStatus.SENT,
            "144": DeliveryStatus.SENDING,
        }

    async def test_a_lost_answer_is_resent_to_a_reader_not_to_the_channel(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """Telegram posted the message but its answer was lost: a reader gets it again (a
        duplicate rather than a miss), the channel post becomes 'unknown', never sent twice."""
        await subscribe(db, tg, 145)
        await tg.faults(method="sendMessage", count=2, lose_answer=True)
        await publish(db, 1)
        outbox = Outbox(db)
        await outbox.drain(app.bot)
        async with db.session() as session, session.begin():
            row = await session.scalar(select(Delivery).where(Delivery.chat == "145"))
            assert row is not None
            assert (row.status, row.reason) == (DeliveryStatus.PENDING, "answer_lost")
            row.next_attempt_at = utcnow()  # its backoff has passed
        await outbox.drain(app.bot)
        assert await statuses(db) == {
            f"@{CHANNEL}": DeliveryStatus.UNKNOWN,
            "145": DeliveryStatus.SENT,
        }
        assert len(await tg.messages(f"@{CHANNEL}")) == 1
        assert len(await tg.bot_messages(145)) == 2

    async def test_outage_loses_nothing_until_max_age(self, db: Database) -> None:
        """While Telegram cannot be reached a delivery stays pending, however many tries it
        takes, at most MAX_BACKOFF apart; only past MAX_AGE is it given up."""
        await publish(db, 1)
        request = AiohttpRequest()  # newsbot's: a refused connection never left
        await request.initialize()
        down = ExtBot(TOKEN, base_url="http://127.0.0.1:9/bot", request=request)
        outbox = Outbox(db)
        for _ in range(8):
            await outbox.drain(down)
            async with db.session() as session, session.begin():
                [row] = await session.scalars(select(Delivery))
                assert row.status == DeliveryStatus.PENDING
                assert (row.next_attempt_at - utcnow()).total_seconds() <= MAX_BACKOFF
                row.next_attempt_at = utcnow()
        async with db.session() as session, session.begin():
            [row] = await session.scalars(select(Delivery))
            assert row.attempts == 8
            row.created_at = utcnow() - MAX_AGE
        await outbox.drain(down)
        await request.shutdown()
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


class TestAnswersByType:
    async def test_a_group_that_became_a_supergroup_gets_it_there(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """ChatMigrated: the new id is kept for the chat and the post is sent there."""
        group = await tg.add_channel("outbox_group", chat_type="group")
        supergroup = await tg.migrate(group)
        article_id = await publish(db, 1)
        async with db.session() as session, session.begin():
            session.add(Delivery(article_id=article_id, chat=str(group), kind="channel"))
        report = await Outbox(db).drain(app.bot)
        assert report.counts.get("retry") == 1
        assert len(await tg.bot_messages(supergroup)) == 1
        async with db.session() as session:
            chat = await session.get(Chat, str(group))
            row = await session.scalar(select(Delivery).where(Delivery.chat == str(group)))
        assert chat is not None
        assert chat.moved_to == str(supergroup)
        assert row is not None
        assert row.status == DeliveryStatus.SENT

    async def test_html_telegram_cannot_parse_is_sent_once_as_plain_text(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A parse error resends the post once, as its words without markup."""
        await subscribe(db, tg, 171)
        await tg.faults(
            method="sendMessage",
            count=2,
            status=400,
            description="Bad Request: can't parse entities: unexpected end tag at byte offset 9",
        )
        await publish(db, 1)
        await Outbox(db).drain(app.bot)
        [message] = await tg.bot_messages(171)
        assert message["text"].startswith("Headline 1")
        assert not message.get("entities")
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_a_blocked_reader_is_inactive_with_the_reason(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """Forbidden makes the reader inactive with the reason and the time; the delivery's
        reason says the same."""
        await subscribe(db, tg, 172)
        await tg.block(172)
        await publish(db, 1)
        await Outbox(db).drain(app.bot)
        async with db.session() as session:
            reader = await session.get(Subscriber, 172)
            row = await session.scalar(select(Delivery).where(Delivery.chat == "172"))
        assert reader is not None
        assert row is not None
        assert (reader.active, reader.inactive_reason) == (False, "blocked")
        assert reader.inactive_since is not None
        assert (row.status, row.reason) == (DeliveryStatus.FAILED, "blocked")

    async def test_leaving_while_a_message_is_sent_keeps_its_outcome(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """/unsubscribe cancels what is waiting, not a message being sent: that one may
        arrive, and its outcome (sent, with its message id) is recorded as it is."""
        await subscribe(db, tg, 173)
        await publish(db, 1)
        await publish(db, 2)
        async with db.session() as session, session.begin():
            first = await session.scalar(
                select(Delivery).where(Delivery.chat == "173", Delivery.article_id == 1)
            )
            assert first is not None
            first.status = DeliveryStatus.SENDING  # claimed by this process's drain, below
        async with db.session() as session, session.begin():
            await readers.unsubscribe(session, Reader(173))
        async with db.session() as session:
            result = await session.execute(
                select(Delivery.article_id, Delivery.status).where(Delivery.chat == "173")
            )
            rows = {article_id: status for article_id, status in result}
        assert rows == {1: DeliveryStatus.SENDING, 2: DeliveryStatus.CANCELLED}


class TestPacing:
    async def test_two_outboxes_pace_one_chat_together(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """Two outboxes on one database (two processes) never send one reader two messages
        within a second: the pacing is the database's, not a process's."""
        await tg.limits(private_per_second=1, private_burst=1)
        await subscribe(db, tg, 181)
        for n in range(3):
            await publish(db, n)
        first, second = Outbox(db), Outbox(db)
        await asyncio.gather(first.drain(app.bot), second.drain(app.bot))
        assert len(await tg.bot_messages(181)) == 3
        assert 429 not in [r["status"] for r in await tg.requests("sendMessage")]
        async with db.session() as session:
            times = sorted(
                await session.scalars(select(Delivery.claimed_at).where(Delivery.chat == "181"))
            )
        assert all(
            (later - earlier).total_seconds() >= 0.99
            for earlier, later in itertools.pairwise(times)
        )

    async def test_a_reader_with_several_waiting_gets_one_message_listing_them(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """BUNDLE_AFTER=3: three articles waiting at once reach the reader as one message
        listing them, in their language; the channel still gets each post."""
        await subscribe(db, tg, 182)
        async with db.session() as session, session.begin():
            await readers.choose_language(session, Reader(182), "hi")
        for n in range(3):
            await publish(db, n)
        await Outbox(db, bundle_after=3).drain(app.bot)
        [message] = await tg.bot_messages(182)
        assert message["text"].split("\n")[0] == "आपके लिए 3 नई खबरें"
        for n in range(3):
            assert f"Headline {n}" in message["text"]
        assert len(await tg.bot_messages(f"@{CHANNEL}")) == 3
        async with db.session() as session:
            rows = list(
                await session.scalars(select(Delivery.status).where(Delivery.chat == "182"))
            )
        assert sorted(rows) == sorted([DeliveryStatus.DIGESTED] * 3 + [DeliveryStatus.SENT])
