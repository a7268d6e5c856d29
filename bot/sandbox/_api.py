"""``BotApi``: the ``/bot{token}/{method}`` handler and the Bot API methods over a state.

``handle`` checks the token, applies injected latency and faults, decodes the parameters
(``_params``), calls the method and answers ``{"ok": true, "result": ...}`` or Telegram's error
shape, logging every call in the state's request log. The methods for the bot itself, updates
(getUpdates long polling, webhooks) and chats live here; sending and editing messages come
from ``MessageMethods`` (``_messages``). No request path is ever logged: it holds the token.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from bot.sandbox._messages import MessageMethods
from bot.sandbox._params import Params, read_params
from bot.sandbox._webhook import parse_webhook
from bot.sandbox.state import ApiError, SandboxState

__all__ = ["BotApi"]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_POLL_TIMEOUT = 50.0


class BotApi(MessageMethods):
    """The Bot API methods over a SandboxState; ``handle`` is the aiohttp handler."""

    def __init__(
        self, state: SandboxState, *, tokens: Iterable[str] | None, strict_html: bool
    ) -> None:
        self.state = state
        self.tokens = frozenset(tokens) if tokens is not None else None
        self.strict_html = strict_html
        self.profile: JSON = {"description": "", "short_description": "", "name": ""}
        table: list[tuple[str, Handler]] = [
            ("getMe", self.get_me),
            ("logOut", self.ok),
            ("close", self.ok),
            ("getUpdates", self.get_updates),
            ("setWebhook", self.set_webhook),
            ("deleteWebhook", self.delete_webhook),
            ("getWebhookInfo", self.get_webhook_info),
            ("setMyCommands", self.set_my_commands),
            ("getMyCommands", self.get_my_commands),
            ("deleteMyCommands", self.delete_my_commands),
            ("setMyDescription", self.set_profile("description")),
            ("setMyShortDescription", self.set_profile("short_description")),
            ("setMyName", self.set_profile("name")),
            ("getMyDescription", self.get_profile("description")),
            ("getMyShortDescription", self.get_profile("short_description")),
            ("getMyName", self.get_profile("name")),
            ("sendMessage", self.send_message),
            ("sendPhoto", self.send_photo),
            ("editMessageText", self.edit_message_text),
            ("editMessageCaption", self.edit_message_caption),
            ("editMessageReplyMarkup", self.edit_message_reply_markup),
            ("deleteMessage", self.delete_message),
            ("pinChatMessage", self.chat_ok),
            ("unpinChatMessage", self.chat_ok),
            ("answerCallbackQuery", self.answer_callback_query),
            ("sendChatAction", self.send_chat_action),
            ("getChat", self.get_chat),
            ("getChatMember", self.get_chat_member),
            ("getChatAdministrators", self.get_chat_administrators),
            ("createChatInviteLink", self.create_chat_invite_link),
        ]
        self.methods = {name.lower(): (name, handler) for name, handler in table}

    async def handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        entry = self.methods.get(name.lower())
        method = entry[0] if entry else name
        chat_ref: int | str | None = None
        try:
            if not _TOKEN_RE.fullmatch(token) or (
                self.tokens is not None and token not in self.tokens
            ):
                raise ApiError(401, "Unauthorized")
            self.state.bot_id = int(token.split(":", 1)[0])
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            if self.state.latency_ms > 0:
                await asyncio.sleep(self.state.latency_ms / 1000)
            params = await read_params(request)
            chat_ref = params.chat_ref()
            fault = self.state.take_fault(name.lower())
            if fault is not None and not fault.lose_answer:
                raise fault.to_error()
            result = await entry[1](params)
            if fault is not None and request.transport is not None:
                self.state.log_request(method, chat_ref, 0, "answer lost")
                request.transport.close()  # done, but the reply never reaches the bot
                return web.Response(status=200)
        except ApiError as err:
            self.state.log_request(method, chat_ref, err.status, err.description)
            log.debug(
                "api_error method=%s chat_id=%s status=%s description=%s",
                method,
                chat_ref,
                err.status,
                err.description,
            )
            return web.json_response(err.to_api(), status=err.status)
        except Exception:
            self.state.log_request(method, chat_ref, 500, "Internal Server Error")
            log.exception("api_crash method=%s chat_id=%s", method, chat_ref)
            error = ApiError(500, "Internal Server Error")
            return web.json_response(error.to_api(), status=500)
        self.state.log_request(method, chat_ref, 200, None)
        log.debug("api_ok method=%s chat_id=%s", method, chat_ref)
        return web.json_response({"ok": True, "result": result})

    # -- the bot itself --------------------------------------------------------------------

    async def ok(self, p: Params) -> bool:
        return True

    async def get_me(self, p: Params) -> JSON:
        return {
            **self.state.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_profile(self, key: str) -> Handler:
        async def handler(p: Params) -> bool:
            self.profile[key] = p.text(key) or ""
            return True

        return handler

    def get_profile(self, key: str) -> Handler:
        async def handler(p: Params) -> JSON:
            return {key: self.profile[key]}

        return handler

    async def set_my_commands(self, p: Params) -> bool:
        commands = p.json_value("commands", "Bad Request: can't parse commands JSON object")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be an array")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = p.json_value("scope", "Bad Request: can't parse BotCommandScope JSON object")
        self.state.set_commands(scope, p.text("language_code") or "", commands)
        return True

    async def get_my_commands(self, p: Params) -> list[JSON]:
        scope = p.json_value("scope", "Bad Request: can't parse BotCommandScope JSON object")
        return self.state.get_commands(scope, p.text("language_code") or "")

    async def delete_my_commands(self, p: Params) -> bool:
        scope = p.json_value("scope", "Bad Request: can't parse BotCommandScope JSON object")
        self.state.set_commands(scope, p.text("language_code") or "", [])
        return True

    # -- updates ---------------------------------------------------------------------------

    async def get_updates(self, p: Params) -> list[JSON]:
        state = self.state
        if state.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        limit = min(100, max(1, p.integer("limit") or 100))
        timeout = min(_MAX_POLL_TIMEOUT, max(0.0, p.number("timeout") or 0.0))
        allowed = p.json_value("allowed_updates", "Bad Request: can't parse allowed_updates")
        state.set_allowed_updates(allowed if isinstance(allowed, list) else None)
        state.confirm_updates(p.integer("offset") or 0)
        generation = state.begin_poll()

        def superseded() -> bool:
            return state.poll_generation != generation

        state.waiting_polls += 1
        state.notify()
        try:
            await state.wait_until(
                lambda: bool(state.visible_updates(1)) or superseded() or bool(state.webhook_url),
                timeout,
            )
        finally:
            state.waiting_polls -= 1
        if state.webhook_url:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        if superseded():
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return state.visible_updates(limit)

    async def set_webhook(self, p: Params) -> bool:
        """Updates are POSTed to ``url`` from now on (``_webhook``); no URL deletes it."""
        url = (p.text("url") or "").strip()
        drop = p.flag("drop_pending_updates")
        if not url:
            self.state.delete_webhook(drop_pending=drop)
            return True
        hook = parse_webhook(
            url,
            secret_token=p.text("secret_token"),
            max_connections=p.integer("max_connections"),
            ip_address=p.text("ip_address"),
        )
        allowed = p.json_value("allowed_updates", "Bad Request: can't parse allowed_updates")
        self.state.set_webhook(
            hook, allowed=allowed if isinstance(allowed, list) else None, drop_pending=drop
        )
        return True

    async def delete_webhook(self, p: Params) -> bool:
        self.state.delete_webhook(drop_pending=p.flag("drop_pending_updates"))
        return True

    async def get_webhook_info(self, p: Params) -> JSON:
        state, hook = self.state, self.state.webhook
        info: JSON = {
            "url": state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(state.visible_updates(None)),
        }
        if hook is not None:
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message or ""
            info["max_connections"] = hook.max_connections
        if state.allowed_updates_given:
            info["allowed_updates"] = list(state.allowed_updates_given)
        return info

    # -- chats -----------------------------------------------------------------------------

    async def chat_ok(self, p: Params) -> bool:
        self._target(p)
        return True

    async def answer_callback_query(self, p: Params) -> bool:
        query_id = p.text("callback_query_id")
        if not query_id:
            raise ApiError(400, "Bad Request: query_id is empty")
        answer: JSON = {
            "text": p.text("text"),
            "show_alert": p.flag("show_alert"),
            "url": p.text("url"),
            "cache_time": p.integer("cache_time"),
        }
        if len(answer["text"] or "") > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.state.answer_callback(query_id, answer)
        return True

    async def send_chat_action(self, p: Params) -> bool:
        self._target(p)
        if not p.text("action"):
            raise ApiError(400, "Bad Request: action is empty")
        return True

    async def get_chat(self, p: Params) -> JSON:
        chat = self.state.resolve_chat(p.chat_ref())
        return {
            **chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                (
                    "unlimited_gifts",
                    "limited_gifts",
                    "unique_gifts",
                    "premium_subscription",
                    "gifts_from_channels",
                ),
                False,
            ),
        }

    async def get_chat_member(self, p: Params) -> JSON:
        chat = self.state.resolve_chat(p.chat_ref())
        user_id = p.integer("user_id", required="Bad Request: user_id is empty")
        return self.state.chat_member(chat, user_id or 0)

    async def get_chat_administrators(self, p: Params) -> list[JSON]:
        chat = self.state.resolve_chat(p.chat_ref())
        return self.state.administrators(chat)

    async def create_chat_invite_link(self, p: Params) -> JSON:
        chat = self.state.resolve_chat(p.chat_ref())
        if chat.type == "private":
            raise ApiError(400, "Bad Request: can't invite members to a private chat")
        link: JSON = {
            "invite_link": f"https://t.me/+sandbox{abs(chat.id)}x{len(self.state.requests)}",
            "creator": self.state.bot_user(),
            "creates_join_request": p.flag("creates_join_request"),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if p.get(key) not in (None, ""):
                link[key] = p.text(key) if key == "name" else p.integer(key)
        return link
