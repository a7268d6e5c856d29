"""The dashboard's charts (bot.console.svg_charts): well-formed SVG whatever the names, axes,
day labels and a legend, the same numbers in a table, something sensible when empty."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from bot.console.svg_charts import (
    ChartText,
    Series,
    bar_chart,
    line_chart,
    nice_ceiling,
    ranking_chart,
    text,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"quotes\" \x01\x1f"
WORDS = ChartText("c", "Readers & <friends>", "Day", "Readers", summary="12 now", empty="Nothing")


def days(n: int) -> list[date]:
    return [date(2026, 11, 1) + timedelta(days=i) for i in range(n)]


def svg_of(markup: str) -> ET.Element:
    """The chart's <svg>, parsed as XML (fails on anything not well-formed)."""
    match = re.search(r"<svg\b.*?</svg>", markup, re.DOTALL)
    assert match, markup
    return ET.fromstring(match.group(0))  # noqa: S314 - our own output, not untrusted XML


def texts(svg: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("count", "values", "polylines", "dots"),
    [
        pytest.param(0, [], 0, 0, id="empty"),
        pytest.param(1, [5], 0, 1, id="one day"),
        pytest.param(7, [0, 1, 2, 3, 4, 5, 6], 1, 7, id="a week"),
        pytest.param(90, list(range(90)), 1, 0, id="many days"),
    ],
)
def test_line_charts(count: int, values: list[int], polylines: int, dots: int) -> None:
    chart = str(line_chart(WORDS, days(count), [Series("English", values)]))
    svg = svg_of(chart)
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Readers & <friends>. 12 now"
    assert svg.findtext(f"{SVG}title") == "Readers & <friends>"
    assert svg.findtext(f"{SVG}desc") == "12 now"
    assert len(svg.findall(f"{SVG}polyline")) == polylines
    assert len(svg.findall(f"{SVG}circle")) == dots
    labels = texts(svg)
    assert "Day" in labels  # the axes are named
    assert "Readers" in labels
    assert "0" in labels  # the y axis starts at zero
    if count:
        assert "English" in labels  # the legend
        assert f"{days(count)[-1].day} Nov" in labels or f"{days(count)[-1].day} Jan" in labels
        assert len(chart.split("<tr>")) - 2 == count  # a table row per day, and the header
    else:
        assert "Nothing" in labels
        assert "Nothing" in chart.split("<details", 1)[1]
    assert "<details" in chart
    assert "<table>" in chart


def test_day_labels_do_not_crowd() -> None:
    """90 days get a handful of labels, the last day always among them."""
    svg = svg_of(str(line_chart(WORDS, days(90), [Series("x", [1] * 90)])))
    labelled = [t for t in texts(svg) if re.fullmatch(r"\d+ [A-Z][a-z]{2}", t)]
    assert 4 <= len(labelled) <= 9
    assert labelled[-1] == "29 Jan"


def test_bars_stack_sent_and_failed() -> None:
    chart = bar_chart(
        WORDS, days(3), [Series("sent", [3, 0, 5]), Series("failed", [1, 0, 0], "#c00000")]
    )
    svg = svg_of(str(chart))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.findtext(f"{SVG}title") for r in bars] == [
        "1 Nov, sent: 3",
        "1 Nov, failed: 1",
        "3 Nov, sent: 5",
    ]
    assert [r.get("fill") for r in bars][1] == "#c00000"


def test_nothing_to_draw_says_so() -> None:
    svg = svg_of(str(bar_chart(WORDS, days(7), [Series("sign-ups", [0] * 7)])))
    assert "Nothing" in texts(svg)


@pytest.mark.parametrize(
    "draw",
    [
        pytest.param(lambda w: line_chart(w, days(2), [Series(HOSTILE, [1, 2])]), id="line"),
        pytest.param(lambda w: bar_chart(w, days(2), [Series(HOSTILE, [1, 2])]), id="bar"),
        pytest.param(lambda w: ranking_chart(w, [(HOSTILE, 3), ("b", 1)]), id="ranking"),
    ],
)
def test_hostile_names_are_escaped(draw: object) -> None:
    """A name with markup, quotes and control characters stays text: the SVG parses, the name
    reads as written (less what XML cannot carry), and no tag of it reaches the page."""
    words = ChartText('k"><script>', HOSTILE, HOSTILE, HOSTILE, summary=HOSTILE)
    chart = str(draw(words))  # type: ignore[operator]
    svg = svg_of(chart)
    clean = "<script>alert('x')</script> & \"quotes\" "
    assert svg.findtext(f"{SVG}title") == clean
    assert any(clean[:20] in t for t in texts(svg))
    assert "<script>" not in chart
    assert "\x01" not in chart


def test_a_long_campaign_name_is_cut_on_its_bar_and_whole_in_the_table() -> None:
    name = "spring-poster-campaign-on-the-metro-line-three"
    chart = str(ranking_chart(WORDS, [(name, 40), ("flyer", 10)]))
    svg = svg_of(chart)
    shown = [t for t in texts(svg) if t.startswith("spring")]
    assert shown
    assert shown[0].startswith("spring-poster-campaign-on-t…")
    assert f'<th scope="row">{name}</th>' in chart
    assert "40" in texts(svg)


def test_series_must_cover_every_day() -> None:
    with pytest.raises(ValueError, match="2 values for 3 days"):
        line_chart(WORDS, days(3), [Series("x", [1, 2])])


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (0, (4, 1)),
        (1, (1, 1)),
        (3, (3, 1)),
        (7, (8, 2)),
        (38, (40, 10)),
        (77_982, (80_000, 20_000)),
    ],
)
def test_round_axis_tops(top: int, expected: tuple[int, int]) -> None:
    assert nice_ceiling(top) == expected


def test_text_is_xml_safe() -> None:
    assert text("a<b>&\"'\x00\x08\x0b") == "a&lt;b&gt;&amp;&quot;&#x27;"
