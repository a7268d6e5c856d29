"""What each reader follows: editions, all of each or some sections, instantly or in a digest.

A reader follows an edition with one :class:`~bot.storage.models.Subscription` row whose
``section_id`` is ``None`` (all of it, sections added later included) — and then may mute some
of its sections, one ``exclude`` row each, so articles in no section still come — or with one
row per section chosen (only those come). ``subscribers.subscribed`` says whether any
following row exists; every change here keeps it so in the same transaction (stats and the
outbox read it).

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

from bot.storage.models import (
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Section,
    Subscriber,
    Subscription,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Following:
    """How a reader follows one edition: ``sections`` ``None`` for all of it but the ``muted``
    sections, else only ``sections``."""

    edition_id: int
    sections: frozenset[int] | None
    mode: DeliveryMode
    muted: frozenset[int] = frozenset()

    def follows(self, section_id: int) -> bool:
        if self.sections is None:
            return section_id not in self.muted
        return section_id in self.sections


async def following(session: AsyncSession, chat_id: int) -> dict[int, Following]:
    """The editions ``chat_id`` follows, each with its sections (``None``: all but the muted
    ones) and mode."""
    rows = await session.execute(
        select(
            Subscription.edition_id,
            Subscription.section_id,
            Subscription.exclude,
            Subscription.mode,
        )
        .where(Subscription.chat_id == chat_id)
        .order_by(Subscription.id)
    )
    whole: dict[int, str] = {}
    chosen: dict[int, tuple[set[int], str]] = {}
    muted: dict[int, set[int]] = {}
    for edition_id, section_id, exclude, mode in rows:
        if exclude and section_id is not None:
            muted.setdefault(edition_id, set()).add(section_id)
        elif section_id is None:
            whole[edition_id] = mode
        else:
            chosen.setdefault(edition_id, (set(), mode))[0].add(section_id)
    result = {
        edition_id: Following(
            edition_id, None, DeliveryMode(mode), frozenset(muted.get(edition_id, ()))
        )
        for edition_id, mode in whole.items()
    }
    for edition_id, (sections, mode) in chosen.items():
        result.setdefault(
            edition_id, Following(edition_id, frozenset(sections), DeliveryMode(mode))
        )
    return result


async def _mode_of(session: AsyncSession, row: Subscriber) -> DeliveryMode:
    """The mode a new subscription of the reader gets: their digest's, if they chose one."""
    return DeliveryMode.DIGEST if row.digest_hour is not None else DeliveryMode.INSTANT


async def _sync(session: AsyncSession, row: Subscriber) -> None:
    """Keep ``row.subscribed`` (and when it changed) equal to "follows something"; a digest
    reader who comes back gets in their next digest only what comes from now on."""
    await session.flush()
    has_any = (
        await session.scalar(
            select(Subscription.id)
            .where(Subscription.chat_id == row.chat_id, Subscription.exclude.is_(False))
            .limit(1)
        )
    ) is not None
    if has_any and not row.subscribed:
        row.subscribed = True
        row.subscribed_at = utcnow()
        if row.digest_hour is not None:
            row.last_digest_at = row.subscribed_at
    elif not has_any and row.subscribed:
        row.subscribed = False
        row.unsubscribed_at = utcnow()
        # Nothing queued for them goes out any more, and no held article waits for a digest
        # that would come only if they came back.
        await cancel_waiting(session, row.chat_id)
    await session.flush()


async def cancel_waiting(session: AsyncSession, chat_id: int) -> None:
    """Cancel what waits for the reader (queued, or held for a digest). Not a message being
    sent: it may arrive, and its outcome is recorded as it is."""
    await session.execute(
        update(Delivery)
        .where(
            Delivery.chat == str(chat_id),
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.HELD]),
        )
        .values(status=DeliveryStatus.CANCELLED)
    )


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
    edition afterwards (``None``: nothing).

    Following the whole edition, off mutes the section (articles in no section, or in others,
    still come) and on unmutes it. Following some sections, it is added or taken away; every
    section chosen becomes the whole edition again (so sections added later come too), and the
    last one off stops the edition. Not following the edition, on follows that section only.
    """
    sections = set(
        await session.scalars(select(Section.id).where(Section.edition_id == edition_id))
    )
    if section_id not in sections:
        raise ValueError(f"section {section_id} is not one of edition {edition_id}'s")
    current = (await following(session, row.chat_id)).get(edition_id)
    mode = current.mode if current is not None else await _mode_of(session, row)
    result: Following | None
    if current is not None and current.sections is None:
        muted = set(current.muted) & sections
        muted ^= {section_id}
        await session.execute(
            delete(Subscription).where(
                Subscription.chat_id == row.chat_id,
                Subscription.edition_id == edition_id,
                Subscription.exclude.is_(True),
            )
        )
        session.add_all(
            Subscription(
                chat_id=row.chat_id, edition_id=edition_id, section_id=s, exclude=True, mode=mode
            )
            for s in sorted(muted)
        )
        result = Following(edition_id, None, mode, frozenset(muted))
    else:
        chosen = set(current.sections or ()) & sections if current is not None else set()
        chosen ^= {section_id}
        await session.execute(
            delete(Subscription).where(
                Subscription.chat_id == row.chat_id, Subscription.edition_id == edition_id
            )
        )
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
        "reader sections chat_id=%s edition_id=%s section_id=%s follows=%s",
        row.chat_id,
        edition_id,
        section_id,
        result is not None and result.follows(section_id),
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
            Subscription.exclude.is_(False),
            Subscription.chat_id.in_(
                select(Subscription.chat_id).where(
                    Subscription.section_id == section.id, Subscription.exclude.is_(False)
                )
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
                "exclude": False,
                "mode": DeliveryMode.INSTANT.value,
                "created_at": now,
            }
            for chat_id in chat_ids
        ],
    )
