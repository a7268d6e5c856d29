"""Poll cycle: newsbot's poller beside a sequential feedparser loop and a plain asyncio loop.

    .venv/bin/python benchmarks/poll.py [--feeds 1000] [--changed-fraction 0.1] [--entries 20]
        [--readers 50] [--concurrency 32] [--latency MS] [--hosts N] [--postgres URL] [--only NAME]
        [--newsbot-concurrency N] [--newsbot-workers N] [--profile] [--json]

A feed server in its own process (``benchmarks/_poll_server.py``, aiohttp, bodies rendered in
advance) serves ``--feeds`` RSS feeds with ETag and Last-Modified, each answer after
``--latency`` milliseconds (default 20, a server near by; 0 is bare loopback), spread over
``--hosts`` loopback addresses (default 50; newsbot asks at most 2 things at a time of one
host, as a polite poller must). With no latency at all, the sequential loop is already busy on
a core for 90% of its cycle, so on 2 cores no poller doing the same work can be 6 times
faster: the 6x target is about overlapping waits, which is what the defaults measure. Each
contender runs in a fresh process of its own, so that peak memory does not mix, and goes
through the same situation:

1. prime: fetch every feed once (not measured), learning its validators;
2. the server advances: ``--changed-fraction`` of the feeds gain ``--entries`` new items;
3. one measured cycle over every feed: the unchanged ones answer 304 to a conditional GET.

The contenders:

- ``sequential``: ``feedparser.parse(url, etag=…, modified=…)`` for each feed in turn, with
  feedparser's own HTTP (urllib);
- ``plain``: httpx.AsyncClient, at most ``--concurrency`` requests at a time, conditional GET,
  ``feedparser.parse(bytes)`` in ``asyncio.to_thread``; it stores nothing;
- ``newsbot``: a real newsbot database (a temporary SQLite file, or a schema of its own on
  ``--postgres``) holding the feeds and ``--readers`` subscribed readers, a real ``Fetcher``, and
  one cycle of newsbot's poller, storing the new articles and queueing one delivery per reader
  and one for the channel. Priming is its first poll (a new feed's entries are stored as seen).

Figures of the measured cycle: wall seconds, feeds/s, CPU seconds of the contender's process and
of its child processes (a process pool, if any), peak RSS of the process plus its children during
the cycle (the high-water mark is reset after priming, through ``/proc/self/clear_refs``). The
figures are then judged against issue 5's targets: the newsbot cycle in under 5 s, at least 6
times faster than the sequential loop, and no slower than the plain loop. Every contender is also
checked for doing the work: the server must have seen exactly one 200 per changed feed and one
304 per other feed, and newsbot must have published ``changed × entries`` articles and queued
``(readers + 1)`` deliveries of each. A contender that fails a check is marked WRONG.

``--json`` prints the figures as JSON on stdout (the table then goes to stderr). ``--profile``
runs the newsbot cycle under cProfile and prints where its event-loop thread spent the time (the
figures are then inflated by the profiler). The exit status is 0 unless something crashed: this
is a measurement, not a test. The machine is shared; expect noise of 20–30 % between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import httpx

# --------------------------------------------------------------------------------------------
# The adapter: every call into newsbot is in this section, so that a new poller API (options
# for concurrency or a process pool, another signature) is changed here and nowhere else.
# --------------------------------------------------------------------------------------------

CHANNEL = "@bench"
INTERVAL = 300  # seconds, newsbot's POLL_INTERVAL default; it only matters for next_poll_at


@dataclass(frozen=True, slots=True)
class CycleStats:
    """What one cycle of newsbot's poller reported."""

    polled: int
    not_modified: int
    published: int
    deliveries: int
    errors: list[str]


@contextlib.asynccontextmanager
async def newsbot_poller(
    db: Any, fetcher: Any, *, concurrency: int | None, workers: int | None
) -> AsyncIterator[Callable[[], Awaitable[CycleStats]]]:
    """Yield ``cycle()``: one cycle of newsbot's poller over every feed, as ``newsbot run`` polls.

    ``concurrency`` and ``workers`` (parsing processes) None mean newsbot's defaults, the ones
    bot/app.py runs with; the poller and its process pool are made once, for priming and cycle.
    """
    from sqlalchemy import update

    from bot.feeds.workers import ParserPool, default_workers
    from bot.storage.models import Feed
    from jobs.poll import Poller, PollOptions

    async def make_all_due() -> None:
        async with db.session() as session, session.begin():
            await session.execute(update(Feed).values(next_poll_at=None))

    def stats(results: list[Any]) -> CycleStats:
        return CycleStats(
            polled=len(results),
            not_modified=sum(r.not_modified for r in results),
            published=sum(r.published for r in results),
            deliveries=sum(r.deliveries for r in results),
            errors=[f"feed {r.feed_id}: {r.error}" for r in results if r.error],
        )

    parser = ParserPool(workers=default_workers() if workers is None else workers)
    options = PollOptions(interval=INTERVAL)
    if concurrency is not None:
        options = dataclasses.replace(options, concurrency=concurrency)
    poller = Poller(db, fetcher, options, parser=parser)

    async def cycle() -> CycleStats:
        await make_all_due()
        return stats(await poller.poll_due())

    try:
        yield cycle
    finally:
        await parser.aclose()


@contextlib.asynccontextmanager
async def newsbot_rig(
    feed_urls: list[str], *, readers: int, postgres: str | None
) -> AsyncIterator[tuple[Any, Any]]:
    """Yield ``(db, fetcher)``: a migrated database with the feeds and readers, and a Fetcher."""
    from sqlalchemy import insert, text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.config import EditionConfig
    from bot.feeds.fetch import Fetcher
    from bot.services.editions import default_edition_id, ensure_editions
    from bot.services.feeds import ensure_feeds
    from bot.services.subscriptions import follow_many
    from bot.storage.db import Database
    from bot.storage.models import Subscriber, utcnow

    async def on_postgres(statement: str) -> None:
        engine = create_async_engine(postgres or "")
        try:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    with tempfile.TemporaryDirectory() as tmp:
        schema = f"newsbot_bench_{uuid.uuid4().hex[:12]}"
        if postgres:
            await on_postgres(f'CREATE SCHEMA "{schema}"')
            db = Database(postgres, connect_args={"server_settings": {"search_path": schema}})
        else:
            db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'poll.sqlite3'}")
        try:
            await db.migrate()
            now = utcnow()
            async with db.session() as session, session.begin():
                await ensure_editions(session, [EditionConfig("en", CHANNEL)])
                await ensure_feeds(session, feed_urls)
                if readers:
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
                            for n in range(readers)
                        ],
                    )
                    await follow_many(
                        session,
                        [10_000 + n for n in range(readers)],
                        await default_edition_id(session),
                    )
            async with Fetcher(allow_private_networks=True) as fetcher:
                yield db, fetcher
        finally:
            await db.dispose()
            if postgres:
                await on_postgres(f'DROP SCHEMA "{schema}" CASCADE')


async def newsbot_totals(db: Any) -> tuple[int, int]:
    """How many articles are published and how many deliveries are queued, from the tables."""
    from sqlalchemy import func, select

    from bot.storage.models import Article, ArticleStatus, Delivery

    async with db.session() as session:
        published = await session.scalar(
            select(func.count()).where(Article.status == ArticleStatus.PUBLISHED)
        )
        deliveries = await session.scalar(select(func.count()).select_from(Delivery))
    return published or 0, deliveries or 0


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------

CONTENDERS = ("sequential", "plain", "newsbot")
LABELS = {
    "sequential": "sequential feedparser",
    "plain": "plain asyncio c={concurrency}",
    "newsbot": "newsbot",
}
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Options:
    feeds: int = 1000
    changed_fraction: float = 0.1
    entries: int = 20
    readers: int = 50
    concurrency: int = 32
    newsbot_concurrency: int | None = None
    newsbot_workers: int | None = None
    postgres: str | None = None
    profile: bool = False
    latency_ms: float = 20.0
    hosts: int = 50


@dataclass(slots=True)
class Result:
    """One contender's measured cycle and the checks that it did the work."""

    contender: str
    prime_s: float = 0.0
    cycle_s: float = 0.0
    cpu_s: float = 0.0
    children_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    changed: int = 0
    requests: dict[str, Any] = field(default_factory=dict)
    entries_parsed: int | None = None
    published: int | None = None
    deliveries: int | None = None
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def feeds_per_s(self) -> float:
        polled = self.requests.get("ok", 0) + self.requests.get("not_modified", 0)
        return polled / self.cycle_s if self.cycle_s else 0.0


def _descendants() -> dict[int, tuple[float, int]]:
    """Each live descendant process of this one: (CPU seconds, children's included; peak kB)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        cpu[pid] = sum(int(value) for value in fields[11:15]) / _TICKS  # utime stime cutime cstime
    mine: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    found: dict[int, tuple[float, int]] = {}
    for pid in mine:
        found[pid] = (cpu[pid], _status_kb(pid, "VmHWM"))
    return found


def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak(pid: int | str) -> None:
    """Reset a process's peak RSS to its current RSS (Linux 4.0+); no-op where not allowed."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


class Meter:
    """Wall time, CPU time and peak RSS of this process and its children, from start to stop.

    Children's CPU: what ``RUSAGE_CHILDREN`` gained (children reaped meanwhile) plus the CPU of
    the children alive at the end, less the CPU that the children alive at the start had then.
    """

    def start(self) -> None:
        for pid in (*_descendants(), "self"):
            _reset_peak(pid)
        self._children = _descendants()
        self._reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def stop(self, result: Result) -> None:
        result.cycle_s = time.perf_counter() - self._wall
        result.cpu_s = time.process_time() - self._cpu
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        alive = _descendants()
        children = (
            (reaped.ru_utime + reaped.ru_stime)
            - (self._reaped.ru_utime + self._reaped.ru_stime)
            + sum(cpu for cpu, _ in alive.values())
            - sum(cpu for cpu, _ in self._children.values())
        )
        result.children_cpu_s = max(children, 0.0)
        result.cpu_s += result.children_cpu_s
        peak_kb = _status_kb("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_kb += sum(kb for _, kb in alive.values())
        if reaped.ru_maxrss > self._reaped.ru_maxrss:  # a child that ended meanwhile
            peak_kb += reaped.ru_maxrss
        result.peak_rss_mb = peak_kb / 1024


def _feed_urls(base: str, options: Options) -> list[str]:
    """Feed i's URL, on loopback address ``127.0.0.(1 + i % hosts)``."""
    port = httpx.URL(base).port
    return [
        f"http://127.0.0.{1 + i % options.hosts}:{port}/feeds/{i}.xml" for i in range(options.feeds)
    ]


def _advance(base: str, result: Result) -> int:
    """Have the server change its chosen feeds; return how many items those feeds now list."""
    answer = httpx.post(f"{base}/_advance", timeout=30).json()
    result.changed = len(answer["changed"])
    return int(answer["items"])


def _check_requests(base: str, result: Result, feeds: int) -> None:
    result.requests = httpx.get(f"{base}/_stats", timeout=30).json()
    expected = {"ok": result.changed, "not_modified": feeds - result.changed, "other": 0}
    for key, count in expected.items():
        if result.requests[key] != count:
            result.problems.append(f"server saw {result.requests[key]} {key}, not {count}")


# --- the contenders -------------------------------------------------------------------------


def run_sequential(base: str, options: Options) -> Result:
    """``feedparser.parse(url)`` for each feed in turn, with the validators it returned."""
    result = Result("sequential")
    urls = _feed_urls(base, options)
    validators: dict[str, tuple[str | None, str | None]] = {}
    no_proxy = urllib.request.ProxyHandler({})  # loopback, whatever the environment says

    def loop() -> int:
        entries = 0
        for url in urls:
            etag, modified = validators.get(url, (None, None))
            parsed = feedparser.parse(url, etag=etag, modified=modified, handlers=[no_proxy])
            status = parsed.get("status")
            if status not in (200, 304):
                result.errors.append(f"{url}: {status} {parsed.get('bozo_exception')!r}")
                continue
            validators[url] = (parsed.get("etag", etag), parsed.get("modified", modified))
            entries += len(parsed.entries)
        return entries

    started = time.perf_counter()
    loop()
    result.prime_s = time.perf_counter() - started
    items = _advance(base, result)
    meter = Meter()
    meter.start()
    result.entries_parsed = loop()
    meter.stop(result)
    _check_requests(base, result, options.feeds)
    if result.entries_parsed != items:
        result.problems.append(f"parsed {result.entries_parsed} entries, not {items}")
    return result


async def run_plain(base: str, options: Options) -> Result:
    """httpx + feedparser in a thread, ``concurrency`` at a time, conditional GET, no storage."""
    result = Result("plain")
    urls = _feed_urls(base, options)
    validators: dict[str, tuple[str | None, str | None]] = {}
    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    async with httpx.AsyncClient(timeout=30, limits=limits, trust_env=False) as client:
        limit = asyncio.Semaphore(options.concurrency)

        async def one(url: str) -> int:
            async with limit:
                etag, modified = validators.get(url, (None, None))
                headers = {}
                if etag:
                    headers["If-None-Match"] = etag
                if modified:
                    headers["If-Modified-Since"] = modified
                try:
                    response = await client.get(url, headers=headers)
                    if response.status_code == 304:
                        return 0
                    response.raise_for_status()
                except httpx.HTTPError as exc:
                    result.errors.append(f"{url}: {exc!r}")
                    return 0
                validators[url] = (
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                )
                parsed = await asyncio.to_thread(feedparser.parse, response.content)
                return len(parsed.entries)

        async def cycle() -> int:
            return sum(await asyncio.gather(*(one(url) for url in urls)))

        started = time.perf_counter()
        await cycle()
        result.prime_s = time.perf_counter() - started
        items = await asyncio.to_thread(_advance, base, result)
        meter = Meter()
        meter.start()
        result.entries_parsed = await cycle()
        meter.stop(result)
    await asyncio.to_thread(_check_requests, base, result, options.feeds)
    if result.entries_parsed != items:
        result.problems.append(f"parsed {result.entries_parsed} entries, not {items}")
    return result


async def run_newsbot(base: str, options: Options) -> Result:
    """newsbot's poller: prime (its first poll), advance, one measured cycle; then check rows."""
    result = Result("newsbot")
    urls = _feed_urls(base, options)
    async with (
        newsbot_rig(urls, readers=options.readers, postgres=options.postgres) as (db, fetcher),
        newsbot_poller(
            db,
            fetcher,
            concurrency=options.newsbot_concurrency,
            workers=options.newsbot_workers,
        ) as cycle,
    ):
        started = time.perf_counter()
        primed = await cycle()
        result.prime_s = time.perf_counter() - started
        result.errors += [f"priming: {error}" for error in primed.errors]
        await asyncio.to_thread(_advance, base, result)
        profiler = cProfile.Profile() if options.profile else None
        meter = Meter()
        meter.start()
        if profiler:
            profiler.enable()
        stats = await cycle()
        if profiler:
            profiler.disable()
        meter.stop(result)
        result.errors += stats.errors
        result.published, result.deliveries = await newsbot_totals(db)
    await asyncio.to_thread(_check_requests, base, result, options.feeds)
    published = result.changed * options.entries
    deliveries = published * (options.readers + 1)
    if result.published != published:
        result.problems.append(f"published {result.published} articles, not {published}")
    if result.deliveries != deliveries:
        result.problems.append(f"queued {result.deliveries} deliveries, not {deliveries}")
    if (stats.published, stats.deliveries) != (result.published, result.deliveries):
        result.problems.append(
            f"the poller reported {stats.published} published and {stats.deliveries} "
            "deliveries, the tables hold otherwise"
        )
    if profiler:
        _print_profile(profiler)
    return result


def _print_profile(profiler: cProfile.Profile) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(30)
        print(f"--- newsbot cycle, event-loop thread, by {order} ---", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)


def run_contender(name: str, base: str, options: Options) -> Result:
    """Run one contender in this process (``main`` gives each a fresh process)."""
    if name == "sequential":
        result = run_sequential(base, options)
    elif name == "plain":
        result = asyncio.run(run_plain(base, options))
    else:
        result = asyncio.run(run_newsbot(base, options))
    if result.errors:
        result.problems.append(f"{len(result.errors)} feeds failed, first: {result.errors[0]}")
    return result


# --------------------------------------------------------------------------------------------
# The feed server, the contenders' processes, the report
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def feed_server(options: Options, *, seed: int = 5) -> Iterator[str]:
    """Run ``_poll_server.py`` in its own process; yield its base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("_poll_server.py")),
            f"--feeds={options.feeds}",
            f"--entries={options.entries}",
            f"--changed-fraction={options.changed_fraction}",
            f"--seed={seed}",
            f"--latency={options.latency_ms}",
            f"--hosts={options.hosts}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("URL="):
            raise RuntimeError(f"the feed server did not start (exit {process.wait()})")
        yield line.split("=", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _reset(base: str) -> None:
    httpx.post(f"{base}/_reset", timeout=30).raise_for_status()


def _contender_process(name: str, base: str, args: list[str]) -> Result:
    """Run one contender in a fresh Python process and read back its result."""
    completed = subprocess.run(
        [sys.executable, __file__, "--contender", name, "--url", base, *args],
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT="):
            return Result(**json.loads(line.removeprefix("RESULT=")))
    raise RuntimeError(f"contender {name} crashed (exit {completed.returncode})")


def _verdicts(results: dict[str, Result]) -> list[dict[str, Any]]:
    newsbot = results.get("newsbot")
    if newsbot is None or not newsbot.cycle_s:
        return []
    verdicts = [
        {
            "target": "newsbot cycle",
            "value": newsbot.cycle_s,
            "text": f"newsbot cycle: {newsbot.cycle_s:.2f} s (target < 5 s)",
            "pass": newsbot.cycle_s < 5,
        }
    ]
    if "sequential" in results:
        speedup = results["sequential"].cycle_s / newsbot.cycle_s
        verdicts.insert(
            0,
            {
                "target": "newsbot vs sequential",
                "value": speedup,
                "text": f"newsbot vs sequential: {speedup:.1f}x as fast (target ≥ 6x)",
                "pass": speedup >= 6,
            },
        )
    if "plain" in results:
        ratio = newsbot.cycle_s / results["plain"].cycle_s
        verdicts.insert(
            -1,
            {
                "target": "newsbot vs plain asyncio",
                "value": ratio,
                "text": f"newsbot vs plain asyncio: {ratio:.2f}x the time (target ≤ 1.0x)",
                "pass": ratio <= 1.0,
            },
        )
    if newsbot.problems:
        for verdict in verdicts:
            verdict["pass"] = False
    return verdicts


def report(results: dict[str, Result], options: Options, setup: dict[str, Any]) -> str:
    """The figures side by side, the checks, and the targets judged, as text."""
    lines = [
        f"{setup['feeds']} feeds, {setup['changed']} changed with {options.entries} new entries "
        f"each, on {options.hosts} host(s), {options.latency_ms:g} ms server latency; "
        f"{options.readers} readers + 1 channel; "
        f"newsbot on {setup['database']}; "
        f"{setup['cpus']} CPUs, load {setup['load']:.2f} at start",
        "",
        f"{'contender':<24}{'cycle s':>9}{'feeds/s':>10}{'CPU s':>8}{'peak RSS MB':>13}"
        f"{'prime s':>9}  check",
    ]
    for name, result in results.items():
        label = LABELS[name].format(concurrency=options.concurrency)
        check = "ok" if not result.problems else "WRONG: " + "; ".join(result.problems)
        lines.append(
            f"{label:<24}{result.cycle_s:>9.2f}{result.feeds_per_s:>10.0f}{result.cpu_s:>8.2f}"
            f"{result.peak_rss_mb:>13.0f}{result.prime_s:>9.2f}  {check}"
        )
    newsbot = results.get("newsbot")
    if newsbot is not None:
        lines += [
            "",
            f"newsbot stored: {newsbot.published} articles published, {newsbot.deliveries} "
            f"deliveries queued (expected {newsbot.changed * options.entries} and "
            f"{newsbot.changed * options.entries * (options.readers + 1)})",
        ]
    server = ", ".join(
        f"{name} {result.requests.get('cpu_s', 0):.2f}" for name, result in results.items()
    )
    lines.append(f"feed server CPU s during each cycle: {server}")
    if options.profile:
        lines.append("(--profile: newsbot's figures include cProfile's overhead)")
    verdicts = _verdicts(results)
    if verdicts:
        lines.append("")
    for verdict in verdicts:
        lines.append(f"{verdict['text']}  {'PASS' if verdict['pass'] else 'FAIL'}")
    ceiling = speedup_ceiling(results.get("sequential"), setup["cpus"])
    if ceiling is not None and ceiling < 6:
        lines.append(
            f"note: the sequential loop kept a core busy "
            f"{results['sequential'].cpu_s / results['sequential'].cycle_s:.0%} of its cycle: "
            f"on {setup['cpus']} cores nothing doing the same work is much more than "
            f"{ceiling:.1f}x faster; the 6x target needs waits to overlap (try --latency 20)"
        )
    return "\n".join(lines)


def speedup_ceiling(sequential: Result | None, cpus: int) -> float | None:
    """About the most any contender can beat the sequential loop by, doing its CPU work on
    ``cpus`` cores with nothing else to overlap: cores × its wall time / its CPU time."""
    if sequential is None or not sequential.cpu_s:
        return None
    return cpus * sequential.cycle_s / sequential.cpu_s


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--changed-fraction", type=float, default=0.1)
    parser.add_argument("--entries", type=int, default=20, help="new entries per changed feed")
    parser.add_argument("--readers", type=int, default=50, help="subscribed readers (newsbot)")
    parser.add_argument("--concurrency", type=int, default=32, help="of the plain asyncio loop")
    parser.add_argument(
        "--newsbot-concurrency",
        type=int,
        help="feeds newsbot's poller reads at once; default: newsbot's own (POLL_CONCURRENCY)",
    )
    parser.add_argument(
        "--newsbot-workers",
        type=int,
        help="newsbot's parsing processes (0: a thread); default: newsbot's own (PARSE_WORKERS)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=20.0,
        metavar="MS",
        help="server wait before each answer (default 20: a near server; 0: loopback)",
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=50,
        help="spread the feeds over 127.0.0.1 … 127.0.0.N (default 50; newsbot asks one host"
        " at most 2 at a time)",
    )
    parser.add_argument("--postgres", metavar="URL", help="run newsbot on PostgreSQL")
    parser.add_argument(
        "--only", action="append", choices=CONTENDERS, help="run only this contender (repeatable)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile newsbot's cycle")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    options = Options(
        feeds=args.feeds,
        changed_fraction=args.changed_fraction,
        entries=args.entries,
        readers=args.readers,
        concurrency=args.concurrency,
        newsbot_concurrency=args.newsbot_concurrency,
        newsbot_workers=args.newsbot_workers,
        postgres=args.postgres,
        profile=args.profile,
        latency_ms=args.latency,
        hosts=args.hosts,
    )
    if args.contender:  # one contender, in the fresh process main() started for it
        result = run_contender(args.contender, args.url, options)
        print("RESULT=" + json.dumps(asdict(result)), flush=True)
        return 0

    passed = [
        f"--feeds={options.feeds}",
        f"--changed-fraction={options.changed_fraction}",
        f"--entries={options.entries}",
        f"--readers={options.readers}",
        f"--concurrency={options.concurrency}",
        f"--latency={options.latency_ms}",
        f"--hosts={options.hosts}",
        *([f"--newsbot-concurrency={args.newsbot_concurrency}"] * bool(args.newsbot_concurrency)),
        *([f"--newsbot-workers={args.newsbot_workers}"] * (args.newsbot_workers is not None)),
        *([f"--postgres={args.postgres}"] * bool(args.postgres)),
        *(["--profile"] * args.profile),
    ]
    setup = {
        "feeds": options.feeds,
        "changed": round(options.feeds * options.changed_fraction),
        "entries": options.entries,
        "readers": options.readers,
        "concurrency": options.concurrency,
        "latency_ms": options.latency_ms,
        "hosts": options.hosts,
        "database": "PostgreSQL" if options.postgres else "SQLite",
        "cpus": len(os.sched_getaffinity(0)),
        "load": os.getloadavg()[0],
        "python": sys.version.split()[0],
    }
    results: dict[str, Result] = {}
    with feed_server(options) as base:
        for name in CONTENDERS:
            if args.only and name not in args.only:
                continue
            _reset(base)
            print(f"running {name}…", file=sys.stderr, flush=True)
            results[name] = _contender_process(name, base, passed)
    text = report(results, options, setup)
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        figures = {
            "setup": setup,
            "contenders": {
                name: {**asdict(result), "feeds_per_s": result.feeds_per_s}
                for name, result in results.items()
            },
            "targets": _verdicts(results),
            "sequential_speedup_ceiling": speedup_ceiling(results.get("sequential"), setup["cpus"]),
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
