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

from bot.handlers import digest as digest_handlers
from bot.handlers import editors, editors_stats, errors, readers
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
    application.add_handler(MessageHandler(private & filters.COMMAND, readers.unknown_command))
    application.add_handler(MessageHandler(private, readers.unknown))  # anything else
    application.add_error_handler(errors.on_error)
