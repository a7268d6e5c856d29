"""Acceptance: `newsbot run` SIGKILLed again and again in the middle of a fan-out still gets the
article to every reader, at most once to the channel, with no more duplicates than were in
flight (``SEND_CONCURRENCY`` a kill), and leaves no row pending or sending.

The Bot API sandbox runs in a process of its own, so it outlives the kills and its record is the
truth: what each chat got. Its limits are raised for the whole bot (the paid lane, which
``PAID_BROADCAST`` uses) so that 3,000 readers take seconds, and each private chat keeps
Telegram's own pacing (one a second, a burst of three). Each round waits for a random number of
the article's copies since the last start (read from the sandbox's ``/control/chats`` counts),
then kills; the duplicates each kill caused are the copies to readers who already had it, from
that kill to the next one (they are the oldest rows, so they go first after a restart).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, insert, select

from bot.article import ArticleDraft
from bot.config import EditionConfig
from bot.sandbox import SandboxClient
from bot.services.articles import store_drafts
from bot.services.editions import default_edition_id, ensure_editions
from bot.services.routing import enqueue
from bot.services.subscriptions import follow_many
from bot.storage.db import Database
from bot.storage.models import Delivery, Subscriber, utcnow
from tests.cli_helpers import SandboxProcess, fresh_postgres_database, newsbot_env
from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "246813579:AAcrash-fanout-token-that-stays-secret"
CHANNEL = "crash_news"
READERS = 3000
FIRST_READER = 10_000
#: SEND_CONCURRENCY: at most this many of a process's rows are in flight when it is killed.
CONCURRENCY = 16
#: Kills in a row (each a random point of the fan-out); more than the ten asked for.
KILLS = 12
#: A round waits for 1 to this many copies since the last start: KILLS rounds stay well short
#: of READERS, so the outbox is never empty before the last kill.
MOST_PER_ROUND = 180
#: The sandbox's limits: the bot as a whole may send fast; each private chat keeps its pacing.
LIMITS = {
    "overall_per_second": 5000,
    "overall_burst": 5000,
    "paid_per_second": 5000,
    "paid_burst": 5000,
}
#: Seconds a process may take to start and send what a round waits for.
ROUND_DEADLINE = 60.0
#: Seconds the last processes may take to empty the outbox.
FINISH_DEADLINE = 90.0
#: How often the sandbox's counts and the outbox are looked at.
POLL = 0.05
#: A run's randomness, printed, so a failing run can be repeated (NEWSBOT_CRASH_SEED=...).
SEED = int(os.environ.get("NEWSBOT_CRASH_SEED") or random.randrange(1_000_000))

Copies = dict[int, int]
ROOT = Path(__file__).parents[2]


@dataclass
class Kill:
    """One round: who was killed after how many copies, and what that cost."""

    round: int
    killed: list[str]
    delivered: int  # copies of the article sent since the last start, when the kill came
    in_flight: int  # rows left 'sending' just after the kill
    duplicates: int = 0  # copies to readers who had it already, from this kill to the next
    seconds: float = 0.0  # from the start to the kill
    first_copy: float = 0.0  # from the start to the round's first copy


@dataclass
class Run:
    kills: list[Kill] = field(default_factory=list)
    before_first_kill: int = 0  # duplicates before any kill: must be none
    seconds: float = 0.0


@pytest.fixture
def api_url() -> Iterator[str]:
    with SandboxProcess(channels=(CHANNEL,), bot_username="crash_news_bot") as url:
        yield url


@pytest.fixture
async def tg(api_url: str) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(api_url, timeout=30) as client:
        yield client


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    if not POSTGRES_URL:
        pytest.skip("set NEWSBOT_TEST_POSTGRES_URL to run the PostgreSQL tests")
    async with fresh_postgres_database(POSTGRES_URL, "newsbot_crash") as url:
        yield url


async def make_readers(api_url: str, tg: SandboxClient) -> None:
    """Readers FIRST_READER… write /start (the sandbox knows a chat once its user wrote), and
    their updates are confirmed, so that the bot never sees them; the limits are raised."""
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        limit = asyncio.Semaphore(32)

        async def start(user_id: int) -> None:
            async with limit:
                response = await http.post(
                    f"/control/users/{user_id}/messages", json={"text": "/start"}
                )
                response.raise_for_status()

        await asyncio.gather(*(start(FIRST_READER + n) for n in range(READERS)))
        last = max(update["update_id"] for update in await tg.updates())
        response = await http.post(
            f"/bot{TOKEN}/getUpdates", json={"offset": last + 1, "timeout": 0}
        )
        response.raise_for_status()
    assert await tg.updates() == []
    await tg.limits(**LIMITS)


async def seed(url: str) -> int:
    """READERS readers following the default edition, and one article published and queued
    to them and to the channel; its id."""
    db = Database(url)
    try:
        await db.migrate()
        now = utcnow()
        readers = [FIRST_READER + n for n in range(READERS)]
        async with db.session() as session, session.begin():
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
                    for chat_id in readers
                ],
            )
            await follow_many(session, readers, await default_edition_id(session))
            await ensure_editions(session, [EditionConfig("en", f"@{CHANNEL}")])
            draft = ArticleDraft(
                key="crash-1",
                title="The crash test",
                summary="Every reader gets this once, or twice at worst.",
                link="https://crash.example/1",
            )
            stored = await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
            article = stored.published[0]
            assert await enqueue(session, article) == READERS + 1
            return article.id
    finally:
        await db.dispose()


async def statuses(db: Database, article_id: int) -> dict[str, int]:
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.article_id == article_id)
            .group_by(Delivery.status)
        )
        return {str(status): count for status, count in rows.all()}


async def channel_status(db: Database, article_id: int) -> str:
    async with db.session() as session:
        status = await session.scalar(
            select(Delivery.status).where(
                Delivery.article_id == article_id, Delivery.kind == "channel"
            )
        )
    assert status is not None
    return str(status)


async def copies(tg: SandboxClient) -> Copies:
    """How many messages the bot sent to each chat (readers and the channel) that got any."""
    return {chat["id"]: chat["bot_messages"] for chat in await tg.chats() if chat["bot_messages"]}


def new_duplicates(before: Copies, after: Copies, channel: int) -> int:
    """Copies to readers who had the article already, between two looks at the sandbox."""
    total = 0
    for chat, count in after.items():
        if chat == channel:
            continue
        had = before.get(chat, 0)
        total += count - had if had else count - 1
    return total


class Forked:
    """One `newsbot run`, a fork of the zygote (tests/e2e/crash_child.py)."""

    def __init__(self, pid: int, log: Path) -> None:
        self.pid = pid
        self.log = log
        self.killed = False

    def _gone(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        return False

    @property
    def returncode(self) -> int | None:
        """Its exit status once it exited (-9 once killed), else None."""
        if self.killed:
            return -9
        status = Path(f"{self.log}.exit")
        if status.exists() and status.read_text():
            return int(status.read_text())
        return -1 if self._gone() else None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        """SIGKILL, and wait until it is gone."""
        if not self.killed and self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)
        self.killed = True
        for _ in range(1000):  # SIGKILL is immediate: a few ms
            if self._gone():
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"newsbot {self.pid} outlived SIGKILL")

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM (a clean stop); its exit status."""
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while (code := self.returncode) is None or not self._gone():
            assert time.monotonic() < deadline, f"newsbot did not stop:\n{self.text()[-3000:]}"
            await asyncio.sleep(0.02)
        return code


class Zygote:
    """tests/e2e/crash_child.py running: each start of newsbot is a fork of it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls) -> Zygote:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.e2e.crash_child",
            cwd=ROOT,
            env=newsbot_env(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def fork(self, cwd: Path, log: Path, settings: dict[str, str]) -> Forked:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        request = {"cwd": str(cwd), "log": str(log), "env": newsbot_env(**settings)}
        self.process.stdin.write(json.dumps(request).encode() + b"\n")
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), 60)
        assert line, "the zygote died"
        return Forked(int(line), log)

    async def aclose(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 30)


class Fleet:
    """The `newsbot run` processes of a run, by name; a killed one is started again."""

    def __init__(
        self, zygote: Zygote, names: list[str], tmp_path: Path, settings: dict[str, str]
    ) -> None:
        self.zygote = zygote
        self.names = names
        self.tmp_path = tmp_path
        self.settings = settings
        self.running: dict[str, Forked] = {}
        self.dead: list[Forked] = []
        self.starts = 0

    async def start_missing(self) -> None:
        for name in self.names:
            if name not in self.running:
                self.starts += 1
                log = self.tmp_path / f"{name}-{self.starts:02d}.log"
                self.running[name] = await self.zygote.fork(self.tmp_path, log, self.settings)

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.returncode is not None:
                raise AssertionError(
                    f"newsbot {name} exited ({process.returncode}):\n" + process.text()[-3000:]
                )

    async def kill(self, names: list[str]) -> None:
        for name in names:
            process = self.running.pop(name)
            await process.kill()
            self.dead.append(process)

    async def terminate(self) -> None:
        for name, process in list(self.running.items()):
            assert await process.terminate() == 0, process.text()[-3000:]
            self.dead.append(self.running.pop(name))

    async def aclose(self) -> None:
        for process in self.running.values():
            await process.kill()

    def logs(self) -> str:
        return "\n".join(p.text() for p in [*self.dead, *self.running.values()])


async def crash_fanout(
    tmp_path: Path, api_url: str, tg: SandboxClient, database_url: str, *, processes: int
) -> Run:
    """Seed, then KILLS rounds of start / wait for random copies / SIGKILL, then let the last
    processes empty the outbox and stop them; what each kill cost."""
    rng = random.Random(SEED)
    started = time.monotonic()
    await make_readers(api_url, tg)
    article_id = await seed(database_url)
    channel = next(c["id"] for c in await tg.chats() if c.get("username") == CHANNEL)
    settings = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "TELEGRAM_CHANNEL": f"@{CHANNEL}",
        "FEEDS": "",
        "POST_STYLE": "text",
        "PAID_BROADCAST": "true",
        "SEND_CONCURRENCY": str(CONCURRENCY),
        "LOG_LEVEL": "INFO",
    }
    names = ["a", "b"][:processes]
    zygote = await Zygote.start()
    fleet = Fleet(zygote, names, tmp_path, settings)
    db = Database(database_url)
    run = Run()
    seen: Copies = {}
    try:
        for round_ in range(1, KILLS + 1):
            round_started = time.monotonic()
            await fleet.start_missing()
            baseline = sum(seen.values())
            want = rng.randint(1, MOST_PER_ROUND)
            deadline = time.monotonic() + ROUND_DEADLINE
            first_copy = 0.0
            while True:
                now = await copies(tg)
                if not first_copy and sum(now.values()) > baseline:
                    first_copy = time.monotonic() - round_started
                if sum(now.values()) >= baseline + want:
                    break
                fleet.check_alive()
                left = await statuses(db, article_id)
                assert left.get("pending", 0) + left.get("sending", 0), (
                    f"the outbox emptied before kill {round_}: raise READERS"
                )
                assert time.monotonic() < deadline, (
                    f"round {round_}: {sum(now.values()) - baseline} of {want} copies after "
                    f"{ROUND_DEADLINE} s\n" + fleet.logs()[-3000:]
                )
                await asyncio.sleep(POLL)
            victims = names if processes == 1 else rng.choice([["a"], ["b"], ["a", "b"]])
            await fleet.kill(victims)
            after = await copies(tg)
            in_flight = (await statuses(db, article_id)).get("sending", 0)
            duplicates = new_duplicates(seen, after, channel)
            if run.kills:
                run.kills[-1].duplicates += duplicates
            else:
                run.before_first_kill = duplicates
            kill = Kill(round_, victims, sum(after.values()) - baseline, in_flight)
            kill.seconds, kill.first_copy = time.monotonic() - round_started, first_copy
            run.kills.append(kill)
            seen = after
        await fleet.start_missing()
        deadline = time.monotonic() + FINISH_DEADLINE
        while True:
            left = await statuses(db, article_id)
            if not left.get("pending", 0) and not left.get("sending", 0):
                break
            fleet.check_alive()
            assert time.monotonic() < deadline, (
                f"outbox not empty after {FINISH_DEADLINE} s: {left}\n" + fleet.logs()[-3000:]
            )
            await asyncio.sleep(POLL)
        await fleet.terminate()
        final = await copies(tg)
        run.kills[-1].duplicates += new_duplicates(seen, final, channel)
        run.seconds = time.monotonic() - started
        report(run, processes)
        check(run, final, channel, await statuses(db, article_id), processes)
        assert await channel_status(db, article_id) in {"sent", "unknown"}
        logs = fleet.logs()
        assert TOKEN not in logs
        assert "Traceback" not in logs, logs[logs.index("Traceback") - 2000 :][:5000]
        return run
    finally:
        await fleet.aclose()
        await zygote.aclose()
        await db.dispose()


def report(run: Run, processes: int) -> None:
    print(f"\ncrash fan-out: {READERS} readers, {processes} process(es), seed {SEED}")
    print("round  killed  copies since start  sending at kill  duplicates  first copy s  kill s")
    for kill in run.kills:
        print(
            f"{kill.round:>5}  {','.join(kill.killed):>6}  {kill.delivered:>18}"
            f"  {kill.in_flight:>15}  {kill.duplicates:>10}  {kill.first_copy:>12.1f}"
            f"  {kill.seconds:>6.1f}"
        )
    total = sum(kill.duplicates for kill in run.kills)
    killed = sum(len(kill.killed) for kill in run.kills)
    print(
        f"duplicates {total} for {killed} kills (bound {killed * CONCURRENCY}); {run.seconds:.1f} s"
    )


def check(run: Run, final: Copies, channel: int, left: dict[str, int], processes: int) -> None:
    killed = sum(len(kill.killed) for kill in run.kills)
    readers = {FIRST_READER + n for n in range(READERS)}
    missed = sorted(readers - {chat for chat, count in final.items() if count})
    assert missed == [], f"{len(missed)} readers never got the article: {missed[:10]}"
    assert set(final) <= readers | {channel}
    assert final.get(channel, 0) <= 1, "the channel got the article twice"
    assert run.before_first_kill == 0
    duplicates = sum(count - 1 for chat, count in final.items() if chat != channel)
    assert duplicates == sum(kill.duplicates for kill in run.kills)
    assert duplicates <= killed * CONCURRENCY
    if processes == 1:  # with two, a dead one's rows wait for the next drain to start
        assert all(kill.in_flight <= CONCURRENCY for kill in run.kills)
    assert left.get("pending", 0) == left.get("sending", 0) == 0, left
    assert left.get("sent", 0) >= READERS, left


class TestCrashFanout:
    async def test_sqlite(self, tmp_path: Path, api_url: str, tg: SandboxClient) -> None:
        """One process on SQLite, killed at KILLS random points: every reader gets the article,
        duplicates are at most what was in flight, the channel gets it at most once."""
        url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"
        await crash_fanout(tmp_path, api_url, tg, url, processes=1)

    async def test_postgresql(
        self, tmp_path: Path, api_url: str, tg: SandboxClient, postgres_url: str
    ) -> None:
        """The same on PostgreSQL."""
        await crash_fanout(tmp_path, api_url, tg, postgres_url, processes=1)

    async def test_two_processes_on_postgresql(
        self, tmp_path: Path, api_url: str, tg: SandboxClient, postgres_url: str
    ) -> None:
        """Two processes sharing PostgreSQL, one or both killed at each of KILLS random
        points: the same guarantees, the duplicates bounded by kills × SEND_CONCURRENCY."""
        await crash_fanout(tmp_path, api_url, tg, postgres_url, processes=2)
