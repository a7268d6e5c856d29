"""A local Telegram: a Bot API server that behaves like Telegram, and a feed server.

Usage::

    from bot.sandbox import FeedServer, SandboxClient, SandboxServer

    with SandboxServer(channels=("news",)) as sandbox, FeedServer() as feeds:
        # PTB: ApplicationBuilder().token(token).base_url(f"{sandbox.url}/bot")
        async with SandboxClient(sandbox.url) as client:
            await client.send(42, "/start")

``python -m bot.sandbox`` runs the sandbox in the foreground. See ``server`` (the Bot API side),
``client`` (the control API) and ``feed_server``; Telegram's HTML rules are
:mod:`bot.formatting.telegram_html`, shared with the formatter that must satisfy them.
"""

from bot.formatting.telegram_html import ParsedText, TelegramHTMLError, parse_telegram_html
from bot.sandbox.client import ControlRequestError, SandboxClient
from bot.sandbox.feed_server import FeedServer
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Limits, WebhookTiming

__all__ = [
    "ControlRequestError",
    "FeedServer",
    "Limits",
    "ParsedText",
    "SandboxClient",
    "SandboxServer",
    "TelegramHTMLError",
    "WebhookTiming",
    "parse_telegram_html",
]
