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

from bot.handlers import editors, errors, readers
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
    application.add_handler(CommandHandler("push", editors.push, filters=private, block=False))
    application.add_handler(
        CommandHandler("preview", editors.preview, filters=private, block=False)
    )
    application.add_handler(
        CallbackQueryHandler(readers.subscribe_button, pattern=f"^{SUBSCRIBE_CALLBACK}$")
    )
    application.add_handler(
        CallbackQueryHandler(readers.language_button, pattern=f"^{LANGUAGE_CALLBACK}(:|$)")
    )
    application.add_handler(CallbackQueryHandler(readers.undo_button, pattern=f"^{UNDO_CALLBACK}$"))
    application.add_handler(ChatMemberHandler(readers.membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(MessageHandler(private & filters.COMMAND, readers.unknown_command))
    application.add_handler(MessageHandler(private, readers.unknown))  # anything else
    application.add_error_handler(errors.on_error)
