"""The console's ASGI app: every page's routes, the static files, the security headers.

::

    app = console_app(ConsoleState(core))        # served by bot.console.server
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console import ops
from bot.console.pages import articles, campaigns, dashboard, feeds, login
from bot.console.web import ConsoleState, current_user, problem

log = logging.getLogger(__name__)

#: What a console page may load: its own files, and pictures (articles' images) from anywhere
#: over https; nothing runs but the console's own scripts.
CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self';"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # a login link never leaves in a Referer
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds :data:`HEADERS` to every response (pure ASGI: no buffering of bodies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


async def not_found(request: Request, exc: Exception) -> Response:
    """An unknown address: with a session, "not found"; without one, off to ``/login``."""
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return await problem(request, user, 404, "not_found")


class CatchBugs:
    """A bug in a page: one logged traceback for the operator and a page that says so for
    the editor (Starlette's own handler for 500 answers, then raises again, and uvicorn logs
    the same traceback a second time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception:
            log.exception("console page failed path=%s", scope.get("path"))
            if not started:
                response = await problem(Request(scope), None, 500, "server_error")
                await response(scope, receive, send)


def console_app(console: ConsoleState, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The console for ``console`` (its core opened by the caller), with ``extra_routes``
    (the webhook's) first."""
    app = Starlette(
        routes=[
            *extra_routes,
            *dashboard.ROUTES,
            *articles.ROUTES,
            *feeds.ROUTES,
            *campaigns.ROUTES,
            *login.ROUTES,
            *ops.ROUTES,
            Mount("/static", StaticFiles(packages=[("bot.console", "static")]), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders), Middleware(CatchBugs)],
        exception_handlers={404: not_found},
    )
    app.state.console = console
    return app
