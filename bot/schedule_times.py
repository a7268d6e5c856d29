"""Times editors choose and read, in the publisher's time zone: pure.

::

    at = next_occurrence(time(18, 0), now, zone)     # today 18:00 IST, or tomorrow's if past
    choices(now, zone)                               # the Schedule keyboard's times
    local_label(at, now, zone)                       # ("today", "18:00 IST")
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

__all__ = ["TOMORROW_TIMES", "choices", "local_label", "next_occurrence"]

#: What the Schedule keyboard offers for tomorrow: the morning, midday and evening editions.
TOMORROW_TIMES: Final = (time(7, 0), time(9, 0), time(12, 0), time(18, 0))
#: Today's evening slots offered besides the next few hours.
_TODAY_TIMES: Final = (time(12, 0), time(18, 0), time(20, 0))

Day = Literal["today", "tomorrow", "later"]


def _local(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` on ``day``'s local date, as an aware UTC datetime (a time skipped by a DST
    change comes out an hour later, as the clock on the wall reads)."""
    local = datetime.combine(day.astimezone(zone).date(), at, tzinfo=zone)
    return local.astimezone(UTC)


def next_occurrence(at: time, now: datetime, zone: ZoneInfo) -> datetime:
    """The next moment the clock in ``zone`` reads ``at``: today, else tomorrow (UTC)."""
    today = _local(now, at, zone)
    if today > now:
        return today
    return _local(now + timedelta(days=1), at, zone)


def choices(now: datetime, zone: ZoneInfo, *, today_hours: int = 3) -> list[datetime]:
    """The times the Schedule keyboard offers: the next ``today_hours`` full hours and the
    evening slots left today, then :data:`TOMORROW_TIMES`; sorted, no duplicates (UTC)."""
    local = now.astimezone(zone)
    found: set[datetime] = set()
    top = local.replace(minute=0, second=0, microsecond=0)
    for hours in range(1, today_hours + 1):
        moment = top + timedelta(hours=hours)
        if moment.date() == local.date():
            found.add(moment.astimezone(UTC))
    for at in _TODAY_TIMES:
        moment = _local(now, at, zone)
        if moment > now + timedelta(minutes=5):
            found.add(moment)
    tomorrow = now + timedelta(days=1)
    found.update(_local(tomorrow, at, zone) for at in TOMORROW_TIMES)
    return sorted(found)


def local_label(moment: datetime, now: datetime, zone: ZoneInfo) -> tuple[Day, str]:
    """Which day ``moment`` is for the reader of ``zone`` and its clock time with the zone's
    abbreviation (``"18:00 IST"``); a later day's date is in the time (``2026-12-05 07:00``)."""
    here, today = moment.astimezone(zone), now.astimezone(zone).date()
    name = here.tzname() or ""
    if here.date() == today:
        return "today", f"{here:%H:%M} {name}".strip()
    if here.date() == today + timedelta(days=1):
        return "tomorrow", f"{here:%H:%M} {name}".strip()
    return "later", f"{here:%Y-%m-%d %H:%M} {name}".strip()
