"""The console's Articles pages: the recent articles and where each went (``/articles``), one
article as Telegram shows it with its sends (``/articles/{id}``), pushing a URL (preview,
then Publish or Schedule), and the approval queue (Publish / Skip).

Every decision goes through :mod:`bot.services.sends`, as the chat's buttons do, so the
console and the chat can never disagree: whoever decides first wins, and the other is told
who did. The bot running beside the console then edits the editors' messages in Telegram
(:class:`~bot.console.web.ConsoleHooks`) and its outbox sends what was queued.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.telegram_view import post_view
from bot.console.web import (
    editor_form,
    editor_page,
    problem,
    render,
    row_id,
    state,
    translator_of,
)
from bot.errors import AlreadyPostedError, NewsbotError, SendStateError
from bot.handlers import texts
from bot.i18n import Translator
from bot.services import newsroom, push, sends
from bot.services.console_auth import ConsoleUser
from bot.storage.models import ArticleStatus, SendStatus, utcnow

log = logging.getLogger(__name__)

#: How far ahead the console schedules (the chat's Schedule offers the next day).
SCHEDULE_AHEAD: Final = timedelta(days=30)
MAX_URL: Final = 2048
#: what each decision's notice says, by the ``done`` query parameter of the redirect.
DONE = ("published", "scheduled", "cancelled", "skipped", "pushed")
STATUSES = tuple(ArticleStatus)
ACTIONS = ("publish", "schedule", "cancel", "skip")


def notice_for(t: Translator, done: str | None) -> str | None:
    """The banner after a decision (``?done=…`` on the page it redirected to)."""
    return {
        "published": t.gettext("Published: the channel and the readers get it now."),
        "scheduled": t.gettext("Scheduled. It goes out at the time shown below."),
        "cancelled": t.gettext("Cancelled. Nothing was sent."),
        "skipped": t.gettext("Skipped. Nothing was sent."),
        "pushed": t.gettext(
            "This is the post readers will get. Publish it now, schedule it, or cancel it."
        ),
    }.get(done or "")


def refusal(t: Translator, exc: NewsbotError) -> Markup:
    """Why a push or a decision was refused, as the chat says it (its Telegram HTML shown as
    the page's HTML through the post view: nothing unescaped reaches the page)."""
    if isinstance(exc, SendStateError):
        by = exc.by or t.gettext("An editor")
        decided: dict[str, str] = {
            SendStatus.QUEUED: t.gettext("{by} has already published it.", by=by),
            SendStatus.DONE: t.gettext("{by} has already published it.", by=by),
            SendStatus.SCHEDULED: t.gettext("{by} scheduled it meanwhile.", by=by),
            SendStatus.CANCELLED: t.gettext("{by} cancelled it meanwhile.", by=by),
            SendStatus.SKIPPED: t.gettext("{by} skipped it meanwhile.", by=by),
        }
        text = decided.get(exc.status) or t.gettext("{by} decided on it meanwhile.", by=by)
        return Markup.escape(text)
    return post_view(texts.problem(t, exc)).html


async def _list_context(request: Request) -> dict[str, Any]:
    console = state(request)
    before = row_id(request.query_params.get("before"))
    status = request.query_params.get("status")
    status = status if status in STATUSES else None
    async with console.core.db.session() as session:
        rows = await newsroom.recent_articles(session, before=before, status=status)
        awaiting = await newsroom.open_sends(session, SendStatus.AWAITING)
        scheduled = await newsroom.open_sends(session, SendStatus.SCHEDULED)
        drafts = await newsroom.open_sends(session, SendStatus.DRAFT)
    return {
        "rows": rows,
        "awaiting": awaiting,
        "scheduled": scheduled,
        "drafts": drafts,
        "status": status,
        "statuses": STATUSES,
        "older": rows[-1].article.id if len(rows) == newsroom.PAGE_SIZE else None,
        "editions": console.core.editions.configured,
    }


@editor_page
async def articles_page(request: Request, user: ConsoleUser) -> Response:
    """The approval queue, the scheduled sends, the push form and the recent articles."""
    t = await translator_of(request, user)
    context = await _list_context(request)
    return await render(
        request,
        user,
        "articles.html",
        notice=notice_for(t, request.query_params.get("done")),
        form={"url": "", "edition": ""},
        **context,
    )


@editor_page
async def article_page(request: Request, user: ConsoleUser) -> Response:
    """One article: its post as Telegram shows it, where it went, its sends and their
    buttons."""
    console = state(request)
    article_id = row_id(request.path_params["article_id"])
    detail = None
    if article_id is not None:
        async with console.core.db.session() as session:
            detail = await newsroom.article_detail(session, article_id)
    if detail is None:
        return await problem(request, user, 404, "not_found")
    t = await translator_of(request, user)
    return await render(
        request,
        user,
        "article.html",
        notice=notice_for(t, request.query_params.get("done")),
        **_article_context(request, detail),
    )


def _web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def _article_context(request: Request, detail: newsroom.ArticleDetail) -> dict[str, Any]:
    console = state(request)
    article = detail.row.article
    zone = console.zone
    now = utcnow().astimezone(zone)
    image = article.image if article.post_style == "photo" else None
    return {
        "detail": detail,
        "article": article,
        "post": post_view(article.post_html),
        "image": image if image and image.lower().startswith("https://") else None,
        "link": article.link if _web(article.link) else None,
        "preview_host": urlsplit(article.link or "").hostname
        if article.post_style == "preview"
        else None,
        "open_statuses": (SendStatus.DRAFT, SendStatus.AWAITING, SendStatus.SCHEDULED),
        "schedule_min": (now + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
        "schedule_max": (now + SCHEDULE_AHEAD).strftime("%Y-%m-%dT%H:%M"),
        "schedule_default": (now + timedelta(hours=1)).replace(minute=0).strftime("%Y-%m-%dT%H:%M"),
        "channel": next(
            (e.channel for e in console.core.editions.configured if e.id == article.edition_id),
            None,
        ),
    }


@editor_form
async def push_form(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Fetch the page at the form's URL and show its post, with Publish, Schedule, Cancel."""
    console = state(request)
    t = await translator_of(request, user)
    url = str(form.get("url") or "").strip()
    edition = str(form.get("edition") or "").strip() or None
    error: Markup | str | None = None
    if not url:
        error = t.gettext("Paste the address of an article page to push it.")
    elif len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        error = t.gettext(
            "That is not the address of a web page: it must start with http:// or https://."
        )
    else:
        try:
            drafted = await push.draft_push(
                console.core.db,
                console.core.fetcher,
                url,
                edition=edition,
                parser=console.core.parser,
                options=console.core.post_options,
                requested_by=user.user_id,
            )
        except NewsbotError as exc:
            log.info("console push refused user_id=%s error=%r", user.user_id, str(exc))
            error = refusal(t, exc)
        else:
            log.info(
                "console push drafted user_id=%s article_id=%s send_id=%s",
                user.user_id,
                drafted.article.id,
                drafted.send_id,
            )
            return RedirectResponse(
                f"/articles/{drafted.article.id}?done=pushed#send-{drafted.send_id}",
                status_code=303,
            )
    context = await _list_context(request)
    return await render(
        request,
        user,
        "articles.html",
        status_code=400,
        error=error,
        form={"url": url[:MAX_URL], "edition": edition or ""},
        **context,
    )


def parse_local_time(text: str, now: datetime, zone: Any) -> datetime | None:
    """A ``datetime-local`` field's value (``2026-12-04T18:30``, in TIMEZONE) as an aware
    time, if it is one between a minute from ``now`` and :data:`SCHEDULE_AHEAD`."""
    try:
        local = datetime.fromisoformat(text.strip()[:32])
    except ValueError:
        return None
    if local.tzinfo is not None:
        return None
    at = local.replace(tzinfo=zone)
    if not now + timedelta(seconds=30) <= at <= now + SCHEDULE_AHEAD:
        return None
    return at


@editor_form
async def decide(request: Request, user: ConsoleUser, form: FormData) -> Response:
    """Publish, schedule, cancel or skip a send, as its buttons in the chat do."""
    console = state(request)
    settings = console.core.settings
    t = await translator_of(request, user)
    send_id = row_id(request.path_params["send_id"])
    action = request.path_params["action"]
    found = None
    if send_id is not None and action in ACTIONS:
        async with console.core.db.session() as session:
            found = await sends.get(session, send_id)
    if found is None or send_id is None:
        return await problem(request, user, 404, "not_found")
    article_id = found[1].id
    by = sends.Decider(user.user_id, user.name)
    now = utcnow()
    try:
        async with console.core.db.writing() as session:
            if action == "publish":
                await sends.publish(
                    session, send_id, by=by, now=now, quiet=settings.quiet, zone=settings.zone
                )
                done = "published"
            elif action == "schedule":
                at = parse_local_time(str(form.get("at") or ""), now, settings.zone)
                if at is None:
                    return await _detail_error(
                        request,
                        user,
                        article_id,
                        t.gettext(
                            "Choose a time between now and 30 days from now ({zone}).",
                            zone=settings.timezone,
                        ),
                    )
                await sends.schedule(session, send_id, at, by=by)
                done = "scheduled"
            elif action == "cancel":
                await sends.cancel(session, send_id, by=by)
                done = "cancelled"
            else:
                await sends.skip(session, send_id, by=by)
                done = "skipped"
    except (SendStateError, AlreadyPostedError) as exc:
        log.info("console decision refused send_id=%s error=%r", send_id, str(exc))
        return await _detail_error(request, user, article_id, refusal(t, exc), status_code=409)
    log.info("console decision send_id=%s action=%s user_id=%s", send_id, action, user.user_id)
    console.core.wake()
    await console.hooks.decided(send_id)
    back = "/articles" if form.get("back") == "list" else f"/articles/{article_id}"
    return RedirectResponse(f"{back}?done={done}", status_code=303)


async def _detail_error(
    request: Request,
    user: ConsoleUser,
    article_id: int,
    error: Markup | str,
    *,
    status_code: int = 400,
) -> Response:
    async with state(request).core.db.session() as session:
        detail = await newsroom.article_detail(session, article_id)
    if detail is None:
        return await problem(request, user, 404, "not_found")
    return await render(
        request,
        user,
        "article.html",
        status_code=status_code,
        error=error,
        **_article_context(request, detail),
    )


ROUTES = [
    Route("/articles", articles_page, methods=["GET"]),
    Route("/articles/push", push_form, methods=["POST"]),
    Route("/articles/{article_id}", article_page, methods=["GET"]),
    Route(
        "/articles/sends/{send_id}/{action}",
        decide,
        methods=["POST"],
    ),
]
