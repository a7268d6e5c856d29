"""A campaign's days gathered into ISO weeks (every week of the span, empty ones as zeros) and
written as CSV."""

from __future__ import annotations

from datetime import date

import pytest

from bot.campaign_weeks import CSV_HEADER, Week, first_monday, monday_of, weeks_csv


class TestWeeks:
    @pytest.mark.parametrize(
        ("day", "monday"),
        [
            (date(2025, 4, 7), date(2025, 4, 7)),  # a Monday is its own
            (date(2025, 4, 13), date(2025, 4, 7)),  # a Sunday ends the week
            (date(2025, 1, 1), date(2024, 12, 30)),  # a week across the new year
        ],
    )
    def test_a_day_belongs_to_its_monday(self, day: date, monday: date) -> None:
        """The week of a day starts on the Monday before it (or on it)."""
        assert monday_of(day) == monday

    @pytest.mark.parametrize(
        ("monday", "iso"),
        [
            (date(2025, 4, 7), "2025-W15"),
            (date(2024, 12, 30), "2025-W01"),  # its Thursday is in 2025
            (date(2020, 12, 28), "2020-W53"),
        ],
    )
    def test_a_week_is_written_as_iso_8601(self, monday: date, iso: str) -> None:
        """A week's name is ISO's: the year of its Thursday, W and two digits."""
        assert Week(monday).iso == iso

    def test_the_span_ends_with_this_week(self) -> None:
        """26 weeks up to a Wednesday begin on the Monday 25 weeks before its own."""
        assert first_monday(date(2025, 4, 9), 26) == date(2024, 10, 14)
        assert first_monday(date(2025, 4, 9), 1) == date(2025, 4, 7)
        with pytest.raises(ValueError, match="at least one"):
            first_monday(date(2025, 4, 9), 0)

    def test_the_csv_has_a_row_a_week(self) -> None:
        """The CSV is the header, then each week: ISO week, its Monday, sign-ups, still
        subscribed."""
        text = weeks_csv([Week(date(2024, 12, 30), 4, 3), Week(date(2025, 1, 6))])
        assert CSV_HEADER == ("week", "week_start", "sign_ups", "still_subscribed")
        assert text == (
            "week,week_start,sign_ups,still_subscribed\n"
            "2025-W01,2024-12-30,4,3\n"
            "2025-W02,2025-01-06,0,0\n"
        )
