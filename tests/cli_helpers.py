"""Long-running ``newsbot`` processes for tests: started with only the settings given, their
log in a file the test can wait on.

::

    bot = await NewsbotProcess.start("run", cwd=tmp_path, log=tmp_path / "a.log", **settings)
    await bot.wait_for_log("newsbot started", timeout=30)
    bot.kill()                      # SIGKILL, as a crash or the OOM killer would
    await bot.terminate()           # SIGTERM, then the exit code

    with SandboxProcess(channels=("news",)) as api_url:   # survives the bots' SIGKILLs
        ...
    async with fresh_postgres_database(server_url, "newsbot_x") as url:  # dropped afterwards
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import Database

#: How often :meth:`NewsbotProcess.wait_for_log` looks at the log file.
LOG_POLL = 0.05


def newsbot_env(**settings: str) -> dict[str, str]:
    """This environment without any ``TELEGRAM_*``/``DATABASE_*`` setting, plus ``settings``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    return clean | settings


class NewsbotProcess:
    """``python -m bot ARGS`` running in the background, stdout and stderr into ``log``."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path, output: IO[bytes]) -> None:
        self.process = process
        self.log = log
        self._output = output

    @classmethod
    async def start(cls, *args: str, cwd: Path, log: Path, **settings: str) -> Self:
        output = log.open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=cwd,
            env=newsbot_env(**settings),
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )
        return cls(process, log, output)

    def text(self) -> str:
        """What the process logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, fragment: str, *, timeout: float) -> str:  # noqa: ASYNC109
        """The first log line holding ``fragment``; fails once ``timeout`` s passed or the
        process exited without it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.text().splitlines():
                if fragment in line:
                    return line
            if self.process.returncode is not None:
                raise AssertionError(
                    f"newsbot exited ({self.process.returncode}) without logging {fragment!r}:\n"
                    + self.text()[-3000:]
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {fragment!r} in newsbot's log after {timeout} s:\n" + self.text()[-3000:]
                )
            await asyncio.sleep(LOG_POLL)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine or the OOM killer ends it."""
        if self.process.returncode is None:
            self.process.kill()

    async def terminate(self, *, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        """SIGTERM (a clean stop), then wait for the exit code."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        finally:
            self._output.close()

    async def aclose(self) -> None:
        """Make sure the process is gone (a test that failed halfway)."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()
        self._output.close()


class SandboxProcess:
    """``python -m bot.sandbox`` in a process of its own (it outlives the newsbot processes a
    test kills, and PTB and the sandbox in one event loop slow each other down); entering it
    gives its URL."""

    def __init__(
        self,
        *,
        channels: Iterable[str] = ("news",),
        bot_username: str = "newsbot_sandbox_bot",
        limits: bool = True,
    ) -> None:
        self.args = ["--port", "0", "--log-level", "WARNING", "--bot-username", bot_username]
        if not limits:  # benchmarks: Telegram's rate limits off
            self.args.append("--no-limits")
        for channel in channels:
            self.args += ["--channel", channel]
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bot.sandbox", *self.args], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("TELEGRAM_API_URL="):
                return line.split("=", 1)[1].strip()
        self.__exit__(None, None, None)
        raise RuntimeError("the sandbox did not start")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()


@contextlib.asynccontextmanager
async def fresh_postgres_database(
    server_url: str, prefix: str, *, migrated: bool = True
) -> AsyncIterator[str]:
    """The URL of a PostgreSQL database of its own on ``server_url``'s server, migrated,
    dropped afterwards. A database rather than a schema: a process is given only a URL, and
    advisory locks (process leases, the leader) are per database."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        if migrated:
            database = Database(url)
            try:
                await database.migrate()
            finally:
                await database.dispose()
        try:
            yield url
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
