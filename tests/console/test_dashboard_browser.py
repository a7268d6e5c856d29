"""The Dashboard in headless Chromium: opened by a login link, it shows the figures and draws
its charts (inline SVG, no script needed); the screenshot is for a person to look at."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from bot.services.console_auth import issue_login
from tests.console.browser import shoot
from tests.console.conftest import EDITOR, Console
from tests.console.test_dashboard import seed

# What the browser shows is the database's either way: these run on SQLite, and the pages'
# queries run on PostgreSQL in the pages' own tests.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def test_the_dashboard_in_a_browser(console: Console, browser: Browser) -> None:
    await seed(console)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    token = await issue_login(console.db, EDITOR, "Priya")
    await page.goto(console.url + "/login/" + token)
    assert page.url == console.url + "/"
    assert await page.locator("#figure-readers").inner_text() == "4"
    assert await page.locator("#figure-sign-ups").inner_text() == "4"
    assert await page.locator("#figure-sent").inner_text() == "3"
    assert await page.locator("#figure-failed").inner_text() == "2"
    charts = page.locator("svg[role=img]")
    assert await charts.count() == 4
    for n in range(4):
        assert await charts.nth(n).is_visible()
        box = await charts.nth(n).bounding_box()
        assert box is not None
        assert box["width"] > 400
    await shoot(page, "dashboard")
    await page.get_by_role("link", name="90 days").click()
    assert page.url.endswith("/?period=90d")
    assert await page.locator("#figure-sign-ups").inner_text() == "6"
    await page.locator("#chart-readers summary").click()
    assert await page.locator("#chart-readers table").is_visible()
    await shoot(page, "dashboard-90d")
    await page.set_viewport_size({"width": 420, "height": 900})
    await shoot(page, "dashboard-narrow")
