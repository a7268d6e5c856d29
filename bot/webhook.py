"""Webhook mode: Telegram POSTs each update to ``WEBHOOK_URL``'s path on the console's server
(``CONSOLE_BIND``), instead of newsbot asking for them with long polling.

::

    receiver = WebhookReceiver(application, secret="…", path="/tg")
    routes = [receiver.route()]               # added to the process's one web app
    await receiver.register("https://news.example/tg", allowed_updates=[...])   # setWebhook

Every request must carry the secret in ``X-Telegram-Bot-Api-Secret-Token`` (Telegram sends the
``secret_token`` given to ``setWebhook``); without it the answer is 401 and nothing is handled.
An update is handled by PTB's own update processor (bounded, each chat's updates in order,
:mod:`bot.update_order`) before it is answered 200: Telegram sends a chat's next update only
then, so a reader's updates are handled in order even by several processes behind one load
balancer, each taking what it is given.

PTB's ``Updater.start_webhook`` serves a web server of its own (tornado); newsbot has one
already for the console, health and metrics, so the route is written here.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import Application

from bot import metrics

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
#: The largest update newsbot reads (Telegram's are a few kilobytes).
MAX_UPDATE_BYTES: Final = 1024 * 1024
#: Connections Telegram may open to this URL at once (setWebhook's max_connections).
MAX_CONNECTIONS: Final = 40


class WebhookReceiver:
    """The route Telegram POSTs updates to, checked against the secret."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], *, secret: str,
                 path: str) -> None:  # fmt: skip
        self.application = application
        self.secret = secret
        self.path = path or "/"

    def route(self) -> Route:
        return Route(self.path, self.receive, methods=["POST"])

    async def receive(self, request: Request) -> Response:
        """One update: 401 without the secret, 413 too large, 400 not an update, else 200
        once it is queued for the handlers."""
        sent = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(sent.encode(), self.secret.encode()):
            log.warning("webhook request refused: wrong secret token client=%s", _client(request))
            return Response(status_code=401)
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        body = await request.body()
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("no update_id")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            log.warning("webhook request refused: not an update error=%r", str(exc)[:200])
            return Response(status_code=400)
        metrics.UPDATES.labels(mode="webhook").inc()
        # Handled before the answer: Telegram sends a chat's next update only after this one's
        # 200, so a chat's updates stay in order even when each goes to another process.
        application = self.application
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        return Response(status_code=200)

    async def register(self, url: str, *, allowed_updates: Sequence[str]) -> None:
        """``setWebhook``: Telegram sends updates to ``url`` from now on, with the secret; the
        updates waiting meanwhile are kept (several processes may each register it)."""
        await self.application.bot.set_webhook(
            url,
            secret_token=self.secret,
            allowed_updates=list(allowed_updates),
            max_connections=MAX_CONNECTIONS,
            drop_pending_updates=False,
        )
        log.info("webhook set path=%s", self.path)


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"
