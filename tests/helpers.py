"""Small helpers the tests share."""

from __future__ import annotations

from bot.config import EditionConfig
from bot.services.editions import Editions, ensure_editions
from bot.storage.db import Database


async def use_editions(db: Database, *editions: tuple[str, str | None]) -> Editions:
    """Configure the editions as EDITIONS would, e.g. ``("en", "@news")``; the first is the
    default (one edition, ``en``, posting to ``channel``, is the release-before-editions case)."""
    async with db.session() as session, session.begin():
        return await ensure_editions(session, [EditionConfig(code, ch) for code, ch in editions])
