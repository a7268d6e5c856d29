"""What every console page shares: the state, the session check, CSRF, rendering.

::

    @editor_page
    async def feeds_page(request: Request, user: ConsoleUser) -> Response:
        return render(request, user, "feeds.html", feeds=...)

    @editor_form                      # POST: the session and the form's CSRF token checked
    async def pause(request: Request, user: ConsoleUser, form: FormData) -> Response: ...

A request without a session is sent to ``/login`` (which says to send ``/console`` to the
bot); a form without the session's CSRF token is refused with 403 and changes nothing. Texts
come from the editor's language (as the bot speaks to them) through ``_`` in the templates.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Protocol, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.config import local_url
from bot.core import Core
from bot.i18n import Translator, translator_for
from bot.services import readers
from bot.services.console_auth import ConsoleUser, session_user

log = logging.getLogger(__name__)

T = TypeVar("T")

COOKIE: Final = "newsbot_session"
#: the largest form a console page takes (an OPML file is the largest there is).
MAX_FORM_BYTES: Final = 2 * 1024 * 1024


class ConsoleHooks(Protocol):
    """What the console asks of the bot running beside it (nothing, when it runs alone)."""

    async def decided(self, send_id: int) -> None:
        """An editor decided a send in the console: show it in the editors' chats."""

    async def bot_api_problem(self) -> str | None:
        """Why the Bot API cannot be reached now, or ``None`` (``/readyz``)."""


class NoHooks:
    """The console alone (``newsbot console``): the bot process's sweeps pick up its work."""

    async def decided(self, send_id: int) -> None:
        return None

    async def bot_api_problem(self) -> str | None:
        return None


@dataclass
class ConsoleState:
    """The console's share of the process: the core, the templates, the bot's hooks."""

    core: Core
    hooks: ConsoleHooks = field(default_factory=NoHooks)
    #: the bot's @username once known (the login page names it).
    bot_username: str | None = None
    #: where the console is served, once it is (CONSOLE_BIND's port 0 is known only then).
    served_at: tuple[str, int] | None = None
    #: figures read recently, by what they are (:meth:`recent`): key -> (until, value).
    _recent: dict[Any, tuple[float, Any]] = field(default_factory=dict)
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=PackageLoader("bot.console", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )

    @property
    def zone(self) -> ZoneInfo:
        return self.core.settings.zone

    async def recent(self, key: Any, seconds: float, read: Callable[[], Awaitable[T]]) -> T:
        """``read()``'s value, read again only once ``seconds`` passed since it last was: the
        dashboard's figures of a period, which take the database a while with many readers
        and change slowly, are read once for every editor looking in that time."""
        now = time.monotonic()
        kept = self._recent.get(key)
        if kept is None or kept[0] <= now:
            # One read for every request that comes while it runs, not one each.
            task: asyncio.Task[T] = asyncio.ensure_future(read())
            self._recent[key] = kept = (now + seconds, task)
        try:
            value: T = await asyncio.shield(kept[1])
        except Exception:
            if self._recent.get(key) is kept:
                del self._recent[key]  # a failed read is not kept
            raise
        return value

    @property
    def base_url(self) -> str:
        """The console's address in links: CONSOLE_PUBLIC_URL, else where it listens."""
        settings = self.core.settings
        if settings.console_public_url or self.served_at is None:
            return settings.console_url
        return local_url(*self.served_at)


def row_id(value: Any) -> int | None:
    """A row's id from an address (path or query), if it can be one: ASCII digits, within the
    32-bit ids the tables have (PostgreSQL refuses a larger one outright)."""
    raw = str(value or "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    number = int(raw)
    return number if 0 < number < 2**31 else None


def state(request: Request) -> ConsoleState:
    """The console's state, from the app that serves ``request``."""
    console: ConsoleState = request.app.state.console
    return console


async def current_user(request: Request) -> ConsoleUser | None:
    """The editor whose session the request carries, or ``None``."""
    console = state(request)
    return await session_user(
        console.core.db,
        request.cookies.get(COOKIE),
        editor_ids=console.core.settings.editor_ids,
    )


async def translator_of(request: Request, user: ConsoleUser | None) -> Translator:
    """The editor's language as the bot speaks to them; before a login, the browser's."""
    console = state(request)
    default = console.core.editions.default.language
    if user is None:
        accepted = request.headers.get("accept-language", "")
        return translator_for(accepted.split(",")[0].split(";")[0] or default)
    async with console.core.db.session() as session:
        language = await readers.language_of(session, user.user_id, default=default)
    return translator_for(language)


def local_time(
    console: ConsoleState, language: str, when: datetime | None, fmt: str = "dd MMM y HH:mm"
) -> str:
    """``when`` in the publisher's TIMEZONE, as the pages show times, with the month named in
    ``language`` (CLDR, through Babel: ``04 Dec 2026 07:18``, ``04 दिस॰ 2026 07:18``); "" for
    none."""
    if when is None:
        return ""
    return format_datetime(when.astimezone(console.zone), fmt, locale=language)


def local_date(language: str, day: date, fmt: str = "d MMM y") -> str:
    """A calendar day as the pages show it, the month named in ``language``."""
    return format_date(day, fmt, locale=language)


async def render(
    request: Request,
    user: ConsoleUser | None,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``user``, in their language, with the layout's context:
    ``_``/``ngettext`` (texts), ``user``, ``csrf``, ``zone``, ``when`` (a time shown in
    TIMEZONE), ``day`` (a calendar day), ``path`` (for the navigation)."""
    console = state(request)
    t = await translator_of(request, user)
    html = console.templates.get_template(template).render(
        _=t.gettext,
        ngettext=t.ngettext,
        lang=t.language,
        user=user,
        csrf=user.csrf if user else "",
        zone=console.core.settings.timezone,
        when=functools.partial(local_time, console, t.language),
        day=functools.partial(local_date, t.language),
        path=request.url.path,
        publisher=console.core.settings.publisher_name or "newsbot",
        bot_username=console.bot_username,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


Page = Callable[[Request, ConsoleUser], Awaitable[Response]]
Form = Callable[[Request, ConsoleUser, FormData], Awaitable[Response]]


def _to_login(request: Request) -> Response:
    if request.headers.get("hx-request"):  # htmx: a whole-page redirect, not a swap
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


def editor_page(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for editors only: without a session, a redirect to ``/login``."""

    @functools.wraps(page)
    async def endpoint(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            return _to_login(request)
        return await page(request, user)

    return endpoint


def csrf_ok(user: ConsoleUser, request: Request, form: FormData) -> bool:
    """Whether the request carries the session's CSRF token (a form field, or htmx's header)."""
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), user.csrf.encode())


def editor_form(form_handler: Form) -> Callable[[Request], Awaitable[Response]]:
    """A form for editors only: the session, then the CSRF token, are checked before
    ``form_handler`` sees the form; a form larger than :data:`MAX_FORM_BYTES`, or without a
    ``Content-Length``, is refused. The form (and any uploaded file) is closed afterwards."""

    @functools.wraps(form_handler)
    async def endpoint(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            return _to_login(request)
        length = request.headers.get("content-length")
        if length is None:  # a browser's form always says its length; chunked bodies are refused
            return await problem(request, user, 411, "bad_form")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return await problem(request, user, 413, "too_large")
        try:
            form = await request.form(max_files=1, max_fields=64, max_part_size=MAX_FORM_BYTES)
        except HTTPException:  # Starlette's 400 for a malformed or oversized multipart body
            return await problem(request, user, 400, "bad_form")
        try:
            if not csrf_ok(user, request, form):
                log.info("console form refused user_id=%s path=%s", user.user_id, request.url.path)
                return await problem(request, user, 403, "csrf")
            return await form_handler(request, user, form)
        finally:
            await form.close()  # an uploaded file's temporary file, whatever became of it

    return endpoint


async def problem(
    request: Request, user: ConsoleUser | None, status_code: int, kind: str, **context: Any
) -> HTMLResponse:
    """The page that says what went wrong (``kind``: ``csrf``, ``not_found``, ``too_large``,
    ``bad_form``, ``expired``, ``used``, ``invalid``, ``not_editor``)."""
    return await render(
        request, user, "problem.html", status_code=status_code, kind=kind, **context
    )
