"""``/sections``: a keyboard of what a reader follows — each edition as a whole and each of its
sections, a tick on what is on — that changes the subscription at the first tap.

::

    sec:e:<edition_id>    the edition as a whole: ticked when any of it is followed; a tap
                          stops it then, else follows all of it
    sec:s:<section_id>    one section on or off (the last one off stops the edition)
    sections              the welcome's Sections button: send the keyboard

A button of an edition no longer configured or a section removed meanwhile gets a polite
answer and the keyboard as it is now, never an error. The texts are at the top of this module
(``make messages`` extracts them with the rest).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.handlers.common import reply, runtime, translator
from bot.handlers.readers import reader_of
from bot.i18n import LANGUAGES, Translator
from bot.services import readers, sections, subscriptions
from bot.services.editions import EditionInfo
from bot.services.subscriptions import Following
from bot.storage.models import Section, Subscriber

log = logging.getLogger(__name__)

#: The welcome's Sections button.
SECTIONS_CALLBACK: Final = "sections"
#: ``sec:e:<edition_id>`` and ``sec:s:<section_id>``: the buttons of the keyboard.
TOGGLE_CALLBACK: Final = "sec"
_TOGGLE = re.compile(r"sec:([es]):([0-9]{1,9})")
ON, OFF = "✅", "◻️"


# -- texts ------------------------------------------------------------------------------------


def sections_intro(t: Translator) -> str:
    return t.gettext(
        "Choose what you get: a whole edition, or only some of its sections. "
        "Tap a button to switch it on or off; it changes at once."
    )


def edition_button(t: Translator, language: str, on: bool) -> str:
    # TRANSLATORS: a button; {mark} is a tick or an empty box, {language} e.g. "English".
    return t.gettext("{mark} {language} edition", mark=ON if on else OFF, language=language)


def section_button(name: str, on: bool) -> str:
    """A section's button: its name as the editors wrote it, after a tick or an empty box."""
    return f"{ON if on else OFF} {name}"


def followed_answer(t: Translator, language: str) -> str:
    return t.gettext("You now follow the whole {language} edition.", language=language)


def unfollowed_answer(t: Translator, language: str) -> str:
    return t.gettext("You no longer follow the {language} edition.", language=language)


def section_on_answer(t: Translator, name: str) -> str:
    return t.gettext("{section}: on", section=name)


def section_off_answer(t: Translator, name: str) -> str:
    return t.gettext("{section}: off", section=name)


def section_muted_answer(t: Translator, name: str, language: str) -> str:
    """A section muted in an edition followed as a whole: the rest still comes."""
    return t.gettext(
        "{section}: off. The rest of the {language} edition still comes.",
        section=name,
        language=language,
    )


def nothing_followed_answer(t: Translator, language: str) -> str:
    """The last edition switched off: the reader now gets nothing, and how to change that."""
    return t.gettext(
        "You no longer follow the {language} edition, so nothing comes now. "
        "Tap an edition to follow it again.",
        language=language,
    )


def last_section_off_answer(t: Translator, name: str, language: str) -> str:
    return t.gettext(
        "{section}: off. You no longer follow the {language} edition.",
        section=name,
        language=language,
    )


def stale_answer(t: Translator) -> str:
    return t.gettext("That choice is no longer there; here is what you can choose now.")


# -- the keyboard -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionChoice:
    """One section as the keyboard shows it (no ORM object, safe across sessions)."""

    id: int
    edition_id: int
    name: str

    @classmethod
    def of(cls, row: Section) -> SectionChoice:
        return cls(row.id, row.edition_id, row.name)


def language_name(edition: EditionInfo) -> str:
    """An edition named by its language, in that language (``हिंदी``); else its code (``PT-BR``)."""
    return LANGUAGES.get(edition.language) or LANGUAGES.get(edition.code) or edition.code.upper()


def build_keyboard(
    t: Translator,
    editions: Sequence[EditionInfo],
    choices: Sequence[SectionChoice],
    follows: Mapping[int, Following],
) -> InlineKeyboardMarkup:
    """Per edition a row with the edition's button, then its sections two to a row."""
    rows: list[list[InlineKeyboardButton]] = []
    for edition in editions:
        current = follows.get(edition.id)
        rows.append(
            [
                InlineKeyboardButton(
                    edition_button(t, language_name(edition), current is not None),
                    callback_data=f"{TOGGLE_CALLBACK}:e:{edition.id}",
                )
            ]
        )
        buttons = [
            InlineKeyboardButton(
                section_button(choice.name, current is not None and current.follows(choice.id)),
                callback_data=f"{TOGGLE_CALLBACK}:s:{choice.id}",
            )
            for choice in choices
            if choice.edition_id == edition.id
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(rows)


async def sections_keyboard(
    session: AsyncSession, editions: Sequence[EditionInfo], chat_id: int, t: Translator
) -> InlineKeyboardMarkup:
    """The /sections keyboard of ``chat_id`` over the (configured) ``editions``, as stored now."""
    ids = {edition.id for edition in editions}
    choices = [SectionChoice.of(row) for row in await sections.list_sections(session)]
    follows = await subscriptions.following(session, chat_id)
    return build_keyboard(t, editions, [c for c in choices if c.edition_id in ids], follows)


def parse_toggle(data: str | None) -> tuple[str, int] | None:
    """``("e", 3)`` for ``sec:e:3``, ``("s", 7)`` for ``sec:s:7``; None for anything else."""
    match = _TOGGLE.fullmatch(data or "")
    return (match.group(1), int(match.group(2))) if match else None


# -- handlers ---------------------------------------------------------------------------------


async def _send_keyboard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    newsbot = runtime(context)
    reader = reader_of(update)
    editions = newsbot.editions.configured
    t = await translator(update, context)
    async with newsbot.db.writing() as session:
        await readers.touch(session, reader)
        keyboard = await sections_keyboard(session, editions, reader.chat_id, t)
    assert update.effective_message is not None
    await reply(
        context,
        update.effective_message,
        sections_intro(t),
        reply_markup=keyboard,
    )


async def sections_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/sections``: the keyboard of editions and sections, ticks on what the reader follows."""
    await _send_keyboard(update, context)


async def sections_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The welcome's Sections button (``sections``): the same keyboard as /sections."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _send_keyboard(update, context)


async def _apply(
    session: AsyncSession,
    row: Subscriber,
    asked: tuple[str, int] | None,
    editions: Mapping[int, EditionInfo],
    t: Translator,
) -> str | None:
    """Carry out the button ``asked``; its answer, or None when it names nothing there is."""
    if asked is None:
        return None
    kind, number = asked
    if kind == "e":
        edition = editions.get(number)
        if edition is None:
            return None
        if (await subscriptions.following(session, row.chat_id)).get(edition.id):
            await subscriptions.unfollow(session, row, edition.id)
            if not row.subscribed:
                return nothing_followed_answer(t, language_name(edition))
            return unfollowed_answer(t, language_name(edition))
        await subscriptions.follow(session, row, edition.id)
        return followed_answer(t, language_name(edition))
    section = await session.get(Section, number)
    if section is None or section.edition_id not in editions:
        return None
    now = await subscriptions.toggle_section(session, row, section.edition_id, section.id)
    if now is None:
        return last_section_off_answer(t, section.name, language_name(editions[section.edition_id]))
    if now.follows(section.id):
        return section_on_answer(t, section.name)
    if now.sections is None:
        language = language_name(editions[section.edition_id])
        return section_muted_answer(t, section.name, language)
    return section_off_answer(t, section.name)


async def toggle_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the keyboard (``sec:e:<id>``, ``sec:s:<id>``): change the subscription,
    answer in a few words and redraw the keyboard in place."""
    query = update.callback_query
    assert query is not None
    newsbot = runtime(context)
    reader = reader_of(update)
    editions = newsbot.editions.configured
    t = await translator(update, context)
    async with newsbot.db.writing() as session:
        row = await readers.touch(session, reader)
        answer = await _apply(
            session, row, parse_toggle(query.data), {e.id: e for e in editions}, t
        )
        keyboard = await sections_keyboard(session, editions, reader.chat_id, t)
    if answer is None:
        log.info("stale sections button chat_id=%s data=%r", reader.chat_id, query.data)
    message = query.message
    if not isinstance(message, Message):  # too old to edit: send the keyboard anew
        await context.bot.send_message(reader.chat_id, sections_intro(t), reply_markup=keyboard)
    elif message.reply_markup != keyboard:  # Telegram refuses an edit that changes nothing
        await query.edit_message_reply_markup(reply_markup=keyboard)
    await query.answer(answer or stale_answer(t))
