"""A feed's editorial rules applied where articles are stored: a draft the rules keep out is
stored as seen (never published, never delivered), on SQLite and PostgreSQL, in a batch of
several feeds and when a real feed is polled."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from bot.article import ArticleDraft
from bot.errors import RuleError
from bot.feeds.fetch import Fetcher
from bot.sandbox import FeedServer
from bot.services import readers
from bot.services.articles import StoreRequest, feed_layouts, store_many
from bot.services.feeds import configure_feed, ensure_feeds
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Delivery, Feed
from jobs.poll import Poller, PollOptions
from tests.helpers import use_editions


def draft(key: str, title: str, summary: str = "Text.", *categories: str) -> ArticleDraft:
    return ArticleDraft(
        key=key,
        title=title,
        summary=summary,
        link=f"https://paper.example/{key}",
        categories=categories,
    )


async def feeds(db: Database, n: int) -> list[int]:
    async with db.session() as session, session.begin():
        found = await ensure_feeds(session, [f"https://n.example/{i}.xml" for i in range(n)])
        return [feed.id for feed in found]


async def statuses(db: Database) -> dict[str, str]:
    async with db.session() as session:
        rows = await session.execute(select(Article.key, Article.status))
        return {key: str(status) for key, status in rows}


async def configure(db: Database, feed_id: int, **rules: object) -> Feed:
    async with db.writing() as session:
        return await configure_feed(session, feed_id, **rules)  # type: ignore[arg-type]


class TestStoreMany:
    async def test_excluded_and_not_included_drafts_are_only_seen(self, db: Database) -> None:
        """In one batch, a feed's exclude words and another's include words keep their
        drafts out (stored as seen), and a feed without rules publishes everything."""
        sport, wire, plain = await feeds(db, 3)
        await configure(db, sport, include="cricket, विश्व कप")
        await configure(db, wire, exclude="sponsored,advertorial")
        async with db.writing() as session:
            stored = await store_many(
                session,
                [
                    StoreRequest(
                        [
                            draft("s1", "Tennis final"),
                            draft("s2", "India win", "Report.", "Cricket"),
                            draft("s3", "भारत ने विश्व कप जीता"),
                        ],
                        f"feed:{sport}",
                        sport,
                        True,
                    ),
                    StoreRequest(
                        [
                            draft("w1", "SPONSORED: a new phone"),
                            draft("w2", "Rates rise", "An advertorial by a bank."),
                            draft("w3", "Sponsorship of the league"),
                        ],
                        f"feed:{wire}",
                        wire,
                        True,
                    ),
                    StoreRequest([draft("p1", "Sponsored tennis")], f"feed:{plain}", plain, True),
                ],
            )
        assert [len(s.published) for s in stored] == [2, 1, 1]
        assert [s.seen for s in stored] == [1, 2, 0]
        assert await statuses(db) == {
            "s1": ArticleStatus.SEEN,
            "s2": ArticleStatus.PUBLISHED,
            "s3": ArticleStatus.PUBLISHED,
            "w1": ArticleStatus.SEEN,
            "w2": ArticleStatus.SEEN,
            "w3": ArticleStatus.PUBLISHED,
            "p1": ArticleStatus.PUBLISHED,
        }

    async def test_a_kept_out_draft_does_not_block_the_same_story_elsewhere(
        self, db: Database
    ) -> None:
        """A story one feed's rules keep out is published by another feed of the same batch
        that has no such rule."""
        strict, other = await feeds(db, 2)
        await configure(db, strict, exclude="sponsored")
        story = ArticleDraft(
            key="k", title="Sponsored travel", summary="", link="https://paper.example/t"
        )
        async with db.writing() as session:
            stored = await store_many(
                session,
                [
                    StoreRequest([story], f"feed:{strict}", strict, True),
                    StoreRequest([story], f"feed:{other}", other, True),
                ],
            )
        assert [len(s.published) for s in stored] == [0, 1]

    async def test_kept_out_is_logged_with_the_rule(
        self, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each draft kept out is one log line naming the feed and the rule."""
        [feed_id] = await feeds(db, 1)
        await configure(db, feed_id, exclude="Paid Post")
        caplog.set_level(logging.INFO, logger="bot.services.articles")
        async with db.writing() as session:
            await store_many(
                session,
                [StoreRequest([draft("x", "A paid post")], f"feed:{feed_id}", feed_id, True)],
            )
        assert (
            f"article kept out by the feed's rules feed_id={feed_id} rule=exclude: 'Paid Post'"
            in caplog.messages
        )

    async def test_rules_come_with_the_layout(self, db: Database) -> None:
        """feed_layouts carries each feed's rules (None for a feed without), so storing needs
        no query of its own for them."""
        one, two = await feeds(db, 2)
        await configure(db, one, include="a", exclude="b")
        async with db.session() as session:
            layouts = await feed_layouts(session, [one, two])
        rules = layouts[one].rules
        assert rules is not None
        assert (rules.include, rules.exclude) == (("a",), ("b",))
        assert layouts[two].rules is None


class TestConfigure:
    async def test_set_clear_and_refuse(self, db: Database) -> None:
        """Rules are stored cleaned, "" clears one, approval switches, and a rule out of
        bounds changes nothing."""
        [feed_id] = await feeds(db, 1)
        feed = await configure(db, feed_id, include=" a ,b  c,", exclude="x", approve=True)
        assert (feed.include_words, feed.exclude_words, feed.approve) == (["a", "b c"], ["x"], True)
        feed = await configure(db, feed_id, include="", approve=False)
        assert (feed.include_words, feed.exclude_words, feed.approve) == (None, ["x"], False)
        with pytest.raises(RuleError):
            await configure(db, feed_id, exclude="y" * 101, approve=True)
        async with db.session() as session:
            row = await session.get(Feed, feed_id)
            assert row is not None
            assert (row.exclude_words, row.approve) == (["x"], False)


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private_networks=True) as f:
        yield f


def rss(*items: tuple[str, str]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://n.example/{guid}</link>"
        f"<description>Body of {guid}.</description></item>"
        for guid, title in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title>{body}</channel></rss>'
    )


class TestPoll:
    async def test_a_polled_article_with_an_excluded_word_is_not_delivered(
        self, db: Database, site: FeedServer, fetcher: Fetcher
    ) -> None:
        """When a feed is polled, a new entry with an excluded word is stored as seen and
        queues no delivery; the other new entry is published to the channel and the reader."""
        await use_editions(db, ("en", "@news"))
        site.put("/f.xml", rss(("a", "Old story")))
        [feed_id] = [f.id for f in await _register(db, site.url_for("/f.xml"))]
        async with db.session() as session, session.begin():
            await readers.subscribe(session, Reader(42))
        poller = Poller(db, fetcher, PollOptions(interval=60))
        assert (await poller.poll_feed(feed_id)).seen == 1  # primed
        await configure(db, feed_id, exclude="advertorial")
        site.put(
            "/f.xml", rss(("b", "An Advertorial: loans"), ("c", "Budget passed"), ("a", "Old"))
        )
        result = await poller.poll_feed(feed_id)
        assert (result.published, result.seen, result.deliveries) == (1, 1, 2)
        async with db.session() as session:
            rows = {t: s for t, s in await session.execute(select(Article.title, Article.status))}
        assert rows["An Advertorial: loans"] == ArticleStatus.SEEN
        assert rows["Budget passed"] == ArticleStatus.PUBLISHED
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 2


async def _register(db: Database, url: str) -> list[Feed]:
    async with db.session() as session, session.begin():
        return await ensure_feeds(session, [url])
