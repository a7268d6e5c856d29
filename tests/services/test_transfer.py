"""Export and import: a database's editions, feeds, sections, readers, subscriptions, campaigns
and articles move as JSON lines into an empty database — SQLite to PostgreSQL, or to another
SQLite — and an export that is not one is refused naming its line, with nothing imported."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.transfer import TABLES, TransferError, export_lines, import_lines
from bot.storage.db import Database
from bot.storage.models import (
    Article,
    Base,
    Campaign,
    Delivery,
    Edition,
    Feed,
    Section,
    Subscriber,
    Subscription,
    utcnow,
)


async def _seed(db: Database) -> None:
    now = utcnow().replace(microsecond=123000)
    async with db.writing() as session:
        en = await session.scalar(select(Edition).where(Edition.code == "en"))
        assert en is not None  # the migrations make the default edition
        en.channel = "@revoi_en"
        hi = Edition(code="hi", language="hi", channel="@revoi_hi", position=1)
        session.add(hi)
        await session.flush()
        feed = Feed(
            url="https://revoi.example/feed",
            title="Revoi",
            edition_id=en.id,
            include_words=["rain", "पुणे"],
            created_at=now,
        )
        session.add(feed)
        await session.flush()
        section = Section(edition_id=en.id, key=f"feed:{feed.id}", name="City", feed_id=feed.id)
        session.add(section)
        await session.flush()
        for chat in range(1, 251):
            session.add(
                Subscriber(
                    chat_id=chat,
                    first_name=f"रीडर {chat}",
                    campaign="metro",
                    subscribed=True,
                    started_at=now - timedelta(days=chat),
                )
            )
        await session.flush()
        for chat in range(1, 251):
            session.add(
                Subscription(
                    chat_id=chat,
                    edition_id=hi.id if chat % 2 else en.id,
                    section_id=section.id if chat % 5 == 0 else None,
                )
            )
        session.add(Campaign(name="metro", label="मेट्रो", created_by=7))
        article = Article(
            identity="x" * 64,
            key="k",
            origin="feed",
            status="published",
            title="Rain in Pune",
            link="https://revoi.example/a",
            post_html="<b>Rain</b>",
            categories=["City"],
            feed_id=feed.id,
            edition_id=en.id,
            published_at=now,
        )
        session.add(article)
        await session.flush()
        session.add(Delivery(article_id=article.id, chat="1", kind="reader", status="sent"))


async def _counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {
            name: await session.scalar(select(func.count()).select_from(Base.metadata.tables[name]))
            or 0
            for name in TABLES
        }


async def _fresh_sqlite(tmp_path: Path, migrated_sqlite: Path) -> Database:
    path = tmp_path / "target.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return Database(f"sqlite+aiosqlite:///{path}")


async def test_a_database_moves_whole(db: Database, tmp_path: Path, migrated_sqlite: Path) -> None:
    """Exported from SQLite, imported into ``db`` (SQLite, or PostgreSQL): the same rows."""
    source = await _fresh_sqlite(tmp_path, migrated_sqlite)
    try:
        await _seed(source)
        lines = [line async for line in export_lines(source)]
        expected = await _counts(source)
    finally:
        await source.dispose()
    assert all("deliveries" not in json.loads(line)["table"] for line in lines)
    counted = await import_lines(db, lines)
    assert counted.rows == expected
    assert await _counts(db) == expected
    async with db.session() as session:
        feed = await session.scalar(select(Feed))
        assert feed is not None
        assert feed.include_words == ["rain", "पुणे"]
        assert feed.created_at.microsecond == 123000
        reader = await session.get(Subscriber, 7)
        assert reader is not None
        assert reader.first_name == "रीडर 7"
        assert reader.started_at.tzinfo is not None
        campaign = await session.get(Campaign, "metro")
        assert campaign is not None
        assert campaign.label == "मेट्रो"
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
    # New rows continue after the imported ids (PostgreSQL's sequences were moved on).
    async with db.writing() as session:
        added = Feed(url="https://new.example/feed", title="New")
        session.add(added)
        await session.flush()
        assert added.id == feed.id + 1


async def test_import_goes_into_an_empty_database_only(db: Database) -> None:
    await _seed(db)
    lines = [line async for line in export_lines(db)]
    with pytest.raises(TransferError, match="already holds feeds"):
        await import_lines(db, lines)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("not json", "line 2: not JSON"),
        ('{"table": "deliveries", "row": {}}', "line 2: no table newsbot imports"),
        ('{"table": "feeds", "row": {"nope": 1}}', "line 2: feeds has no column 'nope'"),
        ('{"table": "feeds", "row": {"url": "u", "created_at": "yesterday"}}', "not a time"),
        ('{"table": "feeds", "row": [1]}', "the row is not an object"),
        (
            '{"table": "feeds", "row": {"url": "u", "created_at": "2026-01-01T00:00"}}',
            "no time zone",
        ),
        ('{"table": "feeds", "row": {"url": "https://a.example/f", "title": "B"}}', "lines 1-2"),
        ('{"table": "editions", "row": {"code": "x", "language": "x"}}', "editions after feeds"),
    ],
)
async def test_a_bad_line_imports_nothing(db: Database, line: str, says: str) -> None:
    first = json.dumps({"table": "feeds", "row": {"url": "https://a.example/f", "title": "A"}})
    with pytest.raises(TransferError, match=says):
        await import_lines(db, [first, line])
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Feed)) == 0
