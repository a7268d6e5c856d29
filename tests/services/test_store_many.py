"""store_many: several feeds stored in one batch publish each article once, however its URLs
differ, and a feed knows the links it listed even when another feed listed them first."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.article import ArticleDraft
from bot.services.articles import StoreRequest, store_many
from bot.services.feeds import ensure_feeds
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus


async def feeds(db: Database, n: int) -> list[int]:
    async with db.session() as session, session.begin():
        found = await ensure_feeds(session, [f"https://n.example/{i}.xml" for i in range(n)])
        return [feed.id for feed in found]


def draft(key: str, link: str) -> ArticleDraft:
    return ArticleDraft(key=key, title=f"Story {key}", summary="Text.", link=link)


async def published(db: Database) -> int:
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).where(Article.status == ArticleStatus.PUBLISHED)
        )
        return int(count or 0)


class TestStoreMany:
    async def test_one_article_under_two_urls_in_one_batch_is_published_once(
        self, db: Database
    ) -> None:
        """A feed listing a story under its AMP link with the canonical URL as guid, and a
        second feed listing the canonical link, in the same batch, publish it once."""
        one, two = await feeds(db, 2)
        story = "https://paper.example/story"
        async with db.writing() as session:
            stored = await store_many(
                session,
                [
                    StoreRequest(
                        [draft(story, story + "?amp=1"), draft("o1", "https://p/o1")],
                        f"feed:{one}",
                        one,
                        True,
                    ),
                    StoreRequest(
                        [draft("g2", story), draft("o2", "https://p/o2")], f"feed:{two}", two, True
                    ),
                ],
            )
        assert [len(s.published) for s in stored] == [2, 1]
        assert [s.seen for s in stored] == [0, 1]
        assert await published(db) == 3

    async def test_a_feed_knows_links_another_feed_listed_first(self, db: Database) -> None:
        """Two section feeds list the same story as backlog; when the second renames its guid,
        the story is not new to it."""
        one, two = await feeds(db, 2)
        story = "https://paper.example/x"
        async with db.writing() as session:
            await store_many(
                session,
                [
                    StoreRequest([draft("x1", story)], f"feed:{one}", one, False),
                    StoreRequest([draft("x2", story)], f"feed:{two}", two, False),
                ],
            )
        async with db.writing() as session:
            [again] = await store_many(
                session, [StoreRequest([draft("x2-renamed", story)], f"feed:{two}", two, True)]
            )
        assert again.published == []
        assert again.seen == 1
        assert await published(db) == 0
