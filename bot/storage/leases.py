"""Which processes sharing the database are alive, and which one leads.

A process that claims outbox rows holds a :class:`ProcessLease` for as long as it runs; the rows
carry its :attr:`~ProcessLease.token`. Another process asks :meth:`ProcessLease.alive` before it
takes back rows a process left ``sending``: the lease ends the moment its process dies, SIGKILL
included, so recovery needs no timeout and never takes rows from a process that is only slow.

* PostgreSQL: a session-level advisory lock, held on a connection of its own; the server drops
  it when the connection closes, which the kernel does when the process dies.
* SQLite (one machine by nature): an ``flock`` on a file next to the database, which the kernel
  drops with the process. An in-memory database has one process: every other token is dead.

:class:`Leader` is the same lock on a fixed key, taken by at most one process at a time (the one
that long-polls Telegram's ``getUpdates``: two pollers would get 409 Conflict).

A library has no such lease for SQLAlchemy (``pg_advisory_lock`` is PostgreSQL's own), hence this.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import secrets
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import Database

__all__ = ["Leader", "ProcessLease"]

log = logging.getLogger(__name__)

#: The first key of newsbot's process leases ("news"), so they meet no other application's;
#: the second is random.
NAMESPACE = 0x6E657773
#: The first key of leaders' locks ("lead"); the second is the schema's hash, so that two
#: newsbots in two schemas of one database (or two tests at once) lead each their own.
LEADER_NAMESPACE = 0x6C656164
_PG_PREFIX = "pg:"
_FILE_PREFIX = "fl:"


def _lock_dir(db: Database) -> Path | None:
    """Where an SQLite database's lock files live (None: in memory)."""
    name = db.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    folder = Path(f"{Path(name).expanduser()}.leases")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _AdvisoryLock:
    """A PostgreSQL advisory lock ``(namespace, key)`` on a connection of its own."""

    def __init__(self, db: Database, key: int, namespace: int = NAMESPACE) -> None:
        self._db = db
        self.key = key
        self.namespace = namespace
        self._connection: AsyncConnection | None = None
        self._guard = asyncio.Lock()  # one statement at a time on the connection
        #: whether the connection holds ``(namespace, key)`` (a new connection does not).
        self._holds_key = False

    async def _connect(self) -> AsyncConnection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = await self._db.engine.connect()
            self._holds_key = False
        return self._connection

    async def _scalar(self, sql: str, **params: int) -> object:
        async with self._guard:
            connection = await self._connect()
            try:
                value = (await connection.execute(text(sql), params)).scalar()
                await connection.commit()  # session-level locks outlive the transaction
            except BaseException:
                await self._drop()
                self._holds_key = False
                raise
            return value

    async def try_lock(self, key: int | None = None) -> bool:
        value = await self._scalar(
            "SELECT pg_try_advisory_lock(:ns, :key)",
            ns=self.namespace,
            key=self.key if key is None else key,
        )
        if value and (key is None or key == self.key):
            self._holds_key = True
        return bool(value)

    async def hold(self) -> bool:
        """Whether the connection holds ``(namespace, key)``, asking the server (one round
        trip); a connection lost is replaced and the lock taken again if it is free."""
        if self._holds_key:
            try:
                await self._scalar("SELECT 1")  # a session lock lives as long as its session
            except Exception as exc:  # lost (dropped by _scalar): take it again below
                log.warning("lease connection lost key=%s error=%r", self.key, exc)
            if self._holds_key:  # still the same connection
                return True
        return await self.try_lock()

    async def unlock(self, key: int) -> None:
        await self._scalar("SELECT pg_advisory_unlock(:ns, :key)", ns=self.namespace, key=key)

    async def schema_key(self) -> int:
        """The hash of the connection's schema (``search_path``'s first)."""
        value = await self._scalar("SELECT hashtext(current_schema())")
        assert isinstance(value, int)
        return value

    async def _drop(self) -> None:
        """Forget a connection that failed: closed for good, so its locks go with it."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.invalidate()
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None

    async def close(self) -> None:
        """Release every lock this connection holds; the connection goes back to the pool
        (closed instead if the release fails: a pooled connection must hold no lock)."""
        async with self._guard:
            connection, self._connection = self._connection, None
            self._holds_key = False
            if connection is None or connection.closed:
                return
            try:
                await connection.execute(text("SELECT pg_advisory_unlock_all()"))
                await connection.commit()
            except Exception:
                with contextlib.suppress(Exception):
                    await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()


class _FileLock:
    """An exclusive ``flock`` on ``path``, dropped by the kernel when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def try_lock(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def close(self, *, remove: bool = False) -> None:
        if self._file is not None:
            if remove:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            self._file.close()  # closing drops the lock
            self._file = None

    @staticmethod
    def held(path: Path) -> bool:
        """Whether a live process holds ``path``'s lock (a missing file: no)."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            # Its process is gone: the file is ours to remove (we hold its lock now).
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return False


class ProcessLease:
    """This process's proof of life to the others sharing the database.

    ::

        lease = await ProcessLease.acquire(db)
        rows carry lease.token
        if not await lease.alive(other_token): take back other_token's rows
        await lease.close()
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._advisory: _AdvisoryLock | None = None
        self._file: _FileLock | None = None
        self._folder: Path | None = None
        self.token = ""

    @classmethod
    async def acquire(cls, db: Database) -> ProcessLease:
        lease = cls(db)
        await lease._acquire()
        return lease

    async def _acquire(self) -> None:
        if self._db.dialect == "postgresql":
            self._advisory = _AdvisoryLock(self._db, 0)
            for _ in range(16):  # random keys: a taken one is another live process's
                key = secrets.randbelow(2**31 - 1 - 1024) + 1024
                if await self._advisory.try_lock(key):
                    self._advisory.key = key
                    self.token = f"{_PG_PREFIX}{key}"
                    return
            raise RuntimeError("no free advisory lock key for the process lease")
        self._folder = _lock_dir(self._db)
        name = f"{_FILE_PREFIX}{secrets.token_hex(8)}"
        if self._folder is not None:
            self._file = _FileLock(self._folder / f"{name}.lock")
            if not self._file.try_lock():  # pragma: no cover - 64 random bits collided
                raise RuntimeError("the process lease's file is locked by another process")
        self.token = name

    @staticmethod
    def is_lease(token: str | None) -> bool:
        """Whether ``token`` is a lease's (older claims were random ids)."""
        return bool(token) and (
            str(token).startswith(_PG_PREFIX) or str(token).startswith(_FILE_PREFIX)
        )

    async def alive(self, token: str) -> bool:
        """Whether the process holding ``token``'s lease still runs (this one's: yes)."""
        if token == self.token:
            return True
        if token.startswith(_PG_PREFIX) and self._advisory is not None:
            key = int(token.removeprefix(_PG_PREFIX))
            if not await self._advisory.try_lock(key):
                return True
            await self._advisory.unlock(key)  # it was free: its process is gone
            return False
        if token.startswith(_FILE_PREFIX):
            if self._folder is None:
                return False  # an in-memory database has no other process
            return await asyncio.to_thread(_FileLock.held, self._folder / f"{token}.lock")
        return False

    async def renew(self) -> bool:
        """Whether this process still holds its lease, taken again if its connection was lost
        (PostgreSQL restarted, the connection dropped): False if another process took it
        meanwhile. One round trip on PostgreSQL; an ``flock`` lives with its process."""
        if self._advisory is not None:
            return await self._advisory.hold()
        return True

    async def close(self) -> None:
        if self._advisory is not None:
            await self._advisory.close()
        if self._file is not None:
            self._file.close(remove=True)


class Leader:
    """At most one process of those sharing the database holds it; the next takes it over
    when its holder dies. :meth:`try_acquire` is cheap: call it every few seconds."""

    def __init__(self, db: Database, name: str = "poller") -> None:
        self._db = db
        self._advisory: _AdvisoryLock | None = None
        self._file: _FileLock | None = None
        self.held = False
        self._keyed = False
        if db.dialect == "postgresql":
            self._advisory = _AdvisoryLock(db, 0, LEADER_NAMESPACE)
        else:
            folder = _lock_dir(db)
            if folder is not None:
                self._file = _FileLock(folder / f"{name}.lock")

    async def try_acquire(self) -> bool:
        """Whether this process leads now (taking the lead if nobody holds it)."""
        if self._advisory is not None:
            if not self._keyed:
                self._advisory.key = await self._advisory.schema_key()
                self._keyed = True
            self.held = await self._advisory.try_lock()  # re-entrant for the holder
        elif self._file is not None:
            self.held = self._file.try_lock()
        else:
            self.held = True
        return self.held

    async def release(self) -> None:
        if self._advisory is not None:
            await self._advisory.close()
        if self._file is not None:
            self._file.close()
        self.held = False
