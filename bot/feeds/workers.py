"""Parsing off the event loop: in a pool of processes sized to the cores, or a thread.

feedparser is pure Python and CPU-bound; in threads, every feed shares one GIL with the event
loop, so a cycle with many changed feeds is limited by one core and readers wait for answers.
A process pool parses on every core::

    parser = ParserPool(workers=os.cpu_count() or 1)   # workers=0: a worker thread
    parsed = await parser.parse(content, url=url, content_type=content_type)
    await parser.aclose()

Pages go the same way (``await parser.call(PageParseError, url, page_draft, …)``): lexbor
and libxml2 are linear on what made ``html.parser`` quadratic, but not on a tag with tens of
thousands of attributes, and they hold the GIL while they parse.

Every parse is bounded: it must finish within ``timeout`` seconds (else the pool is replaced,
so a stuck worker cannot hold a core) and, in a process, within :data:`WORKER_MEMORY` bytes of
address space. Each failure is a :class:`~bot.errors.FeedParseError` with one clear line.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final, Self, TypeVar

from bot.errors import ErrorKind, FeedParseError, ParseError
from bot.feeds.parse import ParsedFeed, parse_feed

__all__ = ["WORKER_MEMORY", "ParserPool", "default_workers"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The most address space a parsing process may take: the body it gets is at most 5 MB, and
#: a 5 MB feed peaks at about 110 MB of address space.
WORKER_MEMORY: Final = 768 * 1024 * 1024

#: How long a new parsing process may take to start (importing the parser); on a busy machine
#: that is seconds, and it is not charged to the parse that waits for it.
STARTUP_TIMEOUT: Final = 120.0


def default_workers() -> int:
    """One parsing process per core this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


def _init_worker() -> None:
    """Bound a parsing process's memory, so that a hostile feed fails instead of swapping."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):  # not on this platform: the time bound stays
        pass


class ParserPool:
    """Runs parses of hostile bytes (:func:`bot.feeds.parse.parse_feed`, page reads) in worker
    processes, or a thread."""

    def __init__(self, *, workers: int = 0, timeout: float = 30.0) -> None:
        if workers < 0:
            raise ValueError(f"workers must be 0 or more, not {workers}")
        self.workers = workers
        self.timeout = timeout
        self._pool: ProcessPoolExecutor | None = None
        self._started: ProcessPoolExecutor | None = None  # the pool whose process is up
        self._turns = asyncio.Semaphore(max(workers, 1))

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: a fork of this (threaded) process could inherit a held lock.
            context = multiprocessing.get_context("forkserver")
            # The server imports the parser once. Each worker still imports the caller's
            # __main__ (as __mp_main__): a script that runs newsbot needs the usual
            # ``if __name__ == "__main__":`` guard, as python -m bot and newsbot have.
            context.set_forkserver_preload(["bot.feeds.parse"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context, initializer=_init_worker
            )
        return self._pool

    async def parse(self, content: bytes, *, url: str, content_type: str | None) -> ParsedFeed:
        """The feed in ``content``; raises FeedParseError, whatever the bytes do to the parser."""
        return await self.call(FeedParseError, url, _parse, content, url, content_type)

    async def call(
        self,
        error: type[ParseError],
        source: str,
        func: Callable[..., _T],
        *args: Any,
    ) -> _T:
        """``func(*args)`` (a pure, top-level function over hostile bytes) in a worker process,
        or a thread with no workers; its own errors are raised as they are, and running out of
        time or memory, or crashing the process, is an ``error`` about ``source``.

        At most ``workers`` calls are in the pool at once and each one's time starts when it
        does, so a slow parse costs only its own; a call whose process was stopped because of
        another (a timeout, a crash) is tried once more in a new pool.
        """
        if not self.workers:
            try:
                return await asyncio.wait_for(asyncio.to_thread(func, *args), self.timeout)
            except TimeoutError:  # the thread runs on: only a process can be stopped
                raise error(source, self._too_long(), kind=ErrorKind.UNPARSEABLE) from None
        crashed = "the parser crashed (the document is too large or hostile)"
        for attempt in (1, 2):
            async with self._turns:
                pool = self._executor()
                try:
                    await self._start(pool)
                    if pool is not self._pool:  # stopped meanwhile for another call's sake
                        raise BrokenProcessPool("the pool was replaced")
                    submitted = pool.submit(func, *args)
                    return await asyncio.wait_for(asyncio.wrap_future(submitted), self.timeout)
                except TimeoutError:
                    self._discard(pool, "a parse ran out of time")
                    raise error(source, self._too_long(), kind=ErrorKind.UNPARSEABLE) from None
                except BrokenProcessPool:
                    self._discard(pool, "a parsing process died")
                except asyncio.CancelledError:
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():  # the caller was cancelled
                        raise
                    # Not ours: the pool was stopped under this call for another one's sake.
                except MemoryError:
                    raise error(
                        source, "parsing it needs too much memory", kind=ErrorKind.UNPARSEABLE
                    ) from None
            log.warning("parse retried source=%s attempt=%d", source, attempt)
        raise error(source, crashed, kind=ErrorKind.UNPARSEABLE)

    async def _start(self, pool: ProcessPoolExecutor) -> None:
        """Wait for ``pool``'s first process to be up, so a parse's time starts with the parse
        and not with a process importing the parser."""
        if self._started is pool:
            return
        try:
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(_ready)), STARTUP_TIMEOUT)
        except TimeoutError:
            raise BrokenProcessPool("a parsing process did not start") from None
        self._started = pool

    def _too_long(self) -> str:
        return f"parsing took longer than {self.timeout:g} s"

    def _discard(self, pool: ProcessPoolExecutor, why: str) -> None:
        """Stop ``pool``'s processes (a stuck one included) if it is still the current pool;
        the next call starts a new one."""
        if self._pool is not pool:
            return
        self._pool = None
        log.warning("parser pool replaced reason=%r", why)
        _stop(pool)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the worker processes at once (a parse still running is of no use now)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(_stop, pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill ``pool``'s processes and let it go."""
    # ProcessPoolExecutor cannot cancel a running call; its processes are killed instead
    # (a private attribute, as the standard library offers no other way).
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.kill()
    for process in workers:
        process.join(timeout=5)


def _ready() -> None:
    """Nothing: run once in a new pool, it returns when a process is up."""


def _parse(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    """parse_feed with positional arguments, for the executor."""
    return parse_feed(content, url=url, content_type=content_type)
