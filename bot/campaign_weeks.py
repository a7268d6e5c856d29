"""A campaign's sign-ups week by week: pure, no I/O.

The database counts a campaign's readers per calendar day in the publisher's TIMEZONE; the days
are gathered here into ISO weeks (Monday to Sunday), every week of the span shown, an empty
one as zeros, and written as the CSV the console offers::

    from bot import campaign_weeks

    first = campaign_weeks.first_monday(today, 26)      # the span's first day
    weeks = campaign_weeks.by_week(per_day, today, 26)  # per_day: (day, sign_ups, subscribed)
    campaign_weeks.weeks_csv(weeks)                     # "week,week_start,sign_ups,…\\n2025-W14,…"

A week's **sign-ups** are the readers who first started the bot through the campaign that week;
its **still subscribed** are those of them who are subscribed and reachable now.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = ["CSV_HEADER", "WEEKS", "Week", "first_monday", "monday_of", "weeks_csv"]

WEEKS: Final = 26
"""How many weeks a campaign's page and CSV cover, the current one included (half a year)."""

CSV_HEADER: Final = ("week", "week_start", "sign_ups", "still_subscribed")


@dataclass(frozen=True, slots=True)
class Week:
    """One ISO week's figures; ``start`` is its Monday."""

    start: date
    sign_ups: int = 0
    subscribed: int = 0

    @property
    def iso(self) -> str:
        """The week as ISO 8601 writes it: ``2025-W14`` (its year is the Thursday's)."""
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def end(self) -> date:
        """Its Sunday."""
        return self.start + timedelta(days=6)


def monday_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def first_monday(today: date, weeks: int = WEEKS) -> date:
    """The first day of the ``weeks`` weeks that end with ``today``'s."""
    if weeks < 1:
        raise ValueError(f"a span of weeks has at least one, not {weeks}")
    return monday_of(today) - timedelta(weeks=weeks - 1)


def weeks_csv(weeks: Sequence[Week]) -> str:
    """``weeks`` as CSV under :data:`CSV_HEADER`, one row a week in the order given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for week in weeks:
        writer.writerow([week.iso, week.start.isoformat(), week.sign_ups, week.subscribed])
    return out.getvalue()
