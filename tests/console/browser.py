"""Headless Chromium for the console's browser tests: Debian's ``chromium`` driven by
Playwright (``executable_path``; Playwright never downloads a browser here).

On a machine without it the browser tests are skipped, saying why; with
``NEWSBOT_REQUIRE_BROWSER=1`` (``.ci/run`` sets it) they fail instead, so CI never skips them.
Each test's screenshots go to ``build/screenshots/`` (``NEWSBOT_SCREENSHOTS`` to change it),
for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM_NAMES = ("chromium", "chromium-browser")
SCREENSHOTS = Path(
    os.environ.get("NEWSBOT_SCREENSHOTS") or Path(__file__).parents[2] / "build" / "screenshots"
)
#: What Chromium needs here: no sandbox as root, and none of its calls home (this machine's
#: network refuses them, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """Where Debian's chromium is, if it is installed."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("NEWSBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"NEWSBOT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium, closed after the test."""
    path = chromium_path()
    if path is None:
        _unavailable("no chromium here: apt-get install chromium (Debian's package)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[dev]'")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def shoot(page: Page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``build/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, instantly
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


#: Every control a person can use, and whether it has an accessible name: a <label>, an
#: aria-label, or (a button, a link) its own text.
_UNLABELLED = """
() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href]')]
  .filter(e => !((e.labels && e.labels.length)
    || (e.getAttribute('aria-label') || '').trim()
    || (e.getAttribute('aria-labelledby') || '').trim()
    || ((e.tagName === 'BUTTON' || e.tagName === 'A') && e.textContent.trim())
    || (e.tagName === 'A' && e.querySelector('img[alt]'))))
  .map(e => e.outerHTML.slice(0, 120))
"""


async def unlabelled_controls(page: Page) -> list[str]:
    """The controls of ``page`` without an accessible name (none, on every console page)."""
    found: list[str] = await page.evaluate(_UNLABELLED)
    return found
