"""Quiet hours: a span of the publisher's day (``QUIET_HOURS=23:00-07:00``) when channel posts
go out without a sound (``disable_notification``), except what an editor marked Breaking.
Pure: parsing and "is this moment quiet"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Final
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "parse_clock", "parse_quiet_hours"]

_CLOCK: Final = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")


def parse_clock(text: str) -> time | None:
    """``18:00``, ``7:30`` or ``07.30`` as a time of day; ``None`` for anything else."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From ``start`` (included) to ``end`` (excluded), local time; across midnight when
    ``start`` is after ``end``."""

    start: time
    end: time

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether the aware ``moment`` falls in the quiet hours of ``zone``."""
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``23:00-07:00`` as :class:`QuietHours`; empty text: ``None``; ``ValueError`` (in words)
    for anything else."""
    text = text.strip()
    if not text:
        return None
    start, dash, end = text.partition("-")
    first, last = parse_clock(start), parse_clock(end)
    if not dash or first is None or last is None:
        raise ValueError(f"{text[:32]!r} is not a span of the day; write it as 23:00-07:00")
    if first == last:
        raise ValueError("the quiet hours start and end at the same time; leave it empty for none")
    return QuietHours(first, last)
