"""The console's Feeds page: every feed with its health, as the chat's ``/feeds`` and
``newsbot feeds list`` show it, and what an editor does with feeds there.

::

    GET  /feeds                  the list (edition, state, last success and error, next check,
                                 articles, approval), the add form, the OPML import form
    POST /feeds                  add a feed: ``url`` (a feed's, or a site page's: its feed is
                                 found, as /addfeed finds it) and ``edition``
    POST /feeds/import           an OPML file (multipart, field ``file``)
    POST /feeds/{id}/pause       pause; ``/resume`` resumes. With ``HX-Request``: the feed's
                                 row, swapped in place; else 303 back to /feeds with a notice

Every form is a plain POST form, so the page works without JavaScript; htmx only saves the
reload. What is refused (an unknown edition, an address that holds no feed, a file that is no
OPML) is said in one sentence, with status 400, the form showing what was typed, and nothing
changed. The sentences are the chat's where the chat says the same thing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.web import (
    MAX_FORM_BYTES,
    editor_form,
    editor_page,
    problem,
    render,
    row_id,
    state,
    translator_of,
)
from bot.errors import ErrorKind, FeedNotFoundError, FeedParseError, NewsbotError, ParseError
from bot.feeds.opml import parse_opml
from bot.handlers import texts
from bot.handlers.feeds import (
    feed_added,
    feed_gone_answer,
    no_feed_found,
    not_added,
    paused_answer,
    resumed_answer,
)
from bot.i18n import Translator
from bot.links import redact_url
from bot.services import feeds
from bot.services.console_auth import ConsoleUser
from bot.storage.models import Article, Feed, utcnow

log = logging.getLogger(__name__)

#: The most feeds one OPML upload imports.
MAX_IMPORT = 2000

#: The most feeds the list shows: a newsroom has tens, an OPML import may bring thousands.
MAX_LISTED: Final = 500
#: The longest stored error message a row shows (the kind's sentence says the rest).
ERROR_LIMIT: Final = 300
#: The most skipped URLs an import lists (the notice counts them all).
SKIPPED_LIMIT: Final = 50
#: The notices a redirect back to the list may ask for (``?done=…&feed=ID``).
DONE: Final = frozenset({"paused", "resumed", "gone"})
#: How :func:`bot.services.feeds.import_feeds` says a URL was skipped because it is a feed.
_ALREADY: Final = "already feed "


@dataclass(frozen=True, slots=True)
class FeedLine:
    """One feed as a row of the list shows it (no ORM object: safe once its session is gone)."""

    id: int
    title: str
    #: the feed's address, any credentials in it hidden.
    url: str
    #: whether ``url`` may be a link (http or https: nothing a browser would run).
    linkable: bool
    edition: str
    active: bool
    paused_by_failures: bool
    error_count: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_kind: str | None
    #: the kind of the last error in one sentence, in the editor's language.
    last_error_problem: str
    last_error_at: datetime | None
    next_poll_at: datetime | None
    #: the next check is due (or never set): the feed is read in a moment.
    due: bool
    articles: int
    approve: bool

    @classmethod
    def of(cls, feed: Feed, articles: int, edition: str, t: Translator, now: datetime) -> FeedLine:
        url = redact_url(feed.url)
        message = (feed.last_error or "").strip()
        if len(message) > ERROR_LIMIT:
            message = message[: ERROR_LIMIT - 1] + "…"
        failed = bool(feed.last_error_kind or message)
        return cls(
            id=feed.id,
            title=feed.title or "",
            url=url,
            linkable=url.lower().startswith(("http://", "https://")),
            edition=edition,
            active=feed.active,
            paused_by_failures=not feed.active and feed.paused_reason == "failures",
            error_count=feed.error_count or 0,
            last_success_at=feed.last_success_at,
            last_error=message or None,
            last_error_kind=feed.last_error_kind,
            last_error_problem=texts.kind_problem(t, feed.last_error_kind) if failed else "",
            last_error_at=feed.last_error_at,
            next_poll_at=feed.next_poll_at,
            due=feed.next_poll_at is None or feed.next_poll_at <= now,
            articles=articles,
            approve=bool(feed.approve),
        )


async def _feed_rows(
    session: AsyncSession, *, feed_id: int | None = None, limit: int = MAX_LISTED
) -> list[tuple[Feed, int]]:
    """The feeds by id with how many articles each has, at most ``limit`` (``feed_id``: that
    one only): one query, the articles counted once, grouped."""
    counts = (
        select(Article.feed_id, func.count(Article.id).label("articles"))
        .where(Article.feed_id.is_not(None))
        .group_by(Article.feed_id)
    )
    if feed_id is not None:
        counts = counts.where(Article.feed_id == feed_id)
    counted = counts.subquery()
    query = (
        select(Feed, func.coalesce(counted.c.articles, 0))
        .outerjoin(counted, counted.c.feed_id == Feed.id)
        .order_by(Feed.id)
        .limit(limit)
    )
    if feed_id is not None:
        query = query.where(Feed.id == feed_id)
    return [(feed, int(count)) for feed, count in await session.execute(query)]


async def _lines(
    request: Request, t: Translator, *, feed_id: int | None = None
) -> tuple[list[FeedLine], int]:
    """The rows to show (``feed_id``: that feed's only) and how many feeds there are."""
    core = state(request).core
    codes = {edition.id: edition.code for edition in core.editions.all}
    now = utcnow()
    async with core.db.session() as session:
        rows = await _feed_rows(session, feed_id=feed_id)
        total = len(rows)
        if feed_id is None and total >= MAX_LISTED:
            total = await session.scalar(select(func.count(Feed.id))) or 0
        lines = [
            FeedLine.of(feed, count, codes.get(feed.edition_id or 0, "-"), t, now)
            for feed, count in rows
        ]
    return lines, total


async def _page(
    request: Request,
    user: ConsoleUser,
    t: Translator,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The Feeds page with ``context`` (``notice``/``error``, what the add form shows)."""
    core = state(request).core
    lines, total = await _lines(request, t)
    context = {
        "typed_url": "",
        "chosen_edition": core.editions.default.code,
        "url_invalid": False,
        "skipped": [],
        **context,
    }
    return await render(
        request,
        user,
        "feeds.html",
        status_code=status_code,
        feeds=lines,
        total=total,
        editions=core.editions.configured,
        default_edition=core.editions.default.code,
        max_url_length=feeds.MAX_URL_LENGTH,
        **context,
    )


def _html_lines(text: str) -> Markup:
    """A text of the chat's (Telegram HTML, its specifics escaped) as page HTML: lines kept."""
    return Markup("<br>").join(Markup(line) for line in text.split("\n"))  # noqa: S704


def _redirect_notice(t: Translator, done: str, feed_id: str) -> str | None:
    """The notice a redirect back to the list asked for; None for anything it did not."""
    if done not in DONE or not (feed_id.isascii() and feed_id.isdigit() and len(feed_id) <= 10):
        return None
    if done == "paused":
        return paused_answer(t, int(feed_id))
    if done == "resumed":
        return resumed_answer(t, int(feed_id))
    return feed_gone_answer(t)


@editor_page
async def feeds_page(request: Request, user: ConsoleUser) -> Response:
    """The list, with the notice a Pause or Resume without JavaScript came back with."""
    t = await translator_of(request, user)
    asked = request.query_params
    notice = _redirect_notice(t, asked.get("done", ""), asked.get("feed", ""))
    return await _page(request, user, t, notice=notice)


# -- pause and resume ---------------------------------------------------------------------------


def _feed_id(request: Request) -> int | None:
    """The feed id in the path, if it can be one (digits, within the ids a feed may have)."""
    return row_id(request.path_params.get("feed_id"))


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def _switch(request: Request, user: ConsoleUser, *, active: bool) -> Response:
    """Pause or resume the feed in the path: its row for htmx, else back to the list."""
    feed_id = _feed_id(request)
    if feed_id is None:
        return await problem(request, user, 404, "not_found")
    try:
        async with state(request).core.db.writing() as session:
            await feeds.set_active(session, feed_id, active)
    except FeedNotFoundError:
        return await _gone(request, user, feed_id)
    log.info(
        "feed changed from the console feed_id=%s active=%s user_id=%s",
        feed_id,
        active,
        user.user_id,
    )
    if not _htmx(request):
        done = "resumed" if active else "paused"
        return RedirectResponse(f"/feeds?done={done}&feed={feed_id}#feed-{feed_id}", 303)
    t = await translator_of(request, user)
    lines, _ = await _lines(request, t, feed_id=feed_id)
    if not lines:  # removed (from the chat) since
        return await _gone(request, user, feed_id)
    return await render(request, user, "feed_row.html", feed=lines[0])


async def _gone(request: Request, user: ConsoleUser, feed_id: int) -> Response:
    """Feed ``feed_id`` is no more: the 404 page; htmx is sent to the list as it is now."""
    log.info("console feed switch of a feed gone feed_id=%s user_id=%s", feed_id, user.user_id)
    response = await problem(request, user, 404, "not_found")
    if _htmx(request):
        response.headers["HX-Redirect"] = f"/feeds?done=gone&feed={feed_id}"
    return response


@editor_form
async def pause(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Stop reading a feed until an editor resumes it."""
    return await _switch(request, user, active=False)


@editor_form
async def resume(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Read a feed again, at once, its failures forgotten."""
    return await _switch(request, user, active=True)


# -- adding a feed --------------------------------------------------------------------------------


def _field(form: FormData, name: str) -> str:
    """The text field ``name`` of ``form``, stripped ("" when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _add_problem(t: Translator, exc: NewsbotError, url: str) -> str:
    """Why the feed at ``url`` was not added, in one sentence (the chat's /addfeed's)."""
    if isinstance(exc, FeedParseError) and exc.kind == ErrorKind.NOT_A_FEED:
        shown = redact_url(url)
        return no_feed_found(t, shown if len(shown) <= 120 else shown[:119] + "…")
    return texts.problem(t, exc)


async def _not_added(
    request: Request, user: ConsoleUser, t: Translator, error: str, url: str, edition: str | None
) -> Response:
    """The page again with ``error``, status 400, the add form holding what was typed."""
    return await _page(
        request,
        user,
        t,
        status_code=400,
        error=error,
        url_invalid=True,
        typed_url=url[: feeds.MAX_URL_LENGTH],
        chosen_edition=edition,
    )


@editor_form
async def add(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Add the feed at the address typed (a site's page: the feed it links), to the edition
    chosen; what it holds now is marked seen, as /addfeed and ``newsbot feeds add`` do."""
    core = state(request).core
    t = await translator_of(request, user)
    url, edition = _field(form, "url"), _field(form, "edition") or None
    if not url:
        error = t.gettext(
            "Type the address of the feed, or of the site whose feed you want to add."
        )
        return await _not_added(request, user, t, error, url, edition)
    try:
        added = await feeds.add_feed(
            core.db, core.fetcher, url, parser=core.parser, edition=edition
        )
    except NewsbotError as exc:
        log.info(
            "console add feed refused user_id=%s url=%s error=%r",
            user.user_id,
            redact_url(url[:200]),
            str(exc)[:300],
        )
        error = _html_lines(not_added(t, _add_problem(t, exc, url)))
        return await _not_added(request, user, t, error, url, edition)
    feed = added.feed
    chosen = core.editions.by_id.get(feed.edition_id or 0)
    log.info("feed added from the console feed_id=%s user_id=%s", feed.id, user.user_id)
    title = feed.title or redact_url(feed.url)
    notice = feed_added(
        t,
        feed.id,
        title if len(title) <= 80 else title[:79] + "…",
        chosen.code if chosen else "?",
        added.seen,
        redact_url(added.discovered_from) if added.discovered_from else None,
    )
    return await _page(request, user, t, notice=_html_lines(notice))


# -- importing OPML -------------------------------------------------------------------------------


async def _upload(form: FormData) -> bytes | None:
    """The uploaded file's bytes, at most one past :data:`MAX_FORM_BYTES`; None for no file
    (the frame closes the form and its spooled file afterwards)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return None
    return await upload.read(MAX_FORM_BYTES + 1)


def _already(skipped: Sequence[tuple[str, str]]) -> int:
    """How many of an import's skipped URLs were feeds already."""
    return sum(1 for _, why in skipped if why.startswith(_ALREADY))


@editor_form
async def import_opml(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Add the feeds an OPML file lists (each is read on its next poll); say how many were
    added, were already there, were skipped and why."""
    t = await translator_of(request, user)
    content = await _upload(form)
    if not content or not content.strip():
        error = t.gettext("Choose an OPML file to import: none was sent, or it was empty.")
        return await _page(request, user, t, status_code=400, error=error)
    if len(content) > MAX_FORM_BYTES:
        return await problem(request, user, 413, "too_large")
    try:
        entries = await asyncio.to_thread(parse_opml, content, source="the uploaded file")
    except ParseError as exc:
        log.info("console OPML import refused user_id=%s reason=%r", user.user_id, exc.reason)
        # TRANSLATORS: {reason} is in English, e.g. "the XML is broken at line 3 (…)".
        error = t.gettext("Nothing was imported: {reason}.", reason=exc.reason)
        return await _page(request, user, t, status_code=400, error=error)
    if not entries:
        error = t.gettext("That OPML file lists no feeds, so nothing was imported.")
        return await _page(request, user, t, status_code=400, error=error)
    if len(entries) > MAX_IMPORT:
        # Each feed is looked up and written in the one write transaction every other writer
        # (the outbox, the polls) then waits for.
        error = t.gettext(
            "That file lists {count} feeds; the console imports up to {limit} at a time."
            " Nothing was imported: split the file, or use newsbot feeds import.",
            count=len(entries),
            limit=MAX_IMPORT,
        )
        return await _page(request, user, t, status_code=400, error=error)
    async with state(request).core.db.writing() as session:
        imported = await feeds.import_feeds(session, entries)
    already = _already(imported.skipped)
    log.info(
        "feeds imported from the console user_id=%s added=%d skipped=%d",
        user.user_id,
        len(imported.added),
        len(imported.skipped),
    )
    notice = t.gettext(
        "From the file: {added} added, {already} already here, {skipped} skipped.",
        added=len(imported.added),
        already=already,
        skipped=len(imported.skipped) - already,
    )
    if imported.added:
        notice += " " + t.gettext(
            "Each new feed is read on its next poll; what it holds then is marked as seen."
        )
    skipped = [(url, why) for url, why in imported.skipped if not why.startswith(_ALREADY)]
    return await _page(request, user, t, notice=notice, skipped=skipped[:SKIPPED_LIMIT])


ROUTES = [
    Route("/feeds", feeds_page, methods=["GET"]),
    Route("/feeds", add, methods=["POST"]),
    Route("/feeds/import", import_opml, methods=["POST"]),
    Route("/feeds/{feed_id}/pause", pause, methods=["POST"]),
    Route("/feeds/{feed_id}/resume", resume, methods=["POST"]),
]
