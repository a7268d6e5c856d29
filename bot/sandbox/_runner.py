"""``BackgroundServer``: one aiohttp ``Application`` served from its own thread and event loop.

The base of ``SandboxServer`` and ``FeedServer``. ``start()`` binds (port 0 picks a free one) and
returns once requests are accepted; ``stop()`` closes every connection and joins the thread; both
also work as ``with`` and ``async with``. A separate loop matters: PTB and the sandbox sharing
one loop slows PTB down to a crawl. aiohttp's access log is off, since request paths hold tokens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from types import TracebackType
from typing import Self

from aiohttp import web

__all__ = ["BackgroundServer"]

log = logging.getLogger(__name__)


class BackgroundServer:
    """Serves an aiohttp ``Application`` from its own thread and event loop.

    Subclasses implement ``build_app()`` and may override ``before_stop()`` (run in the server's
    loop, to release long-polling handlers). ``start()``/``stop()`` or ``with``/``async with``.
    """

    thread_name = "background-server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._requested_port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._errors: list[BaseException] = []  # a failed start, reported by start()

    @property
    def url(self) -> str:
        """``http://host:port`` with the port actually bound."""
        if self._thread is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        raise NotImplementedError

    def before_stop(self) -> None:
        """Called in the server's loop just before it stops serving."""

    def start(self) -> Self:
        """Bind, serve in a new thread, and return once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._ready.clear()
        self._errors.clear()
        thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread = thread
        thread.start()
        self._ready.wait()
        if self._errors:
            thread.join()
            self._thread = None
            raise RuntimeError(f"{type(self).__name__} failed to start") from self._errors[0]
        log.info("server_started server=%s url=%s", type(self).__name__, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(self._begin_stop, loop)
        thread.join()
        self._thread = None
        self._loop = None
        log.info("server_stopped server=%s", type(self).__name__)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _begin_stop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.before_stop()
        loop.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start() in the caller's thread
                self._errors.append(exc)
                return
            finally:
                self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._cleanup())
        finally:
            _close_loop(loop)

    async def _serve(self) -> None:
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
