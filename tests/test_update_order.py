"""Answers never wait for each other: updates run concurrently, bounded, each chat's in order."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable
from typing import Any

import pytest
from telegram import Chat, InlineQuery, Message, Update, User
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, RequestData

from bot.update_order import PerChatUpdateProcessor, chat_key

TOKEN = "123:" + "a" * 35
DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
#: No test here needs more than a blink; a hang fails in this many seconds instead of never.
DEADLINE = 5

_next_id = iter(range(1, 1_000_000))


def message(chat_id: int, text: str = "hi") -> Update:
    """A reader's message in their private chat (user id == chat id), as Telegram sends it."""
    n = next(_next_id)
    user = User(chat_id, f"reader{chat_id}", is_bot=False)
    chat = Chat(chat_id, Chat.PRIVATE)
    return Update(n, message=Message(n, DATE, chat, from_user=user, text=text))


def inline_query(user_id: int) -> Update:
    """An update with a user and no chat."""
    n = next(_next_id)
    user = User(user_id, f"reader{user_id}", is_bot=False)
    return Update(n, inline_query=InlineQuery(str(n), user, "q", ""))


def keyless() -> Update:
    """An update with neither chat nor user."""
    return Update(next(_next_id))


async def spin(times: int = 20) -> None:
    """Let every ready task run a few steps (yields to the loop; no time passes)."""
    for _ in range(times):
        await asyncio.sleep(0)


class Recorder:
    """Handlers that note when they start and end, and can be held on an event."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.running = 0
        self.most_running = 0
        self.changed = asyncio.Condition()

    async def run(self, name: str, hold: asyncio.Event | None = None, fail: bool = False) -> None:
        self.started.append(name)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        async with self.changed:
            self.changed.notify_all()
        try:
            await asyncio.sleep(0)
            if hold is not None:
                await hold.wait()
            if fail:
                raise RuntimeError(f"{name} failed")
        finally:
            self.running -= 1
            self.finished.append(name)

    async def until_running(self, count: int) -> None:
        """Wait until ``count`` handlers run at once."""
        async with self.changed:
            await self.changed.wait_for(lambda: self.running == count)


def submit(
    processor: PerChatUpdateProcessor, update: object, coroutine: Awaitable[Any]
) -> asyncio.Task[None]:
    """Hand an update over the way ``Application`` does: one task each, in arrival order."""
    return asyncio.create_task(processor.process_update(update, coroutine))


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


def test_chat_key() -> None:
    assert chat_key(message(42)) == 42
    assert chat_key(inline_query(7)) == 7
    assert chat_key(keyless()) is None
    assert chat_key("not an update") is None


async def test_one_chats_updates_run_in_arrival_order_while_the_first_is_slow(
    rec: Recorder,
) -> None:
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        tasks = [submit(processor, message(1), rec.run("a1", hold))]
        tasks += [submit(processor, message(1), rec.run(f"a{i}")) for i in range(2, 6)]
        await spin()
        assert rec.started == ["a1"]  # the rest of the chat waits, free slots or not
        assert processor.chats_in_flight == 1
        hold.set()
        await asyncio.gather(*tasks)
    assert rec.started == ["a1", "a2", "a3", "a4", "a5"]
    assert rec.finished == rec.started
    assert rec.most_running == 1
    assert processor.chats_in_flight == 0


async def test_another_chat_is_answered_while_the_first_is_blocked(rec: Recorder) -> None:
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        blocked = submit(processor, message(1), rec.run("a1", hold))
        queued = submit(processor, message(1), rec.run("a2"))
        other = submit(processor, message(2), rec.run("b1"))
        await other
        assert rec.finished == ["b1"]
        assert not blocked.done()
        assert not queued.done()
        hold.set()
        await asyncio.gather(blocked, queued)
    assert rec.finished == ["b1", "a1", "a2"]
    assert processor.chats_in_flight == 0


async def test_at_most_the_bound_run_at_once(rec: Recorder) -> None:
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        tasks = [submit(processor, message(chat), rec.run(f"c{chat}", hold)) for chat in range(10)]
        await rec.until_running(4)
        await spin()
        assert rec.running == 4
        assert processor.current_concurrent_updates == 4
        assert processor.chats_in_flight == 10  # the six others wait for a slot
        hold.set()
        await asyncio.gather(*tasks)
    assert rec.most_running == 4
    assert sorted(rec.finished) == sorted(f"c{chat}" for chat in range(10))
    assert processor.current_concurrent_updates == 0
    assert processor.chats_in_flight == 0


async def test_a_long_queue_in_one_chat_does_not_starve_another(rec: Recorder) -> None:
    """Ten queued updates of one chat and a bound of two: the chat holds one slot, not both."""
    processor = PerChatUpdateProcessor(2)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        busy = [submit(processor, message(1), rec.run("a0", hold))]
        busy += [submit(processor, message(1), rec.run(f"a{i}")) for i in range(1, 10)]
        await spin()
        assert processor.current_concurrent_updates == 1  # waiting for a turn holds no slot
        other = submit(processor, message(2), rec.run("b"))
        await other
        assert rec.finished == ["b"]
        hold.set()
        await asyncio.gather(*busy)
    assert rec.finished == ["b"] + [f"a{i}" for i in range(10)]
    assert processor.chats_in_flight == 0


async def test_a_failing_handler_does_not_block_its_chats_next_update(rec: Recorder) -> None:
    processor = PerChatUpdateProcessor(4)
    async with asyncio.timeout(DEADLINE):
        failing = submit(processor, message(1), rec.run("a1", fail=True))
        following = submit(processor, message(1), rec.run("a2"))
        results = await asyncio.gather(failing, following, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert results[1] is None
    assert rec.finished == ["a1", "a2"]
    assert processor.chats_in_flight == 0
    assert processor.current_concurrent_updates == 0


async def test_no_entry_is_left_behind_after_many_chats(rec: Recorder) -> None:
    processor = PerChatUpdateProcessor(8)
    async with asyncio.timeout(DEADLINE):
        tasks = [submit(processor, message(n % 500), rec.run(f"{n}")) for n in range(2000)]
        await asyncio.sleep(0)  # every update has taken its place; none has finished
        assert processor.chats_in_flight == 500  # one entry per chat, not per update
        await asyncio.gather(*tasks)
    assert len(rec.finished) == 2000
    assert processor.chats_in_flight == 0
    assert processor._queues == {}


async def test_each_chats_order_holds_under_contention() -> None:
    """Many chats, a small bound, handlers of uneven length: every chat's updates still finish
    in the order they came, and never two of one chat at once."""
    processor = PerChatUpdateProcessor(3)
    log: dict[int, list[int]] = {}
    running: set[int] = set()

    async def handle(chat: int, seq: int) -> None:
        assert chat not in running
        running.add(chat)
        for _ in range((chat * 7 + seq * 13) % 5):
            await asyncio.sleep(0)
        log.setdefault(chat, []).append(seq)
        running.discard(chat)

    async with asyncio.timeout(DEADLINE):
        tasks = []
        for seq in range(30):
            for chat in range(seq % 4, 12, 2):
                tasks.append(submit(processor, message(chat), handle(chat, seq)))
        await asyncio.gather(*tasks)
    assert log
    for seqs in log.values():
        assert seqs == sorted(seqs)
    assert processor.chats_in_flight == 0


async def test_a_user_without_a_chat_shares_the_readers_turn(rec: Recorder) -> None:
    """An inline query (no chat) is keyed by its user, whose private chat has the same id."""
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        first = submit(processor, message(7), rec.run("message", hold))
        second = submit(processor, inline_query(7), rec.run("inline"))
        await spin()
        assert rec.started == ["message"]
        hold.set()
        await asyncio.gather(first, second)
    assert rec.finished == ["message", "inline"]


async def test_updates_without_chat_or_user_run_freely(rec: Recorder) -> None:
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        tasks = [submit(processor, keyless(), rec.run(f"k{i}", hold)) for i in range(3)]
        tasks.append(submit(processor, "not an update", rec.run("other", hold)))
        await rec.until_running(4)
        assert processor.chats_in_flight == 0
        hold.set()
        await asyncio.gather(*tasks)
    assert rec.most_running == 4


async def test_a_cancelled_waiter_keeps_its_chats_order(rec: Recorder) -> None:
    """Cancelled while waiting for its turn: it never runs, and the update after it still
    waits for the one before it."""
    processor = PerChatUpdateProcessor(4)
    hold = asyncio.Event()
    async with asyncio.timeout(DEADLINE):
        first = submit(processor, message(1), rec.run("a1", hold))
        second = submit(processor, message(1), rec.run("a2"))
        third = submit(processor, message(1), rec.run("a3"))
        await spin()
        second.cancel()
        await spin()
        assert second.cancelled()
        assert rec.started == ["a1"]  # a3 did not overtake a1
        assert processor.chats_in_flight == 1
        hold.set()
        await asyncio.gather(first, third)
    assert rec.finished == ["a1", "a3"]
    assert processor.chats_in_flight == 0


class GetMeOnly(BaseRequest):
    """A Bot API that knows ``getMe`` and nothing else: enough for ``Application.initialize``."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        assert url.endswith("/getMe"), url
        me = {"id": 123, "is_bot": True, "first_name": "newsbot", "username": "newsbot_bot"}
        return 200, json.dumps({"ok": True, "result": me}).encode()


async def test_a_real_application_answers_another_chat_while_one_is_blocked() -> None:
    """Through PTB's own update queue and handlers, with the processor wired in."""
    processor = PerChatUpdateProcessor(4)
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(GetMeOnly())
        .get_updates_request(GetMeOnly())
        .concurrent_updates(processor)
        .updater(None)
        .build()
    )
    hold = asyncio.Event()
    answered: list[tuple[int, str]] = []
    other_chat_answered = asyncio.Event()

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        assert update.effective_message is not None
        text = update.effective_message.text or ""
        if text == "slow":
            await hold.wait()
        answered.append((update.effective_chat.id, text))
        if text == "b2":
            other_chat_answered.set()

    application.add_handler(MessageHandler(filters.TEXT, reply))
    async with asyncio.timeout(DEADLINE), application:
        await application.start()
        try:
            for update in [
                message(1, "slow"),
                message(1, "a2"),
                message(2, "b1"),
                message(1, "a3"),
                message(2, "b2"),
            ]:
                await application.update_queue.put(update)
            await other_chat_answered.wait()
            await spin()
            assert answered == [(2, "b1"), (2, "b2")]
            assert processor.chats_in_flight == 1
            hold.set()
            await application.update_queue.join()
        finally:
            hold.set()
            await application.stop()
    assert answered[2:] == [(1, "slow"), (1, "a2"), (1, "a3")]
    assert processor.chats_in_flight == 0
