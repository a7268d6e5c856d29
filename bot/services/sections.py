"""Sections: the parts of an edition a reader can follow — one feed's articles, or one
category's (as the feeds' entries name it), each named by the editors.

::

    await add_feed_section(session, edition, feed_id=3, name="City")
    await add_category_section(session, edition, "Cricket", name="Cricket")
    keys_of(article.feed_id, article.categories)     # the section keys an article is in

A section's ``key`` is ``feed:<id>`` or ``category:<casefolded name>``; an article is in every
section of its edition whose key it has (:func:`keys_of`). The match is written to
``article_sections`` when the article is published (:mod:`bot.services.routing`).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import SectionError
from bot.services.readers import clean_text
from bot.storage.models import Feed, Section

log = logging.getLogger(__name__)

#: Longest section name (a button of the /sections keyboard must stay readable).
MAX_NAME = 64


def category_key(category: str) -> str:
    """The key of a category's section: NFC, spaces collapsed, casefolded."""
    text = " ".join(unicodedata.normalize("NFC", category).split()).casefold()
    return f"category:{text[:150]}"


def feed_key(feed_id: int) -> str:
    return f"feed:{feed_id}"


def keys_of(feed_id: int | None, categories: Iterable[str] | None) -> set[str]:
    """Every section key an article of ``feed_id`` with ``categories`` belongs to."""
    keys = {category_key(c) for c in categories or () if c and c.strip()}
    if feed_id is not None:
        keys.add(feed_key(feed_id))
    return keys


def clean_name(name: str) -> str:
    """A section's name as readers see it; SectionError when it is empty or too long."""
    text = " ".join((clean_text(name) or "").split())
    if not text:
        raise SectionError("a section needs a name")
    if len(text) > MAX_NAME:
        raise SectionError(f"a section's name has at most {MAX_NAME} characters")
    return text


async def list_sections(session: AsyncSession, edition_id: int | None = None) -> list[Section]:
    """The sections (of one edition), by edition and name."""
    query = select(Section).order_by(Section.edition_id, func.lower(Section.name), Section.id)
    if edition_id is not None:
        query = query.where(Section.edition_id == edition_id)
    return list(await session.scalars(query))


async def _add(
    session: AsyncSession, edition_id: int, key: str, name: str, feed_id: int | None
) -> Section:
    existing = await session.scalar(
        select(Section).where(Section.edition_id == edition_id, Section.key == key)
    )
    if existing is not None:
        raise SectionError(f"that is section {existing.id} already ({existing.name})")
    section = Section(edition_id=edition_id, key=key, name=clean_name(name), feed_id=feed_id)
    session.add(section)
    await session.flush()
    log.info("section added section_id=%s edition_id=%s key=%s", section.id, edition_id, key)
    return section


async def add_feed_section(session: AsyncSession, feed_id: int, name: str | None = None) -> Section:
    """A section of one feed's articles, in the feed's edition (named as the feed, by default)."""
    feed = await session.get(Feed, feed_id)
    if feed is None:
        raise SectionError(f"there is no feed {feed_id}")
    if feed.edition_id is None:
        raise SectionError(f"feed {feed_id} belongs to no edition yet; start newsbot once")
    return await _add(
        session,
        feed.edition_id,
        feed_key(feed_id),
        name or feed.title or f"Feed {feed_id}",
        feed_id,
    )


async def add_category_section(
    session: AsyncSession, edition_id: int, category: str, name: str | None = None
) -> Section:
    """A section of the articles whose feed entries carry ``category``."""
    if not category.strip():
        raise SectionError("a category section needs the category's name")
    return await _add(session, edition_id, category_key(category), name or category, None)


async def rename_section(session: AsyncSession, section_id: int, name: str) -> Section:
    section = await session.get(Section, section_id)
    if section is None:
        raise SectionError(f"there is no section {section_id}")
    section.name = clean_name(name)
    await session.flush()
    return section


async def remove_section(session: AsyncSession, section_id: int) -> Section:
    """Remove a section; readers who followed only it keep the rest of their edition's
    sections they chose (and one who chose only it follows the whole edition)."""
    from bot.services.subscriptions import section_removed

    section = await session.get(Section, section_id)
    if section is None:
        raise SectionError(f"there is no section {section_id}")
    await section_removed(session, section)
    await session.delete(section)
    await session.flush()
    log.info("section removed section_id=%s", section_id)
    return section


def matching(sections: Sequence[Section], edition_id: int | None, keys: set[str]) -> list[int]:
    """The ids of ``sections`` of ``edition_id`` whose key is one of ``keys``."""
    return [s.id for s in sections if s.edition_id == edition_id and s.key in keys]
