"""Editions: the publisher's English and Hindi (or any) editions, each a language and a channel.

::

    editions = await ensure_editions(session, settings.edition_configs())   # at start
    editions.default            # the first EDITIONS names (new feeds, new readers, fallback)
    editions.by_code["hi"]      # KeyError for an edition that is not configured
    editions.for_language("hi-IN")   # the edition in a language, else the default

An edition is configured by ``EDITIONS`` (see :class:`bot.config.EditionConfig`); the rows are
made or updated from it at start. An edition no longer configured keeps its row, its feeds
and readers, but posts to no channel. The release before editions had one, and migration 0006
calls it ``en``; when EDITIONS names no edition the database has and the database has only
that one, it becomes the configured default (a Hindi-only publisher upgrading keeps readers).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import EditionConfig, edition_code
from bot.i18n import base_language
from bot.storage.models import Article, Edition, Feed

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EditionInfo:
    """One edition as the rest of newsbot sees it (no ORM object, safe across sessions)."""

    id: int
    code: str
    language: str
    channel: str | None
    configured: bool = True

    @classmethod
    def of(cls, row: Edition) -> EditionInfo:
        return cls(row.id, row.code, row.language, row.channel, row.position is not None)


@dataclass(frozen=True, slots=True)
class Editions:
    """The editions, configured ones first in EDITIONS order; the first is the default."""

    all: tuple[EditionInfo, ...]

    def __post_init__(self) -> None:
        if not self.all:
            raise ValueError("at least one edition is needed")

    @property
    def default(self) -> EditionInfo:
        return self.all[0]

    @property
    def configured(self) -> tuple[EditionInfo, ...]:
        return tuple(edition for edition in self.all if edition.configured)

    @property
    def by_code(self) -> dict[str, EditionInfo]:
        return {edition.code: edition for edition in self.all}

    @property
    def by_id(self) -> dict[int, EditionInfo]:
        return {edition.id: edition for edition in self.all}

    def get(self, code: str | None) -> EditionInfo | None:
        """The edition named ``code`` (``HI`` and ``hi`` alike), if there is one."""
        if not code:
            return None
        return self.by_code.get(edition_code(code))

    def for_language(self, language: str | None) -> EditionInfo:
        """The configured edition written in ``language`` (``hi-IN`` is ``hi``), else the
        default."""
        if language:
            base = base_language(language)
            for edition in self.configured:
                if edition.language == base:
                    return edition
        return self.default


def language_of_code(code: str) -> str:
    """An edition's language: its code's language part (``pt-br`` is ``pt``)."""
    return base_language(code)


async def ensure_editions(
    session: AsyncSession, configs: Sequence[EditionConfig], *, authoritative: bool = True
) -> Editions:
    """Make the editions rows agree with ``configs`` (EDITIONS, the default first).

    Feeds and articles that belong to no edition (added before an upgrade finished, or by an
    older process) are given the default edition. ``authoritative=False`` (a CLI command run
    where neither EDITIONS nor TELEGRAM_CHANNEL is set: not the bot's settings) only adds what
    the database lacks (an edition, a configured edition's channel): it never changes or drops
    a channel, the order or what is configured.
    """
    if not configs:
        raise ValueError("at least one edition is needed")
    rows = list(await session.scalars(select(Edition).order_by(Edition.id).with_for_update()))
    if not authoritative:
        by_code = {row.code: row for row in rows}
        known = set(by_code)
        for config in configs:
            row = by_code.get(config.code)
            if row is not None and row.channel is None and row.position is not None:
                row.channel = config.channel
            if config.code not in known:
                session.add(
                    Edition(
                        code=config.code,
                        language=language_of_code(config.code),
                        channel=config.channel,
                        position=len(known),
                    )
                )
                known.add(config.code)
                log.info("edition added code=%s channel=%s", config.code, config.channel)
        await session.flush()
        return await load_editions(session)
    codes = {config.code for config in configs}
    if len(rows) == 1 and rows[0].code not in codes and rows[0].position is not None:
        log.info("edition renamed from=%s to=%s", rows[0].code, configs[0].code)
        rows[0].code = configs[0].code
        await session.flush()
    existing = {row.code: row for row in rows}
    for position, config in enumerate(configs):
        row = existing.get(config.code)
        if row is None:
            row = Edition(code=config.code)
            session.add(row)
            existing[config.code] = row
            log.info("edition added code=%s channel=%s", config.code, config.channel)
        row.language = language_of_code(config.code)
        row.channel = config.channel
        row.position = position
    for code, row in existing.items():
        if code not in codes and row.position is not None:
            log.warning("edition no longer configured code=%s; it posts nowhere", code)
            row.position = None
            row.channel = None
    await session.flush()
    editions = await load_editions(session)
    for model in (Feed, Article):
        await session.execute(
            update(model).where(model.edition_id.is_(None)).values(edition_id=editions.default.id)
        )
    return editions


async def load_editions(session: AsyncSession) -> Editions:
    """The editions as stored: configured ones in EDITIONS order, then the others by id."""
    rows = await session.scalars(select(Edition).order_by(Edition.position, Edition.id))
    infos = [EditionInfo.of(row) for row in rows]
    infos.sort(key=lambda e: (not e.configured, 0))  # stable: NULL positions last everywhere
    return Editions(tuple(infos))


async def default_edition_id(session: AsyncSession) -> int:
    """The default edition's id (the first configured; migration 0006 always makes one)."""
    return (await load_editions(session)).default.id
