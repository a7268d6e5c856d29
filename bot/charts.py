"""Pure: a period's numbers (:class:`~bot.services.stats_series.Series`) → a PNG chart.

Three panels, one above the other: readers at the end of each day (a line), deliveries per day
(sent and failed, stacked bars), and the period's sign-ups per campaign (bars, the largest
first). The picture is always :data:`WIDTH` × :data:`HEIGHT` pixels, whatever the period, and
well inside what Telegram takes as a photo.

matplotlib is used without pyplot: a :class:`~matplotlib.figure.Figure` drawn by its own Agg
canvas, so nothing global (the backend, rcParams) is changed and a render can run in a worker
thread (:func:`render_chart` holds a lock: matplotlib's text caches are not thread-safe).

Languages: matplotlib 3.11 lays text out with libraqm, so Devanagari is shaped correctly
(conjuncts, the ``ि`` sign before its consonant) — given a font that has it. DejaVu Sans, which
matplotlib ships, has no Devanagari; fonts in ``bot/fonts/`` (Noto, when present) are added to
the fallback list. A caller asks :func:`can_draw` whether its labels can be drawn, and falls
back to :data:`ENGLISH` labels when not (the words are then in the caption, in the reader's
language); numbers, dates (``26/11``) and campaign names need no translation.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.services.stats_series import Series

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.font_manager import FontProperties

# matplotlib (with numpy, some 50 MB) is imported by the functions that draw, when an editor
# first asks for a chart: a process that never draws one does not carry it.

#: The picture's size in pixels (``FIGSIZE`` inches at ``DPI``).
DPI = 100
WIDTH, HEIGHT = 1000, 1100
#: At most this many campaigns get a bar each; the rest are summed in one more.
MAX_CAMPAIGNS = 8
#: At most this many days are named under the day axes.
MAX_TICKS = 10
#: Fonts shipped with newsbot (Noto, for Devanagari), added to matplotlib's own DejaVu Sans.
FONT_DIR = Path(__file__).parent / "fonts"

_BASE_FAMILY = "DejaVu Sans"
_READERS, _SENT, _FAILED, _CAMPAIGN = "#1f77b4", "#2ca02c", "#d62728", "#9467bd"
_LOCK = threading.Lock()
_FONTS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """The words on the chart, in one language."""

    title: str
    readers: str
    deliveries: str
    sent: str
    failed: str
    campaigns: str
    no_campaign: str
    other_campaigns: str
    no_sign_ups: str


#: The labels when the editor's language cannot be drawn (see the module's docstring).
ENGLISH = ChartLabels(
    title="newsbot {start} – {end}",
    readers="Readers (end of day)",
    deliveries="Deliveries per day",
    sent="sent",
    failed="failed",
    campaigns="Sign-ups per campaign",
    no_campaign="(no campaign)",
    other_campaigns="(others)",
    no_sign_ups="no sign-ups in this period",
)


@cache
def _font_files() -> tuple[Path, ...]:
    """matplotlib's DejaVu Sans and the fonts in :data:`FONT_DIR`, registered with
    matplotlib's font manager (once; adding fonts changes nothing else)."""
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    with _FONTS_LOCK:  # the first call may come from two threads at once
        files = [Path(font_manager.findfont(FontProperties(family=_BASE_FAMILY)))]
        if FONT_DIR.is_dir():
            for path in sorted(FONT_DIR.iterdir()):
                if path.suffix.lower() in (".ttf", ".otf"):
                    font_manager.fontManager.addfont(str(path))
                    files.append(path)
        return tuple(files)


@cache
def _families() -> tuple[str, ...]:
    """The font families text is drawn in, the first that has a character winning."""
    from matplotlib.font_manager import FontProperties

    names = [_BASE_FAMILY]
    for path in _font_files()[1:]:
        name = FontProperties(fname=str(path)).get_name()
        if name not in names:
            names.append(name)
    return tuple(names)


@cache
def _characters() -> frozenset[int]:
    """Every character some font of :func:`_families` has."""
    from matplotlib.ft2font import FT2Font

    codes: set[int] = set()
    for path in _font_files():
        codes.update(FT2Font(str(path)).get_charmap())
    return frozenset(codes)


def can_draw(texts: Iterable[str]) -> bool:
    """Whether every character of ``texts`` is in a font the chart uses."""
    known = _characters()
    return all(ord(c) in known for text in texts for c in text if not c.isspace())


def can_draw_labels(labels: ChartLabels) -> bool:
    """Whether ``labels`` can be drawn (:func:`can_draw` of all of them)."""
    return can_draw(getattr(labels, name) for name in ChartLabels.__slots__)


def render_chart(series: Series, labels: ChartLabels = ENGLISH) -> bytes:
    """The PNG of ``series``, :data:`WIDTH` × :data:`HEIGHT` pixels."""
    with _LOCK:
        return _render(series, labels)


def _render(series: Series, labels: ChartLabels) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(family=list(_families()))
    title_font = FontProperties(family=list(_families()), size=17)  # no bold Noto: no bold
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    readers_ax, deliveries_ax, campaigns_ax = figure.subplots(
        3, 1, gridspec_kw={"height_ratios": [3, 3, 2.4]}
    )
    x = list(range(len(series.days)))  # one step a day; ticks name the days (_day_ticks)
    first = series.days[0].day.isoformat() if series.days else ""
    last = series.days[-1].day.isoformat() if series.days else ""
    figure.suptitle(labels.title.format(start=first, end=last), fontproperties=title_font)

    readers = [d.readers for d in series.days]
    readers_ax.plot(x, readers, color=_READERS, marker="o" if len(x) <= 31 else "", lw=2)
    readers_ax.fill_between(x, readers, color=_READERS, alpha=0.12)
    readers_ax.set_title(labels.readers, fontproperties=font, loc="left")
    readers_ax.set_ylim(bottom=0, top=max([*readers, 1]) * 1.15)
    if readers:
        readers_ax.annotate(
            f"{readers[-1]}",
            (x[-1], readers[-1]),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            color=_READERS,
            fontproperties=font,
        )

    sent = [d.sent for d in series.days]
    failed = [d.failed for d in series.days]
    width = 0.8 if len(x) > 1 else 0.5
    deliveries_ax.bar(x, sent, width=width, color=_SENT, label=labels.sent)
    deliveries_ax.bar(x, failed, width=width, bottom=sent, color=_FAILED, label=labels.failed)
    deliveries_ax.set_title(labels.deliveries, fontproperties=font, loc="left")
    deliveries_ax.set_ylim(
        bottom=0, top=max([s + f for s, f in zip(sent, failed, strict=True)] + [1]) * 1.15
    )
    deliveries_ax.legend(prop=font, loc="upper left", frameon=False, ncols=2)

    for ax in (readers_ax, deliveries_ax):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _day_ticks(ax, series)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)

    _campaigns(campaigns_ax, series, labels, font)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _day_ticks(ax: Axes, series: Series) -> None:
    """Name at most :data:`MAX_TICKS` days under ``ax`` (``26/11``), the last day always."""
    count = len(series.days)
    step = max(1, -(-count // MAX_TICKS))
    ticks = list(range(count - 1, -1, -step))[::-1]
    ax.set_xticks(ticks, [series.days[i].day.strftime("%d/%m") for i in ticks])
    ax.set_xlim(-0.6, max(count - 1, 0) + 0.6)


def _campaigns(ax: Axes, series: Series, labels: ChartLabels, font: FontProperties) -> None:
    """The sign-ups per campaign as horizontal bars, the largest on top."""
    from matplotlib.ticker import MaxNLocator

    ax.set_title(labels.campaigns, fontproperties=font, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    rows = [(c.campaign or labels.no_campaign, c.sign_ups) for c in series.campaigns]
    if len(rows) > MAX_CAMPAIGNS:
        rest = sum(n for _, n in rows[MAX_CAMPAIGNS - 1 :])
        rows = [*rows[: MAX_CAMPAIGNS - 1], (labels.other_campaigns, rest)]
    if not rows:
        ax.set_axis_off()
        ax.text(0.5, 0.5, labels.no_sign_ups, ha="center", va="center", fontproperties=font)
        return
    names = [name for name, _ in reversed(rows)]
    counts = [n for _, n in reversed(rows)]
    positions = list(range(len(rows)))
    ax.barh(positions, counts, color=_CAMPAIGN, height=0.6)
    ax.set_yticks(positions, names, fontproperties=font)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, max(counts) * 1.15)
    for position, count in zip(positions, counts, strict=True):
        ax.text(count, position, f" {count}", va="center", fontproperties=font)
