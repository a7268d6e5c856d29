"""bot.feeds.workers: feeds parsed in worker processes come back whole, errors included, and
a parse that runs out of time costs only its own feed."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from bot.errors import ErrorKind, FeedParseError
from bot.feeds.parse import parse_feed
from bot.feeds.workers import ParserPool
from tests.conftest import FIXTURES

LARGE = FIXTURES / "corpus" / "miniflux__parser__large_rss.xml"


@pytest.fixture
async def parser() -> AsyncIterator[ParserPool]:
    workers = ParserPool(workers=1)
    yield workers
    await workers.aclose()


class TestFeedParser:
    async def test_same_result_as_in_process(self, parser: ParserPool) -> None:
        """A worker process parses a feed exactly as parse_feed does here."""
        content = LARGE.read_bytes()
        got = await parser.parse(content, url="https://n.example/rss", content_type=None)
        assert got == parse_feed(content, url="https://n.example/rss")
        assert len(got.entries) > 20

    async def test_errors_arrive_with_their_kind(self, parser: ParserPool) -> None:
        """A document that is no feed is a FeedParseError of kind not_a_feed, from a worker."""
        with pytest.raises(FeedParseError) as caught:
            await parser.parse(
                b"<html><body>hi</body></html>", url="https://n.example/", content_type="text/html"
            )
        assert caught.value.kind == ErrorKind.NOT_A_FEED

    async def test_a_parse_out_of_time_is_one_failure(self, parser: ParserPool) -> None:
        """A parse past the time bound fails with one clear line; the next parse still works."""
        content = LARGE.read_bytes()
        parser.timeout = 0.000001
        with pytest.raises(FeedParseError, match="parsing took longer") as caught:
            await parser.parse(content, url="https://n.example/rss", content_type=None)
        assert caught.value.kind == ErrorKind.UNPARSEABLE
        parser.timeout = 60
        again = await parser.parse(content, url="https://n.example/rss", content_type=None)
        assert again.entries

    async def test_thread_mode(self) -> None:
        """With no workers, feeds are parsed in a thread of this process."""
        threads = ParserPool(workers=0)
        got = await threads.parse(
            LARGE.read_bytes(), url="https://n.example/rss", content_type=None
        )
        assert got.entries
        await threads.aclose()


def nap(seconds: float) -> float:
    """A parse that takes ``seconds`` (run in a worker process)."""
    import time

    time.sleep(seconds)
    return seconds


class TestBounds:
    async def test_a_stuck_parse_costs_only_itself(self) -> None:
        """Parses queued behind one that runs out of time are not charged for its time, and
        each succeeds in the new pool."""
        # 3 s, not 1: on a loaded 2-core machine the replacement worker alone can take a second.
        async with ParserPool(workers=1, timeout=3) as parser:
            stuck = asyncio.create_task(parser.call(FeedParseError, "stuck", nap, 30))
            quick = [
                asyncio.create_task(parser.call(FeedParseError, f"q{i}", nap, 0.01))
                for i in range(5)
            ]
            with pytest.raises(FeedParseError, match="took longer"):
                await stuck
            assert await asyncio.gather(*quick) == [0.01] * 5

    async def test_close_stops_a_running_parse(self) -> None:
        """Closing the parser kills a worker that is still busy, instead of waiting for it."""
        parser = ParserPool(workers=1, timeout=60)
        running = asyncio.create_task(parser.call(FeedParseError, "long", nap, 60))
        await asyncio.sleep(0)  # one turn: the call submits, and the pool starts its process
        assert parser._pool is not None
        pids = list(parser._pool._processes)  # type: ignore[attr-defined]
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        await parser.aclose()
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
