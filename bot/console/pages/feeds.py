"""The console's Feeds page (/feeds)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import editor_page, render
from bot.services.console_auth import ConsoleUser


@editor_page
async def feeds_page(request: Request, user: ConsoleUser) -> Response:
    return await render(request, user, "feeds.html")


ROUTES = [Route("/feeds", feeds_page, methods=["GET"])]
