"""The Bot API sandbox: a real HTTP server that answers ``/bot<token>/<method>`` like Telegram.

Usage (tests, ``newsbot demo``, benchmarks)::

    from telegram import Bot
    from bot.sandbox import SandboxServer, SandboxClient

    with SandboxServer(channels=("news",)) as sandbox:        # its own thread and event loop
        bot = Bot("123456:TEST-token", base_url=f"{sandbox.url}/bot")
        async with bot, SandboxClient(sandbox.url) as client:
            await client.send(42, "/start")                    # a reader writes to the bot
            await bot.send_message("@news", "<b>Hi</b>", parse_mode="HTML")
            posts = await client.bot_messages("@news", wait_for=1)

The server is assembled from small modules:

- ``_runner``: ``BackgroundServer``, the sandbox's own thread and event loop (PTB and the
  sandbox sharing one loop slows PTB down to a crawl), start/stop and the context managers;
- ``_params``: decoding parameters as PTB sends them (form, multipart, JSON or GET query);
- ``_api`` and ``_messages``: the ``/bot<token>/<method>`` Bot API methods;
- ``_webhook``: setWebhook's checks and ``WebhookDeliverer``, which POSTs pending updates to
  the webhook as Telegram does (started and cancelled with the app);
- ``_control``: the control API (``/control/...``, listed in the docstring of
  ``bot.sandbox.client``), which plays the readers and shows what the bot did;
- ``state``: the world they all act on, with no HTTP in it.

The bot token is part of every request path, so no request path is ever logged and aiohttp's
access log is off.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from bot.sandbox._api import BotApi
from bot.sandbox._control import ControlApi
from bot.sandbox._runner import BackgroundServer
from bot.sandbox._webhook import WebhookDeliverer
from bot.sandbox.state import Limits, SandboxState, WebhookTiming

__all__ = ["BackgroundServer", "SandboxServer"]


class SandboxServer(BackgroundServer):
    """The Bot API sandbox on ``127.0.0.1``; point PTB at ``base_url=f"{server.url}/bot"``.

    ``state`` is the SandboxState it serves; it belongs to the server's thread, so read it
    through the control API (``SandboxClient``) while the server runs.
    ``tokens``: if given, only these tokens are accepted (others answer 401 Unauthorized).
    ``strict_html``: reject ``&nbsp;``, a bare ``&`` and ``<a>`` without href (see
    ``telegram_html``); False accepts them as Telegram does.
    ``webhook_timing``: how webhook deliveries back off and time out (``WebhookTiming``:
    first retry after 1 s, doubling up to 10 s, 10 s per delivery; also ``POST
    /control/webhook``).
    """

    thread_name = "bot-api-sandbox"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "newsbot_sandbox_bot",
        channels: Iterable[str] = ("news",),
        limits: Limits | None = None,
        tokens: Iterable[str] | None = None,
        strict_html: bool = True,
        webhook_timing: WebhookTiming | None = None,
    ) -> None:
        super().__init__(host, port)
        self.state = SandboxState(
            bot_username=bot_username,
            channels=channels,
            limits=limits,
            webhook_timing=webhook_timing,
        )
        self._tokens = tuple(tokens) if tokens is not None else None
        self._strict_html = strict_html

    def build_app(self) -> web.Application:
        self.state.closing = False
        api = BotApi(self.state, tokens=self._tokens, strict_html=self._strict_html)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(ControlApi(self.state).routes())
        app.cleanup_ctx.append(WebhookDeliverer(self.state).context)
        app.router.add_route("*", "/bot{token}/{method}", api.handle)
        return app

    def before_stop(self) -> None:
        self.state.close()
