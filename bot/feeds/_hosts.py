"""At most a few requests at a time to one host, per Fetcher (politeness toward publishers).

A semaphore per host name, made when a request to the host starts and dropped when the last
one ends, so that a poller that meets a million hosts keeps only the busy ones::

    slots = HostSlots(per_host=2)
    async with slots.slot("Feeds.Example"):    # the same slot as "feeds.example"
        ...
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

__all__ = ["HostSlots"]


@dataclass
class _Host:
    """One busy host: its semaphore and how many requests hold or wait for it."""

    semaphore: asyncio.Semaphore
    users: int = field(default=0)


class HostSlots:
    """Lets at most ``per_host`` requests run at once to one (lower-cased) host."""

    def __init__(self, per_host: int) -> None:
        if per_host < 1:
            raise ValueError(f"per_host must be 1 or more, not {per_host}")
        self._per_host = per_host
        self._hosts: dict[str, _Host] = {}

    def __len__(self) -> int:
        """Return how many hosts have a request running or waiting."""
        return len(self._hosts)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Wait for one of ``host``'s slots and hold it for the ``async with`` block."""
        key = host.lower()
        entry = self._hosts.get(key)
        if entry is None:
            entry = self._hosts[key] = _Host(asyncio.Semaphore(self._per_host))
        entry.users += 1
        try:
            async with entry.semaphore:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._hosts[key]
