"""Sending one post to one chat (shared by the outbox and an editor's preview), and checking
that the bot may post to the channel (shared by ``newsbot run`` and ``newsbot push``)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, ChatMemberAdministrator, LinkPreviewOptions, Message
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

#: Telegram's answers (lower case) that say the picture itself cannot be used: it could not be
#: fetched, is not an image, or has a size Telegram refuses. Telegram has no error codes for
#: these, and PTB no types, so the text is all there is.
_BAD_PICTURE = ("http url", "web page content", "image_process", "photo_invalid", "photo_save")
#: The chat may not get pictures (a group's permissions): text only for this chat.
_NO_PICTURES_HERE = "not enough rights to send photos"


async def send_post(
    bot: ExtBot[Any],
    chat_id: int | str,
    html: str,
    image: str | None,
    refused: set[str],
    *,
    rate_limit_args: int | None = None,
) -> Message:
    """Send one post: a photo with the post as caption, else (or if the photo is refused) text.

    A picture Telegram refused (it could not fetch it, say) is added to ``refused`` and not
    tried again for the next chats; a chat that may not get pictures gets text. Any other
    ``BadRequest`` (chat not found, a parse error) concerns this chat or post and is raised.
    """
    if image and image not in refused:
        try:
            return await bot.send_photo(
                chat_id,
                photo=image,
                caption=html,
                parse_mode=ParseMode.HTML,
                rate_limit_args=rate_limit_args,
            )
        except BadRequest as exc:
            reason = exc.message.lower()
            if any(problem in reason for problem in _BAD_PICTURE):
                refused.add(image)
                log.warning("photo refused image=%s error=%r; sending text", image, exc.message)
            elif _NO_PICTURES_HERE not in reason:
                raise
    return await bot.send_message(
        chat_id,
        html,
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(prefer_large_media=True),
        rate_limit_args=rate_limit_args,
    )


def chat_id_for(chat: str) -> int | str:
    """A chat as stored (text) as PTB wants it: an int id, or an ``@username``."""
    return int(chat) if chat.lstrip("-").isdigit() else chat


async def channel_problem(bot: Bot, channel: str) -> str | None:
    """Why the bot may not post to ``channel`` (``@name`` or ``-100…`` id), or None if it may."""
    try:
        member = await bot.get_chat_member(chat_id_for(channel), bot.id)
    except TelegramError as exc:
        return f"{exc.message}; add the bot to the channel as an administrator"
    if member.status == ChatMemberStatus.OWNER or (
        isinstance(member, ChatMemberAdministrator) and member.can_post_messages
    ):
        return None
    return f"the bot is {member.status}; make it an administrator allowed to post messages"
