"""NewsbotRateLimiter: a flood wait pauses only its request; no tracebacks; its own paid lane."""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.rate_limits import NewsbotRateLimiter

JSON = dict[str, Any]


class FakeApi:
    """The callback PTB hands the limiter: answers each call, or raises the RetryAfter queued
    for its chat; ``flooded`` is set when it raised one."""

    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.floods: dict[Any, list[int]] = {}
        self.flooded = asyncio.Event()

    async def __call__(self, chat_id: Any) -> JSON:
        self.calls.append(chat_id)
        queued = self.floods.get(chat_id)
        if queued:
            self.flooded.set()
            raise RetryAfter(dtm.timedelta(seconds=queued.pop(0)))
        return {"ok": chat_id}


async def send(
    limiter: NewsbotRateLimiter,
    api: FakeApi,
    chat_id: Any,
    *,
    retries: int | None = None,
    **data: Any,
) -> Any:
    return await limiter.process_request(
        callback=api,
        args=(chat_id,),
        kwargs={},
        endpoint="sendMessage",
        data={"chat_id": chat_id, **data},
        rate_limit_args=retries,
    )


async def finishes(coro: Any) -> Any:
    """``coro``'s result; a generous bound keeps a broken limiter from hanging the run."""
    return await asyncio.wait_for(coro, timeout=10)


class TestFloodWait:
    """A RetryAfter pauses the request that got it and no other."""

    async def test_flood_wait_does_not_delay_other_requests(self) -> None:
        """While one request sleeps out a long flood wait, another request goes through."""
        limiter = NewsbotRateLimiter(overall_max_rate=0, group_max_rate=0)
        api = FakeApi()
        api.floods[1] = [3600]
        waiting = asyncio.create_task(send(limiter, api, 1, retries=1))
        await api.flooded.wait()
        try:
            assert await finishes(send(limiter, api, 2)) == {"ok": 2}
            assert not waiting.done()
        finally:
            waiting.cancel()
        assert api.calls == [1, 2]

    async def test_retried_after_the_flood_wait(self) -> None:
        """A request with retries is sent again after its flood wait and answers."""
        limiter = NewsbotRateLimiter(overall_max_rate=0, group_max_rate=0)
        api = FakeApi()
        api.floods[1] = [0]
        assert await finishes(send(limiter, api, 1, retries=1)) == {"ok": 1}
        assert api.calls == [1, 1]

    async def test_no_retries_raises_without_a_log(self, caplog: pytest.LogCaptureFixture) -> None:
        """With no retries the RetryAfter goes to the caller and nothing is logged."""
        caplog.set_level(logging.DEBUG)
        limiter = NewsbotRateLimiter()
        api = FakeApi()
        api.floods[1] = [5]
        with pytest.raises(RetryAfter):
            await send(limiter, api, 1)
        assert [r for r in caplog.records if r.levelno >= logging.INFO] == []

    async def test_retries_used_up_log_one_line_without_traceback(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """When the retries are used up, one warning line is logged, with no traceback."""
        caplog.set_level(logging.DEBUG)
        limiter = NewsbotRateLimiter(overall_max_rate=0, group_max_rate=0)
        api = FakeApi()
        api.floods[1] = [0, 0]
        with pytest.raises(RetryAfter):
            await finishes(send(limiter, api, 1, retries=1))
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1
        assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)
        assert "retries=1" in warnings[0].getMessage()


class TestPaidLane:
    """allow_paid_broadcast takes the paid lane's limiter instead of the overall one."""

    async def test_paid_request_passes_a_spent_overall_limit(self) -> None:
        """With the overall limit spent, a paid message goes through and a free one waits."""
        limiter = NewsbotRateLimiter(overall_max_rate=1, overall_time_period=3600)
        api = FakeApi()
        await finishes(send(limiter, api, 1))
        free = asyncio.create_task(send(limiter, api, 2))
        try:
            assert await finishes(send(limiter, api, 3, allow_paid_broadcast=True)) == {"ok": 3}
            assert not free.done()
        finally:
            free.cancel()

    async def test_paid_rate_is_configurable(self) -> None:
        """paid_max_rate throttles paid messages only: a free one passes a spent paid lane."""
        limiter = NewsbotRateLimiter(paid_max_rate=1, paid_time_period=3600)
        api = FakeApi()
        await finishes(send(limiter, api, 1, allow_paid_broadcast=True))
        paid = asyncio.create_task(send(limiter, api, 2, allow_paid_broadcast=True))
        try:
            assert await finishes(send(limiter, api, 3)) == {"ok": 3}
            assert not paid.done()
        finally:
            paid.cancel()

    async def test_paid_message_still_passes_its_group_limiter(self) -> None:
        """Paying lifts the overall limit, not a group's: a second paid message to the same
        group waits, one to another group does not."""
        limiter = NewsbotRateLimiter(group_max_rate=1, group_time_period=3600)
        api = FakeApi()
        await finishes(send(limiter, api, -100, allow_paid_broadcast=True))
        same = asyncio.create_task(send(limiter, api, -100, allow_paid_broadcast=True))
        try:
            other = send(limiter, api, -200, allow_paid_broadcast=True)
            assert await finishes(other) == {"ok": -200}
            assert not same.done()
        finally:
            same.cancel()

    def test_negative_paid_rate_is_refused(self) -> None:
        """A negative paid rate is a ValueError."""
        with pytest.raises(ValueError, match="paid_max_rate"):
            NewsbotRateLimiter(paid_max_rate=-1)
