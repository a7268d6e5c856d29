"""Routing: who gets a published article — its edition's channel and the readers who follow the
edition (less the sections they muted), or one of the sections the article is in.

::

    await enqueue(session, article)              # one article (a push)
    await enqueue_many(session, article_ids)     # a poll's worth, a few statements in all

Everything is read from the article itself (its edition, feed and categories), so jobs and
handlers never name a channel. Each delivery is one outbox row (``deliveries``; the unique
(article, chat) pair keeps it one): ``pending`` for an instant reader (the outbox sends it),
``held`` for a digest reader (their digest collects it, :mod:`bot.services.digests`).
Readers are chosen by a single ``INSERT … SELECT`` over the subscriptions per thousand articles,
whatever the number of readers. A reader who follows several matching sections still gets the
article once; a paused reader and an unreachable one get nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from bot.services.articles import chunks, insert_ignoring_duplicates
from bot.services.editions import load_editions
from bot.services.sections import keys_of, matching
from bot.storage.models import (
    Article,
    ArticleSection,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Section,
    Send,
    SendStatus,
    Subscriber,
    Subscription,
    utcnow,
)

log = logging.getLogger(__name__)


async def enqueue(session: AsyncSession, article: Article) -> int:
    """Queue the deliveries of ``article``: its edition's channel and its readers.

    Returns how many deliveries were queued. Readers who subscribe later do not get it.
    """
    return await enqueue_many(session, [article.id])


def reader_is_listening(now: datetime) -> ColumnElement[bool]:
    """The SQL condition "this subscriber may be sent to now": reachable, not paused."""
    return (Subscriber.active.is_(True)) & or_(
        Subscriber.paused_until.is_(None), Subscriber.paused_until <= now
    )


def subscription_takes(
    subscription: Any, article_id: Any, article_ids: Sequence[int]
) -> ColumnElement[bool]:
    """The SQL condition "this subscription row brings the article": a row following the whole
    edition, unless the reader muted a section the article is in, or a row of a section the
    article is in (``article_sections``). ``subscription`` is :class:`Subscription` or an alias
    of it, joined on the article's edition; ``article_id`` is the article's column, one of
    ``article_ids``."""
    muted = aliased(Subscription)
    in_section = exists().where(
        ArticleSection.article_id == article_id,
        ArticleSection.section_id == subscription.section_id,
    )
    # The (reader, edition, article) triples muted for these articles, listed once: PostgreSQL
    # hashes them. Correlated to each subscription row (EXISTS), a planner without statistics
    # scanned the edition's whole index per row: 100,000 readers took 445 s to queue.
    muted_here = (
        select(muted.chat_id, muted.edition_id, ArticleSection.article_id)
        .join(ArticleSection, ArticleSection.section_id == muted.section_id)
        .where(
            muted.exclude.is_(True),
            muted.edition_id.is_not(None),  # NOT IN meets no NULL
            ArticleSection.article_id.in_(article_ids),
        )
    )
    in_muted_section = tuple_(subscription.chat_id, subscription.edition_id, article_id).in_(
        muted_here
    )
    takes: ColumnElement[bool] = subscription.exclude.is_(False) & or_(
        subscription.section_id.is_(None) & ~in_muted_section, in_section
    )
    return takes


async def enqueue_many(
    session: AsyncSession,
    article_ids: Sequence[int],
    *,
    send_ids: Mapping[int, int] | None = None,
    silent: bool = False,
) -> int:
    """Queue the deliveries of every article in ``article_ids`` (each to its edition's channel
    and to its readers), in a few statements whatever the number of articles and readers.

    Each article's deliveries belong to its send: ``send_ids`` (article → send) names those
    an editor published; every other article gets a send of its own here (a feed's, queued
    now, its channel post silent when ``silent``). Returns how many deliveries were queued.
    """
    if not article_ids:
        return 0
    now = utcnow()
    editions = await load_editions(session)
    for chunk in chunks(article_ids):  # an article of no edition is the default edition's
        await session.execute(
            update(Article)
            .where(Article.id.in_(chunk), Article.edition_id.is_(None))
            .values(edition_id=editions.default.id)
        )
    await _file_in_sections(session, article_ids)
    sends = {**(send_ids or {})}
    sends.update(await _feed_sends(session, [a for a in article_ids if a not in sends], silent))
    count = 0
    channel_rows: list[dict[str, Any]] = []
    for chunk in chunks(article_ids):
        for article_id, edition_id in await session.execute(
            select(Article.id, Article.edition_id).where(Article.id.in_(chunk))
        ):
            edition = editions.by_id.get(edition_id) if edition_id is not None else None
            if edition is not None and edition.channel:
                channel_rows.append(
                    {
                        "article_id": article_id,
                        "send_id": sends[article_id],
                        "chat": edition.channel,
                        "kind": "channel",
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    if channel_rows:
        await session.execute(insert(Delivery), sorted(channel_rows, key=lambda r: r["article_id"]))
        count += len(channel_rows)
    for chunk in chunks(article_ids):
        readers = (
            select(
                Article.id,
                Send.id,
                cast(Subscriber.chat_id, String(64)),
                literal("reader"),
                # A digest reader's row waits for their digest; "pending" wins when a reader
                # gets the article both ways (an instant and a digest subscription).
                func.max(
                    case(
                        (Subscription.mode == DeliveryMode.DIGEST.value, DeliveryStatus.HELD.value),
                        else_=DeliveryStatus.PENDING.value,
                    )
                ),
                literal(0),
                literal(now, Delivery.next_attempt_at.type),
                literal(now, Delivery.created_at.type),
            )
            .select_from(Article)
            .join(
                Send,
                (Send.article_id == Article.id)
                & Send.id.in_([sends[article_id] for article_id in chunk]),
            )
            .join(Subscription, Subscription.edition_id == Article.edition_id)
            .join(Subscriber, Subscriber.chat_id == Subscription.chat_id)
            .where(
                Article.id.in_(chunk),
                subscription_takes(Subscription, Article.id, chunk),
                reader_is_listening(now),
            )
            .group_by(Article.id, Send.id, Subscriber.chat_id)
            .order_by(Article.id, Subscriber.chat_id)
        )
        result = await session.execute(
            insert(Delivery).from_select(
                [
                    "article_id",
                    "send_id",
                    "chat",
                    "kind",
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "created_at",
                ],
                readers,
            )
        )
        count += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    log.info("articles queued articles=%d deliveries=%d", len(article_ids), count)
    return count


async def _feed_sends(
    session: AsyncSession, article_ids: Sequence[int], silent: bool
) -> dict[int, int]:
    """A queued send for each article published by its feed (no editor's decision): article →
    send."""
    if not article_ids:
        return {}
    now = utcnow()
    rows = []
    for chunk in chunks(article_ids):
        rows += [
            {
                "article_id": article_id,
                "edition_id": edition_id,
                "status": SendStatus.QUEUED.value,
                "paid": False,
                "breaking": False,
                "silent": silent,
                "created_at": now,
                "queued_at": now,
            }
            for article_id, edition_id in await session.execute(
                select(Article.id, Article.edition_id).where(Article.id.in_(chunk))
            )
        ]
    result = await session.execute(
        insert(Send).returning(Send.article_id, Send.id, sort_by_parameter_order=True), rows
    )
    return {article_id: send_id for article_id, send_id in result}


async def _file_in_sections(session: AsyncSession, article_ids: Sequence[int]) -> None:
    """Record which sections each article is in (``article_sections``), from its feed and
    categories, before the readers of those sections are chosen."""
    sections = list(await session.scalars(select(Section)))
    if not sections:
        return
    rows = []
    for chunk in chunks(article_ids):
        for article_id, edition_id, feed_id, categories in await session.execute(
            select(Article.id, Article.edition_id, Article.feed_id, Article.categories).where(
                Article.id.in_(chunk)
            )
        ):
            keys = keys_of(feed_id, categories)
            rows += [
                {"article_id": article_id, "section_id": section_id}
                for section_id in matching(sections, edition_id, keys)
            ]
    if rows:
        await session.execute(insert_ignoring_duplicates(session, ArticleSection), rows)


async def delivery_counts(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, int]:
    """How many deliveries each of ``article_ids`` has queued (or sent)."""
    counts: dict[int, int] = {}
    for chunk in chunks(article_ids):
        rows = await session.execute(
            select(Delivery.article_id, func.count())
            .where(Delivery.article_id.in_(chunk))
            .group_by(Delivery.article_id)
        )
        counts.update({article_id: int(count) for article_id, count in rows if article_id})
    return counts
