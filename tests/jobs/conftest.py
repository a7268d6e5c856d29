"""Fixtures and helpers of the outbox tests: a sandbox client and a PTB application talking to
the ``sandbox`` fixture that each test module defines (its bot's name and channels), readers
who subscribed, and the deliveries' statuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.config import load_settings
from bot.sandbox import SandboxClient, SandboxServer
from bot.services import readers
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Delivery

TOKEN = "555000111:AAoutbox-test-token-xxxxxxxxxxxxxxxx"


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    """A client of the sandbox: plays Telegram's users and reads what the bot sent."""
    async with SandboxClient(sandbox.url) as client:
        yield client


@pytest.fixture
async def app(sandbox: SandboxServer) -> AsyncIterator[Any]:
    """newsbot's PTB application against the sandbox, initialized."""
    settings = load_settings(None, telegram_bot_token=TOKEN, telegram_api_url=sandbox.url)
    application = build_application(settings)
    async with application:
        yield application


async def subscribe(db: Database, tg: SandboxClient, *chat_ids: int) -> None:
    """Readers who wrote to the bot (so the sandbox knows their chats) and subscribed."""
    for chat_id in chat_ids:
        await tg.send(chat_id, "/start", first_name=f"r{chat_id}")
    async with db.session() as session, session.begin():
        for chat_id in chat_ids:
            await readers.subscribe(session, Reader(chat_id))


async def statuses(db: Database) -> dict[str, str]:
    """Each delivery's status, by chat."""
    async with db.session() as session:
        rows = await session.execute(select(Delivery.chat, Delivery.status))
        return {chat: status for chat, status in rows}
