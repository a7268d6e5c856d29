"""The poller job: of the processes sharing one database, only the leader long-polls Telegram.

Telegram answers a second ``getUpdates`` long poll of the same bot with 409 Conflict, so the
processes take turns by :class:`~bot.storage.leases.Leader`; everything else (the outbox, feed
polling, the other jobs) runs in every process.

::

    polling = Polling(Leader(db), allowed_updates=ALLOWED_UPDATES)
    await polling.start(application.updater, application.job_queue)   # in Newsbot.start()
    await polling.stop()                                               # in Newsbot.stop()

Every :data:`LEADER_INTERVAL` the job asks the leader again: a follower that gets the lead (its
holder died, SIGKILL included, or stopped) starts polling; a leader that lost it (its PostgreSQL
connection dropped, and the advisory lock with it) stops polling and goes back to asking.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram.ext import ContextTypes, JobQueue, Updater

from bot.storage.leases import Leader

__all__ = ["LEADER_INTERVAL", "Polling"]

log = logging.getLogger(__name__)

#: Seconds between two asks of the leader: a follower takes over within this after the
#: leader's lock is gone.
LEADER_INTERVAL = 10.0


class Polling:
    """Long-polls ``getUpdates`` while this process holds ``leader``; one per process."""

    def __init__(
        self,
        leader: Leader,
        *,
        allowed_updates: Sequence[str] | None = None,
        interval: float = LEADER_INTERVAL,
    ) -> None:
        self.leader = leader
        self.allowed_updates = list(allowed_updates) if allowed_updates is not None else None
        self.interval = interval
        self._updater: Updater | None = None
        self._lock = asyncio.Lock()  # the job, start and stop never interleave
        self._stopped = False

    @property
    def polling(self) -> bool:
        """Whether this process long-polls Telegram now."""
        return self._updater is not None and self._updater.running

    async def start(self, updater: Updater, jobs: JobQueue[Any] | None = None) -> bool:
        """Poll now if this process leads, else say once that another does; with ``jobs``,
        ask again every :attr:`interval`. Whether this process polls."""
        self._updater = updater
        self._stopped = False
        async with self._lock:
            await self._check()
        if not self.polling:
            log.info("another process polls Telegram; this one sends and polls feeds")
        if jobs is not None:
            jobs.run_repeating(
                self._job,
                self.interval,
                first=self.interval,
                name="leader",
                job_kwargs={"max_instances": 1, "coalesce": True},
            )
        return self.polling

    async def check(self) -> bool:
        """One round of the job: take over polling if the lead is free, give it up if lost.
        Whether this process polls."""
        async with self._lock:
            if not self._stopped:
                await self._check()
        return self.polling

    async def stop(self) -> None:
        """Stop polling (if this process did), then let the next process lead."""
        async with self._lock:
            self._stopped = True
            if self._updater is not None and self._updater.running:
                await self._updater.stop()
            await self.leader.release()

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Ask the leader again (the JobQueue's callback)."""
        await self.check()

    async def _check(self) -> None:
        updater = self._updater
        assert updater is not None, "Polling.start() comes first"
        leads = await self._leads()
        if leads and not updater.running:
            await updater.start_polling(allowed_updates=self.allowed_updates)
            log.info("polling Telegram: this process leads")
        elif not leads and updater.running:
            await updater.stop()
            log.warning("lead lost, polling stopped; another process polls Telegram or will")

    async def _leads(self) -> bool:
        try:
            return await self.leader.try_acquire()
        except (SQLAlchemyError, OSError) as exc:
            # The lock's connection failed: it was closed, and PostgreSQL dropped the lock.
            log.warning("lead unknown, taken as lost error=%r", str(exc))
            self.leader.held = False
            return False
