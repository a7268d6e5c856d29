"""Two editions end to end: the real PTB Application against the Bot API sandbox, a real feed
server with an English and a Hindi feed. Each article reaches its own edition's channel and
readers only; a reader lands in the edition of their language; a publisher whose first edition
is Hindi greets readers of other languages in Hindi."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.models import Article, Subscription
from tests.e2e.chat import WAIT, bot_settings
from tests.e2e.chat import ask as ask_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAeditions-test-token-never-logged00"
ASHA, MEERA, OM = 7301, 7302, 7303
EN, HI = translator_for("en"), translator_for("hi")
#: every reader in this story is called Reader
ask = functools.partial(ask_as, first_name="Reader")


def rss(title: str, *items: tuple[str, str, str]) -> str:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{headline}</title>"
        f"<link>https://paper.example/{guid}</link>"
        f"<description><![CDATA[<p>{body}</p>]]></description></item>"
        for guid, headline, body in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title>{entries}</channel></rss>"
    )


OLD_EN = ("en-0", "Old news", "Nobody gets this.")
OLD_HI = ("hi-0", "पुरानी खबर", "यह किसी को नहीं मिलेगी।")
NEW_EN = ("en-1", "Bridge opens", "The new bridge opened on Monday. Traffic flows both ways.")
NEW_HI = ("hi-1", "घाटी में पहली बर्फ़", "घाटी में इस मौसम की पहली बर्फ़ गिरी। स्कूल बंद हैं।")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_editions_bot", channels=("revoi_en", "revoi_hi")) as s:
        yield s


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/en.xml", rss("Revoi", OLD_EN), "application/rss+xml")
        server.put("/hi.xml", rss("रेवोई", OLD_HI), "application/rss+xml")
        yield server


def settings_for(sandbox: SandboxServer, site: FeedServer, editions: str) -> Any:
    return bot_settings(
        sandbox,
        TOKEN,
        editions=editions,
        feeds=f"{site.url_for('/en.xml')},hi={site.url_for('/hi.xml')}",
        poll_interval=3600,
    )


@pytest.fixture
async def newsbot(sandbox: SandboxServer, site: FeedServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = settings_for(sandbox, site, "en=@revoi_en,hi=@revoi_hi")
    async with Newsbot(settings, database=db) as running:
        yield running


def headlines(messages: list[dict[str, Any]]) -> list[str]:
    """The first line of each post the bot sent (posts carry a link)."""
    return [
        (m.get("text") or m.get("caption") or "").split("\n")[0]
        for m in messages
        if m.get("from_bot")
        and ("Read more" in (m.get("text") or "") or "पढ़ें" in (m.get("text") or ""))
    ]


async def test_each_article_reaches_only_its_edition(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer, db: Database
) -> None:
    await newsbot.poll_now()  # primes both feeds: their entries are seen, not sent
    assert (await ask(tg, ASHA, "/subscribe", 1, "en"))["html"] == texts.subscribed(EN)
    welcome = await ask(tg, MEERA, "/start", 1, "hi")
    assert welcome["text"].startswith("नमस्ते")
    assert (await ask(tg, MEERA, "/subscribe", 2, "hi"))["html"] == texts.subscribed(HI)

    site.put("/en.xml", rss("Revoi", NEW_EN, OLD_EN), "application/rss+xml")
    site.put("/hi.xml", rss("रेवोई", NEW_HI, OLD_HI), "application/rss+xml")
    results = await newsbot.poll_now()
    assert sum(r.published for r in results) == 2
    await newsbot.drain_now()

    assert headlines(await tg.messages("@revoi_en", wait_for=1, timeout=WAIT)) == ["Bridge opens"]
    assert headlines(await tg.messages("@revoi_hi", wait_for=1, timeout=WAIT)) == [
        "घाटी में पहली बर्फ़"
    ]
    assert headlines(await tg.bot_messages(ASHA, wait_for=2, timeout=WAIT)) == ["Bridge opens"]
    assert headlines(await tg.bot_messages(MEERA, wait_for=3, timeout=WAIT)) == ["घाटी में पहली बर्फ़"]
    async with db.session() as session:
        editions = dict(list(await session.execute(select(Article.link, Article.edition_id))))
        follows = dict(
            list(await session.execute(select(Subscription.chat_id, Subscription.edition_id)))
        )
    assert editions["https://paper.example/en-1"] == newsbot.editions.by_code["en"].id
    assert editions["https://paper.example/hi-1"] == newsbot.editions.by_code["hi"].id
    assert follows == {
        ASHA: editions["https://paper.example/en-1"],
        MEERA: editions["https://paper.example/hi-1"],
    }

    latest = await ask(tg, MEERA, "/latest", 4, "hi")  # the reader's own edition's articles
    assert "घाटी में पहली बर्फ़" in latest["text"]
    assert "Bridge opens" not in latest["text"]


async def test_a_hindi_first_publisher_speaks_hindi_by_default(
    sandbox: SandboxServer, site: FeedServer, db: Database, tg: SandboxClient
) -> None:
    """With the Hindi edition first, a reader whose Telegram is in a language newsbot has no
    texts for is welcomed in Hindi and subscribed to the Hindi edition."""
    settings = settings_for(sandbox, site, "hi=@revoi_hi,en=@revoi_en")
    async with Newsbot(settings, database=db) as newsbot:
        welcome = await ask(tg, OM, "/start", 1, "ta")
        assert welcome["text"].startswith("नमस्ते")
        assert (await ask(tg, OM, "/subscribe", 2, "ta"))["html"] == texts.subscribed(HI)
        async with db.session() as session:
            follows = list(await session.scalars(select(Subscription.edition_id)))
        assert follows == [newsbot.editions.by_code["hi"].id]
