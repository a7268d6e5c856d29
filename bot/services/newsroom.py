"""What the console's Articles pages read: the recent articles with where each went, one
article with its sends and deliveries, and the sends waiting for an editor.

Every count is one aggregate query over the articles shown (deliveries grouped by article,
kind and status through the ``(article_id, chat)`` unique index), never a row per reader.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    Article,
    Delivery,
    DeliveryStatus,
    Edition,
    Feed,
    Send,
    SendStatus,
)

#: Articles a page of the list shows.
PAGE_SIZE = 50
#: Sends waiting for an editor that the Articles page lists (the oldest first).
OPEN_LIMIT = 100

_WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
_HELD = (DeliveryStatus.HELD, DeliveryStatus.DIGESTED)


@dataclass(frozen=True, slots=True)
class Reach:
    """Where an article went: its channel post's status, and readers' copies by status."""

    channel: str | None = None  # the channel post's delivery status (None: no channel post)
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    held: int = 0  # digest readers: goes with their next digest
    cancelled: int = 0
    unknown: int = 0

    @property
    def readers(self) -> int:
        return self.sent + self.failed + self.waiting + self.held + self.cancelled + self.unknown


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """One line of the Articles list."""

    article: Article
    edition: str | None
    source: str | None  # the feed's title (or URL); None: pushed by an editor
    reach: Reach


@dataclass(frozen=True, slots=True)
class ArticleDetail:
    """One article: its row, its sends (newest first), and why its readers' copies failed."""

    row: ArticleRow
    sends: list[Send]
    failures: dict[str, int] = field(default_factory=dict)
    channel_message_id: int | None = None


async def _reach(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, Reach]:
    counts: dict[int, Counter[str]] = {}
    channel: dict[int, str] = {}
    if not article_ids:
        return {}
    rows = await session.execute(
        select(Delivery.article_id, Delivery.kind, Delivery.status, func.count())
        .where(Delivery.article_id.in_(article_ids))
        .group_by(Delivery.article_id, Delivery.kind, Delivery.status)
    )
    for article_id, kind, status, count in rows:
        if article_id is None:
            continue
        if kind == "channel":
            channel[article_id] = status
            continue
        counts.setdefault(article_id, Counter())[status] += count
    reach = {}
    for article_id in article_ids:
        c = counts.get(article_id, Counter())
        reach[article_id] = Reach(
            channel=channel.get(article_id),
            sent=c[DeliveryStatus.SENT],
            failed=c[DeliveryStatus.FAILED],
            waiting=sum(c[s] for s in _WAITING),
            held=sum(c[s] for s in _HELD),
            cancelled=c[DeliveryStatus.CANCELLED],
            unknown=c[DeliveryStatus.UNKNOWN],
        )
    return reach


def _listing() -> Any:  # Select's type arguments differ between SQLAlchemy 2.0 and 2.1
    return (
        select(Article, Edition.code, Feed.title, Feed.url)
        .outerjoin(Edition, Edition.id == Article.edition_id)
        .outerjoin(Feed, Feed.id == Article.feed_id)
    )


async def _rows(session: AsyncSession, statement: Any) -> list[ArticleRow]:
    found = list(await session.execute(statement))
    reach = await _reach(session, [article.id for article, *_ in found])
    return [
        ArticleRow(
            article,
            edition,
            (title or url) if (title or url) else None,
            reach[article.id],
        )
        for article, edition, title, url in found
    ]


async def recent_articles(
    session: AsyncSession,
    *,
    before: int | None = None,
    status: str | None = None,
    limit: int = PAGE_SIZE,
) -> list[ArticleRow]:
    """The newest articles (by id), older than ``before`` when given, of ``status`` when
    given (``published``, ``draft``, ``seen``)."""
    statement = _listing().order_by(Article.id.desc()).limit(limit)
    if before is not None:
        statement = statement.where(Article.id < before)
    if status is not None:
        statement = statement.where(Article.status == status)
    return await _rows(session, statement)


async def article_detail(session: AsyncSession, article_id: int) -> ArticleDetail | None:
    """The article ``article_id`` with its sends and its failures by reason, or ``None``."""
    rows = await _rows(session, _listing().where(Article.id == article_id))
    if not rows:
        return None
    sends = list(
        await session.scalars(
            select(Send).where(Send.article_id == article_id).order_by(Send.id.desc())
        )
    )
    failures = {
        reason or "unknown": count
        for reason, count in await session.execute(
            select(Delivery.reason, func.count())
            .where(
                Delivery.article_id == article_id,
                Delivery.kind != "channel",
                Delivery.status == DeliveryStatus.FAILED,
            )
            .group_by(Delivery.reason)
        )
    }
    message_id = await session.scalar(
        select(Delivery.message_id).where(
            Delivery.article_id == article_id, Delivery.kind == "channel"
        )
    )
    return ArticleDetail(rows[0], sends, failures, message_id)


@dataclass(frozen=True, slots=True)
class OpenSend:
    """A send an editor still decides: awaiting approval, a draft preview, or scheduled."""

    send: Send
    article: Article
    edition: str | None


async def open_sends(session: AsyncSession, status: SendStatus) -> list[OpenSend]:
    """The sends in ``status`` (awaiting, draft or scheduled), oldest first (scheduled ones
    soonest first), at most :data:`OPEN_LIMIT`."""
    order = (Send.not_before, Send.id) if status == SendStatus.SCHEDULED else (Send.id,)
    rows = await session.execute(
        select(Send, Article, Edition.code)
        .join(Article, Article.id == Send.article_id)
        .outerjoin(Edition, Edition.id == Send.edition_id)
        .where(Send.status == status)
        .order_by(*order)
        .limit(OPEN_LIMIT)
    )
    return [OpenSend(send, article, edition) for send, article, edition in rows]


async def count_open(session: AsyncSession) -> dict[str, int]:
    """How many sends wait in each open status."""
    return {
        status: count
        for status, count in await session.execute(
            select(Send.status, func.count())
            .where(Send.status.in_([SendStatus.AWAITING, SendStatus.DRAFT, SendStatus.SCHEDULED]))
            .group_by(Send.status)
        )
    }
