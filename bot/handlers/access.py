"""The one check of an editor's command or button: :func:`require_editor`.

Every editor handler starts with it, for a command and for a callback query alike; a refusal
is polite, said once, and nothing else happens.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.handlers import texts
from bot.handlers.common import reply, runtime, translator
from bot.services.roles import is_editor

log = logging.getLogger(__name__)


async def user_is_editor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the update's sender is an editor (EDITOR_IDS, or a channel's administrator)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return False
    newsbot = runtime(context)
    async with newsbot.db.session() as session:
        return await is_editor(session, user.id, newsbot.settings.editor_ids)


async def require_editor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True when the sender is an editor; otherwise refuse politely (a reply to a command, an
    alert on a button) and return False."""
    if await user_is_editor(update, context):
        return True
    user = update.effective_user
    query = update.callback_query
    what = (
        f"button {query.data!r}"
        if query is not None
        else (update.effective_message.text or "")[:64]
        if update.effective_message
        else ""
    )
    log.info("editor action refused user_id=%s action=%r", user.id if user else None, what)
    t = await translator(update, context)
    if query is not None:
        try:
            await query.answer(texts.editors_only(t), show_alert=True)
        except TelegramError as exc:  # the press is too old to answer: nothing else to do
            log.info("refusal not shown user_id=%s error=%r", user.id if user else None, str(exc))
        return False
    message = update.effective_message
    if message is not None:
        await reply(context, message, texts.editors_only(t))
    return False
