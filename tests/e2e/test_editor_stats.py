"""An editor's /stats, end to end: the real PTB Application against the Bot API sandbox. An
editor gets the numbers of `newsbot stats` in their language, in a fixed-width block; a reader
is refused and learns nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.stats import collect, format_stats
from bot.storage.db import Database
from tests.e2e.chat import ask, bot_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAeditor-stats-token-never-logged000"
EDITOR, READER, POSTER_READER = 7301, 7302, 7303
EN, HI = translator_for("en"), translator_for("hi")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_stats_bot") as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN, editor_ids=[EDITOR])
    async with Newsbot(settings, database=db) as running:
        yield running


async def test_editor_gets_the_numbers_in_their_language(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """An editor's /stats shows readers and campaigns as `newsbot stats` counts them, in Hindi
    for a Hindi Telegram, in a <pre> block."""
    await ask(tg, POSTER_READER, "/start poster-metro", 1)
    shown = await ask(tg, EDITOR, "/stats", 1, language="hi")
    async with db.session() as session:
        numbers = await collect(session)
    assert numbers.readers >= 1
    assert shown["html"] == texts.stats(HI, format_stats(numbers, HI))
    assert "poster-metro" in shown["text"]
    assert "हर कैंपेन से साइन-अप:" in shown["text"]
    assert any(e["type"] == "pre" for e in shown.get("entities", []))


async def test_reader_is_refused(newsbot: Newsbot, tg: SandboxClient) -> None:
    """A reader's /stats is refused politely, in their language, with no numbers in it."""
    refusal = await ask(tg, READER, "/stats", 1)
    assert refusal["text"] == texts.editors_only(EN)
    hindi = await ask(tg, READER, "/stats", 2, language="hi")
    assert hindi["text"] == texts.editors_only(HI)
