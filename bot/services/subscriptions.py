"""What each reader follows: editions, all of each or some sections, instantly or in a digest.

A reader follows an edition with one :class:`~bot.storage.models.Subscription` row whose
``section_id`` is ``None`` (all of it, sections added later included), or with one row per
section chosen. ``subscribers.subscribed`` says whether any row exists; every change here keeps
it so in the same transaction (stats and the outbox read it).

::

    await follow(session, chat_id, edition_id)               # all of the edition
    await toggle_section(session, chat_id, edition_id, 7)     # only some sections, or none
    await following(session, chat_id)                         # {edition_id: Following}
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DeliveryMode, Section, Subscriber, Subscription, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Following:
    """How a reader follows one edition: ``sections`` ``None`` for all of it."""

    edition_id: int
    sections: frozenset[int] | None
    mode: DeliveryMode

    def follows(self, section_id: int) -> bool:
        return self.sections is None or section_id in self.sections


async def following(session: AsyncSession, chat_id: int) -> dict[int, Following]:
    """The editions ``chat_id`` follows, each with its sections (``None``: all) and mode."""
    rows = await session.execute(
        select(Subscription.edition_id, Subscription.section_id, Subscription.mode)
        .where(Subscription.chat_id == chat_id)
        .order_by(Subscription.id)
    )
    editions: dict[int, tuple[set[int] | None, str]] = {}
    for edition_id, section_id, mode in rows:
        sections, _ = editions.get(edition_id, (set(), mode))
        if section_id is None or sections is None:
            editions[edition_id] = (None, mode)
        else:
            sections.add(section_id)
            editions[edition_id] = (sections, mode)
    return {
        edition_id: Following(
            edition_id, None if sections is None else frozenset(sections), DeliveryMode(mode)
        )
        for edition_id, (sections, mode) in editions.items()
    }


async def _mode_of(session: AsyncSession, row: Subscriber) -> DeliveryMode:
    """The mode a new subscription of the reader gets: their digest's, if they chose one."""
    return DeliveryMode.DIGEST if row.digest_hour is not None else DeliveryMode.INSTANT


async def _sync(session: AsyncSession, row: Subscriber) -> None:
    """Keep ``row.subscribed`` (and when it changed) equal to "has a subscription"."""
    await session.flush()
    has_any = (
        await session.scalar(
            select(Subscription.id).where(Subscription.chat_id == row.chat_id).limit(1)
        )
    ) is not None
    if has_any and not row.subscribed:
        row.subscribed = True
        row.subscribed_at = utcnow()
    elif not has_any and row.subscribed:
        row.subscribed = False
        row.unsubscribed_at = utcnow()
    await session.flush()


async def follow(session: AsyncSession, row: Subscriber, edition_id: int) -> bool:
    """``row``'s reader follows all of edition ``edition_id``; False when they already did."""
    current = (await following(session, row.chat_id)).get(edition_id)
    if current is not None and current.sections is None:
        return False
    await session.execute(
        delete(Subscription).where(
            Subscription.chat_id == row.chat_id, Subscription.edition_id == edition_id
        )
    )
    session.add(
        Subscription(
            chat_id=row.chat_id,
            edition_id=edition_id,
            section_id=None,
            mode=await _mode_of(session, row),
        )
    )
    await _sync(session, row)
    log.info("reader follows edition chat_id=%s edition_id=%s", row.chat_id, edition_id)
    return True


async def unfollow(session: AsyncSession, row: Subscriber, edition_id: int | None = None) -> bool:
    """``row``'s reader stops following edition ``edition_id`` (every edition: ``None``);
    False when they followed none of it."""
    query = delete(Subscription).where(Subscription.chat_id == row.chat_id)
    if edition_id is not None:
        query = query.where(Subscription.edition_id == edition_id)
    result = await session.execute(query)
    await _sync(session, row)
    removed = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    if removed:
        log.info("reader unfollows chat_id=%s edition_id=%s", row.chat_id, edition_id)
    return removed > 0


async def toggle_section(
    session: AsyncSession, row: Subscriber, edition_id: int, section_id: int
) -> Following | None:
    """Switch one section of an edition on or off for ``row``'s reader; what they follow of the
    edition afterwards (``None``: nothing). Off from "all" leaves every other section on; on
    with every section chosen becomes "all" again (so sections added later come too); the
    last section off stops the edition."""
    sections = set(
        await session.scalars(select(Section.id).where(Section.edition_id == edition_id))
    )
    if section_id not in sections:
        raise ValueError(f"section {section_id} is not one of edition {edition_id}'s")
    current = (await following(session, row.chat_id)).get(edition_id)
    if current is None:
        chosen = {section_id}
    elif current.sections is None:
        chosen = sections - {section_id}
    else:
        chosen = set(current.sections) & sections
        chosen ^= {section_id}
    mode = current.mode if current is not None else await _mode_of(session, row)
    await session.execute(
        delete(Subscription).where(
            Subscription.chat_id == row.chat_id, Subscription.edition_id == edition_id
        )
    )
    result: Following | None
    if not chosen:
        result = None
    elif chosen == sections:
        session.add(Subscription(chat_id=row.chat_id, edition_id=edition_id, mode=mode))
        result = Following(edition_id, None, mode)
    else:
        session.add_all(
            Subscription(chat_id=row.chat_id, edition_id=edition_id, section_id=s, mode=mode)
            for s in sorted(chosen)
        )
        result = Following(edition_id, frozenset(chosen), mode)
    await _sync(session, row)
    log.info(
        "reader sections chat_id=%s edition_id=%s sections=%s",
        row.chat_id,
        edition_id,
        "all" if result and result.sections is None else sorted(chosen),
    )
    return result


async def set_mode(session: AsyncSession, chat_id: int, mode: DeliveryMode) -> int:
    """Every subscription of ``chat_id`` instant or digest; how many rows changed."""
    result = await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.mode != mode.value)
        .values(mode=mode.value)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def section_removed(session: AsyncSession, section: Section) -> None:
    """Before ``section`` goes: a reader who chose only it follows its whole edition instead
    (so nobody is left subscribed to nothing without being told); others just lose it."""
    rows = await session.execute(
        select(Subscription.chat_id, Subscription.section_id, Subscription.mode).where(
            Subscription.edition_id == section.edition_id,
            Subscription.chat_id.in_(
                select(Subscription.chat_id).where(Subscription.section_id == section.id)
            ),
        )
    )
    chosen: dict[int, tuple[set[int | None], str]] = {}
    for chat_id, section_id, mode in rows:
        chosen.setdefault(chat_id, (set(), mode))[0].add(section_id)
    lonely = [(chat_id, mode) for chat_id, (ids, mode) in chosen.items() if ids == {section.id}]
    await session.execute(delete(Subscription).where(Subscription.section_id == section.id))
    for chat_id, mode in lonely:
        session.add(
            Subscription(chat_id=chat_id, edition_id=section.edition_id, section_id=None, mode=mode)
        )
    await session.flush()


async def follow_many(session: AsyncSession, chat_ids: list[int], edition_id: int) -> None:
    """Readers ``chat_ids`` (rows that exist and are marked subscribed) follow all of
    ``edition_id``, in one statement: for imports and benchmarks of many readers."""
    now = utcnow()
    await session.execute(
        insert(Subscription),
        [
            {
                "chat_id": chat_id,
                "edition_id": edition_id,
                "section_id": None,
                "mode": DeliveryMode.INSTANT.value,
                "created_at": now,
            }
            for chat_id in chat_ids
        ],
    )
