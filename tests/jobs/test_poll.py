"""Polling a real feed server: priming, new entries once, conditional GET, failures recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.errors import FetchError
from bot.feeds.fetch import Fetcher
from bot.sandbox import FeedServer
from bot.services import readers
from bot.services.feeds import add_feed, ensure_feeds, remove_feed
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Delivery, Feed
from jobs.poll import Poller, PollOptions, PollResult
from tests.helpers import use_editions


def rss(*guids: str) -> str:
    items = "".join(
        f"<item><guid>{g}</guid><title>Story {g}</title><link>https://n.example/{g}</link>"
        f"<description>Body of {g}.</description></item>"
        for g in guids
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{items}</channel></rss>'
    )


async def poll_feed(
    db: Database, fetcher: Fetcher, feed_id: int, *, channel: str | None, interval: int
) -> PollResult:
    """Poll feed ``feed_id`` now, its edition posting to ``channel``."""
    await use_editions(db, ("en", channel))
    return await Poller(db, fetcher, PollOptions(interval=interval)).poll_feed(feed_id)


async def poll_due(
    db: Database, fetcher: Fetcher, *, channel: str | None, interval: int
) -> list[PollResult]:
    """Poll every due feed."""
    await use_editions(db, ("en", channel))
    return await Poller(db, fetcher, PollOptions(interval=interval)).poll_due()


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private_networks=True) as f:
        yield f


async def register(db: Database, url: str) -> int:
    async with db.session() as session, session.begin():
        [feed] = await ensure_feeds(session, [url])
        await session.flush()
        return feed.id


async def feed_row(db: Database, feed_id: int) -> Feed:
    async with db.session() as session:
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        return feed


class TestPollFeed:
    async def test_first_poll_primes_then_new_entries_publish(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """The first poll marks the backlog seen; a later entry is published once."""
        site.put("/f.xml", rss("a", "b"))
        feed_id = await register(db, site.url_for("/f.xml"))
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(42))

        first = await poll_feed(db, fetcher, feed_id, channel="@news", interval=60)
        assert (first.published, first.seen) == (0, 2)
        site.put("/f.xml", rss("c", "a", "b"))
        second = await poll_feed(db, fetcher, feed_id, channel="@news", interval=60)
        assert (second.published, second.deliveries) == (1, 2)
        third = await poll_feed(db, fetcher, feed_id, channel="@news", interval=60)
        assert third.published == 0
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 2

    async def test_unchanged_feed_is_not_downloaded_again(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """The feed's ETag is kept, so an unchanged feed answers 304 and is not parsed."""
        site.put("/f.xml", rss("a"))
        feed_id = await register(db, site.url_for("/f.xml"))
        await poll_feed(db, fetcher, feed_id, channel=None, interval=60)
        assert (await feed_row(db, feed_id)).etag
        result = await poll_feed(db, fetcher, feed_id, channel=None, interval=60)
        assert result.not_modified

    @pytest.mark.parametrize(
        ("body", "status", "fragment"),
        [
            pytest.param(None, 404, "404", id="not-found"),
            pytest.param(None, 500, "500", id="server-error"),
            pytest.param("<html><body>Moved to a new site</body></html>", 200, "feed", id="html"),
        ],
    )
    async def test_failure_is_recorded_and_backs_off(
        self,
        db: Database,
        site: FeedServer,
        fetcher: Fetcher,
        body: str | None,
        status: int,
        fragment: str,
    ) -> None:
        """A failing feed keeps its error and is not due again until its back-off has passed."""
        if body is None:
            site.put("/f.xml", rss("a"))
            site.fail("/f.xml", status)
        else:
            site.put("/f.xml", body, "text/html")
        feed_id = await register(db, site.url_for("/f.xml"))
        result = await poll_feed(db, fetcher, feed_id, channel=None, interval=60)
        assert result.error
        assert fragment in result.error.lower()
        feed = await feed_row(db, feed_id)
        assert feed.error_count == 1
        assert feed.last_error
        assert feed.next_poll_at is not None
        assert feed.next_poll_at > datetime.now(feed.next_poll_at.tzinfo)
        assert await Poller(db, fetcher, PollOptions(interval=60)).poll_due() == []

    @pytest.mark.parametrize(("offset", "due"), [(-1, True), (None, True), (20, False)])
    async def test_due_when_its_time_has_come(
        self, db: Database, fetcher: Fetcher, site: FeedServer, offset: int | None, due: bool
    ) -> None:
        """poll_due polls a feed whose next poll time has passed or was never set, no other."""
        site.put("/f.xml", rss("a"))
        feed_id = await register(db, site.url_for("/f.xml"))
        async with db.session() as session, session.begin():
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            feed.next_poll_at = (
                None if offset is None else datetime.now(UTC) + timedelta(seconds=offset)
            )
        results = await Poller(db, fetcher, PollOptions(interval=60)).poll_due()
        assert [r.feed_id for r in results] == ([feed_id] if due else [])
        assert site.hits("/f.xml") == (1 if due else 0)

    async def test_private_address_refused(self, db: Database, site: FeedServer) -> None:
        """With private networks not allowed, a loopback feed is refused without a request."""
        site.put("/f.xml", rss("a"))
        feed_id = await register(db, site.url_for("/f.xml"))
        async with Fetcher(allow_private_networks=False) as strict:
            result = await poll_feed(db, strict, feed_id, channel=None, interval=60)
        assert result.error
        assert "ALLOW_PRIVATE_NETWORKS" in result.error
        assert site.hits("/f.xml") == 0

    async def test_one_broken_feed_does_not_stop_the_others(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """poll_due polls every due feed even when one of them fails."""
        site.put("/good.xml", rss("a"))
        await register(db, site.url_for("/good.xml"))
        await register(db, site.url_for("/missing.xml"))
        results = await poll_due(db, fetcher, channel=None, interval=60)
        assert sorted(r.error is None for r in results) == [False, True]


class TestSameArticleInTwoFeeds:
    async def test_published_once_even_when_polled_together(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """Two feeds listing one article, polled at the same time, publish it once."""
        for path in ("/all.xml", "/section.xml"):
            site.put(path, rss("old"))
            await register(db, site.url_for(path))
        await poll_due(db, fetcher, channel="@news", interval=60)  # both primed
        for path in ("/all.xml", "/section.xml"):
            site.put(path, rss("shared", "old"))
        results = await Poller(db, fetcher, PollOptions(interval=60)).poll_all()
        assert sorted(r.published for r in results) == [0, 1]
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


class TestAddFeed:
    async def test_add_marks_backlog_seen(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """Adding a feed reads it at once: its entries are seen and the feed is primed."""
        site.put("/f.xml", rss("a", "b", "c"))
        added = await add_feed(db, fetcher, site.url_for("/f.xml"))
        assert added.seen == 3
        assert added.feed.primed
        assert added.feed.title == "N"
        result = await poll_feed(db, fetcher, added.feed.id, channel="@news", interval=60)
        assert result.published == 0

    async def test_a_304_to_a_plain_request_is_a_clear_error(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """A server that answers 304 to an unconditional GET gives a FetchError; nothing stored."""
        site.put("/f.xml", rss("a"))
        site.fail("/f.xml", 304)
        with pytest.raises(FetchError, match="304"):
            await add_feed(db, fetcher, site.url_for("/f.xml"))
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Feed)) == 0

    async def test_a_removed_feeds_id_is_never_reused(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """A feed added after the newest one was removed gets a new id, so entries of its own
        that share a guid with the removed feed's are still published."""
        site.put("/old.xml", rss("1", "2"))
        old = await add_feed(db, fetcher, site.url_for("/old.xml"))
        async with db.session() as session, session.begin():
            await remove_feed(session, old.feed.id)
        site.put("/new.xml", rss("1").replace("n.example", "other.example"))
        new = await add_feed(db, fetcher, site.url_for("/new.xml"))
        assert new.feed.id != old.feed.id
        site.put("/new.xml", rss("2", "1").replace("n.example", "other.example"))
        result = await poll_feed(db, fetcher, new.feed.id, channel="@news", interval=60)
        assert result.published == 1
