"""newsbot's rate limiter: PTB's ``AIORateLimiter`` where a flood wait pauses only its request.

Usage (``bot.app`` wires it)::

    ApplicationBuilder().rate_limiter(
        NewsbotRateLimiter(overall_max_rate=30, paid_max_rate=1000, max_retries=0)
    )
    await bot.send_message(chat_id, text, rate_limit_args=2)   # retries two flood waits itself

What it changes in ``AIORateLimiter`` (PTB 22), and why:

(a) A request with retries (``rate_limit_args`` or ``max_retries`` > 0) that gets ``RetryAfter``
    makes PTB clear one event for the whole bot, so *every* request waits out that flood wait,
    the outbox's included, although Telegram asked only that request (that chat, that lane) to
    wait. Here only the request that got it sleeps, outside the limiters, then tries again.
(b) When the retries are used up (at once with none), PTB logs ``_LOGGER.exception``: a
    traceback for each 429, although the caller gets the ``RetryAfter`` and handles it. Here
    that is one warning line when retries were asked for, and nothing when none were.
(c) The paid lane (``allow_paid_broadcast``) has a rate of its own, ``paid_max_rate`` per
    ``paid_time_period``, instead of PTB's fixed ``FloodLimit.PAID_MESSAGES_PER_SECOND``; 0
    leaves it unthrottled (Telegram's own limit then answers).
(d) A paid message to a group or channel still passes that group's limiter: paying lifts the
    bot's overall limit, not a chat's.

The overall limiter (requests with a ``chat_id``) and the group limiters are PTB's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import constants
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

__all__ = ["NewsbotRateLimiter"]

log = logging.getLogger(__name__)

Result = bool | JSONDict | list[JSONDict]
Callback = Callable[..., Coroutine[Any, Any, Result]]

#: Slept on top of Telegram's retry_after, as PTB does.
_MARGIN = 0.1


class NewsbotRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` with a flood wait pausing only its request, no tracebacks for 429s
    and a configurable paid lane (see the module docstring).

    Args beyond ``AIORateLimiter``'s (``overall_max_rate``, ``overall_time_period``,
    ``group_max_rate``, ``group_time_period``, ``max_retries``): ``paid_max_rate`` requests
    with ``allow_paid_broadcast`` per ``paid_time_period`` seconds (0: unthrottled).
    """

    __slots__ = ("_paid_limiter",)

    def __init__(
        self,
        overall_max_rate: float = constants.FloodLimit.MESSAGES_PER_SECOND,
        overall_time_period: float = 1,
        group_max_rate: float = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        group_time_period: float = 60,
        max_retries: int = 0,
        paid_max_rate: float = constants.FloodLimit.PAID_MESSAGES_PER_SECOND,
        paid_time_period: float = 1,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            overall_time_period=overall_time_period,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period,
            max_retries=max_retries,
        )
        if paid_max_rate < 0 or paid_time_period < 0:
            raise ValueError("paid_max_rate and paid_time_period must not be negative")
        self._paid_limiter: AsyncLimiter | None = (
            AsyncLimiter(max_rate=paid_max_rate, time_period=paid_time_period)
            if paid_max_rate and paid_time_period
            else None
        )

    async def _run_request(
        self,
        chat: bool,
        group: str | int | bool,
        allow_paid_broadcast: bool,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """One attempt through the limiters: the group's, then the overall or the paid lane's.

        Unlike PTB's, it waits for no bot-wide flood wait event: there is none.
        """
        group_context = (
            self._get_group_limiter(group)
            if group and self._group_max_rate
            else contextlib.nullcontext()
        )
        if allow_paid_broadcast:
            lane = self._paid_limiter or contextlib.nullcontext()
        else:
            lane = self._base_limiter if chat and self._base_limiter else contextlib.nullcontext()
        async with group_context, lane:
            return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Send through the limiters; on ``RetryAfter`` sleep this request alone and retry, up
        to ``rate_limit_args`` (default ``max_retries``) times, then raise it."""
        max_retries = rate_limit_args or self._max_retries
        chat_id = data.get("chat_id")
        chat = chat_id is not None
        with contextlib.suppress(ValueError, TypeError):  # an integer chat id given as a string
            chat_id = int(chat_id)  # type: ignore[arg-type]
        # A string chat id is a @username: only channels and supergroups have one.
        group: str | int | bool = False
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        paid = bool(data.get("allow_paid_broadcast", False))

        attempt = 0
        while True:
            try:
                return await self._run_request(
                    chat=chat,
                    group=group,
                    allow_paid_broadcast=paid,
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                wait = _seconds(exc)
                if attempt >= max_retries:
                    if max_retries:
                        log.warning(
                            "flood wait outlasted retries endpoint=%s chat_id=%s retries=%d "
                            "retry_after=%.0f",
                            endpoint,
                            chat_id,
                            max_retries,
                            wait,
                        )
                    raise
                attempt += 1
                log.info(
                    "flood wait endpoint=%s chat_id=%s retry_after=%.0f attempt=%d",
                    endpoint,
                    chat_id,
                    wait,
                    attempt,
                )
                await asyncio.sleep(wait + _MARGIN)


def _seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives it as an int or a timedelta."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
