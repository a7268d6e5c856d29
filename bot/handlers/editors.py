"""Editors' commands: /push URL sends an article page to the channel and every subscriber."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.errors import NewsbotError
from bot.handlers import texts
from bot.handlers.common import runtime
from bot.services.push import push_url

log = logging.getLogger(__name__)


async def push(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Push the article at the given URL now; anyone not in EDITOR_IDS is refused politely."""
    newsbot = runtime(context)
    user = update.effective_user
    message = update.effective_message
    assert message is not None
    if user is None or user.id not in newsbot.settings.editor_ids:
        log.info("push refused user_id=%s", user.id if user else None)
        await message.reply_html(texts.PUSH_REFUSED)
        return
    if len(context.args or []) != 1:
        await message.reply_html(texts.PUSH_USAGE)
        return
    url = (context.args or [""])[0]
    try:
        pushed = await push_url(newsbot.db, newsbot.fetcher, url, channel=newsbot.channel)
    except NewsbotError as exc:
        log.info("push failed user_id=%s url=%s error=%r", user.id, url, str(exc))
        await message.reply_html(texts.push_failed(str(exc)))
        return
    newsbot.kick()
    await message.reply_html(texts.pushed(pushed.article.title, pushed.deliveries, newsbot.channel))
