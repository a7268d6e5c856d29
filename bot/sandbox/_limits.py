"""Telegram's send rates: ``Limits`` (the configuration) and the token buckets that enforce them.

``RateLimiter`` keeps one bucket for everything the bot sends and one per chat (private chats
refill per second, groups and channels per minute)::

    rates = RateLimiter(Limits(private_per_second=1, private_burst=1), clock=time.monotonic)
    rates.take(42, private=True)            # fine
    rates.take(42, private=True)            # raises ApiError(429, ..., {"retry_after": 1})

A message sent with ``allow_paid_broadcast`` (``take(..., paid=True)``) is Telegram's paid lane:
it takes its overall token from a bucket of its own (``paid_per_second``, 1000 by default)
instead of the 30 a second one; the chat's own bucket applies to it all the same.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox._errors import ControlError, flood_error

__all__ = ["Limits", "RateLimiter", "TokenBucket"]

JSON = dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """Telegram's send rates as token buckets; ``Limits(enabled=False)`` turns them off."""

    overall_per_second: float = 30.0
    overall_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 20
    paid_per_second: float = 1000.0
    paid_burst: int = 1000
    enabled: bool = True

    def updated(self, changes: JSON) -> Limits:
        """A copy with ``changes`` applied; unknown keys or bad values raise ControlError."""
        known = {f.name: f.type for f in dataclasses.fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ControlError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        clean: JSON = {}
        for key, value in changes.items():
            if key == "enabled":
                clean[key] = bool(value)
            elif not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ControlError(f"limit {key} must be a positive number")
            else:
                clean[key] = int(value) if key.endswith("burst") else float(value)
        return dataclasses.replace(self, **clean)


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` tokens per second; one message takes one."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0.0 if one is available now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class RateLimiter:
    """The buckets for one ``Limits``: an overall one, the paid lane's and one per chat, each
    made when first needed."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[int, TokenBucket] = {}
        self._overall: TokenBucket | None = None
        self._paid: TokenBucket | None = None

    def _overall_bucket(self, now: float, *, paid: bool) -> TokenBucket:
        limits = self.limits
        if paid:
            if self._paid is None:
                self._paid = TokenBucket(limits.paid_per_second, limits.paid_burst, now)
            return self._paid
        if self._overall is None:
            self._overall = TokenBucket(limits.overall_per_second, limits.overall_burst, now)
        return self._overall

    def take(self, chat_id: int, *, private: bool, paid: bool = False) -> None:
        """Take a token for one message to the chat or raise the 429 Telegram would answer;
        ``paid``: sent with ``allow_paid_broadcast``, so the paid lane's overall bucket."""
        limits = self.limits
        if not limits.enabled:
            return
        now = self._clock()
        overall = self._overall_bucket(now, paid=paid)
        bucket = self._buckets.get(chat_id)
        if bucket is None:
            if private:
                bucket = TokenBucket(limits.private_per_second, limits.private_burst, now)
            else:
                bucket = TokenBucket(limits.group_per_minute / 60.0, limits.group_burst, now)
            self._buckets[chat_id] = bucket
        wait = max(overall.wait(now), bucket.wait(now))
        if wait > 0:
            raise flood_error(max(1, math.ceil(wait)))
        overall.take(now)
        bucket.take(now)
