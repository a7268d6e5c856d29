"""Shared fixtures: a migrated database on SQLite and, when a URL is given, on PostgreSQL.

Set ``NEWSBOT_TEST_POSTGRES_URL=postgresql+asyncpg://user@host/db`` (``make test-postgres``,
``.ci/run``) and every test that takes ``db`` runs twice, once per database. Each PostgreSQL test
gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import Database

T = TypeVar("T")

POSTGRES_URL = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "").strip()
# Every newsbot a test starts (in process or as `newsbot run`) serves its console on a free
# port: parallel tests never fight over 8080, and the console runs in every end-to-end test.
os.environ["CONSOLE_BIND"] = "127.0.0.1:0"
FIXTURES = Path(__file__).parent / "fixtures"

DATABASES = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param("postgresql", id="postgresql"))


async def _postgres(statement: str) -> None:
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run: each test's database is a copy of it
    (running the seven migrations takes a fifth of a second, a copy a millisecond)."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        await database.migrate()
        await database.dispose()  # the last connection closed: the WAL is folded into the file

    asyncio.run(migrate())
    return path


@pytest.fixture(params=DATABASES)
async def db(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> AsyncIterator[Database]:
    """A freshly migrated database (SQLite file, or a PostgreSQL schema of its own)."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_sqlite, path)
        database = Database(f"sqlite+aiosqlite:///{path}")
        yield database
        await database.dispose()
        return
    schema = f"newsbot_test_{uuid.uuid4().hex[:12]}"
    await _postgres(f'CREATE SCHEMA "{schema}"')
    database = Database(POSTGRES_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await database.migrate()
        yield database
    finally:
        await database.dispose()
        await _postgres(f'DROP SCHEMA "{schema}" CASCADE')


def bounded(call: Callable[[], T], seconds: float = 10.0) -> T:
    """Return ``call()``, failing the test if it is still running after ``seconds``.

    The call runs in a daemon thread, so a parser that never finishes fails the test instead of
    hanging the run (and does not keep the interpreter from exiting).
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test's thread below
            failure.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still parsing after {seconds} s")
    if failure:
        raise failure[0]
    return outcome[0]
