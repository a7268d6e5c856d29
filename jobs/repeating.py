"""Repeating jobs that also run at once.

PTB's ``run_repeating(..., first=0)`` hands APScheduler an interval trigger starting *now*;
APScheduler works out the first run when the scheduler starts (or the job is added), a moment
later, and so puts it one whole interval after the start: a restarted newsbot would wait that
long before sending what a crash left in the outbox (the other jobs may wait). An explicit
``next_run_time`` is kept as it is, and ``misfire_grace_time=None`` runs it however long the
start took.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from telegram.ext import JobQueue

__all__ = ["run_now_and_every"]


def run_now_and_every(
    jobs: JobQueue[Any],
    callback: Callable[[Any], Coroutine[Any, Any, Any]],
    interval: float,
    *,
    name: str,
) -> None:
    """``callback`` as soon as the job queue runs, then every ``interval`` seconds; one run at
    a time, and runs missed while one was busy are folded into one."""
    jobs.run_repeating(
        callback,
        interval,
        first=0,
        name=name,
        job_kwargs={
            "max_instances": 1,
            "coalesce": True,
            "next_run_time": datetime.now(UTC),
            "misfire_grace_time": None,
        },
    )
