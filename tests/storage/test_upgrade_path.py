"""Every release's database upgrades: a database made by migration R (each of them), with the
rows that release stored, is brought to head without losing a row and then has exactly the
schema the models describe; it can then be taken back to an empty database (``alembic
downgrade base``, no newsbot table left) and brought to head again. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import Database, alembic_config, head_revision
from bot.storage.models import Base
from tests.conftest import POSTGRES_URL, _postgres

STAMP = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
REVISIONS = [
    script.revision
    for script in reversed(
        list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions())
    )
]
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def test_every_migration_is_tried() -> None:
    """The list below runs from 0001 to the head, one line: a new migration is tried too."""
    assert REVISIONS[0] == "0001"
    assert REVISIONS[-1] == head_revision()
    assert [f"{n:04d}" for n in range(1, len(REVISIONS) + 1)] == REVISIONS


@pytest.fixture
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An EMPTY database: a new SQLite file, or a PostgreSQL schema of its own."""
    dialect = request.param
    if dialect == "sqlite":
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}")
        yield database
        await database.dispose()
        return
    schema = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    await _postgres(f'CREATE SCHEMA "{schema}"')
    database = Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield database
    finally:
        await database.dispose()
        await _postgres(f'DROP SCHEMA "{schema}" CASCADE')


def at_least(revision: str, since: str) -> bool:
    return REVISIONS.index(revision) >= REVISIONS.index(since)


async def fill(connection: AsyncConnection, revision: str, dialect: str) -> dict[str, int]:
    """Rows that the release at ``revision`` stored, in its own tables' columns (SQL, not the
    models: the models are the head's); how many rows each table must have at head."""
    t = STAMP if dialect == "postgresql" else STAMP.replace(tzinfo=None)

    async def run(sql: str, **values: Any) -> None:
        await connection.execute(text(sql), {"t": t, **values})

    # 0001: feeds, subscribers, articles, deliveries (every later release has these columns).
    await run(
        "INSERT INTO feeds (id, url, title, active, primed, error_count, created_at) "
        "VALUES (1, 'https://paper.example/feed', 'Paper', true, true, 0, :t), "
        "(2, 'https://paper.example/paused', 'Paused', false, true, 3, :t)"
    )
    for chat_id, subscribed, active in ((11, True, True), (12, False, True), (13, True, False)):
        await run(
            "INSERT INTO subscribers (chat_id, first_name, language, campaign, subscribed, "
            "active, started_at, subscribed_at) VALUES (:c, 'Asha', 'hi', 'poster', :s, :a, "
            ":t, :t)",
            c=chat_id,
            s=subscribed,
            a=active,
        )
    await run(
        "INSERT INTO articles (id, feed_id, identity, key, origin, status, title, summary, link,"
        " link_key, published_link, post_html, published_at, created_at) VALUES "
        "(1, 1, :i1, 'k1', 'feed', 'published', 'Old news', 'It happened.', "
        "'https://paper.example/1', :lk, :pl, '<b>Old news</b>', :t, :t), "
        "(2, 1, :i2, 'k2', 'feed', 'seen', 'Older news', '', NULL, NULL, NULL, NULL, NULL, :t)",
        i1="a" * 64,
        i2="b" * 64,
        lk="c" * 64,
        pl="d" * 64,
    )
    await run(
        "INSERT INTO deliveries (id, article_id, chat, kind, status, attempts, next_attempt_at,"
        " message_id, created_at, sent_at) VALUES "
        "(1, 1, '11', 'reader', 'sent', 1, :t, 501, :t, :t), "
        "(2, 1, '@paper', 'channel', 'pending', 0, :t, NULL, :t, NULL)"
    )
    expected = {"feeds": 2, "subscribers": 3, "articles": 2, "deliveries": 2}
    # 0002 makes article 1's link an article URL by itself.
    expected |= {"article_urls": 1, "removed_feeds": 0}
    if at_least(revision, "0002"):
        await run(
            "INSERT INTO removed_feeds (url, removed_at, moved_to) "
            "VALUES ('https://paper.example/old', :t, 1)"
        )
        await run(
            "INSERT INTO article_urls (url_key, article_id, url) "
            "VALUES (:lk, 1, 'https://paper.example/1')",
            lk="c" * 64,
        )
        await run("UPDATE feeds SET full_text = true, paused_reason = 'editor' WHERE id = 2")
        expected["removed_feeds"] = 1
    if at_least(revision, "0003"):
        await run("UPDATE articles SET language = 'hi', post_style = 'card' WHERE id = 1")
    if at_least(revision, "0004"):
        await run("UPDATE subscribers SET chosen_language = 'en' WHERE chat_id = 11")
    if at_least(revision, "0005"):
        await run("UPDATE subscribers SET hinted_at = :t WHERE chat_id = 12")
    # 0006 makes the edition `en`, and a following of it for each subscribed reader.
    expected |= {"editions": 1, "subscriptions": 2, "sections": 0, "article_sections": 0}
    if at_least(revision, "0006"):
        await run(
            "INSERT INTO sections (id, edition_id, key, name, feed_id, created_at) "
            "SELECT 1, id, 'feed:1', 'Paper', 1, :t FROM editions WHERE code = 'en'"
        )
        await run("INSERT INTO article_sections (article_id, section_id) VALUES (1, 1)")
        await run("UPDATE feeds SET edition_id = (SELECT id FROM editions WHERE code = 'en')")
        await run("UPDATE articles SET edition_id = (SELECT id FROM editions WHERE code = 'en')")
        await run(
            "INSERT INTO subscriptions (chat_id, edition_id, section_id, exclude, mode, "
            "created_at) SELECT s.chat_id, e.id, NULL, false, 'instant', :t FROM subscribers s,"
            " editions e WHERE s.subscribed AND e.code = 'en'"
        )
        await run("UPDATE subscribers SET digest_hour = 8, timezone = 'Asia/Kolkata'")
        # a digest: no article
        await run(
            "INSERT INTO deliveries (id, article_id, chat, kind, status, attempts, "
            "next_attempt_at, html, created_at) VALUES "
            "(3, NULL, '13', 'digest', 'pending', 0, :t, '<b>Digest</b>', :t)"
        )
        expected |= {"sections": 1, "article_sections": 1, "deliveries": 3}
    expected |= {"sends": 0, "invite_links": 0, "channel_admins": 0}
    if at_least(revision, "0007"):
        await run(
            "INSERT INTO sends (id, article_id, edition_id, status, requested_by, paid, "
            "breaking, silent, created_at, queued_at) "
            "SELECT 1, 1, id, 'queued', 42, false, true, false, :t, :t FROM editions "
            "WHERE code = 'en'"
        )
        await run("UPDATE deliveries SET send_id = 1 WHERE id IN (1, 2)")
        await run(
            "INSERT INTO invite_links (id, campaign, channel, invite_link, created_at) "
            "VALUES (1, 'poster', '@paper', 'https://t.me/+abc', :t)"
        )
        await run(
            "INSERT INTO channel_admins (channel, user_id, name, refreshed_at) "
            "VALUES ('@paper', 42, 'Editor', :t)"
        )
        await run("UPDATE feeds SET approve = true WHERE id = 1")
        expected |= {"sends": 1, "invite_links": 1, "channel_admins": 1}
    expected["chats"] = 0
    if at_least(revision, "0008"):
        await run("INSERT INTO chats (chat, next_at, tat) VALUES ('11', :t, :t)")
        await run("UPDATE deliveries SET reason = 'blocked', revision = 1 WHERE id = 1")
        await run("UPDATE articles SET revision = 1 WHERE id = 1")
        expected["chats"] = 1
    expected |= {"campaigns": 0, "secrets": 0}
    if at_least(revision, "0010"):
        await run(
            "INSERT INTO campaigns (name, label, created_by, created_at) "
            "VALUES ('poster', 'The poster', 42, :t)"
        )
        await run("INSERT INTO secrets (name, value, created_at) VALUES ('webhook', 'x', :t)")
        expected |= {"campaigns": 1, "secrets": 1}
    return expected


def schema_diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def downgrade(db: Database, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config(db.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def counts(db: Database, names: list[str]) -> dict[str, int]:
    async with db.engine.connect() as connection:
        return {
            name: (
                await connection.execute(text(f"SELECT count(*) FROM {name}"))  # noqa: S608 - our names
            ).scalar_one()
            for name in names
        }


@pytest.mark.parametrize("empty_db", DATABASES, indirect=True)
@pytest.mark.parametrize("revision", REVISIONS)
async def test_upgrade_from_every_release_and_downgrade(empty_db: Database, revision: str) -> None:
    db = empty_db
    await db.migrate(revision)
    assert await db.revision() == revision
    async with db.engine.begin() as connection:
        expected = await fill(connection, revision, db.dialect)

    await db.migrate()
    assert await db.revision() == head_revision()
    assert await counts(db, sorted(expected)) == expected
    async with db.engine.connect() as connection:
        assert await connection.run_sync(schema_diff) == []
        feeds = (
            await connection.execute(text("SELECT id, title, active FROM feeds ORDER BY id"))
        ).all()
        assert [tuple(row) for row in feeds] == [(1, "Paper", True), (2, "Paused", False)]
        readers = (
            await connection.execute(
                text("SELECT chat_id, subscribed, active FROM subscribers ORDER BY chat_id")
            )
        ).all()
        assert [tuple(row) for row in readers] == [
            (11, True, True),
            (12, False, True),
            (13, True, False),
        ]
        following = (
            await connection.execute(
                text(
                    "SELECT s.chat_id, e.code, s.mode FROM subscriptions s "
                    "JOIN editions e ON e.id = s.edition_id ORDER BY s.chat_id"
                )
            )
        ).all()
        assert [tuple(row) for row in following] == [(11, "en", "instant"), (13, "en", "instant")]
        outbox = (
            await connection.execute(
                text(
                    "SELECT d.id, d.article_id, d.chat, d.status, d.message_id, d.revision "
                    "FROM deliveries d ORDER BY d.id"
                )
            )
        ).all()
        revised = 1 if at_least(revision, "0008") else 0
        assert [tuple(row) for row in outbox][:2] == [
            (1, 1, "11", "sent", 501, revised),
            (2, 1, "@paper", "pending", None, 0),
        ]
        articles = (
            await connection.execute(
                text(
                    "SELECT a.id, a.status, a.title, e.code FROM articles a "
                    "JOIN editions e ON e.id = a.edition_id ORDER BY a.id"
                )
            )
        ).all()
        assert [tuple(row) for row in articles] == [
            (1, "published", "Old news", "en"),
            (2, "seen", "Older news", "en"),
        ]
        edition_of_feeds = (
            await connection.execute(
                text("SELECT count(*) FROM feeds f JOIN editions e ON e.id = f.edition_id")
            )
        ).scalar_one()
        assert edition_of_feeds == 2

    await downgrade(db, "base")
    assert await db.revision() is None
    async with db.engine.connect() as connection:
        assert await connection.run_sync(tables) <= {"alembic_version"}

    await db.migrate()
    assert await db.revision() == head_revision()
    async with db.engine.connect() as connection:
        assert await connection.run_sync(schema_diff) == []
        assert {"feeds", "subscribers", "articles", "deliveries"} <= await connection.run_sync(
            tables
        )
