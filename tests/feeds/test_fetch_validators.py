"""bot.feeds.fetch: validators that cannot be sent back are dropped, a host's queue does not
count against a fetch's time, and a few ranges Python calls global are not public."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.feeds.fetch import Fetcher, is_public_address, usable_validator

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A server whose /odd answers a non-ASCII ETag, and /slow answers after 0.4 s."""

    async def odd(request: web.Request) -> web.Response:
        return web.Response(
            body=FEED,
            headers={"ETag": '"café"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"},
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.4)  # a slow server is the situation under test
        return web.Response(body=FEED, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/odd", odd)
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("value", "usable"),
    [
        ('"v1"', True),
        ('W/"abc"', True),
        ("Wed, 01 Jan 2025 00:00:00 GMT", True),
        ('"café"', False),
        ('"a\r\nX-Injected: 1"', False),
        ("x" * 600, False),
        ("", False),
        (None, False),
    ],
)
def test_usable_validator(value: str | None, usable: bool) -> None:
    """Only printable ASCII validators of a sane length are kept and sent back."""
    assert usable_validator(value) == (value if usable else None)


async def test_non_ascii_etag_does_not_break_the_next_fetch(server: str) -> None:
    """A server's non-ASCII ETag is not kept, and the fetch after it still works."""
    async with Fetcher(allow_private_networks=True) as fetcher:
        first = await fetcher.fetch(f"{server}/odd")
        assert first.etag is None
        assert first.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
        again = await fetcher.fetch(
            f"{server}/odd", etag='"café"', last_modified=first.last_modified
        )
        assert again.content == FEED


async def test_waiting_for_the_host_is_not_a_timeout(server: str) -> None:
    """Four fetches queued behind one slot for a host each get their whole time once it is
    their turn, though together they take longer than one fetch may."""
    async with Fetcher(allow_private_networks=True, timeout=1.0, max_per_host=1) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(f"{server}/slow") for _ in range(4)))
    assert [r.content for r in results] == [FEED] * 4


@pytest.mark.parametrize("address", ["fec0::1", "192.0.0.8", "192.88.99.1"])
def test_ranges_python_calls_global_are_not_public(address: str) -> None:
    """Site-local IPv6, IETF protocol assignments and 6to4 relays are refused."""
    assert not is_public_address(address)
