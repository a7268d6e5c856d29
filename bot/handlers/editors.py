"""Editors' commands and buttons: /push URL [edition] [at HH:MM] answers with the post exactly as
readers will see it and a control message (Publish, Edit summary, Change edition, Schedule,
Breaking, Cancel); /scheduled lists what waits for its time; /preview URL shows a post and
stores nothing. Every command and every press checks the editor's role
(:func:`~bot.handlers.access.require_editor`); the moves themselves are
:mod:`bot.services.sends`'s."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from html import escape
from typing import cast

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, ExtBot

from bot.errors import AlreadyPostedError, NewsbotError, SendStateError
from bot.formatting import render_article
from bot.handlers import review, texts
from bot.handlers.access import require_editor
from bot.handlers.common import REPLY_RETRIES, reply, runtime, translator
from bot.i18n import Translator
from bot.posting import send_post
from bot.quiet_hours import parse_clock
from bot.schedule_times import next_occurrence
from bot.services import sends
from bot.services.push import draft_of, draft_push, edition_named, read_page, rewrite_draft
from bot.storage.models import EditorPrompt, SendStatus

log = logging.getLogger(__name__)

#: The callbacks of a send's control message, dispatched by :func:`review_button`.
REVIEW_PATTERN = "^(" + "|".join(c.prefix for c in (*review.ONE_VALUE, *review.TWO_VALUES)) + "):"
#: The latest a Schedule button may name (the keyboard offers today and tomorrow).
SCHEDULE_HORIZON = timedelta(days=7)
#: How long an Edit summary prompt waits for the editor's text (seconds).
PROMPT_MAX_AGE = 3600


def _push_usage(t: Translator, codes: list[str]) -> str:
    return (
        texts.push_usage(t, codes)
        + "\n"
        + t.gettext("To send it later, add the time: /push URL at 18:00 (the newsroom's time).")
    )


def _summary_prompt(t: Translator) -> str:
    return t.gettext(
        "Send me the new summary as your next message (plain text, up to {limit} characters). "
        "Send /cancel to keep the current one.",
        limit=review.SUMMARY_LIMIT,
    )


def _summary_too_long(t: Translator) -> str:
    return t.gettext(
        "That summary is too long: please keep it to {limit} characters at most.",
        limit=review.SUMMARY_LIMIT,
    )


def _nothing_scheduled(t: Translator) -> str:
    return t.gettext("Nothing is scheduled.")


def _bad_time(t: Translator, text: str) -> str:
    return t.gettext(
        "“{text}” is not a time of day: write it as 18:00 (the newsroom's time).",
        text=escape(text[:16]),
    )


def _parse_push_args(args: list[str]) -> tuple[str, str | None, str | None] | None:
    """``URL [CODE] [at HH:MM]`` → (url, edition code, time text); ``None`` for bad usage."""
    if not args:
        return None
    url, rest = args[0], [a for a in args[1:]]
    at = None
    if "at" in [a.lower() for a in rest]:
        index = [a.lower() for a in rest].index("at")
        if index + 1 >= len(rest):
            return None
        at = rest[index + 1]
        rest = rest[:index] + rest[index + 2 :]
    if len(rest) > 1:
        return None
    return url, (rest[0] if rest else None), at


async def push(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store the article at URL as a draft and show the editor its post and its buttons; with
    ``at HH:MM``, schedule it at once."""
    if not await require_editor(update, context):
        return
    message, user = update.effective_message, update.effective_user
    assert message is not None
    assert user is not None
    newsbot = runtime(context)
    t = await translator(update, context)
    parsed = _parse_push_args(list(context.args or []))
    if parsed is None:
        codes = [edition.code for edition in newsbot.editions.configured]
        await reply(context, message, _push_usage(t, codes))
        return
    url, edition, at_text = parsed
    at = None
    if at_text is not None:
        clock = parse_clock(at_text)
        if clock is None:
            await reply(context, message, _bad_time(t, at_text))
            return
        at = next_occurrence(clock, newsbot.clock(), newsbot.settings.zone)
    try:
        drafted = await draft_push(
            newsbot.db,
            newsbot.fetcher,
            url,
            edition=edition,
            parser=newsbot.parser,
            options=newsbot.post_options,
            requested_by=user.id,
            chat=message.chat_id,
        )
        if at is not None:
            async with newsbot.db.writing() as session:
                await sends.schedule(session, drafted.send_id, at, by=_decider(update))
    except NewsbotError as exc:
        log.info("push failed chat_id=%s url=%s error=%r", message.chat_id, url, str(exc))
        if isinstance(exc, AlreadyPostedError | SendStateError):
            text = review.refusal(t, exc, newsbot.clock(), newsbot.settings.zone)
        else:
            text = texts.push_failed(t, exc)
        await reply(context, message, text)
        return
    await show_send(context, message.chat_id, drafted.send_id, t, with_preview=True)


def _short(title: str, limit: int = 40) -> str:
    """A title cut for a button, with an ellipsis when cut."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _decider(update: Update) -> sends.Decider:
    user = update.effective_user
    return sends.Decider(user.id if user else None, user.full_name if user else None)


async def show_send(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    send_id: int,
    t: Translator,
    *,
    with_preview: bool,
) -> None:
    """Send the editor the send's post (when ``with_preview``) and a new control message,
    which becomes the send's message."""
    newsbot = runtime(context)
    async with newsbot.db.session() as session:
        found = await sends.get(session, send_id)
    assert found is not None
    send, article = found
    if with_preview:
        await review.send_preview(context.bot, chat_id, article, newsbot.pictures)
    edition = newsbot.editions.by_id.get(send.edition_id or 0)
    now = newsbot.clock()
    control = await review.send_control(
        context.bot,
        chat_id,
        review.control_text(
            t,
            send,
            article,
            edition,
            now=now,
            zone=newsbot.settings.zone,
            quiet=newsbot.settings.quiet,
        ),
        review.draft_keyboard(t, send, newsbot.editions),
    )
    async with newsbot.db.writing() as session:
        await sends.attach_message(session, send_id, chat_id, control.message_id)


async def _edit(query: CallbackQuery, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit the pressed message (unchanged text is no error)."""
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _send_id(data: str) -> tuple[str, int, int | None] | None:
    """(prefix, send id, second value) of a control message's button; ``None`` otherwise."""
    for codec in review.ONE_VALUE:
        if (values := codec.decode_ints(data)) is not None:
            return codec.prefix, values[0], None
    for codec in review.TWO_VALUES:
        if (pair := codec.decode_ints(data)) is not None:
            return codec.prefix, pair[0], pair[1]
    return None


async def review_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of a send's control message: the role checked, the data decoded, the move
    made; the message shows the outcome before the press is answered."""
    query = update.callback_query
    assert query is not None
    if not await require_editor(update, context):
        return
    newsbot = runtime(context)
    t = await translator(update, context)
    decoded = _send_id(query.data or "")
    found = None
    if decoded is not None:
        async with newsbot.db.session() as session:
            found = await sends.get(session, decoded[1])
    if decoded is None or found is None:
        await query.answer(_stale(t), show_alert=True)
        return
    prefix, send_id, value = decoded
    send, _article = found
    now = newsbot.clock()
    try:
        alert = await _act(update, context, t, prefix, send_id, value, send.breaking)
    except (SendStateError, AlreadyPostedError) as exc:
        await _edit(query, review.refusal(t, exc, now, newsbot.settings.zone), None)
        alert = None
    await query.answer(alert, show_alert=alert is not None)


def _stale(t: Translator) -> str:
    return t.gettext("This button is no longer valid.")


async def _act(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    t: Translator,
    prefix: str,
    send_id: int,
    value: int | None,
    breaking: bool,
) -> str | None:
    """Make the move a button asks for; an alert to show, if any."""
    query = update.callback_query
    assert query is not None
    newsbot = runtime(context)
    by = _decider(update)
    now = newsbot.clock()
    if prefix == review.PUBLISH.prefix:
        async with newsbot.db.writing() as session:
            queued = await sends.publish(
                session,
                send_id,
                by=by,
                now=now,
                quiet=newsbot.settings.quiet,
                zone=newsbot.settings.zone,
            )
            if query.message is not None:  # the progress report edits the pressed message
                await sends.attach_message(
                    session, send_id, query.message.chat.id, query.message.message_id
                )
        newsbot.kick()
        async with newsbot.db.session() as session:
            found = await sends.get(session, send_id)
        assert found is not None
        channel = newsbot.editions.by_id.get(found[0].edition_id or 0)
        where = channel.channel if channel else None
        readers = queued - (1 if where else 0)
        await _edit(query, review.delivering_text(t, found[1], readers, where), None)
        await newsbot.close_reviews(
            send_id, keep_chat=query.message.chat.id if query.message else None
        )
        return None
    if prefix == review.SKIP.prefix:
        async with newsbot.db.writing() as session:
            await sends.skip(session, send_id, by=by)
        await newsbot.close_reviews(send_id)
        return None
    if prefix == review.CANCEL.prefix:
        async with newsbot.db.writing() as session:
            await sends.cancel(session, send_id, by=by)
        await _show(query, t, send_id, context, keyboard=False)
        return None
    if prefix == review.UNSCHEDULE.prefix:  # from the /scheduled list: it shows the rest
        async with newsbot.db.writing() as session:
            await sends.cancel(session, send_id, by=by)
        text, markup = await _scheduled_listing(context, t)
        await _edit(query, text, markup)
        await newsbot.show_decision(send_id)  # the send's own message says it is cancelled
        return None
    if prefix == review.DESCHEDULE.prefix:
        async with newsbot.db.writing() as session:
            await sends.unschedule(session, send_id, by=by)
        await _show(query, t, send_id, context)
        return None
    if prefix == review.BREAKING.prefix:
        async with newsbot.db.writing() as session:
            await sends.set_breaking(session, send_id, not breaking)
        await _show(query, t, send_id, context)
        return None
    if prefix == review.EDITIONS.prefix:
        await _show(query, t, send_id, context, editions=True)
        return None
    if prefix == review.SET_EDITION.prefix and value is not None:
        await _set_edition(context, send_id, value)
        await _show(query, t, send_id, context)
        return None
    if prefix == review.SCHEDULE.prefix:
        await _show(query, t, send_id, context, times=True)
        return None
    if prefix == review.SCHEDULE_AT.prefix and value is not None:
        if not now.timestamp() < value <= (now + SCHEDULE_HORIZON).timestamp():
            if value <= now.timestamp():
                return t.gettext("That time has passed; choose another.")
            return _stale(t)  # no keyboard of ours offers it: made elsewhere
        at = datetime.fromtimestamp(value, UTC)
        async with newsbot.db.writing() as session:
            await sends.schedule(session, send_id, at, by=by)
        await _show(query, t, send_id, context)
        return None
    if prefix == review.EDIT_SUMMARY.prefix:
        user = update.effective_user
        assert user is not None
        async with newsbot.db.writing() as session:
            found = await sends.get(session, send_id)
            if found is None or found[0].status not in sends.OPEN:
                raise SendStateError(send_id, found[0].status if found else "gone")
            await session.merge(
                EditorPrompt(user_id=user.id, send_id=send_id, action="summary", created_at=now)
            )
        bot = cast("ExtBot[int]", context.bot)  # built with AIORateLimiter: its args are an int
        await bot.send_message(
            user.id, _summary_prompt(t), parse_mode=ParseMode.HTML, rate_limit_args=REPLY_RETRIES
        )
        return None
    await _show(query, t, send_id, context)  # Back
    return None


async def _show(
    query: CallbackQuery,
    t: Translator,
    send_id: int,
    context: ContextTypes.DEFAULT_TYPE,
    *,
    keyboard: bool = True,
    editions: bool = False,
    times: bool = False,
) -> None:
    """Edit the control message to the send as it is now: its state and buttons (the edition
    or the time choices when asked); an open send only."""
    newsbot = runtime(context)
    async with newsbot.db.session() as session:
        found = await sends.get(session, send_id)
    assert found is not None
    send, article = found
    now, zone = newsbot.clock(), newsbot.settings.zone
    if send.status not in sends.OPEN:
        await _edit(query, review.decided_text(t, send, article, now, zone), None)
        return
    if (editions or times) and send.status == SendStatus.AWAITING:
        raise SendStateError(send_id, send.status)
    edition = newsbot.editions.by_id.get(send.edition_id or 0)
    text = review.control_text(
        t, send, article, edition, now=now, zone=zone, quiet=newsbot.settings.quiet
    )
    markup: InlineKeyboardMarkup | None = None
    if editions:
        text += "\n\n" + t.gettext("Choose the edition this article goes to:")
        markup = review.editions_keyboard(t, send_id, newsbot.editions, send.edition_id)
    elif times:
        markup = review.schedule_keyboard(t, send_id, now, zone)
    elif keyboard:
        markup = review.draft_keyboard(t, send, newsbot.editions)
    await _edit(query, text, markup)


async def _set_edition(context: ContextTypes.DEFAULT_TYPE, send_id: int, edition_id: int) -> None:
    """Move an open draft to another configured edition: its post is rendered again for it."""
    newsbot = runtime(context)
    edition = newsbot.editions.by_id.get(edition_id)
    async with newsbot.db.writing() as session:
        found = await sends.get(session, send_id)
        if found is None or found[0].status not in (SendStatus.DRAFT, SendStatus.SCHEDULED):
            raise SendStateError(send_id, found[0].status if found else "gone")
        if edition is None or not edition.configured:
            raise SendStateError(send_id, "gone")
        send, article = found
        chosen = await edition_named(session, edition.code)
        await rewrite_draft(
            session, article, draft_of(article), edition=chosen, options=newsbot.post_options
        )
        send.edition_id = chosen.id


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Free text in a private chat: an editor's answer to Edit summary, else what a reader's
    free text gets (:func:`bot.handlers.readers.unknown`)."""
    from bot.handlers import readers

    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        await readers.unknown(update, context)
        return
    newsbot = runtime(context)
    async with newsbot.db.writing() as session:
        prompt = await session.get(EditorPrompt, user.id)
        if prompt is not None:
            await session.delete(prompt)
    fresh = (
        prompt is not None
        and (newsbot.clock() - prompt.created_at).total_seconds() < PROMPT_MAX_AGE
    )
    if prompt is None or not fresh:
        await readers.unknown(update, context)
        return
    if not await require_editor(update, context):
        return
    t = await translator(update, context)
    summary = " ".join(message.text.split())
    if len(summary) > review.SUMMARY_LIMIT:
        async with newsbot.db.writing() as session:  # ask again: nothing is lost
            await session.merge(
                EditorPrompt(
                    user_id=user.id,
                    send_id=prompt.send_id,
                    action=prompt.action,
                    created_at=prompt.created_at,
                )
            )
        await reply(context, message, _summary_too_long(t))
        return
    try:
        async with newsbot.db.writing() as session:
            found = await sends.get(session, prompt.send_id)
            if found is None or found[0].status not in sends.OPEN:
                raise SendStateError(prompt.send_id, found[0].status if found else "gone")
            send, article = found
            edition = newsbot.editions.by_id.get(send.edition_id or 0) or newsbot.editions.default
            chosen = await edition_named(session, edition.code)
            await rewrite_draft(
                session,
                article,
                draft_of(article, summary=summary),
                edition=chosen,
                options=newsbot.post_options,
            )
    except (SendStateError, NewsbotError) as exc:
        text = (
            review.refusal(t, exc, newsbot.clock(), newsbot.settings.zone)
            if isinstance(exc, SendStateError | AlreadyPostedError)
            else texts.push_failed(t, exc)
        )
        await reply(context, message, text)
        return
    await show_send(context, message.chat_id, prompt.send_id, t, with_preview=True)


async def cancel_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: drop a waiting Edit summary prompt."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    newsbot = runtime(context)
    t = await translator(update, context)
    dropped = False
    if user is not None:
        async with newsbot.db.writing() as session:
            prompt = await session.get(EditorPrompt, user.id)
            if prompt is not None:
                await session.delete(prompt)
                dropped = True
    await reply(
        context,
        message,
        t.gettext("The summary stays as it was.") if dropped else t.gettext("Nothing to cancel."),
    )


async def scheduled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scheduled: what waits for its time, soonest first, each with its Cancel button."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    t = await translator(update, context)
    text, markup = await _scheduled_listing(context, t)
    await reply(context, message, text, reply_markup=markup)


#: How many scheduled sends /scheduled lists (with a button each).
SCHEDULED_SHOWN = 20


async def _scheduled_listing(
    context: ContextTypes.DEFAULT_TYPE, t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The /scheduled message: each scheduled send's time, title and edition, and Cancel."""
    newsbot = runtime(context)
    async with newsbot.db.session() as session:
        waiting = await sends.waiting(session)
    if not waiting:
        return _nothing_scheduled(t), None
    now, zone = newsbot.clock(), newsbot.settings.zone
    lines = [t.gettext("<b>Scheduled</b>")]
    buttons = []
    for send, article in waiting[:SCHEDULED_SHOWN]:
        edition = newsbot.editions.by_id.get(send.edition_id or 0)
        assert send.not_before is not None
        lines.append(
            t.gettext(
                "• {when}: {title} ({edition})",
                when=review.when(t, send.not_before, now, zone),
                title=escape(article.title[:120]),
                edition=escape(edition.code if edition else "?"),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    t.gettext("Cancel: {title}", title=_short(article.title)),
                    callback_data=review.UNSCHEDULE.encode(send.id),
                )
            ]
        )
    if len(waiting) > SCHEDULED_SHOWN:
        lines.append(t.gettext("…and {count} more.", count=len(waiting) - SCHEDULED_SHOWN))
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the editor the post the page at URL would make; nothing is stored or sent elsewhere."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    if len(context.args or []) != 1:
        await reply(context, message, texts.usage(await translator(update, context), "preview"))
        return
    url = (context.args or [""])[0]
    newsbot = runtime(context)
    try:
        draft, _links = await read_page(newsbot.fetcher, url, parser=newsbot.parser)
    except NewsbotError as exc:
        log.info("preview failed chat_id=%s url=%s error=%r", message.chat_id, url, str(exc))
        t = await translator(update, context)
        await reply(context, message, texts.preview_failed(t, exc))
        return
    post = render_article(draft, newsbot.post_options)
    await send_post(
        context.bot,
        message.chat_id,
        post.html,
        post.image,
        newsbot.pictures,
        style=post.style,
        rate_limit_args=REPLY_RETRIES,
    )
