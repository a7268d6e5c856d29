"""A hostile page pushed by an editor is parsed in a worker process, bounded in time: the bot
goes on meanwhile, and the push fails with one clear line."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.errors import PageParseError
from bot.feeds.fetch import Fetcher
from bot.feeds.workers import ParserPool
from bot.sandbox import FeedServer
from bot.services.push import read_page

#: One tag with 80,000 attributes: lexbor checks each new attribute against all the earlier
#: ones, so this takes it tens of seconds.
FLOOD = (
    "<html><head><title>t</title></head><body><p "
    + " ".join(f"a{i}" for i in range(80_000))
    + ">x</p></body></html>"
)


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/flood.html", FLOOD, "text/html; charset=utf-8")
        server.put(
            "/fine.html",
            '<html><head><meta property="og:title" content="Fine page"></head></html>',
            "text/html; charset=utf-8",
        )
        yield server


@pytest.mark.slow
async def test_attribute_flood_is_cut_off_and_the_loop_runs(site: FeedServer) -> None:
    """The flood runs out of its time in a worker; the event loop keeps running meanwhile, and
    the next page is read by a fresh worker."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.05)

    async with (
        Fetcher(allow_private_networks=True) as fetcher,
        ParserPool(workers=1, timeout=2) as parser,
    ):
        beat = asyncio.create_task(ticker())
        with pytest.raises(PageParseError, match="parsing took longer than 2 s") as caught:
            await read_page(fetcher, site.url_for("/flood.html"), parser=parser)
        stop.set()
        await beat
        assert "\n" not in str(caught.value)
        assert ticks > 10  # the loop was never held for the parse
        draft, _urls = await read_page(fetcher, site.url_for("/fine.html"), parser=parser)
        assert draft.title == "Fine page"
