"""A round-robin load balancer for tests: each POST goes to the next backend in turn, with its
body, content type and Telegram's secret-token header; the backend's answer comes back.

::

    async with RoundRobin(["http://127.0.0.1:8001", "http://127.0.0.1:8002"]) as balancer:
        url = balancer.url + "/tg"        # what WEBHOOK_URL names
        ...
        assert all(balancer.sent)         # how many POSTs each backend was given
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

__all__ = ["RoundRobin"]

#: The headers passed on to a backend (aiohttp sets Content-Length from the body).
FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobin:
    """An aiohttp server on ``127.0.0.1`` (a free port) forwarding POSTs to ``backends``
    alternately; ``sent[i]`` counts the POSTs given to ``backends[i]``, ``statuses[i]`` their
    answers (502 when the backend could not be reached)."""

    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = [b.rstrip("/") for b in backends]
        self.sent = [0] * len(self.backends)
        self.statuses: list[list[int]] = [[] for _ in self.backends]
        self._turn = itertools.cycle(range(len(self.backends)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index = next(self._turn)
        self.sent[index] += 1
        headers = {k: v for k in FORWARDED if (v := request.headers.get(k)) is not None}
        body = await request.read()
        try:
            async with self._session.post(
                self.backends[index] + request.path_qs, data=body, headers=headers
            ) as answer:
                status, content = answer.status, await answer.read()
        except aiohttp.ClientError:
            status, content = 502, b""
        self.statuses[index].append(status)
        return web.Response(status=status, body=content)
