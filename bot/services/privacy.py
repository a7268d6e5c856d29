"""A reader's say over what newsbot does with them: a pause, and being forgotten.

::

    await pause(session, chat_id, utcnow() + parse_duration("1d"))   # nothing sent for a day
    await pause(session, chat_id, None)                               # until /resume
    await resume(session, chat_id)                                    # True if they were paused
    await forget(session, chat_id)                                    # True if there was a row

A pause is the reader's ``paused_until``: routing queues nothing for them before it (see
:func:`bot.services.routing.reader_is_listening`), and what was queued already is cancelled at
once, so a pause never ends in a flood of old articles. "Until /resume" is :data:`UNTIL_RESUMED`,
a date far in the future.

Forgetting deletes the reader's row, their subscriptions and every delivery to their chat (sent
ones too: they say what the reader read). What stays is one more anonymous count in
:class:`~bot.storage.models.ForgottenReaders` for the campaign that brought them, so the
campaign's figures do not shrink.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from bot.storage.models import (
    Delivery,
    DeliveryStatus,
    ForgottenReaders,
    Subscriber,
    Subscription,
    utcnow,
)

log = logging.getLogger(__name__)

#: ``paused_until`` of a reader paused until they send /resume.
UNTIL_RESUMED = datetime(9999, 1, 1, tzinfo=UTC)
#: The longest pause :func:`parse_duration` accepts (longer: pause until /resume).
LONGEST = timedelta(days=365)

_HOUR, _DAY, _WEEK = 1, 24, 24 * 7
#: Units of time, in hours, by every name a reader may type (casefolded, NFC).
_UNITS: dict[str, int] = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), _WEEK),
    **dict.fromkeys(("घंटा", "घंटे", "घंटों", "घण्टा", "घण्टे"), _HOUR),
    **dict.fromkeys(("दिन",), _DAY),
    **dict.fromkeys(("हफ़्ता", "हफ़्ते", "हफ्ता", "हफ्ते", "सप्ताह"), _WEEK),
}
_NUMBERS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "एक": 1,
    "दो": 2,
    "तीन": 3,
    "चार": 4,
    "पाँच": 5,
    "पांच": 5,
    "छह": 6,
    "सात": 7,
}
#: What a reader may type for "until I resume".
_FOREVER = {"forever", "indefinitely", "resume", "until resume", "until i resume", "हमेशा"}
_TOKEN = re.compile(r"\d+|[^\d\s,]+")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().strip()


_UNITS = {_normal(name): hours for name, hours in _UNITS.items()}
_NUMBERS = {_normal(name): n for name, n in _NUMBERS.items()}


def parse_duration(text: str) -> timedelta | None:
    """How long a pause typed as ``text`` lasts: ``1d``, ``1w``, ``3h``, ``2 days``,
    ``a week``, ``1d 12h``, ``2 दिन``; ``None`` for "until I resume" (``forever``).

    Raises ``ValueError`` saying what is wrong: nothing given, a word that is no unit of time,
    a number without a unit, no time at all, or longer than :data:`LONGEST`.
    """
    cleaned = " ".join(_normal(text).split())
    if not cleaned:
        raise ValueError("no duration given: say how long, such as 1d, 1w or 3h")
    if cleaned in _FOREVER:
        return None
    hours = 0
    count: int | None = None
    for token in _TOKEN.findall(cleaned):
        if token.isdecimal():
            if count is not None:
                raise ValueError(f"{text!r}: two numbers in a row")
            if len(token) > 6:
                raise ValueError(f"{text!r}: longer than {LONGEST.days} days")
            count = int(token)
        elif token in _NUMBERS and count is None:
            count = _NUMBERS[token]
        elif token in _UNITS:
            hours += (1 if count is None else count) * _UNITS[token]
            count = None
        else:
            raise ValueError(f"{text!r}: {token!r} is no unit of time (use h, d or w)")
    if count is not None:
        raise ValueError(f"{text!r}: {count} what? Give a unit: h, d or w")
    duration = timedelta(hours=hours)
    if duration <= timedelta(0):
        raise ValueError(f"{text!r}: a pause lasts at least an hour")
    if duration > LONGEST:
        raise ValueError(f"{text!r}: longer than {LONGEST.days} days")
    return duration


async def _row(session: AsyncSession, reader: int | Subscriber) -> Subscriber | None:
    if isinstance(reader, Subscriber):
        return reader
    return await session.get(Subscriber, reader, with_for_update=True)


def is_until_resumed(until: datetime | None) -> bool:
    """Whether ``until`` (a ``paused_until``) means "until /resume" rather than a date."""
    return until is not None and until >= UNTIL_RESUMED - LONGEST


async def pause(
    session: AsyncSession,
    reader: int | Subscriber,
    until: datetime | None,
    *,
    now: datetime | None = None,
) -> datetime:
    """Send the reader nothing before ``until`` (``None``: until they /resume) and cancel what
    is queued for them now (held for their digest too). Returns the ``paused_until`` stored.

    Raises ``LookupError`` for a chat id no reader has, ``ValueError`` for an ``until`` that
    is naive or not in the future.
    """
    now = now or utcnow()
    if until is not None and until.tzinfo is None:
        raise ValueError("pause until a naive datetime; use an aware UTC datetime")
    if until is not None and until <= now:
        raise ValueError(f"pause until {until.isoformat()}, which is not in the future")
    row = await _row(session, reader)
    if row is None:
        raise LookupError(f"no reader by the chat id {reader!r}")
    row.paused_until = UNTIL_RESUMED if until is None else min(until.astimezone(UTC), UNTIL_RESUMED)
    await session.execute(
        update(Delivery)
        .where(
            Delivery.chat == str(row.chat_id),
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.HELD]),
        )
        .values(status=DeliveryStatus.CANCELLED, error="reader paused before it was sent")
    )
    await session.flush()
    log.info(
        "reader paused chat_id=%s until=%s",
        row.chat_id,
        "resume" if is_until_resumed(row.paused_until) else row.paused_until.isoformat(),
    )
    return row.paused_until


async def paused_until(
    session: AsyncSession, reader: int | Subscriber, *, now: datetime | None = None
) -> datetime | None:
    """When the reader's pause ends (:data:`UNTIL_RESUMED`: when they /resume); ``None`` when
    they are not paused (or unknown)."""
    row = reader if isinstance(reader, Subscriber) else await session.get(Subscriber, reader)
    if row is None or row.paused_until is None or row.paused_until <= (now or utcnow()):
        return None
    return row.paused_until


async def resume(
    session: AsyncSession, reader: int | Subscriber, *, now: datetime | None = None
) -> bool:
    """End the reader's pause: articles published from now on reach them (those published
    while they were paused do not). False when they were not paused (or are unknown)."""
    row = await _row(session, reader)
    if row is None:
        return False
    was = row.paused_until is not None and row.paused_until > (now or utcnow())
    row.paused_until = None
    await session.flush()
    if was:
        log.info("reader resumed chat_id=%s", row.chat_id)
    return was


def _upsert_forgotten(session: AsyncSession, campaign: str, signed_up: int) -> Executable:
    """``INSERT … ON CONFLICT (campaign) DO UPDATE`` adding one reader to ``campaign``'s
    counts, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ForgottenReaders).values(campaign=campaign, started=1, signed_up=signed_up)
    return statement.on_conflict_do_update(
        index_elements=[ForgottenReaders.campaign],
        set_={
            "started": ForgottenReaders.started + 1,
            "signed_up": ForgottenReaders.signed_up + signed_up,
        },
    )


async def forget(session: AsyncSession, chat_id: int) -> bool:
    """Delete everything stored about the reader of ``chat_id``: their row, subscriptions and
    every delivery to their chat; count them (anonymously) in their campaign's
    :class:`~bot.storage.models.ForgottenReaders`. False when nothing was stored about them."""
    row = await session.get(Subscriber, chat_id, with_for_update=True)
    result = await session.execute(delete(Delivery).where(Delivery.chat == str(chat_id)))
    deliveries = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if row is None:
        if deliveries:
            log.info("reader forgotten chat_id=%s deliveries=%d row=none", chat_id, deliveries)
        return deliveries > 0
    campaign = row.campaign or ""
    signed_up = 1 if row.subscribed_at is not None else 0
    await session.execute(_upsert_forgotten(session, campaign, signed_up))
    # Explicitly, not by ON DELETE CASCADE: the cascade needs SQLite's foreign_keys pragma.
    await session.execute(delete(Subscription).where(Subscription.chat_id == chat_id))
    await session.delete(row)
    await session.flush()
    log.info("reader forgotten chat_id=%s deliveries=%d", chat_id, deliveries)
    return True
