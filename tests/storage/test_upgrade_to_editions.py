"""Upgrading a database made before editions (migration 0005) keeps every reader: each
subscribed reader follows all of the default edition, each feed and article belongs to it,
the outbox's rows stay, and the next article reaches the same readers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.article import ArticleDraft
from bot.config import EditionConfig
from bot.services.articles import store_drafts
from bot.services.editions import ensure_editions
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, Feed, Subscriber, Subscription
from tests.conftest import DATABASES, POSTGRES_URL, _postgres

OLD = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(params=DATABASES)
async def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database at migration 0005 (the release before editions), on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
        await database.migrate("0005")
        yield database
        await database.dispose()
        return
    schema = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    await _postgres(f'CREATE SCHEMA "{schema}"')
    database = Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await database.migrate("0005")
        yield database
    finally:
        await database.dispose()
        await _postgres(f'DROP SCHEMA "{schema}" CASCADE')


async def fill_old(db: Database) -> None:
    """What the release before editions stored: a feed, an article sent, four readers."""
    stamp = OLD if db.dialect == "postgresql" else OLD.replace(tzinfo=None)
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO feeds (id, url, title, active, primed, error_count, full_text, "
                "created_at) VALUES (1, 'https://paper.example/feed', 'Paper', true, true, 0, "
                "false, :t)"
            ),
            {"t": stamp},
        )
        await connection.execute(
            text(
                "INSERT INTO articles (feed_id, identity, key, origin, status, title, "
                "summary, created_at) VALUES (1, :i, 'k1', 'feed', 'published', 'Old news',"
                " '', :t)"
            ),
            {"i": "a" * 64, "t": stamp},
        )
        for chat_id, subscribed, active in ((11, True, True), (12, True, True), (13, False, True),
                                            (14, True, False)):  # fmt: skip
            await connection.execute(
                text(
                    "INSERT INTO subscribers (chat_id, first_name, subscribed, active, "
                    "started_at, campaign) VALUES (:c, 'Asha', :s, :a, :t, 'poster')"
                ),
                {"c": chat_id, "s": subscribed, "a": active, "t": stamp},
            )
        await connection.execute(
            text(
                "INSERT INTO deliveries (article_id, chat, kind, status, attempts, "
                "next_attempt_at, created_at) SELECT id, '11', 'reader', 'sent', 1, :t, :t "
                "FROM articles"
            ),
            {"t": stamp},
        )


async def test_readers_follow_the_default_edition_after_upgrade(old_db: Database) -> None:
    await fill_old(old_db)
    await old_db.migrate()
    async with old_db.session() as session, session.begin():
        editions = await ensure_editions(
            session, [EditionConfig("en", "@revoi_en"), EditionConfig("hi", "@revoi_hi")]
        )
    en = editions.by_code["en"]
    assert editions.default == en
    async with old_db.session() as session:
        follows = list(
            await session.execute(
                select(
                    Subscription.chat_id,
                    Subscription.edition_id,
                    Subscription.section_id,
                    Subscription.mode,
                ).order_by(Subscription.chat_id)
            )
        )
        assert [tuple(row) for row in follows] == [
            (11, en.id, None, "instant"),
            (12, en.id, None, "instant"),
            (14, en.id, None, "instant"),  # unreachable now, still subscribed when back
        ]
        assert set(await session.scalars(select(Feed.edition_id))) == {en.id}
        assert set(await session.scalars(select(Article.edition_id))) == {en.id}
        delivery = await session.scalar(select(Delivery))
        assert delivery is not None
        old_article = await session.scalar(select(Article.id).where(Article.key == "k1"))
        assert (delivery.article_id, delivery.chat, delivery.status) == (old_article, "11", "sent")
        subscribed = {
            row.chat_id: row.subscribed for row in await session.scalars(select(Subscriber))
        }
        assert subscribed == {11: True, 12: True, 13: False, 14: True}

    draft = ArticleDraft(
        key="k2", title="New news", summary="It happened.", link="https://p.example/2"
    )
    async with old_db.session() as session, session.begin():
        stored = await store_drafts(session, [draft], source="feed:1", feed_id=1, publish=True)
        await enqueue(session, stored.published[0])
    async with old_db.session() as session:
        chats = set(
            await session.scalars(
                select(Delivery.chat).where(Delivery.article_id == stored.published[0].id)
            )
        )
    assert chats == {"@revoi_en", "11", "12"}


async def test_a_hindi_only_publisher_keeps_its_readers(old_db: Database) -> None:
    """EDITIONS naming only `hi`: the single edition of the old release becomes `hi`."""
    await fill_old(old_db)
    await old_db.migrate()
    async with old_db.session() as session, session.begin():
        editions = await ensure_editions(session, [EditionConfig("hi", "@revoi_hi")])
    assert [e.code for e in editions.all] == ["hi"]
    async with old_db.session() as session:
        follows = set(await session.scalars(select(Subscription.edition_id)))
    assert follows == {editions.by_code["hi"].id}


async def test_downgrade_and_upgrade_again(old_db: Database) -> None:
    """0006 can be undone (digests, which older code cannot read, are dropped) and redone."""
    from alembic import command
    from sqlalchemy.engine import Connection

    from bot.storage.db import alembic_config

    await fill_old(old_db)
    await old_db.migrate()

    def downgrade(connection: Connection) -> None:
        config = alembic_config(old_db.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")

    async with old_db.engine.begin() as connection:
        await connection.run_sync(downgrade)
    async with old_db.engine.connect() as connection:
        kept = (
            await connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM articles "
                    "WHERE feed_id = 1), (SELECT count(*) FROM subscribers)"
                )
            )
        ).one()
    assert tuple(kept) == (1, 1, 4)  # the downgrade copied tables without losing a row
    if old_db.dialect == "sqlite":
        async with old_db.engine.connect() as connection:
            feeds_sql = (
                await connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'feeds'")
                )
            ).scalar_one()
        assert "AUTOINCREMENT" in feeds_sql
    await old_db.migrate()
    async with old_db.session() as session:
        assert len(list(await session.scalars(select(Subscription)))) == 3
