"""Reactions on the channels' posts: Telegram sends a channel's ``message_reaction_count``
updates (the totals per reaction; a channel's readers are anonymous) to a bot that administers
it; each one replaces the post's :class:`~bot.storage.models.PostReaction`, which ``/stats``
ranks articles by."""

from __future__ import annotations

import logging

from telegram import (
    ReactionCount,
    ReactionTypeCustomEmoji,
    ReactionTypeEmoji,
    ReactionTypePaid,
    Update,
)
from telegram.ext import ContextTypes, MessageReactionHandler

from bot.handlers.common import runtime
from bot.services.stats import record_reactions

log = logging.getLogger(__name__)


def reaction_key(reaction: ReactionCount) -> str:
    """How a reaction is counted: its emoji, ``custom:<id>`` for a custom emoji, ``paid`` for
    a paid (Telegram Stars) one."""
    kind = reaction.type
    if isinstance(kind, ReactionTypeEmoji):
        return kind.emoji
    if isinstance(kind, ReactionTypeCustomEmoji):
        return f"custom:{kind.custom_emoji_id}"
    if isinstance(kind, ReactionTypePaid):
        return "paid"
    return str(kind.type)


async def reaction_count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store a channel post's reactions as the update counts them."""
    counted = update.message_reaction_count
    if counted is None:
        return
    counts: dict[str, int] = {}
    for reaction in counted.reactions:
        key = reaction_key(reaction)
        counts[key] = counts.get(key, 0) + reaction.total_count
    newsbot = runtime(context)
    async with newsbot.db.writing() as session:
        await record_reactions(
            session,
            counted.chat.id,
            counted.chat.username,
            counted.message_id,
            counts,
            counted.date,
        )


def reaction_handler() -> MessageReactionHandler[ContextTypes.DEFAULT_TYPE, None]:
    """The handler of the channels' ``message_reaction_count`` updates."""
    return MessageReactionHandler(
        reaction_count,
        message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_COUNT_UPDATED,
    )
