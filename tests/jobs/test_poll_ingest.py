"""The poller over a real feed server: pausing, removed feeds, URL aliases, teaser feeds,
many feeds at once on one database, and parsing in worker processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from bot.errors import FeedNotFoundError
from bot.feeds.fetch import Fetcher
from bot.feeds.fulltext import fetch_article
from bot.feeds.workers import ParserPool
from bot.sandbox import FeedServer
from bot.services import readers
from bot.services.feeds import ensure_feeds, remove_feed, set_active
from bot.services.push import push_url
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, ArticleURL, Delivery, Feed
from jobs.poll import Poller, PollOptions
from tests.helpers import use_editions


def rss(*items: tuple[str, str], guid_is_url: bool = False) -> str:
    """RSS 2.0 with ``items`` as (guid, link), newest first."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>Story {guid}</title><link>{link}</link>"
        f"<description>Body of {guid}. It has two sentences.</description></item>"
        for guid, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{body}</channel></rss>'
    )


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private_networks=True) as f:
        yield f


async def register(db: Database, *urls: str) -> list[int]:
    async with db.session() as session, session.begin():
        return [feed.id for feed in await ensure_feeds(session, list(urls))]


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestPause:
    async def test_paused_after_consecutive_failures_once(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """The poll that reaches FEED_PAUSE_AFTER failures pauses the feed and says so once;
        its error kind and time are kept; resuming polls it again with its failures forgotten."""
        site.put("/f.xml", rss(("a", "https://n.example/a")))
        site.fail("/f.xml", 500)
        [feed_id] = await register(db, site.url_for("/f.xml"))
        poller = Poller(db, fetcher, PollOptions(interval=60, pause_after=3))
        results = [await poller.poll_feed(feed_id) for _ in range(3)]
        assert [r.paused for r in results] == [False, False, True]
        assert results[-1].failures == 3
        assert results[-1].error_kind == "http_status"
        async with db.session() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            assert (feed.active, feed.paused_reason, feed.last_error_kind) == (
                False,
                "failures",
                "http_status",
            )
            assert feed.last_error_at is not None
            assert "500" in (feed.last_error or "")
        assert await poller.poll_all() == []  # a paused feed is not polled
        assert (await poller.poll_feed(feed_id)).paused is False  # told once only
        async with db.session() as session, session.begin():
            await set_active(session, feed_id, True)
        site.put("/f.xml", rss(("a", "https://n.example/a")))
        assert (await poller.poll_due())[0].error is None

    async def test_zero_never_pauses(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """With FEED_PAUSE_AFTER=0 a failing feed keeps being polled."""
        [feed_id] = await register(db, site.url_for("/missing.xml"))
        poller = Poller(db, fetcher, PollOptions(interval=60, pause_after=0))
        for _ in range(3):
            assert not (await poller.poll_feed(feed_id)).paused
        async with db.session() as session:
            feed = await session.get(Feed, feed_id)
            assert feed is not None
            assert feed.active


class TestRemoved:
    async def test_feeds_setting_does_not_bring_a_removed_feed_back(
        self, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A feed removed by URL stays removed when FEEDS lists it on the next start."""
        url = "https://news.example/feed.xml"
        await register(db, url)
        async with db.session() as session, session.begin():
            removed = await remove_feed(session, url)
        assert removed.url == url
        assert await register(db, url) == []
        assert await count(db, Feed) == 0
        assert any("not added again" in r.getMessage() for r in caplog.records)

    async def test_unknown_url(self, db: Database) -> None:
        """Removing a URL that is no feed is a clear error."""
        async with db.session() as session, session.begin():
            with pytest.raises(FeedNotFoundError, match="no feed has the URL"):
                await remove_feed(session, "https://nowhere.example/feed")


class TestAliases:
    async def test_pushed_then_listed_under_another_url_is_one_post(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """An article pushed by an editor and later listed by the feed under its AMP link, with
        the pushed page's canonical URL as guid, is one article and one post."""
        canonical = "https://paper.example/2026/bridge"
        site.put(
            "/short/b",
            f'<html><head><meta property="og:title" content="Bridge opens">'
            f'<meta property="og:url" content="{canonical}"></head><body></body></html>',
            "text/html",
        )
        site.put("/f.xml", rss(("old", "https://paper.example/old")))
        [feed_id] = await register(db, site.url_for("/f.xml"))
        await use_editions(db, ("en", "@news"))
        poller = Poller(db, fetcher, PollOptions(interval=60))
        await poller.poll_feed(feed_id)  # primed
        pushed = await push_url(db, fetcher, site.url_for("/short/b"))
        site.put(
            "/f.xml",
            rss(
                (canonical, "https://paper.example/amp/2026/bridge"),
                ("old", "https://paper.example/old"),
            ),
        )
        result = await poller.poll_feed(feed_id)
        assert result.published == 0
        async with db.session() as session:
            urls = set(
                await session.scalars(
                    select(ArticleURL.url).where(ArticleURL.article_id == pushed.article.id)
                )
            )
            published = await session.scalar(
                select(func.count()).where(Article.status == ArticleStatus.PUBLISHED)
            )
        assert {canonical, site.url_for("/short/b")} <= urls
        assert published == 1
        assert await count(db, Delivery) == 1


BUDGET = [
    "The city council approved the new budget on Tuesday after a long debate.",
    "The budget raises spending on schools and on the repair of old roads.",
    "Members of the opposition said the plan leaves too little for public transport.",
]


async def poll_teaser(
    db: Database, site: FeedServer, fetcher: Fetcher, *, head: str = "", entry: str = ""
) -> Article:
    """The article a teaser feed (full text on) stores for a new one-line entry whose page
    holds :data:`BUDGET`, with ``head`` in the page's <head> and ``entry`` in the item."""
    page = (
        f"<html><head><title>Budget passes</title>{head}</head><body><nav>Home | World | Sport"
        "</nav><article><h1>Budget passes</h1>"
        + "".join(f"<p>{p}</p>" for p in BUDGET)
        + "</article><footer>© Paper</footer></body></html>"
    )
    site.put("/a/budget.html", page, "text/html; charset=utf-8")
    teaser = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{}</channel></rss>'
    item = (
        "<item><guid>budget</guid><title>Budget passes</title>"
        f"<link>{site.url_for('/a/budget.html')}</link><description>Budget.</description>"
        f"{entry}</item>"
    )
    site.put("/f.xml", teaser.format(""))
    [feed_id] = await register(db, site.url_for("/f.xml"))
    async with db.session() as session, session.begin():
        feed = await session.get(Feed, feed_id)
        assert feed is not None
        feed.full_text = True
    poller = Poller(db, fetcher, PollOptions(interval=60), full_text=fetch_article)
    await poller.poll_feed(feed_id)
    site.put("/f.xml", teaser.format(item))
    assert (await poller.poll_feed(feed_id)).published == 1
    async with db.session() as session:
        article = await session.scalar(select(Article).where(Article.title == "Budget passes"))
    assert article is not None
    return article


class TestFullText:
    async def test_teaser_feed_takes_the_article_text(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """With full text on, a new entry whose feed holds one line gets its page's text."""
        article = await poll_teaser(db, site, fetcher)
        assert BUDGET[0] in article.summary
        assert "Home | World" not in article.summary
        assert BUDGET[0] in (article.post_html or "")
        assert article.image is None

    async def test_an_entry_without_a_picture_takes_the_pages(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """An entry with no picture gets its page's og:image, resolved against the page's URL."""
        head = '<meta property="og:image" content="../img/budget.jpg">'
        article = await poll_teaser(db, site, fetcher, head=head)
        assert article.image == site.url_for("/img/budget.jpg")

    async def test_an_entry_with_a_picture_keeps_it(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """The entry's own picture wins over its page's."""
        head = '<meta property="og:image" content="/img/budget.jpg">'
        own = '<enclosure url="https://cdn.example/own.jpg" type="image/jpeg" length="1"/>'
        article = await poll_teaser(db, site, fetcher, head=head, entry=own)
        assert article.image == "https://cdn.example/own.jpg"


class TestManyFeeds:
    @pytest.mark.slow
    async def test_sixty_changed_feeds_at_once_all_stored(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """Sixty feeds that all change, polled 32 at a time with parsing in worker processes,
        are all stored: writes queue, none fails on a locked database."""
        n = 60
        for i in range(n):
            site.put(f"/f{i}.xml", rss((f"{i}-old", f"https://n.example/{i}/old")))
        ids = await register(db, *(site.url_for(f"/f{i}.xml") for i in range(n)))
        await use_editions(db, ("en", "@news"))
        async with db.session() as session, session.begin():
            for chat in range(3):
                await readers.subscribe(session, Reader(100 + chat))
        parser = ParserPool(workers=2)
        try:
            poller = Poller(
                db,
                fetcher,
                PollOptions(interval=60, concurrency=32),
                parser=parser,
            )
            assert all(r.error is None for r in await poller.poll_all())
            for i in range(n):
                items = [(f"{i}-{j}", f"https://n.example/{i}/{j}") for j in range(5)]
                site.put(f"/f{i}.xml", rss(*items, (f"{i}-old", f"https://n.example/{i}/old")))
            results = await poller.poll_all()
        finally:
            await parser.aclose()
        assert [r.error for r in results] == [None] * n
        assert sorted(r.feed_id for r in results) == sorted(ids)
        assert sum(r.published for r in results) == n * 5
        assert await count(db, Delivery) == n * 5 * 4  # the channel and three readers
