"""Readers spoken to in their language, end to end: the real PTB Application against the Bot API
sandbox. Telegram's ``language_code`` picks the language until the reader chooses one with
/language; the command menu is registered in every language."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import LANGUAGES, translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.models import Subscriber
from tests.e2e.chat import WAIT, bot_settings
from tests.e2e.chat import ask as ask_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAlanguages-token-never-in-any-log00"
PRIYA, ANU, EDITOR = 7101, 7102, 7190
EN, HI = translator_for("en"), translator_for("hi")
#: every reader in this story is called Priya
ask = functools.partial(ask_as, first_name="Priya")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_lang_bot") as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN, editor_ids=[EDITOR])
    async with Newsbot(settings, database=db) as running:
        yield running


async def test_hindi_reader_then_choice_of_english(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """A reader whose Telegram is in Hindi is welcomed in Hindi; `/language en` switches every
    later text to English, and Telegram's language_code no longer overrides the choice."""
    welcome = await ask(tg, PRIYA, "/start", 1, language="hi-IN")
    assert welcome["text"].startswith("नमस्ते, Priya!")
    buttons = [b["text"] for row in welcome["reply_markup"]["inline_keyboard"] for b in row]
    assert texts.subscribe_button(HI) in buttons

    subscribed = await ask(tg, PRIYA, "/subscribe", 2, language="hi")
    assert subscribed["html"] == texts.subscribed(HI)

    switched = await ask(tg, PRIYA, "/language en", 3, language="hi")
    assert switched["text"] == texts.language_set(EN)
    again = await ask(tg, PRIYA, "/subscribe", 4, language="hi")  # Telegram still says Hindi
    assert again["text"] == texts.already_subscribed(EN)
    assert (await ask(tg, PRIYA, "/help", 5, language="hi"))["html"] == texts.help_text(EN)

    async with db.session() as session:
        row = await session.get(Subscriber, PRIYA)
    assert row is not None
    assert (row.chosen_language, row.language) == ("en", "hi")


async def test_language_keyboard_switches_to_hindi(newsbot: Newsbot, tg: SandboxClient) -> None:
    """`/language` shows a keyboard of languages; pressing हिंदी makes later texts Hindi even
    for a Telegram set to English."""
    keyboard = await ask(tg, ANU, "/language", 1, language="en")
    assert keyboard["text"] == texts.choose_language(EN)
    buttons = {
        b["text"]: b["callback_data"] for b in keyboard["reply_markup"]["inline_keyboard"][0]
    }
    assert set(buttons) == set(LANGUAGES.values())
    await tg.press(ANU, keyboard["message_id"], buttons["हिंदी"])
    [press] = await tg.callbacks(wait_answered=1, timeout=WAIT)
    assert press["answer"]["text"] == texts.language_answer(HI)
    unknown = await ask(tg, ANU, "hello", 2, language="en")
    assert unknown["text"] == texts.unknown(HI)
    refused = await ask(tg, ANU, "/push https://example.com/a", 3, language="en")
    assert refused["text"] == texts.editors_only(HI)


async def test_menu_registered_in_every_language(newsbot: Newsbot, tg: SandboxClient) -> None:
    """setMyCommands ran for the default menu (English) and once per language_code."""
    assert await tg.commands() == [
        {"command": name, "description": text} for name, text in texts.commands(EN)
    ]
    for code in LANGUAGES:
        menu = await tg.commands(language_code=code)
        expected = texts.commands(translator_for(code))
        assert menu == [{"command": name, "description": text} for name, text in expected]
    hindi = {c["command"]: c["description"] for c in await tg.commands(language_code="hi")}
    assert hindi["subscribe"] == "हर नई खबर यहीं पाएँ"
