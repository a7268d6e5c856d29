"""The Alembic migrations make exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import Database
from bot.storage.models import Base


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
