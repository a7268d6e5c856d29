"""Updates handled concurrently, each chat's own in the order they came: a PTB update processor.

::

    ApplicationBuilder().concurrent_updates(PerChatUpdateProcessor(UPDATE_CONCURRENCY))

PTB handles one update at a time by default, so a reply waiting out a flood wait holds up
every other reader. :class:`PerChatUpdateProcessor` runs up to ``max_concurrent_updates``
updates at once, but never two of one chat: a chat's updates run one after another, in the
order the ``Application`` handed them over. The key is the update's chat, else its user (a
private chat's id is its user's id, so a reader is one key either way); an update with neither
(or an object that is not an :class:`~telegram.Update`) runs freely.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

#: How many updates newsbot handles at once (each chat's own still one after another): enough
#: that a few replies held up by the rate limiter keep nobody else waiting, and about the size
#: of SQLAlchemy's default connection pool (5 + 10 overflow), so handlers do not queue for it.
UPDATE_CONCURRENCY = 16


def chat_key(update: object) -> int | None:
    """Whose turn ``update`` waits for: its chat's id, else its user's; ``None`` for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


@dataclass(slots=True)
class _Queue:
    """One chat's updates in flight: the last one's ``done`` and how many are not done yet."""

    tail: asyncio.Future[None]
    pending: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` updates at once, one chat's one after another.

    Each chat's updates form a chain of futures: an update takes its place in the chain as soon
    as :meth:`process_update` is called, before any ``await``. ``Application`` starts one task
    per update, in the order they arrive, and asyncio runs new tasks in the order they were
    made, so the chain is in arrival order; no lock's wake-up order nor the semaphore's
    fairness is relied on. Only then does the update wait for the one before it in its chat,
    and only once that one is done does it take a slot of the semaphore.

    So waiting for one's turn holds no slot: that is why this class overrides
    :meth:`process_update` (which PTB marks ``@final``) rather than waiting in
    :meth:`do_process_update`, which PTB calls with the slot already held. There, ``N`` queued
    updates of one busy chat would take all ``N`` slots and starve every other chat; here at
    most one update per chat holds a slot, and the slots go to different chats.

    A chat's entry in the table lives while it has updates in flight and is removed when its
    last one is done, so the table is as big as the number of chats being served, not of all
    chats ever seen. An update cancelled while waiting for its turn lets the next one go only
    once the one before it is done, so cancelling never breaks the order; its coroutine is
    closed unawaited.
    """

    __slots__ = ("_queues",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[int, _Queue] = {}

    @property
    def chats_in_flight(self) -> int:
        """How many chats have an update running or waiting (the size of the per-chat table)."""
        return len(self._queues)

    async def process_update(  # type: ignore[misc]  # PTB's @final; see the class docstring
        self,
        update: object,
        coroutine: Awaitable[Any],
    ) -> None:
        """Wait for ``update``'s turn in its chat, then run ``coroutine`` in a free slot."""
        key = chat_key(update)
        if key is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        # Synchronous up to the first await: the place in the chain is the arrival order.
        previous, done = self._enter(key)
        started = False
        try:
            if previous is not None and not previous.done():
                # shield: a cancelled waiter must not cancel the future its successor relies on.
                await asyncio.shield(previous)
            async with self._semaphore:
                started = True
                await self.do_process_update(update, coroutine)
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled before its turn: never to run
            self._leave(key, previous, done)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update's handlers; its turn and its slot are already taken."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: the table empties itself as updates finish."""

    def _enter(self, key: int) -> tuple[asyncio.Future[None] | None, asyncio.Future[None]]:
        """Append an update to ``key``'s chain: the future of the one before it (``None`` if
        the chat was idle) and the new update's own, resolved once it is done."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        previous = None
        if queue is None:
            queue = self._queues[key] = _Queue(tail=done)
        else:
            previous = queue.tail
            queue.tail = done
        queue.pending += 1
        return previous, done

    def _leave(
        self, key: int, previous: asyncio.Future[None] | None, done: asyncio.Future[None]
    ) -> None:
        """Let ``key``'s next update go: now, or (when this one was cancelled before its turn)
        once the one before it is done."""
        if previous is None or previous.done():
            self._resolve(key, done)
        else:
            previous.add_done_callback(lambda _: self._resolve(key, done))

    def _resolve(self, key: int, done: asyncio.Future[None]) -> None:
        """One update of ``key`` done: wake the next and drop the chat's entry after its last."""
        done.set_result(None)
        queue = self._queues[key]
        queue.pending -= 1
        if queue.pending == 0:
            del self._queues[key]
