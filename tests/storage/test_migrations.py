"""The Alembic migrations make exactly the schema the models describe."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import Database, head_revision
from bot.storage.models import Base
from tests.cli_helpers import fresh_postgres_database
from tests.conftest import POSTGRES_URL


class TestMigrations:
    async def test_head_matches_models(self, db: Database) -> None:
        """After `upgrade head` autogenerate finds nothing to change: models and schema agree."""

        def diff(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with db.engine.connect() as connection:
            assert await connection.run_sync(diff) == []

    async def test_migrate_twice_is_harmless(self, db: Database) -> None:
        """Running the migrations again on a migrated database changes nothing."""
        await db.migrate()
        async with db.engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"feeds", "articles", "subscribers", "deliveries", "alembic_version"} <= tables


@pytest.mark.skipif(not POSTGRES_URL, reason="set NEWSBOT_TEST_POSTGRES_URL to run it")
async def test_processes_starting_together_migrate_in_turn() -> None:
    """Four processes' first migrations on one empty PostgreSQL database at once: they take
    turns under the advisory lock, and all of them find the schema at head."""
    async with fresh_postgres_database(POSTGRES_URL, "newsbot_migrate", migrated=False) as url:
        databases = [Database(url) for _ in range(4)]
        try:
            await asyncio.gather(*(database.migrate() for database in databases))
            revisions = {await database.revision() for database in databases}
        finally:
            for database in databases:
                await database.dispose()
    assert revisions == {head_revision()}
