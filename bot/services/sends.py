"""Sends: one publication of an article to its edition, from the editor's preview to the
delivery's summary.

::

    send = await open_draft(session, article_id, requested_by=editor, chat=editor)  # preview
    await publish(session, send.id, by=Decider(editor, "Asha"), now=now, quiet=..., zone=...)
    await schedule(session, send.id, at, by=...)       # the schedule job publishes it then
    await cancel(session, send.id, by=...)
    progress = await progress_of(session, send.id)     # its deliveries, counted

A send moves ``draft → queued`` (Publish), ``draft → scheduled → queued`` (Schedule, then the
job), ``awaiting → queued | skipped`` (approval), ``draft | scheduled → cancelled``; each move
is one conditional UPDATE, so of two editors pressing at once exactly one wins, and the other
is told who did and when (:class:`~bot.errors.SendStateError`). The article itself is a
``draft`` until its send is queued; publishing takes its link (the unique ``published_link``),
so an article already out by another way is refused with when and where it went.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.errors import AlreadyPostedError, SendStateError
from bot.links import link_key
from bot.quiet_hours import QuietHours
from bot.services.articles import chunks, published_links
from bot.services.editions import load_editions
from bot.services.routing import enqueue_many
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    ReviewMessage,
    Send,
    SendStatus,
    utcnow,
)

log = logging.getLogger(__name__)

#: the states an editor's decision can still change.
OPEN = (SendStatus.DRAFT, SendStatus.SCHEDULED, SendStatus.AWAITING)


@dataclass(frozen=True, slots=True)
class Decider:
    """Who decides: an editor's Telegram id and name, or ``None`` for newsbot itself (a
    schedule that came due)."""

    user_id: int | None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """A send's deliveries, counted: ``done`` once none is waiting or being sent."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    waiting: int = 0
    held: int = 0  # digest readers' copies, sent with their digest
    unknown: int = 0

    @property
    def done(self) -> bool:
        return self.waiting == 0

    @property
    def settled(self) -> int:
        return self.total - self.waiting


async def open_draft(
    session: AsyncSession,
    article_id: int,
    *,
    requested_by: int | None,
    chat: int | None = None,
    status: SendStatus = SendStatus.DRAFT,
) -> Send:
    """A new send of the (draft) article, waiting for an editor."""
    edition_id = await session.scalar(select(Article.edition_id).where(Article.id == article_id))
    send = Send(
        article_id=article_id,
        edition_id=edition_id,
        status=status,
        requested_by=requested_by,
        chat=chat,
        paid=False,
        breaking=False,
        silent=False,
        created_at=utcnow(),
    )
    session.add(send)
    await session.flush()
    return send


async def attach_message(session: AsyncSession, send_id: int, chat: int, message_id: int) -> None:
    """The editor's message that shows the send (its preview, later its progress)."""
    await session.execute(
        update(Send).where(Send.id == send_id).values(chat=chat, message_id=message_id)
    )


async def get(session: AsyncSession, send_id: int) -> tuple[Send, Article] | None:
    """A send and its article, or ``None``."""
    row = (
        await session.execute(
            select(Send, Article)
            .join(Article, Article.id == Send.article_id)
            .where(Send.id == send_id)
            # As the database has it now, not as this session saw it before.
            .execution_options(populate_existing=True)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def _refuse(session: AsyncSession, send_id: int) -> SendStateError:
    """The error for a send no longer in the state a move needs: what it is, who, when."""
    found = await get(session, send_id)
    if found is None:
        return SendStateError(send_id, "gone")
    send, _article = found
    editions = await load_editions(session)
    edition = editions.by_id.get(send.edition_id) if send.edition_id else None
    at = send.queued_at if send.status in (SendStatus.QUEUED, SendStatus.DONE) else None
    if send.status == SendStatus.SCHEDULED:
        at = send.not_before
    return SendStateError(
        send_id,
        send.status,
        by=send.decided_by_name,
        at=at,
        channel=edition.channel if edition else None,
    )


async def _move(
    session: AsyncSession,
    send_id: int,
    from_: Sequence[SendStatus],
    to: SendStatus,
    by: Decider,
    *,
    due_by: datetime | None = None,
    **values: object,
) -> None:
    """Move the send from one of ``from_`` to ``to`` (one conditional UPDATE; with ``due_by``
    only a send scheduled for then or before), or raise :class:`SendStateError` saying where
    it is."""
    condition: ColumnElement[bool] = Send.status.in_([s.value for s in from_])
    if due_by is not None:
        condition = (Send.status == SendStatus.SCHEDULED) & (Send.not_before <= due_by)
    result = await session.execute(
        update(Send)
        .where(Send.id == send_id, condition)
        .values(status=to, decided_by=by.user_id, decided_by_name=by.name, **values)
        # Not "evaluate": a row another process moved meanwhile must not look moved here.
        .execution_options(synchronize_session=False)
    )
    if (result.rowcount or 0) == 0:  # type: ignore[attr-defined]
        raise await _refuse(session, send_id)


async def _already_out(session: AsyncSession, article: Article) -> AlreadyPostedError | None:
    """The error for an article whose link went out as another article, if it did."""
    links = await published_links(session, [article.link])
    other = next((a for a in links.values() if a != article.id), None)
    if other is None:
        return None
    return await already_posted(session, article.link or "", other)


async def already_posted(session: AsyncSession, link: str, article_id: int) -> AlreadyPostedError:
    """:class:`AlreadyPostedError` for ``article_id``, with when and where it went out."""
    row = (
        await session.execute(
            select(Send.queued_at, Send.edition_id)
            .where(Send.article_id == article_id, Send.queued_at.is_not(None))
            .order_by(Send.queued_at)
            .limit(1)
        )
    ).first()
    published = await session.scalar(select(Article.published_at).where(Article.id == article_id))
    editions = await load_editions(session)
    edition_id = row[1] if row else None
    if edition_id is None:
        edition_id = await session.scalar(
            select(Article.edition_id).where(Article.id == article_id)
        )
    edition = editions.by_id.get(edition_id) if edition_id else None
    return AlreadyPostedError(
        link,
        article_id,
        at=row[0] if row else published,
        channel=edition.channel if edition else None,
    )


async def publish(
    session: AsyncSession,
    send_id: int,
    *,
    by: Decider,
    now: datetime | None = None,
    quiet: QuietHours | None = None,
    zone: ZoneInfo | None = None,
    due_by: datetime | None = None,
) -> int:
    """Publish the send now (with ``due_by``, the schedule job's: only if it is still
    scheduled for then or before, not moved meanwhile): its article is published and its
    deliveries queued (the channel's without a sound in ``quiet`` hours of ``zone``, unless
    it is Breaking). How many deliveries were queued.

    Raises :class:`SendStateError` when the send was decided already (published, scheduled
    by someone else, cancelled, skipped), :class:`AlreadyPostedError` when its article's link
    went out as another article.
    """
    now = now or utcnow()
    found = await get(session, send_id)
    if found is None:
        raise SendStateError(send_id, "gone")
    send, article = found
    if send.status not in OPEN:
        raise await _refuse(session, send_id)
    if article.status == ArticleStatus.PUBLISHED:
        raise await already_posted(session, article.link or article.key, article.id)
    clash = await _already_out(session, article)
    if clash is not None:
        raise clash
    silent = bool(quiet and zone and quiet.contains(now, zone) and not send.breaking)
    await _move(
        session,
        send_id,
        OPEN,
        SendStatus.QUEUED,
        by,
        due_by=due_by,
        queued_at=now,
        silent=silent,
    )
    try:
        async with session.begin_nested():  # the link is taken by whoever comes first
            taken = await session.execute(
                update(Article)
                # Not already out by another send of the same article.
                .where(Article.id == article.id, Article.status != ArticleStatus.PUBLISHED)
                .values(
                    status=ArticleStatus.PUBLISHED,
                    published_link=link_key(article.link),
                    published_at=article.published_at or now,
                )
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        raise (await _already_out(session, article)) or AlreadyPostedError(
            article.link or article.key, article.id
        ) from None
    if (taken.rowcount or 0) == 0:  # type: ignore[attr-defined]
        raise await already_posted(session, article.link or article.key, article.id)
    queued = await enqueue_many(session, [article.id], send_ids={article.id: send_id})
    log.info(
        "article published send_id=%s article_id=%s by=%s deliveries=%d silent=%s",
        send_id,
        article.id,
        by.user_id,
        queued,
        silent,
    )
    return queued


async def schedule(session: AsyncSession, send_id: int, at: datetime, *, by: Decider) -> None:
    """Publish the send at ``at`` (a draft, or a send scheduled before: rescheduled)."""
    await _move(
        session,
        send_id,
        (SendStatus.DRAFT, SendStatus.SCHEDULED),
        SendStatus.SCHEDULED,
        by,
        not_before=at,
    )
    log.info("send scheduled send_id=%s at=%s by=%s", send_id, at.isoformat(), by.user_id)


async def unschedule(session: AsyncSession, send_id: int, *, by: Decider) -> None:
    """Take a scheduled send off the schedule: a draft again, to publish, reschedule or cancel."""
    await _move(session, send_id, (SendStatus.SCHEDULED,), SendStatus.DRAFT, by, not_before=None)
    log.info("send unscheduled send_id=%s by=%s", send_id, by.user_id)


async def cancel(session: AsyncSession, send_id: int, *, by: Decider) -> None:
    """Cancel a draft or a scheduled send; its article stays unpublished."""
    await _move(
        session, send_id, (SendStatus.DRAFT, SendStatus.SCHEDULED), SendStatus.CANCELLED, by
    )
    log.info("send cancelled send_id=%s by=%s", send_id, by.user_id)


async def skip(session: AsyncSession, send_id: int, *, by: Decider) -> None:
    """Skip an article awaiting approval: it is not published."""
    await _move(session, send_id, (SendStatus.AWAITING,), SendStatus.SKIPPED, by)
    log.info("send skipped send_id=%s by=%s", send_id, by.user_id)


async def set_breaking(session: AsyncSession, send_id: int, breaking: bool) -> None:
    """Mark (or unmark) a send still open as Breaking: its channel post always rings."""
    result = await session.execute(
        update(Send)
        .where(Send.id == send_id, Send.status.in_([s.value for s in OPEN]))
        .values(breaking=breaking)
    )
    if (result.rowcount or 0) == 0:  # type: ignore[attr-defined]
        raise await _refuse(session, send_id)


async def due(session: AsyncSession, now: datetime) -> list[int]:
    """The scheduled sends whose time has come, oldest first."""
    return list(
        await session.scalars(
            select(Send.id)
            .where(Send.status == SendStatus.SCHEDULED, Send.not_before <= now)
            .order_by(Send.not_before, Send.id)
        )
    )


async def waiting(session: AsyncSession) -> list[tuple[Send, Article]]:
    """The scheduled sends, soonest first, with their articles (``/scheduled``)."""
    rows = await session.execute(
        select(Send, Article)
        .join(Article, Article.id == Send.article_id)
        .where(Send.status == SendStatus.SCHEDULED)
        .order_by(Send.not_before, Send.id)
    )
    return [(send, article) for send, article in rows]


async def hold_for_approval(session: AsyncSession, article_ids: Sequence[int]) -> list[int]:
    """Keep these just-stored articles from going out: each becomes a draft with a send
    awaiting an editor's Publish or Skip. The new sends' ids."""
    if not article_ids:
        return []
    for chunk in chunks(article_ids):
        await session.execute(
            update(Article)
            .where(Article.id.in_(chunk))
            .values(status=ArticleStatus.DRAFT, published_link=None)
        )
    ids = []
    for article_id in article_ids:
        send = await open_draft(session, article_id, requested_by=None, status=SendStatus.AWAITING)
        ids.append(send.id)
    return ids


async def unreviewed(session: AsyncSession) -> list[int]:
    """Sends awaiting approval that no editor was shown (the process stopped before, or no
    editor could be reached): shown again by the administrators' job."""
    shown = select(ReviewMessage.send_id).where(ReviewMessage.send_id == Send.id).exists()
    return list(
        await session.scalars(
            select(Send.id).where(Send.status == SendStatus.AWAITING, ~shown).order_by(Send.id)
        )
    )


async def progress_of(session: AsyncSession, send_id: int) -> Progress:
    """How the send's deliveries stand."""
    counts: dict[str, int] = {}
    blocked = 0
    forbidden = func.sum(case((Delivery.error.like("forbidden%"), 1), else_=0))
    for status, count, refused in await session.execute(
        select(Delivery.status, func.count(), forbidden)
        .where(Delivery.send_id == send_id)
        .group_by(Delivery.status)
    ):
        counts[status] = counts.get(status, 0) + count
        if status == DeliveryStatus.FAILED:
            blocked += int(refused or 0)
    total = sum(counts.values())
    return Progress(
        total=total,
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0) - blocked,
        blocked=blocked + counts.get(DeliveryStatus.CANCELLED, 0),
        waiting=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        held=counts.get(DeliveryStatus.HELD, 0) + counts.get(DeliveryStatus.DIGESTED, 0),
        unknown=counts.get(DeliveryStatus.UNKNOWN, 0),
    )


async def watched(session: AsyncSession) -> list[Send]:
    """Queued sends with an editor's message to keep up to date (their progress)."""
    return list(
        await session.scalars(
            select(Send)
            .where(Send.status == SendStatus.QUEUED, Send.message_id.is_not(None))
            .order_by(Send.id)
        )
    )


async def finish(session: AsyncSession, send_id: int, now: datetime) -> bool:
    """Mark a queued send done (every delivery settled); False if it was not queued."""
    result = await session.execute(
        update(Send)
        .where(Send.id == send_id, Send.status == SendStatus.QUEUED)
        .values(status=SendStatus.DONE, finished_at=now)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def mark_progress(session: AsyncSession, send_id: int, now: datetime) -> None:
    """The progress message was edited at ``now``."""
    await session.execute(update(Send).where(Send.id == send_id).values(progress_at=now))


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """A send's post to its edition's channel: the channel and its delivery's status (a
    :class:`~bot.storage.models.DeliveryStatus` value) and error."""

    chat: str
    status: str
    error: str | None = None

    @property
    def waiting(self) -> bool:
        return self.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)

    @property
    def failed(self) -> bool:
        """Refused for good (a channel's "forbidden" is the bot's rights, not a reader's
        block)."""
        return self.status == DeliveryStatus.FAILED


@dataclass(frozen=True, slots=True)
class Tally:
    """A send's deliveries counted apart: its readers' (counted as :func:`progress_of` counts)
    and its channel post (``None``: its edition has no channel)."""

    readers: Progress
    channel: ChannelPost | None = None

    @property
    def done(self) -> bool:
        return self.readers.done and not (self.channel and self.channel.waiting)

    @property
    def troubled(self) -> bool:
        """Whether the editors should hear of it: readers' deliveries failed (not blocked), or
        the channel post did."""
        return self.readers.failed > 0 or bool(self.channel and self.channel.failed)


def _readers_progress(rows: Sequence[tuple[str, bool | None, int]]) -> Progress:
    """(status, error is "forbidden…", count) rows → :class:`Progress`, as :func:`progress_of`."""
    counts: dict[str, int] = {}
    blocked = 0
    for status, forbidden, count in rows:
        counts[status] = counts.get(status, 0) + count
        if status == DeliveryStatus.FAILED and forbidden:
            blocked += count
    return Progress(
        total=sum(counts.values()),
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0) - blocked,
        blocked=blocked + counts.get(DeliveryStatus.CANCELLED, 0),
        waiting=counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0),
        held=counts.get(DeliveryStatus.HELD, 0) + counts.get(DeliveryStatus.DIGESTED, 0),
        unknown=counts.get(DeliveryStatus.UNKNOWN, 0),
    )


async def tally(session: AsyncSession, send_id: int) -> Tally:
    """How the send's readers' deliveries and its channel post stand (two queries)."""
    forbidden = Delivery.error.like("forbidden%")
    rows = await session.execute(
        select(Delivery.status, forbidden, func.count())
        .where(Delivery.send_id == send_id, Delivery.kind != "channel")
        .group_by(Delivery.status, forbidden)
    )
    post = (
        await session.execute(
            select(Delivery.chat, Delivery.status, Delivery.error)
            .where(Delivery.send_id == send_id, Delivery.kind == "channel")
            .order_by(Delivery.id)
            .limit(1)
        )
    ).first()
    return Tally(
        readers=_readers_progress([(s, f, n) for s, f, n in rows]),
        channel=ChannelPost(post[0], post[1], post[2]) if post else None,
    )


async def claim_progress(
    session: AsyncSession, send_id: int, now: datetime, every: timedelta
) -> bool:
    """Take the turn to edit a queued send's progress message at ``now`` (one conditional
    UPDATE of ``progress_at``): False when it was edited less than ``every`` ago, by this
    process or another, or the send is no longer queued."""
    result = await session.execute(
        update(Send)
        .where(
            Send.id == send_id,
            Send.status == SendStatus.QUEUED,
            or_(Send.progress_at.is_(None), Send.progress_at <= now - every),
        )
        .values(progress_at=now)
    )
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


def _settled() -> ColumnElement[bool]:
    """A queued send with no editor's message none of whose deliveries waits or is being
    sent."""
    waiting = (
        select(Delivery.id)
        .where(
            Delivery.send_id == Send.id,
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
        )
        .exists()
    )
    return (Send.status == SendStatus.QUEUED) & Send.message_id.is_(None) & ~waiting


async def any_settled(session: AsyncSession) -> bool:
    """Whether :func:`finish_settled` has a send to finish (a read: no write transaction is
    opened for nothing)."""
    found = await session.scalar(select(Send.id).where(_settled()).limit(1))
    return found is not None


async def finish_settled(session: AsyncSession, now: datetime) -> list[int]:
    """Mark done, in one UPDATE, every queued send with no editor's message (a feed's own
    publication, a push from the shell) none of whose deliveries is waiting or being sent; the
    ids of those this call finished (another process's call finishes the others)."""
    result = await session.execute(
        update(Send)
        .where(_settled())
        .values(status=SendStatus.DONE, finished_at=now)
        .returning(Send.id)
    )
    return sorted(result.scalars())


@dataclass(frozen=True, slots=True)
class Trouble:
    """A finished send that went wrong somewhere: its article, how many readers' deliveries
    failed (not blocked), and its channel post's error if that failed."""

    send_id: int
    article_id: int
    title: str
    failed: int = 0
    channel: str | None = None
    channel_error: str | None = None


async def troubles(session: AsyncSession, send_ids: Sequence[int]) -> list[Trouble]:
    """Which of ``send_ids`` had readers' deliveries fail (not blocked) or their channel post
    fail, by send; the others are left out (a few queries per thousand sends)."""
    failed: dict[int, int] = {}
    channel: dict[int, tuple[str | None, str | None]] = {}
    not_blocked = or_(Delivery.error.is_(None), ~Delivery.error.like("forbidden%"))
    for chunk in chunks(send_ids):
        rows = await session.execute(
            select(Delivery.send_id, Delivery.chat, Delivery.error)
            .where(
                Delivery.send_id.in_(chunk),
                Delivery.status == DeliveryStatus.FAILED,
                Delivery.kind == "channel",
            )
            .order_by(Delivery.id)
        )
        for send_id, chat, error in rows:
            if send_id is not None:
                channel.setdefault(send_id, (chat, error))
        for send_id, count in await session.execute(
            select(Delivery.send_id, func.count())
            .where(
                Delivery.send_id.in_(chunk),
                Delivery.status == DeliveryStatus.FAILED,
                Delivery.kind != "channel",
                not_blocked,
            )
            .group_by(Delivery.send_id)
        ):
            if send_id is not None:
                failed[send_id] = count
    ids = sorted(set(failed) | set(channel))
    found: list[Trouble] = []
    for chunk in chunks(ids):
        for send_id, article_id, title in await session.execute(
            select(Send.id, Article.id, Article.title)
            .join(Article, Article.id == Send.article_id)
            .where(Send.id.in_(chunk))
            .order_by(Send.id)
        ):
            post, why = channel.get(send_id) or (None, None)
            found.append(Trouble(send_id, article_id, title, failed.get(send_id, 0), post, why))
    return found
