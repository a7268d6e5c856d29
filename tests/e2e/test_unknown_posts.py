"""Channel posts whose fate is unknown, end to end: the real PTB Application against the Bot API
sandbox. The editors are told, each in their language, with a Resend button; one press puts
the post back in the outbox and the channel gets it once, a second press resends nothing, and a
reader's press is refused. A lost answer makes a channel post unknown and the outbox says so."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import pytest
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.app import Newsbot, build_application
from bot.article import ArticleDraft
from bot.config import EditionConfig, load_settings
from bot.handlers import resend, texts
from bot.handlers.resend import RESEND, UnknownPost
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.articles import store_drafts
from bot.services.editions import ensure_editions
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus
from jobs.deliver import Outbox
from tests.e2e.chat import WAIT, ask, bot_settings, buttons

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAunknown-token-never-in-any-log000"
CHANNEL = "e2e_unknown"
OM, ANU, READER = 7601, 7602, 7603
TITLE = "Dam <inspection> finds no damage"  # the markup-like words are the feed's: escaped
LINK = "https://paper.example/dam?a=1&b=2"
EN, HI = translator_for("en"), translator_for("hi")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_unknown_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
async def newsbot(
    sandbox: SandboxServer, tg: SandboxClient, db: Database
) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN, editor_ids=[OM, ANU], telegram_channel=f"@{CHANNEL}")
    async with Newsbot(settings, database=db) as running:
        await ask(tg, OM, "/start", 1, "en", first_name="Om")
        await ask(tg, ANU, "/start", 1, "hi", first_name="Anu")
        await ask(tg, READER, "/start", 1, "en", first_name="Ravi")
        yield running


async def published(db: Database) -> int:
    """A published article, its post rendered; its id."""
    draft = ArticleDraft(key="dam", title=TITLE, summary="Engineers checked it.", link=LINK)
    async with db.writing() as session:
        stored = await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
        return stored.published[0].id


async def unknown_post(db: Database, reason: str = "interrupted") -> int:
    """A published article whose channel delivery is ``unknown`` (as a crash leaves it)."""
    article_id = await published(db)
    async with db.writing() as session:
        row = Delivery(
            article_id=article_id,
            chat=f"@{CHANNEL}",
            kind="channel",
            status=DeliveryStatus.UNKNOWN,
            reason=reason,
            error="interrupted while sending",
            attempts=1,
        )
        session.add(row)
        await session.flush()
        return row.id


async def delivery(db: Database, delivery_id: int) -> Delivery:
    async with db.session() as session:
        row = await session.get(Delivery, delivery_id)
    assert row is not None
    return row


def channel_posts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["from_bot"] and TITLE in (m.get("text") or "")]


class Presses:
    """Presses buttons as a user and returns the bot's answer to each press."""

    def __init__(self, tg: SandboxClient) -> None:
        self.tg = tg
        self.count = 0

    async def press(self, user: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        pressed = await self.tg.press(user, message["message_id"], data)
        self.count += 1
        answered = await self.tg.callbacks(wait_answered=self.count, timeout=WAIT)
        [press] = [c for c in answered if c["id"] == pressed["callback_query_id"]]
        assert press["answered"], f"{data!r} not answered"
        return dict(press["answer"])


async def seen(tg: SandboxClient, *users: int) -> dict[int, int]:
    """How many messages the bot sent each of ``users`` so far."""
    return {user: len(await tg.bot_messages(user)) for user in users}


async def next_message(tg: SandboxClient, user: int, before: dict[int, int]) -> dict[str, Any]:
    """The bot's first message to ``user`` after the ``before`` ones, as it is now."""
    count = before[user] + 1
    messages = await tg.bot_messages(user, wait_for=count, timeout=WAIT)
    assert len(messages) >= count
    return messages[count - 1]


async def edited(tg: SandboxClient, user: int, message_id: int, contains: str) -> dict[str, Any]:
    """The message once its text holds ``contains`` (the bot edits it before it answers)."""
    [found] = [m for m in await tg.bot_messages(user) if m["message_id"] == message_id]
    assert contains in (found.get("text") or ""), found.get("text")
    return found


async def test_editors_are_told_and_one_press_resends_once(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """Each editor gets the alert in their language with a Resend button; Om's press moves the
    post back to pending, the channel gets it once and Om's alert says who resent it; Anu's
    later press resends nothing and tells her it has arrived."""
    delivery_id = await unknown_post(db)
    before = await seen(tg, OM, ANU)
    told = await resend.alert_unknown(
        newsbot.application.bot, db, newsbot.settings.editor_ids, "en", [delivery_id]
    )
    assert told == 2
    post = UnknownPost(delivery_id, f"@{CHANNEL}", "interrupted", TITLE, LINK)
    om_alert = await next_message(tg, OM, before)
    anu_alert = await next_message(tg, ANU, before)
    assert om_alert["html"] == resend.alert(EN, post)
    assert "newsbot stopped while sending it" in om_alert["text"]
    assert "Dam <inspection> finds no damage" in om_alert["text"]  # escaped, shown as written
    assert buttons(om_alert) == {f"Resend to @{CHANNEL}": RESEND.encode(delivery_id)}
    assert anu_alert["html"] == resend.alert(HI, post)
    assert "इसे भेजते समय newsbot बंद हो गया था" in anu_alert["text"]
    assert buttons(anu_alert) == {f"@{CHANNEL} पर दोबारा भेजें": RESEND.encode(delivery_id)}
    assert channel_posts(await tg.messages(f"@{CHANNEL}")) == []  # not resent by itself

    presses = Presses(tg)
    answer = await presses.press(OM, om_alert, RESEND.encode(delivery_id))
    assert answer["text"] == resend.resending_answer(EN, f"@{CHANNEL}")
    om_now = await edited(tg, OM, om_alert["message_id"], "Resent by Om")
    assert om_now["html"] == resend.resent_by(EN, post, "Om")
    assert not om_now.get("reply_markup")
    [arrived] = channel_posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
    assert arrived["text"].startswith(TITLE)
    await newsbot.drain_now()  # whatever the kick started is over
    row = await delivery(db, delivery_id)
    assert row.status == DeliveryStatus.SENT
    assert row.message_id == arrived["message_id"]

    answer = await presses.press(ANU, anu_alert, RESEND.encode(delivery_id))
    assert answer["text"] == resend.already_delivered(HI, f"@{CHANNEL}")
    assert answer["show_alert"]
    anu_now = await edited(tg, ANU, anu_alert["message_id"], "newsbot")
    assert not anu_now.get("reply_markup")  # the button is gone, the alert stays
    await newsbot.drain_now()
    assert len(channel_posts(await tg.messages(f"@{CHANNEL}"))) == 1
    assert (await delivery(db, delivery_id)).status == DeliveryStatus.SENT


async def test_two_presses_before_the_send_resend_once(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """While the resent post is still on its way, the second editor's press is told so and
    changes nothing: the channel gets the post once."""
    delivery_id = await unknown_post(db, reason="answer_lost")
    before = await seen(tg, OM, ANU)
    await resend.alert_unknown(
        newsbot.application.bot, db, newsbot.settings.editor_ids, "en", [delivery_id]
    )
    om_alert = await next_message(tg, OM, before)
    anu_alert = await next_message(tg, ANU, before)
    assert "Telegram's answer to it was lost" in om_alert["text"]
    assert "Telegram का जवाब नहीं मिला" in anu_alert["text"]
    await tg.faults(latency_ms=1500)  # the resend takes a while
    presses = Presses(tg)
    await presses.press(OM, om_alert, RESEND.encode(delivery_id))
    answer = await presses.press(ANU, anu_alert, RESEND.encode(delivery_id))
    assert answer["text"] in (
        resend.already_on_its_way(HI, f"@{CHANNEL}"),
        resend.already_delivered(HI, f"@{CHANNEL}"),
    )
    await tg.faults(clear=True, latency_ms=0)
    await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT)
    await newsbot.drain_now()
    assert len(channel_posts(await tg.messages(f"@{CHANNEL}"))) == 1
    assert (await delivery(db, delivery_id)).status == DeliveryStatus.SENT


async def test_a_reader_and_a_forged_button_are_refused(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """A reader pressing a Resend button (a modified client) is refused and nothing changes;
    an editor pressing data the codec did not make is told the button is no longer valid."""
    delivery_id = await unknown_post(db)
    before = await seen(tg, OM, READER)
    bot = cast("ExtBot[int]", newsbot.application.bot)
    for user, data in ((READER, RESEND.encode(delivery_id)), (OM, f"{RESEND.prefix}:x")):
        await bot.send_message(
            user,
            "a button",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]]),
        )
    presses = Presses(tg)
    reader_button = await next_message(tg, READER, before)
    answer = await presses.press(READER, reader_button, RESEND.encode(delivery_id))
    assert answer["text"] == texts.editors_only(EN)
    forged = await next_message(tg, OM, before)
    answer = await presses.press(OM, forged, f"{RESEND.prefix}:x")
    assert answer["text"] == resend.stale_button(EN)
    assert (await edited(tg, OM, forged["message_id"], "a button"))["text"] == "a button"
    row = await delivery(db, delivery_id)
    assert (row.status, row.reason) == (DeliveryStatus.UNKNOWN, "interrupted")
    await newsbot.drain_now()
    assert channel_posts(await tg.messages(f"@{CHANNEL}")) == []


async def test_a_lost_answer_makes_the_post_unknown_and_is_told(
    sandbox: SandboxServer, tg: SandboxClient, db: Database
) -> None:
    """Telegram posts the channel message but its answer is lost: the drain makes the
    delivery unknown, not resent, and hands its id to ``on_unknown``; the alert says why."""
    settings = load_settings(None, telegram_bot_token=TOKEN, telegram_api_url=sandbox.url)
    await tg.send(OM, "/start", first_name="Om")  # the sandbox knows Om's chat
    told: list[list[int]] = []

    async def on_unknown(ids: list[int]) -> None:
        told.append(ids)

    article_id = await published(db)
    async with db.writing() as session:
        await ensure_editions(session, [EditionConfig("en", f"@{CHANNEL}")])
        article = await session.get(Article, article_id)
        assert article is not None
        await enqueue(session, article)
    await tg.faults(method="sendMessage", count=1, lose_answer=True)
    async with build_application(settings) as app:
        await Outbox(db, on_unknown=on_unknown).drain(app.bot)
        async with db.session() as session:
            [row] = await session.scalars(select(Delivery))
        assert (row.status, row.reason) == (DeliveryStatus.UNKNOWN, "answer_lost")
        assert told == [[row.id]]
        assert len(channel_posts(await tg.messages(f"@{CHANNEL}"))) == 1  # it did arrive
        await Outbox(db, on_unknown=on_unknown).drain(app.bot)
        assert told == [[row.id]]  # told once; never resent by itself
        assert len(channel_posts(await tg.messages(f"@{CHANNEL}"))) == 1

        assert await resend.alert_unknown(app.bot, db, frozenset({OM}), "en", told[0]) == 1
        [alert] = await tg.bot_messages(OM, wait_for=1, timeout=WAIT)
        post = UnknownPost(row.id, f"@{CHANNEL}", "answer_lost", TITLE, LINK)
        assert alert["html"] == resend.alert(EN, post)
