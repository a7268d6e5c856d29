"""``chat_member`` updates of the editions' channels: an administrator promoted or demoted is an
editor, or no longer one, at once (:mod:`bot.services.roles`); someone who joins through a
campaign's invite link is counted for the campaign."""

from __future__ import annotations

import logging

from telegram import Chat, ChatMember, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from bot.handlers.common import runtime
from bot.services import roles
from bot.storage.models import utcnow

log = logging.getLogger(__name__)

_ADMIN = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_IN = _ADMIN | {ChatMemberStatus.MEMBER, ChatMemberStatus.RESTRICTED}


def edition_channel(chat: Chat, channels: list[str]) -> str | None:
    """The channel, as an edition names it (``@name`` or ``-100…``), that ``chat`` is."""
    for channel in channels:
        if channel.startswith("@"):
            if chat.username and channel[1:].casefold() == chat.username.casefold():
                return channel
        elif channel == str(chat.id):
            return channel
    return None


def _is_admin(member: ChatMember) -> bool:
    return member.status in _ADMIN


async def chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Keep the channel's administrators, and its campaign joins, as the update says."""
    change = update.chat_member
    if change is None:
        return
    newsbot = runtime(context)
    channels = [e.channel for e in newsbot.editions.configured if e.channel]
    channel = edition_channel(change.chat, channels)
    if channel is None:
        return
    old, new = change.old_chat_member, change.new_chat_member
    user = new.user
    if _is_admin(old) != _is_admin(new) and not user.is_bot:
        async with newsbot.db.writing() as session:
            await roles.set_admin(
                session,
                channel,
                roles.Admin(user.id, user.full_name),
                is_admin=_is_admin(new),
                now=utcnow(),
            )
        log.info(
            "channel administrator %s channel=%s user_id=%s",
            "added" if _is_admin(new) else "removed",
            channel,
            user.id,
        )
    joined = old.status not in _IN and new.status in _IN
    if joined and change.invite_link is not None:
        from bot.services.campaigns import record_join

        async with newsbot.db.writing() as session:
            counted = await record_join(session, channel, change.invite_link.invite_link, user.id)
        log.info("channel join channel=%s user_id=%s counted=%s", channel, user.id, counted)
