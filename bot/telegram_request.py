"""PTB request classes for newsbot: aiohttp for sending, httpx where it stays, one error contract.

Usage (``bot.app`` wires them)::

    ApplicationBuilder().token(token)
        .request(AiohttpRequest(connection_pool_size=256))          # the outbox's thousands
        .get_updates_request(NewsbotHTTPXRequest(connection_pool_size=1))

Both keep PTB's types and errors (``BaseRequest._request_wrapper`` turns HTTP answers into
``BadRequest``, ``Forbidden``, ``RetryAfter``...) and add one promise PTB does not make: a
request that certainly never reached Telegram raises ``RequestNotSent``. The exceptions a
caller may see::

    telegram.error.NetworkError        the connection broke mid-request: it may have arrived
     ├── telegram.error.TimedOut       no answer in time (read or write): it may have arrived
     └── RequestNotSent                never reached Telegram: sending again cannot duplicate

Why aiohttp: PTB's HTTPXRequest caps the outbox near 66–104 messages a second where this
one reaches 550–1,000 (``benchmarks/``). Why a contract: telling "never sent" from "answer
lost" by looking at httpx's exception causes breaks with any other request class.

The URL of every Bot API request holds the bot token, so no message here ever contains it, and
an aiohttp exception whose text holds it is not chained.
"""

from __future__ import annotations

import json
import logging
from typing import Final, NoReturn
from urllib.parse import urlsplit

import aiohttp
import httpx
import yarl
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

__all__ = ["AiohttpRequest", "NewsbotHTTPXRequest", "RequestNotSent"]

log = logging.getLogger(__name__)

_NOT_SENT = "the request was not sent to Telegram"


class RequestNotSent(NetworkError):
    """The request certainly never reached Telegram, so sending it again cannot duplicate it.

    Raised by newsbot's request classes (``AiohttpRequest``, ``NewsbotHTTPXRequest``) when the
    connection could not be made: refused or failed, DNS failure, TLS handshake failure, connect
    timeout, or no pooled connection free within the pool timeout. Everything that may have
    reached the server stays PTB's: ``TimedOut`` (read or write timeout) and ``NetworkError``
    (connection lost mid-request). Not a ``TimedOut``, even after a connect or pool timeout.
    """


class AiohttpRequest(BaseRequest):
    """PTB's ``BaseRequest`` on one ``aiohttp.ClientSession``, with the ``RequestNotSent`` contract.

    The arguments and defaults mirror ``HTTPXRequest``'s: ``connection_pool_size`` connections at
    most (``TCPConnector(limit=...)``), timeouts in seconds (None: wait forever), and
    ``media_write_timeout`` instead of ``write_timeout`` for requests that upload files.

    aiohttp has no per-write timeout; a request is instead bounded as a whole by the sum of its
    pool, connect, write and read timeouts (when all are finite), so a stalled upload still ends
    in ``TimedOut``. The read timeout is aiohttp's ``sock_read``: the longest silence while the
    answer is awaited or read, counted from the end of the upload.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """See ``BaseRequest.read_timeout``: the default read timeout given to the constructor."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (and its connection pool); again after ``shutdown``."""
        if self._session is not None and not self._session.closed:
            return
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size),
            headers={"User-Agent": self.USER_AGENT},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies
            raise_for_status=False,  # BaseRequest._request_wrapper reads the status
            trust_env=False,
        )

    async def shutdown(self) -> None:
        """Close the session and its connections; a second call does nothing."""
        if self._session is None or self._session.closed:
            log.debug("AiohttpRequest already shut down")
            return
        await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``; raises ``RequestNotSent``, ``TimedOut`` or
        ``NetworkError`` as the module docstring says."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else {}
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            data = _form(request_data.json_parameters if request_data else {}, files)
        elif request_data and (fields := request_data.json_parameters):
            # A JSON body (the Bot API takes one; PTB's json_payload is this): one C-encoded
            # string, where a form costs aiohttp's FormData and urlencode a tenth of the
            # sender's time at 1,000 messages/s.
            data, headers = json.dumps(fields).encode(), _JSON

        # As HTTPXRequest: a timeout not given (DEFAULT_NONE) is the instance's.
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        timeout = _client_timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)

        try:
            async with session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as err:
            # ConnectionTimeoutError: no pooled connection in time, or the connect timed out.
            message = f"{_describe(err, url)}: {_NOT_SENT}"
            _raise_from(RequestNotSent(message), err, url)
        except TimeoutError as err:
            # aiohttp's SocketTimeoutError (sock_read) or the total; asyncio.TimeoutError is
            # TimeoutError from Python 3.11, and aiohttp's ServerTimeoutError derives from it.
            _raise_from(TimedOut(), err, url)
        except aiohttp.ClientError as err:
            _raise_from(NetworkError(_describe(err, url)), err, url)


_JSON: Final = {"Content-Type": "application/json"}


class NewsbotHTTPXRequest(HTTPXRequest):
    """PTB's ``HTTPXRequest`` with the ``RequestNotSent`` contract (for getUpdates and wherever
    httpx stays).

    PTB makes no such promise: it raises ``NetworkError`` for ``httpx.ConnectError`` and
    ``TimedOut`` for ``httpx.ConnectTimeout`` and ``httpx.PoolTimeout``, the three errors
    after which httpx has certainly not sent the request; here they become ``RequestNotSent``.
    """

    __slots__ = ()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See ``HTTPXRequest.do_request``."""
        try:
            return await super().do_request(
                url,
                method,
                request_data=request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )
        except NetworkError as err:  # TimedOut included
            cause = err.__cause__
            if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
                message = f"httpx.{type(cause).__name__}: {_NOT_SENT}"
                if isinstance(cause, httpx.PoolTimeout):
                    message += "; all pooled connections were busy"
                raise RequestNotSent(message) from cause
            raise


def _form(fields: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    """A multipart body: the parameters as text parts, then the files PTB gives
    (``RequestData.multipart_data``: part name -> (file name, bytes or file, MIME type))."""
    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """PTB's four timeouts as aiohttp's: ``connect`` there is pool wait plus connect."""
    parts = (read, write, connect, pool)
    return aiohttp.ClientTimeout(
        total=sum(p for p in parts if p is not None) if None not in parts else None,
        connect=connect + pool if connect is not None and pool is not None else None,
        sock_connect=connect,
        sock_read=read,
    )


def _secrets(url: str) -> set[str]:
    """The forms in which ``url``'s path (which holds the token) may show in an error's text."""
    parsed = yarl.URL(url)
    return {s for s in (url, urlsplit(url).path, parsed.path, parsed.raw_path) if len(s) > 1}


def _mentions(err: BaseException, url: str) -> bool:
    """Whether ``err`` or an exception it was raised from or during shows ``url``'s path."""
    secrets = _secrets(url)
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{current!s} {current!r}"
        if any(secret in text for secret in secrets):
            return True
        current = current.__cause__ or current.__context__
    return False


def _describe(err: BaseException, url: str) -> str:
    """``aiohttp.<class>: <text>`` with any form of ``url`` (and so the token) cut out."""
    text = str(err)
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, "<url>")
    return f"aiohttp.{type(err).__name__}: {text}" if text else f"aiohttp.{type(err).__name__}"


class RedactedCause(Exception):
    """What an aiohttp error that showed the URL (and so the token) said, with the URL cut out.

    It stands as the cause: an error with no cause is PTB's way of saying Telegram answered
    (a 5xx), which the outbox reads as "nothing was posted"; this one may have been posted."""


def _raise_from(exc: NetworkError, err: BaseException, url: str) -> NoReturn:
    """Raise ``exc`` from ``err``, or from a :class:`RedactedCause` if ``err``'s chain shows
    the URL."""
    if _mentions(err, url):
        raise exc from RedactedCause(_describe(err, url))
    raise exc from err
