"""Times editors choose and read are the publisher's (Asia/Kolkata here; London for DST)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.quiet_hours import QuietHours, parse_clock, parse_quiet_hours
from bot.schedule_times import choices, local_label, next_occurrence

IST = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:00", time(18, 0)),
        ("7:30", time(7, 30)),
        ("07.30", time(7, 30)),
        (" 23:59 ", time(23, 59)),
        ("24:00", None),
        ("18", None),
        ("18:60", None),
        ("6pm", None),
        ("", None),
        ("१८:००", None),  # Devanagari digits are not taken for ASCII ones
    ],
)
def test_parse_clock(text: str, expected: time | None) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    ("now", "at", "expected"),
    [
        # 09:30 IST: 18:00 is later today (12:30 UTC).
        (
            datetime(2026, 12, 2, 4, 0, tzinfo=UTC),
            time(18, 0),
            datetime(2026, 12, 2, 12, 30, tzinfo=UTC),
        ),
        # 19:00 IST: 18:00 has passed, so tomorrow's.
        (
            datetime(2026, 12, 2, 13, 30, tzinfo=UTC),
            time(18, 0),
            datetime(2026, 12, 3, 12, 30, tzinfo=UTC),
        ),
        # Exactly now is not the next one.
        (
            datetime(2026, 12, 2, 12, 30, tzinfo=UTC),
            time(18, 0),
            datetime(2026, 12, 3, 12, 30, tzinfo=UTC),
        ),
        # 23:50 IST on the 2nd: 00:10 is the 3rd's (18:40 UTC on the 2nd).
        (
            datetime(2026, 12, 2, 18, 20, tzinfo=UTC),
            time(0, 10),
            datetime(2026, 12, 2, 18, 40, tzinfo=UTC),
        ),
    ],
)
def test_next_occurrence_in_the_publishers_zone(
    now: datetime, at: time, expected: datetime
) -> None:
    assert next_occurrence(at, now, IST) == expected


def test_next_occurrence_across_a_dst_change() -> None:
    """London's clocks go back on 25 October 2026: 09:00 the next day is 09:00 GMT."""
    now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)  # 13:00 BST
    assert next_occurrence(time(9, 0), now, LONDON) == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


def test_choices_are_future_sorted_and_local() -> None:
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 09:30 IST
    offered = choices(now, IST)
    assert offered == sorted(offered)
    assert all(moment > now for moment in offered)
    local = [f"{m.astimezone(IST):%d %H:%M}" for m in offered]
    assert local == [
        "02 10:00", "02 11:00", "02 12:00", "02 18:00", "02 20:00",
        "03 07:00", "03 09:00", "03 12:00", "03 18:00",
    ]  # fmt: skip


def test_choices_late_in_the_evening_offer_tomorrow() -> None:
    now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 23:30 IST: no hour left today
    local = [f"{m.astimezone(IST):%d %H:%M}" for m in choices(now, IST)]
    assert local == ["03 07:00", "03 09:00", "03 12:00", "03 18:00"]


def test_local_label() -> None:
    now = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert local_label(datetime(2026, 12, 2, 12, 30, tzinfo=UTC), now, IST) == (
        "today",
        "18:00 IST",
    )
    assert local_label(datetime(2026, 12, 3, 1, 30, tzinfo=UTC), now, IST) == (
        "tomorrow",
        "07:00 IST",
    )
    assert local_label(datetime(2026, 12, 5, 1, 30, tzinfo=UTC), now, IST) == (
        "later",
        "2026-12-05 07:00 IST",
    )


@pytest.mark.parametrize(
    ("span", "moment", "quiet"),
    [
        ("23:00-07:00", datetime(2026, 12, 2, 18, 0, tzinfo=UTC), True),  # 23:30 IST
        ("23:00-07:00", datetime(2026, 12, 2, 1, 0, tzinfo=UTC), True),  # 06:30 IST
        ("23:00-07:00", datetime(2026, 12, 2, 1, 30, tzinfo=UTC), False),  # 07:00 IST: over
        ("23:00-07:00", datetime(2026, 12, 2, 17, 30, tzinfo=UTC), True),  # 23:00 IST: begun
        ("23:00-07:00", datetime(2026, 12, 2, 12, 0, tzinfo=UTC), False),  # 17:30 IST
        ("13:00-14:00", datetime(2026, 12, 2, 8, 0, tzinfo=UTC), True),  # 13:30 IST
        ("13:00-14:00", datetime(2026, 12, 2, 9, 0, tzinfo=UTC), False),  # 14:30 IST
    ],
)
def test_quiet_hours(span: str, moment: datetime, quiet: bool) -> None:
    hours = parse_quiet_hours(span)
    assert hours is not None
    assert hours.contains(moment, IST) is quiet


@pytest.mark.parametrize("text", ["23-7", "23:00", "23:00-", "25:00-07:00", "07:00-07:00", "x"])
def test_bad_quiet_hours_are_refused_in_words(text: str) -> None:
    with pytest.raises(ValueError, match=r"quiet hours|span of the day"):
        parse_quiet_hours(text)


def test_no_quiet_hours() -> None:
    assert parse_quiet_hours("") is None
    assert str(QuietHours(time(23, 0), time(7, 0))) == "23:00-07:00"
