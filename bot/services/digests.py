"""Daily digests: one message of links a day, at the hour each digest reader chose, in their
time zone (else the publisher's TIMEZONE).

::

    await queue_digests(db, now, default_zone=settings.zone, default_language="en")  # each minute
    next_digest(last_digest_at, 8, ZoneInfo("Asia/Kolkata"))  # when the next one is due

**What.** Routing (:func:`bot.services.routing.enqueue_many`) already chose a digest reader's
articles (their edition, sections and mutes; nothing while paused or unreachable): each is an
outbox row of theirs in status ``held``, which the outbox never sends. A digest is the
reader's held rows, newest first (``articles.created_at``), at most :data:`MAX_ARTICLES` lines
and in all at most :data:`MAX_LENGTH` characters; a last line says how many more there were.
It is queued as one outbox row (``kind="digest"``, ``article_id`` NULL, the message in
``html``) in the transaction that marks those held rows ``digested`` (``sent_at``: the
digest's moment): each article goes out
once, in one digest, however late the transaction that published it committed, and a reader
who resubscribes gets nothing of what came before (``/unsubscribe`` and ``/pause`` cancel the
held rows).

**When.** A reader's digest is due at the first ``digest_hour``:00 (their local time) *strictly
after* ``last_digest_at``, and ``last_digest_at`` becomes the moment it was queued. So each
local day has one digest however often the job runs, a job that was down catches up with one
digest (not one per day missed), and a reader who chooses an hour (``/digest`` sets
``last_digest_at`` to that moment when they leave instant delivery) gets the first digest today
if the hour is still to come, else tomorrow. A reader with an hour but no ``last_digest_at``
(set by hand) is due once their hour has come today. Choosing another hour keeps
``last_digest_at`` and the held rows: an hour later that day brings a second digest, of what
was held since the first.

A day without news sends nothing, and the day still counts: the next digest comes at the next
hour, not when the next article is held. The job reads only readers with held rows (so it
never loads every digest reader each minute), so such a day is passed when the reader is next
read: a reader whose hour came while every row now held for them was routed after it (their
``deliveries.created_at``, see :func:`hour_passed`) gets ``last_digest_at`` moved to that hour,
and nothing sent. A row routed before the hour whose transaction committed after the job
looked goes in the next minute's digest.

**Who.** Subscribers with ``digest_hour`` set and held rows. A paused or unreachable reader
gets no digest: routing holds nothing for them, and ``/pause``, ``/unsubscribe`` and an
unreachable chat cancel what was held; one found paused at their hour with rows still held has
that day pass and those rows cancelled. So after ``/resume`` nothing of the paused days comes.
Leaving the digest (:func:`choose_instant`) queues at once a digest of what is held.

**Once.** Each reader's ``last_digest_at`` moves by a conditional ``UPDATE … WHERE
last_digest_at IS NOT DISTINCT FROM <the value read>`` in the transaction that inserts the
digest's outbox row: a second process, or a second call, finds the row changed and queues
nothing. Due readers are written :data:`BATCH` to a transaction (``Database.writing``), so the
job never holds SQLite's write lock for long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from uuid import uuid4
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import String, cast, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.expression import ColumnElement

from bot.config import find_zone
from bot.i18n import Translator, translator_for
from bot.services import subscriptions
from bot.services.readers import language_of
from bot.services.routing import reader_is_listening
from bot.storage.db import Database
from bot.storage.models import (
    Article,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Subscriber,
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


def held_heading(t: Translator) -> str:
    """The heading of what was held, sent when the reader goes back to instant delivery."""
    return t.gettext("<b>Kept for you while you were on the digest</b>")


def bundle_heading(t: Translator, count: int) -> str:
    """The heading of one message listing the articles that were waiting for a reader at once
    (``BUNDLE_AFTER``)."""
    return t.ngettext(
        "<b>{count} new article for you</b>",
        "<b>{count} new articles for you</b>",
        count,
        count=count,
    )


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


def compose(
    t: Translator,
    day: date,
    articles: Sequence[tuple[str, str | None]],
    more: int,
    *,
    heading: str | None = None,
) -> str:
    """The digest of ``day`` (Telegram HTML): a heading (``heading``, else the day's), one line
    per (title, link), each title linked to its article, and how many ``more`` there are;
    lines that would take it past :data:`MAX_LENGTH` are counted in the last line instead."""
    untitled = t.gettext("(untitled)")
    head = (heading or digest_heading(t, day)) + "\n"
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
    zone = find_zone(name)
    if zone is None:
        log.warning("reader time zone unknown timezone=%r; using the publisher's", name)
        return default
    return zone


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

#: Due readers written in one transaction, at most.
BATCH = 100
#: Readers with held rows read in one query, at most.
PAGE = 500


def hour_passed(last: datetime | None, hour: int, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The latest ``hour``:00 in ``zone`` at or before ``now`` when a digest is due then (its
    hour came since ``last``, see :func:`is_due`), in UTC; ``None`` when none is due."""
    first = next_digest(due_since(last, now, zone), hour, zone)
    if now < first:
        return None
    day = now.astimezone(zone).date()
    for offset in range(3):  # today, yesterday; a third day only around a clock change
        at = _at(day - timedelta(days=offset), hour, zone)
        if at <= now:
            return max(at, first)
    return first  # pragma: no cover - a day earlier always has the hour


@dataclass(frozen=True, slots=True)
class DueReader:
    """A digest reader whose hour has come, as read (``last_digest_at`` to compare and swap).

    ``send`` False: every row held for them came after the hour (``hour``), so that day passes
    without a digest and ``last_digest_at`` moves to ``hour``; ``listening`` False: paused or
    unreachable, the day passes and what is held is cancelled."""

    chat_id: int
    last_digest_at: datetime | None
    zone: ZoneInfo
    listening: bool
    hour: datetime
    send: bool = True


def _held(chat_id: int | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The SQL condition "this outbox row is held for ``chat_id``" (by the index
    ``ix_deliveries_chat_status``)."""
    chat = str(chat_id) if isinstance(chat_id, int) else cast(chat_id, String(64))
    return (Delivery.chat == chat) & (Delivery.status == DeliveryStatus.HELD.value)


async def due_readers(
    session: AsyncSession,
    now: datetime,
    *,
    default_zone: ZoneInfo,
    after: int | None = None,
    limit: int = PAGE,
) -> tuple[list[DueReader], int | None]:
    """One page of the readers whose digest is due at ``now`` (see the module docstring): of the
    first ``limit`` readers with held rows and a chat id above ``after``, those due, by chat id;
    and the chat id to read the next page after (``None``: this was the last page)."""
    oldest = (
        select(func.min(Delivery.created_at))
        .where(_held(Subscriber.chat_id))
        .correlate(Subscriber)
        .scalar_subquery()
    )
    query = (
        select(
            Subscriber.chat_id,
            Subscriber.digest_hour,
            Subscriber.timezone,
            Subscriber.last_digest_at,
            reader_is_listening(now).label("listening"),
            oldest.label("oldest"),
        )
        .where(
            Subscriber.digest_hour.is_not(None),
            Subscriber.subscribed.is_(True),
            exists().where(_held(Subscriber.chat_id)).correlate(Subscriber),
        )
        .order_by(Subscriber.chat_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Subscriber.chat_id > after)
    rows = list(await session.execute(query))
    due = []
    for chat_id, hour, timezone, last, listening, held_since in rows:
        zone = zone_of(timezone, default_zone)
        if hour is None or not 0 <= hour <= 23:
            continue
        at = hour_passed(last, hour, zone, now)
        if at is None:
            continue
        send = held_since is None or held_since <= at  # else all of it came after the hour
        due.append(DueReader(chat_id, last, zone, bool(listening), at, send))
    return due, (rows[-1][0] if len(rows) == limit else None)


async def bundle_waiting(
    session: AsyncSession,
    chat_id: int,
    now: datetime,
    *,
    at_least: int,
    default_language: str | None = None,
) -> int:
    """When at least ``at_least`` articles wait for ``chat_id`` at once (due now), put them in
    one message listing them (a row of kind ``digest``) and mark them ``digested``, in the
    caller's transaction; how many it lists (0: fewer were waiting, nothing changed)."""
    waiting = (
        (Delivery.chat == str(chat_id))
        & (Delivery.kind == "reader")
        & (Delivery.status == DeliveryStatus.PENDING)
        & (Delivery.next_attempt_at <= now)
    )
    count = await session.scalar(select(func.count()).select_from(Delivery).where(waiting))
    if not count or count < at_least:
        return 0
    token = f"bundle-{uuid4().hex[:24]}"
    marked = await session.execute(
        update(Delivery)
        .where(waiting)
        .values(status=DeliveryStatus.DIGESTED.value, claim=token, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    total = max(marked.rowcount or 0, 0)  # type: ignore[attr-defined]
    if total < at_least:
        # Another process took some of them meanwhile (PostgreSQL): put these back.
        await session.execute(
            update(Delivery)
            .where(Delivery.claim == token)
            .values(status=DeliveryStatus.PENDING.value, claim=None, sent_at=None)
            .execution_options(synchronize_session=False)
        )
        return 0
    rows = await session.execute(
        select(Article.title, Article.link)
        .join(Delivery, Delivery.article_id == Article.id)
        .where(Delivery.claim == token)
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(MAX_ARTICLES)
    )
    found = [(title, link) for title, link in rows]
    t = translator_for(await language_of(session, chat_id, default=default_language))
    session.add(
        Delivery(
            article_id=None,
            chat=str(chat_id),
            kind="digest",
            html=compose(
                t, now.date(), found, total - len(found), heading=bundle_heading(t, total)
            ),
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
        )
    )
    await session.flush()
    log.info("articles bundled chat_id=%s articles=%d", chat_id, total)
    return total


async def digest_held(
    session: AsyncSession,
    chat_id: int,
    now: datetime,
    zone: ZoneInfo,
    *,
    default_language: str | None = None,
    translate: Callable[[str], Translator] = translator_for,
    leaving: bool = False,
) -> int:
    """Queue the digest of what is held for ``chat_id`` (as of ``now``, dated in ``zone``, in
    their language: ``translate`` of :func:`~bot.services.readers.language_of`; ``leaving``:
    the reader goes back to instant delivery, and the heading says what this is) and mark
    those rows ``digested``, in the caller's transaction; how many articles it holds (0: none
    was held, nothing queued)."""
    token = f"digest-{uuid4().hex[:24]}"
    marked = await session.execute(
        update(Delivery)
        .where(_held(chat_id))
        .values(status=DeliveryStatus.DIGESTED.value, claim=token, sent_at=now)
        .execution_options(synchronize_session=False)
    )
    total = max(marked.rowcount or 0, 0)  # type: ignore[attr-defined]
    if not total:
        return 0
    rows = await session.execute(
        select(Article.title, Article.link)
        .join(Delivery, Delivery.article_id == Article.id)
        .where(Delivery.claim == token)
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(MAX_ARTICLES)
    )
    found = [(title, link) for title, link in rows]
    more = total - len(found)
    t = translate(await language_of(session, chat_id, default=default_language))
    session.add(
        Delivery(
            article_id=None,
            chat=str(chat_id),
            kind="digest",
            html=compose(
                t,
                now.astimezone(zone).date(),
                found,
                more,
                heading=held_heading(t) if leaving else None,
            ),
            status=DeliveryStatus.PENDING,
            attempts=0,
        )  # due at once, by the outbox's own clock (created_at, next_attempt_at: utcnow)
    )
    await session.flush()
    log.info("digest queued chat_id=%s articles=%d more=%d", chat_id, len(found), more)
    return total


async def _cancel_held(session: AsyncSession, chat_id: int) -> None:
    await session.execute(
        update(Delivery)
        .where(_held(chat_id))
        .values(status=DeliveryStatus.CANCELLED.value, error="reader paused before it was sent")
        .execution_options(synchronize_session=False)
    )


async def queue_due(
    session: AsyncSession,
    readers: Sequence[DueReader],
    now: datetime,
    *,
    default_language: str | None = None,
    translate: Callable[[str], Translator] = translator_for,
) -> int:
    """Queue the digests of ``readers`` (as :func:`due_readers` read them), each claimed by its
    compare and swap on ``last_digest_at``, in the caller's transaction; how many were queued."""
    queued = 0
    for reader in readers:
        claimed = await session.execute(
            update(Subscriber)
            .where(
                Subscriber.chat_id == reader.chat_id,
                Subscriber.last_digest_at.is_not_distinct_from(reader.last_digest_at),
            )
            .values(last_digest_at=now if reader.send else reader.hour)
            .execution_options(synchronize_session=False)
        )
        if (claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
            continue  # another process (or call) took this day's digest meanwhile
        if not reader.listening:
            await _cancel_held(session, reader.chat_id)
            continue
        if not reader.send:
            log.info("digest day passed chat_id=%s", reader.chat_id)
            continue
        if await digest_held(
            session,
            reader.chat_id,
            now,
            reader.zone,
            default_language=default_language,
            translate=translate,
        ):
            queued += 1
        else:
            log.info("digest empty chat_id=%s", reader.chat_id)
    await session.flush()
    return queued


async def sweep_held(session: AsyncSession) -> dict[str, int]:
    """Settle held rows no digest will collect, left by a reader's change that committed while
    a poll was routing (PostgreSQL): a reader forgotten meanwhile loses their rows (nothing
    keeps their chat id), one who left has them cancelled, and one who went back to instant
    delivery gets them as ordinary posts, now. How many of each."""
    chat_of = cast(Subscriber.chat_id, String(64))
    held = Delivery.status == DeliveryStatus.HELD.value
    reader = select(Subscriber.chat_id).where(chat_of == Delivery.chat)
    forgotten = await session.execute(delete(Delivery).where(held, ~reader.exists()))
    left = await session.execute(
        update(Delivery)
        .where(held, ~reader.where(Subscriber.subscribed.is_(True)).exists())
        .values(status=DeliveryStatus.CANCELLED.value, error="reader left before their digest")
    )
    instant = await session.execute(
        update(Delivery)
        .where(held, reader.where(Subscriber.digest_hour.is_(None)).exists())
        .values(status=DeliveryStatus.PENDING.value)
    )
    counts = {
        name: max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        for name, result in (("deleted", forgotten), ("cancelled", left), ("released", instant))
    }
    if any(counts.values()):
        log.info("held deliveries settled %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts


async def queue_digests(
    db: Database,
    now: datetime,
    *,
    default_zone: ZoneInfo,
    default_language: str | None = None,
    translate: Callable[[str], Translator] = translator_for,
    batch: int = BATCH,
    page: int = PAGE,
) -> int:
    """Queue the digest of every reader whose hour has come (one outbox row each, in their
    language: ``translate`` of :func:`~bot.services.readers.language_of`, else
    ``default_language``): the readers with held rows are read ``page`` at a time, the due ones
    written ``batch`` to a transaction of their own (``db.writing()``); how many were queued."""
    async with db.writing() as session:
        await sweep_held(session)
    queued = 0
    after: int | None = None
    while True:
        async with db.session() as session:
            due, after = await due_readers(
                session, now, default_zone=default_zone, after=after, limit=page
            )
        for start in range(0, len(due), batch):
            async with db.writing() as session:
                queued += await queue_due(
                    session,
                    due[start : start + batch],
                    now,
                    default_language=default_language,
                    translate=translate,
                )
        if after is None:
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


async def choose_instant(
    session: AsyncSession,
    row: Subscriber,
    now: datetime,
    *,
    default_zone: ZoneInfo,
    default_language: str | None = None,
    translate: Callable[[str], Translator] = translator_for,
) -> bool:
    """``row``'s reader gets each article as it is published again; False if they did.

    What is held for their digest is queued at once, as a digest of ``now``
    (:func:`digest_held`): nothing held is lost."""
    was = row.digest_hour is not None
    held = await digest_held(
        session,
        row.chat_id,
        now,
        zone_of(row.timezone, default_zone),
        default_language=default_language,
        translate=translate,
        leaving=True,
    )
    row.digest_hour = None
    changed = await subscriptions.set_mode(session, row.chat_id, DeliveryMode.INSTANT)
    await session.flush()
    if was or changed or held:
        log.info("reader instant chat_id=%s held=%d", row.chat_id, held)
    return was or changed > 0 or held > 0


__all__ = [
    "BATCH",
    "MAX_ARTICLES",
    "MAX_LENGTH",
    "PAGE",
    "DueReader",
    "choose_hour",
    "choose_instant",
    "compose",
    "digest_heading",
    "digest_held",
    "digest_more",
    "due_readers",
    "hour_passed",
    "is_due",
    "next_digest",
    "queue_digests",
    "queue_due",
    "zone_of",
]
