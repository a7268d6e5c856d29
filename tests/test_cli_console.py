"""``newsbot console``: the console alone, a second process on the bot's database."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.services.console_auth import issue_login
from bot.storage.db import Database
from tests.cli_helpers import NewsbotProcess, newsbot_env

pytestmark = pytest.mark.slow

EDITOR = 4242


async def test_the_console_alone_serves_the_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'n.sqlite3'}"
    console = await NewsbotProcess.start(
        "console",
        cwd=tmp_path,
        log=tmp_path / "console.log",
        DATABASE_URL=url,
        CONSOLE_BIND="127.0.0.1:0",
        EDITOR_IDS=str(EDITOR),
        FEEDS="",
    )
    try:
        line = await console.wait_for_log("the console is at", timeout=60)
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, line
        db = Database(url)
        try:
            token = await issue_login(db, EDITOR, "Priya")
        finally:
            await db.dispose()
        async with httpx.AsyncClient(base_url=found[0]) as client:
            login = await client.get("/")
            assert login.status_code == 303
            assert (await client.get(f"/login/{token}")).status_code == 303
            assert (await client.get("/")).status_code == 200
        assert await console.terminate() == 0
    finally:
        await console.aclose()


@pytest.mark.parametrize(
    ("bind", "says"),
    [("", "CONSOLE_BIND is empty"), ("nonsense", "CONSOLE_BIND"), ("taken", "cannot listen on")],
)
def test_a_console_that_cannot_serve_says_why(tmp_path: Path, bind: str, says: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if bind == "taken":
            bind = f"127.0.0.1:{taken.getsockname()[1]}"
        done = subprocess.run(
            [sys.executable, "-m", "bot", "console"],
            cwd=tmp_path,
            env=newsbot_env(
                CONSOLE_BIND=bind, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'n.sqlite3'}"
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
