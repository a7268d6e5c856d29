"""Webhook mode end to end: the real PTB Application takes its updates from the sandbox by
webhook on the console's server. A reader's /start is answered; a request without the secret,
or with a wrong one, is refused with 401 and handled not at all."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer, WebhookTiming
from bot.storage.db import Database
from bot.storage.models import Secret, Subscriber
from tests.e2e.chat import WAIT, ask, bot_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAwebhook-e2e-token-never-logged-00"
BOT = "e2e_webhook_bot"
ASHA, FORGER = 7901, 7902


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    timing = WebhookTiming(retry_initial=0.2, retry_max=1.0, timeout=10.0)
    with SandboxServer(bot_username=BOT, webhook_timing=timing) as server:
        yield server


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(params=["given", "generated"])
async def newsbot(
    request: pytest.FixtureRequest, sandbox: SandboxServer, db: Database, port: int
) -> AsyncIterator[Newsbot]:
    secret = {"webhook_secret": "s3cret-Given_1"} if request.param == "given" else {}
    settings = bot_settings(
        sandbox,
        TOKEN,
        console_bind=f"127.0.0.1:{port}",
        webhook_url=f"http://127.0.0.1:{port}/tg",
        **secret,
    )
    async with Newsbot(settings, database=db) as running:
        yield running


def forged(user: int, text: str) -> dict[str, Any]:
    return {
        "update_id": 999_999,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user, "type": "private", "first_name": "Mallory"},
            "from": {"id": user, "is_bot": False, "first_name": "Mallory"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_updates_come_by_webhook_and_need_the_secret(
    newsbot: Newsbot, tg: SandboxClient, db: Database, port: int
) -> None:
    info = await tg.webhook()
    assert info["url"] == f"http://127.0.0.1:{port}/tg"
    async with db.session() as session:
        kept = await session.scalar(select(Secret.value).where(Secret.name == "webhook"))
    if newsbot.settings.webhook_secret is None:
        assert kept is not None  # made once, for every process
        assert info["secret_token"] == kept[:64]
    else:
        assert info["secret_token"] == "s3cret-Given_1"

    welcome = await ask(tg, ASHA, "/subscribe", 1)
    assert welcome["html"] == texts.subscribed(translator_for("en"))
    delivered = await tg.webhook(wait_for=1, timeout=WAIT)
    assert delivered["pending"] == 0
    assert {d["status"] for d in delivered["deliveries"]} == {200}
    async with db.session() as session:
        assert (await session.get(Subscriber, ASHA)) is not None

    body = json.dumps(forged(FORGER, "/subscribe"))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            answer = await client.post(
                "/tg", content=body, headers={"content-type": "application/json", **headers}
            )
            assert answer.status_code == 401
        assert (await client.get("/tg")).status_code in (303, 405)  # no GET: nothing there
        secret = {"X-Telegram-Bot-Api-Secret-Token": info["secret_token"]}
        for bad in ("[" * 100_000, '{"update_id": 5, "message": "x"}', '{"no": 1}', "\xff"):
            answer = await client.post("/tg", content=bad, headers=secret)
            assert answer.status_code == 400, bad[:20]
    # Nothing was handled: no reply, no reader row (the next update proves the queue moved).
    await ask(tg, ASHA, "/help", 2)
    assert await tg.bot_messages(FORGER) == []
    async with db.session() as session:
        assert (await session.get(Subscriber, FORGER)) is None
