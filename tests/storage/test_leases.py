"""Process leases and the leader's lock, on SQLite and PostgreSQL: a lease ends the moment its
process dies (SIGKILL included), never while it runs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from collections.abc import Awaitable, Callable

from bot.storage.db import Database
from bot.storage.leases import Leader, ProcessLease

HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.storage.db import Database
    from bot.storage.leases import Leader, ProcessLease

    async def main() -> None:
        db = Database(sys.argv[1], connect_args=eval(sys.argv[2]))
        lease = await ProcessLease.acquire(db)
        leader = Leader(db)
        print(lease.token, await leader.try_acquire(), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(main())
    """
)


def _connect_args(db: Database) -> str:
    """The test database's connection arguments (a PostgreSQL test's schema), as code."""
    return repr(db.connect_args)


async def _until(check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0) -> bool:  # noqa: ASYNC109
    """Whether ``check()`` holds within ``timeout`` s. After a SIGKILL the kernel closes the
    process's socket at once, but PostgreSQL's backend takes a moment to see it and end,
    releasing its locks: there is no event to await in another server's process."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _holder(db: Database) -> tuple[asyncio.subprocess.Process, str, bool]:
    """Another process holding a lease (and, if it could, the lead): it, its token, its lead."""
    url = db.url.render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        url,
        _connect_args(db),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().split()
    return process, line[0], line[1] == "True"


class TestProcessLease:
    async def test_a_lease_lives_while_its_process_runs_and_ends_with_sigkill(
        self, db: Database
    ) -> None:
        mine = await ProcessLease.acquire(db)
        process, token, _ = await _holder(db)
        try:
            assert await mine.alive(token)
            assert await mine.alive(token)  # asking does not take it
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()

            async def dead() -> bool:
                return not await mine.alive(token)

            assert await _until(dead)
            assert await mine.alive(mine.token)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await mine.close()

    async def test_a_closed_lease_is_dead_and_its_connection_holds_no_lock(
        self, db: Database
    ) -> None:
        """Closing gives the connection back to the pool without its lock."""
        first, second = await ProcessLease.acquire(db), await ProcessLease.acquire(db)
        assert await second.alive(first.token)
        await first.close()
        assert not await second.alive(first.token)
        third = await ProcessLease.acquire(db)  # may reuse first's pooled connection
        assert not await third.alive(first.token)
        await second.close()
        await third.close()

    async def test_a_token_of_older_code_is_no_lease(self) -> None:
        assert not ProcessLease.is_lease("0123456789abcdef0123456789abcdef")
        assert not ProcessLease.is_lease(None)


class TestLeader:
    async def test_one_leads_and_the_next_takes_over_when_it_dies(self, db: Database) -> None:
        process, _, leads = await _holder(db)
        here = Leader(db)
        try:
            assert leads
            assert not await here.try_acquire()
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()
            assert await _until(here.try_acquire)
            assert await here.try_acquire()  # the holder keeps it
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await here.release()
