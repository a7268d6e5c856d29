"""``newsbot editions list``: each edition with its channel, feeds, sections and readers.

Building the text (:func:`format_editions`) is apart from printing it, so tests read the same
table an operator does.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services.editions import EditionInfo, load_editions
from bot.storage.db import Database
from bot.storage.models import Feed, Section, Subscription

__all__ = ["EditionRow", "add_editions_parser", "cmd_editions", "edition_rows", "format_editions"]


def add_editions_parser(sub: Any) -> None:
    """Add ``editions`` and its actions to the ``newsbot`` subcommands ``sub``."""
    parser = sub.add_parser("editions", help="show the editions (EDITIONS) and what each has")
    actions = parser.add_subparsers(dest="editions_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="list editions with channel, feeds, sections and readers")


@dataclass(frozen=True, slots=True)
class EditionRow:
    """One line of ``editions list``."""

    edition: EditionInfo
    default: bool
    feeds: int
    sections: int
    readers: int  # distinct chats with a subscription to it


async def _counts(session: AsyncSession, column: Any, counted: Any) -> dict[int, int]:
    rows = await session.execute(select(column, counted).group_by(column))
    return {int(key): int(count) for key, count in rows if key is not None}


async def edition_rows(session: AsyncSession) -> list[EditionRow]:
    """Every edition as stored, configured ones first in EDITIONS order."""
    editions = await load_editions(session)
    feeds = await _counts(session, Feed.edition_id, func.count(Feed.id))
    sections = await _counts(session, Section.edition_id, func.count(Section.id))
    readers = await _counts(
        session, Subscription.edition_id, func.count(func.distinct(Subscription.chat_id))
    )
    default = editions.default.id if editions.default.configured else None
    return [
        EditionRow(
            edition,
            edition.id == default,
            feeds.get(edition.id, 0),
            sections.get(edition.id, 0),
            readers.get(edition.id, 0),
        )
        for edition in editions.all
    ]


def format_editions(rows: Sequence[EditionRow]) -> str:
    """The table ``newsbot editions list`` prints."""
    lines = [
        f"{'CODE':<8}  {'LANG':<5}  {'CHANNEL':<24}  {'FEEDS':>5}  {'SECTIONS':>8}  "
        f"{'READERS':>7}  NOTE"
    ]
    for row in rows:
        edition = row.edition
        notes = []
        if row.default:
            notes.append("default")
        if not edition.configured:
            notes.append("not configured (EDITIONS no longer names it; it posts nowhere)")
        lines.append(
            f"{edition.code:<8}  {edition.language:<5}  {edition.channel or 'no channel':<24}  "
            f"{row.feeds:>5}  {row.sections:>8}  {row.readers:>7}  {', '.join(notes)}".rstrip()
        )
    return "\n".join(lines)


async def cmd_editions(settings: Settings, args: argparse.Namespace, db: Database) -> int:
    """Run one ``newsbot editions`` action (there is one: list) on the migrated ``db``."""
    async with db.session() as session:
        rows = await edition_rows(session)
    print(format_editions(rows))
    return 0
