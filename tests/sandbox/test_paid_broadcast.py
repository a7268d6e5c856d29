"""The sandbox's paid lane: allow_paid_broadcast counts against its own overall bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.sandbox import Limits, SandboxClient, SandboxServer
from bot.sandbox._limits import RateLimiter

TOKEN = "123456:TEST-paid_token"
READERS = range(1, 101)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(channels=("news",)) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as control:
        await control.reset()
        # No refill during a test: the 30 of the free lane's burst are all there is.
        await control.limits(enabled=True, overall_per_second=0.001)
        for reader in READERS:
            await control.send(reader, "/start")
        yield control


@pytest.fixture
async def bot(sandbox: SandboxServer, client: SandboxClient) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{sandbox.url}/bot") as tg_bot:
        yield tg_bot


async def test_paid_messages_pass_the_overall_limit(bot: Bot, client: SandboxClient) -> None:
    """100 paid messages to 100 readers all succeed, and are recorded as paid."""
    for reader in READERS:
        await bot.send_message(reader, "paid", allow_paid_broadcast=True)
    assert not [r for r in await client.requests("sendMessage") if r["status"] != 200]
    [stored] = await client.bot_messages(100, wait_for=1)
    assert stored["options"]["allow_paid_broadcast"] is True


async def test_free_messages_stop_at_thirty(bot: Bot, client: SandboxClient) -> None:
    """Without allow_paid_broadcast the 31st message is answered 429; a paid one still passes."""
    for reader in range(1, 31):
        await bot.send_message(reader, "free")
    with pytest.raises(RetryAfter):
        await bot.send_message(31, "free")
    await bot.send_message(31, "paid", allow_paid_broadcast=True)
    [stored] = await client.bot_messages(31, wait_for=1)
    assert stored["options"]["allow_paid_broadcast"] is True


async def test_paid_messages_keep_the_chat_limit(bot: Bot) -> None:
    """A reader's chat takes its burst of 3 paid messages, then 429."""
    for n in range(3):
        await bot.send_message(7, f"paid {n}", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "paid 3", allow_paid_broadcast=True)


async def test_paid_lane_limits_are_settable(bot: Bot, client: SandboxClient) -> None:
    """paid_per_second and paid_burst are set through the control API and enforced."""
    limits = await client.limits(paid_per_second=0.001, paid_burst=5)
    assert (limits["paid_per_second"], limits["paid_burst"]) == (0.001, 5)
    for reader in range(1, 6):
        await bot.send_message(reader, "paid", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(6, "paid", allow_paid_broadcast=True)
    await bot.send_message(6, "free")


class TestRateLimiter:
    """RateLimiter's paid lane, on a clock the test moves."""

    def test_paid_bucket_refills_at_its_own_rate(self) -> None:
        """The paid bucket is spent and refilled apart from the free one."""
        now = [0.0]
        rates = RateLimiter(
            Limits(overall_burst=1, paid_per_second=2, paid_burst=2, private_burst=100),
            clock=lambda: now[0],
        )
        rates.take(1, private=True)
        rates.take(2, private=True, paid=True)
        rates.take(3, private=True, paid=True)
        with pytest.raises(Exception, match="Too Many Requests"):
            rates.take(4, private=True, paid=True)
        with pytest.raises(Exception, match="Too Many Requests"):
            rates.take(4, private=True)
        now[0] = 0.5  # one paid token back, no free one yet (30 a second: one back too)
        rates.take(4, private=True, paid=True)
