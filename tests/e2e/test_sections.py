"""/sections end to end: the real PTB Application against the Bot API sandbox, with an English
and a Hindi edition. The keyboard ticks what a reader follows, a tap changes it at once, a
reader of one section gets only that section's articles, the last section off stops the
edition, and a button whose section was removed meanwhile gets a polite answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import Newsbot
from bot.handlers import sections as handlers
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services import sections, subscriptions
from bot.services.articles import store_drafts
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Feed, Subscriber
from tests.e2e.chat import WAIT, bot_settings, buttons
from tests.services.test_articles import draft

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAsections-token-never-logged-000000"
ASHA, RAVI, MEERA = 7301, 7302, 7303
EN = translator_for("en")
ON, OFF = handlers.ON, handlers.OFF


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_sections_bot", channels=("revoi_en", "revoi_hi")) as s:
        yield s


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN, editions="en=@revoi_en,hi=@revoi_hi")
    async with Newsbot(settings, database=db) as running:
        yield running


class Desk:
    """The English edition's feeds (City, Wire) and sections (City, Cricket)."""

    def __init__(self, city: int, wire: int, city_section: int, cricket: int) -> None:
        self.city, self.wire = city, wire
        self.city_section, self.cricket = city_section, cricket


@pytest.fixture
async def desk(newsbot: Newsbot) -> Desk:
    en = newsbot.editions.by_code["en"].id
    async with newsbot.db.writing() as session:
        city = Feed(url="https://news.example/city.xml", title="City", primed=True, edition_id=en)
        wire = Feed(url="https://news.example/wire.xml", title="Wire", primed=True, edition_id=en)
        session.add_all([city, wire])
        await session.flush()
        city_section = await sections.add_feed_section(session, city.id)
        cricket = await sections.add_category_section(session, en, "Cricket")
        return Desk(city.id, wire.id, city_section.id, cricket.id)


def edition(name: str, on: bool) -> str:
    return handlers.edition_button(EN, name, on)


async def keyboard(tg: SandboxClient, user: int, replies: int = 1) -> dict[str, Any]:
    """Send /sections as ``user``; the bot's ``replies``-th message in that chat."""
    await tg.send(user, "/sections", first_name="Asha", language_code="en")
    messages = await tg.bot_messages(user, wait_for=replies, timeout=WAIT)
    assert len(messages) >= replies, "no answer to /sections"
    return messages[replies - 1]


async def press(
    tg: SandboxClient, user: int, message: dict[str, Any], text: str, presses: int
) -> tuple[str, dict[str, str]]:
    """Press the button ``text`` of ``message`` as its keyboard is now (``presses``: how many
    buttons were pressed in all, this one included); the answer and the keyboard afterwards."""
    await tg.press(user, message["message_id"], buttons(await current(tg, user, message))[text])
    answered = await tg.callbacks(wait_answered=presses, timeout=WAIT)
    assert sum(c["answered"] for c in answered) >= presses, f"{text!r} was not answered"
    return answered[-1]["answer"]["text"], buttons(await current(tg, user, message))


async def current(tg: SandboxClient, user: int, message: dict[str, Any]) -> dict[str, Any]:
    """``message`` as it is now (its keyboard is edited in place)."""
    [now] = [m for m in await tg.bot_messages(user) if m["message_id"] == message["message_id"]]
    return now


async def publish(newsbot: Newsbot, n: int, feed_id: int, *categories: str) -> None:
    """Publish article ``n`` of ``feed_id`` (English edition) and send what is due."""
    async with newsbot.db.writing() as session:
        stored = await store_drafts(
            session,
            [draft(n, categories=categories)],
            source="feed",
            feed_id=feed_id,
            publish=True,
            edition_id=newsbot.editions.by_code["en"].id,
        )
        [article] = stored.published
        await enqueue(session, article)
    await newsbot.drain_now()


async def headlines(tg: SandboxClient, user: int) -> list[str]:
    messages = await tg.bot_messages(user)
    return [m["text"].split("\n")[0] for m in messages if m["text"].startswith("Headline ")]


async def test_keyboard_ticks_what_a_reader_follows(
    newsbot: Newsbot, tg: SandboxClient, desk: Desk
) -> None:
    """A subscribed reader sees their edition and its sections ticked, the other edition
    (with no sections: its button alone) not; a new reader sees nothing ticked."""
    await tg.send(ASHA, "/subscribe", first_name="Asha", language_code="en")
    await tg.bot_messages(ASHA, wait_for=1, timeout=WAIT)
    shown = await keyboard(tg, ASHA, replies=2)
    assert shown["text"] == handlers.sections_intro(EN)
    rows = [[b["text"] for b in row] for row in shown["reply_markup"]["inline_keyboard"]]
    assert rows == [
        [edition("English", True)],
        [f"{ON} City", f"{ON} Cricket"],
        [edition("हिंदी", False)],
    ]
    assert buttons(shown)[f"{ON} Cricket"] == f"sec:s:{desk.cricket}"
    assert buttons(shown)[edition("हिंदी", False)] == f"sec:e:{newsbot.editions.by_code['hi'].id}"
    fresh = await keyboard(tg, RAVI)
    assert set(buttons(fresh)) == {
        edition("English", False),
        f"{OFF} City",
        f"{OFF} Cricket",
        edition("हिंदी", False),
    }


async def test_a_reader_of_one_section_gets_only_its_articles(
    newsbot: Newsbot, tg: SandboxClient, db: Database, desk: Desk
) -> None:
    """Ravi switches Cricket on and gets the cricket articles of any feed, not City's others;
    Asha, who follows the whole edition, gets them all; the last section off stops it."""
    await tg.send(ASHA, "/subscribe", first_name="Asha", language_code="en")
    await tg.bot_messages(ASHA, wait_for=1, timeout=WAIT)
    shown = await keyboard(tg, RAVI)
    answer, now = await press(tg, RAVI, shown, f"{OFF} Cricket", 1)
    assert answer == handlers.section_on_answer(EN, "Cricket")
    assert set(now) == {
        edition("English", True),
        f"{OFF} City",
        f"{ON} Cricket",
        edition("हिंदी", False),
    }
    async with db.session() as session:
        row = await session.get(Subscriber, RAVI)
        assert row is not None
        assert row.subscribed is True

    await publish(newsbot, 1, desk.city)  # City only
    await publish(newsbot, 2, desk.wire, "cricket")  # Cricket, from a feed that is no section
    await publish(newsbot, 3, desk.city, "Cricket", "Politics")  # both: once
    await publish(newsbot, 4, desk.wire, "Politics")  # neither
    await tg.bot_messages(ASHA, wait_for=5, timeout=WAIT)
    assert await headlines(tg, RAVI) == ["Headline 2", "Headline 3"]
    assert await headlines(tg, ASHA) == [f"Headline {n}" for n in (1, 2, 3, 4)]

    shown = await keyboard(tg, RAVI, replies=4)
    answer, now = await press(tg, RAVI, shown, f"{ON} Cricket", 2)
    assert answer == handlers.last_section_off_answer(EN, "Cricket", "English")
    assert set(now) == {
        edition("English", False),
        f"{OFF} City",
        f"{OFF} Cricket",
        edition("हिंदी", False),
    }
    async with db.session() as session:
        assert await subscriptions.following(session, RAVI) == {}
        row = await session.get(Subscriber, RAVI)
        assert row is not None
        assert row.subscribed is False
    await publish(newsbot, 5, desk.wire, "Cricket")
    await tg.bot_messages(ASHA, wait_for=6, timeout=WAIT)
    assert await headlines(tg, RAVI) == ["Headline 2", "Headline 3"]


async def test_edition_button_follows_all_then_stops(
    newsbot: Newsbot, tg: SandboxClient, db: Database, desk: Desk
) -> None:
    """The edition's button follows all of it (every section ticked), pressed again stops
    it; a section off from "all" leaves the others on."""
    hi = newsbot.editions.by_code["hi"].id
    shown = await keyboard(tg, MEERA)
    answer, now = await press(tg, MEERA, shown, edition("हिंदी", False), 1)
    assert answer == handlers.followed_answer(EN, "हिंदी")
    assert edition("हिंदी", True) in now
    answer, now = await press(tg, MEERA, shown, edition("English", False), 2)
    assert answer == handlers.followed_answer(EN, "English")
    assert {f"{ON} City", f"{ON} Cricket", edition("English", True)} <= set(now)
    answer, now = await press(tg, MEERA, shown, f"{ON} City", 3)
    assert answer == handlers.section_muted_answer(EN, "City", "English")
    assert {f"{OFF} City", f"{ON} Cricket", edition("English", True)} <= set(now)
    answer, now = await press(tg, MEERA, shown, edition("English", True), 4)
    assert answer == handlers.unfollowed_answer(EN, "English")
    assert {f"{OFF} City", f"{OFF} Cricket", edition("English", False)} <= set(now)
    async with db.session() as session:
        follows = await subscriptions.following(session, MEERA)
    assert list(follows) == [hi]
    assert follows[hi].sections is None
    answer, now = await press(tg, MEERA, shown, edition("हिंदी", True), 5)
    assert answer == handlers.nothing_followed_answer(EN, "हिंदी")  # says nothing comes now
    async with db.session() as session:
        assert await subscriptions.following(session, MEERA) == {}


async def test_a_removed_sections_button_is_answered_politely(
    newsbot: Newsbot, tg: SandboxClient, db: Database, desk: Desk
) -> None:
    """A button of a section removed since the keyboard was sent changes nothing, says so and
    redraws the keyboard without it; nothing apologises for an error."""
    shown = await keyboard(tg, RAVI)
    async with db.writing() as session:
        await sections.remove_section(session, desk.cricket)
    answer, now = await press(tg, RAVI, shown, f"{OFF} Cricket", 1)
    assert answer == handlers.stale_answer(EN)
    assert set(now) == {edition("English", False), f"{OFF} City", edition("हिंदी", False)}
    async with db.session() as session:
        assert await subscriptions.following(session, RAVI) == {}
    texts_sent = [m["text"] for m in await tg.bot_messages(RAVI)]
    assert texts.error(EN) not in texts_sent
    assert len(texts_sent) == 1


async def test_the_sections_button_sends_the_keyboard(
    newsbot: Newsbot, tg: SandboxClient, desk: Desk
) -> None:
    """A ``sections`` button (the welcome's) sends the same keyboard as /sections."""
    await tg.send(ASHA, "/subscribe", first_name="Asha", language_code="en")
    await tg.bot_messages(ASHA, wait_for=1, timeout=WAIT)
    opener = InlineKeyboardButton("Sections", callback_data=handlers.SECTIONS_CALLBACK)
    sent = await newsbot.application.bot.send_message(
        ASHA, "Welcome", reply_markup=InlineKeyboardMarkup([[opener]])
    )
    await tg.press(ASHA, sent.message_id, handlers.SECTIONS_CALLBACK)
    await tg.callbacks(wait_answered=1, timeout=WAIT)
    messages = await tg.bot_messages(ASHA, wait_for=3, timeout=WAIT)
    assert messages[-1]["text"] == handlers.sections_intro(EN)
    assert edition("English", True) in buttons(messages[-1])


@pytest.mark.parametrize(
    ("data", "parsed"),
    [
        ("sec:e:3", ("e", 3)),
        ("sec:s:12", ("s", 12)),
        ("sec:x:1", None),
        ("sec:s:", None),
        ("sec:s:-1", None),
        ("sec:s:1:2", None),
        ("sec:s:9999999999", None),
        ("sections", None),
        (None, None),
    ],
)
def test_callback_data_is_validated(data: str | None, parsed: tuple[str, int] | None) -> None:
    """Only ``sec:e:<id>`` and ``sec:s:<id>`` with a short number are buttons of the keyboard."""
    assert handlers.parse_toggle(data) == parsed
