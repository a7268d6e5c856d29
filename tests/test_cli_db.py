"""``newsbot db upgrade|current``, ``newsbot export`` and ``newsbot import``: where the schema
is and bringing it to the newest migration; moving a database (SQLite to PostgreSQL) with
export and import; every failure one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.storage.db import Database, head_revision
from bot.storage.models import Campaign, Subscriber
from tests.cli_helpers import fresh_postgres_database
from tests.conftest import POSTGRES_URL


def sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for key in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_CHANNEL", "EDITIONS", "FEEDS", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_current_and_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.sqlite3"
    monkeypatch.setenv("DATABASE_URL", sqlite(path))
    status, _, err = run(capsys, "db", "current")
    assert (status, err.strip()) == (
        2,
        f"newsbot: configuration error: DATABASE_URL: there is no database at {path}",
    )
    assert not path.exists()

    async def old() -> None:
        database = Database(sqlite(path))
        await database.migrate("0009")
        await database.dispose()

    asyncio.run(old())
    head = head_revision()
    assert run(capsys, "db", "current")[:2] == (
        1,
        f"0009: 2 migrations behind ({head}); newsbot db upgrade, or newsbot run, brings it"
        " there\n",
    )
    assert run(capsys, "db", "upgrade")[:2] == (0, f"0009 -> {head}: upgraded\n")
    assert run(capsys, "db", "current")[:2] == (0, f"{head} (head)\n")
    assert run(capsys, "db", "upgrade")[:2] == (0, f"{head}: already the newest migration\n")


@pytest.mark.skipif(not POSTGRES_URL, reason="set NEWSBOT_TEST_POSTGRES_URL to run it")
def test_sqlite_moves_to_postgresql_with_two_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "small.sqlite3"

    async def fill() -> None:
        database = Database(sqlite(source))
        await database.migrate()
        async with database.writing() as session:
            session.add(Campaign(name="metro", label="Metro"))
            for chat in range(1, 101):
                session.add(Subscriber(chat_id=chat, campaign="metro", subscribed=True))
        await database.dispose()

    asyncio.run(fill())
    monkeypatch.setenv("DATABASE_URL", sqlite(source))
    status, exported, err = run(capsys, "export")
    assert status == 0
    lines = exported.splitlines()
    assert all(json.loads(line)["table"] for line in lines)
    assert err == f"newsbot: exported {len(lines)} rows\n"
    export = tmp_path / "newsbot.jsonl"
    export.write_text(exported, encoding="utf-8")

    async def move() -> tuple[int, int, int, str, str]:
        async with fresh_postgres_database(POSTGRES_URL, "newsbot_move", migrated=False) as url:
            monkeypatch.setenv("DATABASE_URL", url)
            status = await asyncio.to_thread(main, ["import", str(export)])
            out, err = capsys.readouterr()
            database = Database(url)
            try:
                async with database.session() as session:
                    readers = await session.scalar(select(func.count()).select_from(Subscriber))
                    campaigns = await session.scalar(select(func.count()).select_from(Campaign))
            finally:
                await database.dispose()
            return status, readers or 0, campaigns or 0, out, err

    status, readers, campaigns, out, err = asyncio.run(move())
    assert (status, readers, campaigns, err) == (0, 100, 1, "")
    assert out.startswith("newsbot: imported ")
    assert "subscribers 100" in out


def test_a_bad_export_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite(tmp_path / "new.sqlite3"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"table": "feeds", "row": {"url": "x", "title": "t"}}\nnot json\n')
    assert run(capsys, "import", str(bad)) == (
        1,
        "",
        "newsbot: nothing was imported: line 2: not JSON (Expecting value)\n",
    )
    status, _, err = run(capsys, "import", str(tmp_path / "missing.jsonl"))
    assert (status, err) == (2, f"newsbot: {tmp_path / 'missing.jsonl'} does not exist\n")
