"""The corrections job: every few seconds, edit the posts sent of an article its source
corrected (:mod:`bot.services.corrections`), in place, once per revision; never a new message.

::

    schedule_corrections(application.job_queue)   # in Newsbot.start(), beside the others
    await apply_corrections(db, bot, readers=settings.edit_reader_copies)

A delivery sent (``status='sent'``, a ``message_id``) whose ``revision`` is below its article's
is edited: the channel's posts, and readers' copies only with EDIT_READER_COPIES. A text or
preview post by editMessageText (HTML, the preview its style had), a photo's by
editMessageCaption. Each row is first claimed by one conditional UPDATE (``revision`` set to
the article's where it was lower), so two processes never edit one message twice for one
revision; a network error puts the claim back (edited at the next run), a flood wait too, and
ends the run. "message is not modified" is done; a message that can no longer be edited
(deleted, too old) is done too, with one log line. At most :data:`BATCH` edits a run.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes, ExtBot, JobQueue

from bot.handlers.common import runtime
from bot.posting import chat_id_for
from bot.services import corrections
from bot.storage.db import Database

log = logging.getLogger(__name__)

#: Seconds between two looks for posts to correct.
CORRECTIONS_INTERVAL = 10
#: Edits one run makes at most.
BATCH = 100
#: Telegram's answers (lower case) when the message has no text (a photo: edit its caption)
#: or no caption (a photo post that went out as text).
_NO_TEXT = "there is no text in the message"
_NO_CAPTION = "there is no caption in the message"
_NOT_MODIFIED = "message is not modified"


def preview_for(style: str) -> LinkPreviewOptions:
    """The link preview a post of ``style`` has (as :func:`bot.posting.send_post` sends it)."""
    if style == "text":
        return LinkPreviewOptions(is_disabled=True)
    return LinkPreviewOptions(prefer_large_media=True)


async def _edit(bot: ExtBot[Any], row: corrections.Stale, *, caption: bool) -> None:
    chat = chat_id_for(row.chat)
    if caption:
        await bot.edit_message_caption(
            chat_id=chat, message_id=row.message_id, caption=row.html, parse_mode=ParseMode.HTML
        )
    else:
        await bot.edit_message_text(
            row.html,
            chat_id=chat,
            message_id=row.message_id,
            parse_mode=ParseMode.HTML,
            link_preview_options=preview_for(row.style),
        )


async def _edit_post(bot: ExtBot[Any], row: corrections.Stale) -> None:
    """Edit the message as its post went out: a photo's caption, else its text; a photo post
    that went out as text (its picture failed) by its text."""
    caption = row.style == "photo"
    try:
        await _edit(bot, row, caption=caption)
    except BadRequest as exc:
        reason = exc.message.lower()
        if (_NO_CAPTION if caption else _NO_TEXT) not in reason:
            raise
        await _edit(bot, row, caption=not caption)


async def apply_corrections(
    db: Database, bot: ExtBot[Any], *, readers: bool = False, limit: int = BATCH
) -> int:
    """Edit up to ``limit`` sent posts showing an older revision of their article (readers'
    copies too when ``readers``); how many messages now show their article's revision."""
    kinds = ["channel", "reader"] if readers else ["channel"]
    done = 0
    for row in await corrections.stale(db, kinds, limit):
        if not await corrections.claim(db, row):
            continue  # another process has it
        try:
            await _edit_post(bot, row)
        except RetryAfter as exc:
            await corrections.release(db, row)
            log.info("correction postponed delivery_id=%s retry_after=%s", row.id, exc.retry_after)
            break
        except BadRequest as exc:
            if _NOT_MODIFIED in exc.message.lower():
                done += 1
                continue
            log.warning(
                "post not corrected delivery_id=%s chat_id=%s message_id=%s error=%r: not "
                "edited again",
                row.id,
                row.chat,
                row.message_id,
                exc.message,
            )
            continue
        except NetworkError as exc:  # TimedOut included: edited at the next run
            await corrections.release(db, row)
            log.info("correction failed delivery_id=%s error=%r", row.id, exc.message)
            continue
        except TelegramError as exc:  # Forbidden: the reader blocked the bot; the bot left
            log.warning(
                "post not corrected delivery_id=%s chat_id=%s error=%r: not edited again",
                row.id,
                row.chat,
                exc.message,
            )
            continue
        done += 1
        log.info(
            "post corrected delivery_id=%s chat_id=%s message_id=%s revision=%d",
            row.id,
            row.chat,
            row.message_id,
            row.target,
        )
    return done


async def corrections_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edit the posts whose article was corrected."""
    await runtime(context).apply_corrections()


def schedule_corrections(jobs: JobQueue[Any]) -> None:
    """Run :func:`corrections_job` every :data:`CORRECTIONS_INTERVAL` seconds, never two at
    once, a missed run folded into the next."""
    jobs.run_repeating(
        corrections_job,
        CORRECTIONS_INTERVAL,
        first=CORRECTIONS_INTERVAL,
        name="corrections",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
