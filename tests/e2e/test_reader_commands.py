"""The commands a reader expects, end to end: the real PTB Application against the Bot API
sandbox. A campaign link subscribes in one tap (with Undo), /latest lists the last articles,
an unknown /command gets the menu and free text a hint at most once an hour."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.articles import store_drafts
from bot.services.stats import collect
from bot.storage.db import Database
from bot.storage.models import Subscriber, utcnow
from tests.e2e.chat import WAIT, ask, bot_settings, buttons
from tests.services.test_articles import draft

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAreader-commands-token-never-logged0"
ASHA, RAVI, MEERA, OM = 7201, 7202, 7203, 7204
EN, HI = translator_for("en"), translator_for("hi")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_commands_bot") as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN)
    async with Newsbot(settings, database=db) as running:
        yield running


async def reader(db: Database, chat_id: int) -> Subscriber:
    async with db.session() as session:
        row = await session.get(Subscriber, chat_id)
    assert row is not None
    return row


async def test_campaign_start_subscribes_with_undo(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/start poster-metro` subscribes at once and counts the campaign; Undo unsubscribes."""
    joined = await ask(tg, ASHA, "/start poster-metro", 1)
    assert joined["html"] == texts.joined(EN, "Asha")
    assert buttons(joined) == {texts.undo_button(EN): texts.UNDO_CALLBACK}
    row = await reader(db, ASHA)
    assert (row.subscribed, row.campaign) == (True, "poster-metro")
    async with db.session() as session:
        stats = await collect(session)
    counts = {c.campaign: (c.started, c.signed_up, c.subscribed) for c in stats.campaigns}
    assert counts == {"poster-metro": (1, 1, 1)}

    await tg.press(ASHA, joined["message_id"], texts.UNDO_CALLBACK)
    [press] = await tg.callbacks(wait_answered=1, timeout=WAIT)
    assert press["answer"]["text"] == texts.unsubscribed_answer(EN)
    assert (await reader(db, ASHA)).subscribed is False
    [edited] = await tg.bot_messages(ASHA)
    assert edited["text"] == texts.unsubscribed(EN)


async def test_plain_start_greets_with_buttons(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """A plain `/start` (or typed words after it) greets with Subscribe, Sections and Language
    buttons and subscribes nobody; a subscribed reader's campaign /start says welcome back."""
    welcome = await ask(tg, RAVI, "/start", 1, language="hi")
    assert welcome["html"] == texts.welcome(HI, "Asha", subscribed=False)
    assert list(buttons(welcome)) == [
        texts.subscribe_button(HI),
        texts.sections_button(HI),
        texts.language_button(HI),
    ]
    typed = await ask(tg, RAVI, "/start hello there", 2, language="hi")
    assert typed["html"] == texts.welcome(HI, "Asha", subscribed=False)
    assert (await reader(db, RAVI)).subscribed is False
    # The Subscribe button: subscribed, and the Sections and Language buttons stay at hand.
    await tg.press(RAVI, typed["message_id"], buttons(typed)[texts.subscribe_button(HI)])
    await tg.callbacks(wait_answered=1, timeout=WAIT)
    [_, edited] = await tg.bot_messages(RAVI)
    assert edited["html"] == texts.subscribed(HI)
    assert list(buttons(edited)) == [texts.sections_button(HI), texts.language_button(HI)]
    assert (await reader(db, RAVI)).subscribed is True
    again = await ask(tg, RAVI, "/start flyer-7", 3, language="hi")
    assert again["html"] == texts.welcome(HI, "Asha", subscribed=True)


async def test_control_characters_in_name_and_payload(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """A first name and a payload with NUL and other control characters are stored without
    them (PostgreSQL refuses NUL) and /start still answers."""
    joined = await ask(tg, OM, "/start poster\x00-\x1bmetro\x85", 1, first_name="O\x00m\x07")
    assert joined["html"] == texts.joined(EN, "Om")
    row = await reader(db, OM)
    assert (row.first_name, row.campaign, row.subscribed) == ("Om", "poster-metro", True)


async def test_unknown_command_and_free_text(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """An unknown /command gets the menu in the reader's language; free text gets the hint
    once, and again only after an hour."""
    listed = await ask(tg, MEERA, "/weather", 1, language="hi")
    assert listed["html"] == texts.command_list(HI)
    for name, _ in texts.commands(HI):
        assert f"/{name} - " in listed["text"]
    hint = await ask(tg, MEERA, "नमस्ते", 2, language="hi")
    assert hint["text"] == texts.unknown(HI)
    await tg.send(MEERA, "कोई है?", language_code="hi")
    # Each reader's updates are handled in order: once /help is answered, the second text had
    # no answer.
    after = await ask(tg, MEERA, "/help", 3, language="hi")
    assert after["html"] == texts.help_text(HI)
    async with db.session() as session, session.begin():
        await session.execute(
            update(Subscriber)
            .where(Subscriber.chat_id == MEERA)
            .values(hinted_at=utcnow() - timedelta(hours=1, seconds=1))
        )
    assert (await ask(tg, MEERA, "hello?", 4, language="hi"))["text"] == texts.unknown(HI)


async def test_latest_lists_the_last_five(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/latest` says nothing is published yet, then lists the last five published articles,
    newest first, each title linking to its article; it is in the command menu."""
    assert "latest" in [c["command"] for c in await tg.commands()]
    empty = await ask(tg, ASHA, "/latest", 1)
    assert empty["text"] == texts.latest(EN, [])
    async with db.session() as session, session.begin():
        for n in range(1, 8):
            await store_drafts(
                session, [draft(n, title=f"Story {n} <&>")], source="push", feed_id=None,
                publish=True,
            )  # fmt: skip
        await store_drafts(session, [draft(9)], source="push", feed_id=None, publish=False)
    listed = await ask(tg, ASHA, "/latest", 2, language="hi")
    assert listed["html"].startswith("<b>ताज़ा खबरें</b>")
    lines = listed["text"].split("\n")[2:]
    assert lines == [f"{i}. Story {n} <&>" for i, n in enumerate(range(7, 2, -1), 1)]
    assert '<a href="https://news.example/7">Story 7 &lt;&amp;&gt;</a>' in listed["html"]
