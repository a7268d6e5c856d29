"""Corrections end to end: the real PTB Application against the Bot API sandbox and a feed
server. A published article whose title the feed changes is edited in place in the channel
(text by editMessageText, a photo's caption by editMessageCaption), once, never reposted;
readers' copies only with EDIT_READER_COPIES."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import Newsbot
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services import readers
from bot.services.readers import Reader
from bot.storage.db import Database
from tests.e2e.chat import WAIT, bot_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAcorrections-token-never-in-a-log00"
CHANNEL = "e2e_corrections"
READER = 7501


def rss(title: str, *, image: bool = False) -> str:
    """A feed of one old entry and, with ``title``, a story under that title."""
    picture = (
        '<enclosure url="https://paper.example/bridge.jpg" type="image/jpeg" length="1"/>'
        if image
        else ""
    )
    story = (
        f"<item><guid>story-1</guid><title>{title}</title>"
        "<link>https://paper.example/story-1</link>"
        f"<description>The new bridge opened on Monday.</description>{picture}</item>"
        if title
        else ""
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Paper</title>'
        f"<link>https://paper.example/</link>{story}<item><guid>old-1</guid><title>Old</title>"
        "<link>https://paper.example/old-1</link><description>Old.</description></item>"
        "</channel></rss>"
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_corrections_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/feed.xml", rss(""), "application/rss+xml")
        yield server


def shown(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def published(
    newsbot: Newsbot, tg: SandboxClient, db: Database, site: FeedServer, *, image: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The story posted to the channel and to a reader: (channel's message, reader's)."""
    await tg.send(READER, "/start", first_name="Asha")
    assert await tg.bot_messages(READER, wait_for=1, timeout=WAIT)
    async with db.writing() as session:
        await readers.subscribe(session, Reader(READER))
    await newsbot.poll_now()  # the backlog: seen
    site.put("/feed.xml", rss("Bridge opens", image=image), "application/rss+xml")
    await newsbot.poll_now()
    await newsbot.drain_now()
    [post] = await tg.bot_messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT)
    copies = await tg.bot_messages(READER, wait_for=2, timeout=WAIT)
    assert shown(post).startswith("Bridge opens")
    assert shown(copies[-1]).startswith("Bridge opens")
    return post, copies[-1]


async def corrected(newsbot: Newsbot, site: FeedServer, *, image: bool) -> None:
    site.put("/feed.xml", rss("Bridge opens at last", image=image), "application/rss+xml")
    await newsbot.poll_now()
    await newsbot.apply_corrections()


async def test_the_channel_post_is_edited_in_place_once(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """A corrected title edits the channel's message (same id, new text), leaves the reader's
    copy alone, sends nothing new; an unchanged poll edits nothing more."""
    settings = bot_settings(
        sandbox,
        TOKEN,
        telegram_channel=f"@{CHANNEL}",
        feeds=[site.url_for("/feed.xml")],
        post_style="preview",
    )
    async with Newsbot(settings, database=db) as newsbot:
        post, copy = await published(newsbot, tg, db, site, image=False)
        await corrected(newsbot, site, image=False)
        [edited] = await tg.bot_messages(f"@{CHANNEL}")
        assert edited["message_id"] == post["message_id"]
        assert edited["edited"] is True
        assert edited["text"].startswith("Bridge opens at last")
        reader = await tg.bot_messages(READER)
        assert [m["message_id"] for m in reader][-1] == copy["message_id"]
        assert reader[-1]["edited"] is False
        assert reader[-1]["text"].startswith("Bridge opens\n")
        assert len(await tg.requests("editMessageText")) == 1

        await newsbot.poll_now()  # the feed as it is: nothing to correct
        await newsbot.apply_corrections()
        assert len(await tg.requests("editMessageText")) == 1
        assert len(await tg.bot_messages(f"@{CHANNEL}")) == 1


async def test_readers_copies_and_photo_captions_with_the_setting(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """With EDIT_READER_COPIES the reader's copy is edited too; a photo post by its caption."""
    settings = bot_settings(
        sandbox,
        TOKEN,
        telegram_channel=f"@{CHANNEL}",
        feeds=[site.url_for("/feed.xml")],
        edit_reader_copies=True,
    )
    async with Newsbot(settings, database=db) as newsbot:
        post, copy = await published(newsbot, tg, db, site, image=True)
        assert post["photo"] is not None
        await corrected(newsbot, site, image=True)
        [edited] = await tg.bot_messages(f"@{CHANNEL}")
        assert edited["message_id"] == post["message_id"]
        assert edited["caption"].startswith("Bridge opens at last")
        reader = await tg.bot_messages(READER)
        assert reader[-1]["message_id"] == copy["message_id"]
        assert reader[-1]["caption"].startswith("Bridge opens at last")
        assert len(await tg.requests("editMessageCaption")) == 2
        assert await tg.requests("editMessageText") == []
