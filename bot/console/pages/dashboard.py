"""The console's Dashboard page (/): readers, sign-ups and deliveries over the last 7, 30 or
90 days (``/?period=90d``), in figures, per edition, and in charts drawn on the server
(:mod:`bot.console.svg_charts`).

The numbers are :mod:`bot.services.stats_series`' (those of ``/stats`` and ``newsbot stats
--since``), days in the publisher's TIMEZONE; every count is a range of an index, so the page
answers as fast with 100,000 readers as with ten (``benchmarks/console.py`` measures it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console import svg_charts
from bot.console.svg_charts import ChartText, Series
from bot.console.web import editor_page, render, state, translator_of
from bot.i18n import Translator
from bot.services.console_auth import ConsoleUser
from bot.services.editions import EditionInfo
from bot.services.stats import FeedCounts, feed_counts
from bot.services.stats_series import (
    EditionDays,
    Period,
    collect_editions,
    collect_series,
)
from bot.services.stats_series import (
    Series as DaySeries,
)
from bot.storage.db import Database
from bot.storage.models import utcnow

#: The periods the page offers, as ``?period=`` names them; the first is the default.
PERIODS = {"30d": Period(days=30), "7d": Period(days=7), "90d": Period(days=90)}
DEFAULT_PERIOD = "30d"
#: How long a period's figures are kept before the database is read again (the page says
#: so): with 100,000 readers a read takes longer than a page may.
FIGURES_SECONDS = 30.0
#: Campaigns drawn in the chart of sign-ups per campaign (the table under it has them all).
CHART_CAMPAIGNS = 10


@dataclass(frozen=True, slots=True)
class EditionRow:
    """One line of the table of editions."""

    code: str
    channel: str | None
    readers: int
    change: int
    followed: int


def day_labeller(t: Translator) -> Callable[[date], str]:
    """``12 Nov``, the month named in ``t``'s language (CLDR's, through Babel)."""
    return lambda day: format_date(day, "d MMM", locale=t.language)


def edition_name(edition: EditionInfo) -> str:
    """An edition as the dashboard names it: its code, and its channel."""
    return f"{edition.code} ({edition.channel})" if edition.channel else edition.code


def readers_chart(
    t: Translator, series: DaySeries, editions: list[tuple[EditionInfo, EditionDays]]
) -> Markup:
    days = [d.day for d in series.days]
    lines = [Series(t.gettext("All readers"), [d.readers for d in series.days], "#1d2430")]
    lines += [
        Series(edition_name(info), figures.readers, svg_charts.PALETTE[n])
        for n, (info, figures) in enumerate(editions)
    ]
    return svg_charts.line_chart(
        ChartText(
            "chart-readers",
            t.gettext("Readers at the end of each day"),
            t.gettext("Day"),
            t.gettext("Readers"),
            summary=t.ngettext(
                "{count} reader now; {change} over the period",
                "{count} readers now; {change} over the period",
                series.readers,
                count=f"{series.readers:,}",
                change=f"{series.readers - series.readers_before:+,}",
            ),
            table_label=t.gettext("Show the numbers"),
            empty=t.gettext("Nothing in this period"),
        ),
        days,
        lines,
        day_label=day_labeller(t),
    )


def sign_ups_chart(t: Translator, series: DaySeries) -> Markup:
    return svg_charts.bar_chart(
        ChartText(
            "chart-sign-ups",
            t.gettext("Sign-ups per day"),
            t.gettext("Day"),
            t.gettext("Sign-ups"),
            summary=t.ngettext(
                "{count} sign-up in the period",
                "{count} sign-ups in the period",
                series.sign_ups,
                count=f"{series.sign_ups:,}",
            ),
            table_label=t.gettext("Show the numbers"),
            empty=t.gettext("No sign-ups in this period"),
        ),
        [d.day for d in series.days],
        [Series(t.gettext("Sign-ups"), [d.sign_ups for d in series.days], svg_charts.PALETTE[2])],
        day_label=day_labeller(t),
    )


def deliveries_chart(t: Translator, series: DaySeries) -> Markup:
    return svg_charts.bar_chart(
        ChartText(
            "chart-deliveries",
            t.gettext("Deliveries per day"),
            t.gettext("Day"),
            t.gettext("Messages"),
            summary=t.gettext(
                "{sent} sent and {failed} failed in the period",
                sent=f"{series.sent:,}",
                failed=f"{series.failed:,}",
            ),
            table_label=t.gettext("Show the numbers"),
            empty=t.gettext("Nothing was delivered in this period"),
        ),
        [d.day for d in series.days],
        [
            # TRANSLATORS: the chart's legend: deliveries sent (plural).
            Series(t.gettext("sent"), [d.sent for d in series.days], svg_charts.PALETTE[0]),
            # TRANSLATORS: the chart's legend: deliveries that failed (plural).
            Series(t.gettext("failed"), [d.failed for d in series.days], svg_charts.FAILED),
        ],
        day_label=day_labeller(t),
    )


def campaigns_chart(t: Translator, series: DaySeries) -> Markup:
    items = [(c.campaign or t.gettext("(no campaign)"), c.sign_ups) for c in series.campaigns]
    return svg_charts.ranking_chart(
        ChartText(
            "chart-campaigns",
            t.gettext("Sign-ups per campaign"),
            t.gettext("Sign-ups"),
            t.gettext("Campaign"),
            summary=t.ngettext(
                "{count} campaign brought readers in the period",
                "{count} campaigns brought readers in the period",
                len(items),
                count=len(items),
            ),
            table_label=t.gettext("Show the numbers"),
            empty=t.gettext("No sign-ups in this period"),
        ),
        items,
        limit=CHART_CAMPAIGNS,
    )


def chosen_period(request: Request) -> tuple[str, bool]:
    """The period the address asks for (``?period=``), and whether it was one the page
    offers (else the default is shown, and the page says so)."""
    asked = request.query_params.get("period")
    if asked is None or asked == "":
        return DEFAULT_PERIOD, True
    return (asked, True) if asked in PERIODS else (DEFAULT_PERIOD, False)


async def _numbers(
    db: Database, period: Period, zone: ZoneInfo, editions: list[EditionInfo]
) -> tuple[DaySeries, list[EditionDays], FeedCounts]:
    """The period's numbers, each part in a session (a connection) of its own, side by side:
    the database works on them at once."""
    now = utcnow()

    async def series() -> DaySeries:
        async with db.session() as session:
            return await collect_series(session, period, zone, now=now, top=0)

    async def per_edition() -> list[EditionDays]:
        async with db.session() as session:
            return await collect_editions(session, period, zone, [e.id for e in editions], now=now)

    async def feeds() -> FeedCounts:
        async with db.session() as session:
            return await feed_counts(session)

    return await asyncio.gather(series(), per_edition(), feeds())


@editor_page
async def dashboard_page(request: Request, user: ConsoleUser) -> Response:
    console = state(request)
    label, understood = chosen_period(request)
    period = PERIODS[label]
    editions = list(console.core.editions.all)
    series, per_edition, feeds = await console.recent(
        ("dashboard", label),
        FIGURES_SECONDS,
        lambda: _numbers(console.core.db, period, console.zone, editions),
    )
    t = await translator_of(request, user)
    pairs = list(zip(editions, per_edition, strict=True))
    rows = [
        EditionRow(info.code, info.channel, days.now, days.now - days.readers_before, days.followed)
        for info, days in pairs
    ]
    days = series.days
    return await render(
        request,
        user,
        "dashboard.html",
        period=label,
        periods=list(PERIODS),
        understood=understood,
        series=series,
        first_day=days[0].day if days else None,
        last_day=days[-1].day if days else None,
        editions=rows,
        feeds=feeds,
        charts=[
            readers_chart(t, series, pairs),
            sign_ups_chart(t, series),
            deliveries_chart(t, series),
            campaigns_chart(t, series),
        ],
    )


ROUTES = [Route("/", dashboard_page, methods=["GET"])]
