"""/healthz, /readyz and /metrics: no session needed; ready only while the database answers at
newsbot's newest migration; the metrics' database figures are what the database holds."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.console import ops
from bot.storage.db import Database, head_revision
from bot.storage.models import Article, Delivery, Feed, Subscriber, Subscription, utcnow
from tests.console.conftest import Console


@pytest.fixture(autouse=True)
def answers_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request asks anew (the answers' few seconds of keeping are for a public address)."""
    monkeypatch.setattr(ops, "READY_SECONDS", 0.0)
    monkeypatch.setattr(ops, "METRICS_SECONDS", 0.0)


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


async def test_healthz_answers_without_a_session(console: Console) -> None:
    answer = await console.client().get("/healthz")
    assert answer.status_code == 200
    assert answer.text == "ok\n"


async def test_ready_at_the_newest_migration_only(console: Console) -> None:
    client = console.client()
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "database": None, "bot_api": None}
    async with console.db.writing() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    behind = await client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["database"] == f"the schema is at migration 0009, not {head_revision()}"


async def test_not_ready_while_the_database_is_unreachable(console: Console) -> None:
    working = console.core.db
    console.core.db = Database("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    try:
        answer = await console.client().get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["database"].startswith("the database is unreachable")
        assert (await console.client().get("/metrics")).status_code == 503
    finally:
        await console.core.db.dispose()
        console.core.db = working
    assert (await console.client().get("/readyz")).status_code == 200


async def test_metrics_are_what_the_database_holds(console: Console) -> None:
    en = console.core.editions.by_code["en"].id
    hi = console.core.editions.by_code["hi"].id
    async with console.db.writing() as session:
        for n, status in enumerate(["published", "published", "seen"]):
            session.add(
                Article(identity=f"id{n}", key=f"k{n}", origin="feed", status=status, title="t")
            )
        await session.flush()
        for n, (status, reason) in enumerate(
            [("sent", None), ("sent", None), ("failed", "blocked"), ("pending", None)]
        ):
            session.add(Delivery(chat=str(n), kind="reader", status=status, reason=reason))
        for chat, edition, active in ((1, en, True), (2, en, True), (3, hi, True), (4, hi, False)):
            session.add(Subscriber(chat_id=chat, subscribed=True, active=active))
            await session.flush()
            session.add(Subscription(chat_id=chat, edition_id=edition))
        session.add(Feed(url="https://a.example/f", active=True, error_count=0))
        session.add(Feed(url="https://b.example/f", active=True, error_count=3))
        session.add(Feed(url="https://c.example/f", active=False, created_at=utcnow()))
    answer = await console.client().get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    got = samples(answer.text)
    assert got[("newsbot_articles_published", ())] == 2
    assert got[("newsbot_deliveries", (("reason", ""), ("status", "sent")))] == 2
    assert got[("newsbot_deliveries", (("reason", "blocked"), ("status", "failed")))] == 1
    assert got[("newsbot_outbox_depth", ())] == 1
    assert got[("newsbot_readers", (("edition", "en"),))] == 2
    assert got[("newsbot_readers", (("edition", "hi"),))] == 1
    assert got[("newsbot_feeds", (("state", "active"),))] == 1
    assert got[("newsbot_feeds", (("state", "failing"),))] == 1
    assert got[("newsbot_feeds", (("state", "paused"),))] == 1
    assert all(name.startswith("newsbot_") for name, _ in got)
