"""What every end-to-end test shares: a control client for the module's ``sandbox`` (each module
starts its own, with the bot name and channels its story needs)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox import SandboxClient, SandboxServer


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    """The sandbox's control API: send as readers, read what the bot sent."""
    async with SandboxClient(sandbox.url) as client:
        yield client
