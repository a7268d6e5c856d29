"""Polling: due feeds → fetch → parse (worker thread) → store once → queue deliveries.

``poll_due`` is what the JobQueue runs every POLL_INTERVAL; ``poll_feed`` is one feed's whole
refresh, in the manner of miniflux's RefreshFeed. A feed's row carries its own state: ETag and
Last-Modified for conditional GET, error count and last error, the next time it is due.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import FetchError, ParseError
from bot.feeds.fetch import Fetcher
from bot.services.articles import enqueue, store_drafts
from bot.services.feeds import next_poll_after_error, read_feed
from bot.storage.db import Database
from bot.storage.models import Feed, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one feed did."""

    feed_id: int
    published: int = 0
    seen: int = 0
    deliveries: int = 0
    not_modified: bool = False
    error: str | None = None


async def due_feed_ids(session: AsyncSession, *, interval: int) -> list[int]:
    """Active feeds whose next poll time was never set or comes before the next poll would.

    A failing feed's next time is counted from the start of the poll that failed, so half an
    interval of slack keeps it from missing, by a few milliseconds, the poll it is due at.
    """
    due_by = utcnow() + timedelta(seconds=interval / 2)
    rows = await session.scalars(
        select(Feed.id)
        .where(Feed.active.is_(True), or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= due_by))
        .order_by(Feed.id)
    )
    return list(rows)


async def poll_feed(
    db: Database, fetcher: Fetcher, feed_id: int, *, channel: str | None, interval: int
) -> PollResult:
    """Refresh one feed: publish what is new since the last poll, record the feed's health."""
    started = utcnow()
    async with db.session() as session:
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return PollResult(feed_id, error="feed was removed")
        url, etag, last_modified = feed.url, feed.etag, feed.last_modified
    try:
        read = await read_feed(fetcher, url, etag=etag, last_modified=last_modified)
    except (FetchError, ParseError) as exc:
        return await _record_failure(db, feed_id, str(exc), interval, started)

    now = utcnow()
    async with db.session() as session, session.begin():
        feed = await session.get(Feed, feed_id, with_for_update=True)
        if feed is None:
            return PollResult(feed_id, error="feed was removed")
        feed.last_polled_at = now
        feed.last_success_at = now
        feed.next_poll_at = None
        feed.error_count = 0
        feed.last_error = None
        feed.etag = read.fetched.etag
        feed.last_modified = read.fetched.last_modified
        if read.parsed is None:
            log.info("feed not modified feed_id=%s", feed_id)
            return PollResult(feed_id, not_modified=True)
        if read.parsed.title and not feed.title:
            feed.title = read.parsed.title
        if read.parsed.warning:
            log.warning("feed is malformed feed_id=%s warning=%r", feed_id, read.parsed.warning)
        stored = await store_drafts(
            session,
            read.parsed.entries,
            source=f"feed:{feed_id}",
            feed_id=feed_id,
            publish=feed.primed,
        )
        if not feed.primed:
            feed.primed = True
            log.info("feed primed feed_id=%s seen=%d", feed_id, stored.seen)
        deliveries = 0
        for article in stored.published:
            deliveries += await enqueue(session, article, channel)
    log.info(
        "feed polled feed_id=%s published=%d seen=%d deliveries=%d",
        feed_id,
        len(stored.published),
        stored.seen,
        deliveries,
    )
    return PollResult(
        feed_id, published=len(stored.published), seen=stored.seen, deliveries=deliveries
    )


async def _record_failure(
    db: Database, feed_id: int, error: str, interval: int, started: datetime
) -> PollResult:
    now = utcnow()
    async with db.session() as session, session.begin():
        feed = await session.get(Feed, feed_id)
        if feed is None:
            return PollResult(feed_id, error=error)
        feed.error_count += 1
        feed.last_error = error[:2000]
        feed.last_polled_at = now
        feed.next_poll_at = next_poll_after_error(started, interval, feed.error_count - 1)
        log.warning(
            "feed failed feed_id=%s errors=%d next_poll_at=%s error=%r",
            feed_id,
            feed.error_count,
            feed.next_poll_at.isoformat(),
            error,
        )
    return PollResult(feed_id, error=error)


async def poll_due(
    db: Database, fetcher: Fetcher, *, channel: str | None, interval: int, concurrency: int = 4
) -> list[PollResult]:
    """Poll every due feed, a few at a time."""
    started = utcnow()
    async with db.session() as session:
        feed_ids = await due_feed_ids(session, interval=interval)
    limit = asyncio.Semaphore(concurrency)

    async def one(feed_id: int) -> PollResult:
        async with limit:
            try:
                return await poll_feed(db, fetcher, feed_id, channel=channel, interval=interval)
            except Exception as exc:  # a bug or a database error: this feed only, and recorded
                log.exception("feed poll crashed feed_id=%s", feed_id)
                error = f"internal error: {exc!r}"
                return await _record_failure(db, feed_id, error, interval, started)

    return list(await asyncio.gather(*(one(feed_id) for feed_id in feed_ids)))
