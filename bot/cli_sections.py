"""``newsbot sections …``: list (with categories worth a section), add, rename, remove.

::

    newsbot sections list [--edition CODE]
    newsbot sections add --feed ID [--name NAME]
    newsbot sections add --edition CODE --category CAT [--name NAME]
    newsbot sections rename ID NAME
    newsbot sections remove ID

Building the text (:func:`format_sections`) is apart from printing it, so tests read the same
table an operator does. A section or edition that cannot be used as asked raises
:class:`~bot.errors.SectionError` or :class:`~bot.errors.EditionError` (one line, exit status 2).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli_args import whole_number
from bot.config import Settings
from bot.errors import EditionError, SectionError
from bot.links import redact_url
from bot.services import sections
from bot.services.editions import EditionInfo, Editions, load_editions
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Feed, Section, Subscription

__all__ = [
    "SectionRow",
    "Suggestion",
    "add_sections_parser",
    "cmd_sections",
    "format_sections",
    "suggestions",
]

#: How many of an edition's last published articles the suggestions are counted from.
RECENT = 500
#: How many categories are suggested per edition.
SUGGESTED = 10


def add_sections_parser(sub: Any) -> None:
    """Add ``sections`` and its actions to the ``newsbot`` subcommands ``sub``."""
    parser = sub.add_parser("sections", help="manage the sections readers can follow")
    actions = parser.add_subparsers(dest="sections_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="list sections with their readers, and categories worth one"
    )
    listing.add_argument("--edition", metavar="CODE", help="only this edition's (en, hi…)")
    add = actions.add_parser(
        "add", help="add a section: a feed's articles, or one category's in an edition"
    )
    add.add_argument(
        "--feed", type=whole_number("--feed"), metavar="ID", help="the feed whose articles it holds"
    )
    add.add_argument("--edition", metavar="CODE", help="the edition of a category's section")
    add.add_argument("--category", metavar="CAT", help="the category (as the feeds write it)")
    add.add_argument("--name", help="what readers see (default: the feed's title, the category)")
    rename = actions.add_parser("rename", help="give a section a new name")
    rename.add_argument("section", type=whole_number("the section ID"), metavar="ID")
    rename.add_argument("name", metavar="NAME")
    remove = actions.add_parser(
        "remove", help="remove a section (readers who chose only it get the whole edition)"
    )
    remove.add_argument("section", type=whole_number("the section ID"), metavar="ID")


@dataclass(frozen=True, slots=True)
class SectionRow:
    """One line of ``sections list``: what the section is and how many readers get it."""

    id: int
    edition: str
    name: str
    what: str
    chose: int  # readers who chose this section
    whole: int  # readers who follow all of its edition


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A category of an edition's recent articles that is not a section yet."""

    edition: str
    category: str
    articles: int


def _edition(editions: Editions, code: str | None) -> EditionInfo | None:
    """The edition ``--edition`` names (None: every edition); EditionError for an unknown one."""
    if code is None:
        return None
    edition = editions.get(code)
    if edition is None:
        raise EditionError(code, [e.code for e in editions.all])
    return edition


def _what(section: Section, feeds: dict[int, Feed]) -> str:
    if section.feed_id is not None:
        feed = feeds.get(section.feed_id)
        if feed is None:
            return f"feed {section.feed_id}"
        return f"feed {feed.id}: {feed.title or redact_url(feed.url)}"
    return f"category {section.key.removeprefix('category:')!r}"


async def _readers(session: AsyncSession, column: Any, *, whole: bool = False) -> dict[int, int]:
    """Distinct readers by ``column``: of each section chosen, or (``whole``) of each edition
    followed as a whole."""
    chosen = Subscription.section_id.is_(None) if whole else Subscription.section_id.is_not(None)
    rows = await session.execute(
        select(column, func.count(func.distinct(Subscription.chat_id)))
        .where(chosen)
        .group_by(column)
    )
    return {int(key): int(count) for key, count in rows}


async def section_rows(
    session: AsyncSession, editions: Editions, edition: EditionInfo | None
) -> list[SectionRow]:
    """Every section (of ``edition``) with what it holds and its readers."""
    listed = await sections.list_sections(session, edition.id if edition else None)
    feeds = {feed.id: feed for feed in await session.scalars(select(Feed))}
    chose = await _readers(session, Subscription.section_id)
    whole = await _readers(session, Subscription.edition_id, whole=True)
    codes = {e.id: e.code for e in editions.all}
    return [
        SectionRow(
            id=section.id,
            edition=codes.get(section.edition_id, "?"),
            name=section.name,
            what=_what(section, feeds),
            chose=int(chose.get(section.id, 0)),
            whole=int(whole.get(section.edition_id, 0)),
        )
        for section in listed
    ]


async def suggestions(
    session: AsyncSession, edition: EditionInfo, *, recent: int = RECENT, limit: int = SUGGESTED
) -> list[Suggestion]:
    """The most frequent categories of ``edition``'s last ``recent`` published articles that
    are no section of it yet, most frequent first (each spelled as most articles spell it)."""
    taken = {s.key for s in await sections.list_sections(session, edition.id)}
    lists = await session.scalars(
        select(Article.categories)
        .where(Article.edition_id == edition.id, Article.status == ArticleStatus.PUBLISHED.value)
        .order_by(Article.id.desc())
        .limit(recent)
    )
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for categories in lists:
        keys: set[str] = set()
        for category in categories or ():
            if not isinstance(category, str) or not category.strip():
                continue
            key = sections.category_key(category)
            spellings.setdefault(key, Counter())[" ".join(category.split())] += 1
            keys.add(key)
        counts.update(keys - taken)  # an article counts once per category
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        Suggestion(edition.code, spellings[key].most_common(1)[0][0], count)
        for key, count in ranked
    ]


def format_sections(rows: Sequence[SectionRow], suggested: Sequence[Suggestion]) -> str:
    """The table ``newsbot sections list`` prints, then the categories worth a section."""
    if rows:
        lines = [f"{'ID':>4}  {'ED.':<5}  {'READERS':>7}  {'CHOSE':>5}  NAME / WHAT"]
        for row in rows:
            lines.append(
                f"{row.id:>4}  {row.edition:<5}  {row.chose + row.whole:>7}  {row.chose:>5}  "
                f"{row.name}"
            )
            lines.append(f"{'':>6}{row.what}")
        lines.append(
            "READERS: who get the section's articles (CHOSE it, or follow all of its edition)."
        )
    else:
        lines = [
            "No sections yet. Add one with: newsbot sections add --feed ID, "
            "or --edition CODE --category NAME"
        ]
    editions = list(dict.fromkeys(s.edition for s in suggested))
    for code in editions:
        found = [s for s in suggested if s.edition == code]
        listed = ", ".join(f"{s.category} ({s.articles})" for s in found)
        lines.append(f"Categories of edition {code}'s recent articles, not sections yet: {listed}")
    if editions:
        lines.append("Add one with: newsbot sections add --edition CODE --category NAME")
    return "\n".join(lines)


async def cmd_sections(settings: Settings, args: argparse.Namespace, db: Database) -> int:
    """Run one ``newsbot sections`` action on the migrated database ``db``."""
    action = args.sections_command
    if action == "list":
        async with db.session() as session:
            editions = await load_editions(session)
            edition = _edition(editions, args.edition)
            rows = await section_rows(session, editions, edition)
            suggested = []
            for each in [edition] if edition else editions.configured:
                suggested += await suggestions(session, each)
        print(format_sections(rows, suggested))
        return 0
    async with db.writing() as session:
        editions = await load_editions(session)
        codes = {e.id: e.code for e in editions.all}
        if action == "add":
            section = await _add(session, editions, args)
            print(
                f"Added section {section.id} to edition {codes.get(section.edition_id, '?')}: "
                f"{section.name} ({section.key.replace(':', ' ', 1)})"
            )
        elif action == "rename":
            section = await sections.rename_section(session, args.section, args.name)
            print(f"Section {section.id} is now called: {section.name}")
        else:
            section = await sections.remove_section(session, args.section)
            print(
                f"Removed section {section.id} of edition "
                f"{codes.get(section.edition_id, '?')}: {section.name} "
                "(readers who chose only it now follow the whole edition)"
            )
    return 0


async def _add(session: AsyncSession, editions: Editions, args: argparse.Namespace) -> Section:
    if args.feed is not None:
        if args.category is not None or args.edition is not None:
            raise SectionError(
                "a feed's section is in the feed's edition: give --feed alone, "
                "or --edition and --category"
            )
        return await sections.add_feed_section(session, args.feed, args.name)
    if args.category is None or args.edition is None:
        raise SectionError("give --feed ID, or --edition CODE and --category NAME")
    edition = _edition(editions, args.edition)
    assert edition is not None
    return await sections.add_category_section(session, edition.id, args.category, args.name)
