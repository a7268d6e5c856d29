"""The progress job: every second, keep each published send's editor's message up to date,
and finish the sends whose deliveries all settled.

::

    schedule_progress(application.job_queue)     # in Newsbot.start(), beside the others
    await newsbot.progress.report(bot, default_language="en", tell=newsbot.tell_editors)

A send an editor published shows in the editor's message (``sends.chat``/``message_id``):
"Delivering… 3,400 / 10,000 · 2 blocked · 0 failed", edited at most once every
:data:`EDIT_EVERY` per send (``sends.progress_at``, taken by one conditional UPDATE, so two
processes never both edit) and never with the text it already shows (Telegram answers
"message is not modified"), then the summary, without the message's buttons; the send is
finished (:func:`bot.services.sends.finish`) once the summary is shown, or once the message
turned out to be gone (logged once). A send with no editor's message (a feed's own, a push
from the shell) is finished by one UPDATE for all of them
(:func:`~bot.services.sends.finish_settled`). Whoever finishes a send tells of its failures,
so they are told once: the editor in their chat, or every editor
(:meth:`bot.app.Newsbot.tell_editors`) for the others, in one message per round.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes, ExtBot, JobQueue

from bot.handlers import progress_texts
from bot.handlers.common import runtime
from bot.i18n import Translator, translator_for
from bot.services import readers, sends
from bot.storage.db import Database
from bot.storage.models import Article, Send, utcnow

log = logging.getLogger(__name__)

#: Seconds between two looks at the sends being delivered (each send's edits are spaced by
#: :data:`EDIT_EVERY` on their own).
PROGRESS_INTERVAL = 1.0
#: At most one edit of a send's progress message this often.
EDIT_EVERY = timedelta(seconds=3)

TellEditors = Callable[[Callable[[Translator], str]], Awaitable[int]]


class Edit(Enum):
    """How an edit of an editor's message went."""

    SHOWN = "shown"  # the message shows the text (now, or already)
    LATER = "later"  # Telegram or the network said not now: try again
    GONE = "gone"  # the message cannot be edited (deleted, the editor blocked the bot)


class ProgressReporter:
    """Edits the progress messages and finishes the sends; one per process."""

    def __init__(self, db: Database, *, every: timedelta = EDIT_EVERY) -> None:
        self.db = db
        self.every = every
        #: what each send's message was last edited to by this process.
        self._shown: dict[int, str] = {}
        #: sends whose message is gone: not edited again (and not logged again).
        self._gone: set[int] = set()

    async def report(
        self,
        bot: ExtBot[Any],
        *,
        default_language: str,
        tell: TellEditors,
        now: datetime | None = None,
    ) -> int:
        """One round: each watched send's message edited when due, the settled sends
        finished, failures told. How many sends this round finished."""
        now = now or utcnow()
        async with self.db.session() as session:
            watched = await sends.watched(session)
        finished = 0
        for send in watched:
            try:
                finished += await self._report(bot, send, now, default_language)
            except Exception:  # one send's trouble must not keep the others' progress back
                log.exception("progress not reported send_id=%s", send.id)
        return finished + await self._finish_unwatched(now, tell)

    async def _report(
        self, bot: ExtBot[Any], send: Send, now: datetime, default_language: str
    ) -> int:
        """Edit one send's message if due; finish it once the summary is shown."""
        if send.chat is None or send.message_id is None:
            return 0
        async with self.db.session() as session:
            found = await sends.get(session, send.id)
            if found is None:
                return 0
            _send, article = found
            tally = await sends.tally(session, send.id)
            language = await readers.language_of(session, send.chat, default=default_language)
        t = translator_for(language)
        if tally.done:
            text = progress_texts.summary(t, article.title, tally)
        else:
            text = progress_texts.delivering(t, article.title, tally)
            if self._shown.get(send.id) == text or send.id in self._gone:
                return 0
        async with self.db.writing() as session:
            if not await sends.claim_progress(session, send.id, now, self.every):
                return 0
        edit = await self._edit(bot, send, text)
        if not tally.done or edit is Edit.LATER:
            return 0
        async with self.db.writing() as session:
            if not await sends.finish(session, send.id, now):
                return 0  # another process finished it, and told
        self._shown.pop(send.id, None)
        self._gone.discard(send.id)
        log.info(
            "send finished send_id=%s sent=%d blocked=%d failed=%d held=%d message=%s",
            send.id,
            tally.readers.sent,
            tally.readers.blocked,
            tally.readers.failed,
            tally.readers.held,
            edit.value,
        )
        if tally.troubled:
            await self._alert(bot, send.chat, t, _trouble_of(send.id, article, tally))
        return 1

    async def _edit(self, bot: ExtBot[Any], send: Send, text: str) -> Edit:
        """Edit the send's message to ``text`` (HTML, no buttons)."""
        if send.id in self._gone:
            return Edit.GONE
        assert send.chat is not None
        assert send.message_id is not None
        try:
            await bot.edit_message_text(
                chat_id=send.chat,
                message_id=send.message_id,
                text=text,
                parse_mode=ParseMode.HTML,
            )
        except RetryAfter as exc:
            log.info("progress edit postponed send_id=%s retry_after=%s", send.id, exc.retry_after)
            return Edit.LATER
        except BadRequest as exc:
            # No PTB type of its own: the message already shows this text (edited by another
            # process, or before a restart).
            if "message is not modified" in exc.message.lower():
                self._shown[send.id] = text
                return Edit.SHOWN
            return self._lost(send, exc)
        except NetworkError as exc:  # TimedOut included: the next edit is due in a moment
            log.info("progress edit failed send_id=%s error=%r", send.id, exc.message)
            return Edit.LATER
        except TelegramError as exc:  # Forbidden: the editor blocked the bot
            return self._lost(send, exc)
        self._shown[send.id] = text
        return Edit.SHOWN

    def _lost(self, send: Send, exc: TelegramError) -> Edit:
        self._gone.add(send.id)
        self._shown.pop(send.id, None)
        log.warning(
            "progress message gone send_id=%s chat_id=%s message_id=%s error=%r: not edited again",
            send.id,
            send.chat,
            send.message_id,
            exc.message,
        )
        return Edit.GONE

    async def _alert(
        self, bot: ExtBot[Any], chat: int, t: Translator, trouble: sends.Trouble
    ) -> None:
        """Tell the editor who published the send what failed (a message of its own: an
        edit makes no sound)."""
        try:
            await bot.send_message(
                chat, progress_texts.troubles(t, [trouble]), parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:
            log.warning(
                "editor not told of failures send_id=%s chat_id=%s error=%r",
                trouble.send_id,
                chat,
                exc.message,
            )

    async def _finish_unwatched(self, now: datetime, tell: TellEditors) -> int:
        """Finish every settled send without an editor's message; tell the editors of those
        that failed somewhere, in one message."""
        async with self.db.session() as session:
            if not await sends.any_settled(session):
                return 0
        async with self.db.writing() as session:
            finished = await sends.finish_settled(session, now)
        if not finished:
            return 0
        async with self.db.session() as session:
            troubled = await sends.troubles(session, finished)
        log.info("sends finished count=%d troubled=%d", len(finished), len(troubled))
        if troubled:
            await tell(functools.partial(progress_texts.troubles, troubles=troubled))
        return len(finished)


def _trouble_of(send_id: int, article: Article, tally: sends.Tally) -> sends.Trouble:
    post = tally.channel
    failed_post = post is not None and post.failed
    return sends.Trouble(
        send_id,
        article.id,
        article.title,
        failed=tally.readers.failed,
        channel=post.chat if post is not None and failed_post else None,
        channel_error=post.error if post is not None and failed_post else None,
    )


async def progress_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edit the progress messages that are due; finish the settled sends."""
    await runtime(context).report_progress()


def schedule_progress(jobs: JobQueue[Any]) -> None:
    """Run :func:`progress_job` every :data:`PROGRESS_INTERVAL` seconds, never two at once, a
    missed run folded into the next."""
    jobs.run_repeating(
        progress_job,
        PROGRESS_INTERVAL,
        first=PROGRESS_INTERVAL,
        name="progress",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
