"""What the console's tests share: the console served by uvicorn on a free port over a
migrated database (SQLite, and PostgreSQL when given), and editors logged in to it through
the one-time link, as a browser would be.

::

    async def test_x(console: Console) -> None:
        client = await console.login(EDITOR)      # an httpx client holding the session cookie
        page = await client.get("/feeds")
        await client.post("/feeds/1/pause", data={"csrf": await console.csrf(client)})
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.console.app import console_app
from bot.console.server import ConsoleServer
from bot.console.web import COOKIE, ConsoleState
from bot.core import Core
from bot.services.console_auth import issue_login, session_user
from bot.storage.db import Database
from tests.console.browser import browser

__all__ = ["browser"]  # the fixture, for every console test module

EDITOR = 5101
OTHER_EDITOR = 5102
READER = 5103


def console_settings(**values: Any) -> Settings:
    """Settings of a console test: two editions, two editors, no feeds, no parse workers."""
    defaults: dict[str, Any] = {
        "feeds": [],
        "editions": "en=@console_en,hi=@console_hi",
        "editor_ids": [EDITOR, OTHER_EDITOR],
        "parse_workers": 0,
        "allow_private_networks": True,
        "timezone": "Asia/Kolkata",
    }
    return load_settings(None, **(defaults | values))


@dataclass
class Console:
    """The console being served, and how to reach it."""

    core: Core
    state: ConsoleState
    url: str
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.core.db

    def client(self) -> httpx.AsyncClient:
        """A browser without a session (redirects not followed: tests look at them)."""
        client = httpx.AsyncClient(base_url=self.url, timeout=30)
        self.clients.append(client)
        return client

    async def login(self, user_id: int = EDITOR, name: str = "Priya") -> httpx.AsyncClient:
        """A browser logged in as ``user_id`` through a fresh /console link."""
        client = self.client()
        token = await issue_login(self.db, user_id, name)
        answer = await client.get(f"/login/{token}")
        assert answer.status_code == 303, answer.text
        assert client.cookies.get(COOKIE)
        return client

    async def csrf(self, client: httpx.AsyncClient) -> str:
        """The CSRF token of ``client``'s session (what its pages' forms carry)."""
        user = await session_user(
            self.db, client.cookies.get(COOKIE), editor_ids=self.core.settings.editor_ids
        )
        assert user is not None
        return user.csrf


@pytest.fixture
def settings() -> Settings:
    """The console's settings; a test module overrides this fixture for others."""
    return console_settings()


@pytest.fixture
async def console(db: Database, settings: Settings) -> AsyncIterator[Console]:
    core = Core(settings, database=db)
    await core.open()
    state = ConsoleState(core, bot_username="console_test_bot")
    server = ConsoleServer(console_app(state))
    await server.start("127.0.0.1", 0)
    state.served_at = ("127.0.0.1", server.port)
    running = Console(core, state, state.base_url)
    try:
        yield running
    finally:
        for client in running.clients:
            await client.aclose()
        await server.stop()
        await core.aclose()
