"""Logging in and out: ``/login/{token}`` (the one-time link /console sends), ``/login`` (what
to do without a session), ``POST /logout``."""

from __future__ import annotations

import logging

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console.web import COOKIE, current_user, editor_form, problem, render, state
from bot.errors import ConsoleLoginError
from bot.services.console_auth import ConsoleUser, log_out, redeem

log = logging.getLogger(__name__)


async def login_needed(request: Request) -> Response:
    """Without a session: say to send /console to the bot (with one: the dashboard)."""
    user = await current_user(request)
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return await render(
        request,
        None,
        "login.html",
        status_code=401,
        session_days=state(request).core.settings.console_session_days,
    )


async def login_link(request: Request) -> Response:
    """Spend the one-time link and start the session; a bad link says why, and what to do."""
    console = state(request)
    settings = console.core.settings
    try:
        opened = await redeem(
            console.core.db,
            request.path_params["token"],
            editor_ids=settings.editor_ids,
            session_days=settings.console_session_days,
        )
    except ConsoleLoginError as exc:
        log.info("console login refused reason=%s", exc.reason)
        status = 403 if exc.reason == "not_editor" else 401
        return await problem(request, None, status, exc.reason)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        opened.cookie,
        max_age=settings.console_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or settings.console_url.startswith("https:"),
        path="/",
    )
    return response


@editor_form
async def logout(request: Request, user: ConsoleUser, form: FormData) -> Response:
    await log_out(state(request).core.db, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login_needed, methods=["GET"]),
    Route("/login/{token}", login_link, methods=["GET"]),
    Route("/logout", logout, methods=["POST"]),
]
