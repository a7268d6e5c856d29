"""The one place that fetches feeds and article pages over HTTP (httpx, async).

Use one Fetcher for many fetches; it keeps connections open between them::

    from bot.feeds.fetch import PAGE_ACCEPT, Fetcher

    async with Fetcher(allow_private_networks=settings.allow_private_networks) as fetcher:
        result = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if not result.not_modified:
            entries = await parse(result.content)          # elsewhere, in a worker thread
        if result.permanent_url:
            feed.url = result.permanent_url                 # moved for good (301/308)
        page = await fetcher.fetch(url, accept=PAGE_ACCEPT)  # an editor's push

What it guarantees:

- only http(s) URLs without a user name or password in them (newsbot sends no credentials);
  every redirect hop is followed here, not by httpx, so that each hop's URL is checked;
- unless ``allow_private_networks``, no connection to a loopback, private, link-local,
  multicast, reserved or unspecified address (:class:`BlockedAddressError`): the check is made
  where the connection is made, on the very addresses connected to, so a name that answers
  differently the second time (DNS rebinding) gets nowhere (see ``_guard``); TLS certificates
  and SNI are still checked against the URL's host name;
- conditional GET: pass the ``etag``/``last_modified`` of the last fetch; a 304 gives
  ``not_modified=True`` and empty content;
- the whole fetch, redirects and body included, ends within ``timeout`` seconds, and the body is
  refused once its *decoded* size passes ``max_bytes`` (:class:`ResponseTooLargeError`), at every
  step of every content coding (gzip, deflate, br, zstd; see ``_decode``);
- at most ``max_per_host`` requests at a time to one host;
- every failure is a :class:`bot.errors.FetchError` whose ``kind`` (:class:`ErrorKind`) says what
  failed, with one short reason, never a traceback; an error status carries ``Retry-After``.

Errors carry the URL of the hop that failed, which after a redirect is not the one asked for.
No URL's user name or password reaches a log line or an error.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import ssl
import time
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Final, Self

import httpx

import bot
from bot.errors import (
    BlockedAddressError,
    ErrorKind,
    FetchError,
    HTTPStatusError,
    ResponseTooLargeError,
)
from bot.feeds._decode import BodyDecoder
from bot.feeds._failures import FAILURES, classify
from bot.feeds._guard import (
    GuardedTransport,
    GuardError,
    Resolver,
    check_host,
    is_public_address,
    resolve,
)
from bot.feeds._headers import content_codings, now_utc, parse_max_age, parse_retry_after
from bot.feeds._hosts import HostSlots
from bot.links import has_credentials, redact_url

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_USER_AGENT",
    "FEED_ACCEPT",
    "PAGE_ACCEPT",
    "FetchResult",
    "Fetcher",
    "check_url",
    "is_public_address",
]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT: Final = f"newsbot/{bot.__version__} (+https://github.com/newsbot/newsbot)"
FEED_ACCEPT: Final = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/json;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
PAGE_ACCEPT: Final = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
#: The content codings that ``_decode`` can undo, each within the size cap.
ACCEPT_ENCODING: Final = "gzip, deflate, br, zstd"

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_PERMANENT: Final = frozenset({301, 308})
_RETRY_AFTER: Final = frozenset({429, 503})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_MAX_URL_LENGTH: Final = 8192
_CREDENTIALS: Final = "the URL contains a user name or password; newsbot does not send credentials"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One successful fetch: the final URL after redirects, the status and the body.

    ``etag`` and ``last_modified`` are what to send next time; on a 304 they are the server's
    new ones if it sent any, else the ones the fetch was made with. ``permanent_url`` is the
    final URL when every redirect on the way was permanent (301/308), so the caller may store
    it instead of the one asked for; None without redirects or with a temporary one.
    ``max_age`` is the response's ``Cache-Control: max-age`` in seconds (None when absent,
    unusable, or with ``no-cache``/``no-store``).
    """

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    permanent_url: str | None = None
    max_age: int | None = None


@dataclass(frozen=True, slots=True)
class _Redirect:
    """A hop that sent the fetch on: its status and the absolute URL to go to."""

    status: int
    location: str


class _Redirected(Exception):
    """Raised by the response hook to hand a redirect to fetch() (see _stop_at_redirect)."""

    def __init__(self, response: httpx.Response, location: str) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.location = location


async def _stop_at_redirect(response: httpx.Response) -> None:
    """Response hook: take a redirect away from httpx before it reads the Location.

    Even with follow_redirects=False, httpx builds the next request from the Location (as
    ``response.next_request``), and a hostile one (backslashes for slashes, say) raises from
    inside httpx before fetch() can see the header. Raising here hands the raw Location to
    fetch(), which resolves and checks it itself.
    """
    if response.status_code in _REDIRECTS:
        location = response.headers.get("location")
        if location:
            raise _Redirected(response, location)


def _no_cookies() -> http.cookiejar.CookieJar:
    """Return a cookie jar that keeps nothing: one feed's cookies are not sent to another
    fetch, and a poller that meets thousands of sites does not grow a jar for ever."""
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


class Fetcher:
    """Fetches feeds and pages with the guarantees in this module's docstring.

    ``transport`` replaces httpx's network transport (tests pass ``httpx.MockTransport`` or a
    router); the address checks then run before it is called, since the connection is no
    longer ours. ``resolver`` replaces getaddrinfo (tests answer what a hostile DNS server
    would), ``ssl_context`` the trusted certificates (tests trust their own), and
    ``max_connections`` bounds the connection pool (keep it above POLL_CONCURRENCY).
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        timeout: float = 15.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        max_connections: int = 64,
        max_per_host: int = 2,
        user_agent: str = DEFAULT_USER_AGENT,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        if max_redirects < 0:
            raise ValueError(f"max_redirects must be 0 or more, not {max_redirects}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, not {max_connections}")
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolver = resolver
        self._check_before_request = transport is not None and not allow_private_networks
        self._slots = HostSlots(max_per_host)
        if transport is None:
            transport = GuardedTransport(
                allow_private_networks=allow_private_networks,
                ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
                limits=httpx.Limits(
                    max_connections=max_connections,
                    max_keepalive_connections=max(1, max_connections // 2),
                ),
                resolver=resolver,
            )
        # trust_env=False: no proxy from the environment, so the address we check is the one
        # we connect to. Redirects are followed in fetch(), one checked hop at a time.
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            cookies=_no_cookies(),
            event_hooks={"response": [_stop_at_redirect]},
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
        etag, last_modified = usable_validator(etag), usable_validator(last_modified)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout) as deadline:
                result = await self._follow(url, headers, deadline)
        except TimeoutError:
            error = FetchError(url, self._timed_out(), kind=ErrorKind.TIMEOUT)
            self._log_failure(url, error, started)
            raise error from None
        except FetchError as error:
            self._log_failure(url, error, started)
            raise
        log.info(
            "fetched url=%s final_url=%s status=%s bytes=%d elapsed_ms=%d",
            redact_url(url),
            redact_url(result.url),
            result.status,
            len(result.content),
            _elapsed_ms(started),
        )
        if result.not_modified:
            return replace(
                result,
                content=b"",
                etag=result.etag or etag,
                last_modified=result.last_modified or last_modified,
            )
        return result

    async def _follow(
        self, url: str, headers: dict[str, str], deadline: asyncio.Timeout
    ) -> FetchResult:
        """Request ``url`` and each redirect target in turn, checking every hop first."""
        current = url
        permanent = True
        for hop in range(self._max_redirects + 1):
            answer = await self._hop(current, check_url(current), headers, deadline)
            if isinstance(answer, FetchResult):
                moved = hop > 0 and permanent
                return replace(answer, permanent_url=answer.url if moved else None)
            permanent = permanent and answer.status in _PERMANENT
            current = answer.location
        raise FetchError(
            url, f"more than {self._max_redirects} redirects", kind=ErrorKind.HTTP_STATUS
        )

    async def _hop(
        self, url: str, target: httpx.URL, headers: dict[str, str], deadline: asyncio.Timeout
    ) -> FetchResult | _Redirect:
        """Make one request (one of ``max_per_host`` to its host) and read its answer.

        Waiting for the host's turn does not count against the fetch's time: a feed that never
        got to ask is not a feed that timed out.
        """
        host = target.raw_host.decode("ascii")
        loop = asyncio.get_running_loop()
        when = deadline.when()
        left = None if when is None else when - loop.time()
        deadline.reschedule(None)  # the wait is bounded by the fetches ahead, each bounded
        async with self._slots.slot(host):
            if left is not None:
                deadline.reschedule(loop.time() + left)
            try:
                if self._check_before_request:
                    await check_host(host, _port(target), self._resolver)
                async with self._client.stream("GET", target, headers=headers) as response:
                    return await self._read(url, response)
            except _Redirected as redirected:
                return self._redirect(url, redirected.response, redirected.location)
            except GuardError as exc:
                raise _guard_failure(url, exc) from None
            except FAILURES as exc:
                kind, reason = classify(exc, timed_out=self._timed_out())
                raise FetchError(url, reason, kind=kind) from None

    def _redirect(self, url: str, response: httpx.Response, location: str) -> _Redirect:
        """Return where a redirect response sends the fetch (absolute), or FetchError."""
        log.debug(
            "redirect url=%s status=%s location=%s",
            redact_url(url),
            response.status_code,
            redact_url(location)[:_MAX_URL_LENGTH],
        )
        if len(location) > _MAX_URL_LENGTH:
            raise FetchError(
                url,
                f"redirected to a URL longer than {_MAX_URL_LENGTH} characters",
                kind=ErrorKind.INVALID_URL,
            )
        try:
            target = str(response.url.join(location))
        except (httpx.InvalidURL, TypeError, ValueError):  # UnicodeError is a ValueError
            raise FetchError(
                url,
                f"redirected to an invalid URL: {redact_url(location)[:200]!r}",
                kind=ErrorKind.INVALID_URL,
            ) from None
        return _Redirect(response.status_code, target)

    async def _read(self, url: str, response: httpx.Response) -> FetchResult:
        """Return the result for a final (non-redirect) response, reading at most max_bytes."""
        status = response.status_code
        if status >= 300 and status != 304:
            retry_after = None
            if status in _RETRY_AFTER:
                retry_after = parse_retry_after(response.headers.get("retry-after"), now_utc())
            raise HTTPStatusError(url, status, retry_after=retry_after)
        content = b""
        if status != 304:
            content = await self._read_body(url, response)
        else:
            # A 304 has no body, but one left unread makes httpcore close the connection:
            # reading it keeps the connection alive for the next feed on the same host.
            async for _chunk in response.aiter_raw():
                break
        return FetchResult(
            url=url,
            status=status,
            content=content,
            content_type=response.headers.get("content-type"),
            etag=usable_validator(response.headers.get("etag")),
            last_modified=usable_validator(response.headers.get("last-modified")),
            not_modified=status == 304,
            max_age=parse_max_age(response.headers.get("cache-control")),
        )

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """Stream the raw body and decode it ourselves, refusing it once it passes max_bytes.

        Not aiter_bytes(): httpx decodes a whole network chunk through every coding before
        any cap can act (see ``_decode``).
        """
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_bytes:
            raise ResponseTooLargeError(
                url, f"the server announced {int(declared)} bytes; the limit is {self._max_bytes}"
            )
        codings = content_codings(response.headers.get_list("content-encoding"))
        decoder = BodyDecoder(url, codings, limit=self._max_bytes)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        return decoder.body()

    def _timed_out(self) -> str:
        """Return the reason given for a fetch that ran out of time."""
        return f"timed out after {self._timeout:g} s"

    def _log_failure(self, url: str, error: FetchError, started: float) -> None:
        """Log one structured line for an expected failure (no traceback)."""
        log.warning(
            "fetch failed url=%s error=%s kind=%s reason=%r elapsed_ms=%d",
            redact_url(url),
            type(error).__name__,
            error.kind,
            error.reason,
            _elapsed_ms(started),
        )


def usable_validator(value: str | None) -> str | None:
    """An ETag or Last-Modified that can be sent back as it came (printable ASCII, at most 512
    characters), else None: a header httpx decoded from other bytes would fail to encode on
    every later request."""
    if not value or len(value) > 512 or not (value.isascii() and value.isprintable()):
        return None
    return value


def check_url(url: str) -> httpx.URL:
    """Return ``url`` parsed, if it is an absolute http(s) URL with a host, no credentials and
    no control characters (a space is sent percent-encoded); else FetchError(INVALID_URL).

    What the fetcher checks before every hop, and what a feed URL must pass to be stored.
    """
    if len(url) > _MAX_URL_LENGTH:
        raise _invalid(url, f"the URL is longer than {_MAX_URL_LENGTH} characters")
    if not url.isprintable():
        shown = url.encode("unicode_escape").decode("ascii")[:200]
        raise _invalid(shown, "a URL may not contain control characters")
    if has_credentials(url):  # before parsing, so that no parser's message holds the password
        raise _invalid(url, _CREDENTIALS)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise _invalid(url, "only http and https URLs can be fetched") from None
    if parsed.userinfo:
        raise _invalid(url, _CREDENTIALS)
    if parsed.scheme not in _DEFAULT_PORTS:
        raise _invalid(url, "only http and https URLs can be fetched")
    if not parsed.raw_host:
        raise _invalid(url, "only http and https URLs can be fetched: the URL names no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _invalid(url, f"the port {parsed.port} is not valid")
    try:
        parsed.host  # noqa: B018 - httpx decodes the IDNA host later; a bad one must fail here
        parsed.raw_host.decode("ascii")
    except UnicodeError:  # idna.IDNAError is a UnicodeError
        raise _invalid(url, "the host name is not valid") from None
    return parsed


def _invalid(url: str, reason: str) -> FetchError:
    """Return the FetchError for a URL that is not fetched at all."""
    return FetchError(url, reason, kind=ErrorKind.INVALID_URL)


def _port(url: httpx.URL) -> int:
    """Return the port ``url`` connects to."""
    return url.port or _DEFAULT_PORTS[url.scheme]


def _guard_failure(url: str, exc: GuardError) -> FetchError:
    """Return the FetchError for a connection the guard refused or could not resolve."""
    if exc.kind is ErrorKind.BLOCKED:
        return BlockedAddressError(url, exc.reason)
    return FetchError(url, exc.reason, kind=exc.kind)


def _elapsed_ms(started: float) -> int:
    """Return the milliseconds since ``started`` (a time.monotonic() value)."""
    return int((time.monotonic() - started) * 1000)
