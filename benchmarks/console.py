"""The console's pages with a publisher's worth of rows: each page's time to answer, over HTTP.

    .venv/bin/python benchmarks/console.py [--database URL] [--readers 100000] [--repeat 20]
        [--json]

A fresh database (a SQLite file in a temporary directory by default; ``--database`` names an
empty PostgreSQL database, in which the run makes a schema of its own and drops it after) is
filled in bulk (Core ``executemany``, no ORM objects) with what a publisher has after three
months:

- two editions (``en``, ``hi``), 20 feeds (10 each, two of them failing), 10 campaigns;
- ``--readers`` readers (100,000) who opened the bot over the last 90 days, more of them
  lately: most subscribed (to ``en``, ``hi`` or both), some never did, some left, some are
  unreachable; six in ten came through a campaign;
- ``--articles`` articles (2,000, published over the 90 days, one send each) and three
  deliveries per reader (300,000: sent, a few failed, a few pending), and a channel post each.

PostgreSQL is then vacuumed and analysed, as its autovacuum would after such inserts; SQLite
is left without statistics, as newsbot runs it (it never runs ``ANALYZE``). The console is
then served as ``newsbot run`` serves it (``ConsoleServer`` running
``console_app(ConsoleState(core))`` with uvicorn, in this process's loop), an editor logs in
through a one-time link, and each page is requested once to warm up and then ``--repeat`` times
(20) over real HTTP with httpx, one request at a time. The table gives each page's first
request (the dashboard's reads the database; the next ones in 30 s reuse its figures), then
p50, p95 and the slowest of the timed ones, beside the target (p95 under 100 ms with 100,000
readers); a page that answers anything but 200 is reported with its status and fails. The
exit status is 0 unless something crashed: this is a measurement, not a test. The machine may
be shared; the load is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file, from anywhere
    sys.path.insert(0, str(ROOT))

#: A page's p95 must be under this with 100,000 readers.
TARGET_MS = 100.0
EDITOR = 4242
EDITIONS = "en=@bench_en,hi=@bench_hi"
DAYS = 90
FEEDS = 20
CAMPAIGNS = [f"poster-{n}" for n in range(1, 11)]
FIRST_READER = 1_000_000
CHUNK = 10_000

# --------------------------------------------------------------------------------------------
# The adapter: every call into newsbot is in this section.
# --------------------------------------------------------------------------------------------


def _database(url: str, schema: str | None) -> Any:
    from bot.storage.db import Database

    if schema:
        return Database(url, connect_args={"server_settings": {"search_path": schema}})
    return Database(url)


@dataclass(frozen=True)
class Scale:
    readers: int
    articles: int
    deliveries: int


@dataclass
class Seeded:
    """What the pages are asked about: a published article, a campaign with readers."""

    article_id: int
    campaign: str
    rows: dict[str, int] = field(default_factory=dict)


async def _insert(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(table), rows[start : start + CHUNK])


def _feeds(edition_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for n in range(FEEDS):
        failing = n in (3, 14)
        rows.append(
            {
                "id": n + 1,
                "url": f"https://news.example/{n + 1}/feed.xml",
                "title": f"Desk {n + 1}",
                "edition_id": edition_ids[n % 2],
                "active": n != 14,
                "primed": True,
                "last_polled_at": now - timedelta(minutes=3),
                "last_success_at": now - (timedelta(days=2) if failing else timedelta(minutes=3)),
                "error_count": 7 if failing else 0,
                "last_error": "HTTP 503 from the server" if failing else None,
                "paused_reason": "failures" if n == 14 else None,
                "created_at": now - timedelta(days=DAYS + 1),
            }
        )
    return rows


def _readers(scale: Scale, now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """Readers who opened the bot over :data:`DAYS` days (more lately), and what became of
    them: 78% subscribed, 8% never subscribed, 9% left, 5% unreachable."""
    rows = []
    span = DAYS * 86400
    for n in range(scale.readers):
        started = now - timedelta(seconds=span * (1 - rng.random() ** 0.7) + 60)
        fate = rng.random()
        subscribed_at = started + timedelta(seconds=rng.randint(5, 600)) if fate >= 0.08 else None
        row: dict[str, Any] = {
            "chat_id": FIRST_READER + n,
            "first_name": f"Reader {n}",
            "language": "hi" if n % 3 == 0 else "en",
            "campaign": rng.choice(CAMPAIGNS) if rng.random() < 0.6 else None,
            "started_at": started,
            "subscribed_at": subscribed_at,
            "subscribed": subscribed_at is not None and not 0.08 <= fate < 0.17,
            "active": fate < 0.95,
        }
        later = subscribed_at + (now - subscribed_at) * rng.random() if subscribed_at else None
        if 0.08 <= fate < 0.17:
            row["unsubscribed_at"] = later
        if fate >= 0.95:
            row["inactive_since"] = later
            row["inactive_reason"] = "blocked"
        rows.append(row)
    return rows


def _subscriptions(readers: list[dict[str, Any]], editions: list[int]) -> list[dict[str, Any]]:
    """Subscribed readers follow ``en`` (60%), ``hi`` (25%) or both."""
    rows = []
    for n, reader in enumerate(readers):
        if not reader["subscribed"]:
            continue
        share = n % 20
        chosen = [editions[0]] if share < 12 else [editions[1]] if share < 17 else editions
        for edition_id in chosen:
            rows.append(
                {
                    "chat_id": reader["chat_id"],
                    "edition_id": edition_id,
                    "mode": "digest" if n % 10 == 0 else "instant",
                    "created_at": reader["subscribed_at"],
                }
            )
    return rows


def _articles(scale: Scale, now: datetime, editions: list[int]) -> list[dict[str, Any]]:
    rows = []
    for n in range(scale.articles):
        published = now - timedelta(seconds=DAYS * 86400 * (n + 0.5) / scale.articles)
        feed = n % FEEDS + 1
        status = "published" if n % 25 else "seen"
        rows.append(
            {
                "id": n + 1,
                "feed_id": feed,
                "edition_id": editions[(feed - 1) % 2],
                "identity": uuid.UUID(int=n + 1).hex * 2,
                "key": f"https://news.example/{feed}/story-{n + 1}",
                "origin": "feed",
                "status": status,
                "title": f"Story {n + 1}: what the council decided",
                "summary": "The council met on Tuesday and decided to rebuild the bridge.",
                "link": f"https://news.example/{feed}/story-{n + 1}",
                "post_html": f"<b>Story {n + 1}</b>\nThe council decided.",
                "post_style": "text",
                "published_at": published if status == "published" else None,
                "created_at": published,
            }
        )
    return rows


def _sends(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": article["id"],
            "article_id": article["id"],
            "edition_id": article["edition_id"],
            "status": "done",
            "created_at": article["published_at"],
            "queued_at": article["published_at"],
            "finished_at": article["published_at"] + timedelta(minutes=5),
        }
        for article in articles
        if article["status"] == "published"
    ]


def _deliveries(
    scale: Scale, articles: list[dict[str, Any]], rng: random.Random
) -> list[dict[str, Any]]:
    """Each published article to its channel and to a share of the readers (unique pairs):
    94% sent, 4% failed, 2% pending."""
    published = [a for a in articles if a["status"] == "published"]
    if not published:
        return []
    per_article = min(scale.readers, math.ceil(scale.deliveries / len(published)))
    rows: list[dict[str, Any]] = []
    for index, article in enumerate(published):
        at = article["published_at"]
        channel = "@bench_en" if article["edition_id"] % 2 else "@bench_hi"
        rows.append(_delivery(article, channel, "channel", "sent", at))
        offset = index * 7919 % scale.readers
        for k in range(per_article):
            if len(rows) >= scale.deliveries + len(published):
                break
            chat = str(FIRST_READER + (offset + k) % scale.readers)
            draw = rng.random()
            status = "sent" if draw < 0.94 else "failed" if draw < 0.98 else "pending"
            rows.append(_delivery(article, chat, "reader", status, at + timedelta(seconds=k / 30)))
    return rows


def _delivery(
    article: dict[str, Any], chat: str, kind: str, status: str, at: datetime
) -> dict[str, Any]:
    return {
        "article_id": article["id"],
        "send_id": article["id"],
        "chat": chat,
        "kind": kind,
        "status": status,
        "attempts": 1 if status != "pending" else 0,
        "claimed_at": at if status != "pending" else None,
        "next_attempt_at": at,
        "created_at": article["published_at"],
        "sent_at": at if status == "sent" else None,
        "message_id": 1 if status == "sent" else None,
        "reason": "blocked" if status == "failed" else None,
        "error": "Forbidden: bot was blocked by the user" if status == "failed" else None,
    }


async def seed(url: str, schema: str | None, scale: Scale) -> Seeded:
    """Migrate the empty database and fill it (see the module's docstring)."""
    from bot.config import EditionConfig
    from bot.services.editions import ensure_editions
    from bot.storage import models
    from bot.storage.models import utcnow

    rng = random.Random(20261204)
    now = utcnow()
    db = _database(url, schema)
    try:
        await db.migrate()
        async with db.writing() as session:
            editions = await ensure_editions(
                session, [EditionConfig("en", "@bench_en"), EditionConfig("hi", "@bench_hi")]
            )
            edition_ids = [edition.id for edition in editions.all]
            readers = _readers(scale, now, rng)
            articles = _articles(scale, now, edition_ids)
            published = [a for a in articles if a["status"] == "published"]
            tables: list[tuple[Any, list[dict[str, Any]]]] = [
                (
                    models.Campaign,
                    [{"name": name, "label": f"Poster {name}"} for name in CAMPAIGNS],
                ),
                (models.Feed, _feeds(edition_ids, now)),
                (models.Subscriber, readers),
                (models.Subscription, _subscriptions(readers, edition_ids)),
                (models.Article, articles),
                (models.Send, _sends(published)),
                (models.Delivery, _deliveries(scale, articles, rng)),
            ]
            counts: dict[str, int] = {}
            for table, rows in tables:
                await _insert(session, table, rows)
                counts[table.__tablename__] = len(rows)
            if db.dialect == "postgresql":  # the rows were given their ids: move the sequences
                for table in ("feeds", "articles", "sends"):
                    await session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                            f" (SELECT max(id) FROM {table}))"
                        )
                    )
        if db.dialect == "postgresql":  # what autovacuum does after such inserts
            async with db.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
        article_id = published[len(published) // 2]["id"] if published else 1
        return Seeded(article_id, CAMPAIGNS[0], counts)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def served(url: str, schema: str | None) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The console over the seeded database, and an httpx client logged in to it."""
    from bot.config import load_settings
    from bot.console.app import console_app
    from bot.console.server import ConsoleServer
    from bot.console.web import ConsoleState
    from bot.core import Core
    from bot.services.console_auth import issue_login

    settings = load_settings(
        None,
        database_url=url,
        editions=EDITIONS,
        editor_ids=[EDITOR],
        feeds=[],
        parse_workers=0,
        timezone="Asia/Kolkata",
    )
    core = Core(settings, database=_database(url, schema))
    await core.open()
    state = ConsoleState(core, bot_username="bench_bot")
    server = ConsoleServer(console_app(state))
    await server.start("127.0.0.1", 0)
    state.served_at = ("127.0.0.1", server.port)
    try:
        async with httpx.AsyncClient(base_url=state.base_url, timeout=60) as client:
            token = await issue_login(core.db, EDITOR, "Bench")
            answer = await client.get(f"/login/{token}")
            if answer.status_code != 303:
                raise RuntimeError(f"the login link answered {answer.status_code}")
            yield state.base_url, client
    finally:
        await server.stop()
        await core.aclose()


# --------------------------------------------------------------------------------------------
# The measurement and the report
# --------------------------------------------------------------------------------------------


@dataclass
class PageTiming:
    page: str
    path: str
    statuses: dict[str, int] = field(default_factory=dict)
    took_ms: list[float] = field(default_factory=list)
    bytes: int = 0
    #: the first request's time (the dashboard's reads the database; later ones within
    #: FIGURES_SECONDS reuse its figures).
    first_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return set(self.statuses) == {"200"}

    def percentile(self, q: float) -> float:
        if not self.took_ms:
            return 0.0
        ordered = sorted(self.took_ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    @property
    def passed(self) -> bool:
        return self.ok and self.percentile(0.95) < TARGET_MS


def pages(seeded: Seeded) -> list[tuple[str, str]]:
    """Each page the run asks for, and its address."""
    return [
        ("dashboard", "/"),
        ("dashboard 90d", "/?period=90d"),
        ("articles", "/articles"),
        ("article", f"/articles/{seeded.article_id}"),
        ("feeds", "/feeds"),
        ("campaigns", "/campaigns"),
        ("campaign", f"/campaigns/{seeded.campaign}"),
    ]


async def measure(url: str, schema: str | None, seeded: Seeded, repeat: int) -> list[PageTiming]:
    timings = [PageTiming(name, path) for name, path in pages(seeded)]
    async with served(url, schema) as (_, client):
        for timing in timings:
            started = time.perf_counter()
            await client.get(timing.path)  # warm-up: templates compiled, plans cached
            timing.first_ms = (time.perf_counter() - started) * 1000
            for _ in range(repeat):
                started = time.perf_counter()
                answer = await client.get(timing.path)
                timing.took_ms.append((time.perf_counter() - started) * 1000)
                key = str(answer.status_code)
                timing.statuses[key] = timing.statuses.get(key, 0) + 1
                timing.bytes = len(answer.content)
    return timings


def report(timings: list[PageTiming], setup: dict[str, Any]) -> str:
    lines = [
        "console pages over HTTP: " + ", ".join(f"{key} {value}" for key, value in setup.items()),
        "",
        f"| {'page':<14} | {'address':<26} | {'status':<8} | {'KB':>5} | {'first ms':>8} "
        f"| {'p50 ms':>7} "
        f"| {'p95 ms':>7} | {'max ms':>7} | {'target':<12} | verdict |",
    ]
    lines.append("|" + "|".join("-" * len(c) for c in lines[-1].split("|")[1:-1]) + "|")
    for t in timings:
        status = ",".join(sorted(t.statuses))
        verdict = "pass" if t.passed else "MISSED" if t.ok else f"HTTP {status}"
        lines.append(
            f"| {t.page:<14} | {t.path[:26]:<26} | {status:<8} | {t.bytes / 1024:>5.0f} "
            f"| {t.first_ms:>8.1f} | {t.percentile(0.5):>7.1f} | {t.percentile(0.95):>7.1f} "
            f"| {max(t.took_ms):>7.1f} "
            f"| {f'p95 < {TARGET_MS:g} ms':<12} | {verdict:<7} |"
        )
    return "\n".join(lines)


async def _postgres(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_database(database: str | None, tmp: Path) -> Iterator[tuple[str, str | None]]:
    """A SQLite file in ``tmp``, or a schema of its own in PostgreSQL ``database``, dropped
    after."""
    if database is None or database.startswith("sqlite"):
        path = Path(database.split("///", 1)[1]) if database else tmp / "console.sqlite3"
        if path.exists():
            raise SystemExit(f"console: {path} exists; name a file that does not")
        try:
            yield f"sqlite+aiosqlite:///{path}", None
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
        return
    schema = f"console_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_postgres(database, f'CREATE SCHEMA "{schema}"'))
    try:
        yield database, schema
    finally:
        asyncio.run(_postgres(database, f'DROP SCHEMA "{schema}" CASCADE'))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="an empty PostgreSQL database, or a SQLite file path")
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--articles", type=int, help="default: readers / 50, at most 2,000")
    parser.add_argument("--deliveries", type=int, help="default: three per reader")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    if args.readers < 1 or args.repeat < 1:
        parser.error("--readers and --repeat must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    scale = Scale(
        readers=args.readers,
        articles=args.articles or min(2000, max(10, args.readers // 50)),
        deliveries=args.deliveries if args.deliveries is not None else 3 * args.readers,
    )
    setup: dict[str, Any] = {
        "database": "PostgreSQL" if (args.database or "").startswith("postgres") else "SQLite",
        "readers": scale.readers,
        "articles": scale.articles,
        "repeat": args.repeat,
        "cpus": len(os.sched_getaffinity(0)),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }
    with tempfile.TemporaryDirectory() as tmp, fresh_database(args.database, Path(tmp)) as db:
        url, schema = db
        started = time.perf_counter()
        seeded = asyncio.run(seed(url, schema, scale))
        setup["seeded"] = f"{time.perf_counter() - started:.1f} s"
        print(f"seeded {seeded.rows} in {setup['seeded']}", file=sys.stderr, flush=True)
        timings = asyncio.run(measure(url, schema, seeded, args.repeat))
    setup["load after"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    table = report(timings, setup)
    print(table, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        figures = {
            "setup": setup,
            "rows": seeded.rows,
            "pages": [
                asdict(t)
                | {
                    "first_ms": t.first_ms,
                    "p50_ms": t.percentile(0.5),
                    "p95_ms": t.percentile(0.95),
                    "max_ms": max(t.took_ms),
                    "passed": t.passed,
                }
                for t in timings
            ],
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
