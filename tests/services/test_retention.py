"""Retention (bot.services.retention.prune): finished deliveries older than the window go, in
batches, and nothing else; stale pacing rows go; 0 days keeps everything. The job logs one line
of counts (jobs.retention)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from sqlalchemy import func, select

from bot.services.retention import FINAL, prune
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Chat, Delivery, DeliveryStatus, Send
from jobs.retention import retention_job

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def seed(db: Database) -> dict[tuple[str, str], int]:
    """One delivery of every status 91 days old and one 89 days old (window: 90 days), and a
    send; returns their ids by (status, "old" or "new")."""
    async with db.session() as session, session.begin():
        article = Article(
            identity="0" * 64,
            key="k",
            origin="feed",
            status=ArticleStatus.PUBLISHED,
            title="Old story",
        )
        session.add(article)
        await session.flush()
        send = Send(article_id=article.id, status="done")
        session.add(send)
        await session.flush()
        rows: dict[tuple[str, str], Delivery] = {}
        for status in DeliveryStatus:
            for age, days in (("old", 91), ("new", 89)):
                rows[status, age] = Delivery(
                    article_id=article.id,
                    send_id=send.id,
                    chat=f"{status}-{age}",
                    kind="reader",
                    status=status,
                    created_at=NOW - days * DAY,
                )
        session.add_all(rows.values())
        await session.flush()
        return {key: row.id for key, row in rows.items()}


def chat(name: str, next_at: datetime, **values: Any) -> Chat:
    """A pacing row (``tat``: ``next_at`` unless given)."""
    return Chat(chat=name, next_at=next_at, **({"tat": next_at} | values))


async def remaining(db: Database) -> set[int]:
    async with db.session() as session:
        return set((await session.scalars(select(Delivery.id))).all())


class TestPrune:
    async def test_only_old_finished_deliveries_go(self, db: Database) -> None:
        """Sent, failed, cancelled, digested and unknown rows older than the window are deleted;
        newer ones, and pending, sending and held rows of any age, stay; so does the send."""
        ids = await seed(db)
        pruned = await prune(db, NOW, 90)
        gone = {ids[status, "old"] for status in FINAL}
        assert pruned.deliveries == len(gone) == 5
        assert await remaining(db) == set(ids.values()) - gone
        kept = {status for status, age in ids if age == "old"} - set(FINAL)
        assert kept == {DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD}
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Send)) == 1

    async def test_small_batches_delete_everything(self, db: Database) -> None:
        """With two ids a batch, the five old rows take three transactions, and all go."""
        ids = await seed(db)
        pruned = await prune(db, NOW, 90, batch=2)
        assert (pruned.deliveries, pruned.batches) == (5, 3)
        assert await remaining(db) == set(ids.values()) - {ids[s, "old"] for s in FINAL}
        again = await prune(db, NOW, 90, batch=2)
        assert (again.deliveries, again.batches) == (0, 0)

    async def test_a_batch_the_size_of_the_rows(self, db: Database) -> None:
        """Five old rows, five a batch: one full batch, then an empty look, nothing left."""
        ids = await seed(db)
        pruned = await prune(db, NOW, 90, batch=5)
        assert (pruned.deliveries, pruned.batches) == (5, 1)
        assert await remaining(db) == set(ids.values()) - {ids[s, "old"] for s in FINAL}

    async def test_zero_days_keeps_everything(self, db: Database) -> None:
        """DELIVERY_RETENTION_DAYS=0: nothing is deleted, deliveries or chats."""
        ids = await seed(db)
        async with db.session() as session, session.begin():
            session.add(chat("1", NOW - 30 * DAY))
        pruned = await prune(db, NOW, 0)
        assert (pruned.deliveries, pruned.chats) == (0, 0)
        assert await remaining(db) == set(ids.values())
        async with db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Chat)) == 1

    async def test_stale_pacing_rows_go(self, db: Database) -> None:
        """Chats whose next_at and tat passed more than a day ago are deleted; recent ones, and
        a group's move to its supergroup, stay."""
        async with db.session() as session, session.begin():
            session.add_all(
                [
                    chat("stale", NOW - 2 * DAY),
                    chat("recent", NOW - timedelta(hours=23)),
                    chat("ahead", NOW + timedelta(minutes=5)),
                    chat("burst", NOW - 2 * DAY, tat=NOW - timedelta(hours=1)),
                    chat("-1", NOW - 9 * DAY, moved_to="-1001"),
                ]
            )
        pruned = await prune(db, NOW, 90)
        assert pruned.chats == 1
        async with db.session() as session:
            chats = set((await session.scalars(select(Chat.chat))).all())
        assert chats == {"recent", "ahead", "burst", "-1"}

    async def test_a_bad_batch_is_refused(self, db: Database) -> None:
        """A batch of 0 would never finish: ValueError naming it."""
        with pytest.raises(ValueError, match="0"):
            await prune(db, NOW, 90, batch=0)


class TestJob:
    async def test_one_line_of_counts(self, db: Database, caplog: pytest.LogCaptureFixture) -> None:
        """The job prunes with the settings' days and the Newsbot's clock, and logs the counts
        as key=value."""
        await seed(db)
        newsbot = SimpleNamespace(
            db=db, clock=lambda: NOW, settings=SimpleNamespace(delivery_retention_days=90)
        )
        context = cast(Any, SimpleNamespace(bot_data={"newsbot": newsbot}))
        with caplog.at_level(logging.INFO, logger="jobs.retention"):
            await retention_job(context)
        [line] = [r.getMessage() for r in caplog.records if r.name == "jobs.retention"]
        assert line.startswith("retention pruned days=90 deliveries=5 chats=0 batches=1 ")
