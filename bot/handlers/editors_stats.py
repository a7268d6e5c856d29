"""An editor's /stats: the numbers of ``newsbot stats`` (readers, sign-ups per campaign,
deliveries, the feeds' health) in the chat, in the editor's language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import texts
from bot.handlers.common import reply, runtime, translator
from bot.services.stats import collect, format_stats

log = logging.getLogger(__name__)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send an editor the statistics; anyone not in EDITOR_IDS is refused politely."""
    user = update.effective_user
    message = update.effective_message
    assert message is not None
    t = await translator(update, context)
    newsbot = runtime(context)
    if user is None or user.id not in newsbot.settings.editor_ids:
        log.info("stats refused user_id=%s", user.id if user else None)
        await reply(context, message, texts.editors_only(t))
        return
    async with newsbot.db.session() as session:
        numbers = await collect(session)
    await reply(context, message, texts.stats(t, format_stats(numbers, t)))
