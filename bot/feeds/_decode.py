"""Bounded content decoding: a response body decoded step by step, never past a byte limit.

httpx decodes a whole network chunk through every ``Content-Encoding`` before the caller sees a
byte, so ``gzip, gzip`` turns 7 KB into 1.6 GB of memory before a size cap can act. Here the fetch
reads raw bytes (``response.aiter_raw()``) and pushes them through one stage per coding; every
stage hands on its output in pieces of at most :data:`PIECE` bytes (zlib's ``max_length``,
brotli's ``output_buffer_limit``, zstandard's ``write_size``) and every stage's total output is
metered, so memory stays near the limit whatever the ratio::

    decoder = BodyDecoder(url, ["gzip"], limit=5_000_000)
    async for chunk in response.aiter_raw():
        decoder.feed(chunk)          # ResponseTooLargeError past the limit
    body = decoder.body()

Stacked codings are decoded (RFC 9110 allows them and some servers send ``gzip, gzip``), up to
:data:`MAX_CODINGS`, since each stage holds a decompressor's window (zstd's capped at 8 MB).
Supported: gzip, x-gzip, deflate (zlib-wrapped or raw), br, zstd. Data after the end of a
compressed stream is ignored, as httpx and browsers do.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import IO, Final, Protocol, cast

import brotli
import zstandard

from bot.errors import ErrorKind, FetchError, ResponseTooLargeError

__all__ = ["MAX_CODINGS", "PIECE", "BodyDecoder"]

#: The most bytes one decoding step hands on at a time.
PIECE: Final = 64 * 1024
#: The most content codings a response may stack.
MAX_CODINGS: Final = 3
# RFC 9659 §3: a zstd content coding's window is at most 8 MB; larger frames are refused.
_ZSTD_MAX_WINDOW: Final = 8 * 1024 * 1024
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
_CODEC_ERRORS: Final = (zlib.error, brotli.error, zstandard.ZstdError)

Sink = Callable[[bytes], None]


class _Stage(Protocol):
    """One decoding step: takes encoded bytes, hands decoded pieces to the next sink."""

    def feed(self, data: bytes) -> None:
        """Decode ``data`` (may be empty) and hand on every piece it yields."""

    def finish(self) -> None:
        """Hand on whatever is still held at the end of the body."""


class _Zlib:
    """gzip or zlib-wrapped or raw deflate, ``max_length`` at a time (unconsumed_tail)."""

    def __init__(self, wbits: int, emit: Sink) -> None:
        self._decompressor = zlib.decompressobj(wbits)
        self._emit = emit

    def feed(self, data: bytes) -> None:
        """Decode ``data`` in pieces of at most PIECE bytes; ignore data after the stream."""
        decompressor = self._decompressor
        while not decompressor.eof:
            out = decompressor.decompress(data, PIECE)
            if out:
                self._emit(out)
            data = decompressor.unconsumed_tail
            if not data and len(out) < PIECE:
                return

    def finish(self) -> None:
        """Nothing is held back: feed() drains all output its input can give."""


class _Deflate:
    """``deflate``: zlib-wrapped as RFC 9110 says, or raw as some servers send it.

    The first two bytes tell which (a zlib header is CM=8 with a check that divides by 31),
    so they are held until both have arrived.
    """

    def __init__(self, emit: Sink) -> None:
        self._emit = emit
        self._head = b""
        self._inner: _Zlib | None = None

    def feed(self, data: bytes) -> None:
        """Decode ``data`` once the wrapping is known."""
        if self._inner is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._inner = _Zlib(
                zlib.MAX_WBITS if _is_zlib_header(data) else -zlib.MAX_WBITS, self._emit
            )
        self._inner.feed(data)

    def finish(self) -> None:
        """Decode a body shorter than a zlib header as raw deflate."""
        if self._inner is None and self._head:
            _Zlib(-zlib.MAX_WBITS, self._emit).feed(self._head)


def _is_zlib_header(data: bytes) -> bool:
    """Whether ``data`` starts with an RFC 1950 header (deflate, window <= 32 KB)."""
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0


class _Brotli:
    """``br`` through brotli's Decompressor, ``output_buffer_limit`` at a time."""

    def __init__(self, emit: Sink) -> None:
        self._decompressor = brotli.Decompressor()
        self._emit = emit

    def feed(self, data: bytes) -> None:
        """Decode ``data``, draining held output with empty input as brotli asks."""
        decompressor = self._decompressor
        if decompressor.is_finished():
            return
        out = decompressor.process(data, output_buffer_limit=PIECE)
        while out:
            self._emit(out)
            if decompressor.is_finished():
                return
            out = decompressor.process(b"", output_buffer_limit=PIECE)

    def finish(self) -> None:
        """Nothing is held back: feed() drains until brotli gives no more."""


class _SinkFile:
    """The file-like writer zstandard's stream_writer writes its output pieces to."""

    def __init__(self, emit: Sink) -> None:
        self._emit = emit

    def write(self, data: bytes) -> int:
        """Hand one piece (at most write_size bytes) on."""
        self._emit(bytes(data))
        return len(data)


class _Zstd:
    """``zstd`` through zstandard's stream_writer, ``write_size`` at a time.

    zstandard's decompressobj() has no max_length, so its output for one input chunk is
    unbounded; its stream_writer hands output to a writer in write_size pieces instead.
    """

    def __init__(self, emit: Sink) -> None:
        decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
        # _SinkFile has the one method stream_writer calls (write); it is no full IO[bytes].
        self._writer = decompressor.stream_writer(
            cast(IO[bytes], _SinkFile(emit)), write_size=PIECE, closefd=False
        )

    def feed(self, data: bytes) -> None:
        """Decode ``data``."""
        if data:
            self._writer.write(data)

    def finish(self) -> None:
        """Nothing is held back: each write decodes all it can."""


class _Meter:
    """Counts the bytes one step hands on and refuses them past the limit."""

    def __init__(self, url: str, limit: int, forward: Sink) -> None:
        self._url = url
        self._limit = limit
        self._forward = forward
        self.size = 0

    def __call__(self, data: bytes) -> None:
        """Count ``data``, then pass it on; ResponseTooLargeError past the limit."""
        self.size += len(data)
        if self.size > self._limit:
            raise ResponseTooLargeError(
                self._url, f"the body is larger than the limit of {self._limit} bytes"
            )
        self._forward(data)


def _stage(url: str, coding: str, emit: Sink) -> _Stage:
    """Return the decoding stage for one content coding, or FetchError for an unknown one."""
    if coding in ("gzip", "x-gzip"):
        return _Zlib(_GZIP_WBITS, emit)
    if coding == "deflate":
        return _Deflate(emit)
    if coding == "br":
        return _Brotli(emit)
    if coding == "zstd":
        return _Zstd(emit)
    raise FetchError(
        url,
        f"the body is in the content coding {coding[:40]!r}, which newsbot cannot decode",
        kind=ErrorKind.UNPARSEABLE,
    )


class BodyDecoder:
    """Decodes a body's content codings (in the order applied) into at most ``limit`` bytes."""

    def __init__(self, url: str, codings: list[str], *, limit: int) -> None:
        if len(codings) > MAX_CODINGS:
            raise FetchError(
                url,
                f"the body is encoded {len(codings)} times ({', '.join(codings)[:80]}); "
                f"newsbot decodes at most {MAX_CODINGS}",
                kind=ErrorKind.UNPARSEABLE,
            )
        self._url = url
        self._codings = codings
        self._pieces: list[bytes] = []
        emit: Sink = _Meter(url, limit, self._pieces.append)
        stages: list[_Stage] = []
        for coding in codings:  # the first applied is the last undone
            stage = _stage(url, coding, emit)
            stages.insert(0, stage)
            emit = _Meter(url, limit, stage.feed)
        self._stages = stages
        self._feed = emit  # raw bytes are metered too

    def feed(self, raw: bytes) -> None:
        """Decode one chunk of the raw body; ResponseTooLargeError or FetchError."""
        try:
            self._feed(raw)
        except _CODEC_ERRORS:
            raise self._undecodable() from None

    def body(self) -> bytes:
        """Finish decoding and return the whole decoded body."""
        try:
            for stage in self._stages:
                stage.finish()
        except _CODEC_ERRORS:
            raise self._undecodable() from None
        return b"".join(self._pieces)

    def _undecodable(self) -> FetchError:
        """Return the error for a body that its codings cannot decode."""
        return FetchError(
            self._url,
            f"the body could not be decompressed ({', '.join(self._codings)})",
            kind=ErrorKind.UNPARSEABLE,
        )
