"""The retention job: once a day (and once shortly after start), delete the finished deliveries
older than DELIVERY_RETENTION_DAYS and the pacing rows no chat needs
(:func:`bot.services.retention.prune`).

::

    schedule_retention(application.job_queue)     # in Newsbot.start(), beside the others
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.handlers.common import runtime
from bot.services.retention import prune

log = logging.getLogger(__name__)

#: Seconds between two prunes.
RETENTION_INTERVAL = 24 * 60 * 60
#: Seconds after start of the first prune (not at once: start-up has enough to do).
RETENTION_FIRST = 5 * 60


async def retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Prune with the settings' DELIVERY_RETENTION_DAYS, and log what went."""
    newsbot = runtime(context)
    days = newsbot.settings.delivery_retention_days
    started = time.monotonic()
    pruned = await prune(newsbot.db, newsbot.clock(), days)
    log.info(
        "retention pruned days=%d deliveries=%d chats=%d batches=%d seconds=%.1f",
        days,
        pruned.deliveries,
        pruned.chats,
        pruned.batches,
        time.monotonic() - started,
    )


def schedule_retention(jobs: JobQueue[Any]) -> None:
    """Run :func:`retention_job` every :data:`RETENTION_INTERVAL` seconds, the first
    :data:`RETENTION_FIRST` seconds after start, never two at once."""
    jobs.run_repeating(
        retention_job,
        RETENTION_INTERVAL,
        first=RETENTION_FIRST,
        name="retention",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
