"""Tests for bot.feeds._decode: bounded decoding of content codings, with no network."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from bot.errors import ErrorKind, FetchError, ResponseTooLargeError
from bot.feeds._decode import MAX_CODINGS, PIECE, BodyDecoder, _stage

URL = "https://feeds.example/rss"
EMPTY_STORED_BLOCK = b"\x00\x00\x00\xff\xff"  # a non-final stored block of no bytes
TEXT = b"<rss>" + b"".join(b"<item>%d</item>" % n for n in range(5000)) + b"</rss>"


def raw_deflate(data: bytes) -> bytes:
    """Return ``data`` as deflate without the zlib wrapper, as some servers send it."""
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": lambda data: gzip.compress(data, mtime=0),
    "x-gzip": lambda data: gzip.compress(data, mtime=0),
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


def encode(data: bytes, codings: list[str]) -> bytes:
    """Return ``data`` with ``codings`` applied in order."""
    for coding in codings:
        data = ENCODERS[coding](data)
    return data


def decode(body: bytes, codings: list[str], *, limit: int, chunk: int = 4096) -> bytes:
    """Decode ``body`` fed in ``chunk``-byte pieces and return the result."""
    decoder = BodyDecoder(URL, codings, limit=limit)
    for start in range(0, len(body), chunk):
        decoder.feed(body[start : start + chunk])
    return decoder.body()


class Recorder:
    """A sink that records the size of every piece handed to it."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, data: bytes) -> None:
        """Note the piece's size."""
        self.sizes.append(len(data))


class TestBodyDecoder:
    """BodyDecoder undoes each coding and never hands on more than the limit."""

    @pytest.mark.parametrize(
        "codings",
        [
            [],
            ["gzip"],
            ["x-gzip"],
            ["deflate"],
            ["br"],
            ["zstd"],
            ["gzip", "gzip"],
            ["deflate", "gzip"],
            ["zstd", "br", "gzip"],
        ],
        ids=lambda codings: ",".join(codings) or "identity",
    )
    @pytest.mark.parametrize("chunk", [1, 7, 65536])
    def test_round_trip(self, codings: list[str], chunk: int) -> None:
        """Encoded text comes back whole, however the raw body is cut into chunks."""
        body = encode(TEXT, codings)
        assert decode(body, codings, limit=len(TEXT), chunk=chunk) == TEXT

    @pytest.mark.parametrize("chunk", [1, 2, 4096])
    def test_raw_deflate(self, chunk: int) -> None:
        """deflate without its zlib wrapper is recognised and decoded."""
        assert decode(raw_deflate(TEXT), ["deflate"], limit=len(TEXT), chunk=chunk) == TEXT

    def test_one_byte_over_the_limit_is_refused(self) -> None:
        """The limit is exact: one decoded byte past it is ResponseTooLargeError."""
        with pytest.raises(ResponseTooLargeError, match=f"limit of {len(TEXT) - 1} bytes"):
            decode(encode(TEXT, ["gzip"]), ["gzip"], limit=len(TEXT) - 1)

    @pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
    def test_pieces_are_bounded(self, coding: str) -> None:
        """One 64 KB chunk of a 20 MB bomb is handed on in pieces no larger than PIECE
        (brotli's output limit is approximate: within 2 x PIECE), never all at once."""
        recorder = Recorder()
        stage = _stage(URL, coding, recorder)
        stage.feed(encode(bytes(20_000_000), [coding])[:65536])
        assert len(recorder.sizes) > 1
        assert max(recorder.sizes) <= 2 * PIECE

    def test_intermediate_step_is_metered(self) -> None:
        """An outer coding that inflates past the limit is refused even when the inner one
        gives nothing (gzip of 2.5 MB of empty deflate blocks)."""
        compressor = zlib.compressobj()
        header_and_empty_block = compressor.flush(zlib.Z_SYNC_FLUSH)
        inner = header_and_empty_block + EMPTY_STORED_BLOCK * 500_000 + compressor.flush()
        assert zlib.decompress(inner) == b""
        with pytest.raises(ResponseTooLargeError):
            decode(encode(inner, ["gzip"]), ["deflate", "gzip"], limit=1_000_000)

    @pytest.mark.parametrize(
        ("codings", "body", "kind", "reason"),
        [
            pytest.param(["compress"], b"x", ErrorKind.UNPARSEABLE, "'compress'", id="unknown"),
            pytest.param(["gzip"], b"not gzip", ErrorKind.UNPARSEABLE, "(gzip)", id="bad-gzip"),
            pytest.param(["br"], b"not br!!", ErrorKind.UNPARSEABLE, "(br)", id="bad-br"),
            pytest.param(["zstd"], b"not zstd", ErrorKind.UNPARSEABLE, "(zstd)", id="bad-zstd"),
            pytest.param(
                ["gzip"] * (MAX_CODINGS + 1), b"", ErrorKind.UNPARSEABLE, "at most", id="deep"
            ),
        ],
    )
    def test_undecodable(
        self, codings: list[str], body: bytes, kind: ErrorKind, reason: str
    ) -> None:
        """An unknown, corrupt or too deep coding is a FetchError with one clear reason."""
        with pytest.raises(FetchError) as info:
            decode(body, codings, limit=1000)
        assert info.value.kind is kind
        assert reason in info.value.reason

    def test_zstd_window_over_8_mb_is_refused(self) -> None:
        """A zstd frame that asks for a window past 8 MB (RFC 9659) is refused, not allocated."""
        params = zstandard.ZstdCompressionParameters.from_level(3, window_log=27)
        compressor = zstandard.ZstdCompressor(compression_params=params)
        stream = compressor.compressobj()  # size unknown, so the frame declares 2**27
        body = stream.compress(b"x" * 1000) + stream.flush()
        with pytest.raises(FetchError, match=r"could not be decompressed \(zstd\)"):
            decode(body, ["zstd"], limit=10_000)

    def test_data_after_the_stream_is_ignored(self) -> None:
        """Bytes after the end of a gzip stream are ignored, as httpx and browsers do."""
        body = encode(TEXT, ["gzip"]) + b"trailing junk"
        assert decode(body, ["gzip"], limit=len(TEXT)) == TEXT

    def test_empty_bodies(self) -> None:
        """An empty body in any coding decodes to nothing."""
        for coding in ["gzip", "deflate", "br", "zstd"]:
            assert decode(b"", [coding], limit=10) == b""
