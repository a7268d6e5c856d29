"""Delivery throughput: one article to N readers through the outbox, measured end to end.

The Bot API sandbox runs in its own process (in the same event loop PTB's httpx client is far
slower, see DESIGN.md) with its rate limits off, so the figure is newsbot's own ceiling: claiming
rows, sending through PTB with AIORateLimiter's overall limit lifted, recording outcomes.
With Telegram's real limits (30 messages/s) delivery time is N/30 seconds whatever this says.

    .venv/bin/python benchmarks/delivery_throughput.py --readers 2000 [--database URL]

``--database`` must name an empty database: newsbot's tables are created there, and a database
that already has readers is refused.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select
from telegram.ext import AIORateLimiter, ApplicationBuilder

from bot.article import ArticleDraft
from bot.config import EditionConfig
from bot.services.articles import store_drafts
from bot.services.editions import default_edition_id, ensure_editions
from bot.services.routing import enqueue
from bot.services.subscriptions import follow_many
from bot.storage.db import Database
from bot.storage.models import Subscriber, utcnow
from jobs.deliver import Outbox

TOKEN = "424242:AAbenchmark-token-xxxxxxxxxxxxxxxxxxx"


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox",
            "--port",
            "0",
            "--no-limits",
            "--log-level",
            "WARNING",
            "--channel",
            "bench",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("TELEGRAM_API_URL="):
            return process, line.split("=", 1)[1].strip()
    raise RuntimeError("the sandbox did not start")


async def make_readers(url: str, count: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        limit = asyncio.Semaphore(32)

        async def one(user_id: int) -> None:
            async with limit:
                response = await client.post(
                    f"/control/users/{user_id}/messages", json={"text": "/start"}
                )
                response.raise_for_status()

        await asyncio.gather(*(one(10_000 + n) for n in range(count)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", help="default: a temporary SQLite file")
    args = parser.parse_args()

    process, url = start_sandbox()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(args.database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}")
            await db.migrate()
            async with db.session() as session:
                if await session.scalar(select(func.count()).select_from(Subscriber)):
                    raise SystemExit("benchmark: --database must be an empty database")
            await make_readers(url, args.readers)
            now = utcnow()
            async with db.session() as session, session.begin():
                await session.execute(
                    insert(Subscriber),
                    [
                        {
                            "chat_id": 10_000 + n,
                            "subscribed": True,
                            "active": True,
                            "started_at": now,
                            "subscribed_at": now,
                        }
                        for n in range(args.readers)
                    ],
                )
                await follow_many(
                    session,
                    [10_000 + n for n in range(args.readers)],
                    await default_edition_id(session),
                )
                draft = ArticleDraft(
                    key="bench",
                    title="Benchmark",
                    summary="One article.",
                    link="https://bench.example/1",
                )
                stored = await store_drafts(
                    session, [draft], source="push", feed_id=None, publish=True
                )
                await ensure_editions(session, [EditionConfig("en", "@bench")])
                queued = await enqueue(session, stored.published[0])

            limiter = AIORateLimiter(overall_max_rate=0, group_max_rate=0)
            app = (
                ApplicationBuilder()
                .token(TOKEN)
                .base_url(f"{url}/bot")
                .rate_limiter(limiter)
                .build()
            )
            async with app:
                outbox = Outbox(db, concurrency=args.concurrency)
                started = time.perf_counter()
                report = await outbox.drain(app.bot)
                elapsed = time.perf_counter() - started
            await db.dispose()
    finally:
        process.terminate()
        process.wait(timeout=10)

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database        {db.dialect}")
    print(f"deliveries      {queued} queued, {report.sent} sent, {dict(report.counts)}")
    print(f"elapsed         {elapsed:.2f} s")
    print(
        f"throughput      {report.sent / elapsed:.0f} messages/s (concurrency {args.concurrency})"
    )
    print(f"peak RSS        {rss_mb:.0f} MiB (this process)")


if __name__ == "__main__":
    asyncio.run(main())
