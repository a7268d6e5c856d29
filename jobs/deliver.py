"""The outbox's sender: pending delivery rows → Telegram, at Telegram's limits, losing nothing.

A drain is a claimer, N senders and a recorder, in a stream rather than rounds:

* the **claimer** claims due rows into free sending slots (:func:`bot.outbox.claims.claim`:
  one row per chat whose pacing allows a message now, pacing kept in the ``chats`` table so
  every process sharing the database paces each chat together);
* each claimed row is sent at once (at most :attr:`Outbox.concurrency` in flight), through
  :func:`bot.posting.send_post` and the bot's rate limiter (30 messages/s overall, or
  ``BROADCAST_RATE`` with ``PAID_BROADCAST``);
* the **recorder** writes the outcomes in batches, one transaction for all that finished
  meanwhile; a slot is free again only once its outcome is written.

So at most :attr:`Outbox.concurrency` rows of a process are ``sending`` at any moment, and that
bounds what a crash can do: the rows carry the process's lease token
(:class:`bot.storage.leases.ProcessLease`), and every drain of any process sharing the
database takes back the rows of a process that died (:func:`bot.outbox.claims.recover`, at its
start and every :data:`RECOVER_EVERY` seconds while it runs): a
reader's row is sent again (a reader may get a duplicate of what was in flight, never miss an
article), a channel's becomes ``unknown`` and the editors are told, with a Resend button (a
duplicate in the channel would be seen by every reader). Before each claim the drain makes sure
its lease is still held (:meth:`~bot.storage.leases.ProcessLease.renew`: a PostgreSQL lease's
connection may drop), and ends if it is not: rows are never claimed under a lease not held.

A database error in a claim or a record is tried again :data:`DB_RETRIES` times, after a short
backoff; a claim that keeps failing ends the drain (what is in flight is still sent and
recorded), a record that keeps failing leaves its rows ``sending`` under the lease, taken back
once it ends.

Telegram's answers, by type: :mod:`bot.outbox.answers`. A row whose reader left or became
unreachable after it was queued is cancelled, not claimed.

Each row is sent as its article was rendered (``articles.post_style``: photo, preview or text);
a reader gets the article's ``post_dm_html`` when it has one, a channel its ``post_html``. A
picture Telegram will not fetch is uploaded once (:class:`bot.posting.Pictures`, one per
outbox) and its file id stored in ``articles.image_file_id``. A digest row (``kind="digest"``)
has no article: its message is its own ``html``, sent as text without link previews.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from telegram import LinkPreviewOptions
from telegram.ext import ExtBot

from bot import metrics
from bot.formatting.telegram_html import TelegramHTMLError, parse_telegram_html
from bot.outbox import answers, claims
from bot.outbox.answers import MAX_AGE, MAX_BACKOFF
from bot.outbox.claims import STALE_CLAIM
from bot.outbox.items import Claimed, Outcome
from bot.outbox.pacing import is_private
from bot.posting import Pictures, chat_id_for, send_post
from bot.storage.db import Database
from bot.storage.leases import ProcessLease
from bot.storage.models import Article, DeliveryStatus, utcnow

__all__ = [
    "MAX_AGE",
    "MAX_BACKOFF",
    "STALE_CLAIM",
    "Claimed",
    "DrainReport",
    "Outbox",
    "Outcome",
    "is_private",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A drain waits for a chat's pacing this long at most; a longer wait (a flood wait) is left
#: to the next drain (the deliver job sweeps every few seconds).
MAX_PACING_WAIT = 3.5
#: The recorder writes at most this many outcomes in one transaction.
RECORD_BATCH = 500
#: The recorder waits up to RECORD_GATHER seconds for a write's worth of outcomes: one in
#: RECORD_GATHER_PART of the sending slots (a slot is free again once its outcome is written).
RECORD_GATHER = 0.02
RECORD_GATHER_PART = 8
#: A drain takes back the rows dead processes left ``sending`` at its start and this often
#: (seconds) while it runs.
RECOVER_EVERY = 5.0
#: A claim or a record that failed on the database is tried again this many times, after
#: DB_BACKOFF seconds, then twice that, and so on.
DB_RETRIES = 4
DB_BACKOFF = 0.1
#: The errors of a database that failed for a while (locked, restarted, a connection lost).
_TRANSIENT = (DBAPIError, PoolTimeoutError, OSError)

#: Told of the channel deliveries whose fate is unknown (ids): the editors are asked.
OnUnknown = Callable[[list[int]], Awaitable[None]]


@dataclass(slots=True)
class DrainReport:
    """How many deliveries one drain settled, by outcome."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        key = "retry" if outcome.status == DeliveryStatus.PENDING else outcome.status.value
        self.counts[key] = self.counts.get(key, 0) + 1 + len(outcome.bundled)

    @property
    def sent(self) -> int:
        return self.counts.get("sent", 0)


class Outbox:
    """Drains the deliveries table; one per process, shared by the jobs that kick it."""

    def __init__(
        self,
        db: Database,
        *,
        concurrency: int = 16,
        pictures: Pictures | None = None,
        allow_private_networks: bool = False,
        paid: bool = False,
        on_unknown: OnUnknown | None = None,
        bundle_after: int = 0,
        default_language: str | None = None,
    ) -> None:
        """``concurrency`` messages in flight at most; ``paid`` sends them as paid broadcasts;
        ``pictures`` downloads and remembers pictures Telegram refused (by default one of its
        own, whose downloads honour ``allow_private_networks``); ``on_unknown`` is told of
        channel posts whose fate is unknown; a reader with ``bundle_after`` articles waiting at
        once gets one message listing them (in ``default_language`` if theirs is not known)."""
        self.db = db
        self.concurrency = concurrency
        self.paid = paid
        self.pictures = pictures or Pictures(allow_private_networks=allow_private_networks)
        self.on_unknown = on_unknown
        self.bundle_after = bundle_after
        self.default_language = default_language
        self._lock = asyncio.Lock()
        self._stopping = False

    def stop(self) -> None:
        """Make a running drain stop claiming (what is in flight is finished and recorded);
        later drains do nothing."""
        self._stopping = True

    async def recover(self, lease: ProcessLease | None = None) -> list[int]:
        """Take back the rows dead processes left ``sending`` (see the module docstring); the
        channel rows made ``unknown``, whose editors are told. Each drain calls this."""
        own = lease is None
        if lease is None:
            lease = await ProcessLease.acquire(self.db)
        try:
            async with self.db.writing() as session:
                unknown = await claims.recover(session, lease, utcnow())
        finally:
            if own:
                await lease.close()
        if unknown:
            await self._tell_unknown(unknown)
        return unknown

    async def drain(self, bot: ExtBot[Any], *, article_id: int | None = None) -> DrainReport:
        """Send every due delivery (of ``article_id`` only, if given); return when none is due.

        Waits for a drain already running in this process to finish first.
        """
        report = DrainReport()
        async with self._lock:
            if self._stopping:
                return report
            lease = await ProcessLease.acquire(self.db)
            try:
                await _Drain(self, bot, lease, report, article_id).run()  # recovers first
            finally:
                await lease.close()
        if report.counts:
            log.info("outbox drained %s", " ".join(f"{k}={v}" for k, v in report.counts.items()))
        return report

    async def _tell_unknown(self, ids: list[int]) -> None:
        if self.on_unknown is None:
            return
        try:
            await self.on_unknown(ids)
        except Exception:  # telling must not stop the outbox
            log.exception("editors not told of unknown channel posts ids=%s", ids)

    async def send(self, bot: ExtBot[Any], item: Claimed) -> Outcome:
        """Send one claimed delivery; its outcome (never raises). Its time and a flood wait
        are counted in :mod:`bot.metrics`."""
        started = time.perf_counter()
        outcome = await self._send_one(bot, item)
        metrics.SEND_SECONDS.labels(kind=item.kind).observe(time.perf_counter() - started)
        if outcome.reason == "flood":
            metrics.RATE_LIMITED.inc()
        return outcome

    async def _send_one(self, bot: ExtBot[Any], item: Claimed) -> Outcome:

        async def stored(file_id: str) -> None:
            if item.article_id is not None:
                await self._store_file_id(item.article_id, item.image, file_id)

        try:
            if item.plain:  # Telegram could not parse the HTML: the words alone, once
                message = await bot.send_message(
                    chat_id_for(item.chat),
                    _plain_text(item.html),
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    disable_notification=item.silent,
                    allow_paid_broadcast=self.paid or None,
                )
            else:
                message = await send_post(
                    bot,
                    chat_id_for(item.chat),
                    item.html,
                    item.image,
                    self.pictures,
                    style=item.style,
                    file_id=item.image_file_id,
                    on_upload=stored,
                    silent=item.silent,
                    paid=self.paid,
                )
        except Exception as exc:
            return answers.answer(item, exc, utcnow())
        return answers.sent(item, message.message_id)

    async def _store_file_id(self, article_id: int, image: str | None, file_id: str) -> None:
        """Keep the file id of the article's uploaded picture (while the picture is the same)."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(Article)
                .where(Article.id == article_id, Article.image == image)
                .values(image_file_id=file_id)
            )


class _GiveUp(Exception):
    """The database kept failing, or the lease is lost: the drain claims no more."""


class _Drain:
    """One drain: the claimer (this coroutine), the senders (a task each) and the recorder."""

    def __init__(
        self,
        outbox: Outbox,
        bot: ExtBot[Any],
        lease: ProcessLease,
        report: DrainReport,
        article_id: int | None,
    ) -> None:
        self.outbox = outbox
        self.bot = bot
        self.lease = lease
        self.token = lease.token
        self.report = report
        self.article_id = article_id
        #: claimed and not yet recorded: the slots in use.
        self.busy = 0
        self.finished: list[Outcome] = []
        self.wake_recorder = asyncio.Event()
        self.enough = asyncio.Event()  # enough outcomes finished for one write
        self.slot_free = asyncio.Event()
        self.unknown: list[int] = []
        self.closing = False
        self.loop = asyncio.get_running_loop()
        self.recover_at = self.loop.time()  # the first claim recovers first

    async def run(self) -> None:
        recorder = asyncio.create_task(self._record_loop())
        senders: set[asyncio.Task[None]] = set()
        try:
            await self._claim_loop(senders)
        finally:
            if senders:
                await asyncio.gather(*senders, return_exceptions=True)
            self.closing = True
            self.wake_recorder.set()
            self.enough.set()
            await recorder  # writes what is left, then returns
        if self.unknown:
            await self.outbox._tell_unknown(self.unknown)

    async def _claim_loop(self, senders: set[asyncio.Task[None]]) -> None:
        outbox = self.outbox
        capacity = outbox.concurrency
        # Claim in batches of a quarter of the slots at least, so each claim is worth its
        # transaction (but a small outbox claims what is free).
        batch = max(1, capacity // 4)
        idle = 0  # looks in a row that found rows due now but claimed none
        while not outbox._stopping:
            try:
                if self.loop.time() >= self.recover_at:
                    await self._retrying("recovery", self._recover)
                free = capacity - self.busy
                if free < batch and self.busy:
                    await self._wait_slot()
                    continue
                claimed = await self._retrying("claim", functools.partial(self._claim, free))
            except _GiveUp:
                return
            if claimed:
                idle = 0
                self.busy += len(claimed)
                for item in claimed:
                    task = asyncio.create_task(self._send(item))
                    senders.add(task)
                    task.add_done_callback(senders.discard)
                continue
            if self.busy:  # their outcomes may make more due (a retry, a migrated chat)
                await self._wait_slot()
                continue
            try:
                wait = await self._retrying("pacing read", self._next_due_in)
            except _GiveUp:
                return
            if wait is None or wait > MAX_PACING_WAIT:
                return
            if wait == 0:
                # Due now but not claimed: made due meanwhile (look again), or its chat is
                # being sent to by another process (whose the row is).
                idle += 1
                if idle > 1:
                    return
                continue
            idle = 0
            await asyncio.sleep(wait)  # a chat's pacing (at most 3.5 s), not a test sleep

    async def _recover(self) -> None:
        await self.outbox.recover(self.lease)
        self.recover_at = self.loop.time() + RECOVER_EVERY

    async def _claim(self, limit: int) -> list[Claimed]:
        if not await self.lease.renew():
            log.error("outbox drain ends: its process lease is lost token=%s", self.token)
            raise _GiveUp
        outbox = self.outbox
        async with outbox.db.writing() as session:
            return await claims.claim(
                session,
                token=self.token,
                limit=limit,
                now=utcnow(),
                article_id=self.article_id,
                bundle_after=outbox.bundle_after,
                default_language=outbox.default_language,
            )

    async def _next_due_in(self) -> float | None:
        async with self.outbox.db.session() as session:
            return await claims.next_due_in(session, utcnow(), self.article_id)

    async def _retrying(
        self,
        what: str,
        call: Callable[[], Awaitable[T]],
        errors: tuple[type[Exception], ...] = _TRANSIENT,
        *,
        until_stopped: bool = True,
    ) -> T:
        """``call()``, tried again after one of ``errors`` with a growing backoff; _GiveUp when
        it keeps failing (or, ``until_stopped``, once the outbox is stopping)."""
        for attempt in range(DB_RETRIES + 1):
            try:
                return await call()
            except errors as exc:
                if attempt == DB_RETRIES or (until_stopped and self.outbox._stopping):
                    log.error(
                        "outbox %s given up attempts=%d error=%s",
                        what,
                        attempt + 1,
                        _first_line(exc),
                    )
                    raise _GiveUp from exc
                delay = DB_BACKOFF * 2**attempt
                log.warning(
                    "outbox %s failed, again in %.2fs attempt=%d error=%s",
                    what,
                    delay,
                    attempt + 1,
                    _first_line(exc),
                )
                await asyncio.sleep(delay)  # a backoff, not a test sleep
        raise AssertionError("unreachable")  # pragma: no cover

    async def _wait_slot(self) -> None:
        """Until a slot is free, or the next recovery is due (rows of dead processes are
        taken back while every slot is busy too)."""
        self.slot_free.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self.slot_free.wait(), max(self.recover_at - self.loop.time(), 0.0)
            )

    async def _send(self, item: Claimed) -> None:
        # Whatever happens, the slot gets an outcome: a sender that ended without one would
        # leave the claimer waiting for its slot for ever.
        try:
            outcome = await self.outbox.send(self.bot, item)
        except BaseException as exc:
            log.error("delivery crashed delivery_id=%s chat=%s", item.id, item.chat, exc_info=exc)
            outcome = Outcome(
                item.id,
                DeliveryStatus.FAILED,
                error=f"internal error: {exc!r}",
                reason="internal",
                chat=item.chat,
            )
            if not isinstance(exc, Exception):
                self.finished.append(outcome)
                self.wake_recorder.set()
                raise
        self.finished.append(outcome)
        self.wake_recorder.set()
        if len(self.finished) >= self.outbox.concurrency // RECORD_GATHER_PART:
            self.enough.set()

    async def _record_loop(self) -> None:
        gather = max(1, self.outbox.concurrency // RECORD_GATHER_PART)
        while not (self.closing and not self.finished):
            await self.wake_recorder.wait()
            self.wake_recorder.clear()
            if len(self.finished) < gather and not self.closing:
                # A transaction per few outcomes costs more than the outcomes: give the others
                # in flight a moment to finish, so each write takes many.
                self.enough.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.enough.wait(), RECORD_GATHER)
            await self._record_finished()

    async def _record_finished(self) -> None:
        while self.finished:
            batch, self.finished = self.finished[:RECORD_BATCH], self.finished[RECORD_BATCH:]
            recorded: set[int] = set()
            try:
                recorded = await self._write(batch)
            finally:  # written or given up, the slots are free again
                for outcome in batch:
                    if outcome.id not in recorded:
                        continue  # taken back meanwhile, or not written
                    self.report.add(outcome)
                    if outcome.status == DeliveryStatus.UNKNOWN:
                        self.unknown.append(outcome.id)
                self.busy -= len(batch)
                self.slot_free.set()

    async def _write(self, batch: list[Outcome]) -> set[int]:
        """Record ``batch``, tried again after an error; the ids written (none if it kept
        failing: the rows stay 'sending' under this lease and are taken back once it ends)."""

        async def write() -> set[int]:
            async with self.outbox.db.writing() as session:
                return await claims.record(session, batch, token=self.token, now=utcnow())

        try:
            # Any error: what is not written is sent again (readers) or asked about (channels).
            return await self._retrying(
                f"record of {len(batch)} outcomes", write, (Exception,), until_stopped=False
            )
        except _GiveUp:
            return set()


def _first_line(exc: BaseException) -> str:
    """An error in one line (SQLAlchemy's go on with the statement and a link)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def _plain_text(post: str) -> str:
    """A post's words without its markup, as Telegram would show them."""
    try:
        return parse_telegram_html(post, strict=False).text or post
    except TelegramHTMLError:
        return html.unescape(re.sub(r"<[^>]*>", "", post))
