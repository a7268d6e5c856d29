"""Serving the console with uvicorn inside the running event loop (the bot's own, or
``newsbot console``'s).

::

    server = ConsoleServer(app)
    await server.start("127.0.0.1", 8080)     # listening when this returns; port 0: any
    server.port                               # the port it got
    await server.stop()

The socket is bound and listening before :meth:`start` returns, so a taken port fails there,
as one :class:`ConfigError` naming CONSOLE_BIND, and the first request never races the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.errors import ConfigError

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handling: the process that serves the console
    (``newsbot run``, ``newsbot console``) handles SIGINT and SIGTERM itself and stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ConsoleServer:
    """One uvicorn server for one ASGI app, started and stopped in the caller's loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        assert self._socket is not None, "ConsoleServer.start() has not run"
        port: int = self._socket.getsockname()[1]
        return port

    async def start(self, host: str, port: int) -> None:
        """Listen on ``host``:``port`` and serve in a task of the running loop."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on accepted sockets of
        # that protocol, and with it on every answer on a kept-alive connection waits ~40 ms
        # for the browser's delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise ConfigError(
                "CONSOLE_BIND", f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            ) from None
        sock.setblocking(False)
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_config=None,  # newsbot's logging (redacted, one format) takes uvicorn's lines
            access_log=False,
            proxy_headers=True,  # https behind the publisher's reverse proxy on this machine
            server_header=False,
            timeout_keep_alive=5,
            limit_concurrency=256,
            h11_max_incomplete_event_size=16 * 1024,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="console")
        log.info("console listening address=%s:%s", host, self.port)

    async def stop(self) -> None:
        """Stop taking requests, let the running ones finish, close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                await self._task
            except Exception as exc:  # stopping: how the server ended is only logged
                log.warning("console stopped with an error error=%r", str(exc))
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = None
