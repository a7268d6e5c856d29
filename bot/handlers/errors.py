"""The error handler: log what went wrong with the update's ids; tell the reader briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers import texts
from bot.handlers.common import reply, translator
from bot.i18n import translator_for

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an exception raised while handling ``update``; apologise in a private chat."""
    chat_id = (
        update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
    )
    log.error(
        "update failed update_id=%s chat_id=%s",
        update.update_id if isinstance(update, Update) else None,
        chat_id,
        exc_info=context.error,
    )
    if isinstance(context.error, TelegramError) or not isinstance(update, Update):
        return
    message = update.effective_message
    if message is not None and update.effective_chat and update.effective_chat.type == "private":
        try:
            t = await translator(update, context)
        except Exception:  # the database may be what failed: apologise in English then
            log.warning("no language for the apology chat_id=%s", chat_id, exc_info=True)
            t = translator_for(None)
        try:
            await reply(context, message, texts.error(t))
        except TelegramError:
            log.warning("could not apologise chat_id=%s", chat_id)
