"""The console's Articles page (/articles)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.console.web import editor_page, render
from bot.services.console_auth import ConsoleUser


@editor_page
async def articles_page(request: Request, user: ConsoleUser) -> Response:
    return await render(request, user, "articles.html")


ROUTES = [Route("/articles", articles_page, methods=["GET"])]
