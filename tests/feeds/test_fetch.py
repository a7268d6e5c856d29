"""Tests for bot.feeds.fetch against a real local HTTP server (aiohttp on 127.0.0.1).

The server runs in the test's own event loop and records every request it sees, so a test can
assert that a refused fetch never reached it. The public first hop of a redirect is simulated by
a routing httpx transport (see ``PublicFirstHop``), and hostile DNS answers by a scripted
resolver (see ``ScriptedResolver``), because nothing here may reach the internet.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import shutil
import socket
import ssl
import subprocess
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path

import brotli
import httpx
import pytest
import zstandard
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.errors import (
    BlockedAddressError,
    ErrorKind,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
)
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
BOMB_SIZE = 50_000_000  # zeros, compressed to a few KB (or a few hundred bytes, stacked)
PEAK_LIMIT = 20_000_000  # traced allocations during a bomb fetch with the default 5 MB cap
SECRET = "s3cr3t-pw"
# Location headers a hostile server may send; each must end in a FetchError or be followed.
HOSTILE_LOCATIONS = [
    pytest.param("http:\\\\127.0.0.1\\x", id="backslashes"),
    pytest.param("http://[::1", id="unclosed-ipv6"),
    pytest.param("http://%00/", id="percent-nul-host"),
    pytest.param("http://" + "a" * 10_240 + "/", id="10kb-host"),
    pytest.param("/" + "a" * 10_240, id="10kb-path"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("file:///etc/passwd", id="file"),
    pytest.param("ftp://127.0.0.1/feed", id="ftp"),
    pytest.param("http://xn--/", id="bad-idna"),
    pytest.param("http://127.0.0.1:99999/", id="bad-port"),
    pytest.param("http://exa mple.invalid/", id="space"),
    pytest.param("http://bücher.invalid/", id="non-ascii-host"),
    pytest.param(f"http://user:{SECRET}@127.0.0.1/feed", id="credentials"),
    pytest.param("", id="empty"),
    pytest.param("/feed", id="relative"),
    pytest.param("feed", id="relative-path"),
    pytest.param("//127.0.0.1:{port}/feed", id="scheme-relative"),
]


def encode(body: bytes, codings: str) -> bytes:
    """Return ``body`` with each coding applied in order ("deflate-raw" is deflate without zlib)."""
    for coding in (part.strip() for part in codings.split(",")):
        if coding in ("gzip", "x-gzip"):
            body = gzip.compress(body, compresslevel=6, mtime=0)
        elif coding == "deflate":
            body = zlib.compress(body)
        elif coding == "deflate-raw":
            compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            body = compressor.compress(body) + compressor.flush()
        elif coding == "br":
            body = brotli.compress(body, quality=5)
        elif coding == "zstd":
            body = zstandard.ZstdCompressor().compress(body)
        elif coding != "identity":
            raise AssertionError(f"no encoder for {coding}")
    return body


@cache
def bomb(codings: str) -> bytes:
    """Return BOMB_SIZE zeros with ``codings`` applied (computed once per run)."""
    return encode(bytes(BOMB_SIZE), codings)


@dataclass
class Seen:
    """One request the local server received."""

    path: str
    headers: dict[str, str]


@dataclass
class InFlight:
    """How many /in-flight requests the server is answering now, and at most at once."""

    now: int = 0
    peak: int = 0
    crowd: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class LocalServer:
    """The running test server: its base URL and the requests it has seen."""

    base: str
    seen: list[Seen] = field(default_factory=list)
    in_flight: InFlight = field(default_factory=InFlight)

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self.base.rpartition(":")[2])

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this server."""
        return self.base + path


def build_app(seen: list[Seen], never: asyncio.Event, in_flight: InFlight) -> web.Application:
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

    async def statuses(request: web.Request) -> web.Response:
        """Redirect /redirects/301-308 with a 301 to /redirects/308, then to the feed."""
        codes = request.match_info["codes"].split("-")
        rest = "-".join(codes[1:])
        location = f"/redirects/{rest}" if rest else "/feed"
        return web.Response(status=int(codes[0]), headers={"Location": location})

    async def loop(request: web.Request) -> web.Response:
        """Redirect to itself, for ever."""
        raise web.HTTPFound("/loop")

    async def hostile(request: web.Request) -> web.Response:
        """Redirect to the Location given in the query, with {port} filled in."""
        location = request.query["to"].replace("{port}", str(request.url.port))
        return web.Response(status=302, headers={"Location": location})

    async def to_credentials(request: web.Request) -> web.Response:
        """Redirect to the feed on this server with a user name and password in the URL."""
        location = f"http://user:{SECRET}@127.0.0.1:{request.url.port}/feed"
        return web.Response(status=302, headers={"Location": location})

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        """Stream 4 x LIMIT bytes, chunked, with no Content-Length."""
        return await stream_zeros(request, 4 * LIMIT, LIMIT)

    async def huge(request: web.Request) -> web.StreamResponse:
        """Stream 50 MB, chunked, with no Content-Length."""
        return await stream_zeros(request, 50_000_000, 64 * 1024)

    async def big_declared(request: web.Request) -> web.Response:
        """Answer with a Content-Length of 4 x LIMIT."""
        return web.Response(body=b"x" * (4 * LIMIT))

    async def gzip_bomb(request: web.Request) -> web.Response:
        """Answer with a small gzip body that inflates to 100 x LIMIT bytes."""
        body = gzip.compress(b"\0" * (100 * LIMIT), mtime=0)
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def encoded(request: web.Request) -> web.Response:
        """Answer with the feed (or BOMB_SIZE zeros) in the codings named in the query."""
        codings = request.query["codings"]
        sent_as = request.query.get("header", codings.replace("deflate-raw", "deflate"))
        body = bomb(codings) if "bomb" in request.query else encode(FEED, codings)
        return web.Response(body=body, headers={"Content-Encoding": sent_as})

    async def raw(request: web.Request) -> web.Response:
        """Answer with the body and Content-Encoding given in the query."""
        body = request.query["body"].encode()
        return web.Response(body=body, headers={"Content-Encoding": request.query["coding"]})

    async def status(request: web.Request) -> web.Response:
        """Answer with the status named in the path, and the query's Retry-After if any."""
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.Response(status=int(request.match_info["code"]), text="nope", headers=headers)

    async def cached(request: web.Request) -> web.Response:
        """Serve the feed with the Cache-Control given in the query."""
        return web.Response(body=FEED, headers={"Cache-Control": request.query["cc"]})

    async def cookie(request: web.Request) -> web.Response:
        """Serve the feed and set a cookie."""
        return web.Response(body=FEED, headers={"Set-Cookie": "session=1; Path=/"})

    async def slow(request: web.Request) -> web.Response:
        """Answer only when an event that the test never sets fires."""
        await never.wait()
        return web.Response(body=FEED)

    async def stall(request: web.Request) -> web.StreamResponse:
        """Send the headers and half the body, then wait for an event that never fires."""
        response = web.StreamResponse(headers={"Content-Length": str(len(FEED))})
        await response.prepare(request)
        await response.write(FEED[: len(FEED) // 2])
        await never.wait()
        return response

    async def counted(request: web.Request) -> web.Response:
        """Count the requests answered at once; hold each until a third arrives or 0.1 s pass.

        A third request at once is the failure the test looks for, so it releases everyone
        at once; otherwise each request is a slow server's answer.
        """
        in_flight.now += 1
        in_flight.peak = max(in_flight.peak, in_flight.now)
        if in_flight.now > 2:
            in_flight.crowd.set()
        try:
            await asyncio.wait_for(in_flight.crowd.wait(), timeout=0.1)
        except TimeoutError:
            pass
        finally:
            in_flight.now -= 1
        return web.Response(body=FEED)

    app = web.Application(middlewares=[record])
    app.router.add_get("/feed", feed)
    app.router.add_get("/moved", moved)
    app.router.add_get("/chain/{hops}", chain)
    app.router.add_get("/redirects/{codes}", statuses)
    app.router.add_get("/loop", loop)
    app.router.add_get("/hostile", hostile)
    app.router.add_get("/to-credentials", to_credentials)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/huge", huge)
    app.router.add_get("/big-declared", big_declared)
    app.router.add_get("/gzip-bomb", gzip_bomb)
    app.router.add_get("/encoded", encoded)
    app.router.add_get("/raw", raw)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/cached", cached)
    app.router.add_get("/cookie", cookie)
    app.router.add_get("/slow", slow)
    app.router.add_get("/stall", stall)
    app.router.add_get("/in-flight", counted)
    return app


async def stream_zeros(request: web.Request, size: int, piece: int) -> web.StreamResponse:
    """Stream ``size`` zero bytes in ``piece``-byte writes, chunked, with no Content-Length."""
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for _ in range(size // piece):
            await response.write(bytes(piece))
        await response.write_eof()
    except ConnectionResetError:  # the client hung up at the limit, as it should
        pass
    return response


async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    """Start ``app`` on 127.0.0.1 on a free port; return its runner and base URL."""
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"{'https' if ssl_context else 'http'}://{host}:{port}"


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    """Run the test server on 127.0.0.1 on a free port for one test."""
    seen: list[Seen] = []
    never = asyncio.Event()
    in_flight = InFlight()
    runner, base = await serve(build_app(seen, never, in_flight))
    try:
        yield LocalServer(base=base, seen=seen, in_flight=in_flight)
    finally:
        never.set()  # release a /slow or /stall handler still waiting, so that shutdown is quick
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


class ScriptedResolver:
    """Answers each name lookup with the next of ``answers`` (the last one repeats)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self._answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        """Return the next scripted answer for ``host`` and note that it was asked."""
        self.asked.append(host)
        return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]


def records_text(
    caplog: pytest.LogCaptureFixture, *, level: int = logging.NOTSET, logger: str = ""
) -> str:
    """Return the captured log records at ``level`` or above from loggers whose names start
    with ``logger``, message and arguments, as one string."""
    return "\n".join(
        f"{record.getMessage()} {record.args!r}"
        for record in caplog.records
        if record.levelno >= level and record.name.startswith(logger)
    )


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


class TestContentEncoding:
    """Bodies are decoded by bounded steps, each coding within the size cap."""

    @pytest.mark.parametrize(
        "codings",
        [
            "gzip",
            "x-gzip",
            "deflate",
            "deflate-raw",
            "br",
            "zstd",
            "identity",
            "gzip, gzip",
            "deflate, gzip",
            "br, zstd",
            "zstd, gzip, br",
        ],
    )
    async def test_encoded_feed_is_decoded(
        self, server: LocalServer, fetcher: Fetcher, codings: str
    ) -> None:
        """A feed in any supported coding, stacked or not, comes back as the feed."""
        result = await fetcher.fetch(server.url(f"/encoded?codings={codings}"))
        assert result.content == FEED

    async def test_accept_encoding_names_what_is_decoded(
        self, server: LocalServer, fetcher: Fetcher
    ) -> None:
        """The request offers exactly the codings the fetcher decodes."""
        await fetcher.fetch(server.url("/feed"))
        assert server.seen[0].headers["Accept-Encoding"] == "gzip, deflate, br, zstd"

    @pytest.mark.parametrize(
        "codings",
        ["gzip", "gzip, gzip", "deflate, gzip", "br", "br, gzip", "zstd", "gzip, zstd"],
    )
    async def test_bomb_is_refused_in_little_memory(
        self, server: LocalServer, codings: str
    ) -> None:
        """50 MB of zeros compressed to kilobytes, stacked or not, is refused at the 5 MB cap
        without ever holding much more than the cap in memory."""
        bomb(codings)  # compressed before measuring
        async with Fetcher(allow_private_networks=True) as fetcher:
            tracemalloc.start()
            try:
                with pytest.raises(ResponseTooLargeError) as info:
                    await fetcher.fetch(server.url(f"/encoded?codings={codings}&bomb=1"))
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
        assert info.value.kind is ErrorKind.TOO_LARGE
        assert "larger than the limit of 5000000 bytes" in info.value.reason
        assert peak < PEAK_LIMIT, f"peak traced memory {peak:,} bytes"

    @pytest.mark.parametrize(
        ("coding", "body", "reason"),
        [
            pytest.param("compress", "x", "content coding 'compress'", id="unknown"),
            pytest.param("gzip", "not gzip", "could not be decompressed (gzip)", id="bad-gzip"),
            pytest.param("br", "not brotli", "could not be decompressed (br)", id="bad-br"),
            pytest.param("zstd", "not zstd", "could not be decompressed (zstd)", id="bad-zstd"),
            pytest.param("gzip, gzip, gzip, gzip", "x", "encoded 4 times", id="four-codings"),
        ],
    )
    async def test_undecodable_body_is_a_fetch_error(
        self, server: LocalServer, fetcher: Fetcher, coding: str, body: str, reason: str
    ) -> None:
        """An unknown, corrupt or too deeply stacked coding is one clear FetchError."""
        url = server.url("/raw")
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(str(httpx.URL(url, params={"coding": coding, "body": body})))
        assert reason in info.value.reason
        assert info.value.kind is ErrorKind.UNPARSEABLE


class TestDNSRebinding:
    """The addresses checked are the addresses connected to; a name is resolved once."""

    async def test_name_answering_loopback_at_connect_is_refused(self, server: LocalServer) -> None:
        """A name whose answer at connect time is 127.0.0.1 is refused and never reached."""
        resolver = ScriptedResolver(["127.0.0.1"])
        url = f"http://rebind.invalid:{server.port}/feed"
        async with Fetcher(resolver=resolver) as fetcher:
            with pytest.raises(BlockedAddressError) as info:
                await fetcher.fetch(url)
        assert info.value.kind is ErrorKind.BLOCKED
        assert "rebind.invalid (127.0.0.1) is a private address" in info.value.reason
        assert info.value.url == url
        assert resolver.asked == ["rebind.invalid"]
        assert server.seen == []

    async def test_public_and_loopback_answers_are_refused(self, server: LocalServer) -> None:
        """A name answering a public and a loopback address is refused before any connection."""
        resolver = ScriptedResolver([PUBLIC_IP, "127.0.0.1"])
        async with Fetcher(resolver=resolver) as fetcher:
            with pytest.raises(BlockedAddressError):
                await fetcher.fetch(f"http://rebind.invalid:{server.port}/feed")
        assert server.seen == []

    async def test_connection_goes_to_the_checked_answer(self, server: LocalServer) -> None:
        """The fetch connects to the resolver's one answer, and nothing resolves the name again
        (the system cannot resolve a .invalid name, and a second answer would be refused)."""
        resolver = ScriptedResolver(["127.0.0.1"], ["203.0.113.1"])
        async with Fetcher(allow_private_networks=True, resolver=resolver) as fetcher:
            first = await fetcher.fetch(f"http://feeds.invalid:{server.port}/feed")
            second = await fetcher.fetch(f"http://feeds.invalid:{server.port}/feed")
        assert first.content == second.content == FEED
        assert resolver.asked == ["feeds.invalid"]  # the second fetch reused the connection
        assert server.seen[0].headers["Host"] == f"feeds.invalid:{server.port}"

    @pytest.mark.parametrize(
        "host",
        ["2130706433", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"],  # noqa: S104
    )
    async def test_odd_spellings_of_loopback_are_refused(
        self, server: LocalServer, host: str
    ) -> None:
        """Numeric spellings of a loopback address are checked as the address they resolve to."""
        async with Fetcher() as fetcher:
            with pytest.raises(BlockedAddressError):
                await fetcher.fetch(f"http://{host}:{server.port}/feed")
        assert server.seen == []


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for the name "localhost" only; return (cert, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - a fixed command line
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for "localhost", made once for this module."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[LocalServer]:
    """Run the test server over https on 127.0.0.1 with the "localhost" certificate."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    seen: list[Seen] = []
    runner, base = await serve(build_app(seen, asyncio.Event(), InFlight()), context)
    try:
        yield LocalServer(base=base, seen=seen)
    finally:
        await runner.cleanup()


class TestTLS:
    """Connecting to a checked address keeps TLS verification on the URL's host name."""

    @staticmethod
    def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
        """Return a client context that trusts the test certificate and nothing else."""
        return ssl.create_default_context(cafile=certificate[0])

    async def test_certificate_for_the_host_name_is_accepted(
        self, tls_server: LocalServer, certificate: tuple[Path, Path]
    ) -> None:
        """https://localhost works although the connection is made to the address 127.0.0.1."""
        resolver = ScriptedResolver(["127.0.0.1"])
        async with Fetcher(
            allow_private_networks=True, resolver=resolver, ssl_context=self.trusting(certificate)
        ) as fetcher:
            result = await fetcher.fetch(f"https://localhost:{tls_server.port}/feed")
        assert result.content == FEED
        assert resolver.asked == ["localhost"]

    @pytest.mark.parametrize("host", ["feeds.invalid", "127.0.0.1"])
    async def test_certificate_for_another_name_is_refused(
        self, tls_server: LocalServer, certificate: tuple[Path, Path], host: str
    ) -> None:
        """The same server under a name or address its certificate does not name is kind tls."""
        async with Fetcher(
            allow_private_networks=True,
            resolver=ScriptedResolver(["127.0.0.1"]),
            ssl_context=self.trusting(certificate),
        ) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(f"https://{host}:{tls_server.port}/feed")
        assert info.value.kind is ErrorKind.TLS
        assert "certificate is not valid" in info.value.reason
        assert tls_server.seen == []

    async def test_untrusted_certificate_is_refused(self, tls_server: LocalServer) -> None:
        """With the default trust store, a self-signed certificate is kind tls."""
        async with Fetcher(allow_private_networks=True) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(tls_server.url("/feed").replace("127.0.0.1", "localhost"))
        assert info.value.kind is ErrorKind.TLS


class TestCredentials:
    """URLs with a user name or password are never fetched and the password never shown."""

    REASON = "the URL contains a user name or password; newsbot does not send credentials"

    @pytest.mark.parametrize(
        "userinfo", [f"user:{SECRET}", SECRET, f":{SECRET}", f"user:{SECRET}:more"]
    )
    async def test_url_with_credentials_is_refused(
        self, server: LocalServer, caplog: pytest.LogCaptureFixture, userinfo: str
    ) -> None:
        """The first URL with credentials is refused before any request, without the password."""
        caplog.set_level(logging.DEBUG)
        url = server.url("/feed").replace("://", f"://{userinfo}@")
        async with Fetcher(allow_private_networks=True) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(url)
        assert info.value.kind is ErrorKind.INVALID_URL
        assert info.value.reason == self.REASON
        assert SECRET not in str(info.value)
        assert SECRET not in info.value.url
        assert SECRET not in records_text(caplog)
        assert server.seen == []

    async def test_redirect_to_credentials_is_refused(
        self, server: LocalServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A redirect to a URL with credentials is refused; the password is in no log line of
        ours, nor in any at INFO or above (httpcore's DEBUG trace prints response headers, and
        bot.logs keeps httpcore at WARNING)."""
        caplog.set_level(logging.DEBUG)
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(server.url("/to-credentials"))
        assert info.value.kind is ErrorKind.INVALID_URL
        assert info.value.reason == self.REASON
        assert SECRET not in str(info.value)
        assert SECRET not in records_text(caplog, level=logging.INFO)
        assert SECRET not in records_text(caplog, logger="bot.")
        assert [seen.path for seen in server.seen] == ["/to-credentials"]


class TestHostileRedirects:
    """Whatever a Location header holds, the fetch follows it or fails with a FetchError."""

    @pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
    async def test_location_is_followed_or_refused(
        self, server: LocalServer, fetcher: Fetcher, location: str
    ) -> None:
        """The fetch returns a result or raises a FetchError with a one-line message."""
        url = str(httpx.URL(server.url("/hostile"), params={"to": location}))
        outcome: FetchResult | FetchError
        try:
            outcome = await fetcher.fetch(url)
        except FetchError as error:
            outcome = error
        if isinstance(outcome, FetchResult):
            assert outcome.content == FEED
        else:
            assert "\n" not in str(outcome)
            assert SECRET not in str(outcome)
            assert outcome.kind in set(ErrorKind)

    @pytest.mark.parametrize(
        ("location", "kind"),
        [
            pytest.param("http:\\\\127.0.0.1\\x", ErrorKind.HTTP_STATUS, id="backslashes-404"),
            pytest.param("http://[::1", ErrorKind.INVALID_URL, id="unclosed-ipv6"),
            pytest.param("javascript:alert(1)", ErrorKind.INVALID_URL, id="javascript"),
            pytest.param("file:///etc/passwd", ErrorKind.INVALID_URL, id="file"),
            pytest.param("http://" + "a" * 10_240 + "/", ErrorKind.INVALID_URL, id="10kb"),
            pytest.param("http://bücher.invalid/", ErrorKind.DNS, id="non-ascii-host"),
        ],
    )
    async def test_location_failure_kind(
        self, server: LocalServer, fetcher: Fetcher, location: str, kind: ErrorKind
    ) -> None:
        """Each refused Location is classified."""
        url = str(httpx.URL(server.url("/hostile"), params={"to": location}))
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(url)
        assert info.value.kind is kind


class TestErrorKinds:
    """Every failure carries the kind that the feed's health records."""

    async def test_refused_port_is_connect(self, fetcher: Fetcher) -> None:
        """A port nobody listens on is kind connect."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
        assert info.value.kind is ErrorKind.CONNECT

    @pytest.mark.parametrize("allow_private", [True, False])
    async def test_unresolvable_name_is_dns(self, allow_private: bool) -> None:
        """A .invalid name (RFC 6761: never resolves) is kind dns, checked or not."""
        async with Fetcher(allow_private_networks=allow_private) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch("http://feeds.invalid/rss")
        assert info.value.kind is ErrorKind.DNS
        assert info.value.reason == "name does not resolve"

    async def test_stall_mid_body_is_timeout(self, server: LocalServer) -> None:
        """A server that sends half the body and stops is kind timeout, within the timeout."""
        async with Fetcher(allow_private_networks=True, timeout=0.3) as fetcher:
            with pytest.raises(FetchError) as info:
                await asyncio.wait_for(fetcher.fetch(server.url("/stall")), timeout=5)
        assert info.value.kind is ErrorKind.TIMEOUT
        assert info.value.reason == "timed out after 0.3 s"

    async def test_slow_answer_is_timeout(self, server: LocalServer) -> None:
        """A server that never answers is kind timeout."""
        async with Fetcher(allow_private_networks=True, timeout=0.2) as fetcher:
            with pytest.raises(FetchError) as info:
                await fetcher.fetch(server.url("/slow"))
        assert info.value.kind is ErrorKind.TIMEOUT

    @pytest.mark.parametrize("code", [404, 500])
    async def test_error_status_is_http_status(
        self, server: LocalServer, fetcher: Fetcher, code: int
    ) -> None:
        """An error status is kind http_status."""
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(server.url(f"/status/{code}"))
        assert info.value.kind is ErrorKind.HTTP_STATUS

    async def test_50_mb_stream_is_too_large(self, server: LocalServer) -> None:
        """A 50 MB body streamed without Content-Length is kind too_large at the 5 MB cap."""
        async with Fetcher(allow_private_networks=True) as fetcher:
            with pytest.raises(ResponseTooLargeError) as info:
                await fetcher.fetch(server.url("/huge"))
        assert info.value.kind is ErrorKind.TOO_LARGE

    async def test_redirect_loop_is_http_status(
        self, server: LocalServer, fetcher: Fetcher
    ) -> None:
        """A redirect loop stops after max_redirects and is kind http_status."""
        with pytest.raises(FetchError, match="more than 5 redirects") as info:
            await fetcher.fetch(server.url("/loop"))
        assert info.value.kind is ErrorKind.HTTP_STATUS
        assert len(server.seen) == 6

    async def test_private_address_is_blocked(self, server: LocalServer) -> None:
        """A loopback address is kind blocked."""
        async with Fetcher() as fetcher:
            with pytest.raises(BlockedAddressError) as info:
                await fetcher.fetch(server.url("/feed"))
        assert info.value.kind is ErrorKind.BLOCKED

    @pytest.mark.parametrize("url", ["ftp://feeds.example/rss", "http://", "http://xn--/"])
    async def test_bad_url_is_invalid_url(self, fetcher: Fetcher, url: str) -> None:
        """A URL that cannot be fetched at all is kind invalid_url."""
        with pytest.raises(FetchError) as info:
            await fetcher.fetch(url)
        assert info.value.kind is ErrorKind.INVALID_URL

    async def test_failure_log_line_names_the_kind(
        self, server: LocalServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The failure's log line carries its kind."""
        caplog.set_level(logging.INFO, logger="bot.feeds.fetch")
        with pytest.raises(HTTPStatusError):
            await fetcher.fetch(server.url("/status/404"))
        assert "kind=http_status" in caplog.records[-1].getMessage()


class TestSchedulerHints:
    """A fetch tells the scheduler about permanent moves, freshness and Retry-After."""

    @pytest.mark.parametrize(
        ("path", "permanent"),
        [
            pytest.param("/redirects/301", True, id="301"),
            pytest.param("/redirects/308", True, id="308"),
            pytest.param("/redirects/301-308-301", True, id="301-308-301"),
            pytest.param("/redirects/301-302", False, id="301-302"),
            pytest.param("/redirects/307-301", False, id="307-301"),
            pytest.param("/redirects/303", False, id="303"),
            pytest.param("/feed", False, id="no-redirect"),
        ],
    )
    async def test_permanent_url(
        self, server: LocalServer, fetcher: Fetcher, path: str, permanent: bool
    ) -> None:
        """permanent_url is the final URL only when every hop was a 301 or 308."""
        result = await fetcher.fetch(server.url(path))
        assert (result.url, result.content) == (server.url("/feed"), FEED)
        assert result.permanent_url == (server.url("/feed") if permanent else None)

    async def test_permanent_url_on_not_modified(
        self, server: LocalServer, fetcher: Fetcher
    ) -> None:
        """A 304 at the end of a permanent chain still reports the new URL."""
        result = await fetcher.fetch(server.url("/redirects/301"), etag=ETAG)
        assert result.not_modified
        assert result.permanent_url == server.url("/feed")

    @pytest.mark.parametrize(
        ("cache_control", "max_age"),
        [("max-age=300", 300), ("public, max-age=60", 60), ("no-cache, max-age=60", None)],
    )
    async def test_max_age(
        self, server: LocalServer, fetcher: Fetcher, cache_control: str, max_age: int | None
    ) -> None:
        """max_age comes from the response's Cache-Control."""
        url = str(httpx.URL(server.url("/cached"), params={"cc": cache_control}))
        assert (await fetcher.fetch(url)).max_age == max_age

    async def test_max_age_absent(self, server: LocalServer, fetcher: Fetcher) -> None:
        """Without Cache-Control, max_age is None."""
        assert (await fetcher.fetch(server.url("/feed"))).max_age is None

    @pytest.mark.parametrize(
        ("code", "retry_after", "expected"),
        [
            pytest.param(429, "120", 120.0, id="429-seconds"),
            pytest.param(503, "0", 0.0, id="503-zero"),
            pytest.param(429, "soon", None, id="429-garbage"),
            pytest.param(429, None, None, id="429-absent"),
            pytest.param(500, "120", None, id="500-ignored"),
            pytest.param(404, "120", None, id="404-ignored"),
        ],
    )
    async def test_retry_after_seconds(
        self,
        server: LocalServer,
        fetcher: Fetcher,
        code: int,
        retry_after: str | None,
        expected: float | None,
    ) -> None:
        """Retry-After in seconds is kept on 429 and 503 only."""
        params = {} if retry_after is None else {"retry_after": retry_after}
        url = str(httpx.URL(server.url(f"/status/{code}"), params=params))
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(url)
        assert info.value.retry_after == expected

    async def test_retry_after_http_date(self, server: LocalServer, fetcher: Fetcher) -> None:
        """Retry-After as an HTTP-date becomes the seconds from now."""
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
        url = str(httpx.URL(server.url("/status/503"), params={"retry_after": when}))
        with pytest.raises(HTTPStatusError) as info:
            await fetcher.fetch(url)
        assert info.value.retry_after is not None
        assert 80 <= info.value.retry_after <= 90


class TestPerHostLimit:
    """At most two requests at a time go to one host."""

    async def test_six_fetches_to_one_host_run_two_at_a_time(self, server: LocalServer) -> None:
        """Six concurrent fetches to one host never have more than two requests in flight."""
        async with Fetcher(allow_private_networks=True) as fetcher:
            results = await asyncio.gather(
                *(fetcher.fetch(server.url("/in-flight")) for _ in range(6))
            )
        assert [result.content for result in results] == [FEED] * 6
        assert server.in_flight.peak == 2
        assert len(server.seen) == 6

    async def test_other_hosts_are_not_held_back(self, server: LocalServer) -> None:
        """Two names for the same server are two hosts, each with its own two slots."""
        resolver = ScriptedResolver(["127.0.0.1"])
        names = ["127.0.0.1", "127.0.0.1", "feeds.invalid", "feeds.invalid"]
        async with Fetcher(allow_private_networks=True, resolver=resolver) as fetcher:
            await asyncio.gather(
                *(fetcher.fetch(f"http://{name}:{server.port}/in-flight") for name in names)
            )
        assert server.in_flight.peak > 2


class TestRequestHeaders:
    """What the fetcher sends, and what it does not."""

    async def test_cookies_are_not_kept(self, server: LocalServer, fetcher: Fetcher) -> None:
        """A cookie one response sets is not sent with the next request."""
        await fetcher.fetch(server.url("/cookie"))
        await fetcher.fetch(server.url("/feed"))
        assert "Cookie" not in server.seen[1].headers

    def test_feed_accept_names_json_feed(self) -> None:
        """The Accept header for feeds names JSON Feed as well as RSS and Atom."""
        assert "application/feed+json" in FEED_ACCEPT
        assert "application/json;q=0.9" in FEED_ACCEPT
