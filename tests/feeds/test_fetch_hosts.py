"""Tests for bot.feeds._hosts: at most a few requests at a time to one host."""

from __future__ import annotations

import asyncio

import pytest

from bot.feeds._hosts import HostSlots


class TestHostSlots:
    """HostSlots keeps a semaphore per busy host and forgets idle ones."""

    async def test_third_request_to_a_host_waits(self) -> None:
        """With two slots per host, a third holder waits until one is freed; the case of the
        host name does not matter, and another host does not wait."""
        slots = HostSlots(per_host=2)
        release, three_in = asyncio.Event(), asyncio.Event()
        entered: list[str] = []

        async def hold(host: str) -> None:
            """Take a slot for ``host`` and keep it until released."""
            async with slots.slot(host):
                entered.append(host)
                if len(entered) == 3:
                    three_in.set()
                await release.wait()

        tasks = [
            asyncio.create_task(hold(host))
            for host in ["feeds.example", "FEEDS.example", "feeds.example", "other.example"]
        ]
        await three_in.wait()
        for _ in range(10):  # let the loop run: the waiting holder must still not enter
            await asyncio.sleep(0)
        assert sorted(entered) == ["FEEDS.example", "feeds.example", "other.example"]
        assert len(slots) == 2
        release.set()
        await asyncio.gather(*tasks)
        assert len(entered) == 4

    async def test_idle_hosts_are_forgotten(self) -> None:
        """After every holder of a host has left, the host has no entry."""
        slots = HostSlots(per_host=2)
        async with slots.slot("a.example"), slots.slot("b.example"):
            assert len(slots) == 2
        assert len(slots) == 0

    async def test_a_failing_holder_frees_its_slot(self) -> None:
        """A holder that raises frees its slot and its host's entry."""
        slots = HostSlots(per_host=1)
        with pytest.raises(RuntimeError):
            async with slots.slot("a.example"):
                raise RuntimeError("boom")
        assert len(slots) == 0
        async with slots.slot("a.example"):
            pass

    def test_per_host_must_be_positive(self) -> None:
        """Zero slots per host is a ValueError."""
        with pytest.raises(ValueError, match="per_host"):
            HostSlots(per_host=0)
