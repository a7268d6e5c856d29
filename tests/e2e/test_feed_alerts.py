"""A feed that keeps failing is paused and every editor is told once, in Telegram, with the
error and how to resume it (the real Application against the sandbox)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import Newsbot
from bot.config import load_settings
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services.feeds import set_active
from bot.storage.db import Database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAfeed-alerts-token-never-logged000"
EDITOR, OTHER_EDITOR, READER = 7801, 7802, 7803


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="alerts_bot", channels=("alerts_news",)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def alerts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m.get("text")) for m in messages if "is paused" in str(m.get("text"))]


async def test_paused_feed_told_once_to_every_editor(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """After FEED_PAUSE_AFTER failures each editor gets one alert naming the feed, the error's
    kind and message and the resume command; readers get none; later polls add none."""
    site.put("/f.xml", "<rss/>")
    site.fail("/f.xml", 503)
    settings = load_settings(
        None,
        telegram_bot_token=TOKEN,
        telegram_api_url=sandbox.url,
        feeds=[site.url_for("/f.xml")],
        editor_ids=[EDITOR, OTHER_EDITOR],
        allow_private_networks=True,
        feed_pause_after=2,
        parse_workers=0,
    )
    async with Newsbot(settings, database=db) as newsbot:
        for user in (EDITOR, OTHER_EDITOR, READER):
            await tg.send(user, "/start", first_name=f"user{user}")
            assert await tg.bot_messages(user, wait_for=1, timeout=15)
        first = await newsbot.poll_now()
        second = await newsbot.poll_now()
        assert [r.paused for r in first + second] == [False, True]
        assert await newsbot.poll_now() == []  # paused: not polled, nobody told again
        for editor in (EDITOR, OTHER_EDITOR):
            [alert] = alerts(await tg.bot_messages(editor, wait_for=2, timeout=15))
            assert f"Feed {first[0].feed_id} is paused" in alert
            assert "2 failed polls in a row" in alert
            assert "http_status" in alert
            assert "503" in alert
            assert f"newsbot feeds resume {first[0].feed_id}" in alert
            assert site.url_for("/f.xml") in alert
        assert alerts(await tg.bot_messages(READER)) == []

        async with db.session() as session, session.begin():
            await set_active(session, first[0].feed_id, True)
        third = await newsbot.poll_now()  # resumed: its count starts again
        assert [(r.failures, r.paused) for r in third] == [(1, False)]
