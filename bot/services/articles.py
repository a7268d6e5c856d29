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

from sqlalchemy import String, cast, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.formatting import render_post
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


async def published_links(session: AsyncSession, links: Sequence[str]) -> dict[str, int]:
    """Links among ``links`` that an already published article has, with that article's id."""
    if not links:
        return {}
    rows = await session.execute(
        select(Article.link, func.min(Article.id))
        .where(Article.link.in_(links), Article.status == ArticleStatus.PUBLISHED)
        .group_by(Article.link)
    )
    return {link: article_id for link, article_id in rows if link is not None}


def _new_article(
    draft: ArticleDraft, *, source: str, feed_id: int | None, status: ArticleStatus
) -> Article:
    post = render_post(draft.title, draft.summary, draft.link, draft.image)
    return Article(
        feed_id=feed_id,
        identity=identity(source, draft.key),
        key=draft.key,
        origin="push" if feed_id is None else "feed",
        status=status,
        title=draft.title,
        summary=draft.summary,
        link=draft.link,
        image=post.image,
        post_html=post.html,
        published_at=draft.published,
    )


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
    :data:`MAX_NEW_PER_POLL` are published, oldest first, and one whose link was already
    published (say, pushed by an editor before the feed listed it) is only marked seen.
    """
    unique: dict[str, ArticleDraft] = {}
    for draft in drafts:
        unique.setdefault(identity(source, draft.key), draft)
    known = await known_identities(session, list(unique))
    fresh = [d for ident, d in unique.items() if ident not in known]
    fresh.reverse()  # oldest first, so article ids follow publication order
    to_publish = fresh[-MAX_NEW_PER_POLL:] if publish else []
    chosen_ids = {id(draft) for draft in to_publish}
    posted = await published_links(session, [d.link for d in to_publish if d.link])
    published: list[Article] = []
    seen = 0
    for draft in fresh:
        chosen = id(draft) in chosen_ids and draft.link not in posted
        article = _new_article(
            draft,
            source=source,
            feed_id=feed_id,
            status=ArticleStatus.PUBLISHED if chosen else ArticleStatus.SEEN,
        )
        session.add(article)
        if chosen:
            published.append(article)
            if draft.link:
                posted[draft.link] = -1
        else:
            seen += 1
    await session.flush()
    return Stored(published=published, seen=seen)


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
