"""Storing articles exactly once and publishing them through the outbox.

An article's identity is a hash of its source (a feed id, or "push") and its entry key, kept in
a unique column: storing the same entry twice is impossible, whatever the caller does.
Publishing renders the post once (every chat gets the same) and queues one delivery row per
target chat with a single INSERT … SELECT over the subscribers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.formatting import render_post
from bot.links import link_key
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Subscriber,
    utcnow,
)

log = logging.getLogger(__name__)

#: The most articles one poll of one feed publishes; the older rest are only marked seen, so a
#: feed that renumbers its guids cannot flood the channel.
MAX_NEW_PER_POLL = 10


def identity(source: str, key: str) -> str:
    """The stored identity of entry ``key`` from ``source`` (``feed:<id>`` or ``push``)."""
    return hashlib.sha256(f"{source}\n{key}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a batch of drafts did."""

    published: list[Article]
    seen: int


async def known_identities(session: AsyncSession, identities: Sequence[str]) -> set[str]:
    """Which of ``identities`` are already stored (one query)."""
    if not identities:
        return set()
    rows = await session.scalars(select(Article.identity).where(Article.identity.in_(identities)))
    return set(rows)


async def published_links(session: AsyncSession, links: Sequence[str | None]) -> dict[str, int]:
    """Which of ``links`` (compared in canonical form) a published article has, and its id."""
    keys = {key: link for link in links if link and (key := link_key(link))}
    if not keys:
        return {}
    rows = await session.execute(
        select(Article.published_link, Article.id).where(Article.published_link.in_(keys))
    )
    return {keys[key]: article_id for key, article_id in rows if key is not None}


def _row(
    draft: ArticleDraft, *, source: str, feed_id: int | None, published: bool
) -> dict[str, Any]:
    # Only a published article is ever sent, so only its post is rendered.
    post = render_post(draft.title, draft.summary, draft.link, draft.image) if published else None
    return {
        "feed_id": feed_id,
        "identity": identity(source, draft.key),
        "key": draft.key,
        "origin": "push" if feed_id is None else "feed",
        "status": ArticleStatus.PUBLISHED if published else ArticleStatus.SEEN,
        "title": draft.title,
        "summary": draft.summary,
        "link": draft.link,
        "published_link": link_key(draft.link) if published else None,
        "image": post.image if post else draft.image,
        "post_html": post.html if post else None,
        "published_at": draft.published,
        "created_at": utcnow(),
    }


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for articles, in the session's SQL dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Article).on_conflict_do_nothing()


def _chronological(drafts: list[ArticleDraft]) -> list[ArticleDraft]:
    """Oldest first: by publication date when every draft has one, else feed order reversed."""
    if drafts and all(d.published for d in drafts):
        return sorted(drafts, key=lambda d: d.published or utcnow())
    return drafts[::-1]


async def store_drafts(
    session: AsyncSession,
    drafts: Sequence[ArticleDraft],
    *,
    source: str,
    feed_id: int | None,
    publish: bool,
) -> Stored:
    """Store the drafts not stored before; publish the newest few of them when ``publish``.

    ``drafts`` are in feed order (newest first, as feeds list them). With ``publish=False``
    (a feed's backlog when it is added) every new draft is only marked seen. Otherwise at most
    :data:`MAX_NEW_PER_POLL` are published, oldest first; one whose link was already published
    (by another feed, or pushed by an editor) is only marked seen. Both rules are enforced by
    unique indexes, so concurrent pollers (several processes on PostgreSQL) cannot break them.
    """
    unique: dict[str, ArticleDraft] = {}
    for draft in drafts:
        unique.setdefault(identity(source, draft.key), draft)
    known = await known_identities(session, list(unique))
    fresh = _chronological([d for ident, d in unique.items() if ident not in known])
    to_publish = fresh[-MAX_NEW_PER_POLL:] if publish else []
    if len(fresh) > len(to_publish) and publish:
        log.warning(
            "too many new articles feed_id=%s new=%d published=%d; the older ones are only "
            "marked seen",
            feed_id,
            len(fresh),
            len(to_publish),
        )
    posted = set(await published_links(session, [d.link for d in to_publish]))
    published_ids: list[int] = []
    seen_rows = [
        _row(d, source=source, feed_id=feed_id, published=False)
        for d in fresh[: len(fresh) - len(to_publish)]
    ]
    insert = _insert_ignoring_duplicates(session)
    for draft in to_publish:
        if draft.link in posted:
            seen_rows.append(_row(draft, source=source, feed_id=feed_id, published=False))
            continue
        row = _row(draft, source=source, feed_id=feed_id, published=True)
        article_id = await session.scalar(insert.values(row).returning(Article.id))
        if article_id is None:  # a concurrent poller stored it, or published its link, first
            seen_rows.append(_row(draft, source=source, feed_id=feed_id, published=False))
            continue
        published_ids.append(article_id)
        if draft.link:
            posted.add(draft.link)
    if seen_rows:
        await session.execute(insert, seen_rows)
    published = list(
        await session.scalars(
            select(Article).where(Article.id.in_(published_ids)).order_by(Article.id)
        )
    )
    return Stored(published=published, seen=len(fresh) - len(published))


async def enqueue(session: AsyncSession, article: Article, channel: str | None) -> int:
    """Queue one delivery of ``article`` to ``channel`` and to every active subscriber.

    Returns how many deliveries were queued. Readers who subscribe later do not get it.
    """
    now = utcnow()
    count = 0
    if channel:
        session.add(
            Delivery(
                article_id=article.id,
                chat=channel,
                kind="channel",
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
        )
        count += 1
    await session.flush()
    readers = select(
        literal(article.id),
        cast(Subscriber.chat_id, String(64)),
        literal("reader"),
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal(now, Delivery.next_attempt_at.type),
        literal(now, Delivery.created_at.type),
    ).where(Subscriber.subscribed.is_(True), Subscriber.active.is_(True))
    result = await session.execute(
        insert(Delivery).from_select(
            ["article_id", "chat", "kind", "status", "attempts", "next_attempt_at", "created_at"],
            readers,
        )
    )
    count += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    log.info("article queued article_id=%s deliveries=%d", article.id, count)
    return count
