"""The Feeds page in headless Chromium: an editor logs in through the link, adds a feed by
the form's labels (a real local feed server serves it) and pauses it with its button, which
htmx answers by swapping the row in place; without JavaScript the same button posts the form
and comes back to the list. Each step is checked in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from bot.sandbox import FeedServer
from bot.services.console_auth import issue_login
from bot.storage.models import Feed, utcnow
from tests.console.browser import shoot
from tests.console.conftest import EDITOR, Console
from tests.console.test_feeds import insert, rss

# What the browser shows is the database's either way: these run on SQLite, and the pages'
# queries run on PostgreSQL in the pages' own tests.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def site() -> Iterator[FeedServer]:
    """A real feed server holding one feed of three stories."""
    with FeedServer() as server:
        server.put("/valley.xml", rss("Valley News", "v1", "v2", "v3"))
        yield server


async def logged_in(browser: Browser, console: Console, *, javascript: bool = True) -> Page:
    """A page of a new browser context, logged in as the editor through a fresh link."""
    context = await browser.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    token = await issue_login(console.db, EDITOR, "Priya")
    await page.goto(console.url + "/login/" + token)
    await expect(page.get_by_text("Priya")).to_be_visible()
    return page


async def stored(console: Console, url: str) -> Feed:
    async with console.db.session() as session:
        feed = await session.scalar(select(Feed).where(Feed.url == url))
    assert feed is not None, f"no feed {url}"
    return feed


async def add_through_the_form(page: Page, url: str, edition: str) -> None:
    await page.get_by_label("Address of the feed or of the site").fill(url)
    await page.get_by_label("Edition").select_option(edition)
    await page.get_by_role("button", name="Add the feed").click()
    await expect(page.locator("p.notice")).to_contain_text("Added feed")


async def test_an_editor_adds_a_feed_and_pauses_it_in_place(
    browser: Browser, console: Console, site: FeedServer
) -> None:
    """Add by the labels, then Pause: htmx swaps the row (same page, no reload) and the feed
    is paused by an editor in the database."""
    earlier = utcnow() - timedelta(hours=3)
    await insert(
        console,
        url="https://wire.example/rss.xml",
        title="Wire",
        error_count=2,
        last_error="read timed out after 20 s",
        last_error_kind="timeout",
        last_error_at=earlier,
        last_success_at=earlier - timedelta(days=1),
        approve=True,
    )
    await insert(
        console,
        url="https://gone.example/feed",
        title="Old blog",
        active=False,
        paused_reason="failures",
        error_count=10,
        last_error="the server answered HTTP 410",
        last_error_kind="http_status",
        last_error_at=earlier,
    )
    page = await logged_in(browser, console)
    await page.goto(console.url + "/feeds")
    await expect(page.get_by_role("heading", name="Feeds", exact=True)).to_be_visible()
    await expect(page.locator("tbody tr")).to_have_count(2)
    url = site.url_for("/valley.xml")
    await add_through_the_form(page, url, "hi")
    await expect(page.locator("p.notice")).to_contain_text("Valley News")
    feed = await stored(console, url)
    assert feed.edition_id == console.core.editions.by_code["hi"].id
    row = page.locator(f"tr#feed-{feed.id}")
    await expect(row).to_contain_text("Working")
    await expect(row.locator("td.num")).to_have_text("3")

    await page.evaluate("window.notReloaded = true")
    await row.get_by_role("button", name=f"Pause feed {feed.id}").click()
    await expect(row).to_contain_text("Paused by an editor")
    await expect(row.get_by_role("button", name=f"Resume feed {feed.id}")).to_be_visible()
    assert await page.evaluate("window.notReloaded") is True  # swapped, not reloaded
    paused = await stored(console, url)
    assert (paused.active, paused.paused_reason) == (False, "editor")
    shot = await shoot(page, "feeds")
    assert shot.stat().st_size > 10_000

    await row.get_by_role("button", name=f"Resume feed {feed.id}").click()
    await expect(row).to_contain_text("Working")
    assert (await stored(console, url)).active is True


async def test_without_javascript_the_buttons_still_work(
    browser: Browser, console: Console, site: FeedServer
) -> None:
    """No JavaScript: the Pause form posts, and the list comes back saying so."""
    page = await logged_in(browser, console, javascript=False)
    await page.goto(console.url + "/feeds")
    url = site.url_for("/valley.xml")
    await add_through_the_form(page, url, "en")
    feed = await stored(console, url)
    await page.get_by_role("button", name=f"Pause feed {feed.id}").click()
    await expect(page.locator("p.notice")).to_have_text(f"Feed {feed.id} paused.")
    assert page.url.endswith(f"/feeds?done=paused&feed={feed.id}#feed-{feed.id}")
    await expect(page.locator(f"tr#feed-{feed.id}")).to_contain_text("Paused by an editor")
    assert (await stored(console, url)).active is False
    await shoot(page, "feeds-no-javascript")
