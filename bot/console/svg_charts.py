"""Charts as inline SVG, drawn on the server from day series: no script, no picture files.

::

    chart = line_chart(
        ChartText("readers", "Readers at the end of each day", "Day", "Readers"),
        days,
        [Series("English", [10, 12, 15]), Series("हिन्दी", [4, 4, 6])],
    )
    {{ chart }}    # a <figure>: the <svg role="img">, then the numbers in a <table>

Every chart is a ``<figure>`` holding an ``<svg>`` (``role="img"``, an ``aria-label``, a
``<title>`` and a ``<desc>``) with axes, day ticks and a legend, and under it a ``<details>``
with a ``<table>`` of the same numbers, for screen readers and for copying. The SVG is
well-formed XML: every text in it (editions' and campaigns' names are anyone's input) is
escaped, and characters XML cannot carry at all are dropped. Texts come translated by the
caller; this module only draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

WIDTH = 900
HEIGHT = 300
#: room for the y axis' numbers, the legend above, the day labels and the axis' name below.
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 40, 52
#: colours that stay apart for colour-blind readers (Okabe and Ito's), on white.
PALETTE = ("#0a6ebd", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#6b7280")
FAILED = "#c62828"
AXIS, GRID, INK, MUTED = "#6b7280", "#e5e7eb", "#1d2430", "#5b6472"
#: at most this many day labels under a chart (days are ticked, labels would collide).
DAY_LABELS = 8
#: a campaign's name is cut to this many characters on its bar (the table has it whole).
NAME_CHARS = 28
#: characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
ENGLISH_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


@dataclass(frozen=True, slots=True)
class ChartText:
    """A chart's words (translated by the caller): ``key`` makes its ids unique on the page."""

    key: str
    title: str
    x_label: str
    y_label: str
    #: the summary a screen reader hears after the title ("Last 30 days: 1,204 readers now").
    summary: str = ""
    #: the ``<details>``' summary line.
    table_label: str = "The numbers"
    #: what the chart says when there is nothing to draw.
    empty: str = "Nothing in this period"


@dataclass(frozen=True, slots=True)
class Series:
    """One line (or one part of each bar): its name in the legend and a number per day."""

    name: str
    values: Sequence[int]
    colour: str | None = None


def text(value: object) -> str:
    """``value`` as XML text or attribute: escaped, and without what XML cannot carry."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def number(value: int) -> str:
    return f"{value:,}"


def english_day(day: date) -> str:
    """``12 Nov``: a day as the charts label it, unless the caller gives its own words."""
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]}"


def nice_ceiling(top: int, ticks: int = 4) -> tuple[int, int]:
    """The y axis' top and step: a round step (1, 2, 5 × 10ⁿ) that reaches ``top`` in about
    ``ticks`` steps (``(4, 1)`` for nothing to show)."""
    if top <= 0:
        return ticks, 1
    rough = top / ticks
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(1, int(step))
    return step * math.ceil(top / step), step


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where the plot is in the picture, and how days and numbers map to it."""

    days: int
    top_value: int

    @property
    def width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def height(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def slot(self) -> float:
        return self.width / max(self.days, 1)

    def x(self, index: int) -> float:
        return LEFT + (index + 0.5) * self.slot()

    def y(self, value: float) -> float:
        return TOP + self.height - self.height * value / max(self.top_value, 1)


def _day_indices(count: int) -> list[int]:
    """Which days get a label: every day when few, else every n-th counted back from the
    last (today is always labelled)."""
    if count <= DAY_LABELS:
        return list(range(count))
    step = math.ceil(count / DAY_LABELS)
    if count > 14 and step < 7:
        step = 7 if count <= 7 * DAY_LABELS else step
    return sorted(i for i in range(count) if (count - 1 - i) % step == 0)


def _open(t: ChartText) -> list[str]:
    label = t.title + (f". {t.summary}" if t.summary else "")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" aria-label="{text(label)}"'
        f' aria-labelledby="{text(t.key)}-title {text(t.key)}-desc" font-size="14"'
        ' font-family="Noto Sans, Noto Sans Devanagari, system-ui, sans-serif">',
        f'<title id="{text(t.key)}-title">{text(t.title)}</title>',
        f'<desc id="{text(t.key)}-desc">{text(t.summary or t.title)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]


def _axes(
    frame: _Frame, t: ChartText, days: Sequence[date], day_label: Callable[[date], str]
) -> list[str]:
    """Grid lines and numbers up the y axis, ticks and labels along the days, the axes' names."""
    parts: list[str] = []
    _, step = nice_ceiling(frame.top_value)
    for value in range(0, frame.top_value + 1, step):
        y = frame.y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            f' stroke="{GRID if value else AXIS}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{text(number(value))}</text>"
        )
    base = TOP + frame.height
    labelled = set(_day_indices(len(days)))
    for index, day in enumerate(days):
        x = frame.x(index)
        if len(days) <= 62 or index in labelled:
            size = 6 if index in labelled else 3
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + size}" stroke="{AXIS}"/>'
            )
        if index in labelled:
            parts.append(
                f'<text x="{x:.1f}" y="{base + 20}" text-anchor="middle" fill="{MUTED}">'
                f"{text(day_label(day))}</text>"
            )
    parts.append(
        f'<text x="{LEFT + frame.width / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle"'
        f' fill="{MUTED}">{text(t.x_label)}</text>'
    )
    parts.append(
        f'<text x="14" y="{TOP + frame.height / 2:.1f}" text-anchor="middle" fill="{MUTED}"'
        f' transform="rotate(-90 14 {TOP + frame.height / 2:.1f})">{text(t.y_label)}</text>'
    )
    return parts


def _legend(series: Sequence[Series], colours: Sequence[str]) -> list[str]:
    """Swatches and names along the top, left to right."""
    parts: list[str] = []
    x = float(LEFT)
    for one, colour in zip(series, colours, strict=True):
        name = _cut(one.name)
        parts.append(
            f'<rect x="{x:.1f}" y="14" width="14" height="14" rx="3" fill="{colour}"/>'
            f'<text x="{x + 20:.1f}" y="26" fill="{INK}">{text(name)}</text>'
        )
        x += 20 + 8 * len(name) + 24
    return parts


def _cut(name: str) -> str:
    """A name short enough for a legend or a bar (the table under the chart has it whole)."""
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def _empty(frame: _Frame, t: ChartText) -> str:
    return (
        f'<text x="{LEFT + frame.width / 2:.1f}" y="{TOP + frame.height / 2:.1f}"'
        f' text-anchor="middle" fill="{MUTED}" font-size="15">{text(t.empty)}</text>'
    )


def _colours(series: Sequence[Series]) -> list[str]:
    return [one.colour or PALETTE[n % len(PALETTE)] for n, one in enumerate(series)]


def _table(
    t: ChartText,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> str:
    """The chart's numbers as a table in a ``<details>`` (HTML; ``head[0]`` is the row's
    name, the rest are numbers)."""
    cells = "".join(
        f'<th scope="col"{" class=num" if n else ""}>{text(h)}</th>' for n, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + f'<th scope="row">{text(row[0])}</th>'
        + "".join(f'<td class="num">{text(cell)}</td>' for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(head)}">{text(t.empty)}</td></tr>'
    return (
        f'<details class="chart-numbers"><summary>{text(t.table_label)}</summary>'
        f"<table><caption>{text(t.title)}</caption><thead><tr>{cells}</tr></thead>"
        f"<tbody>{body}</tbody></table></details>"
    )


def _figure(svg: list[str], table: str, t: ChartText) -> Markup:
    """The chart and its table, safe to put in a page as they are: every text in them went
    through :func:`text`."""
    caption = f"<figcaption><h3>{text(t.title)}</h3>"
    if t.summary:
        caption += f'<p class="chart-summary">{text(t.summary)}</p>'
    return Markup(  # noqa: S704 - built of escaped texts only
        f'<figure class="chart-figure" id="{text(t.key)}">'
        + caption
        + "</figcaption>"
        + "".join(svg)
        + "</svg>"
        + table
        + "</figure>"
    )


def _day_rows(
    days: Sequence[date], series: Sequence[Series], day_label: Callable[[date], str]
) -> list[list[str]]:
    return [
        [f"{day_label(day)} {day.year}", *(number(one.values[i]) for one in series)]
        for i, day in enumerate(days)
    ]


def _check(days: Sequence[date], series: Sequence[Series]) -> None:
    for one in series:
        if len(one.values) != len(days):
            raise ValueError(f"{one.name!r} has {len(one.values)} values for {len(days)} days")


def line_chart(
    t: ChartText,
    days: Sequence[date],
    series: Sequence[Series],
    *,
    day_label: Callable[[date], str] = english_day,
) -> Markup:
    """A line per series over ``days`` (a dot on each day when there are few)."""
    _check(days, series)
    top = max((max(one.values, default=0) for one in series), default=0)
    frame = _Frame(len(days), nice_ceiling(top)[0])
    colours = _colours(series)
    svg = [*_open(t), *_axes(frame, t, days, day_label), *_legend(series, colours)]
    if not days or not series:
        svg.append(_empty(frame, t))
    for one, colour in zip(series, colours, strict=True):
        points = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in enumerate(one.values))
        if len(days) > 1:
            svg.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
                ' stroke-linejoin="round" stroke-linecap="round"/>'
            )
        if len(days) <= 31:
            svg += [
                f'<circle cx="{frame.x(i):.1f}" cy="{frame.y(v):.1f}" r="3" fill="{colour}">'
                f"<title>{text(one.name)}: {text(number(v))}</title></circle>"
                for i, v in enumerate(one.values)
            ]
    head = [t.x_label, *(one.name for one in series)]
    return _figure(svg, _table(t, head, _day_rows(days, series, day_label)), t)


def bar_chart(
    t: ChartText,
    days: Sequence[date],
    series: Sequence[Series],
    *,
    day_label: Callable[[date], str] = english_day,
) -> Markup:
    """A bar per day, the series stacked in it (the first at the bottom)."""
    _check(days, series)
    totals = [sum(one.values[i] for one in series) for i in range(len(days))]
    frame = _Frame(len(days), nice_ceiling(max(totals, default=0))[0])
    colours = _colours(series)
    svg = [*_open(t), *_axes(frame, t, days, day_label), *_legend(series, colours)]
    if not days or not series or not any(totals):
        svg.append(_empty(frame, t))
    width = max(1.0, frame.slot() * 0.72)
    for i, day in enumerate(days):
        below = 0
        for one, colour in zip(series, colours, strict=True):
            value = one.values[i]
            if value <= 0:
                continue
            y_top, y_bottom = frame.y(below + value), frame.y(below)
            svg.append(
                f'<rect x="{frame.x(i) - width / 2:.1f}" y="{y_top:.1f}" width="{width:.1f}"'
                f' height="{max(y_bottom - y_top, 0.5):.1f}" fill="{colour}">'
                f"<title>{text(day_label(day))}, {text(one.name)}: {text(number(value))}</title>"
                "</rect>"
            )
            below += value
    head = [t.x_label, *(one.name for one in series)]
    return _figure(svg, _table(t, head, _day_rows(days, series, day_label)), t)


def ranking_chart(t: ChartText, items: Sequence[tuple[str, int]], *, limit: int = 10) -> Markup:
    """Horizontal bars, the largest first (sign-ups per campaign): the first ``limit`` drawn,
    every item in the table."""
    shown = list(items[:limit])
    row_height = 26
    height = TOP + row_height * max(len(shown), 1) + 36
    top = nice_ceiling(max((n for _, n in shown), default=0))[0]
    left, right = 230, 70
    width = WIDTH - left - right
    svg = _open(t)
    svg[0] = svg[0].replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH} {height}"')
    svg[-1] = f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>'
    svg.append(f'<text x="{left}" y="24" fill="{MUTED}">{text(t.y_label)}</text>')
    if not shown:
        svg.append(
            f'<text x="{WIDTH / 2:.0f}" y="{TOP + 18}" text-anchor="middle" fill="{MUTED}"'
            f' font-size="15">{text(t.empty)}</text>'
        )
    for n, (name, value) in enumerate(shown):
        y = TOP + n * row_height
        bar = width * value / max(top, 1)
        short = _cut(name)
        svg.append(
            f'<text x="{left - 10}" y="{y + 17}" text-anchor="end" fill="{INK}">'
            f"{text(short)}<title>{text(name)}</title></text>"
            f'<rect x="{left}" y="{y + 4}" width="{max(bar, 1):.1f}" height="{row_height - 8}"'
            f' rx="3" fill="{PALETTE[0]}"/>'
            f'<text x="{left + bar + 6:.1f}" y="{y + 17}" fill="{INK}">{text(number(value))}</text>'
        )
    base = TOP + row_height * max(len(shown), 1)
    svg.append(
        f'<line x1="{left}" x2="{left}" y1="{TOP}" y2="{base}" stroke="{AXIS}"/>'
        f'<text x="{left + width / 2:.0f}" y="{base + 26}" text-anchor="middle"'
        f' fill="{MUTED}">{text(t.x_label)}</text>'
    )
    rows = [[name, number(value)] for name, value in items]
    return _figure(svg, _table(t, [t.y_label, t.x_label], rows), t)
