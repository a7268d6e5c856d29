"""What went wrong in one request: every exception a hop may raise, and its ErrorKind.

httpx raises its own tree, but not only: ``httpx.InvalidURL`` and ``httpx.StreamError`` are
outside it, the socket raises OSError (``ssl.SSLError`` among them) and OverflowError, IDNA a
UnicodeError. :data:`FAILURES` names them all, so that a fetch turns each into a FetchError::

    try:
        ...
    except FAILURES as exc:
        kind, reason = classify(exc, timed_out="timed out after 15 s")
        raise FetchError(url, reason, kind=kind) from None
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import Final

import h11
import httpcore
import httpx

from bot.errors import ErrorKind

__all__ = ["FAILURES", "classify"]

# httpcore's and h11's own are named in case one is ever not mapped to httpx's.
FAILURES: Final = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpx.StreamError,
    httpcore.ProtocolError,
    httpcore.NetworkError,
    httpcore.TimeoutException,
    h11.ProtocolError,
    OSError,
    OverflowError,
    ValueError,
)
_TIMEOUTS: Final = (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError)
_BAD_URL: Final = (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError, OverflowError)
_BROKEN: Final = (httpx.RemoteProtocolError, httpcore.ProtocolError, h11.ProtocolError)


def classify(exc: BaseException, *, timed_out: str) -> tuple[ErrorKind, str]:
    """Return the kind and a short human reason for a failed request, from the error and its
    causes (httpx wraps the socket's or the TLS library's error); ``timed_out`` is the reason
    given for a timeout."""
    if isinstance(exc, _TIMEOUTS):
        return ErrorKind.TIMEOUT, timed_out
    if isinstance(exc, _BAD_URL):
        return ErrorKind.INVALID_URL, "the URL is not valid"
    for cause in (exc, *_causes(exc)):
        if isinstance(cause, ConnectionRefusedError):
            return ErrorKind.CONNECT, "connection refused"
        if isinstance(cause, socket.gaierror):
            return ErrorKind.DNS, "name does not resolve"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ErrorKind.TLS, f"the TLS certificate is not valid: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return ErrorKind.TLS, "the TLS handshake failed"
        if isinstance(cause, TimeoutError):
            return ErrorKind.TIMEOUT, timed_out
    if isinstance(exc, httpx.DecodingError):
        return ErrorKind.UNPARSEABLE, "the body could not be decompressed"
    if isinstance(exc, httpx.ConnectError):
        return ErrorKind.CONNECT, _with_detail("cannot connect", exc)
    if isinstance(exc, _BROKEN):
        return ErrorKind.CONNECT, _with_detail("the server broke the connection", exc)
    if isinstance(exc, ValueError):
        return ErrorKind.INVALID_URL, _with_detail("the request could not be made", exc)
    return ErrorKind.CONNECT, _with_detail("the connection failed", exc)


def _with_detail(reason: str, exc: BaseException) -> str:
    """Return ``reason``, then the first line of the error's own message when it has one."""
    message = str(exc).strip()
    return f"{reason}: {message.splitlines()[0][:200]}" if message else reason


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Yield the exceptions that ``exc`` was raised from or during, nearest first."""
    seen: set[int] = set()
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
