"""A local Telegram: a Bot API server that behaves like Telegram, and a feed server.

Usage::

    from bot.sandbox import FeedServer, SandboxClient, SandboxServer

    with SandboxServer(channels=("news",)) as sandbox, FeedServer() as feeds:
        # PTB: ApplicationBuilder().token(token).base_url(f"{sandbox.url}/bot")
        async with SandboxClient(sandbox.url) as client:
            await client.send(42, "/start")

``python -m bot.sandbox`` runs the sandbox in the foreground. See ``server`` (the Bot API side),
``client`` (the control API), ``telegram_html`` (Telegram's HTML rules) and ``feed_server``.
"""

from bot.sandbox.client import ControlRequestError, SandboxClient
from bot.sandbox.feed_server import FeedServer
from bot.sandbox.server import SandboxServer
from bot.sandbox.state import Limits
from bot.sandbox.telegram_html import ParsedText, TelegramHTMLError, parse_telegram_html

__all__ = [
    "ControlRequestError",
    "FeedServer",
    "Limits",
    "ParsedText",
    "SandboxClient",
    "SandboxServer",
    "TelegramHTMLError",
    "parse_telegram_html",
]
