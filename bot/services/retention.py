"""Retention: finished deliveries older than DELIVERY_RETENTION_DAYS are deleted, and pacing
rows (``chats``) no send needs any more.

::

    counts = await prune(db, utcnow(), settings.delivery_retention_days)

Deliveries go in batches of :data:`BATCH` ids, each batch its own short write transaction
(:meth:`~bot.storage.db.Database.writing`), so a large prune never holds the database for
long. Only rows in a final state go (:data:`FINAL`); pending, sending and held rows stay
whatever their age. Sends stay too, even once their deliveries are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.storage.db import Database
from bot.storage.models import Chat, Delivery, DeliveryStatus

#: Delivery ids deleted in one transaction.
BATCH = 5000
#: The states a delivery never leaves (``unknown`` waits for an editor, but not for ever).
FINAL = (
    DeliveryStatus.SENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.CANCELLED,
    DeliveryStatus.DIGESTED,
    DeliveryStatus.UNKNOWN,
)
#: A chat's pacing row whose ``next_at`` is older than this no longer slows anything down (the
#: outbox makes it again when the chat next gets a message).
CHAT_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one :func:`prune` deleted."""

    deliveries: int = 0
    chats: int = 0
    #: the transactions the deliveries took.
    batches: int = 0


async def prune(db: Database, now: datetime, days: int, *, batch: int = BATCH) -> Pruned:
    """Delete the deliveries in a :data:`FINAL` state created more than ``days`` days before
    ``now``, ``batch`` ids per transaction, and the ``chats`` rows whose pacing (``next_at`` and
    ``tat``) ended more than :data:`CHAT_MAX_AGE` ago (a group's ``moved_to`` is kept).
    ``days`` 0: nothing is deleted."""
    if days <= 0:
        return Pruned()
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch!r}")
    cutoff = now - timedelta(days=days)
    deliveries = batches = 0
    while True:
        async with db.writing() as session:
            ids = (
                await session.scalars(
                    select(Delivery.id)
                    .where(Delivery.status.in_(FINAL), Delivery.created_at < cutoff)
                    .order_by(Delivery.id)
                    .limit(batch)
                )
            ).all()
            if ids:
                result = await session.execute(
                    delete(Delivery)
                    .where(Delivery.id.in_(ids), Delivery.status.in_(FINAL))
                    .execution_options(synchronize_session=False)
                )
                deliveries += _rowcount(result)
        if not ids:
            break
        batches += 1
        if len(ids) < batch:
            break
    async with db.writing() as session:
        stale = now - CHAT_MAX_AGE
        gone = await session.execute(
            delete(Chat)
            .where(Chat.next_at < stale, Chat.tat < stale, Chat.moved_to.is_(None))
            .execution_options(synchronize_session=False)
        )
        chats = _rowcount(gone)
    return Pruned(deliveries=deliveries, chats=chats, batches=batches)


def _rowcount(result: object) -> int:
    """The rows a DELETE removed."""
    return int(getattr(result, "rowcount", 0) or 0)
