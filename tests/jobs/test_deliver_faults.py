"""The outbox against the Bot API sandbox when sends are slow, rows are taken back while in
flight, the database fails for a while, a process dies mid-drain or the lease's connection drops.

A send is held in flight by :class:`GatedOutbox` (an event per send, not a sleep): the test says
when it goes on to the sandbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import OperationalError
from telegram.ext import ExtBot

from bot.outbox import claims
from bot.outbox.items import Claimed, Outcome
from bot.sandbox import SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.leases import NAMESPACE, ProcessLease
from bot.storage.models import Chat, Delivery, DeliveryStatus, Subscriber, utcnow
from jobs import deliver
from jobs.deliver import Outbox
from tests.conftest import POSTGRES_URL
from tests.jobs.conftest import statuses, subscribe
from tests.jobs.test_deliver import CHANNEL, publish

#: A guard against a hang (a test that fails waits this long at most), never a pause.
HANG = 30


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="outbox_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deliver, "DB_BACKOFF", 0.001, raising=False)


class GatedOutbox(Outbox):
    """An outbox whose sends wait, each, for a permit from the test (``let``)."""

    def __init__(self, db: Database, **kwargs: Any) -> None:
        super().__init__(db, **kwargs)
        self.entered: asyncio.Queue[Claimed] = asyncio.Queue()
        self._permits = asyncio.Semaphore(0)

    def let(self, n: int = 1) -> None:
        for _ in range(n):
            self._permits.release()

    async def in_flight(self, chat: str) -> Claimed:
        """The next send to ``chat`` once it is in flight (others in flight are skipped)."""
        while True:
            item = await asyncio.wait_for(self.entered.get(), HANG)
            if item.chat == chat:
                return item

    async def send(self, bot: ExtBot[Any], item: Claimed) -> Outcome:
        self.entered.put_nowait(item)
        await self._permits.acquire()
        return await super().send(bot, item)


async def publish_for_readers(db: Database, n: int) -> int:
    """An article queued for the readers only (its channel row dropped)."""
    article_id = await publish(db, n)
    async with db.session() as session, session.begin():
        await session.execute(delete(Delivery).where(Delivery.kind == "channel"))
    return article_id


async def chat_next_at(db: Database, chat: str) -> Any:
    async with db.session() as session:
        row = await session.get(Chat, chat)
        assert row is not None
        return row.next_at


class TestSlowSends:
    async def test_a_reader_gets_nothing_else_while_a_slow_send_is_in_flight(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A send to a reader that takes longer than the chat's second: no process claims
        that reader's next row meanwhile; the next one goes a second after the answer."""
        await tg.limits(private_per_second=1, private_burst=1)
        await subscribe(db, tg, 301)
        await publish_for_readers(db, 1)
        await publish_for_readers(db, 2)
        first = GatedOutbox(db)
        draining = asyncio.create_task(first.drain(app.bot))
        await first.in_flight("301")
        async with db.session() as session, session.begin():  # two seconds pass
            chat = await session.get(Chat, "301")
            assert chat is not None
            chat.next_at -= timedelta(seconds=2)
            chat.tat -= timedelta(seconds=2)
        other = await Outbox(db).drain(app.bot)  # another process's drain, meanwhile
        assert other.sent == 0
        assert await tg.bot_messages(301) == []
        first.let(2)
        report = await asyncio.wait_for(draining, HANG)
        assert report.sent == 2
        assert len(await tg.bot_messages(301)) == 2
        assert 429 not in [r["status"] for r in await tg.requests("sendMessage")]

    async def test_a_dead_process_reader_is_sent_to_at_once(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """The recovery of a dead process's row frees its reader, held while it was in
        flight: the next drain sends it, not ten minutes later."""
        await subscribe(db, tg, 302)
        await publish_for_readers(db, 1)
        dead = await ProcessLease.acquire(db)
        async with db.writing() as session:
            [held] = await claims.claim(session, token=dead.token, limit=4, now=utcnow())
        await dead.close()  # as SIGKILL would
        assert (await chat_next_at(db, "302")) > utcnow() + timedelta(minutes=1)
        report = await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)
        assert report.sent == 1
        assert held.chat == "302"
        assert len(await tg.bot_messages(302)) == 1


class TestTakenBack:
    async def test_the_outcome_of_a_row_taken_back_changes_nothing(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A row taken back (and settled by another process) while in flight: its outcome,
        when it comes, neither marks the reader unreachable nor paces or pauses the chat."""
        await subscribe(db, tg, 311, 312)
        await publish_for_readers(db, 1)
        outbox = GatedOutbox(db)
        draining = asyncio.create_task(outbox.drain(app.bot))
        await outbox.in_flight("311")
        await outbox.in_flight("312")
        marker = utcnow() + timedelta(seconds=5)
        async with db.session() as session, session.begin():  # another process's, meanwhile
            await session.execute(
                update(Delivery).values(status=DeliveryStatus.SENT, claim=None, message_id=1)
            )
            await session.execute(update(Chat).values(next_at=marker, tat=marker))
        await tg.block(311)  # 403 for 311, and a flood wait for 312
        await tg.faults(method="sendMessage", count=1, status=429, retry_after=30)
        outbox.let(2)
        report = await asyncio.wait_for(draining, HANG)
        assert report.counts == {}
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}
        async with db.session() as session:
            reader = await session.get(Subscriber, 311)
        assert reader is not None
        assert reader.active is True
        for chat in ("311", "312"):
            assert await chat_next_at(db, chat) == marker


def flaky(
    real: Callable[..., Awaitable[Any]], fail: Callable[[int], bool]
) -> Callable[..., Awaitable[Any]]:
    """``real``, raising "database is locked" on the calls (counted from 0) ``fail`` names."""
    calls = [0]

    async def call(*args: Any, **kwargs: Any) -> Any:
        n, calls[0] = calls[0], calls[0] + 1
        if fail(n):
            raise OperationalError("UPDATE deliveries ...", {}, Exception("database is locked"))
        return await real(*args, **kwargs)

    return call


class TestDatabaseFaults:
    async def test_a_claim_that_fails_for_a_while_is_tried_again(
        self,
        db: Database,
        tg: SandboxClient,
        app: Any,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Claims failing twice: warned of in a line each (no traceback), then it goes on."""
        await subscribe(db, tg, 321)
        await publish(db, 1)
        monkeypatch.setattr(claims, "claim", flaky(claims.claim, lambda n: n < 2))
        with caplog.at_level(logging.WARNING, logger="jobs.deliver"):
            report = await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)
        assert report.sent == 2
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}
        warned = [r for r in caplog.records if "claim failed" in r.getMessage()]
        assert len(warned) == 2
        assert all(r.exc_info is None and "database is locked" in r.getMessage() for r in warned)

    async def test_a_claim_that_keeps_failing_ends_the_drain_after_what_is_in_flight(
        self, db: Database, tg: SandboxClient, app: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every claim after the first fails: the drain ends without raising, and the rows
        the first claim took are sent and recorded; the others wait for the next drain."""
        await subscribe(db, tg, 322)
        await publish(db, 1)
        await publish(db, 2)
        real = claims.claim
        monkeypatch.setattr(claims, "claim", flaky(real, lambda n: n > 0))
        report = await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)
        assert report.sent == 2  # the channel's and the reader's first
        async with db.session() as session:
            rows = await session.execute(select(Delivery.article_id, Delivery.status))
            result = {(a, s) for a, s in rows}
        assert result == {(1, DeliveryStatus.SENT), (2, DeliveryStatus.PENDING)}
        monkeypatch.setattr(claims, "claim", real)
        assert (await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)).sent == 2

    async def test_a_record_that_fails_for_a_while_is_tried_again(
        self, db: Database, tg: SandboxClient, app: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The recorder's write failing twice: the outcomes are written at the third try."""
        await subscribe(db, tg, 331, 332)
        await publish(db, 1)
        monkeypatch.setattr(claims, "record", flaky(claims.record, lambda n: n < 2))
        report = await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)
        assert report.sent == 3
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_a_record_that_keeps_failing_frees_its_slots(
        self, db: Database, tg: SandboxClient, app: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The recorder's write never succeeding: the drain still ends (its slots freed);
        the rows stay 'sending' under its lease, taken back by the next drain."""
        await subscribe(db, tg, 333)
        await publish(db, 1)
        real = claims.record
        monkeypatch.setattr(claims, "record", flaky(real, lambda n: True))
        report = await asyncio.wait_for(Outbox(db, concurrency=1).drain(app.bot), HANG)
        assert report.sent == 0
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENDING}
        monkeypatch.setattr(claims, "record", real)
        await asyncio.wait_for(Outbox(db).drain(app.bot), HANG)
        assert await statuses(db) == {
            f"@{CHANNEL}": DeliveryStatus.UNKNOWN,
            "333": DeliveryStatus.SENT,
        }
        assert len(await tg.bot_messages(333)) == 2  # at least once: a duplicate, not a miss


class TestLongDrains:
    async def test_a_process_that_dies_during_a_drain_is_recovered_by_it(
        self, db: Database, tg: SandboxClient, app: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A row another process claimed after this drain began, and died with: the drain
        takes it back while it runs and sends it."""
        monkeypatch.setattr(deliver, "RECOVER_EVERY", 0.05, raising=False)
        await subscribe(db, tg, 341)
        article_id = await publish_for_readers(db, 1)
        outbox = GatedOutbox(db)
        draining = asyncio.create_task(outbox.drain(app.bot))
        await outbox.in_flight("341")  # a long send: the drain is still running
        await subscribe(db, tg, 342)
        dead = await ProcessLease.acquire(db)
        async with db.writing() as session:
            session.add(Delivery(article_id=article_id, chat="342", kind="reader"))
            await session.flush()
            [taken] = await claims.claim(session, token=dead.token, limit=4, now=utcnow())
        await dead.close()  # SIGKILLed with the row in flight
        assert taken.chat == "342"
        await outbox.in_flight("342")
        outbox.let(2)
        report = await asyncio.wait_for(draining, HANG)
        assert report.sent == 2
        assert len(await tg.bot_messages(342)) == 1

    @pytest.mark.skipif(not POSTGRES_URL, reason="set NEWSBOT_TEST_POSTGRES_URL to run it")
    @pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # SQLite's flock has none
    async def test_a_lease_whose_connection_dropped_is_renewed_before_claiming(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """PostgreSQL: the lease's connection drops mid-drain; the next claim takes the lease
        again first, so its row is claimed under a lease held."""
        await subscribe(db, tg, 351)
        await publish_for_readers(db, 1)
        await publish_for_readers(db, 2)
        outbox = GatedOutbox(db)
        draining = asyncio.create_task(outbox.drain(app.bot))
        first = await outbox.in_flight("351")
        async with db.session() as session:
            token = await session.scalar(select(Delivery.claim).where(Delivery.id == first.id))
        assert token is not None
        key = int(token.removeprefix("pg:"))

        async def holders() -> list[int]:
            async with db.session() as session:
                pids = await session.scalars(
                    text(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND classid = :ns AND objid = :key AND objsubid = 2"
                    ),
                    {"ns": NAMESPACE, "key": key},
                )
                return list(pids)

        [pid] = await holders()
        async with db.session() as session:  # waits (up to 10 s) for the backend to end
            assert await session.scalar(
                text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}
            )
        assert await holders() == []
        outbox.let()
        second = await outbox.in_flight("351")  # claimed after the record, a second later
        async with db.session() as session:
            claim = await session.scalar(select(Delivery.claim).where(Delivery.id == second.id))
        assert claim == token
        assert len(await holders()) == 1  # held again when it was claimed
        outbox.let()
        report = await asyncio.wait_for(draining, HANG)
        assert report.sent == 2
