"""Corrections: a feed's change to a published article's title or summary raises its revision
once and renders its post again; an unchanged or unpublished entry changes nothing; the edit of
a sent message is claimed by one process only."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.article import ArticleDraft
from bot.services import corrections
from bot.services.articles import StoreRequest, store_many
from bot.services.corrections import MAX_REVISIONS, correct_many
from bot.services.feeds import ensure_feeds
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus


async def a_feed(db: Database) -> int:
    async with db.writing() as session:
        [feed] = await ensure_feeds(session, ["https://c.example/feed.xml"])
        return feed.id


def entry(title: str = "Bridge opens", summary: str = "Traffic flows.") -> ArticleDraft:
    return ArticleDraft(
        key="story-1", title=title, summary=summary, link="https://c.example/story-1"
    )


async def poll(db: Database, feed: int, draft: ArticleDraft, *, publish: bool = True) -> int:
    """Store ``draft`` as a poll does: corrections first, then what is new; how many corrected."""
    request = StoreRequest([draft], f"feed:{feed}", feed, publish)
    async with db.writing() as session:
        corrected = await correct_many(session, [request])
        await store_many(session, [request])
    return len(corrected)


async def article(db: Database) -> Article:
    async with db.session() as session:
        found = await session.scalar(select(Article))
        assert found is not None
        return found


class TestDetect:
    async def test_a_changed_title_is_one_correction(self, db: Database) -> None:
        """A published article whose title the feed changed gets it, a new post, revision 1;
        polling the same entry again corrects nothing."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        assert await poll(db, feed, entry(title="Bridge opens at last")) == 1
        found = await article(db)
        assert (found.title, found.revision) == ("Bridge opens at last", 1)
        assert found.post_html is not None
        assert "Bridge opens at last" in found.post_html
        assert await poll(db, feed, entry(title="Bridge opens at last")) == 0
        assert (await article(db)).revision == 1

    async def test_a_changed_summary_is_a_correction(self, db: Database) -> None:
        """A new summary is a correction too."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        assert await poll(db, feed, entry(summary="Traffic flows both ways.")) == 1
        found = await article(db)
        assert found.revision == 1
        assert found.post_html is not None
        assert "both ways" in found.post_html

    async def test_an_unchanged_entry_is_no_correction(self, db: Database) -> None:
        """Polling an unchanged feed twice bumps nothing."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        before = (await article(db)).post_html
        assert await poll(db, feed, entry()) == 0
        assert await poll(db, feed, entry()) == 0
        found = await article(db)
        assert (found.revision, found.post_html) == (0, before)

    async def test_an_unpublished_article_is_not_corrected(self, db: Database) -> None:
        """An article only seen (a feed's backlog) keeps what was stored."""
        feed = await a_feed(db)
        await poll(db, feed, entry(), publish=False)
        assert await poll(db, feed, entry(title="Bridge opens at last")) == 0
        found = await article(db)
        assert (found.title, found.revision) == ("Bridge opens", 0)

    async def test_corrections_stop_at_the_cap(self, db: Database) -> None:
        """A feed flipping its title every poll corrects it MAX_REVISIONS times, no more."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        for n in range(MAX_REVISIONS + 3):
            await poll(db, feed, entry(title=f"Bridge opens, take {n}"))
        assert (await article(db)).revision == MAX_REVISIONS


class TestClaim:
    async def test_one_claim_per_revision(self, db: Database) -> None:
        """A stale message is claimed once per revision; a released claim is taken again."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        found = await article(db)
        async with db.writing() as session:
            session.add(
                Delivery(
                    article_id=found.id,
                    chat="@news",
                    kind="channel",
                    status=DeliveryStatus.SENT,
                    message_id=10,
                )
            )
        assert await corrections.stale(db, ["channel"], 10) == []
        await poll(db, feed, entry(title="Bridge opens at last"))
        [row] = await corrections.stale(db, ["channel"], 10)
        assert (row.message_id, row.revision, row.target) == (10, 0, 1)
        assert "Bridge opens at last" in row.html
        assert await corrections.stale(db, ["reader"], 10) == []
        assert await corrections.claim(db, row) is True
        assert await corrections.claim(db, row) is False  # a second process
        assert await corrections.stale(db, ["channel"], 10) == []
        await corrections.release(db, row)
        [again] = await corrections.stale(db, ["channel"], 10)
        assert await corrections.claim(db, again) is True

    async def test_a_reader_gets_the_readers_html(self, db: Database) -> None:
        """A reader's row carries post_dm_html when the article has one."""
        feed = await a_feed(db)
        await poll(db, feed, entry())
        found = await article(db)
        async with db.writing() as session:
            await session.execute(
                update(Article).values(revision=1, post_dm_html="<b>dm</b>", post_html="<b>ch</b>")
            )
            session.add(
                Delivery(
                    article_id=found.id,
                    chat="7001",
                    kind="reader",
                    status=DeliveryStatus.SENT,
                    message_id=3,
                )
            )
        [row] = await corrections.stale(db, ["channel", "reader"], 10)
        assert row.html == "<b>dm</b>"
