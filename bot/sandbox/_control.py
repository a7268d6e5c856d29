"""``ControlApi``: the ``/control/...`` routes that play the readers and show what the bot did.

Readers write to the bot, press buttons and block it; tests list chats, messages, requests,
commands, callbacks and updates (optionally waiting for them), migrate groups, inject
faults, latency and rate limits, make sendPhoto refuse picture URLs as Telegram does when
it cannot fetch them, and see (and wait for) the webhook's deliveries. Every route answers
JSON; a bad request answers ``{"error": ...}``. ``bot.sandbox.client.SandboxClient`` wraps
these routes.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.state import ControlError, Fault, SandboxState, StoredMessage, WebhookTiming

__all__ = ["ControlApi"]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
ControlHandler = Callable[[web.Request], Awaitable[Any]]


def _control(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a control handler: its result becomes JSON, its errors ``{"error": ...}``."""

    async def wrapped(request: web.Request) -> web.Response:
        try:
            result = await handler(request)
        except ControlError as err:
            return web.json_response({"error": str(err)}, status=err.status)
        except (ValueError, TypeError, KeyError) as err:
            return web.json_response({"error": f"bad control request: {err}"}, status=400)
        return web.json_response(result)

    return wrapped


def _chat_ref(request: web.Request) -> str:
    """The ``{chat}`` of a control path: an id or ``@username``."""
    return request.match_info["chat"]


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


class ControlApi:
    """``/control/...``: play the readers, inspect what the bot did, inject faults."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/control/reset", _control(self.reset)),
            web.post("/control/channels", _control(self.add_channel)),
            web.get("/control/chats", _control(self.chats)),
            web.get("/control/chats/{chat}/messages", _control(self.messages)),
            web.post("/control/chats/{chat}/migrate", _control(self.migrate)),
            web.post("/control/chats/{chat}/admins", _control(self.set_admins)),
            web.post("/control/chats/{chat}/joins", _control(self.join_channel)),
            web.post("/control/chats/{chat}/reactions", _control(self.react)),
            web.post("/control/users/{user_id}/messages", _control(self.user_message)),
            web.post("/control/users/{user_id}/callback", _control(self.callback)),
            web.post("/control/users/{user_id}/block", _control(self.block)),
            web.post("/control/users/{user_id}/unblock", _control(self.unblock)),
            web.get("/control/requests", _control(self.requests)),
            web.get("/control/commands", _control(self.commands)),
            web.get("/control/callbacks", _control(self.callbacks)),
            web.get("/control/updates", _control(self.updates)),
            web.get("/control/polling", _control(self.polling)),
            web.get("/control/webhook", _control(self.webhook)),
            web.post("/control/webhook", _control(self.webhook_timing)),
            web.post("/control/faults", _control(self.faults)),
            web.post("/control/limits", _control(self.limits)),
            web.post("/control/photos", _control(self.photos)),
        ]

    async def reset(self, request: web.Request) -> JSON:
        self.state.reset()
        log.info("sandbox_reset")
        return {"ok": True}

    async def add_channel(self, request: web.Request) -> JSON:
        body = await _body(request)
        chat = self.state.add_chat(
            body.get("username"),
            body.get("title"),
            chat_type=str(body.get("type", "channel")),
            admins=[int(a) for a in body.get("admins", [])],
        )
        return {"chat_id": chat.id}

    async def chats(self, request: web.Request) -> JSON:
        return {
            "chats": [
                {**chat.summary(), "blocked": chat.id in self.state.blocked}
                for chat in self.state.chats.values()
            ]
        }

    async def messages(self, request: web.Request) -> JSON:
        ref = request.match_info["chat"]
        wait_for = int(request.query.get("wait_for", "0"))
        timeout = min(300.0, float(request.query.get("timeout", "5")))
        state = self.state

        def bot_messages() -> list[StoredMessage]:
            chat = state.find_chat(ref)
            return [m for m in chat.messages if m.from_bot] if chat else []

        if wait_for > 0:
            await state.wait_until(lambda: len(bot_messages()) >= wait_for, timeout)
        chat = state.find_chat(ref)
        return {"messages": [m.record() for m in chat.messages] if chat else []}

    async def migrate(self, request: web.Request) -> JSON:
        chat = self.state.find_chat(request.match_info["chat"])
        if chat is None:
            raise ControlError("chat not found", 404)
        return {"chat_id": self.state.migrate(chat).id}

    async def set_admins(self, request: web.Request) -> JSON:
        body = await _body(request)
        admins = [int(a) for a in body.get("admins", [])]
        return {"update_ids": self.state.set_admins(_chat_ref(request), admins)}

    async def join_channel(self, request: web.Request) -> JSON:
        body = await _body(request)
        link = body.get("invite_link")
        update_id = self.state.join_channel(
            _chat_ref(request), int(body["user_id"]), str(link) if link else None
        )
        return {"update_id": update_id}

    async def react(self, request: web.Request) -> JSON:
        body = await _body(request)
        counts = {str(k): int(v) for k, v in dict(body.get("counts", {})).items()}
        update_id = self.state.react(_chat_ref(request), int(body["message_id"]), counts)
        return {"update_id": update_id}

    async def user_message(self, request: web.Request) -> JSON:
        body = await _body(request)
        update_id, message_id = self.state.user_writes(
            int(request.match_info["user_id"]),
            str(body["text"]),
            first_name=body.get("first_name"),
            username=body.get("username"),
            language_code=body.get("language_code"),
        )
        return {"update_id": update_id, "message_id": message_id}

    async def callback(self, request: web.Request) -> JSON:
        body = await _body(request)
        update_id, query_id = self.state.press(
            int(request.match_info["user_id"]), int(body["message_id"]), str(body["data"])
        )
        return {"update_id": update_id, "callback_query_id": query_id}

    async def block(self, request: web.Request) -> JSON:
        self.state.set_blocked(int(request.match_info["user_id"]), blocked=True)
        return {"ok": True}

    async def unblock(self, request: web.Request) -> JSON:
        self.state.set_blocked(int(request.match_info["user_id"]), blocked=False)
        return {"ok": True}

    async def requests(self, request: web.Request) -> JSON:
        wanted = request.query.get("method", "").lower()
        return {
            "requests": [
                r.to_json() for r in self.state.requests if not wanted or r.method.lower() == wanted
            ],
            # The log keeps the last 100,000; these count every request since the start.
            "counts": [
                {"method": method, "status": status, "count": count}
                for (method, status), count in sorted(self.state.request_counts.items())
                if not wanted or method.lower() == wanted
            ],
        }

    async def commands(self, request: web.Request) -> JSON:
        scope = {"type": request.query.get("scope", "default")}
        language_code = request.query.get("language_code", "")
        return {
            "commands": self.state.get_commands(scope, language_code),
            "all": self.state.all_commands(),
        }

    async def callbacks(self, request: web.Request) -> JSON:
        """Button presses; ``?wait_answered=N&timeout=S`` waits until N were answered."""
        wait_answered = int(request.query.get("wait_answered", "0"))
        timeout = min(300.0, float(request.query.get("timeout", "5")))
        callbacks = self.state.callbacks
        if wait_answered > 0:
            await self.state.wait_until(
                lambda: sum(c.answered for c in callbacks.values()) >= wait_answered, timeout
            )
        return {"callbacks": [c.to_json() for c in callbacks.values()]}

    async def updates(self, request: web.Request) -> JSON:
        """Updates neither confirmed by getUpdates nor delivered to the webhook."""
        return {"updates": list(self.state.updates)}

    async def polling(self, request: web.Request) -> JSON:
        """Wait (up to ``timeout`` s) until a getUpdates call is waiting for updates."""
        timeout = min(300.0, float(request.query.get("timeout", "5")))
        await self.state.wait_until(lambda: self.state.waiting_polls > 0, timeout)
        return {"waiting": self.state.waiting_polls}

    async def webhook(self, request: web.Request) -> JSON:
        """The webhook and every POST to it; ``?wait_for=N`` waits until N updates were
        delivered (answered 2xx) since the reset, ``?wait_attempts=N`` until N POSTs were
        answered or failed, ``?wait_idle=1`` until none is pending; ``timeout=S`` (default 5)
        bounds the wait."""
        wait_for = int(request.query.get("wait_for", "0"))
        wait_attempts = int(request.query.get("wait_attempts", "0"))
        wait_idle = request.query.get("wait_idle", "").lower() in ("1", "true", "yes")
        timeout = min(300.0, float(request.query.get("timeout", "5")))
        state = self.state

        def pending() -> int:
            return len(state.visible_updates(None))

        def done() -> bool:
            return (
                state.webhook_accepted >= wait_for
                and state.webhook_attempts >= wait_attempts
                and not (wait_idle and pending())
            )

        if wait_for > 0 or wait_attempts > 0 or wait_idle:
            await state.wait_until(done, timeout)
        hook = state.webhook
        return {
            "url": state.webhook_url,
            "secret_token": hook.secret_token if hook else None,
            "max_connections": hook.max_connections if hook else None,
            "allowed_updates": state.allowed_updates_given,
            "last_error_date": hook.last_error_date if hook else None,
            "last_error_message": hook.last_error_message if hook else None,
            "pending": pending(),
            "in_flight": state.webhook_in_flight,
            "attempts": state.webhook_attempts,
            "delivered": state.webhook_accepted,
            "deliveries": [d.to_json() for d in state.webhook_deliveries],
        }

    async def webhook_timing(self, request: web.Request) -> JSON:
        """How deliveries are retried: ``{"retry_initial", "retry_max", "timeout"}`` (seconds;
        any of them) -> the timing now in force."""
        body = await _body(request)
        current = dataclasses.asdict(self.state.webhook_timing)
        changes = {key: float(body[key]) for key in current if body.get(key) is not None}
        if any(value <= 0 for value in changes.values()):
            raise ControlError("webhook timings are positive numbers of seconds")
        unknown = set(body) - set(current)
        if unknown:
            raise ControlError(f"unknown webhook timing {sorted(unknown)}")
        self.state.webhook_timing = WebhookTiming(**(current | changes))
        return dataclasses.asdict(self.state.webhook_timing)

    async def faults(self, request: web.Request) -> JSON:
        body = await _body(request)
        state = self.state
        if body.get("clear"):
            state.faults.clear()
            state.latency_ms = 0.0
        if body.get("latency_ms") is not None:
            state.latency_ms = max(0.0, float(body["latency_ms"]))
        lose_answer = bool(body.get("lose_answer"))
        if body.get("status") is not None or lose_answer:
            status = int(body.get("status") or 200)
            if not (400 <= status <= 599 or lose_answer):
                raise ControlError("a fault's status must be 4xx or 5xx")
            method = body.get("method")
            state.add_fault(
                Fault(
                    method=str(method).lower() if method else None,
                    remaining=max(1, int(body.get("count", 1))),
                    status=status,
                    retry_after=int(body["retry_after"]) if body.get("retry_after") else None,
                    description=body.get("description"),
                    lose_answer=lose_answer,
                )
            )
        return {"latency_ms": state.latency_ms, "faults": [f.to_json() for f in state.faults]}

    async def photos(self, request: web.Request) -> JSON:
        """How sendPhoto treats URLs: ``{"refuse_urls": true | false | "regex",
        "description": "Bad Request: ..."}`` (Telegram's answer to a URL it cannot fetch)."""
        body = await _body(request)
        rule = body.get("refuse_urls", False)
        if not isinstance(rule, bool | str):
            raise ControlError("refuse_urls must be true, false or a regular expression")
        description = body.get("description")
        self.state.refuse_photo_urls(rule, str(description) if description else None)
        pattern = self.state.refused_photo_urls
        return {
            "refuse_urls": None if pattern is None else pattern.pattern,
            "description": self.state.photo_url_error,
        }

    async def limits(self, request: web.Request) -> JSON:
        body = await _body(request)
        self.state.set_limits(self.state.limits.updated(body))
        return {"limits": dataclasses.asdict(self.state.limits)}
