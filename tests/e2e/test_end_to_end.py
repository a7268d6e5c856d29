"""newsbot end to end: the real PTB Application (long polling) against the Bot API sandbox over
HTTP, a local feed server, and a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Newsbot
from bot.config import EditionConfig, Settings, load_settings
from bot.logs import configure_logging
from bot.sandbox import FeedServer, SandboxClient, SandboxServer, parse_telegram_html
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, Subscriber

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAend-to-end-token-never-in-any-log0"
CHANNEL = "e2e_news"
ASHA, BEN, CHEN, EDITOR = 7001, 7002, 7003, 7900
WAIT = 15.0


def rss(*items: tuple[str, str, str]) -> str:
    """An RSS 2.0 document with ``items`` as (guid, title, html description), newest first."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://paper.example/{guid}</link>"
        f"<description><![CDATA[{body}]]></description></item>"
        for guid, title, body in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Paper</title><link>https://paper.example/</link>{entries}</channel></rss>"
    )


OLD = ("old-1", "Yesterday's news", "<p>Nobody should get this again.</p>")
FIRST = (
    "story-1",
    "Bridge opens &amp; traffic flows",
    "<p>The new bridge opened on <b>Monday</b>. Traffic flows both ways. "
    "Cyclists get a lane of their own.</p><script>bad()</script>",
)
SECOND = ("story-2", "Library extends hours", "<p>The library stays open until 9 pm.</p>")
THIRD = ("story-3", "Snow expected", "<p>Up to 20 cm of snow is expected tonight.</p>")

PAGE = """<!doctype html><html><head><title>ignored</title>
<meta property="og:title" content="Breaking: dam inspection finds no damage">
<meta property="og:description" content="Engineers checked every section of the dam on Sunday.">
<meta property="og:url" content="https://paper.example/breaking-dam">
</head><body></body></html>"""


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_news_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/feed.xml", rss(OLD), "application/rss+xml")
        server.put("/breaking.html", PAGE, "text/html; charset=utf-8")
        yield server


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def settings_for(sandbox: SandboxServer, site: FeedServer) -> Settings:
    return load_settings(
        None,
        telegram_bot_token=TOKEN,
        telegram_channel=f"@{CHANNEL}",
        telegram_api_url=sandbox.url,
        feeds=[site.url_for("/feed.xml")],
        poll_interval=1,
        editor_ids=[EDITOR],
        allow_private_networks=True,
        log_level="DEBUG",
    )


def posts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot's messages that are article posts (they carry a link)."""
    return [m for m in messages if m.get("from_bot") and "Read more" in (m.get("text") or "")]


async def ask(tg: SandboxClient, user: int, text: str, replies: int) -> dict[str, Any]:
    """Send ``text`` as ``user`` and return the bot's ``replies``-th message in that chat."""
    await tg.send(user, text, first_name=f"user{user}")
    messages = await tg.bot_messages(user, wait_for=replies, timeout=WAIT)
    assert len(messages) >= replies, f"no answer to {text!r} from the bot"
    return messages[replies - 1]


async def test_whole_flow(
    db: Database,
    sandbox: SandboxServer,
    site: FeedServer,
    tg: SandboxClient,
    log_stream: io.StringIO,
) -> None:
    """Readers subscribe, articles arrive once as valid posts, leaving and blocking work, pushes
    go out for editors only, and a restart sends nothing twice — with the token in no log."""
    settings = settings_for(sandbox, site)
    async with Newsbot(settings, database=db) as newsbot:
        assert [c["command"] for c in await tg.commands()] == [
            "start",
            "subscribe",
            "sections",
            "latest",
            "digest",
            "pause",
            "resume",
            "language",
            "unsubscribe",
            "forget",
            "help",
        ]
        welcome = await ask(tg, ASHA, "/start poster-metro", 1)  # a campaign subscribes at once
        assert "You are subscribed" in welcome["text"]
        assert "already subscribed" in (await ask(tg, ASHA, "/subscribe", 2))["text"]
        await ask(tg, BEN, "/start", 1)
        await ask(tg, BEN, "/subscribe", 2)
        await ask(tg, CHEN, "/start flyer-7", 1)
        await ask(tg, CHEN, "/subscribe", 2)
        await newsbot.poll_now()  # the feed's backlog is primed (seen, not posted)

        # A new entry: the scheduled poll finds it; channel and all three readers get it.
        site.put("/feed.xml", rss(FIRST, OLD), "application/rss+xml")
        channel = posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
        assert len(channel) == 1
        for reader in (ASHA, BEN, CHEN):
            got = posts(await tg.bot_messages(reader, wait_for=3, timeout=WAIT))
            assert len(got) == 1, f"reader {reader} got {len(got)} posts"
            post = got[0]
            parsed = parse_telegram_html(post["html"])  # valid Telegram HTML, as sent
            assert parsed.text.startswith("Bridge opens & traffic flows\n")
            assert "The new bridge opened on Monday." in parsed.text
            assert "bad()" not in parsed.text
            kinds = {e["type"]: e for e in parsed.entities}
            assert kinds["bold"]["offset"] == 0
            assert kinds["text_link"]["url"] == "https://paper.example/story-1"

        # Asha leaves; Chen blocks the bot. The next article reaches the channel and Ben only.
        assert "no more articles" in (await ask(tg, ASHA, "/unsubscribe", 4))["text"]
        await tg.block(CHEN)  # Telegram tells the bot (my_chat_member), and a send would fail
        site.put("/feed.xml", rss(SECOND, FIRST, OLD), "application/rss+xml")
        assert len(posts(await tg.bot_messages(BEN, wait_for=4, timeout=WAIT))) == 2
        assert len(posts(await tg.messages(f"@{CHANNEL}", wait_for=2, timeout=WAIT))) == 2
        await newsbot.drain_now()
        assert len(posts(await tg.bot_messages(ASHA))) == 1
        assert len(posts(await tg.bot_messages(CHEN))) == 1
        async with db.session() as session:
            chen = await session.get(Subscriber, CHEN)
            assert chen is not None
            assert chen.active is False
            assert chen.subscribed is True
            second = await session.scalar(
                select(Article).where(Article.link == "https://paper.example/story-2")
            )
            assert second is not None
            asha_rows = await session.scalars(
                select(Delivery).where(Delivery.article_id == second.id, Delivery.chat == str(ASHA))
            )
            assert list(asha_rows) == []

        # A reader's /push is refused and sends nothing; an editor's is delivered.
        refusal = await ask(tg, BEN, f"/push {site.url_for('/breaking.html')}", 5)
        assert "only the newsroom's editors" in refusal["text"]
        preview = await ask(tg, EDITOR, f"/preview {site.url_for('/breaking.html')}", 1)
        assert preview["text"].startswith("Breaking: dam inspection finds no damage")
        assert len(posts(await tg.messages(f"@{CHANNEL}"))) == 2  # a preview goes nowhere else
        await tg.send(EDITOR, f"/push {site.url_for('/breaking.html')}")
        panel = (await tg.bot_messages(EDITOR, wait_for=3, timeout=WAIT))[2]
        assert len(posts(await tg.messages(f"@{CHANNEL}"))) == 2  # not before Publish
        [publish] = [
            b["callback_data"]
            for row in panel["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == "Publish"
        ]
        await tg.press(EDITOR, panel["message_id"], publish)
        ben = posts(await tg.bot_messages(BEN, wait_for=6, timeout=WAIT))
        assert ben[-1]["text"].startswith("Breaking: dam inspection finds no damage")
        assert len(posts(await tg.messages(f"@{CHANNEL}", wait_for=3, timeout=WAIT))) == 3

    # Restart on the same database; the feed now also holds a third article. Only that one
    # goes out, once per chat; nothing sent before is sent again.
    site.put("/feed.xml", rss(THIRD, SECOND, FIRST, OLD), "application/rss+xml")
    async with Newsbot(settings, database=db) as again:
        await again.poll_now()
        channel = posts(await tg.messages(f"@{CHANNEL}", wait_for=4, timeout=WAIT))
        ben = posts(await tg.bot_messages(BEN, wait_for=7, timeout=WAIT))
        await again.drain_now()
    titles = [m["text"].split("\n")[0] for m in channel]
    assert titles == [
        "Bridge opens & traffic flows",
        "Library extends hours",
        "Breaking: dam inspection finds no damage",
        "Snow expected",
    ]
    assert [m["text"].split("\n")[0] for m in ben] == titles
    assert len(posts(await tg.bot_messages(ASHA))) == 1

    logs = log_stream.getvalue()
    assert "newsbot started" in logs
    assert TOKEN not in logs


async def test_block_is_noticed_before_any_send(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """Telegram's notice that a reader blocked (or unblocked) the bot changes them at once."""

    async def active(chat_id: int) -> bool:
        async with db.session() as session:
            reader = await session.get(Subscriber, chat_id)
        assert reader is not None
        return reader.active

    async def becomes(chat_id: int, expected: bool) -> bool:
        """Whether the reader's ``active`` becomes ``expected`` within WAIT seconds. Updates of
        different chats are handled concurrently, so no other reader's answer can tell that
        the notice was handled; the database is watched instead (it sends no event)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while await active(chat_id) is not expected:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async with Newsbot(settings_for(sandbox, site), database=db):
        await ask(tg, ASHA, "/subscribe", 1)
        await tg.block(ASHA)
        assert await becomes(ASHA, False)
        await tg.unblock(ASHA)
        # Each chat's updates are handled in order: once Asha's /help is answered, the
        # unblock notice before it was too.
        await ask(tg, ASHA, "/help", 2)
        assert await active(ASHA) is True
    assert all(r["status"] == 200 for r in await tg.requests("sendMessage"))


async def test_unusable_channel_is_reported_at_start(
    db: Database, sandbox: SandboxServer, site: FeedServer, log_stream: io.StringIO
) -> None:
    """An edition's channel the bot cannot post to is named in a warning when newsbot starts;
    the other edition's, which works, is not."""
    editions = [EditionConfig("en", f"@{CHANNEL}"), EditionConfig("hi", "@nowhere_news")]
    settings = settings_for(sandbox, site).model_copy(
        update={"telegram_channel": None, "editions": editions}
    )
    async with Newsbot(settings, database=db) as newsbot:
        assert list(await newsbot.check_channels()) == ["@nowhere_news"]
    logged = log_stream.getvalue()
    assert "channel unusable edition=hi channel=@nowhere_news" in logged
    assert f"channel=@{CHANNEL} problem" not in logged
