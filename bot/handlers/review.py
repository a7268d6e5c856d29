"""What an editor sees of a send: the post exactly as readers get it (the outbox's own
:func:`~bot.posting.send_post`), and under it a control message with the send's state and its
buttons (Publish, Edit summary, Change edition, Schedule, Breaking, Cancel; Publish and Skip
for an article awaiting approval). Texts, keyboards and sending; the handlers that act on the
buttons are in :mod:`bot.handlers.editors`."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.errors import AlreadyPostedError, SendStateError
from bot.handlers.callback_data import Callback
from bot.i18n import Translator
from bot.posting import Pictures, send_post
from bot.quiet_hours import QuietHours
from bot.schedule_times import choices, local_label
from bot.services.editions import EditionInfo, Editions
from bot.storage.models import Article, Send, SendStatus

PUBLISH = Callback("pub", int)
EDIT_SUMMARY = Callback("edsum", int)
EDITIONS = Callback("edn", int)
SET_EDITION = Callback("ednset", int, int)
SCHEDULE = Callback("sch", int)
SCHEDULE_AT = Callback("schat", int, int)  # send id, the time (Unix seconds)
BREAKING = Callback("brk", int)
CANCEL = Callback("can", int)
UNSCHEDULE = Callback("uns", int)  # Cancel from the /scheduled list
DESCHEDULE = Callback("desch", int)  # Cancel schedule: back to the preview
SKIP = Callback("skip", int)
BACK = Callback("back", int)
#: the buttons whose only value is the send's id.
ONE_VALUE = (
    PUBLISH, EDIT_SUMMARY, EDITIONS, SCHEDULE, BREAKING, CANCEL, UNSCHEDULE, DESCHEDULE, SKIP, BACK
)  # fmt: skip
#: the buttons with the send's id and one more value.
TWO_VALUES = (SET_EDITION, SCHEDULE_AT)

#: The longest summary an editor may write (a post's lead is a few sentences).
SUMMARY_LIMIT = 1500


def when(t: Translator, moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``today at 18:00 IST``, ``tomorrow at 07:00 IST`` or ``on 2026-12-05 07:00 IST``."""
    day, clock = local_label(moment, now, zone)
    if day == "today":
        return t.gettext("today at {time}", time=clock)
    if day == "tomorrow":
        return t.gettext("tomorrow at {time}", time=clock)
    return t.gettext("on {time}", time=clock)


def _where(t: Translator, edition: EditionInfo | None) -> str:
    if edition is None or not edition.channel:
        return t.gettext(
            "the readers of the {edition} edition", edition=edition.code if edition else "?"
        )
    return t.gettext(
        "{channel} and the readers of the {edition} edition",
        channel=escape(edition.channel),
        edition=escape(edition.code),
    )


def control_text(
    t: Translator,
    send: Send,
    article: Article,
    edition: EditionInfo | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    quiet: QuietHours | None = None,
) -> str:
    """The control message of a send an editor is deciding on (or has decided); a line says
    when its channel post would go out without a sound (in ``quiet`` hours, not Breaking)."""
    title = escape(article.title)
    where = _where(t, edition)
    if send.status == SendStatus.AWAITING:
        head = t.gettext(
            "<b>Waiting for approval:</b> {title}\nIt goes to {where} once an editor publishes it.",
            title=title,
            where=where,
        )
    elif send.status == SendStatus.SCHEDULED and send.not_before is not None:
        head = t.gettext(
            "<b>Scheduled</b> {when}: {title}\nIt goes to {where}.",
            when=when(t, send.not_before, now, zone),
            title=title,
            where=where,
        )
    else:
        head = t.gettext(
            "<b>Preview</b> of {title} (above, as readers will see it).\nPublish sends it to "
            "{where}.",
            title=title,
            where=where,
        )
    if send.breaking:
        head += "\n" + t.gettext("🔴 Breaking: the channel post rings even in quiet hours.")
    elif quiet is not None and quiet.contains(send.not_before or now, zone):
        head += "\n" + t.gettext(
            "🔕 That is in the quiet hours ({hours}): the channel post goes out without a sound"
            " unless it is marked as breaking.",
            hours=str(quiet),
        )
    return head


def draft_keyboard(t: Translator, send: Send, editions: Editions) -> InlineKeyboardMarkup:
    """Publish, Edit summary, Change edition (with several editions), Schedule, Breaking,
    Cancel; Publish and Skip for a send awaiting approval; Cancel for a scheduled one."""
    send_id = send.id
    breaking = t.gettext("Breaking: on") if send.breaking else t.gettext("Mark as breaking")
    if send.status == SendStatus.SCHEDULED:
        rows = [
            [InlineKeyboardButton(t.gettext("Publish now"), callback_data=PUBLISH.encode(send_id))],
            [
                InlineKeyboardButton(
                    t.gettext("Change time"), callback_data=SCHEDULE.encode(send_id)
                ),
                InlineKeyboardButton(
                    t.gettext("Cancel schedule"), callback_data=DESCHEDULE.encode(send_id)
                ),
            ],
        ]
        return InlineKeyboardMarkup(rows)
    if send.status == SendStatus.AWAITING:
        rows = [
            [
                InlineKeyboardButton(t.gettext("Publish"), callback_data=PUBLISH.encode(send_id)),
                InlineKeyboardButton(t.gettext("Skip"), callback_data=SKIP.encode(send_id)),
            ],
            [
                InlineKeyboardButton(
                    t.gettext("Edit summary"), callback_data=EDIT_SUMMARY.encode(send_id)
                ),
                InlineKeyboardButton(breaking, callback_data=BREAKING.encode(send_id)),
            ],
        ]
        return InlineKeyboardMarkup(rows)
    second = [
        InlineKeyboardButton(t.gettext("Edit summary"), callback_data=EDIT_SUMMARY.encode(send_id))
    ]
    if len(editions.configured) > 1:
        second.append(
            InlineKeyboardButton(
                t.gettext("Change edition"), callback_data=EDITIONS.encode(send_id)
            )
        )
    rows = [
        [InlineKeyboardButton(t.gettext("Publish"), callback_data=PUBLISH.encode(send_id))],
        second,
        [
            InlineKeyboardButton(t.gettext("Schedule"), callback_data=SCHEDULE.encode(send_id)),
            InlineKeyboardButton(breaking, callback_data=BREAKING.encode(send_id)),
        ],
        # TRANSLATORS: throws the pushed article away: nothing is sent.
        [InlineKeyboardButton(t.gettext("Discard"), callback_data=CANCEL.encode(send_id))],
    ]
    return InlineKeyboardMarkup(rows)


def editions_keyboard(
    t: Translator, send_id: int, editions: Editions, current: int | None
) -> InlineKeyboardMarkup:
    """One button per configured edition (the current one ticked), and Back."""
    rows = [
        [
            InlineKeyboardButton(
                ("✓ " if edition.id == current else "")
                + (f"{edition.code} · {edition.channel}" if edition.channel else edition.code),
                callback_data=SET_EDITION.encode(send_id, edition.id),
            )
        ]
        for edition in editions.configured
    ]
    rows.append([InlineKeyboardButton(t.gettext("Back"), callback_data=BACK.encode(send_id))])
    return InlineKeyboardMarkup(rows)


def schedule_keyboard(
    t: Translator, send_id: int, now: datetime, zone: ZoneInfo
) -> InlineKeyboardMarkup:
    """Today's and tomorrow's times, two a row, and Back."""
    buttons = []
    for moment in choices(now, zone):
        day, clock = local_label(moment, now, zone)
        clock = clock.rsplit(" ", 1)[0] if " " in clock else clock
        label = (
            t.gettext("Today {time}", time=clock)
            if day == "today"
            else t.gettext("Tomorrow {time}", time=clock)
        )
        buttons.append(
            InlineKeyboardButton(
                label, callback_data=SCHEDULE_AT.encode(send_id, int(moment.timestamp()))
            )
        )
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t.gettext("Back"), callback_data=BACK.encode(send_id))])
    return InlineKeyboardMarkup(rows)


def refusal(
    t: Translator, exc: SendStateError | AlreadyPostedError, now: datetime, zone: ZoneInfo
) -> str:
    """Why a button no longer applies: who decided, when and where it went."""
    if isinstance(exc, AlreadyPostedError):
        if exc.at is not None:
            return t.gettext(
                "Not sent again: this article went out {when} to {channel}.",
                when=when(t, exc.at, now, zone),
                channel=escape(exc.channel or "—"),
            )
        return t.gettext("Not sent again: this article went out before.")
    by = escape(exc.by) if exc.by else t.gettext("an editor")
    if exc.status in (SendStatus.QUEUED, SendStatus.DONE):
        if exc.at is not None:
            return t.gettext(
                "Already published by {by} {when} to {channel}.",
                by=by,
                when=when(t, exc.at, now, zone),
                channel=escape(exc.channel or "—"),
            )
        return t.gettext("Already published by {by}.", by=by)
    if exc.status == SendStatus.SCHEDULED and exc.at is not None:
        return t.gettext(
            "Already scheduled by {by} for {when}.", by=by, when=when(t, exc.at, now, zone)
        )
    if exc.status == SendStatus.CANCELLED:
        return t.gettext("Cancelled by {by}: nothing was sent.", by=by)
    if exc.status == SendStatus.SKIPPED:
        return t.gettext("Skipped by {by}: it was not published.", by=by)
    return t.gettext("This preview is no longer open.")


def decided_text(t: Translator, send: Send, article: Article, now: datetime, zone: ZoneInfo) -> str:
    """A review message once the send is decided: what happened, by whom."""
    title = escape(article.title)
    by = escape(send.decided_by_name) if send.decided_by_name else t.gettext("an editor")
    if send.status == SendStatus.SKIPPED:
        return t.gettext("<b>Skipped</b> by {by}: {title}", by=by, title=title)
    if send.status == SendStatus.CANCELLED:
        return t.gettext("<b>Cancelled</b> by {by}: {title}. Nothing was sent.", by=by, title=title)
    if send.status == SendStatus.SCHEDULED and send.not_before is not None:
        return t.gettext(
            "<b>Scheduled</b> by {by} {when}: {title}",
            by=by,
            when=when(t, send.not_before, now, zone),
            title=title,
        )
    return t.gettext("<b>Published</b> by {by}: {title}", by=by, title=title)


def delivering_text(t: Translator, article: Article, readers: int, channel: str | None) -> str:
    """The control message right after Publish, until the progress report takes over."""
    if channel:
        return t.ngettext(
            "<b>Publishing</b> {title} to {channel} and {count} reader…",
            "<b>Publishing</b> {title} to {channel} and {count} readers…",
            readers,
            title=escape(article.title),
            channel=escape(channel),
            count=readers,
        )
    return t.ngettext(
        "<b>Publishing</b> {title} to {count} reader…",
        "<b>Publishing</b> {title} to {count} readers…",
        readers,
        title=escape(article.title),
        count=readers,
    )


async def send_preview(
    bot: ExtBot[Any], chat_id: int, article: Article, pictures: Pictures | None
) -> Message:
    """The article's post, exactly as the channel gets it (the same code as the outbox)."""
    return await send_post(
        bot,
        chat_id,
        article.post_html or escape(article.title),
        article.image,
        pictures,
        style=article.post_style,
        file_id=article.image_file_id,
        rate_limit_args=2,
    )


async def send_control(
    bot: ExtBot[Any],
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> Message:
    """The control message under a preview."""
    return await bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard, rate_limit_args=2
    )
