"""An editor's ``/stats [7d|30d]``: a chart of the period (readers day by day, deliveries per
day, sign-ups per campaign) with its key figures and most-reacted articles in the caption, in
the editor's language; the same numbers as ``newsbot stats --since``.

``/stats`` alone is the last 7 days; any ``<N>d`` or ``<N>h`` up to a year is taken
(:func:`bot.services.stats_series.parse_period`), anything else gets the usage line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import cast
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ExtBot

from bot.charts import ENGLISH, ChartLabels, can_draw_labels, render_chart
from bot.formatting.telegram_html import parse_telegram_html
from bot.handlers.access import require_editor
from bot.handlers.common import REPLY_RETRIES, reply, runtime, translator
from bot.i18n import Translator
from bot.services.stats_series import (
    Period,
    PeriodError,
    Series,
    TopPost,
    collect_series,
    parse_period,
)
from bot.storage.db import Database

log = logging.getLogger(__name__)

#: ``/stats`` alone.
DEFAULT_PERIOD = Period(days=7)
#: Telegram's limit on a photo's caption, in characters of its visible text.
CAPTION_LIMIT = 1024
#: A title in the caption is cut to this many characters.
TITLE_CHARS = 60
#: At most this many campaigns are named in the caption (the chart has them all).
CAPTION_CAMPAIGNS = 5


# -- texts ---------------------------------------------------------------------------------


def usage(t: Translator) -> str:
    """The answer to ``/stats`` with an argument it does not understand."""
    return t.gettext(
        "Usage: <code>/stats</code> (the last 7 days), <code>/stats 30d</code> or "
        "<code>/stats 24h</code>."
    )


def chart_labels(t: Translator) -> ChartLabels:
    """The chart's words in ``t``'s language."""
    return ChartLabels(
        # TRANSLATORS: the chart's title; {start} and {end} are dates (2026-11-26).
        title=t.gettext("newsbot {start} – {end}"),
        # TRANSLATORS: the chart's first panel: subscribed readers at the end of each day.
        readers=t.gettext("Readers (end of day)"),
        deliveries=t.gettext("Deliveries per day"),
        # TRANSLATORS: the chart's legend: deliveries sent (plural).
        sent=t.gettext("sent"),
        # TRANSLATORS: the chart's legend: deliveries that failed (plural).
        failed=t.gettext("failed"),
        campaigns=t.gettext("Sign-ups per campaign"),
        no_campaign=t.gettext("(no campaign)"),
        # TRANSLATORS: the chart's bar of all the campaigns too small to get their own.
        other_campaigns=t.gettext("(others)"),
        no_sign_ups=t.gettext("no sign-ups in this period"),
    )


def _period_name(t: Translator, series: Series) -> str:
    days = len(series.days)
    if series.period.endswith("h"):
        hours = int(series.period[:-1])
        return t.ngettext("Last {count} hour", "Last {count} hours", hours, count=hours)
    return t.ngettext("Last {count} day", "Last {count} days", days, count=days)


def _title(post: TopPost) -> str:
    title = " ".join(post.title.split())
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    title = escape(title)
    if post.link and post.link.lower().startswith(("http://", "https://")):
        return f'<a href="{escape(post.link, quote=True)}">{title}</a>'
    return title


def _post_line(t: Translator, rank: int, post: TopPost) -> str:
    emoji = [f"{key} {n}" for key, n in post.counts.items() if ":" not in key and key != "paid"]
    # TRANSLATORS: one of the most-reacted articles: "1. Title — 42 reactions (👍 30, 🔥 12)".
    line = t.ngettext(
        "{rank}. {title} — {count} reaction",
        "{rank}. {title} — {count} reactions",
        post.reactions,
        rank=rank,
        title=_title(post),
        count=post.reactions,
    )
    return f"{line} ({', '.join(emoji[:3])})" if emoji else line


def caption(t: Translator, series: Series) -> str:
    """The photo's caption: the period, readers and their change, sign-ups (by campaign),
    deliveries sent and failed, the most-reacted articles; Telegram HTML, at most
    :data:`CAPTION_LIMIT` characters shown (articles, then campaigns, left out to fit)."""
    first = series.days[0].day.isoformat() if series.days else ""
    last = series.days[-1].day.isoformat() if series.days else ""
    change = series.readers - series.readers_before
    head = [
        f"<b>{escape(_period_name(t, series))}</b> · {first} – {last}",
        t.gettext(
            "Readers: <b>{count}</b> ({change} in the period)",
            count=series.readers,
            change=f"{change:+d}",
        ),
    ]
    campaigns = [
        f"{escape(c.campaign or t.gettext('(no campaign)'))} {c.sign_ups}" for c in series.campaigns
    ]
    deliveries = t.gettext(
        "Deliveries: {sent} sent, {failed} failed", sent=series.sent, failed=series.failed
    )
    posts = [_post_line(t, rank, post) for rank, post in enumerate(series.top_posts, 1)]
    shown_campaigns = min(len(campaigns), CAPTION_CAMPAIGNS)
    while True:
        sign_ups = t.gettext("Sign-ups: <b>{count}</b>", count=series.sign_ups)
        if shown_campaigns:
            more = len(campaigns) - shown_campaigns
            named = ", ".join(campaigns[:shown_campaigns]) + (f", +{more}" if more else "")
            sign_ups += f" — {named}"
        lines = [*head, sign_ups, deliveries]
        if posts:
            lines += ["", t.gettext("Most reactions:"), *posts]
        text = "\n".join(lines)
        if len(parse_telegram_html(text).text) <= CAPTION_LIMIT:
            return text
        if posts:
            posts.pop()
        elif shown_campaigns:
            shown_campaigns -= 1
        else:
            return text  # the head alone is far below the limit


# -- the command ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatsPicture:
    """What ``/stats`` sends: the chart, its caption, and the numbers both were made of."""

    png: bytes
    caption: str
    series: Series


async def stats_picture(
    db: Database,
    period: Period,
    zone: ZoneInfo,
    t: Translator,
    *,
    now: datetime | None = None,
) -> StatsPicture:
    """The chart and caption of ``period`` in ``t``'s language (the chart is drawn in a worker
    thread)."""
    async with db.session() as session:
        series = await collect_series(session, period, zone, now=now)
    png = await asyncio.to_thread(_draw, series, chart_labels(t))
    return StatsPicture(png, caption(t, series), series)


def _draw(series: Series, labels: ChartLabels) -> bytes:
    """The chart, in ``labels``' language if some font has its script (in a worker thread:
    reading the fonts the first time, and drawing, take a while)."""
    if not can_draw_labels(labels):
        # No font for the language's script (see bot.charts): the chart speaks English and the
        # caption, which Telegram's own fonts show, carries the language.
        labels = ENGLISH
    return render_chart(series, labels)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send an editor the chart of the last 7 days (or of ``/stats 30d``); others are refused."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    t = await translator(update, context)
    newsbot = runtime(context)
    args = context.args or []
    try:
        if len(args) > 1:
            raise PeriodError(" ".join(args))
        period = parse_period(args[0]) if args else DEFAULT_PERIOD
    except PeriodError:
        await reply(context, message, usage(t))
        return
    picture = await stats_picture(newsbot.db, period, newsbot.settings.zone, t)
    bot = cast("ExtBot[int]", context.bot)  # built with AIORateLimiter, whose args are an int
    await bot.send_photo(
        message.chat_id,
        picture.png,
        caption=picture.caption,
        parse_mode=ParseMode.HTML,
        rate_limit_args=REPLY_RETRIES,
    )
    log.info(
        "stats sent chat_id=%s period=%s bytes=%s", message.chat_id, period.label, len(picture.png)
    )
