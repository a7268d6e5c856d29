"""Feeds from the chat, end to end: the real PTB Application against the Bot API sandbox and a
real feed server. An editor's /feeds lists the feeds with their health (next check in the
publisher's time zone) and buttons that pause, resume, remove (after asking) and switch
approval, editing the list in place; /addfeed finds a site's feed; /removefeed removes one;
each failure is one sentence. A feed's exclude word keeps an article out of the channel and
readers' chats. A reader's commands and buttons, and data the bot never made, are refused
with nothing changed and nothing sent to the channel."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ExtBot

from bot.app import Newsbot
from bot.handlers import feeds as handlers
from bot.i18n import translator_for
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services.feeds import add_feed, configure_feed
from bot.storage.db import Database
from bot.storage.models import Feed, utcnow
from tests.e2e.chat import WAIT, ask, bot_settings, buttons

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAfeeds-chat-token-never-logged-0000"
CHANNEL = "feeds_news"
EDITOR, READER = 7901, 7902
EN = translator_for("en")


def rss(*items: tuple[str, str]) -> str:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://paper.example/{guid}</link>"
        f"<description>What happened in {guid}.</description></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Paper {len(items)}</title><link>https://paper.example/</link>{body}"
        "</channel></rss>"
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_feeds_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/city.xml", rss(("c1", "City old")), "application/rss+xml")
        server.put("/wire.xml", rss(("w1", "Wire old")), "application/rss+xml")
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(
        sandbox,
        TOKEN,
        telegram_channel=f"@{CHANNEL}",
        editor_ids=[EDITOR],
        parse_workers=0,
        timezone="Asia/Kolkata",
    )
    async with Newsbot(settings, database=db) as running:
        yield running


async def added(newsbot: Newsbot, url: str) -> int:
    """Add the feed at ``url`` as the shell would; its id."""
    return (await add_feed(newsbot.db, newsbot.fetcher, url, parser=newsbot.parser)).feed.id


async def row(db: Database, feed_id: int) -> Feed | None:
    async with db.session() as session:
        return await session.get(Feed, feed_id)


async def current(tg: SandboxClient, user: int, message: dict[str, Any]) -> dict[str, Any]:
    """``message`` as it is now (the list is edited in place)."""
    [now] = [m for m in await tg.bot_messages(user) if m["message_id"] == message["message_id"]]
    return now


class Presser:
    """Presses buttons as one user and reads each answer (counting every press so far)."""

    def __init__(self, tg: SandboxClient) -> None:
        self.tg = tg
        self.presses = 0

    async def press(self, user: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        """Press the button ``data`` under ``message``; the bot's answer to the press."""
        pressed = await self.tg.press(user, message["message_id"], data)
        self.presses += 1
        answered = await self.tg.callbacks(wait_answered=self.presses, timeout=WAIT)
        assert sum(c["answered"] for c in answered) >= self.presses, f"{data!r} not answered"
        [press] = [c for c in answered if c["id"] == pressed["callback_query_id"]]
        return dict(press["answer"])

    async def label(self, user: int, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Press the button labelled ``text`` on ``message`` as it is now."""
        return await self.press(user, message, buttons(await current(self.tg, user, message))[text])


async def test_feeds_lists_and_its_buttons_change_the_feed(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """/feeds shows each feed's health and next check in IST; Pause, Resume and Approval
    change the feed's row and redraw the list in place."""
    city = await added(newsbot, site.url_for("/city.xml"))
    wire = await added(newsbot, site.url_for("/wire.xml"))
    later = utcnow().replace(microsecond=0) + timedelta(days=1)
    async with newsbot.db.writing() as session:
        feed = await session.get(Feed, wire)
        assert feed is not None
        feed.next_poll_at = later
        feed.error_count, feed.last_error_kind = 3, "timeout"
    listed = await ask(tg, EDITOR, "/feeds", 1)
    text = listed["text"]
    assert "2 feeds" in text
    assert f"{city}. Paper 1" in text
    assert site.url_for("/city.xml") in text
    assert "✅ Working." in text
    assert "⚠️ Failing: 3 failed polls in a row. The site took too long to answer." in text
    shown = handlers.local_time(later, utcnow(), newsbot.settings.zone)
    assert shown.endswith(" IST")
    assert f"Next check: {shown}." in text
    labels = buttons(listed)
    assert set(labels) == {
        handlers.pause_button(EN, city),
        handlers.remove_button(EN, city),
        handlers.approval_button(EN, city, False),
        handlers.pause_button(EN, wire),
        handlers.remove_button(EN, wire),
        handlers.approval_button(EN, wire, False),
    }
    presser = Presser(tg)

    answer = await presser.label(EDITOR, listed, handlers.pause_button(EN, city))
    assert answer["text"] == f"Feed {city} paused."
    paused = await row(newsbot.db, city)
    assert paused is not None
    assert (paused.active, paused.paused_reason) == (False, "editor")
    now = await current(tg, EDITOR, listed)
    assert "⏸ Paused by an editor." in now["text"]
    assert handlers.resume_button(EN, city) in buttons(now)

    answer = await presser.label(EDITOR, listed, handlers.resume_button(EN, city))
    assert answer["text"].startswith(f"Feed {city} resumed")
    resumed = await row(newsbot.db, city)
    assert resumed is not None
    assert (resumed.active, resumed.paused_reason) == (True, None)
    assert handlers.pause_button(EN, city) in buttons(await current(tg, EDITOR, listed))

    answer = await presser.label(EDITOR, listed, handlers.approval_button(EN, wire, False))
    assert answer["text"] == f"Feed {wire}: new articles now wait for approval."
    approving = await row(newsbot.db, wire)
    assert approving is not None
    assert approving.approve is True
    now = await current(tg, EDITOR, listed)
    assert handlers.approval_button(EN, wire, True) in buttons(now)
    assert "Each new article waits for an editor's approval." in now["text"]
    assert len(await tg.bot_messages(EDITOR)) == 1  # edited in place, never a new message
    assert await tg.messages(f"@{CHANNEL}") == []


async def test_remove_asks_first_and_removefeed(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """Remove asks; No keeps the feed, Yes removes it; a button of the removed feed is a
    polite answer; /removefeed removes by id and says so when there is no such feed."""
    city = await added(newsbot, site.url_for("/city.xml"))
    wire = await added(newsbot, site.url_for("/wire.xml"))
    listed = await ask(tg, EDITOR, "/feeds", 1)
    presser = Presser(tg)
    stale_pause = buttons(listed)[handlers.pause_button(EN, city)]

    await presser.label(EDITOR, listed, handlers.remove_button(EN, city))
    asking = await current(tg, EDITOR, listed)
    assert f"Remove feed {city}, Paper 1?" in asking["text"]
    assert set(buttons(asking)) == {handlers.yes_remove_button(EN, city), handlers.keep_button(EN)}
    answer = await presser.label(EDITOR, listed, handlers.keep_button(EN))
    assert answer["text"] == "Nothing removed."
    assert await row(newsbot.db, city) is not None
    assert "2 feeds" in (await current(tg, EDITOR, listed))["text"]

    await presser.label(EDITOR, listed, handlers.remove_button(EN, city))
    answer = await presser.label(EDITOR, listed, handlers.yes_remove_button(EN, city))
    assert answer["text"] == f"Feed {city} removed."
    assert await row(newsbot.db, city) is None
    assert "1 feed" in (await current(tg, EDITOR, listed))["text"]

    # A button of the removed feed, on an older copy of the list: a polite answer.
    await newsbot.application.bot.send_message(
        EDITOR,
        "old list",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("old", callback_data=stale_pause)]]
        ),
    )
    old = (await tg.bot_messages(EDITOR, wait_for=2, timeout=WAIT))[1]
    answer = await presser.press(EDITOR, old, stale_pause)
    assert answer["text"] == handlers.feed_gone_answer(EN)
    assert (await current(tg, EDITOR, old))["text"].startswith("1 feed")  # the list as it is

    removed = await ask(tg, EDITOR, f"/removefeed {wire}", 3)
    assert removed["text"] == (
        f"Removed feed {wire}, Paper 1. The articles it brought stay on record."
    )
    assert await row(newsbot.db, wire) is None
    missing = await ask(tg, EDITOR, "/removefeed 999", 4)
    assert missing["text"] == "Not removed. There is no feed 999."
    usage = await ask(tg, EDITOR, "/removefeed", 5)
    assert usage["text"].startswith("Usage: /removefeed ID")


async def test_addfeed_finds_a_sites_feed_and_says_why_not(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """/addfeed with a site's page adds the feed the page links; adding it again, a page
    with no feed, an unknown edition and an unreachable site are each one sentence."""
    site.put(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/city.xml">'
        "</head><body>Home</body></html>",
        "text/html; charset=utf-8",
    )
    home = site.url_for("/")
    done = await ask(tg, EDITOR, f"/addfeed {home}", 1)
    assert done["text"].startswith(f"Found the feed on {home}.\nAdded feed 1, Paper 1,")
    assert "to the en edition" in done["text"]
    async with newsbot.db.session() as session:
        urls = list(await session.scalars(select(Feed.url)))
    assert urls == [site.url_for("/city.xml")]

    again = await ask(tg, EDITOR, f"/addfeed {site.url_for('/city.xml')}", 2)
    assert again["text"] == f"Not added. {site.url_for('/city.xml')} is already feed 1."
    site.put("/about", "<html><body>About us</body></html>", "text/html")
    site.remove("/wire.xml")
    nothing = await ask(tg, EDITOR, f"/addfeed {site.url_for('/about')}", 3)
    assert nothing["text"].startswith(f"Not added. No feed found at {site.url_for('/about')}")
    edition = await ask(tg, EDITOR, f"/addfeed {site.url_for('/about')} xx", 4)
    assert edition["text"] == "Not added. There is no edition “xx”; the editions are en."
    down = await ask(tg, EDITOR, "/addfeed http://127.0.0.1:9/feed.xml", 5)
    assert down["text"].startswith("Not added. The site could not be reached")
    usage = await ask(tg, EDITOR, "/addfeed", 6)
    assert usage["text"].startswith("Usage: /addfeed URL")
    for reply in (again, nothing, edition, down):
        assert reply["text"].count(". ") <= 2  # "Not added." and one sentence


async def test_an_excluded_word_keeps_an_article_out(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """A new entry with the feed's exclude word reaches neither the channel nor a reader; the
    other new entry reaches both."""
    await ask(tg, READER, "/start poster-1", 1)  # a campaign subscribes at once
    await ask(tg, EDITOR, f"/addfeed {site.url_for('/city.xml')}", 1)
    async with newsbot.db.writing() as session:
        feed_id = await session.scalar(select(Feed.id))
        assert feed_id is not None
        await configure_feed(session, feed_id, exclude="sponsored, advertorial")
    site.put(
        "/city.xml",
        rss(("c3", "SPONSORED: the best loans"), ("c2", "Bridge opens"), ("c1", "City old")),
        "application/rss+xml",
    )
    [result] = await newsbot.poll_now()
    assert (result.published, result.seen) == (1, 1)
    await newsbot.drain_now()
    channel = await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT)
    assert [m["text"].split("\n")[0] for m in channel] == ["Bridge opens"]
    got = await tg.bot_messages(READER, wait_for=2, timeout=WAIT)
    assert [m["text"].split("\n")[0] for m in got[1:]] == ["Bridge opens"]
    assert not any("loans" in (m.get("text") or "") for m in channel + got)


async def test_readers_and_forged_buttons_are_refused(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """A reader's /feeds, /addfeed, /removefeed and a feeds button are refused politely and
    change nothing; data the codec did not make gets a polite answer even from an editor;
    nothing reaches the channel."""
    city = await added(newsbot, site.url_for("/city.xml"))
    await ask(tg, EDITOR, "/start", 1)
    refusal = "Sorry, only the newsroom's editors can do that."
    for n, command in enumerate(
        ("/feeds", f"/addfeed {site.url_for('/wire.xml')}", f"/removefeed {city}"), 1
    ):
        assert (await ask(tg, READER, command, n))["text"] == refusal
    # A reader holding a list's button (an editor no more, or a modified client).
    remove = handlers.FEED_BUTTON.encode("y", city, 0)
    for user, data in ((READER, remove), (EDITOR, "fd:y:1"), (EDITOR, "fd:zz:1:0")):
        await cast("ExtBot[int]", newsbot.application.bot).send_message(
            user,
            "a button",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]]),
            rate_limit_args=3,  # two to one chat: wait out the 1 message/s
        )
    presser = Presser(tg)
    reader_button = (await tg.bot_messages(READER, wait_for=4, timeout=WAIT))[3]
    answer = await presser.press(READER, reader_button, remove)
    assert answer["text"] == refusal
    editor_messages = await tg.bot_messages(EDITOR, wait_for=3, timeout=WAIT)
    for message in editor_messages[1:3]:
        data = buttons(message)["x"]
        answer = await presser.press(EDITOR, message, data)
        assert answer["text"] == handlers.stale_button_answer(EN)
        assert (await current(tg, EDITOR, message))["text"] == "a button"  # not edited
    async with newsbot.db.session() as session:
        assert list(await session.scalars(select(Feed.id))) == [city]
        feed = await session.get(Feed, city)
        assert feed is not None
        assert (feed.active, feed.approve) == (True, False)
    assert await tg.messages(f"@{CHANNEL}") == []


async def test_a_feed_paused_by_failures_is_resumed_from_the_alert(
    sandbox: SandboxServer, db: Database, tg: SandboxClient, site: FeedServer
) -> None:
    """The alert of a feed paused by its failures names /feeds, once; /feeds shows it paused
    by itself and why, in words; its Resume button polls it again with its count reset."""
    site.fail("/wire.xml", 503)
    settings = bot_settings(
        sandbox,
        TOKEN,
        telegram_channel=f"@{CHANNEL}",
        editor_ids=[EDITOR],
        parse_workers=0,
        feeds=[site.url_for("/wire.xml")],
        feed_pause_after=2,
    )
    async with Newsbot(settings, database=db) as newsbot:
        await ask(tg, EDITOR, "/start", 1)
        await newsbot.poll_now()
        [paused] = await newsbot.poll_now()
        assert paused.paused
        assert await newsbot.poll_now() == []
        messages = await tg.bot_messages(EDITOR, wait_for=2, timeout=WAIT)
        alerts = [m for m in messages if "is paused" in m["text"]]
        assert len(alerts) == 1
        assert "resume it here from /feeds" in alerts[0]["text"]
        listed = await ask(tg, EDITOR, "/feeds", 3)
        assert (
            "⛔ Paused by itself after 2 failed polls in a row. The site answered with an error "
            "instead of the page." in listed["text"]
        )
        answer = await Presser(tg).label(EDITOR, listed, handlers.resume_button(EN, paused.feed_id))
        assert answer["text"].startswith(f"Feed {paused.feed_id} resumed")
        feed = await row(db, paused.feed_id)
        assert feed is not None
        assert (feed.active, feed.error_count, feed.next_poll_at) == (True, 0, None)
        assert len(await tg.bot_messages(EDITOR)) == 3  # one alert, the list, nothing more
