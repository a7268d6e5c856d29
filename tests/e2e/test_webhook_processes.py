"""Two `newsbot run` processes in webhook mode behind a round-robin load balancer, on one
PostgreSQL database that they migrate themselves (taking turns): every update is handled once
by whichever process it reached, a push from the shell reaches the channel and every reader
exactly once, /metrics says what the database holds, and both stop cleanly on SIGTERM.

The sandbox runs in this process (a thread of its own) so that its webhook retries quickly; the
newsbot processes reach it, and it reaches the balancer, over loopback http.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import FeedServer, SandboxClient, SandboxServer, WebhookTiming
from bot.storage.db import Database
from tests.cli_helpers import NewsbotProcess, fresh_postgres_database
from tests.conftest import POSTGRES_URL
from tests.e2e.balancer import RoundRobin

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not POSTGRES_URL, reason="set NEWSBOT_TEST_POSTGRES_URL to run it"),
]

TOKEN = "246813579:AAwebhook-processes-token-kept-secret"
SECRET = "procs-Webhook_secret-4242"
BOT = "procs_webhook_bot"
CHANNEL = "procs_news"
EDITOR = 8200
READERS = list(range(8301, 8331))  # 30
TITLE = "Storm warning for Friday night"
ARTICLE = Path(__file__).parents[2] / "bot" / "demo_data" / "article.html"
#: Seconds to wait for a process's start, a batch of answers, a fan-out.
STARTUP = 60.0
WAIT = 30.0
OUTBOX = "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    timing = WebhookTiming(retry_initial=0.2, retry_max=1.0, timeout=10.0)
    with SandboxServer(bot_username=BOT, channels=(CHANNEL,), webhook_timing=timing) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/story.html", ARTICLE.read_bytes(), "text/html; charset=utf-8")
        yield server


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, not migrated: the processes migrate it as they start."""
    async with fresh_postgres_database(POSTGRES_URL, "newsbot_procs", migrated=False) as url:
        yield url


def is_article(message: dict[str, Any]) -> bool:
    return TITLE in (message.get("text") or "") + (message.get("caption") or "")


async def bot_messages(tg: SandboxClient, wait_for: int) -> dict[int, list[dict[str, Any]]]:
    """Each reader's messages from the bot, once each has ``wait_for`` (or WAIT passed)."""
    chats = await asyncio.gather(
        *(tg.bot_messages(reader, wait_for=wait_for, timeout=WAIT) for reader in READERS)
    )
    return dict(zip(READERS, chats, strict=True))


async def scalar(db: Database, sql: str) -> int:
    async with db.session() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def drained(db: Database) -> int:
    """The deliveries still waiting to be sent, once none is or WAIT passed (the outbox's
    rows are the only thing to watch: nothing in the sandbox says "no more to come")."""
    for _ in range(int(WAIT / 0.2)):
        if not await scalar(db, OUTBOX):
            break
        await asyncio.sleep(0.2)
    return await scalar(db, OUTBOX)


async def metrics_of(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``/metrics`` of the process on ``port``: (sample name, sorted labels) -> value."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def sent_in(metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return sum(
        value
        for (name, labels), value in metrics.items()
        if name == "newsbot_deliveries" and ("status", "sent") in labels
    )


async def test_two_processes_behind_a_balancer(
    tmp_path: Path,
    sandbox: SandboxServer,
    tg: SandboxClient,
    site: FeedServer,
    database_url: str,
) -> None:
    began = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        timings[name] = round(time.monotonic() - began, 2)

    ports = [free_port(), free_port()]
    telegram = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "TELEGRAM_CHANNEL": f"@{CHANNEL}",
        "EDITOR_IDS": str(EDITOR),
        "FEEDS": "",
        "ALLOW_PRIVATE_NETWORKS": "true",
    }
    db = Database(database_url)
    processes: list[NewsbotProcess] = []
    async with RoundRobin([f"http://127.0.0.1:{p}" for p in ports]) as balancer:
        try:
            for name, port in zip("ab", ports, strict=True):
                processes.append(
                    await NewsbotProcess.start(
                        "run",
                        cwd=tmp_path,
                        log=tmp_path / f"{name}.log",
                        CONSOLE_BIND=f"127.0.0.1:{port}",
                        WEBHOOK_URL=f"{balancer.url}/tg",
                        WEBHOOK_SECRET=SECRET,
                        **telegram,
                    )
                )
            started = await asyncio.gather(
                *(p.wait_for_log("newsbot started", timeout=STARTUP) for p in processes)
            )
            assert all("mode=webhook" in line for line in started), started
            lap("both started")
            hook = await tg.webhook()
            assert hook["url"] == f"{balancer.url}/tg"
            assert hook["secret_token"] == SECRET

            # 1. Thirty readers subscribe: one answer each, every update delivered once.
            sends = await asyncio.gather(*(tg.send(r, "/subscribe") for r in READERS))
            answers = await bot_messages(tg, 1)
            welcome = texts.subscribed(translator_for("en"))
            assert {r: [m["html"] for m in ms] for r, ms in answers.items()} == {
                r: [welcome] for r in READERS
            }
            lap("30 subscribed")
            sends += await asyncio.gather(*(tg.send(r, "/help") for r in READERS))
            answers = await bot_messages(tg, 2)
            # The /help answers are all in: a /subscribe handled twice would have been too.
            assert {r: len(ms) for r, ms in answers.items()} == dict.fromkeys(READERS, 2)
            update_ids = sorted(s["update_id"] for s in sends)
            hook = await tg.webhook(wait_for=len(update_ids), wait_idle=True, timeout=WAIT)
            assert hook["pending"] == 0
            assert hook["in_flight"] == 0
            assert sorted(d["update_id"] for d in hook["deliveries"]) == update_ids
            assert {d["status"] for d in hook["deliveries"]} == {200}
            assert sum(balancer.sent) == len(update_ids)
            assert all(balancer.sent), balancer.sent
            assert {s for statuses in balancer.statuses for s in statuses} == {200}
            lap("60 updates handled")

            # 2. A push from the shell: the channel and every reader get it, once.
            push = await NewsbotProcess.start(
                "push", site.url_for("/story.html"), cwd=tmp_path, log=tmp_path / "push.log",
                **telegram,
            )  # fmt: skip
            try:
                await asyncio.wait_for(push.process.wait(), STARTUP)
            finally:
                await push.aclose()
            assert push.process.returncode == 0, push.text()[-3000:]
            lap("push exited")
            [post] = await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT)
            assert is_article(post)
            await bot_messages(tg, 3)
            assert await drained(db) == 0
            # Nothing left to send: a second copy of anything would be here by now.
            answers = await bot_messages(tg, 3)
            assert {r: sum(map(is_article, ms)) for r, ms in answers.items()} == dict.fromkeys(
                READERS, 1
            )
            assert {r: len(ms) for r, ms in answers.items()} == dict.fromkeys(READERS, 3)
            assert len(await tg.messages(f"@{CHANNEL}")) == 1
            lap("fan-out delivered")

            # 3. /metrics says what the database holds; both processes are ready.
            sent = await scalar(db, "SELECT count(*) FROM deliveries WHERE status = 'sent'")
            published = await scalar(db, "SELECT count(*) FROM articles WHERE status = 'published'")
            assert sent == len(READERS) + 1  # the readers and the channel
            assert published == 1
            metrics = await metrics_of(ports[0])
            assert sent_in(metrics) == sent
            assert metrics[("newsbot_outbox_depth", ())] == 0
            assert metrics[("newsbot_articles_published", ())] == published
            assert metrics[("newsbot_readers", (("edition", "en"),))] == len(READERS)
            async with httpx.AsyncClient() as client:
                for port in ports:
                    ready = await client.get(f"http://127.0.0.1:{port}/readyz")
                    assert ready.status_code == 200, ready.text
            lap("metrics and readyz")

            # New readers' /start and /subscribe sent back to back: each chat's two updates
            # may go to two processes, yet they are handled in order, each once (a process
            # answers an update only once it is handled, and the row is made by one of them).
            newcomers = list(range(8401, 8421))

            async def arrive(reader: int) -> None:
                await tg.send(reader, "/start")  # queued first: the sandbox keeps the order
                await tg.send(reader, "/subscribe")

            await asyncio.gather(*(arrive(r) for r in newcomers))
            got = await asyncio.gather(
                *(tg.bot_messages(r, wait_for=2, timeout=WAIT) for r in newcomers)
            )
            for reader, messages in zip(newcomers, got, strict=True):
                assert len(messages) == 2, (reader, [m.get("text") for m in messages])
                assert messages[0]["html"] != welcome, reader  # the greeting came first
                assert messages[1]["html"] == welcome, (reader, messages[1].get("text"))
            lap("20 newcomers in order")

            # 4. SIGTERM: both stop cleanly.
            codes = await asyncio.gather(*(p.terminate() for p in processes))
            assert codes == [0, 0], [p.text()[-3000:] for p in processes]
            lap("both stopped")
        finally:
            for process in processes:
                await process.aclose()
            await db.dispose()
    for process in [*processes, push]:
        logs = process.text()
        assert TOKEN not in logs
        assert SECRET not in logs
        assert "Traceback" not in logs
    for process in processes:
        assert "newsbot stopped" in process.text()
    print(f"\nbalancer split {balancer.sent}; timings (s from the start) {timings}")
