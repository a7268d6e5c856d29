"""The web console end to end, in headless Chromium: the real PTB Application against the Bot
API sandbox serves the console on a free port. An editor asks /console in the chat, opens the
link, sees the dashboard with the database's figures, pushes an article page and publishes
it, and the sandbox shows the post in the channel and in the readers' chats. A reader's
/console is refused; a reused link, a missing session and a form without its CSRF token are
refused in the browser too. Each page is saved as a screenshot (build/screenshots/)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from bot.app import Newsbot
from bot.handlers import texts
from bot.i18n import translator_for
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.models import Subscriber
from tests.console.browser import browser, shoot, unlabelled_controls
from tests.e2e.chat import WAIT, ask, bot_settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

__all__ = ["browser"]

# What the browser shows is the database's either way: these run on SQLite, and the pages'
# queries run on PostgreSQL in tests/console.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.parametrize("db", ["sqlite"], indirect=True),
]

TOKEN = "987654321:AAconsole-e2e-token-never-logged-000"
BOT = "e2e_console_bot"
CHANNEL = "@e2e_console_news"
EDITOR, ASHA, RAVI = 7801, 7802, 7803
PAGE = (Path(__file__).parents[2] / "bot" / "demo_data" / "article.html").read_text()
LINK = re.compile(r'href="(http://127\.0\.0\.1:\d+/login/[^"]+)"')


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username=BOT, channels=(CHANNEL.removeprefix("@"),)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/story.html", PAGE, "text/html; charset=utf-8")
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(
        sandbox, TOKEN, editor_ids=[EDITOR], telegram_channel=CHANNEL, console_bind="127.0.0.1:0"
    )
    async with Newsbot(settings, database=db) as running:
        yield running


async def nav(page: Page, name: str) -> None:
    """Go to a page by the console's navigation."""
    await page.get_by_role("navigation", name="Console").get_by_role("link", name=name).click()


async def login_link(tg: SandboxClient, replies: int) -> str:
    """The link in the bot's answer to an editor's /console (its ``replies``-th message)."""
    answer = await ask(tg, EDITOR, "/console", replies, first_name="Priya")
    assert answer["options"]["link_preview_options"] == {"is_disabled": True}  # none opens it
    found = LINK.search(answer["html"])
    assert found, answer["html"]
    return found[1]


async def test_an_editor_pushes_and_publishes_from_the_console(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer, browser: Browser, db: Database
) -> None:
    for reader in (ASHA, RAVI):
        await ask(tg, reader, "/subscribe", 1)
    async with db.session() as session:
        subscribed = await session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.subscribed)
        )
    assert subscribed == 2

    refused = await ask(tg, ASHA, "/console", 2)
    assert refused["html"] == texts.editors_only(translator_for("en"))
    assert "/login/" not in refused["text"]

    link = await login_link(tg, 1)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(link)
    assert page.url == newsbot.console.base_url + "/"
    await page.get_by_role("heading", name="Dashboard").wait_for()
    assert await page.locator("#figure-readers").inner_text() == str(subscribed)
    assert await page.locator("#figure-sign-ups").inner_text() == "2"
    assert await page.locator("#figure-sent").inner_text() == "0"
    await shoot(page, "console-dashboard")

    await nav(page, "Articles")
    await page.get_by_label("Article address").fill(site.url_for("/story.html"))
    await page.get_by_role("button", name="Preview").click()
    await page.get_by_text("This is the post readers will get").wait_for()
    headline = await page.locator("h1").inner_text()
    await shoot(page, "console-article-preview")
    await page.get_by_role("button", name="Publish now").click()
    await page.get_by_text("Published: the channel and the readers get it now.").wait_for()

    posts = await tg.messages(CHANNEL, wait_for=1, timeout=WAIT)
    assert [(p["text"] or p["caption"]).split("\n")[0] for p in posts] == [headline]
    for reader in (ASHA, RAVI):
        got = await tg.bot_messages(reader, wait_for=2 if reader == RAVI else 3, timeout=WAIT)
        assert (got[-1]["text"] or got[-1]["caption"]).split("\n")[0] == headline
    await page.reload()
    await page.get_by_text("posted").first.wait_for()
    await shoot(page, "console-article-published")

    assert await unlabelled_controls(page) == []
    await nav(page, "Articles")
    await shoot(page, "console-articles")
    assert await unlabelled_controls(page) == []
    for name in ("Feeds", "Campaigns", "Dashboard"):
        await nav(page, name)
        await page.get_by_role("heading", name=name).first.wait_for()
        await shoot(page, f"console-{name.lower()}")
        assert await unlabelled_controls(page) == [], name

    # The link was spent: a second browser is refused.
    other = await (await browser.new_context()).new_page()
    await other.goto(link)
    await other.get_by_role("heading", name="This login link was used already").wait_for()
    await shoot(other, "console-link-used")
    # No session: any page is the login page, which says what to do.
    await other.goto(newsbot.console.base_url + "/articles")
    assert other.url.endswith("/login")
    await other.get_by_text(f"Send /console to @{BOT}").wait_for()
    await shoot(other, "console-login")

    # A form without its CSRF token (as a forged cross-site form would be) changes nothing.
    await page.evaluate("document.querySelector('form.logout input[name=csrf]').remove()")
    await page.get_by_role("button", name="Log out").click()
    await page.get_by_role("heading", name="The form has expired").wait_for()
    await shoot(page, "console-csrf-refused")
    await page.goto(newsbot.console.base_url + "/")
    await page.get_by_role("heading", name="Dashboard").wait_for()  # still logged in


async def test_every_page_reads_without_javascript(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer, browser: Browser
) -> None:
    """With JavaScript off, every page shows its content and its forms still work."""
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(await login_link(tg, 1))
    await page.get_by_role("heading", name="Dashboard").wait_for()
    await nav(page, "Articles")
    await page.get_by_label("Article address").fill(site.url_for("/story.html"))
    await page.get_by_role("button", name="Preview").click()
    await page.get_by_text("This is the post readers will get").wait_for()
    article = page.url.split("?")[0]
    for path, heading in (
        ("/", "Dashboard"),
        ("/articles", "Articles"),
        (article.removeprefix(newsbot.console.base_url), None),
        ("/feeds", "Feeds"),
        ("/campaigns", "Campaigns"),
    ):
        await page.goto(newsbot.console.base_url + path)
        title = page.locator("main h1").first
        await title.wait_for()
        if heading is not None:
            assert await title.inner_text() == heading
        assert await unlabelled_controls(page) == [], path
        await shoot(page, f"console-no-js-{heading or 'article'}".lower())
