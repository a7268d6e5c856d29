"""Telegram handlers: thin — parse the update, call one service, reply."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers import channel_members, console_link, editors, editors_stats, errors, readers
from bot.handlers import digest as digest_handlers
from bot.handlers import feeds as feed_handlers
from bot.handlers import privacy as privacy_handlers
from bot.handlers import sections as section_handlers
from bot.handlers.texts import LANGUAGE_CALLBACK, SUBSCRIBE_CALLBACK, UNDO_CALLBACK


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add newsbot's handlers to ``application``."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", readers.start, filters=private))
    application.add_handler(CommandHandler("subscribe", readers.subscribe, filters=private))
    application.add_handler(CommandHandler("unsubscribe", readers.unsubscribe, filters=private))
    application.add_handler(CommandHandler("latest", readers.latest, filters=private))
    application.add_handler(CommandHandler("language", readers.language, filters=private))
    application.add_handler(CommandHandler("help", readers.help_command, filters=private))
    application.add_handler(
        CommandHandler("digest", digest_handlers.digest_command, filters=private)
    )
    application.add_handler(CommandHandler("pause", privacy_handlers.pause, filters=private))
    application.add_handler(CommandHandler("resume", privacy_handlers.resume, filters=private))
    application.add_handler(CommandHandler("forget", privacy_handlers.forget, filters=private))
    application.add_handler(CommandHandler("push", editors.push, filters=private, block=False))
    application.add_handler(
        CommandHandler("preview", editors.preview, filters=private, block=False)
    )
    application.add_handler(CommandHandler("stats", editors_stats.stats, filters=private))
    application.add_handler(
        CommandHandler("console", console_link.console_command, filters=private)
    )
    application.add_handler(CommandHandler("scheduled", editors.scheduled, filters=private))
    application.add_handler(CommandHandler("cancel", editors.cancel_prompt, filters=private))
    application.add_handler(
        CallbackQueryHandler(editors.review_button, pattern=editors.REVIEW_PATTERN)
    )
    application.add_handler(CommandHandler("feeds", feed_handlers.feeds_command, filters=private))
    application.add_handler(
        CommandHandler("addfeed", feed_handlers.addfeed, filters=private, block=False)
    )
    application.add_handler(CommandHandler("removefeed", feed_handlers.removefeed, filters=private))
    application.add_handler(
        CallbackQueryHandler(feed_handlers.feed_button, pattern=feed_handlers.FEED_BUTTON.pattern)
    )
    application.add_handler(
        CallbackQueryHandler(readers.subscribe_button, pattern=f"^{SUBSCRIBE_CALLBACK}$")
    )
    application.add_handler(
        CallbackQueryHandler(readers.language_button, pattern=f"^{LANGUAGE_CALLBACK}(:|$)")
    )
    application.add_handler(CallbackQueryHandler(readers.undo_button, pattern=f"^{UNDO_CALLBACK}$"))
    application.add_handler(
        CallbackQueryHandler(
            digest_handlers.digest_button, pattern=f"^{digest_handlers.DIGEST_CALLBACK}:"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            privacy_handlers.pause_button, pattern=f"^{privacy_handlers.PAUSE_CALLBACK}:"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            privacy_handlers.forget_button, pattern=f"^{privacy_handlers.FORGET_CALLBACK}:"
        )
    )
    application.add_handler(
        CommandHandler("sections", section_handlers.sections_command, filters=private)
    )
    application.add_handler(
        CallbackQueryHandler(
            section_handlers.toggle_button, pattern=f"^{section_handlers.TOGGLE_CALLBACK}:"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            section_handlers.sections_button, pattern=f"^{section_handlers.SECTIONS_CALLBACK}$"
        )
    )
    application.add_handler(ChatMemberHandler(readers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    from bot.handlers.reactions import reaction_handler  # here: one edit, not two, of this file

    application.add_handler(reaction_handler())  # the channels' posts' reaction counts
    application.add_handler(
        ChatMemberHandler(channel_members.chat_member, ChatMemberHandler.CHAT_MEMBER)
    )
    from bot.handlers.marketing import qr_handler  # here: one edit, not two, of this file

    application.add_handler(qr_handler())  # an editor's /qr CAMPAIGN
    from bot.handlers import resend  # here: one edit, not two, of this file

    application.add_handler(  # Resend, under the alert of a channel post whose fate is unknown
        CallbackQueryHandler(resend.resend_button, pattern=resend.RESEND.pattern)
    )
    application.add_handler(MessageHandler(private & filters.COMMAND, readers.unknown_command))
    # An editor's answer to Edit summary, else what a reader's free text gets.
    application.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, editors.text_message)
    )
    application.add_handler(MessageHandler(private, readers.unknown))  # anything else
    application.add_error_handler(errors.on_error)
