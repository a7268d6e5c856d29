"""bot.handlers.feeds without Telegram: the /feeds list (pages, sizes, buttons), its buttons'
data, and times in the publisher's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.editorial import MAX_PHRASE_LENGTH, MAX_PHRASES, Rules
from bot.formatting.telegram_html import parse_telegram_html
from bot.handlers import feeds as handlers
from bot.handlers.callback_data import MAX_BYTES
from bot.handlers.feeds import FeedView, feeds_page, local_time, parse_button
from bot.i18n import translator_for

EN, HI = translator_for("en"), translator_for("hi")
IST = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def view(n: int, **changes: object) -> FeedView:
    values: dict[str, object] = {
        "id": n,
        "title": f"Feed {n}",
        "url": f"https://paper.example/{n}.xml",
        "edition": "en",
        "active": True,
        "paused_reason": None,
        "error_count": 0,
        "last_error_kind": None,
        "next_poll_at": NOW + timedelta(minutes=5),
        "approve": False,
        "rules": None,
    }
    values.update(changes)
    return FeedView(**values)  # type: ignore[arg-type]


def worst(n: int) -> FeedView:
    """A feed with everything at its longest: title, URL, a failure, approval, full rules."""
    phrase = "श" * MAX_PHRASE_LENGTH
    rules = Rules(
        include=tuple(f"{phrase[:-3]}{i:03}" for i in range(MAX_PHRASES)),
        exclude=tuple(f"{phrase[:-3]}{i:03}" for i in range(MAX_PHRASES)),
    )
    return view(
        n,
        id=2**31 - n,
        title="<&>" * 300,
        url="https://paper.example/" + "x" * 2000,
        error_count=9,
        last_error_kind="blocked",
        approve=True,
        rules=rules,
    )


class TestList:
    @pytest.mark.parametrize("t", [EN, HI], ids=["en", "hi"])
    def test_a_page_of_the_longest_feeds_fits_one_message(self, t: object) -> None:
        """Five feeds at their longest make one message under Telegram's 4096 characters,
        and every button's data fits its 64 bytes and reads back."""
        text, keyboard = feeds_page(t, [worst(i) for i in range(12)], 1, NOW, IST)  # type: ignore[arg-type]
        assert len(parse_telegram_html(text).text) < 4096  # valid HTML, counted as Telegram does
        assert keyboard is not None
        for row in keyboard.inline_keyboard:
            for button in row:
                data = str(button.callback_data)
                assert len(data.encode()) <= MAX_BYTES
                assert parse_button(data) is not None

    def test_pages(self) -> None:
        """Twelve feeds are three pages of at most five, with Previous and Next as they apply;
        a page past the end shows the last."""
        feeds = [view(i) for i in range(1, 13)]
        first, keyboard = feeds_page(EN, feeds, 0, NOW, IST)
        assert first.startswith("<b>12 feeds</b> · page 1 of 3")
        assert keyboard is not None
        rows = keyboard.inline_keyboard
        assert len(rows) == 6
        assert [b.text for b in rows[-1]] == ["Next ›"]
        assert parse_button(str(rows[-1][0].callback_data)) == ("g", 0, 1)
        last, keyboard = feeds_page(EN, feeds, 99, NOW, IST)
        assert "page 3 of 3" in last
        assert "11. Feed 11" in last
        assert "12. Feed 12" in last
        assert keyboard is not None
        assert [b.text for b in keyboard.inline_keyboard[-1]] == ["‹ Previous"]
        assert len(keyboard.inline_keyboard) == 3

    def test_one_row_per_feed(self) -> None:
        """Each feed's row: Pause (Resume when paused), Remove, and its approval as it is."""
        _, keyboard = feeds_page(EN, [view(1), view(2, active=False, approve=True)], 0, NOW, IST)
        assert keyboard is not None
        assert [[b.text for b in row] for row in keyboard.inline_keyboard] == [
            ["⏸ Pause 1", "🗑 Remove 1", "◻️ Approval 1: off"],
            ["▶️ Resume 2", "🗑 Remove 2", "☑️ Approval 2: on"],
        ]
        assert [parse_button(str(b.callback_data)) for b in keyboard.inline_keyboard[1]] == [
            ("r", 2, 0),
            ("d", 2, 0),
            ("a0", 2, 0),
        ]

    def test_no_feeds(self) -> None:
        """No feeds: how to add one, and no keyboard."""
        assert feeds_page(EN, [], 0, NOW, IST) == (handlers.no_feeds(EN), None)

    @pytest.mark.parametrize(
        ("changes", "said"),
        [
            ({}, "✅ Working. Next check: 15:35 IST."),
            ({"next_poll_at": None}, "✅ Working. Next check: in a moment."),
            (
                {"error_count": 1, "last_error_kind": "dns"},
                "⚠️ Failing: 1 failed poll in a row. The site's name could not be found",
            ),
            ({"active": False, "paused_reason": "editor"}, "⏸ Paused by an editor."),
            (
                {"active": False, "paused_reason": "failures", "error_count": 10,
                 "last_error_kind": "http_status"},
                "⛔ Paused by itself after 10 failed polls in a row. The site answered with an "
                "error instead of the page.",
            ),
            ({"approve": True}, "Each new article waits for an editor's approval."),
            ({"rules": Rules(exclude=("sponsored", "<ad>"))}, "Never with: sponsored, &lt;ad&gt;."),
            ({"rules": Rules(include=("cricket",))}, "Only with: cricket."),
        ],
    )  # fmt: skip
    def test_health(self, changes: dict[str, object], said: str) -> None:
        """A feed's entry says its health in words and its options, escaped."""
        text, _ = feeds_page(EN, [view(1, **changes)], 0, NOW, IST)
        assert said in text


class TestButtons:
    @pytest.mark.parametrize(
        "data",
        [
            None,
            "",
            "fd",
            "fd:y:1",
            "fd:y:1:0:0",
            "fd:zz:1:0",
            "fd:y:-1:0",
            "fd:y:1:10000",
            "fd:y:x:0",
            "fd:y:99999999999999999999:0",
            "sec:e:1",
            "fd:y:1:0;drop",
        ],
    )
    def test_refused(self, data: str | None) -> None:
        """Data the list did not make is refused."""
        assert parse_button(data) is None

    def test_round_trip(self) -> None:
        """What the list makes reads back."""
        assert parse_button(handlers.FEED_BUTTON.encode("y", 2**31 - 1, 3)) == ("y", 2**31 - 1, 3)


class TestTimes:
    @pytest.mark.parametrize(
        ("moment", "shown"),
        [
            (datetime(2026, 12, 2, 10, 5, tzinfo=UTC), "15:35 IST"),
            (datetime(2026, 12, 2, 20, 0, tzinfo=UTC), "2026-12-03 01:30 IST"),
        ],
    )
    def test_in_the_publishers_zone(self, moment: datetime, shown: str) -> None:
        """A time is shown in TIMEZONE, with the date when it is not today there."""
        assert local_time(moment, NOW, IST) == shown

    def test_another_zone(self) -> None:
        """Any zone: its own abbreviation."""
        assert local_time(NOW, NOW, ZoneInfo("Europe/London")) == "10:00 GMT"
