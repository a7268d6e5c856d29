"""The outbox's sender: pending delivery rows → Telegram, under Telegram's rates.

``Outbox.drain(bot)`` claims due rows (at most one per chat per round, and none for a private
chat that got a message less than a second ago: PTB's ``AIORateLimiter`` keeps the overall and
per-group rates but not Telegram's 1 message/s per private chat), sends them, and records each
outcome. A claim is an atomic ``UPDATE … WHERE status='pending'``, so two senders never send the
same row; a row left ``sending`` by a crash becomes ``unknown`` once its claim is older than
:data:`STALE_CLAIM` (so a row another process is sending right now is never touched) and is
never sent again (at most once: a reader may miss one post rather than get it twice). A reader
row whose reader left or became unreachable after it was queued is cancelled, not claimed.

Only as many rows are claimed as are sent at once, and outcomes are recorded after every round,
so a crash leaves at most :attr:`Outbox.concurrency` rows ``unknown``; :meth:`Outbox.stop` ends a
drain between two rounds, so shutting down never waits for a long queue.

Telegram's answers, by PTB type: ``Forbidden`` (blocked, kicked) and "chat not found" make the
reader inactive; ``RetryAfter`` left over after the rate limiter's own retries reschedules the
row after ``retry_after``; where the request cannot have posted anything (connection refused,
connect or pool timeout, a 5xx answer) the row is retried with backoff (at most
:data:`MAX_BACKOFF` apart) until it is :data:`MAX_AGE` old, so an outage of Telegram or of the
network loses nothing; a read or write timeout or a connection lost before the answer may mean
the message did arrive, so the row becomes ``unknown`` and is not resent; any other
``BadRequest`` fails the row and is logged.

Each row is sent as its article was rendered (``articles.post_style``: photo, preview or text);
a reader gets the article's ``post_dm_html`` when it has one, a channel its ``post_html``. A
picture Telegram will not fetch is uploaded once (:class:`bot.posting.Pictures`, one per
outbox) and its file id stored in ``articles.image_file_id``, so the other chats, processes and
restarts send it by file id.

A digest row (``kind="digest"``, :mod:`bot.services.digests`) has no article: its message is
its own ``html``, sent as text without link previews; it is a reader's row in every other way
(one per chat per round, cancelled when the reader left, unreachable marks the reader).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.posting import Pictures, chat_id_for, send_post
from bot.services.readers import mark_unreachable
from bot.services.routing import reader_is_listening
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus, Send, Subscriber, utcnow

log = logging.getLogger(__name__)

#: A delivery that could not be sent for this long (Telegram or the network down) is given up.
MAX_AGE = timedelta(hours=6)
#: The longest wait between two tries of a delivery that could not be sent.
MAX_BACKOFF = 60.0
#: A claim older than this belongs to a process that is gone: no send takes this long.
STALE_CLAIM = timedelta(minutes=10)
PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one private chat


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed delivery with what is needed to send it."""

    id: int
    chat: str
    kind: str
    attempts: int
    created_at: datetime
    article_id: int | None  # None: a digest, whose ``html`` is the delivery's own
    html: str
    image: str | None
    style: str | None = None
    image_file_id: str | None = None
    #: sent without a sound (a channel post in quiet hours).
    silent: bool = False


@dataclass(slots=True)
class Outcome:
    """The result of sending one delivery, as column values for its row."""

    id: int
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    retry_in: float | None = None
    unreachable_chat: int | None = None


@dataclass(slots=True)
class DrainReport:
    """How many deliveries one drain settled, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        key = "retry" if outcome.status == DeliveryStatus.PENDING else outcome.status.value
        self.counts[key] = self.counts.get(key, 0) + 1

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)


def is_private(chat: str) -> bool:
    """Private chats have positive ids; channels and groups are negative or ``@names``."""
    return chat.isdigit()


class Outbox:
    """Drains the deliveries table; one per process, shared by the jobs that kick it."""

    def __init__(
        self,
        db: Database,
        *,
        concurrency: int = 16,
        pictures: Pictures | None = None,
        allow_private_networks: bool = False,
    ) -> None:
        """``pictures`` downloads and remembers pictures Telegram refused; by default one of
        its own whose downloads honour ``allow_private_networks`` (the setting)."""
        self.db = db
        self.concurrency = concurrency
        self.pictures = pictures or Pictures(allow_private_networks=allow_private_networks)
        self._lock = asyncio.Lock()
        self._stopping = False
        self._last_sent: dict[str, float] = {}

    async def recover(self) -> int:
        """Mark rows a stopped process left ``sending`` as ``unknown``; never resend them.

        Only claims older than :data:`STALE_CLAIM`: a row another process (a second ``run`` on
        PostgreSQL, a ``newsbot push``) is sending now is left to it. Each drain calls this.
        """
        async with self.db.session() as session, session.begin():
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.status == DeliveryStatus.SENDING,
                    Delivery.claimed_at < utcnow() - STALE_CLAIM,
                )
                .values(status=DeliveryStatus.UNKNOWN, error="interrupted while sending")
            )
        count = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        if count:
            log.warning("deliveries interrupted count=%d status=unknown", count)
        return count

    def stop(self) -> None:
        """Make a running drain return after its current round; later drains do nothing."""
        self._stopping = True

    async def drain(self, bot: ExtBot[Any], *, article_id: int | None = None) -> DrainReport:
        """Send every due delivery (of ``article_id`` only, if given); return when none is due.

        Waits for a drain already running in this process to finish first.
        """
        report = DrainReport()
        async with self._lock:
            await self.recover()
            await self._drain_once(bot, report, article_id)
        if report.counts:
            log.info("outbox drained %s", " ".join(f"{k}={v}" for k, v in report.counts.items()))
        return report

    async def _drain_once(
        self, bot: ExtBot[Any], report: DrainReport, article_id: int | None
    ) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            claimed, wait = await self._claim(loop.time(), article_id)
            if not claimed:
                if wait is None:
                    return
                await asyncio.sleep(wait)  # rate spacing for a private chat, not a test sleep
                continue

            async def send(item: Claimed) -> Outcome:
                outcome = await self._send(bot, item)
                if is_private(item.chat):
                    self._last_sent[item.chat] = loop.time()
                return outcome

            outcomes = await asyncio.gather(*(send(item) for item in claimed))
            await self._record(outcomes)
            for outcome in outcomes:
                report.add(outcome)

    async def _claim(
        self, now: float, article_id: int | None
    ) -> tuple[list[Claimed], float | None]:
        """Claim due rows, one per chat; else say how long until a spaced-out chat is due."""
        due = select(Delivery.id, Delivery.chat).where(
            Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= utcnow()
        )
        if article_id is not None:
            due = due.where(Delivery.article_id == article_id)
        async with self.db.session() as session, session.begin():
            rows = await session.execute(due.order_by(Delivery.id).limit(self.concurrency * 8))
            chosen: dict[str, int] = {}
            wait: float | None = None
            for delivery_id, chat in rows:
                if chat in chosen:
                    continue
                since = now - self._last_sent.get(chat, float("-inf"))
                if is_private(chat) and since < PRIVATE_CHAT_INTERVAL:
                    remaining = PRIVATE_CHAT_INTERVAL - since
                    wait = remaining if wait is None else min(wait, remaining)
                    continue
                chosen[chat] = delivery_id
                if len(chosen) >= self.concurrency:
                    break
            # Forget chats whose spacing has passed, so the map stays as small as the burst.
            self._last_sent = {
                chat: at for chat, at in self._last_sent.items() if now - at < PRIVATE_CHAT_INTERVAL
            }
            if not chosen:
                return [], wait
            await _cancel_for_readers_gone(session, chosen)
            if not chosen:
                return [], 0.0  # look again at once: more may be due
            token = uuid.uuid4().hex
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(chosen.values()), Delivery.status == DeliveryStatus.PENDING)
                .values(
                    status=DeliveryStatus.SENDING,
                    claim=token,
                    claimed_at=utcnow(),
                    attempts=Delivery.attempts + 1,
                )
            )
            claimed = await session.execute(
                select(
                    Delivery.id,
                    Delivery.chat,
                    Delivery.kind,
                    Delivery.attempts,
                    Delivery.created_at,
                    Delivery.html.label("own_html"),
                    Article.id.label("article_id"),
                    Article.post_html,
                    Article.post_dm_html,
                    Article.image,
                    Article.post_style,
                    Article.image_file_id,
                    Send.silent,
                )
                .outerjoin(Article, Article.id == Delivery.article_id)
                .outerjoin(Send, Send.id == Delivery.send_id)
                .where(Delivery.claim == token)
                .order_by(Delivery.id)
            )
            return [_claimed(row) for row in claimed], None

    async def _send(self, bot: ExtBot[Any], item: Claimed) -> Outcome:
        chat_id = chat_id_for(item.chat)

        async def stored(file_id: str) -> None:
            if item.article_id is not None:
                await self._store_file_id(item.article_id, item.image, file_id)

        try:
            message = await send_post(
                bot,
                chat_id,
                item.html,
                item.image,
                self.pictures,
                style=item.style,
                file_id=item.image_file_id,
                on_upload=stored,
                silent=item.silent,
            )
        except Forbidden as exc:
            return self._unreachable(item, f"forbidden: {exc.message}")
        except RetryAfter as exc:
            seconds = _seconds(exc)
            log.warning("delivery flood-limited delivery_id=%s retry_in=%.0f", item.id, seconds)
            return Outcome(item.id, DeliveryStatus.PENDING, error=str(exc), retry_in=seconds)
        except BadRequest as exc:
            # "chat not found" has no PTB type of its own; it is a BadRequest with this text.
            if "chat not found" in exc.message.lower():
                return self._unreachable(item, f"bad request: {exc.message}")
            log.error(
                "delivery refused delivery_id=%s article_id=%s chat=%s error=%r",
                item.id,
                item.article_id,
                item.chat,
                exc.message,
            )
            return Outcome(item.id, DeliveryStatus.FAILED, error=exc.message)
        except NetworkError as exc:  # TimedOut included
            if _never_arrived(exc):
                return self._retry(item, exc)
            log.warning(
                "delivery answer lost delivery_id=%s chat=%s error=%r: it may have arrived; "
                "not resent",
                item.id,
                item.chat,
                exc.message,
            )
            return Outcome(item.id, DeliveryStatus.UNKNOWN, error=f"answer lost: {exc.message}")
        except TelegramError as exc:
            log.error("delivery failed delivery_id=%s error=%r", item.id, exc.message)
            return Outcome(item.id, DeliveryStatus.FAILED, error=exc.message)
        except Exception as exc:  # a bug must not leave the row 'sending' or stop the round
            log.exception("delivery crashed delivery_id=%s chat=%s", item.id, item.chat)
            return Outcome(item.id, DeliveryStatus.FAILED, error=f"internal error: {exc!r}")
        return Outcome(item.id, DeliveryStatus.SENT, message_id=message.message_id)

    async def _store_file_id(self, article_id: int, image: str | None, file_id: str) -> None:
        """Keep the file id of the article's uploaded picture (while the picture is the same)."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(Article)
                .where(Article.id == article_id, Article.image == image)
                .values(image_file_id=file_id)
            )

    def _retry(self, item: Claimed, exc: NetworkError) -> Outcome:
        """Try again later (the request cannot have posted anything), until MAX_AGE."""
        if utcnow() - item.created_at >= MAX_AGE:
            log.error(
                "delivery given up delivery_id=%s chat=%s attempts=%d error=%r",
                item.id,
                item.chat,
                item.attempts,
                exc.message,
            )
            return Outcome(item.id, DeliveryStatus.FAILED, error=f"network: {exc.message}")
        backoff = min(float(2 ** min(item.attempts, 16)), MAX_BACKOFF)
        log.warning(
            "delivery network error delivery_id=%s attempts=%d retry_in=%.0f error=%r",
            item.id,
            item.attempts,
            backoff,
            exc.message,
        )
        return Outcome(item.id, DeliveryStatus.PENDING, error=exc.message, retry_in=backoff)

    def _unreachable(self, item: Claimed, error: str) -> Outcome:
        if item.kind == "channel":
            log.error(
                "channel unreachable chat=%s error=%r: is the bot an admin of the channel?",
                item.chat,
                error,
            )
            return Outcome(item.id, DeliveryStatus.FAILED, error=error)
        chat = chat_id_for(item.chat)
        return Outcome(
            item.id,
            DeliveryStatus.FAILED,
            error=error,
            unreachable_chat=chat if isinstance(chat, int) else None,
        )

    async def _record(self, outcomes: list[Outcome]) -> None:
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for outcome in outcomes:
            row: dict[str, Any] = {
                "id": outcome.id,
                "status": outcome.status,
                "claim": None,
                "error": outcome.error,
            }
            if outcome.status == DeliveryStatus.SENT:
                row |= {"message_id": outcome.message_id, "sent_at": now}
            if outcome.retry_in is not None:
                row["next_attempt_at"] = now + timedelta(seconds=outcome.retry_in)
            rows.append(row)
        async with self.db.session() as session, session.begin():
            # Only rows still 'sending': one cancelled meanwhile (the reader left) stays so.
            still_sending = (
                update(Delivery)
                .where(Delivery.status == DeliveryStatus.SENDING)
                .execution_options(synchronize_session=None)
            )
            for keys in {tuple(sorted(row)) for row in rows}:  # executemany needs equal keys
                batch = [row for row in rows if tuple(sorted(row)) == keys]
                await session.execute(still_sending, batch)
            for outcome in outcomes:
                if outcome.unreachable_chat is not None:
                    await mark_unreachable(
                        session, outcome.unreachable_chat, outcome.error or "unreachable"
                    )


def _claimed(row: Any) -> Claimed:
    """A claimed row as sent: a digest's own text (no preview), else its article's post (the
    readers' version for a reader)."""
    if row.own_html is not None:
        return Claimed(
            row.id,
            row.chat,
            row.kind,
            row.attempts,
            row.created_at,
            row.article_id,
            html=row.own_html,
            image=None,
            style="text",  # send_post: sendMessage, link previews off
        )
    return Claimed(
        row.id,
        row.chat,
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
    )


def _never_arrived(exc: NetworkError) -> bool:
    """Whether the request behind ``exc`` cannot have posted anything.

    PTB raises a ``NetworkError`` without a cause for a 5xx answer (Telegram refused it), and
    one caused by the httpx error otherwise: only a failed connect or a wait for a pooled
    connection happen before the request is sent; a read or write timeout, or a connection
    closed before the answer, may follow a message that was posted.
    """
    cause = exc.__cause__
    if cause is None:
        return not isinstance(exc, TimedOut)
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


async def _cancel_for_readers_gone(session: AsyncSession, chosen: dict[str, int]) -> None:
    """Cancel (and drop from ``chosen``) the rows of readers (their articles and digests: every
    row to a private chat) who left, paused or became unreachable after the rows were queued: on
    PostgreSQL a poll can queue for a reader whose /unsubscribe (or /pause) commits meanwhile,
    where it could not see the poll's rows to cancel them. The rows of a reader who asked
    /forget meanwhile (no row of theirs is left) are deleted: nothing keeps their chat id."""
    readers = {int(chat): chat for chat in chosen if is_private(chat)}
    if not readers:
        return
    rows = await session.execute(
        select(Subscriber.chat_id, Subscriber.subscribed, reader_is_listening(utcnow())).where(
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
        chosen.pop(chat)
    if forgotten:
        await session.execute(delete(Delivery).where(Delivery.chat.in_(forgotten)))
    gone = [chosen.pop(chat) for chat_id, chat in readers.items() if chat_id in known - staying]
    if gone:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(gone), Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.CANCELLED, error="reader left before it was sent")
        )


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
