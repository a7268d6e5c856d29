"""What every handler needs: the running :class:`~bot.app.Newsbot`, the translator of the person
it answers, and a reply that waits out Telegram's flood control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes, ExtBot

from bot.i18n import Translator, supported, translator_for
from bot.services import readers

if TYPE_CHECKING:
    from bot.app import Newsbot

#: How many times a reply waits out a flood wait in PTB's rate limiter before it gives up. The
#: limiter retries nothing by default (see :func:`bot.app.build_application`: the outbox
#: reschedules its own sends), but a reader's answer must not be dropped for a 1 s wait.
REPLY_RETRIES = 2


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Newsbot:
    """The :class:`~bot.app.Newsbot` a handler or job belongs to."""
    return cast("Newsbot", context.bot_data["newsbot"])


async def translator(update: object, context: ContextTypes.DEFAULT_TYPE) -> Translator:
    """The translator for whoever sent ``update``: their /language choice, else the update's
    ``language_code`` when newsbot speaks it, else the default edition's language."""
    newsbot = runtime(context)
    default = newsbot.editions.default.language
    if not isinstance(update, Update):
        return translator_for(default)
    user = update.effective_user
    telegram = user.language_code if user else None
    chat = update.effective_chat
    if chat is None:
        return translator_for(telegram if supported(telegram) else default)
    async with newsbot.db.session() as session:
        return translator_for(await readers.language_of(session, chat.id, telegram, default))


async def reply(
    context: ContextTypes.DEFAULT_TYPE, message: Message, html: str, **kwargs: Any
) -> Message:
    """Answer ``message`` in its chat with Telegram HTML, waiting out a flood wait if one comes.

    ``Message.reply_html`` cannot pass ``rate_limit_args``; the bot's own ``send_message`` can.
    """
    bot = cast("ExtBot[int]", context.bot)  # built with AIORateLimiter, whose args are an int
    return await bot.send_message(
        message.chat_id,
        html,
        parse_mode=ParseMode.HTML,
        rate_limit_args=REPLY_RETRIES,
        **kwargs,
    )
