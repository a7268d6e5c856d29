"""An editor's ``/qr CAMPAIGN``: the campaign's QR code, as a picture in the chat, and its link.

The code is sent as a photo, not as a document: it shows in the chat at once, so the editor can
scan it off the screen to check it and forward it as it is. Telegram recompresses photos (JPEG,
no dpi), so it is not the file for the printer: the caption says how ``newsbot qr`` makes that
one (PDF, SVG or PNG at any size, with a label or a logo).
"""

from __future__ import annotations

import asyncio
import logging
from html import escape
from typing import cast

from telegram import InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import CommandHandler, ContextTypes, ExtBot, filters

from bot.errors import InvalidCampaignError
from bot.handlers.access import require_editor
from bot.handlers.common import REPLY_RETRIES, reply, translator
from bot.i18n import Translator
from bot.qr import join_link, render_qr, validate_campaign

log = logging.getLogger(__name__)


# -- texts ---------------------------------------------------------------------------------


def qr_usage(t: Translator) -> str:
    """What ``/qr`` without one campaign name says."""
    return t.gettext(
        "Send /qr and a campaign name, for example <code>/qr metro-posters</code>: you get the"
        " campaign's QR code and its link."
    )


def bad_campaign(t: Translator) -> str:
    """The answer to a campaign name Telegram's links cannot carry."""
    return t.gettext(
        "A campaign name is 1 to 64 letters A-Z or a-z, digits, _ or -, for example"
        " <code>metro-posters</code>."
    )


def qr_caption(t: Translator, campaign: str, link: str) -> str:
    """The caption of the code: the link, and how to get the file for print."""
    return t.gettext(
        "The QR code of the campaign <b>{campaign}</b>: {link}\n"
        "People who start the bot through it are counted as the campaign's sign-ups. For the"
        " printer (PDF, SVG or PNG, any size, with a label): <code>newsbot qr -o poster.pdf"
        " --campaign {campaign}</code>",
        campaign=escape(campaign),
        link=escape(link),
    )


# -- the handler -----------------------------------------------------------------------------


async def qr_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send an editor the QR code and deep link of ``/qr CAMPAIGN``; anyone else is refused."""
    message = update.effective_message
    assert message is not None
    if not await require_editor(update, context):
        return
    t = await translator(update, context)
    args = context.args or []
    if len(args) != 1:
        await reply(context, message, qr_usage(t))
        return
    try:
        campaign = validate_campaign(args[0])
    except InvalidCampaignError:
        await reply(context, message, bad_campaign(t))
        return
    link = join_link(context.bot.username, campaign)
    png = await asyncio.to_thread(render_qr, link, "png")  # some 20 ms: not on the loop
    bot = cast("ExtBot[int]", context.bot)  # built with AIORateLimiter, whose args are an int
    await bot.send_photo(
        message.chat_id,
        InputFile(png, filename=f"qr-{campaign}.png"),
        caption=qr_caption(t, campaign, link),
        parse_mode=ParseMode.HTML,
        rate_limit_args=REPLY_RETRIES,
    )
    log.info("qr code sent chat_id=%s campaign=%s", message.chat_id, campaign)


def qr_handler() -> CommandHandler[ContextTypes.DEFAULT_TYPE, None]:
    """``/qr`` in a private chat, as :func:`bot.handlers.register_handlers` adds it."""
    return CommandHandler("qr", qr_command, filters=filters.ChatType.PRIVATE, block=False)
