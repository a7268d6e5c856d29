"""Storing articles exactly once and publishing them through the outbox.

An article's identity is a hash of its source (a feed id, or "push") and its entry key, kept in
a unique column: storing the same entry twice is impossible, whatever the caller does.
Publishing renders the post once (every chat gets the same) and queues one delivery row per
target chat with a single INSERT … SELECT over the subscribers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, insert, literal, or_, select
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

#: The most articles one poll publishes from a feed none of whose entries was known before
#: (it renumbered its guids and moved its links, or newsbot was away for longer than the feed
#: is long); the older rest are only marked seen, so such a feed cannot flood the channel. A
#: feed that still lists something known publishes every new entry.
MAX_NEW_PER_POLL = 10
#: The most articles one poll publishes from any feed (the older rest are marked seen).
MAX_BURST = 100
#: Values per ``IN (…)`` query: PostgreSQL takes at most 32767 parameters in one statement.
IN_CHUNK = 1000


def identity(source: str, key: str) -> str:
    """The stored identity of entry ``key`` from ``source`` (``feed:<id>`` or ``push``)."""
    return hashlib.sha256(f"{source}\n{key}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a batch of drafts did."""

    published: list[Article]
    seen: int


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def known_identities(session: AsyncSession, identities: Sequence[str]) -> set[str]:
    """Which of ``identities`` are already stored (one query per thousand)."""
    known: set[str] = set()
    for chunk in _chunks(identities):
        known.update(
            await session.scalars(select(Article.identity).where(Article.identity.in_(chunk)))
        )
    return known


async def known_link_keys(
    session: AsyncSession, keys: Sequence[str], *, feed_id: int | None
) -> set[str]:
    """Which of the link ``keys`` feed ``feed_id`` already listed or any article was published
    with (one query per thousand)."""
    known_here: ColumnElement[bool] = Article.status == ArticleStatus.PUBLISHED
    if feed_id is not None:
        known_here = or_(known_here, Article.feed_id == feed_id)
    known: set[str] = set()
    for chunk in _chunks(keys):
        rows = await session.scalars(
            select(Article.link_key).where(Article.link_key.in_(chunk), known_here)
        )
        known.update(key for key in rows if key is not None)
    return known


async def published_links(session: AsyncSession, links: Sequence[str | None]) -> dict[str, int]:
    """Which of ``links`` (compared in canonical form) a published article has, and its id."""
    keys = {key: link for link in links if link and (key := link_key(link))}
    found: dict[str, int] = {}
    for chunk in _chunks(list(keys)):
        rows = await session.execute(
            select(Article.published_link, Article.id).where(Article.published_link.in_(chunk))
        )
        found.update({keys[key]: article_id for key, article_id in rows if key is not None})
    return found


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
        "link_key": link_key(draft.link),
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
    """Store the drafts not stored before; publish them, oldest first, when ``publish``.

    ``drafts`` are in feed order (newest first, as feeds list them). A draft is new unless its
    identity is stored, or its link is one this feed listed before (a guid changed) or one any
    published article has; a draft known only by its link is stored as seen. With
    ``publish=False`` (a feed's backlog when it is added) every new draft is only marked seen.
    Otherwise every new draft is published (the newest :data:`MAX_BURST` at most), except when
    none of the feed's drafts was known: then only the newest :data:`MAX_NEW_PER_POLL`. One
    whose link was published meanwhile (by another feed, or pushed by an editor) is only marked
    seen. The unique indexes on identity and published link enforce this under concurrent
    pollers (several processes on PostgreSQL).
    """
    unique: dict[str, ArticleDraft] = {}
    for draft in drafts:
        unique.setdefault(identity(source, draft.key), draft)
    known = await known_identities(session, list(unique))
    unknown = {ident: d for ident, d in unique.items() if ident not in known}
    keys = sorted({key for d in unknown.values() if (key := link_key(d.link))})
    linked = await known_link_keys(session, keys, feed_id=feed_id)
    relinked = [d for d in unknown.values() if link_key(d.link) in linked]
    fresh = _chronological([d for d in unknown.values() if link_key(d.link) not in linked])
    limit = MAX_NEW_PER_POLL if len(fresh) == len(unique) else MAX_BURST
    to_publish = fresh[-limit:] if publish else []
    if publish and len(fresh) > limit:
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
        for d in relinked + fresh[: len(fresh) - len(to_publish)]
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
    return Stored(published=published, seen=len(unknown) - len(published))


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
