"""The callback codec writes what fits Telegram's 64 bytes and reads back only what it wrote."""

from __future__ import annotations

import pytest

from bot.handlers.callback_data import Callback

PUBLISH = Callback("pub", int)
FEED = Callback("feed", str, int)


@pytest.mark.parametrize(
    ("codec", "values", "data"),
    [
        (PUBLISH, (42,), "pub:42"),
        (PUBLISH, (-1001234567890,), "pub:-1001234567890"),
        (FEED, ("pause", 7), "feed:pause:7"),
    ],
)
def test_round_trip(codec: Callback, values: tuple[int | str, ...], data: str) -> None:
    assert codec.encode(*values) == data
    assert codec.decode(data) == values


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "pub",
        "pub:",
        "pub:4x",
        "pub:42:1",
        "pub:42;drop",
        "pubx:42",
        "feed:42",
        "pub: 42",
        "pub:" + "9" * 20,  # beyond 64-bit
        "pub:١٢",  # Arabic-Indic digits are no int here
        "feed:pa use:7",
        "feed:" + "a" * 33 + ":7",
        "x" * 65,
    ],
)
def test_refuses_what_it_did_not_make(data: str | None) -> None:
    assert PUBLISH.decode(data) is None
    assert FEED.decode(data) is None


@pytest.mark.parametrize(
    ("codec", "values"),
    [
        (PUBLISH, ()),
        (PUBLISH, ("42",)),
        (PUBLISH, (True,)),
        (FEED, ("two words", 1)),
        (FEED, ("a:b", 1)),
        (Callback("x", str, str), ("a" * 32, "b" * 32)),  # over 64 bytes
    ],
)
def test_encode_refuses_values_that_would_not_come_back(
    codec: Callback, values: tuple[int | str, ...]
) -> None:
    with pytest.raises(ValueError, match=codec.prefix):
        codec.encode(*values)


def test_pattern_matches_its_prefix_only() -> None:
    import re

    assert re.match(PUBLISH.pattern, "pub:1")
    assert not re.match(PUBLISH.pattern, "publish:1")
    with pytest.raises(ValueError, match="bad callback prefix"):
        Callback("Bad Prefix", int)
