"""/pause, /resume and /forget end to end: the real PTB Application against the Bot API sandbox.
A paused reader gets nothing published while paused and the next article after /resume; a
forgotten reader's rows are gone and nothing published later reaches them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import func, select

from bot.app import Newsbot
from bot.handlers import privacy as texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.articles import store_drafts
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Delivery, ForgottenReaders, Subscriber, Subscription
from tests.e2e.chat import WAIT, ask, bot_settings, buttons
from tests.services.test_articles import draft

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654322:AAprivacy-commands-token-never-logged"
ASHA, RAVI, MEERA, OM = 7301, 7302, 7303, 7304
EN = translator_for("en")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_privacy_bot") as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN)
    async with Newsbot(settings, database=db) as running:
        yield running


async def publish(newsbot: Newsbot, n: int) -> None:
    """Publish article ``n`` as a push would and send what is due."""
    async with newsbot.db.session() as session, session.begin():
        stored = await store_drafts(session, [draft(n)], source="push", feed_id=None, publish=True)
        [article] = stored.published
        await enqueue(session, article)
    await newsbot.drain_now()


async def posts(tg: SandboxClient, user: int, wait_for: int = 0) -> list[str]:
    """The headlines of the articles ``user`` received, once the bot sent ``wait_for``
    messages to them (a post right after a reply may wait out the chat's flood limit)."""
    messages = await tg.bot_messages(user, wait_for=wait_for, timeout=WAIT)
    return [m["text"].split("\n")[0] for m in messages if m["text"].startswith("Headline ")]


async def queued(db: Database, chat_id: int) -> list[str]:
    """The statuses of the deliveries to ``chat_id``, oldest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Delivery.status).where(Delivery.chat == str(chat_id)).order_by(Delivery.id)
        )
        return list(rows)


async def rows_of(db: Database, chat_id: int) -> tuple[int, int, int]:
    """How many Subscriber, Subscription and Delivery rows ``chat_id`` has."""
    async with db.session() as session:
        return (
            int(
                await session.scalar(select(func.count()).where(Subscriber.chat_id == chat_id)) or 0
            ),
            int(
                await session.scalar(select(func.count()).where(Subscription.chat_id == chat_id))
                or 0
            ),
            int(
                await session.scalar(select(func.count()).where(Delivery.chat == str(chat_id))) or 0
            ),
        )


async def test_pause_from_the_keyboard_then_resume(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/pause` offers 1 day, 1 week and until I resume; 1 day says when it ends in the
    publisher's time zone; nothing published meanwhile arrives, the next one after /resume
    does."""
    await ask(tg, ASHA, "/subscribe", 1)
    question = await ask(tg, ASHA, "/pause", 2)
    assert question["text"] == texts.pause_question(EN)
    assert buttons(question) == {
        texts.pause_day_button(EN): "pause:1d",
        texts.pause_week_button(EN): "pause:1w",
        texts.pause_forever_button(EN): "pause:forever",
    }
    await tg.press(ASHA, question["message_id"], "pause:1d")
    [press] = await tg.callbacks(wait_answered=1, timeout=WAIT)
    assert press["answer"]["text"] == texts.paused_answer(EN)
    async with db.session() as session:
        row = await session.get(Subscriber, ASHA)
        assert row is not None
        assert row.paused_until is not None
    when = texts.when_text(EN, row.paused_until, newsbot.settings.zone)
    edited = (await tg.bot_messages(ASHA))[1]
    assert edited["text"] == texts.paused(EN, when)

    await publish(newsbot, 1)
    assert await queued(db, ASHA) == []
    assert (await ask(tg, ASHA, "/resume", 3))["text"] == texts.resumed(EN)
    assert (await ask(tg, ASHA, "/resume", 4))["text"] == texts.not_paused(EN)
    await publish(newsbot, 2)
    assert await posts(tg, ASHA, wait_for=5) == ["Headline 2"]


async def test_pause_at_once_and_its_refusals(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/pause 3h` and `/pause forever` pause at once; a duration not understood and a reader
    who is not subscribed are told so, and nothing is paused."""
    refused = await ask(tg, RAVI, "/pause 1d", 1)
    assert refused["text"] == texts.pause_not_subscribed(EN)
    no_keyboard = await ask(tg, RAVI, "/pause", 2)  # no buttons that would pause nothing
    assert no_keyboard["text"] == texts.pause_not_subscribed(EN)
    assert not no_keyboard.get("reply_markup")
    await ask(tg, RAVI, "/subscribe", 3)
    assert (await ask(tg, RAVI, "/pause 3 months", 4))["html"] == texts.pause_not_understood(
        EN, "3 months"
    )
    async with db.session() as session:
        row = await session.get(Subscriber, RAVI)
        assert row is not None
        assert row.paused_until is None
    hours = await ask(tg, RAVI, "/pause 3h", 5)
    assert hours["text"].startswith("Paused: you get no articles until ")
    forever = await ask(tg, RAVI, "/pause forever", 6)
    assert forever["text"] == texts.paused_until_resumed(EN)
    await publish(newsbot, 3)
    assert await queued(db, RAVI) == []
    assert (await ask(tg, RAVI, "/resume", 7))["text"] == texts.resumed(EN)
    await publish(newsbot, 4)
    assert await posts(tg, RAVI, wait_for=8) == ["Headline 4"]


async def test_forget_after_confirmation(newsbot: Newsbot, tg: SandboxClient, db: Database) -> None:
    """`/forget` asks first; Cancel keeps everything; Yes deletes the reader's rows, counts
    their campaign anonymously, and nothing published afterwards reaches them."""
    await ask(tg, OM, "/subscribe", 1)
    await ask(tg, MEERA, "/start poster-metro", 1)
    await publish(newsbot, 5)
    assert await posts(tg, MEERA, wait_for=2) == ["Headline 5"]
    assert await rows_of(db, MEERA) == (1, 1, 1)

    question = await ask(tg, MEERA, "/forget", 3)
    assert question["text"] == texts.forget_question(EN)
    assert buttons(question) == {
        texts.forget_yes_button(EN): "forget:yes",
        texts.forget_cancel_button(EN): "forget:no",
    }
    await tg.press(MEERA, question["message_id"], "forget:no")
    await tg.callbacks(wait_answered=1, timeout=WAIT)
    assert (await tg.bot_messages(MEERA))[2]["text"] == texts.forget_cancelled(EN)
    assert await rows_of(db, MEERA) == (1, 1, 1)

    question = await ask(tg, MEERA, "/forget", 4)
    await tg.press(MEERA, question["message_id"], "forget:yes")
    await tg.callbacks(wait_answered=2, timeout=WAIT)
    assert (await tg.bot_messages(MEERA))[3]["text"] == texts.forgotten(EN)
    assert await rows_of(db, MEERA) == (0, 0, 0)
    async with db.session() as session:
        counted = [(f.campaign, f.started, f.signed_up) for f in await session.scalars(
            select(ForgottenReaders)
        )]  # fmt: skip
    assert counted == [("poster-metro", 1, 1)]

    await publish(newsbot, 6)
    assert await queued(db, MEERA) == []
    await publish(newsbot, 7)  # to another reader: once it arrives, nothing more is coming
    assert await posts(tg, OM, wait_for=4) == ["Headline 5", "Headline 6", "Headline 7"]
    assert await posts(tg, MEERA) == ["Headline 5"]
    assert len(await tg.bot_messages(MEERA)) == 4
    assert await rows_of(db, MEERA) == (0, 0, 0)


async def test_forget_twice_is_harmless(newsbot: Newsbot, tg: SandboxClient, db: Database) -> None:
    """Pressing Yes on a second, older question after being forgotten deletes nothing more and
    stores nothing new."""
    await ask(tg, OM, "/subscribe", 1)
    first = await ask(tg, OM, "/forget", 2)
    second = await ask(tg, OM, "/forget", 3)
    await tg.press(OM, second["message_id"], "forget:yes")
    await tg.callbacks(wait_answered=1, timeout=WAIT)
    await tg.press(OM, first["message_id"], "forget:yes")
    await tg.callbacks(wait_answered=2, timeout=WAIT)
    messages = await tg.bot_messages(OM)
    assert messages[1]["text"] == texts.nothing_to_forget(EN)
    assert messages[2]["text"] == texts.forgotten(EN)
    assert await rows_of(db, OM) == (0, 0, 0)


async def test_forget_of_a_reader_not_stored_answers_at_once(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """/forget from someone of whom nothing is stored (forgotten already) asks nothing."""
    await ask(tg, OM, "/subscribe", 1)
    question = await ask(tg, OM, "/forget", 2)
    await tg.press(OM, question["message_id"], "forget:yes")
    await tg.callbacks(wait_answered=1, timeout=WAIT)
    again = await ask(tg, OM, "/forget", 3)
    assert again["text"] == texts.nothing_to_forget(EN)
    assert not again.get("reply_markup")
    assert await rows_of(db, OM) == (0, 0, 0)
