"""``newsbot demo``: the whole system on embedded defaults, start to finish, then exit 0.

A Bot API sandbox and a feed server run locally (nothing reaches the internet or Telegram), the
database is a SQLite file in a temporary folder, the feeds are the bundled samples in
``bot/demo_data``. The publisher has two editions, English and Hindi, each with its channel and
feed. A scripted reader arrives through a poster's QR code and is subscribed in one tap; a
second, whose Telegram is in Hindi, is welcomed in Hindi and subscribes to the Hindi edition.
The feeds publish two English articles and one Hindi, an editor pushes a fourth and opens the
web console through /console, the first reader leaves; then the posts each chat received are
printed as a reader would read them.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx

from bot.app import Newsbot
from bot.config import load_settings
from bot.logs import configure_logging
from bot.sandbox import FeedServer, SandboxClient, SandboxServer

DEMO_TOKEN = "123456789:AAdemo-token-for-the-local-sandbox00"  # noqa: S105 - sandbox only
CHANNEL = "valley_courier"
HINDI_CHANNEL = "valley_courier_hindi"
READER = 5550001
EDITOR = 5550002
HINDI_READER = 5550003
WAIT = 20.0  # seconds; generous for a slow machine, and the demo fails loudly if exceeded


def sample(name: str) -> bytes:
    """A bundled sample file."""
    return files("bot").joinpath("demo_data", name).read_bytes()


def _utf16_slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def as_reader_sees(message: dict[str, Any], *, bold: bool) -> str:
    """One message of a chat as its reader sees it: Telegram's text and entities, rendered for
    a terminal (bold stays bold when the terminal can show it, a link shows its target)."""
    if not message.get("from_bot"):
        return f"  you: {message.get('text', '')}"
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    inserts: list[tuple[int, str]] = []  # (utf-16 position, what to insert there)
    for entity in entities:
        end = entity["offset"] + entity["length"]
        if entity["type"] == "bold" and bold:
            inserts += [(entity["offset"], "\033[1m"), (end, "\033[0m")]
        elif entity["type"] == "text_link":
            inserts.append((end, f" → {entity['url']}"))
    body, position = [], 0
    for at, piece in sorted(inserts, key=lambda item: item[0]):
        body += [_utf16_slice(text, position, at - position), piece]
        position = at
    body.append(_utf16_slice(text, position, len(text.encode("utf-16-le")) // 2 - position))
    rendered = "".join(body)
    if message.get("photo"):
        rendered = f"[picture: {message['photo']}]\n{rendered}"
    return "\n".join("  │ " + line for line in rendered.splitlines())


def transcript(title: str, messages: list[dict[str, Any]], *, bold: bool) -> str:
    """A chat's messages under its title, one blank line apart."""
    head = f"━━ {title} " + "━" * max(4, 60 - len(title))
    return head + "\n" + "\n\n".join(as_reader_sees(m, bold=bold) for m in messages)


async def open_console(tg: SandboxClient, step: Callable[[str], None]) -> bool:
    """The editor's /console, its link opened as a browser would: whether the dashboard and
    the Articles page (with the story just pushed) answered."""
    await tg.send(EDITOR, "/console", first_name="Ravi")
    answer = (await tg.bot_messages(EDITOR, wait_for=3, timeout=WAIT))[-1]
    found = re.search(r'href="(http://[^"]+)/login/([^"]+)"', answer.get("html") or "")
    if found is None:
        return False
    base = found[1]
    async with httpx.AsyncClient(base_url=base, follow_redirects=True, timeout=WAIT) as browser:
        dashboard = await browser.get(f"/login/{found[2]}")
        articles = await browser.get("/articles")
    ok = dashboard.status_code == articles.status_code == 200 and "Storm" in articles.text
    step(f"  the console at {base}: dashboard and Articles answered ({'OK' if ok else 'not'})")
    return ok


async def run_demo(*, quiet: bool = False) -> int:
    """Run the scripted demo; return 0 when every chat got what it should."""
    bold = sys.stdout.isatty()
    configure_logging("WARNING", secrets=[DEMO_TOKEN])

    def step(text: str) -> None:
        if not quiet:
            print(f"• {text}", flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="newsbot-demo-") as tmp,
        SandboxServer(
            bot_username="valley_courier_bot", channels=(CHANNEL, HINDI_CHANNEL)
        ) as sandbox,
        FeedServer() as site,
    ):
        rss = "application/rss+xml; charset=utf-8"
        site.put("/feed.xml", sample("feed_v1.xml"), rss)
        site.put("/hindi/feed.xml", sample("feed_hi_v1.xml"), rss)
        site.put("/story.html", sample("article.html"), "text/html; charset=utf-8")
        settings = load_settings(
            None,
            telegram_bot_token=DEMO_TOKEN,
            editions=f"en=@{CHANNEL},hi=@{HINDI_CHANNEL}",
            telegram_api_url=sandbox.url,
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}",
            feeds=f"{site.url_for('/feed.xml')},hi={site.url_for('/hindi/feed.xml')}",
            poll_interval=3600,
            editor_ids=[EDITOR],
            publisher_name="The Valley Courier",
            allow_private_networks=True,  # the demo's feed server is on 127.0.0.1
            log_level="WARNING",
            console_bind="127.0.0.1:0",  # any free port: the demo never takes 8080 from anyone
        )
        step(f"Bot API sandbox at {sandbox.url}, feeds at {site.url_for('/')}")
        async with SandboxClient(sandbox.url) as tg, Newsbot(settings) as newsbot:
            await newsbot.poll_now()
            step(
                "Two editions, English (@valley_courier) and Hindi (@valley_courier_hindi), a "
                "feed each: the articles they already hold are marked seen, not posted"
            )

            step("A reader scans the QR code of the 'poster-metro' campaign: one tap subscribes")
            await tg.send(READER, "/start poster-metro", first_name="Asha", username="asha")
            await tg.bot_messages(READER, wait_for=1, timeout=WAIT)

            step("A reader whose Telegram is in Hindi starts the bot and subscribes")
            await tg.send(HINDI_READER, "/start", first_name="Meera", language_code="hi")
            await tg.bot_messages(HINDI_READER, wait_for=1, timeout=WAIT)
            await tg.send(HINDI_READER, "/subscribe", first_name="Meera", language_code="hi")
            await tg.bot_messages(HINDI_READER, wait_for=2, timeout=WAIT)

            step("The newsroom publishes 2 English articles and 1 Hindi; the bot polls the feeds")
            site.put("/feed.xml", sample("feed_v2.xml"), rss)
            site.put("/hindi/feed.xml", sample("feed_hi_v2.xml"), rss)
            results = await newsbot.poll_now()
            published = sum(r.published for r in results)
            await tg.bot_messages(READER, wait_for=3, timeout=WAIT)
            await tg.bot_messages(HINDI_READER, wait_for=3, timeout=WAIT)

            step("An editor pushes a breaking story with /push, looks at it and presses Publish")
            await tg.send(EDITOR, f"/push {site.url_for('/story.html')}", first_name="Ravi")
            panel = (await tg.bot_messages(EDITOR, wait_for=2, timeout=WAIT))[-1]
            publish = next(
                button["callback_data"]
                for row in panel.get("reply_markup", {}).get("inline_keyboard", [])
                for button in row
                if button["text"] == "Publish"
            )
            await tg.press(EDITOR, panel["message_id"], publish)
            await tg.bot_messages(READER, wait_for=4, timeout=WAIT)

            step("The editor sends /console and opens the link: the web console, in a browser")
            console_ok = await open_console(tg, step)

            step("The first reader unsubscribes")
            await tg.send(READER, "/unsubscribe", first_name="Asha")
            reader = await tg.messages(READER, wait_for=5, timeout=WAIT)
            hindi_reader = await tg.messages(HINDI_READER, wait_for=3, timeout=WAIT)
            channel = await tg.messages(f"@{CHANNEL}", wait_for=3, timeout=WAIT)
            hindi_channel = await tg.messages(f"@{HINDI_CHANNEL}", wait_for=1, timeout=WAIT)
            editor = await tg.messages(EDITOR, wait_for=3, timeout=WAIT)

        for title, messages in (
            (f"English channel @{CHANNEL}", channel),
            (f"Hindi channel @{HINDI_CHANNEL}", hindi_channel),
            ("Asha's private chat with the bot", reader),
            ("Meera's private chat with the bot (Hindi)", hindi_reader),
            ("the editor's chat", editor),
        ):
            print()
            print(transcript(title, messages, bold=bold))
        posts = {
            name: len([m for m in chat if m.get("from_bot")])
            for name, chat in (
                ("channel", channel),
                ("hindi_channel", hindi_channel),
                ("reader", reader),
                ("hindi_reader", hindi_reader),
            )
        }
        expected = {"channel": 3, "hindi_channel": 1, "reader": 5, "hindi_reader": 3}
        ok = published == 3 and posts == expected and console_ok
        print()
        print(
            f"{'OK' if ok else 'UNEXPECTED'}: {published} articles published; "
            f"{posts['channel']} posts in the English channel, {posts['hindi_channel']} in the "
            f"Hindi one; {posts['reader']} messages to Asha, {posts['hindi_reader']} to Meera."
        )
        return 0 if ok else 1
