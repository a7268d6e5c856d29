"""Readers' commands: /start [campaign], /subscribe, /unsubscribe, /help."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.handlers import texts
from bot.handlers.common import reply, runtime
from bot.services import readers
from bot.services.readers import Reader


def reader_of(update: Update) -> Reader:
    """The reader who sent ``update``."""
    user = update.effective_user
    chat = update.effective_chat
    assert chat is not None
    return Reader(
        chat_id=chat.id,
        username=user.username if user else None,
        first_name=user.first_name if user else None,
        language=user.language_code if user else None,
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome a reader; a deep-link payload is kept as the campaign that brought them."""
    newsbot = runtime(context)
    reader = reader_of(update)
    # A deep link's payload is one word; typed text after /start is not a campaign (the
    # service ignores anything that is not a valid payload).
    payload = " ".join(context.args) if context.args else None
    async with newsbot.db.session() as session, session.begin():
        row = await readers.start(session, reader, payload)
        subscribed = row.subscribed
    markup = None
    if not subscribed:
        button = InlineKeyboardButton(
            texts.SUBSCRIBE_BUTTON, callback_data=texts.SUBSCRIBE_CALLBACK
        )
        markup = InlineKeyboardMarkup([[button]])
    assert update.effective_message is not None
    await reply(
        context,
        update.effective_message,
        texts.welcome(reader.first_name, subscribed),
        reply_markup=markup,
    )


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe the reader to new articles."""
    async with runtime(context).db.session() as session, session.begin():
        new = await readers.subscribe(session, reader_of(update))
    assert update.effective_message is not None
    await reply(
        context, update.effective_message, texts.SUBSCRIBED if new else texts.ALREADY_SUBSCRIBED
    )


async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The welcome's Subscribe button: the same as /subscribe."""
    query = update.callback_query
    assert query is not None
    async with runtime(context).db.session() as session, session.begin():
        new = await readers.subscribe(session, reader_of(update))
    await query.answer("Subscribed" if new else "Already subscribed")
    await query.edit_message_text(texts.SUBSCRIBED if new else texts.ALREADY_SUBSCRIBED)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe the reader at once; nothing queued for them is sent any more."""
    async with runtime(context).db.session() as session, session.begin():
        was = await readers.unsubscribe(session, reader_of(update))
    assert update.effective_message is not None
    await reply(
        context, update.effective_message, texts.UNSUBSCRIBED if was else texts.NOT_SUBSCRIBED
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands; editors also see theirs."""
    user = update.effective_user
    is_editor = user is not None and user.id in runtime(context).settings.editor_ids
    assert update.effective_message is not None
    await reply(
        context, update.effective_message, texts.HELP + (texts.EDITOR_HELP if is_editor else "")
    )


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else in a private chat: point to /help."""
    assert update.effective_message is not None
    await reply(context, update.effective_message, texts.UNKNOWN)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reader blocked or unblocked the bot: stop or resume their deliveries at once."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
    async with runtime(context).db.session() as session, session.begin():
        if blocked:
            await readers.mark_unreachable(session, change.chat.id, "blocked the bot")
        else:
            await readers.mark_reachable(session, change.chat.id)
