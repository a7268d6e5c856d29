"""Webhook mode: the updates a second one newsbot process answers, beside long polling.

    .venv/bin/python benchmarks/webhook.py [--database URL] [--readers 2000]
        [--concurrency 50] [--keep-rate-limit] [--only webhook|polling] [--json]

Each mode runs against a fresh database of its own (a SQLite file in a temporary directory by
default; ``--database`` names a PostgreSQL server URL, on which each mode makes a database of
its own and drops it after) and a fresh Bot API sandbox in a process of its own
(``python -m bot.sandbox --port 0 --no-limits``: its CPU is not newsbot's). newsbot runs as
``newsbot run`` does, in a process of its own, with only these settings: the sandbox's URL, a
token, one channel, no feeds, ``CONSOLE_BIND`` on a free loopback port, ``PARSE_WORKERS=0``
(one process to measure), ``LOG_LEVEL=WARNING``, and

- ``webhook``: ``WEBHOOK_URL=http://127.0.0.1:<port>/tg`` and ``WEBHOOK_SECRET``: the sandbox
  POSTs each update to the console's server, as Telegram does (at most 40 at once, one chat's
  in order);
- ``polling`` (the baseline): no ``WEBHOOK_URL``: newsbot long-polls ``getUpdates``.

Once newsbot is ready (the sandbox sees its webhook set, or its ``getUpdates`` waiting) and one
warm-up reader was answered, ``--readers`` distinct readers (2,000) each write ``/start``
through the sandbox's control API, ``--concurrency`` (50) of them at a time: each waits for
the bot's reply (the sandbox's ``wait_for``, an event server-side) before the next reader
writes, so 50 conversations are in flight. A reader's latency runs from the return of its
control call (the update is queued) to the sandbox's record of the bot's ``sendMessage`` to
that chat (``/control/requests``, ``time.time()`` when the sandbox answered it: the same clock).
Updates a second: the readers answered over the wall time (the first control call to the
last reply). newsbot's CPU seconds (``/proc/<pid>/stat``, user + system) cover the timed run;
its peak RSS (``VmHWM``) the whole process. The sandbox's CPU is printed beside it.

newsbot sends every reply through its own limiter of 29.5 messages a second overall
(Telegram's limit for a bot): with it, both modes answer 29.5 updates a second whatever their
cost. So that the figures are those of taking and handling updates, the benchmark lifts it by
default (``bot.app.OVERALL_BURST = 0`` in the measured process, which is otherwise
``newsbot run``); ``--keep-rate-limit`` measures newsbot exactly as it ships.

The exit status is 0 unless something crashed: this is a measurement, not a test. The machine
may be shared; the load is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
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
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file, from anywhere
    sys.path.insert(0, str(ROOT))

from tests.cli_helpers import SandboxProcess  # noqa: E402 - once the checkout is importable

TOKEN = "535353:AAwebhook-benchmark-token-xxxxxxxxxxxx"
SECRET = "bench-webhook-Secret_1"
CHANNEL = "bench"
BOT_USERNAME = "bench_webhook_bot"
FIRST_READER = 20_000
WARMUP_READER = 19_999
MODES = ("polling", "webhook")  # the baseline first
#: How long newsbot may take to start, and a reader to be answered.
STARTUP_S = 90.0
REPLY_S = 120.0
#: newsbot run, its own reply limiter lifted (see the module's docstring).
UNTHROTTLED = (
    "import sys, bot.app; bot.app.OVERALL_BURST = 0; "
    "from bot.cli import main; sys.exit(main(['run']))"
)


@dataclass
class Result:
    mode: str
    readers: int
    concurrency: int
    answered: int = 0
    wall_s: float = 0.0
    per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    cpu_s: float = 0.0
    cpu_ms_per_update: float = 0.0
    startup_s: float = 0.0
    peak_rss_mb: float = 0.0
    sandbox_cpu_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    webhook_delivered: int | None = None
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# The processes: the sandbox, newsbot, the database
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def sandbox() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A Bot API sandbox in its own process, without rate limits; yields it and its URL."""
    running = SandboxProcess(channels=(CHANNEL,), bot_username=BOT_USERNAME, limits=False)
    with running as url:
        assert running.process is not None
        yield running.process, url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def newsbot_env(mode: str, api: str, database: str, port: int) -> dict[str, str]:
    """Only these settings (none of this shell's): the process reads no ``.env`` either, as
    its working directory is the run's temporary one."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api,
        "TELEGRAM_CHANNEL": f"@{CHANNEL}",
        "DATABASE_URL": database,
        "FEEDS": "",
        "PARSE_WORKERS": "0",
        "LOG_LEVEL": "WARNING",
        "CONSOLE_BIND": f"127.0.0.1:{port}",
    }
    if mode == "webhook":
        env |= {"WEBHOOK_URL": f"http://127.0.0.1:{port}/tg", "WEBHOOK_SECRET": SECRET}
    return env


@contextlib.contextmanager
def newsbot(
    env: dict[str, str], log: Path, *, keep_rate_limit: bool
) -> Iterator[subprocess.Popen[bytes]]:
    """``newsbot run`` in its own process, its output in ``log``; stopped with SIGTERM."""
    command = ["-m", "bot", "run"] if keep_rate_limit else ["-c", UNTHROTTLED]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, *command],
            env=env,
            cwd=log.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_database(database: str | None, tmp: Path, mode: str) -> Iterator[str]:
    """A SQLite file in ``tmp``, or a PostgreSQL database of its own on ``database``'s server
    (a process is given only a URL), dropped after. newsbot migrates it at its start."""
    if database is None or database.startswith("sqlite"):
        if database:
            given = Path(database.split("///", 1)[1])
            path = given.with_name(f"{given.stem}-{mode}{given.suffix or '.sqlite3'}")
        else:
            path = tmp / f"webhook-{mode}.sqlite3"
        if path.exists():
            raise SystemExit(f"webhook: {path} exists; name a file that does not")
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{path}{suffix}").unlink()
        return
    name = f"webhook_bench_{mode}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(database, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(database, f'DROP DATABASE "{name}" WITH (FORCE)'))


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# --------------------------------------------------------------------------------------------
# The run: readers write /start, the sandbox records the replies
# --------------------------------------------------------------------------------------------


def _alive(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.poll() is not None:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"newsbot exited ({process.returncode}):\n{tail}")


async def wait_ready(
    http: aiohttp.ClientSession, mode: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Until the sandbox sees newsbot's webhook set, or its getUpdates waiting."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        _alive(process, log)
        if mode == "webhook":
            async with http.get("/control/webhook") as answer:
                if (await answer.json())["url"]:
                    return
            await asyncio.sleep(0.1)  # a bounded wait on a condition the sandbox cannot await
        else:
            async with http.get("/control/polling", params={"timeout": "1"}) as answer:
                if (await answer.json())["waiting"]:
                    return
    raise RuntimeError(f"newsbot was not ready in {STARTUP_S:g} s")


async def converse(http: aiohttp.ClientSession, user_id: int) -> tuple[float, bool]:
    """One reader writes /start and waits for the reply; (when the update was queued, answered)."""
    body = {"text": "/start", "first_name": f"Reader {user_id}", "language_code": "en"}
    async with http.post(f"/control/users/{user_id}/messages", json=body) as answer:
        answer.raise_for_status()
        await answer.read()
    queued = time.time()
    params = {"wait_for": "1", "timeout": str(REPLY_S)}
    async with http.get(f"/control/chats/{user_id}/messages", params=params) as answer:
        messages = (await answer.json())["messages"]
    return queued, any(m["from_bot"] for m in messages)


async def drive(
    api: str, mode: str, readers: int, concurrency: int, process: subprocess.Popen[bytes], log: Path
) -> tuple[dict[str, Any], float, float]:
    """Ready, warm up, then the timed run; (figures, CPU before, CPU after)."""
    timeout = aiohttp.ClientTimeout(total=REPLY_S + 30)
    connector = aiohttp.TCPConnector(limit=concurrency + 8)
    async with aiohttp.ClientSession(api, connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await wait_ready(http, mode, process, log)
        _, warm = await converse(http, WARMUP_READER)  # imports, templates, first connections
        if not warm:
            _alive(process, log)
            raise RuntimeError("newsbot did not answer the warm-up reader")
        startup_s = time.perf_counter() - started
        queued: dict[int, float] = {}
        unanswered: list[int] = []
        pending = iter(range(FIRST_READER, FIRST_READER + readers))

        async def worker() -> None:
            for user_id in pending:
                queued[user_id], answered = await converse(http, user_id)
                if not answered:
                    unanswered.append(user_id)

        cpu_before = _cpu_s(process.pid)
        began = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu_after = _cpu_s(process.pid)
        async with http.get("/control/requests", params={"method": "sendMessage"}) as answer:
            requests = (await answer.json())["requests"]
        delivered = None
        if mode == "webhook":
            async with http.get("/control/webhook") as answer:
                delivered = (await answer.json())["delivered"]
    return (
        {
            "began": began,
            "queued": queued,
            "unanswered": unanswered,
            "requests": requests,
            "delivered": delivered,
            "startup_s": startup_s,
        },
        cpu_before,
        cpu_after,
    )


def run_mode(mode: str, args: argparse.Namespace, tmp: Path) -> Result:
    result = Result(mode, args.readers, args.concurrency)
    log = tmp / f"newsbot-{mode}.log"
    with fresh_database(args.database, tmp, mode) as url, sandbox() as (api_process, api):
        env = newsbot_env(mode, api, url, free_port())
        with newsbot(env, log, keep_rate_limit=args.keep_rate_limit) as process:
            sandbox_cpu = _cpu_s(api_process.pid)
            figures, cpu_before, cpu_after = asyncio.run(
                drive(api, mode, args.readers, args.concurrency, process, log)
            )
            result.sandbox_cpu_s = _cpu_s(api_process.pid) - sandbox_cpu
            result.peak_rss_mb = _peak_rss_mb(process.pid)
            process.send_signal(signal.SIGTERM)
            try:
                result.exit_code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                result.problems.append("newsbot did not stop within 30 s of SIGTERM")
    result.cpu_s = cpu_after - cpu_before
    result.startup_s = figures["startup_s"]
    _judge(result, figures)
    logged = log.read_text(encoding="utf-8", errors="replace")
    if TOKEN in logged or TOKEN.split(":", 1)[1] in logged:
        result.problems.append("the bot token is in newsbot's log")
    if result.exit_code not in (0, None):
        result.problems.append(f"newsbot exited {result.exit_code}: {logged[-1500:]}")
    return result


def _judge(result: Result, figures: dict[str, Any]) -> None:
    queued: dict[int, float] = figures["queued"]
    replied: dict[int, float] = {}
    for request in figures["requests"]:
        key = str(request["status"])
        result.statuses[key] = result.statuses.get(key, 0) + 1
        chat = int(request["chat_id"]) if str(request["chat_id"]).lstrip("-").isdigit() else 0
        if request["status"] == 200 and chat in queued and request["at"] >= queued[chat]:
            replied[chat] = min(replied.get(chat, math.inf), request["at"])
    latencies = [(replied[chat] - queued[chat]) * 1000 for chat in replied]
    result.answered = len(replied)
    result.wall_s = max(replied.values(), default=figures["began"]) - figures["began"]
    result.per_second = result.answered / result.wall_s if result.wall_s > 0 else 0.0
    result.p50_ms = _percentile(latencies, 0.50)
    result.p95_ms = _percentile(latencies, 0.95)
    result.p99_ms = _percentile(latencies, 0.99)
    result.max_ms = max(latencies, default=0.0)
    result.cpu_ms_per_update = result.cpu_s * 1000 / result.answered if result.answered else 0.0
    result.webhook_delivered = figures["delivered"]
    if result.answered != result.readers:
        missing = len(figures["unanswered"])
        result.problems.append(
            f"{result.answered} of {result.readers} readers answered ({missing} waited "
            f"{REPLY_S:g} s in vain)"
        )
    if figures["delivered"] is not None and figures["delivered"] < result.readers + 1:
        result.problems.append(f"the webhook took {figures['delivered']} updates")


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------

COLUMNS = (
    ("mode", "<18", "mode"),
    ("readers", ">7", "readers"),
    ("answered", ">8", "answered"),
    ("wall s", ">7", "wall_s"),
    ("updates/s", ">9", "per_second"),
    ("p50 ms", ">7", "p50_ms"),
    ("p95 ms", ">7", "p95_ms"),
    ("p99 ms", ">7", "p99_ms"),
    ("max ms", ">7", "max_ms"),
    ("CPU s", ">6", "cpu_s"),
    ("CPU ms/update", ">13", "cpu_ms_per_update"),
    ("peak RSS MB", ">11", "peak_rss_mb"),
    ("sandbox CPU s", ">13", "sandbox_cpu_s"),
)
#: Decimals of each figure in the table (1 when not named).
DECIMALS = {"wall_s": 1, "per_second": 0, "cpu_s": 1, "cpu_ms_per_update": 2, "peak_rss_mb": 0}


def _cell(key: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.{DECIMALS.get(key, 1)}f}"
    return str(value)


def ratios(results: dict[str, Result]) -> dict[str, float]:
    """webhook / polling for each measured figure (both modes run)."""
    if set(results) != set(MODES):
        return {}
    webhook, polling = asdict(results["webhook"]), asdict(results["polling"])
    out = {}
    for _, _, key in COLUMNS[3:]:
        if polling[key]:
            out[key] = webhook[key] / polling[key]
    return out


def report(results: dict[str, Result], setup: dict[str, Any]) -> str:
    lines = [
        "newsbot answering /start, webhook vs long polling: "
        + ", ".join(f"{key} {value}" for key, value in setup.items()),
        "",
        "| " + " | ".join(f"{title:{align}}" for title, align, _ in COLUMNS) + " |",
    ]
    lines.append("|" + "|".join("-" * len(c) for c in lines[-1].split("|")[1:-1]) + "|")
    for result in results.values():
        figures = asdict(result)
        name = f"{result.mode} (baseline)" if result.mode == "polling" else result.mode
        cells = [f"{name:<18}"] + [
            f"{_cell(key, figures[key]):{align}}" for _, align, key in COLUMNS[1:]
        ]
        lines.append("| " + " | ".join(cells) + " |")
    ratio = ratios(results)
    if ratio:
        cells = [f"{'webhook/polling':<18}", f"{'':>7}", f"{'':>8}"] + [
            f"{(f'{ratio[key]:.2f}x' if key in ratio else ''):{align}}"
            for _, align, key in COLUMNS[3:]
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for result in results.values():
        hook = (
            f", the webhook took {result.webhook_delivered} updates"
            if result.webhook_delivered is not None
            else ""
        )
        lines.append(
            f"{result.mode}: ready and warm in {result.startup_s:.1f} s; sendMessage answered "
            f"{result.statuses}{hook}; newsbot exited {result.exit_code}"
        )
        lines += [f"{result.mode}: PROBLEM {problem}" for problem in result.problems]
    return "\n".join(lines)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database", help="a PostgreSQL server URL (a database per mode), or a SQLite file path"
    )
    parser.add_argument("--readers", type=int, default=2000, help="distinct readers per mode")
    parser.add_argument("--concurrency", type=int, default=50, help="conversations in flight")
    parser.add_argument(
        "--keep-rate-limit",
        action="store_true",
        help="keep newsbot's own 29.5 replies/s limit (then both modes answer at most that)",
    )
    parser.add_argument("--only", action="append", choices=MODES)
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    if args.readers < 1 or args.concurrency < 1:
        parser.error("--readers and --concurrency must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    setup: dict[str, Any] = {
        "database": "PostgreSQL" if (args.database or "").startswith("postgres") else "SQLite",
        "readers": args.readers,
        "in flight": args.concurrency,
        "newsbot's 29.5/s reply limit": "kept" if args.keep_rate_limit else "lifted",
        "cpus": len(os.sched_getaffinity(0)),
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in MODES:
            if args.only and mode not in args.only:
                continue
            print(f"running {mode} ({args.readers} readers)…", file=sys.stderr, flush=True)
            results[mode] = run_mode(mode, args, Path(tmp))
    setup["load after"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    table = report(results, setup)
    print(table, file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        figures = {
            "setup": setup,
            "modes": {mode: asdict(result) for mode, result in results.items()},
            "webhook_over_polling": ratios(results),
        }
        print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
