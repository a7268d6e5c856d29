"""Of the newsbot processes sharing one database, only one long-polls Telegram's getUpdates
(a second poller would get 409 Conflict), and another takes over when it dies."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Bot
from telegram.ext import Updater

from bot.sandbox import SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.leases import Leader
from jobs.leader import LEADER_INTERVAL, Polling
from tests.cli_helpers import NewsbotProcess
from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.e2e]

TOKEN = "192837465:AAone-poller-token-that-stays-secret"
CHANNEL = "poller_news"
ASHA, BEN = 8101, 8102
#: A follower polls within this after the leader died (its lock is gone at once).
TAKEOVER = 30.0
STARTUP = 60.0


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="poller_news_bot", channels=(CHANNEL,)) as server:
        yield server


async def _updater(sandbox: SandboxServer) -> Updater:
    bot = Bot(TOKEN, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot")
    updater = Updater(bot=bot, update_queue=asyncio.Queue())
    await updater.initialize()
    return updater


def _conflicts(requests: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in requests if r["status"] == 409]


class TestTakeover:
    """The job's logic in one process: two Leader objects on one SQLite file conflict as two
    processes would (an flock belongs to its open file, not to the process)."""

    async def test_the_follower_polls_once_the_leader_stops(
        self, tmp_path: Path, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Only the first to start polls; the other polls at its first check after the
        first stopped (and released the lead); no poller is ever answered 409."""
        caplog.set_level(logging.DEBUG, logger="telegram.ext")
        url = f"sqlite+aiosqlite:///{tmp_path / 'news.sqlite3'}"
        first_db, second_db = Database(url), Database(url)
        first = Polling(Leader(first_db))
        second = Polling(Leader(second_db))
        first_updater, second_updater = await _updater(sandbox), await _updater(sandbox)
        try:
            assert await first.start(first_updater)
            assert not await second.start(second_updater)
            assert not await second.check()  # asking again changes nothing while it leads
            assert await first.check()  # the leader asking again keeps polling
            assert first_updater.running
            assert not second_updater.running
            async with SandboxClient(sandbox.url) as tg:
                assert await tg.wait_polling(timeout=5)
                await first.stop()
                assert not first_updater.running
                assert not first.leader.held
                assert await second.check()
                assert second_updater.running
                assert await tg.wait_polling(timeout=5)
                # The stopped poller's long poll stays open on the server until its last
                # getUpdates (timeout 0, confirming the offset) ends it: 409 to nobody.
                assert len(_conflicts(await tg.requests("getUpdates"))) <= 1
            # What an operator reads (warnings and errors); PTB's debug lines may show the
            # 409 the stopped poller's last call caused.
            seen = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert not [r for r in seen if "Conflict" in r.getMessage()]
        finally:
            await first.stop()
            await second.stop()
            await first_updater.shutdown()
            await second_updater.shutdown()
            await first_db.dispose()
            await second_db.dispose()

    async def test_a_leader_that_lost_the_lead_stops_polling(
        self, tmp_path: Path, sandbox: SandboxServer
    ) -> None:
        """A leader whose lock went away (PostgreSQL dropped its connection) while another
        process took it stops polling at its next check; it polls again once it leads."""
        url = f"sqlite+aiosqlite:///{tmp_path / 'news.sqlite3'}"
        first_db, second_db = Database(url), Database(url)
        first = Polling(Leader(first_db))
        second = Polling(Leader(second_db))
        first_updater, second_updater = await _updater(sandbox), await _updater(sandbox)
        try:
            assert await first.start(first_updater)
            assert not await second.start(second_updater)
            await first.leader.release()  # the lock is gone under the leader
            assert await second.check()  # ... and the other takes it
            assert not await first.check()
            assert not first_updater.running
            assert second_updater.running
            await second.stop()
            assert await first.check()
            assert first_updater.running
        finally:
            await first.stop()
            await second.stop()
            await first_updater.shutdown()
            await second_updater.shutdown()
            await first_db.dispose()
            await second_db.dispose()


@pytest.fixture
async def fresh_postgres() -> AsyncIterator[str]:
    """The URL of a PostgreSQL database of its own, migrated, dropped afterwards (advisory
    locks are per database: a schema of its own would share the leader's lock)."""
    if not POSTGRES_URL:
        pytest.skip("set NEWSBOT_TEST_POSTGRES_URL to run the PostgreSQL tests")
    name = f"newsbot_poller_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        database = Database(url)
        try:
            await database.migrate()  # before the processes, which would race to migrate it
        finally:
            await database.dispose()
        yield url
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.mark.slow
class TestTwoProcesses:
    async def test_one_poller_and_a_takeover_after_sigkill(
        self, tmp_path: Path, sandbox: SandboxServer, fresh_postgres: str
    ) -> None:
        """Two `newsbot run` on one PostgreSQL database: one polls, a reader's /start gets one
        reply, no 409; SIGKILL the poller and the other polls within 30 s and answers."""
        settings = {
            "DATABASE_URL": fresh_postgres,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "TELEGRAM_CHANNEL": f"@{CHANNEL}",
        }
        leader = await NewsbotProcess.start(
            "run", cwd=tmp_path, log=tmp_path / "leader.log", **settings
        )
        follower: NewsbotProcess | None = None
        try:
            await leader.wait_for_log("polling Telegram: this process leads", timeout=STARTUP)
            await leader.wait_for_log("newsbot started", timeout=STARTUP)
            follower = await NewsbotProcess.start(
                "run", cwd=tmp_path, log=tmp_path / "follower.log", **settings
            )
            await follower.wait_for_log("another process polls Telegram", timeout=STARTUP)
            await follower.wait_for_log("newsbot started", timeout=STARTUP)
            async with SandboxClient(sandbox.url) as tg:
                assert await tg.wait_polling(timeout=10)
                await tg.send(ASHA, "/start poster-1")
                [reply] = await tg.bot_messages(ASHA, wait_for=1, timeout=15)
                assert "You are subscribed" in reply["text"]
                assert _conflicts(await tg.requests("getUpdates")) == []

                leader.kill()
                killed = time.monotonic()
                await follower.wait_for_log(
                    "polling Telegram: this process leads", timeout=TAKEOVER
                )
                assert time.monotonic() - killed < LEADER_INTERVAL * 3
                assert await tg.wait_polling(timeout=10)
                await tg.send(BEN, "/start poster-1")
                [reply] = await tg.bot_messages(BEN, wait_for=1, timeout=15)
                assert "You are subscribed" in reply["text"]
                # Ben's answer came after Asha's: had a second process handled her /start, its
                # reply would be here by now.
                assert len(await tg.bot_messages(ASHA)) == 1
                # The dead poller's long poll may still be open on the server when the follower
                # polls: that one is answered 409, but nobody is there to read it.
                assert len(_conflicts(await tg.requests("getUpdates"))) <= 1
            assert await follower.terminate() == 0, follower.text()[-3000:]
        finally:
            await leader.aclose()
            if follower is not None:
                await follower.aclose()
        assert follower is not None
        for process in (leader, follower):
            logs = process.text()
            assert "Conflict" not in logs
            assert not re.search(r"\b409\b", logs)
            assert TOKEN not in logs
        assert "newsbot stopped" in follower.text()
