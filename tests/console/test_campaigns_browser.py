"""The Campaigns pages in headless Chromium: a marketer makes a campaign from the list, sees its
page, and downloads its code through the download form; the file decodes to the deep link."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from bot.services.console_auth import issue_login
from bot.storage.models import Campaign, Subscriber, utcnow
from tests.console.browser import shoot
from tests.console.conftest import EDITOR, Console
from tests.test_qr import decode

# What the browser shows is the database's either way: these run on SQLite, and the pages'
# queries run on PostgreSQL in the pages' own tests.
pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)

if TYPE_CHECKING:
    from playwright.async_api import Browser


async def seed(console: Console) -> None:
    """A campaign made before, and a payload readers brought, so that the list has rows."""
    now = utcnow()
    async with console.db.writing() as session:
        session.add(
            Campaign(name="bus-stops", label="Bus stops", created_at=now - timedelta(days=20))
        )
        session.add_all(
            Subscriber(
                chat_id=n,
                campaign="bus-stops" if n % 3 else "word-of-mouth",
                started_at=now - timedelta(days=n),
                subscribed=n % 4 != 0,
                active=True,
            )
            for n in range(1, 40)
        )


async def test_a_campaign_is_made_and_its_code_downloaded(
    console: Console, browser: Browser, tmp_path: Path
) -> None:
    """Create a campaign by the form's labels (a taken name is refused first), land on its
    page, download its PNG through the download form, and read the code back to the
    campaign's deep link."""
    await seed(console)
    page = await browser.new_page(accept_downloads=True)
    token = await issue_login(console.db, EDITOR, "Priya")
    await page.goto(console.url + "/login/" + token)
    await page.goto(console.url + "/campaigns")
    assert await page.get_by_role("heading", name="Campaigns", exact=True).is_visible()
    await shoot(page, "campaigns")
    await page.get_by_label("Name").fill("bus-stops")
    await page.get_by_role("button", name="Create the campaign").click()
    taken = page.get_by_text("There is a campaign named bus-stops already.")
    await taken.wait_for()
    assert await page.get_by_label("Name").get_attribute("aria-invalid") == "true"
    await shoot(page, "campaigns-taken")

    await page.get_by_label("Name").fill("metro-posters")
    await page.get_by_label("Label (optional)").fill("Scan for the morning news")

    await page.get_by_role("button", name="Create the campaign").click()
    await page.wait_for_url(console.url + "/campaigns/metro-posters?done=created")
    link = "https://t.me/console_test_bot?start=metro-posters"
    assert await page.get_by_role("link", name=link).is_visible()
    preview = page.locator("img.qr-preview")
    await preview.wait_for()
    assert await preview.evaluate("img => img.complete && img.naturalWidth > 0")
    await shoot(page, "campaign")

    await page.get_by_label("Size in mm").fill("60")
    await page.get_by_label("Format").select_option("png")
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download the code").click()
    download = await info.value
    assert download.suggested_filename == "qr-metro-posters-60mm.png"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    with Image.open(saved) as image:
        assert image.width == round(60 / 25.4 * 300)
        assert decode(image) == [link]

    await page.goto(console.url + "/campaigns/bus-stops")
    assert await page.get_by_role("cell", name="26", exact=True).first.is_visible()
    await shoot(page, "campaign-with-readers")
    await page.close()
