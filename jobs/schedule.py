"""The schedule job: every few seconds, publish the scheduled sends whose time has come
(:meth:`bot.app.Newsbot.publish_due`). A schedule is a row (``sends``), so it survives a
restart; the time is the Newsbot's ``clock`` (a test sets it; nobody sleeps)."""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.handlers.common import runtime

#: Seconds between two looks for scheduled sends that are due.
SCHEDULE_INTERVAL = 5


async def schedule_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Publish what is due."""
    await runtime(context).publish_due()


def schedule_sends(jobs: JobQueue[Any]) -> None:
    """Run :func:`schedule_job` every :data:`SCHEDULE_INTERVAL` seconds, never two at once."""
    jobs.run_repeating(
        schedule_job,
        SCHEDULE_INTERVAL,
        first=0,
        name="schedule",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
