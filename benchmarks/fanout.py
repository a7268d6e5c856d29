"""Fan-out: one article to many readers through newsbot's outbox, at Telegram's limits.

    .venv/bin/python benchmarks/fanout.py [--database URL] [--readers 10000]
        [--fanout-readers 100000] [--free-seconds 30] [--latency MS] [--concurrency N]
        [--skip-100k] [--json]

Three phases, each in a fresh process of its own (so that peak RSS does not mix), each against a
fresh Bot API sandbox in yet another process (``python -m bot.sandbox``; in one event loop PTB
and the sandbox slow each other down), with ``--latency`` ms (default 50) injected into every
Bot API call and the sandbox's rate limits on at Telegram's values (30 messages/s overall, one
a second per private chat without burst, the paid lane's 1000/s):

- ``free``: ``PAID_BROADCAST=false``, stopped (``Outbox.stop``) after ``--free-seconds``;
  enough readers are queued that the outbox never runs dry;
- ``paid``: ``PAID_BROADCAST=true``, ``--readers`` readers, drained to the end;
- ``100k``: ``PAID_BROADCAST=true``, ``--fanout-readers`` readers: time to queue (routing's
  ``enqueue``), time to send (``Outbox.drain``), peak RSS.

The parent process seeds each phase (the sandbox's readers through its control API; the
database's subscribers, their subscriptions and one published article), so the measured process
only does what newsbot does: ``build_application(settings)`` (the aiohttp request and
``NewsbotRateLimiter``), ``enqueue`` in one write transaction, ``Outbox(db, concurrency=…,
paid=…).drain(app.bot)``. Its peak RSS (``VmHWM``) is of that process alone, imports
included (the RSS after imports is printed beside it).

Send latency is timed per HTTP request, around the bot request's ``do_request`` (the round
trip: connection pool, network, the sandbox's 50 ms), and, apart, around ``Outbox.send`` (the
rate limiter's wait included). 429s are counted in the sandbox's request log, and
cross-checked with the statuses ``do_request`` saw. Messages/s: the messages answered 200 in
the measured window over its length; "steady" leaves out the first seconds (the buckets start
full: Telegram's 30-message burst would otherwise count as speed).

``--database`` is an empty PostgreSQL database (each phase makes a schema of its own there and
drops it after) or a SQLite file path (each phase uses ``<stem>-<phase>.sqlite3`` next to it);
the default is SQLite files in a temporary directory. The exit status is 0 unless something
crashed: this is a measurement, not a test. The machine may be shared; the load is printed.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

# --------------------------------------------------------------------------------------------
# The adapter: every call into newsbot is in this section.
# --------------------------------------------------------------------------------------------

TOKEN = "424242:AAbenchmark-token-xxxxxxxxxxxxxxxxxxx"
CHANNEL = "bench"
FIRST_READER = 10_000
#: Telegram's limits, as the sandbox enforces them during every phase.
LIMITS: dict[str, float | int | bool] = {
    "enabled": True,
    "overall_per_second": 30,
    "overall_burst": 30,
    "private_per_second": 1,
    "private_burst": 1,
    "paid_per_second": 1000,
}
SEND_METHODS = ("sendMessage", "sendPhoto")


def _database(url: str, schema: str | None) -> Any:
    from bot.storage.db import Database

    if schema:
        return Database(url, connect_args={"server_settings": {"search_path": schema}})
    return Database(url)


async def seed_database(url: str, schema: str | None, readers: int) -> None:
    """Migrate; ``readers`` subscribed readers following the default edition; one published
    article of edition ``en`` (channel ``@bench``), not yet queued."""
    from bot.article import ArticleDraft
    from bot.config import EditionConfig
    from bot.services.articles import store_drafts
    from bot.services.editions import default_edition_id, ensure_editions
    from bot.services.subscriptions import follow_many
    from bot.storage.models import Subscriber, utcnow

    db = _database(url, schema)
    try:
        await db.migrate()
        now = utcnow()
        async with db.writing() as session:
            if await session.scalar(select(Subscriber.chat_id).limit(1)) is not None:
                raise SystemExit("fanout: --database must be an empty database")
            await ensure_editions(session, [EditionConfig("en", f"@{CHANNEL}")])
            chat_ids = [FIRST_READER + n for n in range(readers)]
            for start in range(0, readers, 10_000):
                chunk = chat_ids[start : start + 10_000]
                await session.execute(
                    insert(Subscriber),
                    [
                        {
                            "chat_id": chat_id,
                            "subscribed": True,
                            "active": True,
                            "started_at": now,
                            "subscribed_at": now,
                        }
                        for chat_id in chunk
                    ],
                )
                await follow_many(session, list(chunk), await default_edition_id(session))
            draft = ArticleDraft(
                key="bench",
                title="Benchmark",
                summary="One article to every reader.",
                link="https://bench.example/1",
            )
            await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
    finally:
        await db.dispose()


class Timing:
    """Per send request: when it ended (epoch s), how long it took (s), its HTTP status."""

    def __init__(self) -> None:
        self.ended = array.array("d")
        self.took = array.array("d")
        self.status = array.array("h")
        self.send_took = array.array("d")  # Outbox.send: the rate limiter's wait included
        self.errors = 0  # do_request raised (no status)


def instrument(request: Any, timing: Timing) -> None:
    """Time every send through ``request.do_request`` (PTB's one seam under the request)."""
    original = request.do_request

    async def do_request(url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            code, payload = await original(url, method, *args, **kwargs)
        except Exception:
            if url.endswith(SEND_METHODS):
                timing.errors += 1
            raise
        if url.endswith(SEND_METHODS):
            timing.took.append(time.perf_counter() - started)
            timing.ended.append(time.time())
            timing.status.append(code)
        return code, payload

    request.do_request = do_request


async def run_child(options: ChildOptions) -> dict[str, Any]:
    """One measured phase: build the app, enqueue the article, drain the outbox."""
    from bot.app import build_application
    from bot.config import load_settings
    from bot.services.routing import enqueue
    from bot.storage.models import Article
    from jobs.deliver import Outbox

    rss_start = _rss_now_mb()
    timing = Timing()

    class TimedOutbox(Outbox):
        async def send(self, bot: Any, item: Any) -> Any:
            started = time.perf_counter()
            try:
                return await super().send(bot, item)
            finally:
                timing.send_took.append(time.perf_counter() - started)

    settings = load_settings(
        None,
        telegram_bot_token=TOKEN,
        telegram_api_url=options.url,
        database_url=options.database,
        paid_broadcast=options.paid,
        send_concurrency=options.concurrency,
    )
    concurrency = settings.outbox_concurrency
    db = _database(options.database, options.schema)
    app = build_application(settings)
    instrument(app.bot.request, timing)
    cpu_start = time.process_time()
    try:
        async with app:
            async with db.session() as session:
                article = (await session.scalars(select(Article))).one()
            started = time.perf_counter()
            async with db.writing() as session:
                queued = await enqueue(session, article)
            queue_s = time.perf_counter() - started
            outbox = TimedOutbox(db, concurrency=concurrency, paid=settings.paid_broadcast)
            loop = asyncio.get_running_loop()
            if options.stop_after:
                loop.call_later(options.stop_after, outbox.stop)
            trace: list[tuple[float, int, float]] = []  # (s into the drain, sent, RSS MB)
            sampler = asyncio.create_task(_sample_rss(trace, timing))
            profiler = cProfile.Profile() if options.profile else None
            t0 = time.time()
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            report = await outbox.drain(app.bot)
            if profiler:
                profiler.disable()
            send_s = time.perf_counter() - started
            sampler.cancel()
            # Before this process builds its figures' lists: those are the benchmark's.
            peak_rss = _peak_rss_mb()
            if profiler:
                _print_profile(profiler, options.phase)
    finally:
        await db.dispose()
    return {
        "concurrency": concurrency,
        "queued": queued,
        "queue_s": queue_s,
        "send_s": send_s,
        "counts": report.counts,
        "sent": report.sent,
        "t0": t0,
        "ended": list(timing.ended),
        "took": list(timing.took),
        "status": list(timing.status),
        "send_took": list(timing.send_took),
        "request_errors": timing.errors,
        "cpu_s": time.process_time() - cpu_start,
        "rss_start_mb": rss_start,
        "rss_trace": trace,
        "peak_rss_mb": peak_rss,
    }


# --------------------------------------------------------------------------------------------
# The phases, the sandbox, the report
# --------------------------------------------------------------------------------------------


@dataclass
class ChildOptions:
    phase: str
    url: str
    database: str
    schema: str | None
    paid: bool
    concurrency: int
    stop_after: float | None
    profile: bool = False


@dataclass
class Phase:
    name: str
    readers: int
    paid: bool
    stop_after: float | None = None


@dataclass
class Result:
    phase: str
    readers: int
    paid: bool
    concurrency: int = 0
    queued: int = 0
    queue_s: float = 0.0
    send_s: float = 0.0
    window_s: float = 0.0
    sent: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    per_second: float = 0.0
    steady_per_second: float = 0.0
    http_p50_ms: float = 0.0
    http_p99_ms: float = 0.0
    send_p50_ms: float = 0.0
    send_p99_ms: float = 0.0
    sandbox_statuses: dict[str, int] = field(default_factory=dict)
    client_statuses: dict[str, int] = field(default_factory=dict)
    too_many: int = 0
    cpu_s: float = 0.0
    sandbox_cpu_s: float = 0.0
    rss_start_mb: float = 0.0
    peak_rss_mb: float = 0.0
    seed_s: float = 0.0
    limits: dict[str, Any] = field(default_factory=dict)
    floods: list[str] = field(default_factory=list)
    rss_trace: list[list[float]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _print_profile(profiler: cProfile.Profile, phase: str) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(35)
        print(f"--- {phase}: Outbox.drain, by {order} ---", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)


async def _sample_rss(trace: list[tuple[float, int, float]], timing: Timing) -> None:
    """Every 2 s: how long the drain has run, how many sends were answered, the RSS."""
    started = time.perf_counter()
    while True:
        trace.append((round(time.perf_counter() - started, 1), len(timing.took), _rss_now_mb()))
        await asyncio.sleep(2)


def _rss_now_mb() -> float:
    return _proc_status_mb("VmRSS:")


def _peak_rss_mb() -> float:
    """This process's peak RSS: the kernel's high-water mark of its own memory (VmHWM).

    Not ``getrusage``'s ``ru_maxrss``: when the parent starts this process with vfork (as
    ``subprocess`` does), the kernel carries the parent's peak over into it at the exec, so a
    parent that seeded 100,000 readers made the child's figure its own.
    """
    return _proc_status_mb("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _proc_status_mb(key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@contextlib.contextmanager
def sandbox() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A Bot API sandbox in its own process, limits on; yields it and its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.sandbox",
            "--port=0",
            "--log-level=WARNING",
            f"--channel={CHANNEL}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("TELEGRAM_API_URL="):
                yield process, line.split("=", 1)[1].strip()
                break
        else:
            raise RuntimeError(f"the sandbox did not start (exit {process.wait()})")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


async def prepare_sandbox(url: str, readers: int, latency_ms: float) -> dict[str, Any]:
    """Readers 10000… write /start; Telegram's limits and the latency are set."""
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(url, connector=connector) as http:
        limit = asyncio.Semaphore(64)

        async def start(user_id: int) -> None:
            async with (
                limit,
                http.post(
                    f"/control/users/{user_id}/messages", json={"text": "/start"}
                ) as response,
            ):
                response.raise_for_status()

        await asyncio.gather(*(start(FIRST_READER + n) for n in range(readers)))
        async with http.post("/control/limits", json={}) as response:
            known = (await response.json())["limits"]
        # A sandbox without the paid lane is told the rest (and the report says so).
        wanted = {key: value for key, value in LIMITS.items() if key in known}
        async with http.post("/control/limits", json=wanted) as response:
            body = await response.json()
            if response.status != 200:
                raise RuntimeError(f"the sandbox refused the limits: {body}")
            limits: dict[str, Any] = body["limits"]
        async with http.post("/control/faults", json={"latency_ms": latency_ms}) as response:
            response.raise_for_status()
    return limits


async def sandbox_statuses(url: str) -> tuple[dict[str, int], list[str]]:
    """The statuses the sandbox answered to the sends, from its request log, and the first
    few 429s (chat, description)."""
    statuses: dict[str, int] = {}
    floods: list[str] = []
    async with aiohttp.ClientSession(url) as http:
        for method in SEND_METHODS:
            async with http.get("/control/requests", params={"method": method}) as response:
                response.raise_for_status()
                answer = await response.json()
                for count in answer["counts"]:  # the log itself keeps only the last 100,000
                    key = str(count["status"])
                    statuses[key] = statuses.get(key, 0) + count["count"]
                for record in answer["requests"]:
                    if record["status"] == 429 and len(floods) < 5:
                        floods.append(f"{record['chat_id']}: {record['description']}")
    return statuses, floods


async def _postgres(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def phase_database(database: str | None, tmp: Path, phase: str) -> Iterator[tuple[str, str | None]]:
    """A fresh database for one phase: a SQLite file, or a PostgreSQL schema dropped after."""
    if database is None or database.startswith("sqlite"):
        base = Path(database.split("///", 1)[1]) if database else tmp / "fanout.sqlite3"
        path = base.with_name(f"{base.stem}-{phase}.sqlite3")
        if path.exists():
            raise SystemExit(f"fanout: {path} exists; name a file that does not")
        try:
            yield f"sqlite+aiosqlite:///{path}", None
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
        return
    schema = f"fanout_{phase}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_postgres(database, f'CREATE SCHEMA "{schema}"'))
    try:
        yield database, schema
    finally:
        asyncio.run(_postgres(database, f'DROP SCHEMA "{schema}" CASCADE'))


def run_phase(phase: Phase, args: argparse.Namespace, tmp: Path) -> Result:
    result = Result(phase.name, phase.readers, phase.paid)
    with (
        phase_database(args.database, tmp, phase.name) as (url, schema),
        sandbox() as (
            process,
            api,
        ),
    ):
        started = time.perf_counter()
        asyncio.run(seed_database(url, schema, phase.readers))
        result.limits = asyncio.run(prepare_sandbox(api, phase.readers, args.latency))
        result.seed_s = time.perf_counter() - started
        child = ChildOptions(
            phase.name,
            api,
            url,
            schema,
            phase.paid,
            args.concurrency,
            phase.stop_after,
            profile=phase.name in (args.profile or ()),
        )
        cpu = _cpu_s(process.pid)
        completed = subprocess.run(
            [sys.executable, __file__, "--child", json.dumps(asdict(child))],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        result.sandbox_cpu_s = _cpu_s(process.pid) - cpu
        lines = [x for x in completed.stdout.splitlines() if x.startswith("RESULT=")]
        if not lines:
            raise RuntimeError(f"phase {phase.name} crashed (exit {completed.returncode})")
        figures = json.loads(lines[-1].removeprefix("RESULT="))
        result.sandbox_statuses, result.floods = asyncio.run(sandbox_statuses(api))
    _judge(result, figures, phase)
    if phase.paid and "paid_per_second" not in result.limits:
        result.problems.append("the sandbox has no paid lane: paid messages were not limited")
    return result


def _judge(result: Result, figures: dict[str, Any], phase: Phase) -> None:
    for key in ("concurrency", "queued", "queue_s", "send_s", "sent", "counts", "cpu_s"):
        setattr(result, key, figures[key])
    result.rss_start_mb = figures["rss_start_mb"]
    result.peak_rss_mb = figures["peak_rss_mb"]
    result.rss_trace = figures["rss_trace"]
    t0, ended, status = figures["t0"], figures["ended"], figures["status"]
    ok = sorted(end - t0 for end, code in zip(ended, status, strict=True) if code == 200)
    window = phase.stop_after or (ok[-1] if ok else 0.0)
    result.window_s = window
    in_window = [t for t in ok if t <= window]
    result.per_second = len(in_window) / window if window else 0.0
    skip = min(2.0, window / 4)
    steady = [t for t in in_window if t > skip]
    result.steady_per_second = len(steady) / (window - skip) if window > skip else 0.0
    result.http_p50_ms = _percentile(figures["took"], 0.50) * 1000
    result.http_p99_ms = _percentile(figures["took"], 0.99) * 1000
    result.send_p50_ms = _percentile(figures["send_took"], 0.50) * 1000
    result.send_p99_ms = _percentile(figures["send_took"], 0.99) * 1000
    for code in status:
        result.client_statuses[str(code)] = result.client_statuses.get(str(code), 0) + 1
    if figures["request_errors"]:
        result.client_statuses["no answer"] = figures["request_errors"]
    result.too_many = result.sandbox_statuses.get("429", 0)
    if result.client_statuses.get("429", 0) != result.too_many:
        result.problems.append(
            f"429s: the sandbox logged {result.too_many}, the bot saw "
            f"{result.client_statuses.get('429', 0)}"
        )
    if result.sandbox_statuses.get("200", 0) != result.sent:
        result.problems.append(
            f"sent: the outbox recorded {result.sent}, the sandbox answered "
            f"{result.sandbox_statuses.get('200', 0)} with 200"
        )
    if phase.stop_after is None and result.sent != result.queued:
        result.problems.append(f"queued {result.queued}, sent {result.sent}: {result.counts}")


def _phases(args: argparse.Namespace) -> list[Phase]:
    # Enough readers that the free phase never runs dry: its window at 30/s, its burst, a third.
    free_readers = math.ceil(args.free_seconds * 30 * 1.3) + 60
    phases = [
        Phase("free", free_readers, paid=False, stop_after=args.free_seconds),
        Phase("paid", args.readers, paid=True),
    ]
    if not args.skip_100k:
        phases.append(Phase("100k", args.fanout_readers, paid=True))
    return phases


def _targets(results: dict[str, Result], free_seconds: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def row(phase: str, name: str, value: str, target: str, passed: bool | None) -> None:
        rows.append(
            {"phase": phase, "figure": name, "value": value, "target": target, "pass": passed}
        )

    free = results.get("free")
    if free:
        ratio = free.steady_per_second / 30
        row("free", "messages/s (steady)", f"{free.steady_per_second:.1f}", "", None)
        row("free", "ratio to 30/s", f"{ratio:.1%}", "≥ 97%", ratio >= 0.97)
        row(
            "free",
            f"messages/s (whole {free_seconds:g} s, burst in)",
            f"{free.per_second:.1f}",
            "",
            None,
        )
    for name, result in results.items():
        if name != "free":
            row(name, "messages/s (whole drain)", f"{result.sent / result.send_s:.0f}", "", None)
            row(name, "messages/s (steady)", f"{result.steady_per_second:.0f}", "", None)
        if name == "paid":
            rate = result.sent / result.send_s if result.send_s else 0.0
            row(name, "messages/s vs target", f"{rate:.0f}", "≥ 950/s", rate >= 950)
        row(name, "429s received", str(result.too_many), "0", result.too_many == 0)
        http = f"{result.http_p50_ms:.0f} / {result.http_p99_ms:.0f}"
        row(name, "HTTP request p50 / p99 ms", http, "", None)
        send = f"{result.send_p50_ms:.0f} / {result.send_p99_ms:.0f}"
        row(name, "Outbox.send p50 / p99 ms", send, "", None)
        peak = f"{result.peak_rss_mb:.0f} MB"
        if name == "100k":
            row(name, "time to queue", f"{result.queue_s:.2f} s", "", None)
            row(name, "time to send", f"{result.send_s:.1f} s", "", None)
            row(name, "peak RSS", peak, "< 200 MB", result.peak_rss_mb < 200)
        else:
            row(name, "peak RSS", peak, "", None)
    return rows


def report(results: dict[str, Result], setup: dict[str, Any], targets: list[dict[str, Any]]) -> str:
    lines = [
        "fan-out through newsbot's outbox: "
        + ", ".join(f"{key} {value}" for key, value in setup.items()),
        "",
        f"| {'phase':<5} | {'readers':>7} | {'queued':>7} | {'sent':>7} | {'window s':>8} "
        f"| {'conc':>4} | {'queue s':>7} | {'CPU s':>6} | {'sandbox CPU s':>13} "
        f"| {'RSS start MB':>12} | {'peak RSS MB':>11} |",
    ]
    lines.append("|" + "|".join("-" * len(c) for c in lines[-1].split("|")[1:-1]) + "|")
    for result in results.values():
        lines.append(
            f"| {result.phase:<5} | {result.readers:>7} | {result.queued:>7} | {result.sent:>7} "
            f"| {result.window_s:>8.1f} | {result.concurrency:>4} | {result.queue_s:>7.2f} "
            f"| {result.cpu_s:>6.1f} | {result.sandbox_cpu_s:>13.1f} "
            f"| {result.rss_start_mb:>12.0f} | {result.peak_rss_mb:>11.0f} |"
        )
    lines += [
        "",
        f"| {'phase':<5} | {'figure':<36} | {'value':>12} | {'target':<9} | verdict |",
        f"|{'-' * 7}|{'-' * 38}|{'-' * 14}|{'-' * 11}|---------|",
    ]
    for row in targets:
        verdict = {None: "", True: "pass", False: "MISSED"}[row["pass"]]
        lines.append(
            f"| {row['phase']:<5} | {row['figure']:<36} | {row['value']:>12} "
            f"| {row['target']:<9} | {verdict:<7} |"
        )
    lines.append("")
    for result in results.values():
        lines.append(
            f"{result.phase}: outcomes {result.counts}; the sandbox answered "
            f"{result.sandbox_statuses}, the bot saw {result.client_statuses}; "
            f"seeding took {result.seed_s:.1f} s"
        )
        if len(result.rss_trace) > 2:
            step = max(1, len(result.rss_trace) // 6)
            points = [*result.rss_trace[::step], result.rss_trace[-1]]
            lines.append(
                f"{result.phase}: RSS during the drain (s, answered, MB) "
                + " ".join(f"({t:g}, {n}, {mb:.0f})" for t, n, mb in points)
            )
        if result.floods:
            lines.append(f"{result.phase}: first 429s (chat: description) {result.floods}")
        lines += [f"{result.phase}: PROBLEM {problem}" for problem in result.problems]
    return "\n".join(lines)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", help="an empty PostgreSQL database, or a SQLite file path")
    parser.add_argument("--readers", type=int, default=10_000, help="readers of the paid phase")
    parser.add_argument("--fanout-readers", type=int, default=100_000, help="of the 100k phase")
    parser.add_argument("--free-seconds", type=float, default=30.0)
    parser.add_argument("--latency", type=float, default=50.0, help="ms per Bot API call")
    parser.add_argument("--concurrency", type=int, default=0, help="0: newsbot's default")
    parser.add_argument("--skip-100k", action="store_true")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument(
        "--profile",
        action="append",
        choices=("free", "paid", "100k"),
        help="cProfile this phase's drain (repeatable; the figures are then inflated)",
    )
    parser.add_argument("--only", action="append", choices=("free", "paid", "100k"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.readers < 1 or args.fanout_readers < 1 or args.free_seconds <= 0:
        parser.error("--readers, --fanout-readers and --free-seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.child:  # one measured phase, in the fresh process run_phase started for it
        figures = asyncio.run(run_child(ChildOptions(**json.loads(args.child))))
        print("RESULT=" + json.dumps(figures), flush=True)
        return 0
    setup = {
        "database": "PostgreSQL" if (args.database or "").startswith("postgres") else "SQLite",
        "latency": f"{args.latency:g} ms",
        "cpus": len(os.sched_getaffinity(0)),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for phase in _phases(args):
            if args.only and phase.name not in args.only:
                continue
            print(f"running {phase.name} ({phase.readers} readers)…", file=sys.stderr, flush=True)
            results[phase.name] = run_phase(phase, args, Path(tmp))
    setup["load after"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    targets = _targets(results, args.free_seconds)
    text_report = report(results, setup, targets)
    print(text_report, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        figures = {
            "setup": setup,
            "phases": {name: asdict(result) for name, result in results.items()},
            "targets": targets,
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
