"""``newsbot stats [--json|--csv] [--since 7d]``: the totals of :func:`bot.services.stats.collect`
and the period's numbers day by day (:func:`bot.services.stats_series.collect_series`), the
figures an editor's ``/stats`` chart shows.

Building the output (:func:`stats_output`, :func:`format_csv`) is apart from printing it, so
tests read what an operator does.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from dataclasses import asdict
from typing import Any

from bot.cli_args import checked
from bot.config import Settings
from bot.services.stats import collect, format_period, format_stats
from bot.services.stats_series import Period, PeriodError, Series, collect_series, parse_period
from bot.storage.db import Database

__all__ = [
    "CSV_HELP",
    "add_stats_parser",
    "format_csv",
    "parse_since",
    "series_dict",
    "stats_output",
]

#: What ``--csv`` writes, as ``newsbot stats --help`` and the README say it.
CSV_HELP = (
    "CSV on stdout, three tables one after the other, each with its header row and a blank line"
    " between them: days (date, readers, sign_ups, sent, failed: one row per day in TIMEZONE,"
    " readers subscribed at the end of the day), campaigns (campaign, sign_ups: the period's"
    " sign-ups, '(no campaign)' for readers who came without one), reactions (article_id,"
    " title, reactions: the period's most-reacted articles)"
)


def parse_since(text: str) -> Period:
    """``--since`` as a period; ValueError with the line to print."""
    try:
        return parse_period(text)
    except PeriodError as exc:
        raise ValueError(f"--since: {exc}") from None


def add_stats_parser(sub: Any) -> None:
    """Add ``stats`` to the ``newsbot`` subcommands ``sub``."""
    parser = sub.add_parser(
        "stats",
        help="readers, sign-ups per campaign, deliveries, reactions, feeds",
        description="The totals, then the period's numbers day by day in TIMEZONE: the figures"
        " of an editor's /stats chart.",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help="JSON: the totals, and the period under 'period'"
    )
    output.add_argument("--csv", action="store_true", help=CSV_HELP)
    parser.add_argument(
        "--since",
        type=checked(parse_since),
        default="7d",
        metavar="PERIOD",
        help="the period: 7d (the last 7 days, today included; the default), 30d, 24h…",
    )


def series_dict(series: Series) -> dict[str, Any]:
    """``series`` as JSON-ready values, with its totals."""
    return asdict(series) | {
        "readers": series.readers,
        "sign_ups": series.sign_ups,
        "sent": series.sent,
        "failed": series.failed,
    }


def format_csv(series: Series) -> str:
    """``series`` as CSV (see :data:`CSV_HELP`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "readers", "sign_ups", "sent", "failed"])
    for day in series.days:
        writer.writerow([day.day.isoformat(), day.readers, day.sign_ups, day.sent, day.failed])
    writer.writerow([])
    writer.writerow(["campaign", "sign_ups"])
    for campaign in series.campaigns:
        writer.writerow([campaign.campaign or "(no campaign)", campaign.sign_ups])
    writer.writerow([])
    writer.writerow(["article_id", "title", "reactions"])
    for post in series.top_posts:
        writer.writerow([post.article_id, post.title, post.reactions])
    return out.getvalue()


async def stats_output(
    settings: Settings, args: argparse.Namespace, db: Database, period: Period
) -> str:
    """What ``newsbot stats`` prints for ``args`` (``--json``, ``--csv`` or text)."""
    async with db.session() as session:
        series = await collect_series(session, period, settings.zone)
        if args.csv:
            return format_csv(series)
        totals = await collect(session)
    if args.json:
        numbers = asdict(totals) | {"period": series_dict(series)}
        return json.dumps(numbers, default=str, ensure_ascii=False, indent=2) + "\n"
    return format_stats(totals) + "\n\n" + format_period(series, zone=settings.timezone) + "\n"
