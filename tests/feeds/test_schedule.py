"""bot.feeds.schedule: each feed's next poll, from tables of cases (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.schedule import (
    HINT_CEILING,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    next_after_failure,
    next_after_success,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def middle() -> float:
    """An rng that always gives the middle of its range: no jitter."""
    return 0.5


class TestAfterSuccess:
    @pytest.mark.parametrize(
        ("interval", "hints", "wait"),
        [
            pytest.param(300, [], 300, id="interval"),
            pytest.param(300, [None, 0, -5], 300, id="garbage-hints-ignored"),
            pytest.param(300, [60], 300, id="hint-never-shortens"),
            pytest.param(300, [1800], 1800, id="ttl-stretches"),
            pytest.param(300, [1800, 900], 1800, id="largest-hint"),
            pytest.param(300, [86400], HINT_CEILING, id="hint-capped-at-an-hour"),
            pytest.param(7200, [86400], 7200, id="own-interval-above-the-cap"),
        ],
    )
    def test_wait(self, interval: int, hints: list[int | None], wait: int) -> None:
        """The wait is the interval, stretched by the feed's hints up to the ceiling."""
        assert next_after_success(NOW, interval=interval, hints=hints, rng=middle) == NOW + (
            timedelta(seconds=wait)
        )

    @pytest.mark.parametrize(("draw", "factor"), [(0.0, 0.9), (0.999999, 1.1)])
    def test_jitter_within_ten_percent(self, draw: float, factor: float) -> None:
        """Jitter moves a poll by at most a tenth of its wait, either way."""
        got = next_after_success(NOW, interval=1000, rng=lambda: draw)
        assert abs((got - NOW).total_seconds() - 1000 * factor) < 0.01

    def test_a_thousand_feeds_spread_out(self) -> None:
        """A thousand feeds read in the same second are not all due in the same second later."""
        import random

        rng = random.Random(7)
        times = {
            next_after_success(NOW, interval=300, rng=rng.random).replace(microsecond=0)
            for _ in range(1000)
        }
        assert len(times) > 50


class TestAfterFailure:
    @pytest.mark.parametrize(
        ("failures", "retry_after", "wait"),
        [
            pytest.param(1, None, 300, id="first"),
            pytest.param(2, None, 600, id="doubles"),
            pytest.param(4, None, 2400, id="doubles-again"),
            pytest.param(50, None, MAX_BACKOFF, id="capped"),
            pytest.param(1, 3600.0, 3600, id="retry-after-is-a-floor"),
            pytest.param(3, 10.0, 1200, id="short-retry-after-keeps-backoff"),
            pytest.param(1, 10 * 86400.0, MAX_RETRY_AFTER, id="retry-after-capped"),
        ],
    )
    def test_wait(self, failures: int, retry_after: float | None, wait: int) -> None:
        """The wait doubles per failure up to the ceiling, and is at least the Retry-After."""
        got = next_after_failure(
            NOW, interval=300, failures=failures, retry_after=retry_after, rng=lambda: 0.0
        )
        assert got == NOW + timedelta(seconds=wait)

    def test_jitter_only_lengthens(self) -> None:
        """A failure's jitter never brings the retry before the Retry-After."""
        got = next_after_failure(NOW, interval=60, failures=1, retry_after=120, rng=lambda: 0.99)
        assert NOW + timedelta(seconds=120) <= got <= NOW + timedelta(seconds=132)
