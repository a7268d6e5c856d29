"""Tests for bot.feeds._headers: Retry-After, Cache-Control max-age and content codings, from
tables of cases with no network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds._headers import content_codings, parse_max_age, parse_retry_after

NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


class TestParseRetryAfter:
    """parse_retry_after reads delta-seconds and HTTP-dates, and nothing else."""

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            pytest.param(None, None, id="absent"),
            pytest.param("120", 120.0, id="delta-seconds"),
            pytest.param("0", 0.0, id="zero"),
            pytest.param(" 30 ", 30.0, id="spaces"),
            pytest.param("99999999999", float(2**31), id="huge-capped"),
            pytest.param("Wed, 01 Jan 2025 12:01:30 GMT", 90.0, id="imf-fixdate"),
            pytest.param("Wednesday, 01-Jan-25 12:01:30 GMT", 90.0, id="rfc850-date"),
            pytest.param("Wed Jan  1 12:01:30 2025", 90.0, id="asctime"),
            pytest.param("Wed, 01 Jan 2025 13:01:30 +0100", 90.0, id="numeric-zone"),
            pytest.param("Wed, 01 Jan 2025 11:00:00 GMT", 0.0, id="past-date-clamped"),
            pytest.param("", None, id="empty"),
            pytest.param("-5", None, id="negative"),
            pytest.param("1.5", None, id="fraction"),
            pytest.param("+5", None, id="plus-sign"),
            pytest.param("١٢٠", None, id="non-ascii-digits"),
            pytest.param("soon", None, id="word"),
            pytest.param("Wed, 32 Jan 2025 12:00:00 GMT", None, id="bad-day"),
            pytest.param("Wed, 01 Foo 2025 12:00:00 GMT", None, id="bad-month"),
        ],
    )
    def test_value(self, value: str | None, seconds: float | None) -> None:
        """Each Retry-After value gives the seconds to wait from NOW, or None."""
        assert parse_retry_after(value, NOW) == seconds


class TestParseMaxAge:
    """parse_max_age reads Cache-Control's max-age when the response may be reused."""

    @pytest.mark.parametrize(
        ("value", "max_age"),
        [
            pytest.param(None, None, id="absent"),
            pytest.param("", None, id="empty"),
            pytest.param("max-age=300", 300, id="max-age"),
            pytest.param("MAX-AGE=300", 300, id="upper-case"),
            pytest.param("public, max-age=60, must-revalidate", 60, id="among-others"),
            pytest.param('max-age="60"', 60, id="quoted"),
            pytest.param("max-age = 60", 60, id="spaces"),
            pytest.param("private, max-age=0", 0, id="zero"),
            pytest.param("max-age=60, max-age=120", 60, id="twice-first-counts"),
            pytest.param("max-age=99999999999", 2**31, id="huge-capped"),
            pytest.param("no-cache, max-age=60", None, id="no-cache"),
            pytest.param("max-age=60, no-store", None, id="no-store"),
            pytest.param('no-cache="Set-Cookie", max-age=60', None, id="no-cache-fields"),
            pytest.param("s-maxage=60", None, id="s-maxage-only"),
            pytest.param("max-age", None, id="no-value"),
            pytest.param("max-age=", None, id="empty-value"),
            pytest.param("max-age=-1", None, id="negative"),
            pytest.param("max-age=1.5", None, id="fraction"),
            pytest.param("max-age=soon", None, id="word"),
            pytest.param(",,,", None, id="commas"),
        ],
    )
    def test_value(self, value: str | None, max_age: int | None) -> None:
        """Each Cache-Control value gives its max-age in seconds, or None."""
        assert parse_max_age(value) == max_age


class TestContentCodings:
    """content_codings lists the codings in the order they were applied."""

    @pytest.mark.parametrize(
        ("values", "codings"),
        [
            pytest.param([], [], id="absent"),
            pytest.param(["gzip"], ["gzip"], id="one"),
            pytest.param(["GZip"], ["gzip"], id="case"),
            pytest.param(["deflate, gzip"], ["deflate", "gzip"], id="stacked"),
            pytest.param(["deflate", "gzip"], ["deflate", "gzip"], id="two-headers"),
            pytest.param(["identity"], [], id="identity"),
            pytest.param(["gzip, identity,"], ["gzip"], id="identity-and-empty"),
            pytest.param([" br ,zstd "], ["br", "zstd"], id="spaces"),
        ],
    )
    def test_values(self, values: list[str], codings: list[str]) -> None:
        """Header values become a list of lower-case codings without identity."""
        assert content_codings(values) == codings
