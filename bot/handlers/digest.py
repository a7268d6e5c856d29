"""``/digest``: each article as it is published, or one digest a day at the reader's hour.

``/digest`` shows the current choice with a keyboard (Instant, and a few hours);
``/digest 19``, ``/digest 7:00`` choose any hour (0-23) at once, ``/digest 8 Europe/London``
also the reader's time zone (else the publisher's TIMEZONE), ``/digest instant`` (or ``off``)
goes back: what was held for the reader's digest comes at once, as a digest. Articles already
queued for a reader when they choose a digest still go out. Each choice is one write
transaction (``Database.writing``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.config import find_zone
from bot.handlers.common import reply, runtime, translator
from bot.handlers.readers import reader_of
from bot.i18n import Translator
from bot.services import digests, readers

#: The callback data of the keyboard's buttons: ``digest:instant``, ``digest:8``.
DIGEST_CALLBACK = "digest"
#: The hours the keyboard offers (any other is one ``/digest 19`` away).
HOURS = (7, 8, 12, 18, 21)
_HOUR = re.compile(r"(\d{1,2})(?:[:.]00)?")
_INSTANT = {"instant", "off"}


# -- texts ---------------------------------------------------------------------------------


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


def instant_button(t: Translator) -> str:
    # TRANSLATORS: the /digest button that sends each article as soon as it is published.
    return t.gettext("Instant")


def status(t: Translator, hour: int | None, zone: str) -> str:
    """What ``/digest`` says before its keyboard."""
    if hour is None:
        return t.gettext(
            "You get each article as soon as it is published. Choose an hour for one digest a"
            " day instead:"
        )
    return t.gettext(
        "Your digest comes every day at {time} ({zone}). Choose another hour, or Instant:",
        time=_clock(hour),
        zone=escape(zone),
    )


def digest_set(t: Translator, hour: int, zone: str, today: bool) -> str:
    """The confirmation of a digest hour, with when the first (next) one comes."""
    if today:
        return t.gettext(
            "Done: your digest comes every day at {time} ({zone}), the first one today. Articles"
            " no longer come one by one.",
            time=_clock(hour),
            zone=escape(zone),
        )
    return t.gettext(
        "Done: your digest comes every day at {time} ({zone}), the first one tomorrow. Articles"
        " no longer come one by one.",
        time=_clock(hour),
        zone=escape(zone),
    )


def instant_set(t: Translator) -> str:
    return t.gettext("Done: each article comes to you as soon as it is published.")


def digest_answer(t: Translator) -> str:
    """The short notice on a /digest button once pressed."""
    return t.gettext("Saved")


def bad_hour(t: Translator, asked: str) -> str:
    return t.gettext(
        "“{asked}” is not an hour. Send /digest 8 or /digest 19:00 (an hour from 0 to 23), or"
        " choose:",
        asked=escape(asked[:32]),
    )


def bad_zone(t: Translator, asked: str) -> str:
    return t.gettext(
        "“{asked}” is not a time zone I know. Use a name such as Asia/Kolkata or Europe/London:"
        " /digest 8 Europe/London",
        asked=escape(asked[:64]),
    )


def not_subscribed(t: Translator) -> str:
    return t.gettext(
        "You are not subscribed yet: send /subscribe first, then choose when your digest comes."
    )


# -- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """What ``/digest …`` asked for: ``hour`` ``None`` for instant; ``problem`` if unreadable."""

    hour: int | None = None
    timezone: str | None = None
    problem: str | None = None  # "hour" or "zone"
    asked: str = ""


def parse(args: list[str]) -> Choice | None:
    """The choice in ``/digest``'s words; ``None`` when there are none (show the keyboard)."""
    if not args:
        return None
    first = args[0].strip()
    if first.casefold() in _INSTANT and len(args) == 1:
        return Choice()
    match = _HOUR.fullmatch(first)
    if match is None or int(match.group(1)) > 23:
        return Choice(problem="hour", asked=" ".join(args))
    hour = int(match.group(1))
    if len(args) == 1:
        return Choice(hour)
    name = " ".join(args[1:]).strip()
    if find_zone(name) is None:
        return Choice(problem="zone", asked=name)
    return Choice(hour, name)


def keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Instant, then the hours of :data:`HOURS`."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(instant_button(t), callback_data=f"{DIGEST_CALLBACK}:instant")],
            [
                InlineKeyboardButton(_clock(hour), callback_data=f"{DIGEST_CALLBACK}:{hour}")
                for hour in HOURS
            ],
        ]
    )


# -- handlers ------------------------------------------------------------------------------


async def _apply(update: Update, context: ContextTypes.DEFAULT_TYPE, choice: Choice) -> str:
    """Make ``choice`` the reader's, in one write transaction; the reply that says what comes
    next. Leaving the digest queues what was held as a digest and kicks the outbox."""
    newsbot = runtime(context)
    default_zone = newsbot.settings.zone
    now = next_at = newsbot.clock()
    left_digest = False
    async with newsbot.db.writing() as session:
        row = await readers.touch(session, reader_of(update))
        subscribed = row.subscribed
        if subscribed and choice.hour is None:
            left_digest = await digests.choose_instant(
                session,
                row,
                now,
                default_zone=default_zone,
                default_language=newsbot.editions.default.language,
            )
        elif subscribed and choice.hour is not None:
            next_at = await digests.choose_hour(
                session, row, choice.hour, now, default_zone=default_zone, timezone=choice.timezone
            )
        zone_name = row.timezone or newsbot.settings.timezone
    if left_digest:
        newsbot.kick()  # the digest of what was held goes now
    t = await translator(update, context)
    if not subscribed:
        return not_subscribed(t)
    if choice.hour is None:
        return instant_set(t)
    zone = digests.zone_of(zone_name, default_zone)
    return digest_set(t, choice.hour, zone_name, _same_day(next_at, now, zone))


def _same_day(at: datetime, now: datetime, zone: ZoneInfo) -> bool:
    return at <= now or at.astimezone(zone).date() == now.astimezone(zone).date()


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/digest [hour [time zone] | instant]``: show the choice, or make it."""
    message = update.effective_message
    assert message is not None
    choice = parse(list(context.args or []))
    if choice is None or choice.problem is not None:
        newsbot = runtime(context)
        async with newsbot.db.writing() as session:
            row = await readers.touch(session, reader_of(update))
            hour, zone, subscribed = row.digest_hour, row.timezone, row.subscribed
        t = await translator(update, context)
        if choice is not None and choice.problem == "zone":
            await reply(context, message, bad_zone(t, choice.asked))
        elif not subscribed:
            await reply(context, message, not_subscribed(t))
        else:
            text = (
                bad_hour(t, choice.asked)
                if choice is not None
                else status(t, hour, zone or newsbot.settings.timezone)
            )
            await reply(context, message, text, reply_markup=keyboard(t))
        return
    await reply(context, message, await _apply(update, context, choice))


async def digest_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /digest keyboard: ``digest:instant`` or ``digest:<hour>``."""
    query = update.callback_query
    assert query is not None
    _, _, asked = (query.data or "").partition(":")
    choice = parse([asked]) if asked else None
    if choice is None or choice.problem is not None:
        await query.answer()
        return
    text = await _apply(update, context, choice)
    # Edited before the press is answered: once answered, the reader sees the outcome.
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)
    await query.answer(digest_answer(await translator(update, context)))
