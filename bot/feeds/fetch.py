"""The one place that fetches feeds and article pages over HTTP (httpx, async).

Use one Fetcher for many fetches; it keeps connections open between them::

    from bot.feeds.fetch import PAGE_ACCEPT, Fetcher

    async with Fetcher(allow_private_networks=settings.allow_private_networks) as fetcher:
        result = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if not result.not_modified:
            entries = await parse(result.content)          # elsewhere, in a worker thread
        page = await fetcher.fetch(url, accept=PAGE_ACCEPT)  # an editor's push

What it guarantees:

- only http(s) URLs; every redirect hop is followed here, not by httpx, so that each hop's host
  is checked: unless ``allow_private_networks``, a host that resolves to a loopback, private,
  link-local, multicast, reserved or unspecified address is refused (:class:`BlockedAddressError`);
- conditional GET: pass the ``etag``/``last_modified`` of the last fetch; a 304 gives
  ``not_modified=True`` and empty content;
- the whole fetch, redirects and body included, ends within ``timeout`` seconds, and the body is
  cut off past ``max_bytes`` (:class:`ResponseTooLargeError`);
- every failure is a :class:`bot.errors.FetchError` with a short reason, never a traceback.

Errors carry the URL of the hop that failed, which after a redirect is not the one asked for.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self, TypeAlias

import httpx

import bot
from bot.errors import BlockedAddressError, FetchError, HTTPStatusError, ResponseTooLargeError

__all__ = [
    "DEFAULT_USER_AGENT",
    "FEED_ACCEPT",
    "PAGE_ACCEPT",
    "FetchResult",
    "Fetcher",
    "is_public_address",
]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT: Final = f"newsbot/{bot.__version__} (+https://github.com/newsbot/newsbot)"
FEED_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
PAGE_ACCEPT: Final = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful fetch: the final URL after redirects, the status and the body.

    ``etag`` and ``last_modified`` are what to send next time; on a 304 they are the server's
    new ones if it sent any, else the ones the fetch was made with.
    """

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool


def is_public_address(ip: str | IPAddress) -> bool:
    """Return True if ``ip`` is a public unicast address that a feed may live on.

    Loopback, private, link-local, multicast, reserved, unspecified and shared (CGNAT)
    addresses are not public; nor is an IPv6 address that embeds a non-public IPv4 one
    (IPv4-mapped ``::ffff:10.0.0.1``, 6to4, NAT64). Raises ValueError for a non-address.
    """
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFF_FFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return addr.is_global and not (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


class Fetcher:
    """Fetches feeds and pages with the guarantees in this module's docstring.

    ``transport`` replaces httpx's network transport (tests pass ``httpx.MockTransport`` or a
    router); the address checks still run before it is called.
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        if max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, not {max_redirects}")
        self._allow_private = allow_private_networks
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        # trust_env=False: no proxy from the environment, so the address we check is the one
        # we connect to. Redirects are followed in fetch(), one checked hop at a time.
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """Fetch ``url``, following redirects, and return the final response's body.

        Raises FetchError (or BlockedAddressError, ResponseTooLargeError, HTTPStatusError).
        """
        started = time.monotonic()
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout):
                result = await self._follow(url, headers)
        except TimeoutError:
            error = FetchError(url, self._timed_out())
            self._log_failure(url, error, started)
            raise error from None
        except FetchError as error:
            self._log_failure(url, error, started)
            raise
        log.info(
            "fetched url=%s final_url=%s status=%s bytes=%d elapsed_ms=%d",
            url,
            result.url,
            result.status,
            len(result.content),
            _elapsed_ms(started),
        )
        if result.not_modified:
            return FetchResult(
                url=result.url,
                status=result.status,
                content=b"",
                content_type=result.content_type,
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
                not_modified=True,
            )
        return result

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResult:
        """Request ``url`` and each redirect target in turn, checking every hop's host first."""
        current = url
        for _hop in range(self._max_redirects + 1):
            target = _parse_url(current)
            if not self._allow_private:
                await _check_host(current, target)
            try:
                async with self._client.stream("GET", target, headers=headers) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        log.debug(
                            "redirect url=%s status=%s location=%s",
                            current,
                            response.status_code,
                            location,
                        )
                        try:
                            current = str(response.url.join(location))
                        except (httpx.InvalidURL, ValueError):  # UnicodeError is a ValueError
                            raise FetchError(
                                current, f"redirected to an invalid URL: {location[:200]!r}"
                            ) from None
                        continue
                    return await self._read(current, response)
            except httpx.HTTPError as exc:
                raise FetchError(current, self._reason(exc)) from None
        raise FetchError(url, f"more than {self._max_redirects} redirects")

    async def _read(self, url: str, response: httpx.Response) -> FetchResult:
        """Return the result for a final (non-redirect) response, reading at most max_bytes."""
        status = response.status_code
        if status >= 300 and status != 304:
            raise HTTPStatusError(url, status)
        content = b""
        if status != 304:
            content = await self._read_body(url, response)
        return FetchResult(
            url=url,
            status=status,
            content=content,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            not_modified=status == 304,
        )

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """Stream the (decompressed) body, refusing it once it passes max_bytes."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise ResponseTooLargeError(
                url, f"the server announced {int(declared)} bytes; the limit is {self._max_bytes}"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise ResponseTooLargeError(
                    url, f"the body is larger than the limit of {self._max_bytes} bytes"
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _timed_out(self) -> str:
        """Return the reason given for a fetch that ran out of time."""
        return f"timed out after {self._timeout:g} s"

    def _reason(self, exc: httpx.HTTPError) -> str:
        """Return a short human reason for an httpx failure, from its type and its causes."""
        if isinstance(exc, httpx.TimeoutException):
            return self._timed_out()
        if isinstance(exc, httpx.DecodingError):
            return "the body could not be decompressed"
        if isinstance(exc, httpx.UnsupportedProtocol):
            return f"the URL is not valid: {exc}"
        causes = list(_causes(exc))
        for cause in causes:
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused"
            if isinstance(cause, socket.gaierror):
                return "name does not resolve"
            if isinstance(cause, ssl.SSLCertVerificationError):
                return f"the TLS certificate is not valid: {cause.verify_message}"
            if isinstance(cause, ssl.SSLError):
                return "the TLS handshake failed"
        if isinstance(exc, httpx.ConnectError):
            return f"cannot connect: {exc}" if str(exc) else "cannot connect"
        if isinstance(exc, httpx.RemoteProtocolError):
            return f"the server broke the connection: {exc}"
        return f"the connection failed: {exc}" if str(exc) else "the connection failed"

    def _log_failure(self, url: str, error: FetchError, started: float) -> None:
        """Log one structured line for an expected failure (no traceback)."""
        log.warning(
            "fetch failed url=%s error=%s reason=%r elapsed_ms=%d",
            url,
            type(error).__name__,
            error.reason,
            _elapsed_ms(started),
        )


def _parse_url(url: str) -> httpx.URL:
    """Return ``url`` parsed, if it is an absolute http(s) URL with a host; else FetchError."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise FetchError(url, "only http and https URLs can be fetched") from None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.raw_host:
        raise FetchError(url, "only http and https URLs can be fetched")
    try:
        parsed.host  # noqa: B018 - httpx decodes the IDNA host later; a bad one must fail here
    except UnicodeError:  # idna.IDNAError is a UnicodeError
        raise FetchError(url, "the host name is not valid") from None
    return parsed


async def _check_host(url: str, parsed: httpx.URL) -> None:
    """Raise BlockedAddressError if ``parsed``'s host is or resolves to a non-public address.

    Not covered: DNS rebinding. The name is resolved here and again by httpx when it connects,
    and a hostile DNS server may answer differently the second time. Pinning the checked
    address into the connection would close that gap.
    """
    host = parsed.raw_host.decode("ascii")  # IDNA-encoded; IPv6 without brackets
    try:
        addresses: set[IPAddress] = {ipaddress.ip_address(host)}
    except ValueError:
        port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise FetchError(url, "name does not resolve") from None
        addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    for address in sorted(addresses, key=str):
        if not is_public_address(address):
            where = f"the address {address}" if host == str(address) else f"{host} ({address})"
            raise BlockedAddressError(
                url,
                f"{where} is a private address (loopback, private, link-local, multicast or "
                "reserved); set ALLOW_PRIVATE_NETWORKS=true to allow fetching from it",
            )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield the exceptions that ``exc`` was raised from or during, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _elapsed_ms(started: float) -> int:
    """Return the milliseconds since ``started`` (a time.monotonic() value)."""
    return int((time.monotonic() - started) * 1000)
