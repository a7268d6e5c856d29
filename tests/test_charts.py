"""The /stats chart (bot.charts): a PNG of one size whatever the period, whose bars and line
follow the numbers, and labels drawn only in a script some font has."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.charts import (
    ENGLISH,
    FONT_DIR,
    HEIGHT,
    WIDTH,
    ChartLabels,
    can_draw,
    can_draw_labels,
    render_chart,
)
from bot.formatting.pictures import photo_check
from bot.services.stats_series import CampaignSignUps, DayNumbers, Series

FAILED_RED = (214, 39, 40)  # the failed deliveries' bars (#d62728)
HINDI = ChartLabels(
    title="न्यूज़बॉट {start} – {end}",
    readers="पाठक (दिन के अंत में)",
    deliveries="हर दिन की डिलीवरी",
    sent="भेजी गईं",
    failed="विफल",
    campaigns="हर कैंपेन से साइन-अप",
    no_campaign="(कोई कैंपेन नहीं)",
    other_campaigns="(अन्य)",
    no_sign_ups="इस अवधि में कोई साइन-अप नहीं",
)


def series(days: int, *, failed: int = 1, campaigns: int = 3) -> Series:
    """``days`` days of made-up numbers up to 2 December 2026."""
    last = date(2026, 12, 2)
    numbers = [
        DayNumbers(last - timedelta(days=days - 1 - n), 100 + 3 * n, n % 4, 40 + 5 * n, failed)
        for n in range(days)
    ]
    return Series(
        period=f"{days}d",
        start=datetime(2026, 11, 26, tzinfo=UTC),
        end=datetime(2026, 12, 2, tzinfo=UTC),
        readers_before=99,
        days=numbers,
        campaigns=[CampaignSignUps(f"poster-{n}", campaigns - n) for n in range(campaigns)]
        + [CampaignSignUps(None, 1)],
        top_posts=[],
    )


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


class TestRenderChart:
    def test_a_png_telegram_takes(self, tmp_path: Path) -> None:
        """The chart is a PNG of WIDTH × HEIGHT that Telegram would take as a photo."""
        png = render_chart(series(7))
        (tmp_path / "chart.png").write_bytes(png)
        image = opened(png)
        assert image.format == "PNG"
        assert image.size == (WIDTH, HEIGHT) == (1000, 1100)
        assert photo_check(png) is None
        assert 10_000 < len(png) < 500_000

    @pytest.mark.parametrize(
        ("days", "campaigns"), [(1, 0), (24, 1), (366, 40)], ids=["one-day", "24", "a-year"]
    )
    def test_the_size_is_bounded(self, days: int, campaigns: int) -> None:
        """A day or a year, no campaign or forty: the same size, well under a megabyte."""
        png = render_chart(series(days, campaigns=campaigns))
        assert opened(png).size == (WIDTH, HEIGHT)
        assert len(png) < 1_000_000

    def test_failures_show_in_red_only_when_there_are_some(self) -> None:
        """The failed deliveries' bars are drawn for failures; without any, the only red is the
        legend's small patch."""

        def red_pixels(failed: int) -> int:
            image = opened(render_chart(series(7, failed=failed))).convert("RGB")
            return dict((c, n) for n, c in image.getcolors(1 << 20) or []).get(FAILED_RED, 0)

        legend_only, bars = red_pixels(0), red_pixels(20)
        assert 0 < legend_only < 500
        assert bars > legend_only + 7 * 500  # seven bars of 20 failures each

    def test_an_empty_period_is_drawn(self) -> None:
        """No days, no campaigns: still a chart (with its "no sign-ups" note)."""
        empty = Series("7d", datetime.now(UTC), datetime.now(UTC), 0, [], [], [])
        assert opened(render_chart(empty)).size == (WIDTH, HEIGHT)

    @pytest.mark.skipif(
        not any(FONT_DIR.glob("*Devanagari*")), reason="no Devanagari font in bot/fonts"
    )
    def test_hindi_labels(self, tmp_path: Path) -> None:
        """With a Devanagari font shipped, Hindi labels can be drawn and are."""
        assert can_draw_labels(HINDI)
        png = render_chart(series(30), HINDI)
        (tmp_path / "chart-hi.png").write_bytes(png)
        assert opened(png).size == (WIDTH, HEIGHT)


class TestCanDraw:
    def test_english_and_numbers(self) -> None:
        """The English labels, digits and campaign names are in matplotlib's own font."""
        assert can_draw_labels(ENGLISH)
        assert can_draw(["poster-metro_2026", "26/11", "(no campaign)"])

    def test_a_script_no_font_has(self) -> None:
        """Text in a script no font has (Egyptian hieroglyphs) cannot be drawn."""
        assert not can_draw(["\U00013000"])

    def test_devanagari_follows_the_shipped_fonts(self) -> None:
        """Devanagari can be drawn exactly when bot/fonts has a Devanagari font."""
        assert can_draw(["पाठक"]) == any(FONT_DIR.glob("*Devanagari*"))
