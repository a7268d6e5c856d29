"""The database handle: an async engine, sessions, and the migrations that make the schema.

::

    db = Database("sqlite+aiosqlite:///newsbot.sqlite3")
    await db.migrate()                     # alembic upgrade head, on this engine
    async with db.session() as session, session.begin():
        ...
    await db.dispose()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
#: The PostgreSQL advisory lock ``(namespace, key)`` migrations run under; the leases' locks
#: are in namespaces of their own (:mod:`bot.storage.leases`).
MIGRATION_LOCK = (0x6D696772, 0)  # "migr"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration newsbot ships (``alembic heads``; there is one)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "newsbot ships migrations"
    return head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # `newsbot push` may write while `run` reads
    cursor.execute("PRAGMA busy_timeout=10000")
    # WAL's recommended durability: a commit survives newsbot being killed (what the outbox's
    # guarantees are about); a power cut may take back the last commits, which the outbox then
    # does again (readers) or asks about (channels), as after a crash. FULL would wait for
    # the disk at every commit: the outbox commits a few hundred times a second.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _make_parent(path: str) -> None:
    Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


class Database:
    """An async engine and its session factory for one database URL."""

    def __init__(self, url: str, *, connect_args: dict[str, Any] | None = None) -> None:
        self.url = make_url(url)
        #: what each connection is opened with (a PostgreSQL schema's search path, say).
        self.connect_args = connect_args or {}
        self.engine = create_async_engine(self.url, connect_args=self.connect_args)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    def describe(self) -> str:
        """The URL with its password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A new session; use ``async with session.begin()`` for a transaction."""
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session in a write transaction that queues for the database, never fails on it.

        On SQLite, which has one writer at a time, writers of this process wait their turn on a
        lock, and the transaction starts with ``BEGIN IMMEDIATE``: a transaction that reads and
        then writes would otherwise fail with "database is locked" when another connection
        wrote in between (SQLite cannot wait for it: its snapshot is stale). On PostgreSQL it is
        an ordinary transaction.
        """
        if self.dialect != "sqlite":
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self.sessions() as session, session.begin():
            connection = await session.connection()
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema to the newest migration (``alembic upgrade head``), or to
        ``revision``."""

        if self.dialect == "sqlite" and self.url.database not in (None, "", ":memory:"):
            await asyncio.to_thread(_make_parent, self.url.database or "")

        def upgrade(connection: Connection) -> None:
            config = alembic_config(self.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        async with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                # Processes starting together take turns: the second finds the schema made
                # (a lock of this transaction, released with it; SQLite's writers queue anyway).
                await connection.exec_driver_sql(
                    "SELECT pg_advisory_xact_lock(%d, %d)" % MIGRATION_LOCK  # noqa: UP031
                )
            await connection.run_sync(upgrade)
        log.debug("database migrated url=%s", self.describe())

    async def revision(self) -> str | None:
        """The schema's migration now (``alembic current``); ``None`` for an empty database."""

        def current(connection: Connection) -> str | None:
            return MigrationContext.configure(connection).get_current_revision()

        async with self.engine.connect() as connection:
            return await connection.run_sync(current)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
