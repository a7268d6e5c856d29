"""Editors' feeds in the chat: ``/feeds`` lists them with their health and a row of buttons
each, ``/addfeed URL [edition]`` adds one (a site's page: the feed it links is found),
``/removefeed ID`` removes one. Only editors may (:func:`~bot.handlers.access.require_editor`,
checked on every command and every press).

The buttons (:data:`FEED_BUTTON`, ``fd:<action>:<feed id>:<page>``)::

    fd:p:<id>:<page>    pause the feed            fd:r:<id>:<page>    resume it
    fd:a1:<id>:<page>   approval on               fd:a0:<id>:<page>   approval off
    fd:d:<id>:<page>    remove? (asks first)      fd:y:<id>:<page>    yes, remove it
    fd:n:<id>:<page>    no, keep it               fd:g:0:<page>       another page

A press edits the list in place, then answers in a few words. A button of a feed removed
meanwhile gets a polite answer and the list as it is now; data the codec did not make gets a
polite answer and nothing happens. Times are in the publisher's TIMEZONE. The texts are at the
top of this module (``make messages`` extracts them with the rest).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from typing import Final

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.editorial import Rules
from bot.errors import EditionError, ErrorKind, FeedNotFoundError, FeedParseError, NewsbotError
from bot.handlers import texts
from bot.handlers.access import require_editor
from bot.handlers.callback_data import Callback
from bot.handlers.common import reply, runtime, translator
from bot.i18n import Translator
from bot.links import redact_url
from bot.services import feeds
from bot.storage.models import Feed, utcnow

log = logging.getLogger(__name__)

#: ``fd:<action>:<feed id>:<page>``: every button of the /feeds list.
FEED_BUTTON: Final = Callback("fd", str, int, int)
#: Feeds on one page of the list: a message holds 4096 characters, and a keyboard of more
#: than a few rows is hard to use on a phone.
PAGE_SIZE: Final = 5
#: The longest title and URL a feed's entry shows.
TITLE_LIMIT: Final = 80
URL_LIMIT: Final = 120
RULES_LIMIT: Final = 120
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)


# -- texts ------------------------------------------------------------------------------------


def no_feeds(t: Translator) -> str:
    return t.gettext("There are no feeds yet. Add one with /addfeed URL.")


def feeds_heading(t: Translator, count: int, page: int, pages: int) -> str:
    if pages > 1:
        return t.ngettext(
            "<b>{count} feed</b> · page {page} of {pages}",
            "<b>{count} feeds</b> · page {page} of {pages}",
            count,
            count=count,
            page=page,
            pages=pages,
        )
    return t.ngettext("<b>{count} feed</b>", "<b>{count} feeds</b>", count, count=count)


def health_ok(t: Translator) -> str:
    return t.gettext("✅ Working.")


def health_failing(t: Translator, failures: int, problem: str) -> str:
    return t.ngettext(
        "⚠️ Failing: {count} failed poll in a row. {problem}",
        "⚠️ Failing: {count} failed polls in a row. {problem}",
        failures,
        count=failures,
        problem=problem,
    )


def paused_by_editor(t: Translator) -> str:
    return t.gettext("⏸ Paused by an editor.")


def paused_by_failures(t: Translator, failures: int, problem: str) -> str:
    return t.ngettext(
        "⛔ Paused by itself after {count} failed poll in a row. {problem}",
        "⛔ Paused by itself after {count} failed polls in a row. {problem}",
        failures,
        count=failures,
        problem=problem,
    )


def next_check(t: Translator, when: str) -> str:
    # TRANSLATORS: {when} is a time such as "14:35 IST" or "2026-12-03 09:00 IST", or "now".
    return t.gettext("Next check: {when}.", when=when)


def next_check_now(t: Translator) -> str:
    return t.gettext("Next check: in a moment.")


def approval_on(t: Translator) -> str:
    return t.gettext("Each new article waits for an editor's approval.")


def rules_line(t: Translator, include: str, exclude: str) -> str:
    """A feed's editorial rules: the words an article must have, and those it must not."""
    if include and exclude:
        return t.gettext(
            "Only with: {include}. Never with: {exclude}.", include=include, exclude=exclude
        )
    if include:
        return t.gettext("Only with: {include}.", include=include)
    return t.gettext("Never with: {exclude}.", exclude=exclude)


def pause_button(t: Translator, feed_id: int) -> str:
    return t.gettext("⏸ Pause {feed_id}", feed_id=feed_id)


def resume_button(t: Translator, feed_id: int) -> str:
    return t.gettext("▶️ Resume {feed_id}", feed_id=feed_id)


def remove_button(t: Translator, feed_id: int) -> str:
    return t.gettext("🗑 Remove {feed_id}", feed_id=feed_id)


def approval_button(t: Translator, feed_id: int, on: bool) -> str:
    # TRANSLATORS: a button that shows whether approval is on for feed {feed_id}; a tap switches it.
    if on:
        return t.gettext("☑️ Approval {feed_id}: on", feed_id=feed_id)
    return t.gettext("◻️ Approval {feed_id}: off", feed_id=feed_id)


def previous_button(t: Translator) -> str:
    return t.gettext("‹ Previous")


def next_button(t: Translator) -> str:
    return t.gettext("Next ›")


def confirm_remove(t: Translator, feed_id: int, title: str, url: str) -> str:
    return t.gettext(
        "Remove feed {feed_id}, <b>{title}</b>?\n{url}\n\n"
        "It will no longer be read; the articles it brought stay on record.",
        feed_id=feed_id,
        title=escape(title),
        url=escape(url),
    )


def yes_remove_button(t: Translator, feed_id: int) -> str:
    return t.gettext("Yes, remove feed {feed_id}", feed_id=feed_id)


def keep_button(t: Translator) -> str:
    return t.gettext("No, keep it")


def paused_answer(t: Translator, feed_id: int) -> str:
    return t.gettext("Feed {feed_id} paused.", feed_id=feed_id)


def resumed_answer(t: Translator, feed_id: int) -> str:
    return t.gettext("Feed {feed_id} resumed: it is read again in a moment.", feed_id=feed_id)


def approval_on_answer(t: Translator, feed_id: int) -> str:
    return t.gettext("Feed {feed_id}: new articles now wait for approval.", feed_id=feed_id)


def approval_off_answer(t: Translator, feed_id: int) -> str:
    return t.gettext("Feed {feed_id}: new articles are published at once.", feed_id=feed_id)


def removed_answer(t: Translator, feed_id: int) -> str:
    return t.gettext("Feed {feed_id} removed.", feed_id=feed_id)


def kept_answer(t: Translator) -> str:
    return t.gettext("Nothing removed.")


def feed_gone_answer(t: Translator) -> str:
    return t.gettext("That feed is no longer there; here are the feeds as they are now.")


def stale_button_answer(t: Translator) -> str:
    return t.gettext("That button no longer works. Send /feeds for the list as it is now.")


def addfeed_usage(t: Translator, editions: Sequence[str]) -> str:
    return t.gettext(
        "Usage: /addfeed URL, e.g. /addfeed https://example.com/ (a site's page will do: "
        "its feed is found). To add it to an edition other than the first, add its code: "
        "/addfeed URL {example} (editions: {editions}).",
        example=escape(editions[-1] if editions else "en"),
        editions=escape(", ".join(editions)),
    )


def removefeed_usage(t: Translator) -> str:
    return t.gettext("Usage: /removefeed ID, e.g. /removefeed 3 (/feeds shows the ids).")


def feed_added(
    t: Translator, feed_id: int, title: str, edition: str, seen: int, found_on: str | None
) -> str:
    text = t.ngettext(
        "Added feed {feed_id}, <b>{title}</b>, to the {edition} edition. The {count} article "
        "it holds now is marked as seen; new ones will be posted.",
        "Added feed {feed_id}, <b>{title}</b>, to the {edition} edition. The {count} articles "
        "it holds now are marked as seen; new ones will be posted.",
        seen,
        feed_id=feed_id,
        title=escape(title),
        edition=escape(edition),
        count=seen,
    )
    if found_on:
        text = t.gettext("Found the feed on {page}.", page=escape(found_on)) + "\n" + text
    return text


def no_feed_found(t: Translator, url: str) -> str:
    return t.gettext(
        "No feed found at {url}: neither the page nor the usual addresses (/feed, /rss…) hold one.",
        url=escape(url),
    )


def unknown_edition(t: Translator, code: str, editions: Sequence[str]) -> str:
    return t.gettext(
        "There is no edition “{code}”; the editions are {editions}.",
        code=escape(code[:32]),
        editions=escape(", ".join(editions)),
    )


def not_added(t: Translator, problem: str) -> str:
    return t.gettext("Not added. {problem}", problem=problem)


def feed_removed(t: Translator, feed_id: int, title: str) -> str:
    return t.gettext(
        "Removed feed {feed_id}, <b>{title}</b>. The articles it brought stay on record.",
        feed_id=feed_id,
        title=escape(title),
    )


def not_removed(t: Translator, problem: str) -> str:
    return t.gettext("Not removed. {problem}", problem=problem)


# -- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedView:
    """One feed as the list shows it (no ORM object, safe across sessions)."""

    id: int
    title: str
    url: str
    edition: str
    active: bool
    paused_reason: str | None
    error_count: int
    last_error_kind: str | None
    next_poll_at: datetime | None
    approve: bool
    rules: Rules | None

    @classmethod
    def of(cls, feed: Feed, edition: str) -> FeedView:
        return cls(
            id=feed.id,
            title=feed.title or "",
            url=feed.url,
            edition=edition,
            active=feed.active,
            paused_reason=feed.paused_reason,
            error_count=feed.error_count or 0,
            last_error_kind=feed.last_error_kind,
            next_poll_at=feed.next_poll_at,
            approve=bool(feed.approve),
            rules=Rules.stored(feed.include_words, feed.exclude_words),
        )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """``moment`` in ``zone`` as an editor reads it: ``14:35 IST`` on ``now``'s day there,
    else ``2026-12-03 09:00 IST``."""
    here = moment.astimezone(zone)
    shown = (
        f"{here:%H:%M}" if here.date() == now.astimezone(zone).date() else f"{here:%Y-%m-%d %H:%M}"
    )
    name = here.tzname()
    return f"{shown} {name}" if name else shown


def health(t: Translator, feed: FeedView, now: datetime, zone: tzinfo) -> str:
    """A feed's health in a sentence or two: working or failing (and why, in words), paused
    by an editor or by its failures, and when it is checked next."""
    problem = texts.kind_problem(t, feed.last_error_kind)
    if not feed.active:
        if feed.paused_reason == "failures":
            return paused_by_failures(t, feed.error_count, problem)
        return paused_by_editor(t)
    state = health_failing(t, feed.error_count, problem) if feed.error_count else health_ok(t)
    if feed.next_poll_at is None or feed.next_poll_at <= now:
        return f"{state} {next_check_now(t)}"
    return f"{state} {next_check(t, local_time(feed.next_poll_at, now, zone))}"


def feed_entry(t: Translator, feed: FeedView, now: datetime, zone: tzinfo) -> str:
    """One feed of the list (Telegram HTML): id, title and edition, URL, health, options."""
    title = escape(_cut(feed.title or redact_url(feed.url), TITLE_LIMIT))
    lines = [
        f"<b>{feed.id}. {title}</b> · {escape(feed.edition)}",
        escape(_cut(redact_url(feed.url), URL_LIMIT)),
        health(t, feed, now, zone),
    ]
    options = []
    if feed.approve:
        options.append(approval_on(t))
    if feed.rules:
        include = escape(_cut(", ".join(feed.rules.include), RULES_LIMIT))
        exclude = escape(_cut(", ".join(feed.rules.exclude), RULES_LIMIT))
        options.append(rules_line(t, include, exclude))
    if options:
        lines.append(" ".join(options))
    return "\n".join(lines)


def page_count(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))


def feeds_page(
    t: Translator, listed: Sequence[FeedView], page: int, now: datetime, zone: tzinfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page ``page`` (from 0; clamped) of the list: its text and its keyboard — per feed a
    row of Pause or Resume, Remove and Approval, then Previous and Next when there are pages."""
    if not listed:
        return no_feeds(t), None
    pages = page_count(len(listed))
    page = min(max(page, 0), pages - 1)
    shown = listed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = "\n\n".join(
        [feeds_heading(t, len(listed), page + 1, pages)]
        + [feed_entry(t, feed, now, zone) for feed in shown]
    )
    rows = []
    for feed in shown:
        if feed.active:
            toggle = InlineKeyboardButton(
                pause_button(t, feed.id), callback_data=FEED_BUTTON.encode("p", feed.id, page)
            )
        else:
            toggle = InlineKeyboardButton(
                resume_button(t, feed.id), callback_data=FEED_BUTTON.encode("r", feed.id, page)
            )
        rows.append(
            [
                toggle,
                InlineKeyboardButton(
                    remove_button(t, feed.id), callback_data=FEED_BUTTON.encode("d", feed.id, page)
                ),
                InlineKeyboardButton(
                    approval_button(t, feed.id, feed.approve),
                    callback_data=FEED_BUTTON.encode("a0" if feed.approve else "a1", feed.id, page),
                ),
            ]
        )
    navigation = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton(
                previous_button(t), callback_data=FEED_BUTTON.encode("g", 0, page - 1)
            )
        )
    if page < pages - 1:
        navigation.append(
            InlineKeyboardButton(next_button(t), callback_data=FEED_BUTTON.encode("g", 0, page + 1))
        )
    if navigation:
        rows.append(navigation)
    return text, InlineKeyboardMarkup(rows)


def confirm_page(t: Translator, feed: FeedView, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """The question before feed ``feed`` is removed, with Yes and No."""
    text = confirm_remove(
        t,
        feed.id,
        _cut(feed.title or redact_url(feed.url), TITLE_LIMIT),
        _cut(redact_url(feed.url), URL_LIMIT),
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    yes_remove_button(t, feed.id),
                    callback_data=FEED_BUTTON.encode("y", feed.id, page),
                ),
                InlineKeyboardButton(
                    keep_button(t), callback_data=FEED_BUTTON.encode("n", feed.id, page)
                ),
            ]
        ]
    )
    return text, keyboard


async def _views(context: ContextTypes.DEFAULT_TYPE) -> list[FeedView]:
    newsbot = runtime(context)
    codes = {edition.id: edition.code for edition in newsbot.editions.all}
    async with newsbot.db.session() as session:
        rows = await feeds.list_feeds(session)
        return [FeedView.of(feed, codes.get(feed.edition_id or 0, "-")) for feed, _ in rows]


async def _list(
    context: ContextTypes.DEFAULT_TYPE, t: Translator, page: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    zone = runtime(context).settings.zone
    return feeds_page(t, await _views(context), page, utcnow(), zone)


# -- handlers ---------------------------------------------------------------------------------


async def feeds_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/feeds``: every feed with its health and buttons (editors only)."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    t = await translator(update, context)
    text, keyboard = await _list(context, t, 0)
    await reply(context, message, text, reply_markup=keyboard, link_preview_options=NO_PREVIEW)


async def _act(
    context: ContextTypes.DEFAULT_TYPE, t: Translator, action: str, feed_id: int, page: int
) -> tuple[str, tuple[str, InlineKeyboardMarkup | None]]:
    """Carry out the button ``action`` on feed ``feed_id``: the answer, and the message to
    show. FeedNotFoundError when the feed is gone."""
    newsbot = runtime(context)
    if action == "g":
        return "", await _list(context, t, page)
    if action == "n":
        return kept_answer(t), await _list(context, t, page)
    if action == "d":
        async with newsbot.db.session() as session:
            feed = await feeds.get_feed(session, feed_id)
            view = FeedView.of(feed, "")
        return "", confirm_page(t, view, page)
    async with newsbot.db.writing() as session:
        if action in ("p", "r"):
            await feeds.set_active(session, feed_id, action == "r")
            answer = resumed_answer(t, feed_id) if action == "r" else paused_answer(t, feed_id)
        elif action in ("a1", "a0"):
            await feeds.set_approval(session, feed_id, action == "a1")
            on = action == "a1"
            answer = approval_on_answer(t, feed_id) if on else approval_off_answer(t, feed_id)
        else:  # "y"
            await feeds.remove_feed(session, feed_id)
            answer = removed_answer(t, feed_id)
    return answer, await _list(context, t, page)


_ACTIONS: Final = frozenset({"p", "r", "a1", "a0", "d", "y", "n", "g"})


def parse_button(data: str | None) -> tuple[str, int, int] | None:
    """(action, feed id, page) of a /feeds button; None for data this module did not make."""
    values = FEED_BUTTON.decode(data)
    if values is None:
        return None
    action, feed_id, page = values
    if action not in _ACTIONS or not isinstance(feed_id, int) or not isinstance(page, int):
        return None
    if feed_id < 0 or not 0 <= page < 10_000:
        return None
    return str(action), feed_id, page


async def feed_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button of the /feeds list: check the editor again, act, redraw in place, answer."""
    query = update.callback_query
    assert query is not None
    if not await require_editor(update, context):
        return
    t = await translator(update, context)
    asked = parse_button(query.data)
    if asked is None:
        log.info("feeds button refused user_id=%s data=%r", query.from_user.id, query.data)
        await query.answer(stale_button_answer(t), show_alert=True)
        return
    action, feed_id, page = asked
    try:
        answer, (text, keyboard) = await _act(context, t, action, feed_id, page)
    except FeedNotFoundError:
        log.info("feeds button of a feed gone feed_id=%s", feed_id)
        answer, (text, keyboard) = feed_gone_answer(t), await _list(context, t, page)
    else:
        if action in ("p", "r", "a1", "a0", "y"):
            log.info(
                "feed changed from the chat feed_id=%s action=%s user_id=%s",
                feed_id,
                action,
                query.from_user.id,
            )
    await _show(context, query.message, query.from_user.id, text, keyboard)
    await query.answer(answer or None)


async def _show(
    context: ContextTypes.DEFAULT_TYPE,
    message: object,
    chat_id: int,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
) -> None:
    """Edit the list ``message`` in place (send it anew to ``chat_id`` when it is too old to
    edit)."""
    if not isinstance(message, Message):
        await context.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=NO_PREVIEW,
        )
        return
    try:
        await message.edit_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        # Telegram refuses an edit that changes nothing; any other refusal is a bug.
        if "not modified" not in exc.message.lower():
            raise


async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/addfeed URL [edition]``: add a feed, or the feed a site's page links (editors only)."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    newsbot = runtime(context)
    t = await translator(update, context)
    args = context.args or []
    codes = [edition.code for edition in newsbot.editions.configured]
    if not 1 <= len(args) <= 2:
        await reply(context, message, addfeed_usage(t, codes))
        return
    url, edition = args[0], (args[1] if len(args) > 1 else None)
    try:
        added = await feeds.add_feed(
            newsbot.db, newsbot.fetcher, url, parser=newsbot.parser, edition=edition
        )
    except NewsbotError as exc:
        log.info(
            "addfeed failed chat_id=%s url=%s error=%r", message.chat_id, redact_url(url), str(exc)
        )
        await reply(context, message, not_added(t, _add_problem(t, exc, url, codes)))
        return
    chosen = newsbot.editions.by_id.get(added.feed.edition_id or 0)
    found_on = redact_url(added.discovered_from) if added.discovered_from else None
    log.info("feed added from the chat feed_id=%s chat_id=%s", added.feed.id, message.chat_id)
    await reply(
        context,
        message,
        feed_added(
            t,
            added.feed.id,
            _cut(added.feed.title or redact_url(added.feed.url), TITLE_LIMIT),
            chosen.code if chosen else "?",
            added.seen,
            found_on,
        ),
        link_preview_options=NO_PREVIEW,
    )


def _add_problem(t: Translator, exc: NewsbotError, url: str, codes: Sequence[str]) -> str:
    """Why /addfeed did not add ``url``, in one sentence."""
    if isinstance(exc, EditionError):
        return unknown_edition(t, exc.code, codes)
    if isinstance(exc, FeedParseError) and exc.kind == ErrorKind.NOT_A_FEED:
        return no_feed_found(t, _cut(redact_url(url.strip()), URL_LIMIT))
    return texts.problem(t, exc)


async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/removefeed ID``: remove a feed (editors only); its articles stay on record."""
    if not await require_editor(update, context):
        return
    message = update.effective_message
    assert message is not None
    t = await translator(update, context)
    args = context.args or []
    if len(args) != 1:
        await reply(context, message, removefeed_usage(t))
        return
    newsbot = runtime(context)
    try:
        async with newsbot.db.writing() as session:
            feed = await feeds.remove_feed(session, args[0])
            feed_id, title = feed.id, feed.title or redact_url(feed.url)
    except NewsbotError as exc:
        await reply(context, message, not_removed(t, texts.problem(t, exc)))
        return
    log.info("feed removed from the chat feed_id=%s chat_id=%s", feed_id, message.chat_id)
    await reply(context, message, feed_removed(t, feed_id, _cut(title, TITLE_LIMIT)))
