"""Pure: when a feed is polled next, after a success or a failure.

Each feed is due on its own clock::

    next_after_success(now, interval=300, hints=[feed_ttl, max_age], rng=random.random)
    next_after_failure(started, interval=300, failures=3, retry_after=120, rng=random.random)

- a success waits the feed's interval, stretched by the feed's own hints (RSS ``<ttl>``,
  ``sy:updatePeriod``, ``Cache-Control: max-age``) up to :data:`HINT_CEILING`, never shortened
  by them;
- a failure waits the interval doubled per consecutive failure, up to :data:`MAX_BACKOFF`, and
  at least what the server's ``Retry-After`` asked (up to :data:`MAX_RETRY_AFTER`);
- both add jitter (up to :data:`JITTER` of the wait), so that a thousand feeds added at once do
  not keep firing in the same second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Final

__all__ = [
    "HINT_CEILING",
    "JITTER",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "next_after_failure",
    "next_after_success",
]

#: The longest a feed's own hints may stretch its interval (unless the interval is longer):
#: a news site's ``<ttl>1440</ttl>`` must not hold its news back for a day.
HINT_CEILING: Final = 3600
#: The longest wait between two polls of a failing feed (unless its interval is longer).
MAX_BACKOFF: Final = 6 * 3600
#: The longest ``Retry-After`` obeyed; a larger one is taken as this.
MAX_RETRY_AFTER: Final = 24 * 3600
#: Jitter, as a fraction of the wait.
JITTER: Final = 0.1


def _jittered(seconds: float, rng: Callable[[], float]) -> timedelta:
    """``seconds`` plus or minus up to JITTER of it (``rng()`` is uniform in [0, 1))."""
    return timedelta(seconds=seconds * (1 + JITTER * (2 * rng() - 1)))


def next_after_success(
    now: datetime, *, interval: int, hints: Iterable[int | None] = (), rng: Callable[[], float]
) -> datetime:
    """When to poll a feed again that was just read (or answered 304) at ``now``."""
    hint = max((h for h in hints if h and h > 0), default=0)
    wait = min(max(interval, hint), max(interval, HINT_CEILING))
    return now + _jittered(wait, rng)


def next_after_failure(
    started: datetime,
    *,
    interval: int,
    failures: int,
    retry_after: float | None = None,
    rng: Callable[[], float],
) -> datetime:
    """When to try a feed again whose poll that began at ``started`` was its ``failures``-th
    failure in a row (1 for the first)."""
    backoff = min(interval * 2 ** min(max(failures - 1, 0), 16), max(MAX_BACKOFF, interval))
    if retry_after is not None and retry_after > 0:
        backoff = max(backoff, min(retry_after, MAX_RETRY_AFTER))
    # Jitter only lengthens a failure's wait: a Retry-After is a floor.
    return started + timedelta(seconds=backoff * (1 + JITTER * rng()))
