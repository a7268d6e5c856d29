"""Readers: starting, subscribing, unsubscribing, choosing a language, being found unreachable."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import language_for, supported
from bot.qr import CAMPAIGN_PATTERN
from bot.services import subscriptions
from bot.services.articles import insert_ignoring_duplicates
from bot.services.editions import load_editions
from bot.storage.models import Subscriber, utcnow

log = logging.getLogger(__name__)

#: How often free text earns a reader the hint that the bot only understands commands.
HINT_EVERY = timedelta(hours=1)


def clean_text(value: str | None, limit: int | None = None) -> str | None:
    """``value`` without control characters (NUL, the rest of C0 and DEL, C1), cut to ``limit``
    characters; ``None`` when nothing is left. PostgreSQL refuses NUL in text, and no name or
    deep-link payload needs any of them; everything else (any script, emoji) is kept."""
    if value is None:
        return None
    cleaned = "".join(c for c in value if unicodedata.category(c) != "Cc")[:limit]
    return cleaned or None


@dataclass(frozen=True, slots=True)
class Reader:
    """Who wrote to the bot, as the handler read it from the update."""

    chat_id: int
    username: str | None = None
    first_name: str | None = None
    language: str | None = None


async def _touch(session: AsyncSession, reader: Reader) -> Subscriber:
    """The reader's row, created or refreshed; any message proves the chat is reachable."""
    # Made by whichever process comes first (a reader's two updates may be handled by two
    # processes at once, or one resent by Telegram), then read and locked by each.
    await session.execute(
        insert_ignoring_duplicates(session, Subscriber).values(
            chat_id=reader.chat_id, subscribed=False, active=True, started_at=utcnow()
        )
    )
    row = await session.get(
        Subscriber, reader.chat_id, with_for_update=True, populate_existing=True
    )
    assert row is not None, "the row was made above or before"
    row.username = clean_text(reader.username, 64)
    row.first_name = clean_text(reader.first_name, 128)
    row.language = clean_text(reader.language, 16)
    if not row.active:
        row.active = True
        row.inactive_since = None
    return row


async def start(session: AsyncSession, reader: Reader, payload: str | None) -> Subscriber:
    """Record a /start; a valid payload becomes the reader's campaign unless one is kept."""
    row = await _touch(session, reader)
    payload = campaign_of(payload)
    if payload and row.campaign is None:
        row.campaign = payload
    await session.flush()
    log.info("reader started chat_id=%s campaign=%s", reader.chat_id, row.campaign)
    return row


def campaign_of(payload: str | None) -> str | None:
    """The campaign a /start payload names (control characters dropped), if it is one."""
    payload = clean_text(payload)
    return payload if payload and CAMPAIGN_PATTERN.fullmatch(payload) else None


async def join(session: AsyncSession, reader: Reader, campaign: str) -> bool:
    """A /start from a campaign link: record it as :func:`start` does and subscribe at once.

    False when the reader was already subscribed.
    """
    await start(session, reader, campaign)
    return await subscribe(session, reader)


async def hint_due(session: AsyncSession, reader: Reader, now: datetime | None = None) -> bool:
    """Whether the reader's free text earns the hint now: at most once per :data:`HINT_EVERY`.

    Records the reader (as any message does) and, when True, when they were hinted.
    """
    now = now or utcnow()
    row = await _touch(session, reader)
    if row.hinted_at is not None and now - row.hinted_at < HINT_EVERY:
        return False
    row.hinted_at = now
    await session.flush()
    return True


async def subscribe(session: AsyncSession, reader: Reader, edition_id: int | None = None) -> bool:
    """Subscribe the reader to all of an edition: ``edition_id``, else the one in their
    language (their /language choice, else Telegram's), else the default. False when they
    already were subscribed (to anything, when no edition is named)."""
    row = await _touch(session, reader)
    if edition_id is None:
        if row.subscribed:
            return False
        editions = await load_editions(session)
        edition_id = editions.for_language(row.chosen_language or row.language).id
    new = await subscriptions.follow(session, row, edition_id)
    if new:
        log.info("reader subscribed chat_id=%s edition_id=%s", reader.chat_id, edition_id)
    return new


async def unsubscribe(session: AsyncSession, reader: Reader) -> bool:
    """Unsubscribe the reader from everything at once, cancelling what is still queued for
    them. False when they were not subscribed."""
    row = await _touch(session, reader)
    was = row.subscribed
    await subscriptions.unfollow(session, row)
    await subscriptions.cancel_waiting(session, reader.chat_id)
    await session.flush()
    log.info("reader unsubscribed chat_id=%s", reader.chat_id)
    return was


async def touch(session: AsyncSession, reader: Reader) -> Subscriber:
    """The reader's row, created or refreshed from the update (any message proves the chat
    is reachable)."""
    return await _touch(session, reader)


async def choose_language(session: AsyncSession, reader: Reader, language: str) -> str:
    """Keep ``language`` as the reader's own choice; every later text follows it.

    Returns the language code stored (``hi-IN`` is ``hi``). Raises ``ValueError`` for a language
    newsbot has no catalogue for.
    """
    code = supported(language)
    if code is None:
        raise ValueError(f"no catalogue for language {language!r}")
    row = await _touch(session, reader)
    row.chosen_language = code
    await session.flush()
    log.info("reader chose language chat_id=%s language=%s", reader.chat_id, code)
    return code


async def language_of(
    session: AsyncSession, chat_id: int, telegram: str | None = None, default: str | None = None
) -> str:
    """The language to write to ``chat_id`` in: their choice, else Telegram's ``language_code``
    (``telegram``, from the update at hand, else the one last stored), else ``default`` (the
    default edition's language), each when newsbot speaks it; else English."""
    row = await session.get(Subscriber, chat_id)
    chosen, known = (row.chosen_language, row.language) if row is not None else (None, None)
    return supported(chosen) or supported(telegram or known) or language_for(default, None)


async def mark_unreachable(session: AsyncSession, chat_id: int, reason: str) -> None:
    """Telegram says the chat cannot be reached (blocked, deleted): stop sending to it."""
    await session.execute(
        update(Subscriber)
        .where(Subscriber.chat_id == chat_id, Subscriber.active.is_(True))
        .values(active=False, inactive_since=utcnow(), inactive_reason=reason[:32])
    )
    await subscriptions.cancel_waiting(session, chat_id)
    log.info("reader inactive chat_id=%s reason=%s", chat_id, reason)


async def mark_reachable(session: AsyncSession, chat_id: int) -> None:
    """The reader unblocked the bot: deliver to them again (if they are subscribed)."""
    await session.execute(
        update(Subscriber)
        .where(Subscriber.chat_id == chat_id, Subscriber.active.is_(False))
        .values(active=True, inactive_since=None, inactive_reason=None)
    )
    log.info("reader reachable chat_id=%s", chat_id)
