"""The outbox in the database: claiming due deliveries under each chat's pacing, recording
outcomes, and taking back what a dead process left ``sending``.

A claim takes at most one row per chat, and only from chats whose pacing allows a message now
(:mod:`bot.outbox.pacing`). Two processes never claim for one chat at once: the claim locks the
chats' rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so a second process takes other chats
instead of waiting; SQLite has one writer at a time) and moves their pacing on in the same
transaction. A claimed row carries its process's lease token (:mod:`bot.storage.leases`), and
its outcome is recorded only while it is still that process's.

A private chat is held while its row is in flight: the claim moves its ``next_at`` on by
:data:`IN_FLIGHT` (longer than any send takes), the outcome's record to one interval after the
answer (or to a flood wait's end), and :func:`recover` frees the chats of the rows it takes
back. So a send slower than the chat's interval never has the next message claimed meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import pacing
from bot.outbox.items import Claimed, Outcome
from bot.services import digests
from bot.services.articles import insert_ignoring_duplicates
from bot.services.readers import mark_unreachable
from bot.services.routing import reader_is_listening
from bot.storage.leases import ProcessLease
from bot.storage.models import Article, Chat, Delivery, DeliveryStatus, Send, Subscriber

log = logging.getLogger("jobs.deliver")

#: A claim of the code before process leases, older than this, belongs to a process that is
#: gone: no send takes this long.
STALE_CLAIM = timedelta(minutes=10)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: A private chat's pacing while its row is in flight: longer than any send takes (its record
#: or its recovery frees the chat).
IN_FLIGHT = timedelta(minutes=10)
#: How many candidates a claim reads per row it may take (rows of one chat are skipped).
_LOOKAHEAD = 4


async def claim(
    session: AsyncSession,
    *,
    token: str,
    limit: int,
    now: datetime,
    article_id: int | None = None,
    bundle_after: int = 0,
    default_language: str | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` due rows, one per chat whose pacing allows a message now.

    With ``bundle_after``, a reader with that many articles waiting at once gets them in one
    message listing them (:func:`bot.services.digests.bundle_waiting`, in
    ``default_language`` for a reader whose language is not known), claimed by the next claim.
    """
    picked = await _candidates(session, limit, now, article_id)
    if not picked:
        return []
    await _cancel_for_readers_gone(session, picked, now)
    if bundle_after and article_id is None:
        for chat in await _with_waiting(session, picked, now, bundle_after):
            listed = await digests.bundle_waiting(
                session,
                int(chat),
                now,
                at_least=bundle_after,
                default_language=default_language,
            )
            if listed:
                del picked[chat]  # its bundle is due now: the next claim takes it
    if not picked:
        return []
    chats = sorted(picked)  # one order for every process: inserts never wait on each other
    await session.execute(
        insert_ignoring_duplicates(session, Chat),
        [{"chat": chat, "next_at": _EPOCH, "tat": _EPOCH} for chat in chats],
    )
    locked = await session.execute(
        select(Chat.chat, Chat.tat)
        .where(Chat.chat.in_(chats), Chat.next_at <= now)
        .with_for_update(skip_locked=True)
    )
    paced = {chat: tat for chat, tat in locked}
    if not paced:
        return []
    ids = [picked[chat] for chat in sorted(paced)]
    taken = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.SENDING,
            claim=token,
            claimed_at=now,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.chat)
        .execution_options(synchronize_session=False)
    )
    slots: list[dict[str, Any]] = []
    for chat in sorted(set(taken.scalars())):  # the chats whose row this claim took
        slot = pacing.after_message(chat, paced[chat], now)
        # A private chat waits for its row's answer (record() paces it from there).
        next_at = now + IN_FLIGHT if pacing.is_private(chat) else slot.next_at
        slots.append({"chat": chat, "next_at": next_at, "tat": slot.tat})
    if not slots:
        return []
    await session.execute(update(Chat), slots)
    rows = await session.execute(
        select(
            Delivery.id,
            Delivery.chat,
            Delivery.kind,
            Delivery.attempts,
            Delivery.created_at,
            Delivery.reason,
            Delivery.html.label("own_html"),
            Chat.moved_to,
            Article.id.label("article_id"),
            Article.post_html,
            Article.post_dm_html,
            Article.image,
            Article.post_style,
            Article.image_file_id,
            Article.revision,
            Send.silent,
        )
        .outerjoin(Chat, Chat.chat == Delivery.chat)
        .outerjoin(Article, Article.id == Delivery.article_id)
        .outerjoin(Send, Send.id == Delivery.send_id)
        .where(
            Delivery.id.in_(ids),
            Delivery.claim == token,
            Delivery.status == DeliveryStatus.SENDING,
        )
        .order_by(Delivery.id)
    )
    return [_claimed(row) for row in rows]


async def _candidates(
    session: AsyncSession, limit: int, now: datetime, article_id: int | None
) -> dict[str, int]:
    """The oldest due row of up to ``limit`` chats whose pacing allows a message now."""
    picked: dict[str, int] = {}
    for _ in range(3):  # a chat with a backlog fills a read: look past it
        due = (
            select(Delivery.id, Delivery.chat)
            .outerjoin(Chat, Chat.chat == Delivery.chat)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                or_(Chat.next_at.is_(None), Chat.next_at <= now),
            )
            # The index's own order (ix_deliveries_status_next_attempt_at_id): the rows due
            # longest first, read from the index up to the limit, where ORDER BY id alone
            # sorted every due row at each claim (quadratic in a fan-out's size).
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit((limit - len(picked)) * _LOOKAHEAD)
        )
        if article_id is not None:
            due = due.where(Delivery.article_id == article_id)
        if picked:
            due = due.where(Delivery.chat.not_in(list(picked)))
        rows = (await session.execute(due)).all()
        for delivery_id, chat in rows:
            if chat not in picked:
                picked[chat] = delivery_id
                if len(picked) >= limit:
                    return picked
        if len(rows) < (limit - len(picked)) * _LOOKAHEAD or len(picked) * 2 >= limit:
            return picked
    return picked


async def _with_waiting(
    session: AsyncSession, picked: dict[str, int], now: datetime, at_least: int
) -> list[str]:
    """The readers among ``picked`` with ``at_least`` articles waiting at once (one query)."""
    readers = [chat for chat in picked if pacing.is_private(chat)]
    if not readers:
        return []
    rows = await session.scalars(
        select(Delivery.chat)
        .where(
            Delivery.chat.in_(readers),
            Delivery.kind == "reader",
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
        )
        .group_by(Delivery.chat)
        .having(func.count() >= at_least)
    )
    return list(rows)


async def _cancel_for_readers_gone(
    session: AsyncSession, picked: dict[str, int], now: datetime
) -> None:
    """Cancel (and drop from ``picked``) the rows of readers who left, paused or became
    unreachable after the rows were queued: on PostgreSQL a poll can queue for a reader whose
    /unsubscribe (or /pause) commits meanwhile, where it could not see the poll's rows to
    cancel them. The rows of a reader who asked /forget meanwhile (no row of theirs is left)
    are deleted: nothing keeps their chat id."""
    readers = {int(chat): chat for chat in picked if pacing.is_private(chat)}
    if not readers:
        return
    rows = await session.execute(
        select(Subscriber.chat_id, Subscriber.subscribed, reader_is_listening(now)).where(
            Subscriber.chat_id.in_(readers)
        )
    )
    staying, known = set(), set()
    for chat_id, subscribed, listening in rows:
        known.add(chat_id)
        if subscribed and listening:
            staying.add(chat_id)
    forgotten = [chat for chat_id, chat in readers.items() if chat_id not in known]
    for chat in forgotten:
        picked.pop(chat)
    if forgotten:
        await session.execute(
            delete(Delivery)
            .where(Delivery.chat.in_(forgotten), Delivery.status != DeliveryStatus.SENDING)
            .execution_options(synchronize_session=False)
        )
    gone = [picked.pop(chat) for chat_id, chat in readers.items() if chat_id in known - staying]
    if gone:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(gone), Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.CANCELLED, error="reader left before it was sent")
            .execution_options(synchronize_session=False)
        )


def _claimed(row: Any) -> Claimed:
    """A claimed row as sent: a digest's own text (no preview), else its article's post (the
    readers' version for a reader)."""
    chat = row.moved_to or row.chat
    plain = row.reason == "parse"
    if row.own_html is not None:
        return Claimed(
            row.id,
            chat,
            row.kind,
            row.attempts,
            row.created_at,
            row.article_id,
            html=row.own_html,
            image=None,
            style="text",  # send_post: sendMessage, link previews off
            plain=plain,
        )
    return Claimed(
        row.id,
        chat,
        row.kind,
        row.attempts,
        row.created_at,
        row.article_id,
        (row.post_dm_html if row.kind == "reader" and row.post_dm_html else None)
        or row.post_html
        or "",
        row.image,
        row.post_style,
        row.image_file_id,
        silent=bool(row.silent) and row.kind == "channel",
        revision=row.revision or 0,
        plain=plain,
    )


async def record(
    session: AsyncSession, outcomes: Sequence[Outcome], *, token: str, now: datetime
) -> set[int]:
    """Write the outcomes of this process's claims; the ids of the rows written.

    A row taken back meanwhile (no longer ``sending`` under ``token``) stays as it is, and so
    do its chat and its reader: its outcome has no effect at all.
    """
    # The rows still this process's, locked (PostgreSQL) until the transaction ends, so a
    # recovery cannot take them back between this read and the writes below (SQLite: one
    # writer at a time). A SELECT, as UPDATE ... RETURNING cannot be an executemany.
    wanted = [delivery_id for outcome in outcomes for delivery_id in (outcome.id, *outcome.bundled)]
    if not wanted:
        return set()
    held = await session.execute(
        select(Delivery.id, Delivery.chat)
        .where(
            Delivery.id.in_(wanted),
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claim == token,
        )
        .with_for_update()
    )
    chat_of: dict[int, str] = {delivery_id: chat for delivery_id, chat in held}
    outcomes = [outcome for outcome in outcomes if outcome.id in chat_of]
    if not outcomes:
        return set()
    rows: list[dict[str, Any]] = []
    for outcome in outcomes:
        values: dict[str, Any] = {
            "status": outcome.status,
            "claim": None,
            "error": outcome.error,
            "reason": outcome.reason,
        }
        if outcome.status == DeliveryStatus.SENT:
            values |= {
                "message_id": outcome.message_id,
                "sent_at": now,
                "revision": outcome.revision,
            }
        if outcome.retry_in is not None:
            values["next_attempt_at"] = now + timedelta(seconds=outcome.retry_in)
        rows.extend(
            {"row": delivery_id} | values
            for delivery_id in (outcome.id, *outcome.bundled)
            if delivery_id in chat_of
        )
    # Core executemany, not the ORM's bulk update by primary key: at 1,000 outcomes a second
    # the ORM's bookkeeping per row cost more than the statement.
    table = cast(Table, Delivery.__table__)
    for keys in {tuple(sorted(row)) for row in rows}:  # executemany needs equal keys
        mine = (
            update(table)
            .where(
                table.c.id == bindparam("row"),
                table.c.status == DeliveryStatus.SENDING,
                table.c.claim == token,
            )
            .values({key: bindparam(f"v_{key}") for key in keys if key != "row"})
        )
        await session.execute(
            mine,
            [
                {("row" if key == "row" else f"v_{key}"): value for key, value in row.items()}
                for row in rows
                if tuple(sorted(row)) == keys
            ],
        )
    # A private chat's next message waits a second from this one's answer, not its claim (a
    # slow answer must not bring the next one closer than Telegram allows): set, not moved
    # on, as the claim held the chat for the time the row was in flight.
    answered = sorted({chat_of[o.id] for o in outcomes if pacing.is_private(chat_of[o.id])})
    if answered:
        later = now + pacing.PRIVATE.interval
        await session.execute(
            update(Chat)
            .where(Chat.chat.in_(answered))
            .values(next_at=later, tat=later)
            .execution_options(synchronize_session=False)
        )
    for outcome in outcomes:
        if outcome.pause_chat is not None or outcome.moved_to is not None:
            await _change_chat(session, chat_of[outcome.id], outcome, now)  # after: it wins
        if outcome.unreachable_chat is not None:
            await mark_unreachable(
                session, outcome.unreachable_chat, outcome.reason or "unreachable"
            )
    return {int(row["row"]) for row in rows}


async def _change_chat(session: AsyncSession, chat: str, outcome: Outcome, now: datetime) -> None:
    values: dict[str, Any] = {}
    if outcome.pause_chat is not None:
        seconds = outcome.pause_chat
        if pacing.is_private(chat):  # never less than the chat's own interval
            seconds = max(seconds, pacing.PRIVATE.interval.total_seconds())
        slot = pacing.paused(None, now, seconds)
        values |= {"next_at": slot.next_at, "tat": slot.tat}
    if outcome.moved_to is not None:
        values["moved_to"] = outcome.moved_to
    await session.execute(
        update(Chat).where(Chat.chat == chat).values(**values),
        execution_options={"synchronize_session": False},
    )


async def recover(session: AsyncSession, lease: ProcessLease, now: datetime) -> list[int]:
    """Take back the rows that processes now dead left ``sending``: a reader's go back to
    ``pending`` (sent again: at least once), a channel's become ``unknown`` (a duplicate would
    be seen by every reader). Returns the ids of the channel rows made unknown."""
    claims = list(
        await session.scalars(
            select(Delivery.claim).where(Delivery.status == DeliveryStatus.SENDING).distinct()
        )
    )
    dead = []
    for token in claims:
        if token == lease.token:
            continue
        if token is None or not ProcessLease.is_lease(token):
            dead.append((token, True))  # older code's claim: only when stale
        elif not await lease.alive(token):
            dead.append((token, False))
    unknown: list[int] = []
    for token, legacy in dead:
        mine = Delivery.status == DeliveryStatus.SENDING
        mine &= Delivery.claim.is_(None) if token is None else Delivery.claim == token
        if legacy:
            mine &= Delivery.claimed_at < now - STALE_CLAIM
        readers = await session.execute(
            update(Delivery)
            .where(mine, Delivery.kind != "channel")
            .values(
                status=DeliveryStatus.PENDING,
                claim=None,
                next_attempt_at=now,
                reason="interrupted",
                error="interrupted while sending: sent again",
            )
            .returning(Delivery.chat)
            .execution_options(synchronize_session=False)
        )
        taken = list(readers.scalars())
        await _release(session, taken, now)
        channels = await session.execute(
            update(Delivery)
            .where(mine, Delivery.kind == "channel")
            .values(
                status=DeliveryStatus.UNKNOWN,
                claim=None,
                reason="interrupted",
                error="interrupted while sending",
            )
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        ids = list(channels.scalars())
        unknown.extend(ids)
        again = len(taken)
        if again or ids:
            log.warning(
                "deliveries interrupted claim=%s resent=%d channel_unknown=%d",
                token,
                again,
                len(ids),
            )
    return unknown


async def _release(session: AsyncSession, chats: Sequence[str], now: datetime) -> None:
    """Free the private chats a claim held for rows now taken back: the next message one
    interval from now (what the dead process sent, it sent before now)."""
    private = sorted({chat for chat in chats if pacing.is_private(chat)})
    if not private:
        return
    later = now + pacing.PRIVATE.interval
    await session.execute(
        update(Chat)
        .where(Chat.chat.in_(private), Chat.next_at > later)
        .values(next_at=later, tat=later)
        .execution_options(synchronize_session=False)
    )


async def next_due_in(session: AsyncSession, now: datetime, article_id: int | None) -> float | None:
    """Seconds until a due row's chat may get it (0: one may be claimed now), or None if no
    row is due."""
    query = (
        select(func.min(func.coalesce(Chat.next_at, _EPOCH)))
        .select_from(Delivery)
        .outerjoin(Chat, Chat.chat == Delivery.chat)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
    )
    if article_id is not None:
        query = query.where(Delivery.article_id == article_id)
    soonest: Any = await session.scalar(query)
    if soonest is None:
        return None
    if isinstance(soonest, str):  # SQLite: COALESCE loses the column's type
        soonest = datetime.fromisoformat(soonest)
    if soonest.tzinfo is None:
        soonest = soonest.replace(tzinfo=UTC)
    return max(float((soonest - now).total_seconds()), 0.0)
