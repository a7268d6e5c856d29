"""The digest job: each minute, queue the daily digests whose hour has come.

::

    schedule_digests(application.job_queue)     # in Newsbot.start(), beside poll and deliver

The job asks :meth:`bot.app.Newsbot.queue_digests`, which reads the time from the Newsbot's
``clock`` (a test sets it; nobody sleeps), queues the digests of the readers with held
articles in batches, each its own short write transaction (see :mod:`bot.services.digests`:
one digest per reader per local day, whichever process or call gets there first) and kicks the
outbox when it queued any.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.handlers.common import runtime

#: Seconds between two looks for digests due: digest hours are whole hours, so a digest goes
#: out within a minute of its hour.
DIGEST_INTERVAL = 60


async def digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Queue the digests that are due; the outbox sends them at once."""
    await runtime(context).queue_digests()


def schedule_digests(jobs: JobQueue[Any]) -> None:
    """Run :func:`digest_job` every :data:`DIGEST_INTERVAL` seconds, never two at once, a missed
    run folded into the next."""
    jobs.run_repeating(
        digest_job,
        DIGEST_INTERVAL,
        first=0,
        name="digest",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
