"""Webhooks: what setWebhook accepts, and the task that POSTs pending updates like Telegram.

``parse_webhook`` validates setWebhook's parameters as Telegram does, except that plain http to a
loopback host (127.0.0.1, ::1, localhost) is allowed, and loopback hosts may use any port, so
that tests can receive updates. ``WebhookDeliverer`` runs in the sandbox's loop (started and
cancelled with the aiohttp app, see ``context``) and, while a webhook is set, POSTs each pending
update as JSON (``X-Telegram-Bot-Api-Secret-Token`` when a secret was set):

- one chat's updates one after another, in order; different chats in parallel, at most
  ``max_connections`` requests in flight;
- a 2xx answer removes the update; any other answer, or a connection error, keeps it, sets
  the webhook's last error (Telegram's wording) and retries that chat after a backoff that
  starts at ``WebhookTiming.retry_initial`` and doubles up to ``retry_max``;
- every attempt is recorded in the state (``SandboxState.webhook_deliveries``) for the
  control API.

Nothing leaves the machine: a webhook on a host that is not loopback is never connected to;
its deliveries fail with "Failed to resolve host: Name or service not known".
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.sandbox._errors import ApiError

if TYPE_CHECKING:
    from bot.sandbox.state import SandboxState

__all__ = [
    "Webhook",
    "WebhookDeliverer",
    "WebhookDelivery",
    "WebhookTiming",
    "chat_key",
    "is_loopback",
    "parse_webhook",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
DEFAULT_MAX_CONNECTIONS = 40
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]*")
_PORTS = frozenset({80, 88, 443, 8443})
_NO_NETWORK = "Failed to resolve host: Name or service not known"
_IDLE_WAIT = 3600.0  # how long the deliverer sleeps when nothing is due (changes wake it)


@dataclass
class WebhookTiming:
    """How the sandbox retries: the first delay after a failure, the longest, and how long one
    delivery may take. Telegram starts around a second and grows to a minute or two; these
    defaults stay short so that tests are quick."""

    retry_initial: float = 1.0
    retry_max: float = 10.0
    timeout: float = 10.0

    def delay(self, failures: int) -> float:
        """The wait before the next attempt after ``failures`` failures in a row."""
        return float(min(self.retry_max, self.retry_initial * 2 ** min(failures - 1, 30)))


@dataclass
class Webhook:
    """The webhook setWebhook set, and the last error delivering to it."""

    url: str
    secret_token: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None

    @property
    def target(self) -> str:
        """The URL to POST to (Telegram takes a URL without a scheme as https)."""
        return self.url if "://" in self.url else f"https://{self.url}"


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook: the answer's status (None: no answer) or error."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    at: float

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def to_json(self) -> JSON:
        return {
            "update_id": self.update_id,
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "at": self.at,
        }


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_webhook(
    url: str, *, secret_token: str | None, max_connections: int | None, ip_address: str | None
) -> Webhook:
    """setWebhook's parameters as Telegram checks them, or its ApiError."""
    hook = Webhook(url, ip_address=ip_address or None)
    try:
        parts = urlsplit(hook.target)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ApiError(400, "Bad Request: invalid webhook URL specified") from None
    if not host or parts.scheme.lower() not in ("http", "https"):
        raise ApiError(400, "Bad Request: invalid webhook URL specified")
    local = is_loopback(host)
    if parts.scheme.lower() != "https" and not local:
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if not local and (port or 443) not in _PORTS:
        raise ApiError(
            400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )
    secret = secret_token or ""
    if len(secret) > 256:
        raise ApiError(400, "Bad Request: secret token is too long")
    if not _SECRET_RE.fullmatch(secret):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    hook.secret_token = secret or None
    # Telegram clamps max_connections to 1..100 rather than refusing it.
    if max_connections is not None:
        hook.max_connections = min(100, max(1, max_connections))
    return hook


def chat_key(update: JSON) -> int | None:
    """The chat whose queue an update joins (its user's for a chat-less one); None: no chat."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        message = payload.get("message")
        chat = payload.get("chat") or (message.get("chat") if isinstance(message, dict) else None)
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = payload.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


Slot = tuple[int, int | None]  # (the state's reset epoch, chat_key)


class WebhookDeliverer:
    """POSTs a SandboxState's pending updates to its webhook; see the module docstring."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[Slot] = set()  # chats with a delivery in flight
        self._failures: dict[Slot, int] = {}
        self._retry_at: dict[Slot, float] = {}  # loop time before which a chat is not retried
        self._version = -1  # the state's webhook_version the backoff belongs to
        self._finished = 0  # deliveries finished: each may change when the next retry is due

    async def context(self, app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: deliver while the app serves, stop cleanly after."""
        task = asyncio.create_task(self.run(), name="sandbox-webhook-deliverer")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while not self.state.closing:
                    self._launch(session)
                    await self._wait(self._finished)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _wait(self, finished: int) -> None:
        """Until an update is ready to POST, a delivery finished (the next retry may be due
        sooner than it was) or the earliest retry is due."""
        await self.state.wait_until(
            lambda: self._finished != finished or bool(self._ready()), self._next_retry()
        )

    def _sync(self) -> None:
        """A new webhook (or none, or a reset) starts without backoff."""
        if self.state.webhook_version != self._version:
            self._version = self.state.webhook_version
            self._failures.clear()
            self._retry_at.clear()

    def _ready(self) -> list[tuple[Slot, JSON]]:
        """The updates to POST now: each chat's first pending one, if that chat is free."""
        self._sync()
        state, hook = self.state, self.state.webhook
        if hook is None:
            return []
        room = hook.max_connections - len(self._busy)
        if room <= 0:
            return []
        now = asyncio.get_running_loop().time()
        seen: set[int | None] = set()
        ready: list[tuple[Slot, JSON]] = []
        for update in state.visible_updates(None):
            key = chat_key(update)
            if key in seen:
                continue
            seen.add(key)
            slot = (state.webhook_epoch, key)
            if slot in self._busy or self._retry_at.get(slot, 0.0) > now:
                continue
            ready.append((slot, update))
            if len(ready) >= room:
                break
        return ready

    def _next_retry(self) -> float:
        now = asyncio.get_running_loop().time()
        due = [at - now for at in self._retry_at.values() if at > now]
        return max(0.001, min(due)) if due else _IDLE_WAIT

    def _launch(self, session: aiohttp.ClientSession) -> None:
        hook = self.state.webhook
        if hook is None:
            return
        for slot, update in self._ready():
            self._busy.add(slot)
            task = asyncio.create_task(self._deliver(session, slot, update, hook))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self.state.webhook_in_flight = len(self._busy)

    async def _deliver(
        self, session: aiohttp.ClientSession, slot: Slot, update: JSON, hook: Webhook
    ) -> None:
        update_id = int(update["update_id"])
        try:
            status, error = await self._post(session, hook, update)
            if status is not None and 200 <= status < 300:
                self._failures.pop(slot, None)
                self._retry_at.pop(slot, None)
            else:
                failures = self._failures[slot] = self._failures.get(slot, 0) + 1
                delay = self.state.webhook_timing.delay(failures)
                self._retry_at[slot] = asyncio.get_running_loop().time() + delay
                log.debug(
                    "webhook_failed update_id=%s status=%s error=%s retry_in=%.2f",
                    update_id,
                    status,
                    error,
                    delay,
                )
            self.state.webhook_result(slot[0], update_id, hook, status, error)
        finally:
            self._busy.discard(slot)
            self._finished += 1
            self.state.webhook_in_flight = len(self._busy)
            self.state.notify()

    async def _post(
        self, session: aiohttp.ClientSession, hook: Webhook, update: JSON
    ) -> tuple[int | None, str | None]:
        """POST one update; (status, None) on 2xx, else (status or None, Telegram's error)."""
        target = hook.target
        if not is_loopback(urlsplit(target).hostname):
            return None, _NO_NETWORK  # no test may reach the internet
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        timeout = aiohttp.ClientTimeout(total=self.state.webhook_timing.timeout)
        try:
            async with session.post(
                target,
                data=json.dumps(update).encode(),
                headers=headers,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                await response.read()
                status, reason = response.status, response.reason
        except TimeoutError:
            return None, "Read timeout expired"
        except aiohttp.ClientSSLError as err:
            return None, f"SSL error {{{err}}}"
        except aiohttp.ClientConnectorError as err:
            if isinstance(err.os_error, ConnectionRefusedError):
                return None, "Connection refused"
            return None, f"Connection error: {err.os_error.strerror or err.os_error}"
        except aiohttp.ServerDisconnectedError:
            return None, "Connection reset by peer"
        except aiohttp.ClientError as err:
            return None, f"Connection error: {err}"
        if 200 <= status < 300:
            return status, None
        return status, f"Wrong response from the webhook: {status} {reason or ''}".rstrip()
