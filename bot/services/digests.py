"""Daily digests: one message of links a day, at the hour each digest reader chose, in their
time zone (else the publisher's TIMEZONE).

::

    await queue_digests(session, now, default_zone=settings.zone)   # the digest job, each minute
    next_digest(last_digest_at, 8, ZoneInfo("Asia/Kolkata"))         # when the next one is due

**When.** A reader's digest is due at the first ``digest_hour``:00 (their local time) *strictly
after* ``last_digest_at``, and ``last_digest_at`` becomes the moment it was queued. So each
local day has one digest however often the job runs, a job that was down catches up with one
digest (not one per day missed), and a reader who chooses an hour (``/digest`` sets
``last_digest_at`` to that moment when they leave instant delivery) gets the first digest today
if the hour is still to come, else tomorrow. A reader with an hour but no ``last_digest_at``
(set by hand) is due once their hour has come today, with the last day's articles. Choosing
another hour keeps ``last_digest_at``: an hour later that day brings a second digest, of what
came since the first.

**What.** The articles published (``articles.created_at``) after ``last_digest_at`` and at most
``now``, that the reader's digest subscriptions match (the edition, all of it or a section
the article is filed in: the condition of :mod:`bot.services.routing`), newest first, at most
:data:`MAX_ARTICLES` lines and in all at most :data:`MAX_LENGTH` characters; a last line says
how many more there were. A day without news sends nothing (the day still counts).

**Who.** Subscribers with ``digest_hour`` set and a digest subscription. A paused or
unreachable reader's day passes silently (``last_digest_at`` moves on), as their instant
articles are never queued either: after ``/resume`` nothing of the paused days comes.

**Once.** Each reader's ``last_digest_at`` moves by a conditional ``UPDATE … WHERE
last_digest_at IS NOT DISTINCT FROM <the value read>`` in the transaction that inserts the
digest's outbox row (``kind="digest"``, ``article_id`` NULL, the message in ``html``): a second
process, or a second call, finds the row changed and queues nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import ColumnElement, Exists

from bot.i18n import Translator, translator_for
from bot.services import subscriptions
from bot.services.readers import language_of
from bot.services.routing import reader_is_listening
from bot.storage.models import (
    Article,
    ArticleSection,
    ArticleStatus,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Subscriber,
    Subscription,
)

log = logging.getLogger(__name__)

#: Lines of articles in one digest, at most; the rest are counted in its last line.
MAX_ARTICLES = 20
#: The digest's length in characters, at most (Telegram takes 4096 in a message).
MAX_LENGTH = 4000
#: A title is cut to this many characters in a digest's line.
MAX_TITLE = 200


# -- texts ---------------------------------------------------------------------------------


def digest_heading(t: Translator, day: date) -> str:
    """The digest's first line: its day, written in the reader's language."""
    # TRANSLATORS: the heading of the daily digest; {date} is e.g. "2 December 2026".
    return t.gettext("<b>Your digest of {date}</b>", date=escape(_long_date(t, day)))


def digest_more(t: Translator, count: int) -> str:
    """The digest's last line when it could not list every article."""
    return t.ngettext(
        "… and {count} more article.",
        "… and {count} more articles.",
        count,
        count=count,
    )


def _long_date(t: Translator, day: date) -> str:
    try:
        return format_date(day, format="long", locale=t.language)
    except (ValueError, LookupError):  # a language Babel has no data for
        return day.isoformat()


def compose(t: Translator, day: date, articles: Sequence[tuple[str, str | None]], more: int) -> str:
    """The digest of ``day`` (Telegram HTML): a heading, one line per (title, link), each title
    linked to its article, and how many ``more`` there are; lines that would take it past
    :data:`MAX_LENGTH` are counted in the last line instead."""
    untitled = t.gettext("(untitled)")
    head = digest_heading(t, day) + "\n"
    lines: list[str] = []
    length = len(head)
    left = len(articles) + more
    for number, (title, link) in enumerate(articles, 1):
        shown = escape(_cut(title.strip() or untitled))
        if link:
            shown = f'<a href="{escape(link, quote=True)}">{shown}</a>'
        line = f"\n{number}. {shown}"
        tail = len("\n\n" + digest_more(t, left - 1)) if left > 1 else 0
        if length + len(line) + tail > MAX_LENGTH:
            break
        lines.append(line)
        length += len(line)
        left -= 1
    text = head + "".join(lines)
    if left:
        text += "\n\n" + digest_more(t, left)
    return text


def _cut(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


# -- when ----------------------------------------------------------------------------------


def zone_of(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The reader's time zone ``name``; ``default`` when none, or one this system does not know."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("reader time zone unknown timezone=%r; using the publisher's", name)
        return default


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour``:00 of ``day`` in ``zone``, in UTC (an hour a clock change skips is read as the
    hour before the change would have called it, so it still comes once)."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def next_digest(after: datetime, hour: int, zone: ZoneInfo) -> datetime:
    """The first ``hour``:00 in ``zone`` strictly after ``after`` (aware), in UTC."""
    day = after.astimezone(zone).date()
    for offset in range(3):  # today, tomorrow; a third day only around a clock change
        at = _at(day + timedelta(days=offset), hour, zone)
        if at > after:
            return at
    raise AssertionError("unreachable: a day later always has the hour")  # pragma: no cover


def due_since(last: datetime | None, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment a reader's next digest is counted from: ``last_digest_at``, else the start of
    ``now``'s local day (so a reader without one is due once their hour has come today)."""
    if last is not None:
        return last
    midnight = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    return midnight.astimezone(UTC) - timedelta(microseconds=1)


def is_due(last: datetime | None, hour: int, zone: ZoneInfo, now: datetime) -> bool:
    """Whether a reader's digest is due at ``now``: their hour has come since ``last``."""
    return now >= next_digest(due_since(last, now, zone), hour, zone)


# -- who and what --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueReader:
    """A digest reader whose hour has come, as read (``last_digest_at`` to compare and swap)."""

    chat_id: int
    last_digest_at: datetime | None
    zone: ZoneInfo
    listening: bool


def _digest_subscription(chat_id: ColumnElement[int] | InstrumentedAttribute[int]) -> Exists:
    return exists().where(
        Subscription.chat_id == chat_id, Subscription.mode == DeliveryMode.DIGEST.value
    )


async def due_readers(
    session: AsyncSession, now: datetime, *, default_zone: ZoneInfo
) -> list[DueReader]:
    """The readers whose digest is due at ``now`` (see the module docstring), by chat id;
    ``listening`` False for those paused or unreachable (their day passes without one)."""
    rows = await session.execute(
        select(
            Subscriber.chat_id,
            Subscriber.digest_hour,
            Subscriber.timezone,
            Subscriber.last_digest_at,
            reader_is_listening(now).label("listening"),
        )
        .where(
            Subscriber.digest_hour.is_not(None),
            Subscriber.subscribed.is_(True),
            _digest_subscription(Subscriber.chat_id),
        )
        .order_by(Subscriber.chat_id)
    )
    due = []
    for chat_id, hour, timezone, last, listening in rows:
        zone = zone_of(timezone, default_zone)
        if hour is not None and 0 <= hour <= 23 and is_due(last, hour, zone, now):
            due.append(DueReader(chat_id, last, zone, bool(listening)))
    return due


async def digest_articles(
    session: AsyncSession, chat_id: int, since: datetime, now: datetime
) -> tuple[list[tuple[str, str | None]], int]:
    """The (title, link) of the articles for ``chat_id``'s digest, newest first (at most
    :data:`MAX_ARTICLES`), and how many more match."""
    in_section = (
        exists()
        .where(
            ArticleSection.article_id == Article.id,
            ArticleSection.section_id == Subscription.section_id,
        )
        .correlate(Article, Subscription)
    )
    followed = (
        exists()
        .where(
            Subscription.chat_id == chat_id,
            Subscription.mode == DeliveryMode.DIGEST.value,
            Subscription.edition_id == Article.edition_id,
            or_(Subscription.section_id.is_(None), in_section),
        )
        .correlate(Article)
    )
    matching = (
        Article.status == ArticleStatus.PUBLISHED.value,
        Article.created_at > since,
        Article.created_at <= now,
        followed,
    )
    rows = await session.execute(
        select(Article.title, Article.link)
        .where(*matching)
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(MAX_ARTICLES)
    )
    found = [(title, link) for title, link in rows]
    more = 0
    if len(found) == MAX_ARTICLES:
        total = await session.scalar(select(func.count()).select_from(Article).where(*matching))
        more = int(total or 0) - len(found)
    return found, more


async def queue_digests(
    session: AsyncSession,
    now: datetime,
    *,
    default_zone: ZoneInfo,
    translate: Callable[[str], Translator] = translator_for,
) -> int:
    """Queue the digest of every reader whose hour has come (one outbox row each, in their
    language: ``translate`` of :func:`~bot.services.readers.language_of`), in the caller's
    transaction; how many were queued."""
    queued = 0
    for reader in await due_readers(session, now, default_zone=default_zone):
        claimed = await session.execute(
            update(Subscriber)
            .where(
                Subscriber.chat_id == reader.chat_id,
                Subscriber.last_digest_at.is_not_distinct_from(reader.last_digest_at),
            )
            .values(last_digest_at=now)
            .execution_options(synchronize_session=False)
        )
        if (claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
            continue  # another process (or call) took this day's digest meanwhile
        if not reader.listening:
            continue
        since = reader.last_digest_at or now - timedelta(days=1)
        found, more = await digest_articles(session, reader.chat_id, since, now)
        if not found:
            log.info("digest empty chat_id=%s", reader.chat_id)
            continue
        t = translate(await language_of(session, reader.chat_id))
        html = compose(t, now.astimezone(reader.zone).date(), found, more)
        session.add(
            Delivery(
                article_id=None,
                chat=str(reader.chat_id),
                kind="digest",
                html=html,
                status=DeliveryStatus.PENDING,
                attempts=0,
            )  # due at once, by the outbox's own clock (created_at, next_attempt_at: utcnow)
        )
        queued += 1
        log.info("digest queued chat_id=%s articles=%d more=%d", reader.chat_id, len(found), more)
    await session.flush()
    return queued


# -- the reader's choice -------------------------------------------------------------------


async def choose_hour(
    session: AsyncSession,
    row: Subscriber,
    hour: int,
    now: datetime,
    *,
    default_zone: ZoneInfo,
    timezone: str | None = None,
) -> datetime:
    """``row``'s reader gets a digest at ``hour`` (in ``timezone`` when given, which is kept)
    and every subscription of theirs goes into it; when their next digest is due (UTC).

    Leaving instant delivery starts the digest at ``now``: the first comes at the next
    ``hour``:00, today or tomorrow. Articles already queued for them instantly still go.
    """
    if not 0 <= hour <= 23:
        raise ValueError(f"digest hour {hour} is not 0-23")
    if timezone is not None:
        ZoneInfo(timezone)  # raises for a name that is no time zone
        row.timezone = timezone
    if row.digest_hour is None or row.last_digest_at is None:
        row.last_digest_at = now
    row.digest_hour = hour
    await subscriptions.set_mode(session, row.chat_id, DeliveryMode.DIGEST)
    await session.flush()
    log.info("reader digest chat_id=%s hour=%d timezone=%s", row.chat_id, hour, row.timezone or "-")
    return next_digest(row.last_digest_at, hour, zone_of(row.timezone, default_zone))


async def choose_instant(session: AsyncSession, row: Subscriber) -> bool:
    """``row``'s reader gets each article as it is published again; False if they did."""
    was = row.digest_hour is not None
    row.digest_hour = None
    changed = await subscriptions.set_mode(session, row.chat_id, DeliveryMode.INSTANT)
    await session.flush()
    if was or changed:
        log.info("reader instant chat_id=%s", row.chat_id)
    return was or changed > 0


__all__ = [
    "MAX_ARTICLES",
    "MAX_LENGTH",
    "DueReader",
    "choose_hour",
    "choose_instant",
    "compose",
    "digest_articles",
    "digest_heading",
    "digest_more",
    "due_readers",
    "is_due",
    "next_digest",
    "queue_digests",
    "zone_of",
]
