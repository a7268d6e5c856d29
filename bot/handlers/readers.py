"""Readers' commands: /start [campaign], /subscribe, /unsubscribe, /latest, /language [en|hi],
/help; an unknown /command and free text.

Updates are handled concurrently (:mod:`bot.update_order`), so each use case that writes opens
its own transaction with ``db.writing()``: on SQLite a transaction that reads and then writes
would otherwise fail when another reader's write landed in between.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.handlers import texts
from bot.handlers.common import reply, runtime, translator
from bot.i18n import LANGUAGES, Translator, supported, translator_for
from bot.services import articles, readers, subscriptions
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


def next_steps(t: Translator) -> list[InlineKeyboardButton]:
    """The Sections and Language buttons, under the welcome and a new subscription."""
    return [
        InlineKeyboardButton(texts.sections_button(t), callback_data=texts.SECTIONS_CALLBACK),
        InlineKeyboardButton(texts.language_button(t), callback_data=texts.LANGUAGE_CALLBACK),
    ]


def language_keyboard() -> InlineKeyboardMarkup:
    """One button per language, each named in itself."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=f"{texts.LANGUAGE_CALLBACK}:{code}")
                for code, name in LANGUAGES.items()
            ]
        ]
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome a reader; from a campaign link (``/start poster-metro``), subscribe them at once
    with an Undo button, and keep the campaign that brought them."""
    newsbot = runtime(context)
    reader = reader_of(update)
    # A deep link's payload is one word; typed text after /start is not a campaign.
    campaign = readers.campaign_of(" ".join(context.args) if context.args else None)
    async with newsbot.db.writing() as session:
        if campaign is not None:
            joined = await readers.join(session, reader, campaign)
            subscribed = True
        else:
            joined = False
            subscribed = (await readers.start(session, reader, None)).subscribed
    t = await translator(update, context)
    name = readers.clean_text(reader.first_name)
    assert update.effective_message is not None
    if joined:
        undo = InlineKeyboardButton(texts.undo_button(t), callback_data=texts.UNDO_CALLBACK)
        await reply(
            context,
            update.effective_message,
            texts.joined(t, name),
            reply_markup=InlineKeyboardMarkup([[undo]]),
        )
        return
    buttons = next_steps(t)
    if not subscribed:
        subscribe = InlineKeyboardButton(
            texts.subscribe_button(t), callback_data=texts.SUBSCRIBE_CALLBACK
        )
        buttons.insert(0, subscribe)
    settings = newsbot.settings
    await reply(
        context,
        update.effective_message,
        texts.welcome(
            t,
            name,
            subscribed,
            publisher=settings.publisher_name,
            custom=settings.welcome_text(t.language),
        ),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Subscribe the reader to new articles."""
    async with runtime(context).db.writing() as session:
        new = await readers.subscribe(session, reader_of(update))
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(
        context,
        update.effective_message,
        texts.subscribed(t) if new else texts.already_subscribed(t),
    )


async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The welcome's Subscribe button: the same as /subscribe."""
    query = update.callback_query
    assert query is not None
    async with runtime(context).db.writing() as session:
        new = await readers.subscribe(session, reader_of(update))
    t = await translator(update, context)
    # What a new subscriber wants next stays at hand: the sections and the language. The
    # message is edited before the press is answered: once answered, the reader sees it.
    await query.edit_message_text(
        texts.subscribed(t) if new else texts.already_subscribed(t),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([next_steps(t)]),
    )
    await query.answer(texts.subscribed_answer(t, new))


async def undo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Undo button under a campaign's "you are subscribed": the same as /unsubscribe."""
    query = update.callback_query
    assert query is not None
    async with runtime(context).db.writing() as session:
        was = await readers.unsubscribe(session, reader_of(update))
    t = await translator(update, context)
    await query.edit_message_text(texts.unsubscribed(t) if was else texts.not_subscribed(t))
    await query.answer(texts.unsubscribed_answer(t))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Unsubscribe the reader at once; nothing queued for them is sent any more."""
    async with runtime(context).db.writing() as session:
        was = await readers.unsubscribe(session, reader_of(update))
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(
        context,
        update.effective_message,
        texts.unsubscribed(t) if was else texts.not_subscribed(t),
    )


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/language``: the keyboard of languages; ``/language hi`` chooses Hindi at once."""
    message = update.effective_message
    assert message is not None
    asked = " ".join(context.args or []).strip()
    code = supported(asked)
    if code is None:
        t = await translator(update, context)
        text = texts.unknown_language(t, asked) if asked else texts.choose_language(t)
        await reply(context, message, text, reply_markup=language_keyboard())
        return
    async with runtime(context).db.writing() as session:
        await readers.choose_language(session, reader_of(update), code)
    await reply(context, message, texts.language_set(translator_for(code)))


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /language keyboard (``language:hi``), or the welcome's Language button
    (``language``), which opens the keyboard."""
    query = update.callback_query
    assert query is not None
    _, _, asked = (query.data or "").partition(":")
    code = supported(asked)
    if code is None:
        t = await translator(update, context)
        await query.answer()
        assert update.effective_message is not None
        await reply(
            context,
            update.effective_message,
            texts.choose_language(t),
            reply_markup=language_keyboard(),
        )
        return
    async with runtime(context).db.writing() as session:
        await readers.choose_language(session, reader_of(update), code)
    t = translator_for(code)
    await query.edit_message_text(texts.language_set(t))
    await query.answer(texts.language_answer(t))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the commands; editors also see theirs."""
    user = update.effective_user
    is_editor = user is not None and user.id in runtime(context).settings.editor_ids
    t = await translator(update, context)
    assert update.effective_message is not None
    publisher = runtime(context).settings.publisher_name
    help_text = texts.help_text(t, editor=is_editor, publisher=publisher)
    await reply(context, update.effective_message, help_text)


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The last five published articles of the reader's editions (not subscribed: of the
    edition in their language) as one message of links."""
    newsbot = runtime(context)
    reader = reader_of(update)
    async with newsbot.db.session() as session:
        editions = list(await subscriptions.following(session, reader.chat_id))
        if not editions:
            language = await readers.language_of(
                session, reader.chat_id, reader.language, newsbot.editions.default.language
            )
            editions = [newsbot.editions.for_language(language).id]
        found = [(a.title, a.link) for a in await articles.latest(session, 5, editions)]
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(
        context,
        update.effective_message,
        texts.latest(t, found),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /command the bot does not know: the list of those it does."""
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(context, update.effective_message, texts.command_list(t))


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else in a private chat: point to /help, at most once an hour per reader."""
    async with runtime(context).db.writing() as session:
        due = await readers.hint_due(session, reader_of(update))
    if not due:
        return
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(context, update.effective_message, texts.unknown(t))


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reader blocked or unblocked the bot: stop or resume their deliveries at once."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    blocked = change.new_chat_member.status == ChatMemberStatus.BANNED
    async with runtime(context).db.writing() as session:
        if blocked:
            await readers.mark_unreachable(session, change.chat.id, "blocked")
        else:
            await readers.mark_reachable(session, change.chat.id)
