"""Feeds: reading one (fetch + parse in a worker thread), adding, listing, removing, pausing.

Adding a feed reads it once and stores what it already holds as *seen*, so the channel is not
flooded with a feed's backlog; from then on only entries that appear later are published.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import FeedExistsError, FeedNotFoundError, FetchError
from bot.feeds.fetch import Fetcher, FetchResult
from bot.feeds.parse import ParsedFeed, parse_feed
from bot.services.articles import store_drafts
from bot.storage.db import Database
from bot.storage.models import Article, Feed, utcnow

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
#: Longest wait between two polls of a failing feed.
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class FeedRead:
    """One fetch of a feed: ``parsed`` is None when the server said "not modified"."""

    fetched: FetchResult
    parsed: ParsedFeed | None


async def read_feed(
    fetcher: Fetcher, url: str, *, etag: str | None = None, last_modified: str | None = None
) -> FeedRead:
    """Fetch ``url`` (conditionally) and parse it in a worker thread, never on the event loop."""
    fetched = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
    if fetched.not_modified:
        return FeedRead(fetched, None)
    parsed = await asyncio.to_thread(
        parse_feed, fetched.content, url=fetched.url, content_type=fetched.content_type
    )
    return FeedRead(fetched, parsed)


@dataclass(frozen=True, slots=True)
class FeedAdded:
    """A feed just added, and how many of its entries were marked seen."""

    feed: Feed
    seen: int


def _check_url(url: str) -> str:
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(url, "only http and https URLs can be feeds")
    if len(url.encode()) > MAX_URL_LENGTH:  # bytes: PostgreSQL indexes at most 2704 per row
        raise FetchError(url[:80] + "…", f"a feed URL may be at most {MAX_URL_LENGTH} bytes long")
    return url


async def find_by_url(session: AsyncSession, url: str) -> Feed | None:
    """The feed with ``url``, if any."""
    return await session.scalar(select(Feed).where(Feed.url == url))


async def add_feed(db: Database, fetcher: Fetcher, url: str) -> FeedAdded:
    """Read ``url`` and store it as a feed, its current entries marked seen.

    Raises :class:`FeedExistsError`, :class:`FetchError` or :class:`FeedParseError`; nothing is
    stored then. No transaction is open while the feed is fetched.
    """
    url = _check_url(url)
    async with db.session() as session:
        existing = await find_by_url(session, url)
    if existing is not None:
        raise FeedExistsError(url, existing.id)
    read = await read_feed(fetcher, url)
    if read.parsed is None:  # a broken server or cache answered 304 to an unconditional GET
        raise FetchError(url, "the server answered 304 Not Modified to a plain request")
    async with db.session() as session, session.begin():
        existing = await find_by_url(session, url)
        if existing is not None:
            raise FeedExistsError(url, existing.id)
        return await _store_new_feed(session, url, read.fetched, read.parsed)


async def _store_new_feed(
    session: AsyncSession, url: str, fetched: FetchResult, parsed: ParsedFeed
) -> FeedAdded:
    now = utcnow()
    feed = Feed(
        url=url,
        title=parsed.title,
        active=True,
        primed=True,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        last_polled_at=now,
        last_success_at=now,
        error_count=0,
    )
    session.add(feed)
    await session.flush()
    stored = await store_drafts(
        session, parsed.entries, source=f"feed:{feed.id}", feed_id=feed.id, publish=False
    )
    log.info("feed added feed_id=%s url=%s seen=%d", feed.id, url, stored.seen)
    return FeedAdded(feed, stored.seen)


async def ensure_feeds(session: AsyncSession, urls: list[str]) -> list[Feed]:
    """Make sure each of ``urls`` (from FEEDS) is a feed; new ones are primed on first poll."""
    feeds = []
    for url in urls:
        feed = await find_by_url(session, url)
        if feed is None:
            feed = Feed(url=url, title="", active=True, primed=False, error_count=0)
            session.add(feed)
            log.info("feed registered url=%s", url)
        feeds.append(feed)
    await session.flush()
    return feeds


async def list_feeds(session: AsyncSession) -> list[tuple[Feed, int]]:
    """Every feed with how many articles it has, by id (one query)."""
    rows = await session.execute(
        select(Feed, func.count(Article.id))
        .outerjoin(Article, Article.feed_id == Feed.id)
        .group_by(Feed.id)
        .order_by(Feed.id)
    )
    return [(feed, count) for feed, count in rows]


async def get_feed(session: AsyncSession, feed_id: int) -> Feed:
    """The feed with ``feed_id``; raises :class:`FeedNotFoundError`."""
    feed = await session.get(Feed, feed_id)
    if feed is None:
        raise FeedNotFoundError(feed_id)
    return feed


async def remove_feed(session: AsyncSession, feed_id: int) -> Feed:
    """Delete feed ``feed_id``; its articles and their deliveries stay for the record."""
    feed = await get_feed(session, feed_id)
    await session.delete(feed)
    await session.flush()
    log.info("feed removed feed_id=%s url=%s", feed_id, feed.url)
    return feed


async def set_active(session: AsyncSession, feed_id: int, active: bool) -> Feed:
    """Pause (``active=False``) or resume feed ``feed_id``."""
    feed = await get_feed(session, feed_id)
    feed.active = active
    if active:
        feed.next_poll_at = None
    await session.flush()
    return feed


def next_poll_after_error(now: datetime, interval: int, error_count: int) -> datetime:
    """When to try a failing feed again: the interval doubled per failure, at most 6 hours."""
    delay: timedelta = timedelta(seconds=interval) * (2 ** min(error_count, 16))
    ceiling: timedelta = max(MAX_BACKOFF, timedelta(seconds=interval))
    return now + min(delay, ceiling)
