"""Sending one post to one chat: shared by the outbox and an editor's preview."""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def send_post(
    bot: Bot, chat_id: int | str, html: str, image: str | None, refused: set[str]
) -> Message:
    """Send one post: a photo with the post as caption, else (or if the photo is refused) text.

    A picture Telegram refused once (it could not fetch it, say) is added to ``refused`` and not
    tried again for the next chats.
    """
    if image and image not in refused:
        try:
            return await bot.send_photo(
                chat_id, photo=image, caption=html, parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            # A parse error would fail as text too; anything else is about the picture.
            if "parse entities" in exc.message.lower():
                raise
            refused.add(image)
            log.warning("photo refused image=%s error=%r; sending text", image, exc.message)
    return await bot.send_message(
        chat_id,
        html,
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(prefer_large_media=True),
    )
