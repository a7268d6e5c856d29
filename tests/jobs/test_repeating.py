"""Repeating jobs run once at the start, not one interval after it."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.ext import ApplicationBuilder

from jobs.repeating import run_now_and_every


async def test_the_first_run_is_at_once() -> None:
    """An hourly job runs as soon as the job queue starts (PTB's ``first=0`` alone runs it an
    hour later: APScheduler places the first run one interval after a start in the past)."""
    app = ApplicationBuilder().token("1:only-the-job-queue-runs").build()
    jobs = app.job_queue
    assert jobs is not None
    ran = asyncio.Event()

    async def job(context: Any) -> None:
        ran.set()

    run_now_and_every(jobs, job, 3600, name="hourly")
    await jobs.start()
    try:
        await asyncio.wait_for(ran.wait(), 30)
        [scheduled] = jobs.get_jobs_by_name("hourly")
        assert scheduled.next_t is not None  # and it repeats
    finally:
        await jobs.stop()
