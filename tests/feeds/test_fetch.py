"""Tests for bot.feeds.fetch against a real local HTTP server (aiohttp on 127.0.0.1).

The server runs in the test's own event loop and records every request it sees, so a test can
assert that a refused fetch never reached it. The public first hop of a redirect is simulated by
a routing httpx transport (see ``PublicFirstHop``), because nothing here may reach the internet.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.errors import BlockedAddressError, FetchError, HTTPStatusError, ResponseTooLargeError
from bot.feeds.fetch import (
    DEFAULT_USER_AGENT,
    FEED_ACCEPT,
    PAGE_ACCEPT,
    Fetcher,
    FetchResult,
    is_public_address,
)

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
LIMIT = 1000
PUBLIC_IP = "8.8.8.8"  # only ever answered by PublicFirstHop below, never contacted


@dataclass
class Seen:
    """One request the local server received."""

    path: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    """The running test server: its base URL and the requests it has seen."""

    base: str
    seen: list[Seen] = field(default_factory=list)

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this server."""
        return self.base + path


def build_app(seen: list[Seen], never: asyncio.Event) -> web.Application:
    """Return the aiohttp app that plays feed servers good and bad."""

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the request, then answer it."""
        seen.append(Seen(request.path, dict(request.headers)))
        response: web.StreamResponse = await handler(request)
        return response

    async def feed(request: web.Request) -> web.Response:
        """Serve the feed, honouring If-None-Match and If-Modified-Since."""
        validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
        if (
            request.headers.get("If-None-Match") == ETAG
            or request.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            return web.Response(status=304, headers=validators)
        return web.Response(body=FEED, content_type="application/rss+xml", headers=validators)

    async def moved(request: web.Request) -> web.Response:
        """Redirect to the feed with a relative Location."""
        raise web.HTTPMovedPermanently("/feed")

    async def chain(request: web.Request) -> web.Response:
        """Redirect /chain/N to /chain/N-1, and /chain/1 to the feed: N redirects in all."""
        hops = int(request.match_info["hops"])
        raise web.HTTPFound(f"/chain/{hops - 1}" if hops > 1 else "/feed")

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        """Stream 4 x LIMIT bytes, chunked, with no Content-Length."""
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(4):
                await response.write(b"x" * LIMIT)
            await response.write_eof()
        except ConnectionResetError:  # the client hung up at the limit, as it should
            pass
        return response

    async def big_declared(request: web.Request) -> web.Response:
        """Answer with a Content-Length of 4 x LIMIT."""
        return web.Response(body=b"x" * (4 * LIMIT))

    async def gzip_bomb(request: web.Request) -> web.Response:
        """Answer with a small gzip body that inflates to 100 x LIMIT bytes."""
        body = gzip.compress(b"\0" * (100 * LIMIT), mtime=0)
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def status(request: web.Request) -> web.Response:
        """Answer with the status named in the path."""
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def slow(request: web.Request) -> web.Response:
        """Answer only when an event that the test never sets fires."""
        await never.wait()
        return web.Response(body=FEED)

    app = web.Application(middlewares=[record])
    app.router.add_get("/feed", feed)
    app.router.add_get("/moved", moved)
    app.router.add_get("/chain/{hops}", chain)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/big-declared", big_declared)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/slow", slow)
    return app


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    """Run the test server on 127.0.0.1 on a free port for one test."""
    seen: list[Seen] = []
    never = asyncio.Event()
    runner = web.AppRunner(
        build_app(seen, never), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield LocalServer(base=f"http://{host}:{port}", seen=seen)
    finally:
        never.set()  # release a /slow handler still waiting, so that shutdown is quick
        await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A Fetcher allowed to reach the local server, with a small size limit."""
    async with Fetcher(allow_private_networks=True, max_bytes=LIMIT, timeout=5.0) as fetcher:
        yield fetcher


class PublicFirstHop(httpx.AsyncBaseTransport):
    """Plays a public server at PUBLIC_IP that redirects to ``target``; passes 127.0.0.1 on.

    The fetcher checks each hop's address before calling the transport, so the first hop looks
    public (an IP literal needs no DNS) while the second goes to the real local server through a
    real transport: if the check on the second hop were missing, the server would see a request.
    """

    def __init__(self, target: str) -> None:
        self._target = target
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer for PUBLIC_IP, forward loopback requests, refuse anything else."""
        if request.url.host == PUBLIC_IP:
            return httpx.Response(302, headers={"Location": self._target})
        if request.url.host == "127.0.0.1":
            return await self._real.handle_async_request(request)
        raise AssertionError(f"the test tried to reach {request.url}")

    async def aclose(self) -> None:
        """Close the real transport."""
        await self._real.aclose()


class TestIsPublicAddress:
    """is_public_address tells public unicast addresses from internal ones."""

    @pytest.mark.parametrize(
        ("ip", "public"),
        [
            pytest.param("127.0.0.1", False, id="loopback-v4"),
            pytest.param("127.8.9.10", False, id="loopback-v4-range"),
            pytest.param("10.1.2.3", False, id="private-10"),
            pytest.param("172.16.0.1", False, id="private-172.16"),
            pytest.param("172.31.255.254", False, id="private-172.31"),
            pytest.param("192.168.1.1", False, id="private-192.168"),
            pytest.param("169.254.169.254", False, id="link-local-metadata"),
            pytest.param("100.64.0.1", False, id="shared-cgnat"),
            pytest.param("224.0.0.1", False, id="multicast-v4"),
            pytest.param("240.0.0.1", False, id="reserved-v4"),
            pytest.param("255.255.255.255", False, id="broadcast"),
            pytest.param("0.0.0.0", False, id="unspecified-v4"),  # noqa: S104 - an input value
            pytest.param("::1", False, id="loopback-v6"),
            pytest.param("::", False, id="unspecified-v6"),
            pytest.param("fc00::1", False, id="unique-local-v6"),
            pytest.param("fe80::1", False, id="link-local-v6"),
            pytest.param("fe80::1%eth0", False, id="link-local-v6-scoped"),
            pytest.param("ff0e::1", False, id="multicast-v6"),
            pytest.param("::ffff:10.0.0.1", False, id="v4-mapped-private"),
            pytest.param("::ffff:127.0.0.1", False, id="v4-mapped-loopback"),
            pytest.param("2002:a00:1::", False, id="6to4-private"),
            pytest.param("64:ff9b::a00:1", False, id="nat64-private"),
            pytest.param("8.8.8.8", True, id="public-v4"),
            pytest.param("2001:4860::8888", True, id="public-v6"),
            pytest.param("::ffff:8.8.8.8", True, id="v4-mapped-public"),
            pytest.param("64:ff9b::808:808", True, id="nat64-public"),
        ],
    )
    def test_classification(self, ip: str, public: bool) -> None:
        """Each address is classified as public or not."""
        assert is_public_address(ip) is public


class TestFetch:
    """Fetcher fetches, follows redirects, honours conditional GET and enforces limits."""

    async def test_feed_is_fetched(self, server: LocalServer, fetcher: Fetcher) -> None:
        """A feed comes back with its body, type and validators, and the bot names itself."""
        result = await fetcher.fetch(server.url("/feed"))
        assert result == FetchResult(
            url=server.url("/feed"),
            status=200,
            content=FEED,
            content_type="application/rss+xml",
            etag=ETAG,
            last_modified=LAST_MODIFIED,
            not_modified=False,
        )
        assert server.seen[0].headers["User-Agent"] == DEFAULT_USER_AGENT
        assert server.seen[0].headers["Accept"] == FEED_ACCEPT
        assert DEFAULT_USER_AGENT.startswith("newsbot/")

    async def test_page_accept_header(self, server: LocalServer, fetcher: Fetcher) -> None:
        """The accept argument is sent as the Accept header."""
        await fetcher.fetch(server.url("/feed"), accept=PAGE_ACCEPT)
        assert server.seen[0].headers["Accept"] == PAGE_ACCEPT

    @pytest.mark.parametrize(
        ("use_etag", "use_last_modified"),
        [
            pytest.param(True, False, id="etag"),
            pytest.param(False, True, id="last-modified"),
            pytest.param(True, True, id="both"),
        ],
    )
    async def test_conditional_get_is_not_modified(
        self, server: LocalServer, fetcher: Fetcher, use_etag: bool, use_last_modified: bool
    ) -> None:
        """A second fetch with the first one's validators is a 304 with no content."""
        first = await fetcher.fetch(server.url("/feed"))
        second = await fetcher.fetch(
            server.url("/feed"),
            etag=first.etag if use_etag else None,
            last_modified=first.last_modified if use_last_modified else None,
        )
        assert second.not_modified
        assert second.status == 304
        assert second.content == b""
        assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
        sent = server.seen[1].headers
        assert sent.get("If-None-Match") == (ETAG if use_etag else None)
        assert sent.get("If-Modified-Since") == (LAST_MODIFIED if use_last_modified else None)

    async def test_redirect_is_followed(self, server: LocalServer, fetcher: Fetcher) -> None:
        """A redirect with a relative Location is followed and the final URL reported."""
        result = await fetcher.fetch(server.url("/moved"))
        assert (result.url, result.status, result.content) == (server.url("/feed"), 200, FEED)
        assert [seen.path for seen in server.seen] == ["/moved", "/feed"]

    @pytest.mark.parametrize(
        ("hops", "ok"),
        [pytest.param(2, True, id="at-limit"), pytest.param(3, False, id="over-limit")],
    )
    async def test_redirect_limit(self, server: LocalServer, hops: int, ok: bool) -> None:
        """At most max_redirects redirects are followed; one more is a FetchError."""
        async with Fetcher(allow_private_networks=True, max_redirects=2) as fetcher:
            if ok:
                assert (await fetcher.fetch(server.url(f"/chain/{hops}"))).content == FEED
            else:
                with pytest.raises(FetchError, match="more than 2 redirects"):
                    await fetcher.fetch(server.url(f"/chain/{hops}"))

    @pytest.mark.parametrize(
        ("path", "reason"),
        [
            pytest.param("/big-chunked", "larger than the limit of 1000 bytes", id="chunked"),
            pytest.param("/big-declared", "announced 4000 bytes", id="content-length"),
            pytest.param("/gzip-bomb", "larger than the limit of 1000 bytes", id="gzip-inflated"),
        ],
    )
    async def test_body_over_limit(
        self, server: LocalServer, fetcher: Fetcher, path: str, reason: str
    ) -> None:
        """A body past max_bytes, announced or streamed or inflated, is refused."""
        with pytest.raises(ResponseTooLargeError, match=reason) as info:
            await fetcher.fetch(server.url(path))
        assert info.value.url == server.url(path)

    @pytest.mark.parametrize("code", [404, 410, 500, 503])
    async def test_error_status(self, server: LocalServer, fetcher: Fetcher, code: int) -> None:
        """An error status is an HTTPStatusError carrying the status."""
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(server.url(f"/status/{code}"))
        assert info.value.status == code
        assert info.value.reason == f"the server answered HTTP {code}"

    async def test_timeout(self, server: LocalServer) -> None:
        """A server that never answers is a FetchError that says how long was waited."""
        async with Fetcher(allow_private_networks=True, timeout=0.2) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(server.url("/slow"))
        assert info.value.reason == "timed out after 0.2 s"
        assert info.value.__suppress_context__

    async def test_connection_refused(self, fetcher: Fetcher) -> None:
        """A port nobody listens on is a FetchError saying the connection was refused."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        assert info.value.reason == "connection refused"

    async def test_name_does_not_resolve(self) -> None:
        """A DNS failure inside httpx is a FetchError saying the name does not resolve."""

        def fail(request: httpx.Request) -> httpx.Response:
            """Fail the way httpx does when getaddrinfo fails."""
            try:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            except socket.gaierror as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc

        transport = httpx.MockTransport(fail)
        async with Fetcher(allow_private_networks=True, transport=transport) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch("http://feeds.invalid/rss")
        assert info.value.reason == "name does not resolve"

    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("ftp://feeds.example/rss", id="ftp"),
            pytest.param("file:///etc/passwd", id="file"),
            pytest.param("javascript:alert(1)", id="javascript"),
            pytest.param("feeds.example/rss", id="no-scheme"),
            pytest.param("http://", id="no-host"),
            pytest.param("", id="empty"),
        ],
    )
    async def test_only_http_urls(self, fetcher: Fetcher, url: str) -> None:
        """Anything but an absolute http(s) URL is refused before any request."""
        with pytest.raises(FetchError, match="only http and https URLs can be fetched"):
            await fetcher.fetch(url)

    async def test_invalid_idna_host_is_a_fetch_error(self, fetcher: Fetcher) -> None:
        """A host that is not valid IDNA (``xn--`` with a bad label) fails as a FetchError."""
        with pytest.raises(FetchError):
            await fetcher.fetch("http://xn--localhost/rss")

    async def test_log_lines_are_structured(
        self, server: LocalServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A fetch logs one key=value line; a failure logs its reason without a traceback."""
        caplog.set_level(logging.INFO, logger="bot.feeds.fetch")
        await fetcher.fetch(server.url("/feed"))
        with pytest.raises(HTTPStatusError):
            await fetcher.fetch(server.url("/status/404"))
        ours = [record for record in caplog.records if record.name == "bot.feeds.fetch"]
        assert ours[0].getMessage().startswith(f"fetched url={server.url('/feed')} ")
        assert "status=200 bytes=" in ours[0].getMessage()
        assert ours[1].getMessage().startswith("fetch failed url=")
        assert "error=HTTPStatusError" in ours[1].getMessage()
        assert all(record.exc_info is None for record in ours)


class TestPrivateNetworks:
    """Without allow_private_networks, no hop may go to an internal address."""

    @pytest.mark.parametrize(
        "host",
        [
            pytest.param("127.0.0.1", id="ip-literal"),
            pytest.param("localhost", id="name-resolving-to-loopback"),
        ],
    )
    async def test_loopback_is_refused(self, server: LocalServer, host: str) -> None:
        """A URL on a loopback address is refused and the server sees no request."""
        url = server.url("/feed").replace("127.0.0.1", host)
        async with Fetcher() as fetcher:
            with pytest.raises(BlockedAddressError) as info:
                await fetcher.fetch(url)
        assert "is a private address" in info.value.reason
        assert "ALLOW_PRIVATE_NETWORKS=true" in info.value.reason
        assert info.value.url == url
        assert server.seen == []

    async def test_redirect_to_private_is_refused(self, server: LocalServer) -> None:
        """A public server redirecting to a private address is refused at the second hop."""
        transport = PublicFirstHop(target=server.url("/feed"))
        async with Fetcher(transport=transport) as fetcher:
            with pytest.raises(BlockedAddressError) as info:
                await fetcher.fetch(f"http://{PUBLIC_IP}/rss")
        assert info.value.url == server.url("/feed")
        assert server.seen == []

    async def test_redirect_router_reaches_server_when_allowed(self, server: LocalServer) -> None:
        """With private networks allowed, the same redirect reaches the local server."""
        transport = PublicFirstHop(target=server.url("/feed"))
        async with Fetcher(transport=transport, allow_private_networks=True) as fetcher:
            result = await fetcher.fetch(f"http://{PUBLIC_IP}/rss")
        assert (result.url, result.content) == (server.url("/feed"), FEED)
        assert [seen.path for seen in server.seen] == ["/feed"]
