"""``newsbot push URL [--edition CODE] [--at HH:MM]``: an editor's push from the shell.

::

    at = next_time("07:30", settings.zone, utcnow())     # today, or tomorrow once it passed
    await push_now(bot, db, settings, url, edition=None)  # publish, drain, print the summary
    await push_later(db, settings, url, edition=None, at=at)  # a scheduled send; `run` sends it

Without ``--at`` the article is published at once and its deliveries drained here, with a
progress bar on stderr when stderr is a terminal; the one line on stdout is the summary an
editor reads in Telegram (:mod:`bot.handlers.progress_texts`). With ``--at`` it is stored as a
send scheduled for that time of the publisher's TIMEZONE, which a running ``newsbot run``
publishes then.
"""

from __future__ import annotations

import asyncio
import re
import sys
from contextlib import nullcontext
from datetime import UTC, datetime, time, timedelta
from html import unescape
from typing import IO, Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.workers import ParserPool
from bot.handlers import progress_texts
from bot.i18n import DEFAULT_LANGUAGE, translator_for
from bot.services import sends
from bot.services.push import Drafted, draft_push
from bot.storage.db import Database
from bot.storage.models import utcnow
from jobs.deliver import Outbox

#: Seconds between two looks at the deliveries while the bar is shown.
BAR_REFRESH = 0.25

_HH_MM = re.compile(r"(\d{1,2}):(\d{2})")


class TimeOfDayError(ValueError):
    """``--at`` is not a time of day."""


def next_time(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The next ``HH:MM`` (24-hour) in ``zone`` after ``now``: today's, or tomorrow's once
    today's has passed; in UTC. Raises :class:`TimeOfDayError` for anything else."""
    match = _HH_MM.fullmatch(text.strip())
    hour, minute = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise TimeOfDayError(f"{text!r} is not a time of day; use HH:MM, e.g. 07:30 or 18:05")
    today = now.astimezone(zone).date()
    for day in (today, today + timedelta(days=1)):
        at = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        if at > now:
            return at
    raise AssertionError("a time of day comes within a day")  # pragma: no cover


def when(at: datetime, zone: ZoneInfo) -> str:
    """``at`` as the publisher reads it: ``2026-12-03 07:30 Asia/Kolkata (02:00 UTC)``."""
    return f"{at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key} ({at.astimezone(UTC):%H:%M} UTC)"


def plain(lines: list[str]) -> str:
    """Telegram HTML lines (texts without tags) as one line of plain text."""
    return unescape(" ".join(lines))


def progress_bar(stream: IO[str]) -> Progress | None:
    """A progress bar drawn on ``stream``, or ``None`` when it is not a terminal."""
    if not stream.isatty():
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    )


async def _draft(db: Database, settings: Settings, url: str, edition: str | None) -> Drafted:
    async with (
        Fetcher(
            allow_private_networks=settings.allow_private_networks,
            timeout=settings.fetch_timeout,
        ) as fetcher,
        ParserPool(workers=1) as parser,
    ):
        return await draft_push(
            db,
            fetcher,
            url,
            edition=edition,
            parser=parser,
            options=settings.post_options(),
            requested_by=None,
        )


async def push_later(
    db: Database, settings: Settings, url: str, *, edition: str | None, at: datetime
) -> int:
    """Store the page at ``url`` as a send scheduled for ``at``; say when it goes out."""
    drafted = await _draft(db, settings, url, edition)
    async with db.writing() as session:
        await sends.schedule(session, drafted.send_id, at, by=sends.Decider(None))
    print(
        f"Scheduled {drafted.article.title!r} (article {drafted.article.id}) for "
        f"{when(at, settings.zone)}: a running `newsbot run` publishes it then."
    )
    return 0


async def push_now(
    bot: Any, db: Database, settings: Settings, url: str, *, edition: str | None
) -> int:
    """Publish the page at ``url`` now, send its deliveries (a bar on a terminal's stderr)
    and print the summary; the send is finished once every delivery settled."""
    drafted = await _draft(db, settings, url, edition)
    async with db.writing() as session:
        queued = await sends.publish(
            session,
            drafted.send_id,
            by=sends.Decider(None),
            quiet=settings.quiet,
            zone=settings.zone,
        )
    # Only this article's deliveries: a running `newsbot run` sends the rest.
    # One article: at most one picture to download, through a Fetcher of its own.
    outbox = Outbox(
        db,
        concurrency=settings.outbox_concurrency,
        allow_private_networks=settings.allow_private_networks,
        paid=settings.paid_broadcast,
    )
    drain = asyncio.create_task(outbox.drain(bot, article_id=drafted.article.id))
    bar = progress_bar(sys.stderr)
    with bar if bar is not None else nullcontext() as shown:
        await _follow(db, drafted.send_id, drain, shown, total=queued)
    report = await drain
    async with db.session() as session:
        tally = await sends.tally(session, drafted.send_id)
    if tally.done:
        async with db.writing() as session:
            await sends.finish(session, drafted.send_id, utcnow())
    t = translator_for(DEFAULT_LANGUAGE)
    lines = (
        progress_texts.summary_lines(t, tally)
        if tally.done
        else [
            *progress_texts.delivering_lines(t, tally),
            "(a running `newsbot run` sends the rest)",
        ]
    )
    print(f"Pushed {drafted.article.title!r} (article {drafted.article.id}): {plain(lines)}")
    return 1 if queued and not report.sent else 0


async def _follow(
    db: Database,
    send_id: int,
    drain: asyncio.Task[Any],
    bar: Progress | None,
    *,
    total: int,
) -> None:
    """Move ``bar`` as the send's deliveries settle, until ``drain`` is done."""
    if bar is None:
        await asyncio.wait({drain})
        return
    task = bar.add_task("Delivering", total=total)
    while True:
        async with db.session() as session:
            tally = await sends.tally(session, send_id)
        channel = tally.channel
        bar.update(
            task,
            completed=tally.readers.settled + (1 if channel and not channel.waiting else 0),
            total=tally.readers.total + (1 if channel else 0),
        )
        if drain.done():
            return
        await asyncio.wait({drain}, timeout=BAR_REFRESH)
