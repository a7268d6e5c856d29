"""The running bot polls a server that plays every kind of broken or hostile feed at once: it
never hangs, stays within its memory, records each failure's kind, and keeps answering readers.

The server scripts: 304, a 301→308 chain (the stored URL follows it), a redirect loop, a stall
mid-body, a 50 MB body, stacked gzip (a bomb), text/plain and text/html, 429 with Retry-After,
500, a redirect that adds credentials, a redirect to an invalid URL, and 200 KB of ``<!--``.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
import resource
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import select

from bot.app import Newsbot
from bot.config import Settings, load_settings
from bot.logs import configure_logging
from bot.sandbox import SandboxClient, SandboxServer
from bot.sandbox._runner import BackgroundServer
from bot.services.feeds import ensure_feeds
from bot.storage.db import Database
from bot.storage.models import Feed
from jobs.poll import PollResult

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAhostile-ingest-token-not-logged00"
READER = 8101
FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Fine</title>'
    b"<item><guid>a</guid><title>A fine story</title><link>https://fine.example/a</link>"
    b"<description>It is fine.</description></item></channel></rss>"
)


def bomb() -> bytes:
    """50 MB of zeros, gzipped twice: about 50 KB on the wire."""
    return gzip.compress(gzip.compress(b"\0" * 50_000_000, compresslevel=9), compresslevel=9)


class HostileServer(BackgroundServer):
    """Feeds that break feed readers, one per path."""

    thread_name = "hostile-feeds"

    def __init__(self) -> None:
        super().__init__()
        self._bomb = bomb()
        self._release: asyncio.Event | None = None

    def before_stop(self) -> None:
        if self._release is not None:
            self._release.set()

    def build_app(self) -> web.Application:
        self._release = asyncio.Event()

        def answer(make: Callable[[], Awaitable[web.Response]]) -> Handler:
            async def handler(request: web.Request) -> web.Response:
                return await make()

            return handler

        app = web.Application()
        add = app.router.add_get
        add("/ok.xml", self.ok)
        add("/moved", answer(lambda: self.redirect(301, "/moved-again")))
        add("/moved-again", answer(lambda: self.redirect(308, "/ok.xml?moved=1")))
        add("/loop", answer(lambda: self.redirect(302, "/loop")))
        add("/stall", self.stall)
        add("/huge", self.huge)
        add("/bomb", self.gzip_bomb)
        add("/plain", answer(lambda: self.text("Just some words, no feed here.", "text/plain")))
        add(
            "/html",
            answer(lambda: self.text("<html><body><p>A page.</p></body></html>", "text/html")),
        )
        add("/comments", answer(lambda: self.text("<!--" * 50_000, "text/html")))
        add("/busy", self.busy)
        add("/broken", answer(lambda: self.text("failure", "text/plain", status=500)))
        add(
            "/creds",
            answer(
                lambda: self.redirect(302, f"http://user:hunter2@{self.host}:{self.port}/ok.xml")
            ),
        )
        add("/invalid", answer(lambda: self.redirect(302, "http:\\\\127.0.0.1\\x")))
        return app

    async def ok(self, request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(body=FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    async def redirect(self, status: int, location: str) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    async def text(self, body: str, kind: str, status: int = 200) -> web.Response:
        return web.Response(text=body, content_type=kind, status=status)

    async def busy(self, request: web.Request) -> web.Response:
        return web.Response(status=429, text="slow down", headers={"Retry-After": "3600"})

    async def stall(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        await response.write(FEED[:40])
        assert self._release is not None
        await self._release.wait()
        return response

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- padding -->" * 4096
        try:
            for _ in range(50_000_000 // len(chunk)):
                await response.write(chunk)
        except (ConnectionResetError, RuntimeError):  # the client gave up, as it should
            pass
        return response

    async def gzip_bomb(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._bomb,
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"},
        )


EXPECTED = {
    "/ok.xml": None,
    "/moved": None,
    "/loop": "http_status",
    "/stall": "timeout",
    "/huge": "too_large",
    "/bomb": "too_large",
    "/plain": "not_a_feed",
    "/html": "not_a_feed",
    "/comments": "not_a_feed",
    "/busy": "http_status",
    "/broken": "http_status",
    "/creds": "invalid_url",
    "/invalid": "http_status",  # RFC 3986: a path on the same host, which answers 404
}


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="hostile_bot", channels=("hostile_news",)) as server:
        yield server


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def poll_while_a_reader_writes(
    settings: Settings, db: Database, tg: SandboxClient
) -> tuple[list[PollResult], bool]:
    """Poll every feed while a reader sends /start; the results, and whether the bot answered
    before the poll was over."""
    async with Newsbot(settings, database=db) as newsbot:
        poll = asyncio.create_task(newsbot.poll_now())
        await tg.send(READER, "/start", first_name="Reader")
        replies = await tg.bot_messages(READER, wait_for=1, timeout=15)
        assert replies, "the bot did not answer a reader while polling hostile feeds"
        # The stalled feed holds the poll for FETCH_TIMEOUT (10 s): the answer did not wait.
        replied_while_polling = not poll.done()
        return await asyncio.wait_for(poll, 60), replied_while_polling


async def test_every_hostile_feed_is_a_recorded_failure_and_readers_are_answered(
    db: Database, hostile: HostileServer, sandbox: SandboxServer, tg: SandboxClient
) -> None:
    """One poll over every hostile feed ends, records the right kind for each, follows the
    permanent move (and FEEDS does not bring the old URL back), obeys Retry-After, adds under
    300 MB to what the process held before, logs neither the token nor a password, and a
    reader who writes meanwhile is answered."""
    settings = load_settings(
        None,
        telegram_bot_token=TOKEN,
        telegram_api_url=sandbox.url,
        feeds=[f"{hostile.url}{path}" for path in EXPECTED],
        allow_private_networks=True,
        fetch_timeout=10,
        parse_workers=2,
    )
    stream = io.StringIO()  # newsbot's own log set-up, at DEBUG
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=stream)
    # The test process (an xdist worker) may hold what earlier tests loaded (matplotlib, big
    # pictures): what this poll may add is bounded, over the memory in use before it.
    before_mb = _rss_mb()
    try:
        results, replied_while_polling = await poll_while_a_reader_writes(settings, db, tg)
    finally:
        logging.getLogger().removeHandler(handler)
    assert replied_while_polling
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb - before_mb < 300, f"peak RSS {peak_mb:.0f} MB, {before_mb:.0f} MB before"
    assert len(results) == len(EXPECTED)
    logged = stream.getvalue()
    assert "fetch failed" in logged  # the log was captured
    assert "hunter2" not in logged
    assert TOKEN not in logged

    async with db.session() as session:
        feeds = {feed.url: feed for feed in await session.scalars(select(Feed))}
    moved = f"{hostile.url}/ok.xml?moved=1"
    kinds = {}
    for path in EXPECTED:
        feed = feeds.get(f"{hostile.url}{path}") or feeds[moved]
        kinds[path] = feed.last_error_kind
        if feed.last_error:
            assert "\n" not in feed.last_error
            assert "Traceback" not in feed.last_error
            assert "hunter2" not in feed.last_error
    assert kinds == EXPECTED
    assert moved in feeds  # the 301→308 chain moved the feed
    async with db.session() as session, session.begin():  # FEEDS still names the old URL
        await ensure_feeds(session, [f"{hostile.url}/moved"])
    async with db.session() as session:
        assert len(list(await session.scalars(select(Feed)))) == len(EXPECTED)
    busy = feeds[f"{hostile.url}/busy"]
    assert busy.next_poll_at is not None
    assert busy.next_poll_at >= datetime.now(UTC) + timedelta(seconds=3500)
