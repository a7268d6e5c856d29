"""A reader's privacy commands: /pause [1d|1w|3h…], /resume, /forget (after a confirmation)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from babel.core import UnknownLocaleError
from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.handlers.common import reply, runtime, translator
from bot.handlers.readers import reader_of
from bot.i18n import Translator
from bot.services import privacy, readers
from bot.services.digests import zone_of
from bot.storage.models import Subscriber, utcnow

#: ``pause:<duration>``: a button of the /pause keyboard (``1d``, ``1w``, ``forever``).
PAUSE_CALLBACK = "pause"
#: ``forget:yes`` / ``forget:no``: the buttons under /forget's question.
FORGET_CALLBACK = "forget"
FOREVER = "forever"


# -- texts (English msgids; ``make messages`` extracts them) ---------------------------------


def pause_question(t: Translator) -> str:
    return t.gettext("For how long should I stop sending you articles?")


def pause_day_button(t: Translator) -> str:
    return t.gettext("1 day")


def pause_week_button(t: Translator) -> str:
    return t.gettext("1 week")


def pause_forever_button(t: Translator) -> str:
    return t.gettext("Until I send /resume")


def paused(t: Translator, when: str) -> str:
    # TRANSLATORS: {when} is a date and time such as "3 Dec, 14:00".
    return t.gettext(
        "Paused: you get no articles until {when}. /resume starts them again sooner.",
        when=when,
    )


def paused_until_resumed(t: Translator) -> str:
    return t.gettext("Paused: you get no articles until you send /resume.")


def paused_answer(t: Translator) -> str:
    # TRANSLATORS: the short notice shown when a pause button is pressed.
    return t.gettext("Paused")


def pause_not_understood(t: Translator, asked: str) -> str:
    return t.gettext(
        "I did not understand “{asked}”. Try /pause 1d, /pause 1w or /pause 3h (at most a "
        "year), or /pause alone to choose.",
        asked=escape(asked),
    )


def pause_not_subscribed(t: Translator) -> str:
    return t.gettext(
        "You are not subscribed, so I send you nothing anyway. /subscribe to get articles."
    )


def resumed(t: Translator) -> str:
    return t.gettext("Welcome back: new articles reach you again.")


def not_paused(t: Translator) -> str:
    return t.gettext("You were not paused: nothing changed.")


def forget_question(t: Translator) -> str:
    return t.gettext(
        "Shall I forget you? This deletes everything I keep about you: your subscriptions, "
        "your language and the record of what I sent you. It cannot be undone."
    )


def forget_yes_button(t: Translator) -> str:
    return t.gettext("Yes, forget me")


def forget_cancel_button(t: Translator) -> str:
    return t.gettext("Cancel")


def forgotten(t: Translator) -> str:
    return t.gettext(
        "Done: everything I kept about you is deleted, and I send you nothing more. "
        "To come back, send /start."
    )


def nothing_to_forget(t: Translator) -> str:
    return t.gettext("I keep nothing about you, so there was nothing to delete. /start to begin.")


def forget_cancelled(t: Translator) -> str:
    return t.gettext("Nothing changed: I keep everything as it was.")


# -- helpers ---------------------------------------------------------------------------------


def when_text(t: Translator, until: datetime, zone: ZoneInfo, now: datetime | None = None) -> str:
    """``until`` as a reader reads it, in ``zone`` and naming it: ``3 Dec, 14:00
    (Asia/Kolkata)`` (``3 Dec 2027, 14:00 …`` in another year), month names in ``t``'s
    language."""
    local = until.astimezone(zone)
    this_year = (now or utcnow()).astimezone(zone).year
    pattern = "d MMM, HH:mm" if local.year == this_year else "d MMM y, HH:mm"
    try:
        shown = format_datetime(local, pattern, tzinfo=zone, locale=t.language)
    except (UnknownLocaleError, ValueError):
        shown = format_datetime(local, pattern, tzinfo=zone, locale="en")
    return f"{shown} ({zone.key})"


def pause_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """1 day, 1 week, until I resume."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(pause_day_button(t), callback_data=f"{PAUSE_CALLBACK}:1d"),
                InlineKeyboardButton(pause_week_button(t), callback_data=f"{PAUSE_CALLBACK}:1w"),
            ],
            [
                InlineKeyboardButton(
                    pause_forever_button(t), callback_data=f"{PAUSE_CALLBACK}:{FOREVER}"
                )
            ],
        ]
    )


def forget_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Yes, forget me / Cancel."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(forget_yes_button(t), callback_data=f"{FORGET_CALLBACK}:yes"),
                InlineKeyboardButton(
                    forget_cancel_button(t), callback_data=f"{FORGET_CALLBACK}:no"
                ),
            ]
        ]
    )


async def _pause(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: str) -> str:
    """Pause the reader for ``asked`` (already understood); the reply, in their language."""
    duration = privacy.parse_duration(asked)
    newsbot = runtime(context)
    now = utcnow()
    async with newsbot.db.writing() as session:
        row = await readers.touch(session, reader_of(update))
        until = None
        if row.subscribed:
            until = await privacy.pause(
                session, row, None if duration is None else now + duration, now=now
            )
    t = await translator(update, context)
    if until is None:
        return pause_not_subscribed(t)
    if privacy.is_until_resumed(until):
        return paused_until_resumed(t)
    # The reader's own time zone (chosen with /digest), else the publisher's.
    zone = zone_of(row.timezone, newsbot.settings.zone)
    return paused(t, when_text(t, until, zone, now))


# -- handlers --------------------------------------------------------------------------------


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/pause``: the keyboard of durations; ``/pause 1d`` pauses at once."""
    message = update.effective_message
    assert message is not None
    asked = " ".join(context.args or []).strip()
    if not asked:
        t = await translator(update, context)
        async with runtime(context).db.session() as session:
            row = await session.get(Subscriber, message.chat_id)
        if row is None or not row.subscribed:  # no keyboard that would pause nothing
            await reply(context, message, pause_not_subscribed(t))
            return
        await reply(context, message, pause_question(t), reply_markup=pause_keyboard(t))
        return
    try:
        text = await _pause(update, context, asked)
    except ValueError:
        text = pause_not_understood(await translator(update, context), asked)
    await reply(context, message, text)


async def pause_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /pause keyboard (``pause:1d``). The message is edited before the press
    is answered: once answered, the reader sees the outcome."""
    query = update.callback_query
    assert query is not None
    _, _, asked = (query.data or "").partition(":")
    try:
        text = await _pause(update, context, asked)
    except ValueError:
        await query.answer()
        return
    await query.edit_message_text(text)
    t = await translator(update, context)
    # A reader who left meanwhile is told so in the message; the notice says "Paused" only
    # when something was.
    await query.answer(None if text == pause_not_subscribed(t) else paused_answer(t))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/resume``: articles reach the reader again; says whether they were paused."""
    async with runtime(context).db.writing() as session:
        row = await readers.touch(session, reader_of(update))
        was = await privacy.resume(session, row)
    t = await translator(update, context)
    assert update.effective_message is not None
    await reply(context, update.effective_message, resumed(t) if was else not_paused(t))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/forget``: ask first, with Yes and Cancel buttons (nothing is stored by asking); to a
    reader of whom nothing is stored, say so at once."""
    t = await translator(update, context)
    message = update.effective_message
    assert message is not None
    async with runtime(context).db.session() as session:
        known = await session.get(Subscriber, message.chat_id) is not None
    if not known:
        await reply(context, message, nothing_to_forget(t))
        return
    await reply(context, message, forget_question(t), reply_markup=forget_keyboard(t))


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The answer to /forget's question: ``forget:yes`` deletes the reader, ``forget:no``
    changes nothing."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None
    assert chat is not None
    # Before forgetting: the reader's chosen language goes with their row.
    t = await translator(update, context)
    if query.data != f"{FORGET_CALLBACK}:yes":
        await query.edit_message_text(forget_cancelled(t))
        await query.answer()
        return
    async with runtime(context).db.writing() as session:
        found = await privacy.forget(session, chat.id)
    await query.edit_message_text(forgotten(t) if found else nothing_to_forget(t))
    await query.answer()
