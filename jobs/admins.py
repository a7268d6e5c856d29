"""The administrators job: every ten minutes, ask Telegram who administers each edition's
channel (:meth:`bot.app.Newsbot.refresh_admins`), so a channel administrator is an editor in
every process within :data:`bot.services.roles.ADMINS_MAX_AGE`; ``chat_member`` updates change
it sooner. An article awaiting approval that no editor was shown (the process stopped after the
poll, or no editor could be reached) is shown then."""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes, JobQueue

from bot.handlers.common import runtime
from bot.services.roles import ADMINS_MAX_AGE


async def admins_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Refresh the channels' administrators and the editors' command menus; show the editors
    any article awaiting approval that none of them was shown."""
    newsbot = runtime(context)
    await newsbot.refresh_admins()
    await newsbot.set_editor_commands()
    await newsbot.review_unreviewed()


def schedule_admins(jobs: JobQueue[Any]) -> None:
    """Run :func:`admins_job` every :data:`~bot.services.roles.ADMINS_MAX_AGE` (the first run
    is at start, by :meth:`~bot.app.Newsbot.start` itself)."""
    seconds = ADMINS_MAX_AGE.total_seconds()
    jobs.run_repeating(
        admins_job,
        seconds,
        first=seconds,
        name="admins",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
