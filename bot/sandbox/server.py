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

How PTB 22 talks to it (see telegram/request/_httpxrequest.py and _requestparameter.py): every
call is a POST to ``{base_url}{token}/{method}`` with an ``application/x-www-form-urlencoded``
body, or ``multipart/form-data`` when a file is uploaded (the file part is named after the
parameter, e.g. ``photo``, or ``attached<hex>`` behind an ``attach://`` value). Every value is a
string: plain strings as they are, everything else JSON-encoded (``chat_id=123``,
``disable_notification=true``, ``reply_markup={"inline_keyboard": ...}``). The server also takes
JSON bodies and GET query strings, as Telegram does, and decodes values the same way.

The sandbox runs in its own thread with its own event loop: PTB and the sandbox sharing one loop
slows PTB down to a crawl. The control API (``/control/...``, listed in the docstring of
``bot.sandbox.client``) plays the readers and shows what the bot did. The bot token is part of
every request path, so no request path is ever logged and aiohttp's access log is off.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import web

from bot.sandbox.state import (
    ApiError,
    Chat,
    ControlError,
    Fault,
    Limits,
    SandboxState,
    StoredMessage,
)
from bot.sandbox.telegram_html import TelegramHTMLError, parse_telegram_html

__all__ = ["BackgroundServer", "SandboxServer"]

log = logging.getLogger(__name__)

JSON = dict[str, Any]
Handler = Callable[["Params"], Awaitable[Any]]

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_POLL_TIMEOUT = 50.0
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


# -- one aiohttp app in its own thread ----------------------------------------------------------


class BackgroundServer:
    """Serves an aiohttp ``Application`` from its own thread and event loop.

    Subclasses implement ``build_app()`` and may override ``before_stop()`` (run in the server's
    loop, to release long-polling handlers). ``start()``/``stop()`` or ``with``/``async with``.
    """

    thread_name = "background-server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._requested_port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._errors: list[BaseException] = []  # a failed start, reported by start()

    @property
    def url(self) -> str:
        """``http://host:port`` with the port actually bound."""
        if self._thread is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        raise NotImplementedError

    def before_stop(self) -> None:
        """Called in the server's loop just before it stops serving."""

    def start(self) -> Self:
        """Bind, serve in a new thread, and return once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        self._ready.clear()
        self._errors.clear()
        thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread = thread
        thread.start()
        self._ready.wait()
        if self._errors:
            thread.join()
            self._thread = None
            raise RuntimeError(f"{type(self).__name__} failed to start") from self._errors[0]
        log.info("server_started server=%s url=%s", type(self).__name__, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(self._begin_stop, loop)
        thread.join()
        self._thread = None
        self._loop = None
        log.info("server_stopped server=%s", type(self).__name__)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _begin_stop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.before_stop()
        loop.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start() in the caller's thread
                self._errors.append(exc)
                return
            finally:
                self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._cleanup())
        finally:
            _close_loop(loop)

    async def _serve(self) -> None:
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def _cleanup(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


# -- decoding Bot API parameters ----------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    content: bytes


class Params:
    """A Bot API call's parameters, decoded the way Telegram decodes them.

    Values arrive as JSON values (JSON body) or as strings (query, form, multipart), where
    anything that is not a string was JSON-encoded by the client.
    """

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, Upload]) -> None:
        self.values = dict(values)
        self.files = dict(files)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ApiError(400, required)
            return None
        if isinstance(value, bool):
            raise ApiError(400, f"Bad Request: invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(float(value)) if isinstance(value, float) else int(str(value).strip())
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json_value(self, name: str, error: str) -> Any:
        """A parameter that is an object or array, JSON-encoded when it came as a string."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError(400, error) from None
        return value

    def chat_ref(self) -> int | str | None:
        """``chat_id`` as an int, or the ``@username`` (or junk) string as given."""
        value = self.values.get("chat_id")
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        text = str(value).strip()
        return int(text) if _INT_RE.fullmatch(text) else text


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    with value.file as handle:
                        files[key] = Upload(value.filename, handle.read())
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode("utf-8", "replace")
                else:
                    values[key] = value
    return Params(values, files)


# -- the Bot API methods ------------------------------------------------------------------------


class BotApi:
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
            params = await _read_params(request)
            chat_ref = params.chat_ref()
            fault = self.state.take_fault(name.lower())
            if fault is not None:
                raise fault.to_error()
            result = await entry[1](params)
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
            await state.wait_until(lambda: bool(state.visible_updates(1)) or superseded(), timeout)
        finally:
            state.waiting_polls -= 1
        if superseded():
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return state.visible_updates(limit)

    async def set_webhook(self, p: Params) -> bool:
        url = p.text("url") or ""
        if url and urlsplit(url).scheme != "https":
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        self.state.webhook_url = url
        if p.flag("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def delete_webhook(self, p: Params) -> bool:
        self.state.webhook_url = ""
        if p.flag("drop_pending_updates"):
            self.state.updates.clear()
        return True

    async def get_webhook_info(self, p: Params) -> JSON:
        return {
            "url": self.state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.updates),
        }

    # -- sending ---------------------------------------------------------------------------

    def _render(self, raw: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
        if parse_mode is None:
            return raw, entities if isinstance(entities, list) else []
        try:
            parsed = parse_telegram_html(raw, strict=self.strict_html)
        except TelegramHTMLError as err:
            raise ApiError(400, err.description) from None
        return parsed.text, parsed.entities

    def _target(self, p: Params) -> Chat:
        chat = self.state.resolve_chat(p.chat_ref())
        self.state.check_can_send(chat)
        return chat

    def _text(self, p: Params) -> tuple[str, str, list[JSON], str | None]:
        raw = p.text("text")
        if not raw:
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = _parse_mode(p)
        entities = p.json_value("entities", "Bad Request: can't parse entities JSON object")
        text, parsed = self._render(raw, parse_mode, entities)
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, text, parsed, parse_mode

    def _caption(self, p: Params) -> tuple[str | None, str | None, list[JSON], str | None]:
        raw = p.text("caption")
        parse_mode = _parse_mode(p)
        if not raw:
            return None, None, [], parse_mode
        entities = p.json_value(
            "caption_entities", "Bad Request: can't parse caption entities JSON object"
        )
        caption, parsed = self._render(raw, parse_mode, entities)
        if len(caption) > _MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return raw, caption, parsed, parse_mode

    async def send_message(self, p: Params) -> JSON:
        chat = self._target(p)
        raw, text, entities, parse_mode = self._text(p)
        markup = _reply_markup(p)
        self.state.check_rate(chat)
        msg = self.state.add_bot_message(
            chat,
            method="sendMessage",
            text=text,
            html=raw if parse_mode else None,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            options=_options(p),
        )
        return self.state.message_to_api(msg)

    async def send_photo(self, p: Params) -> JSON:
        chat = self._target(p)
        photo, size = self._photo(p)
        raw, caption, entities, parse_mode = self._caption(p)
        markup = _reply_markup(p)
        self.state.check_rate(chat)
        msg = self.state.add_bot_message(
            chat,
            method="sendPhoto",
            photo=photo,
            photo_sizes=self.state.new_photo_sizes(size),
            caption=caption,
            html=raw if parse_mode else None,
            caption_entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            options=_options(p),
        )
        return self.state.message_to_api(msg)

    def _photo(self, p: Params) -> tuple[str, int | None]:
        """The photo as stored ("uploaded" or the URL / file id) and its size if uploaded."""
        value = p.get("photo")
        upload = p.files.get("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if upload is not None:
            if not upload.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return "uploaded", len(upload.content)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, "Bad Request: there is no photo in the request")
        parts = urlsplit(value.strip())
        if (parts.scheme in ("http", "https") and parts.hostname) or self.state.known_file_id(
            value
        ):
            return value.strip(), None
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    # -- editing ---------------------------------------------------------------------------

    def _editable(self, p: Params) -> StoredMessage:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: the sandbox does not support inline messages")
        chat = self.state.resolve_chat(p.chat_ref())
        message_id = p.integer("message_id", required="Bad Request: message identifier is empty")
        msg = self.state.bot_message(chat, message_id or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _edited(self, msg: StoredMessage) -> JSON:
        msg.edit_date = self.state.now()
        self.state.notify()
        return self.state.message_to_api(msg)

    async def edit_message_text(self, p: Params) -> JSON:
        msg = self._editable(p)
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        raw, text, entities, parse_mode = self._text(p)
        markup = _reply_markup(p)
        if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, markup
        msg.html, msg.parse_mode = (raw if parse_mode else None), parse_mode
        return self._edited(msg)

    async def edit_message_caption(self, p: Params) -> JSON:
        msg = self._editable(p)
        if msg.photo is None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        raw, caption, entities, parse_mode = self._caption(p)
        markup = _reply_markup(p)
        if (caption, entities, markup) == (msg.caption, msg.caption_entities, msg.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.reply_markup = caption, entities, markup
        msg.html, msg.parse_mode = (raw if parse_mode else None), parse_mode
        return self._edited(msg)

    async def edit_message_reply_markup(self, p: Params) -> JSON:
        msg = self._editable(p)
        markup = _reply_markup(p)
        if markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.reply_markup = markup
        return self._edited(msg)

    async def delete_message(self, p: Params) -> bool:
        chat = self.state.resolve_chat(p.chat_ref())
        message_id = p.integer("message_id", required="Bad Request: message identifier is empty")
        msg = self.state.bot_message(chat, message_id or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self.state.notify()
        return True

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


def _parse_mode(p: Params) -> str | None:
    mode = (p.text("parse_mode") or "").strip()
    if not mode:
        return None
    if mode.lower() != "html":
        raise ApiError(
            400, f"Bad Request: the sandbox implements parse_mode HTML only, not {mode!r}"
        )
    return "HTML"


def _options(p: Params) -> JSON:
    """Sending options kept with the message so that tests can look at them."""
    out: JSON = {}
    for key in ("disable_notification", "protect_content", "allow_paid_broadcast"):
        if p.get(key) is not None:
            out[key] = p.flag(key)
    for key in ("link_preview_options", "reply_parameters"):
        value = p.json_value(key, f"Bad Request: can't parse {key} JSON object")
        if value is not None:
            out[key] = value
    if p.get("disable_web_page_preview") is not None:
        out["link_preview_options"] = {"is_disabled": p.flag("disable_web_page_preview")}
    return out


def _reply_markup(p: Params) -> JSON | None:
    error = "Bad Request: can't parse reply keyboard markup JSON object"
    markup = p.json_value("reply_markup", error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, error)
    keyboard = markup.get("inline_keyboard")
    if keyboard is not None:
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
        for row in keyboard:
            for button in row:
                _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise ApiError(400, 'Bad Request: can\'t find field "text"')
    if "callback_data" in button:
        if not 1 <= len(str(button["callback_data"]).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif "url" in button:
        parts = urlsplit(str(button["url"]))
        if parts.scheme not in ("http", "https", "tg") or not (parts.netloc or parts.path):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    elif not any(
        key in button
        for key in (
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "web_app",
            "callback_game",
            "pay",
        )
    ):
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")


# -- the control API ----------------------------------------------------------------------------

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
            web.post("/control/users/{user_id}/messages", _control(self.user_message)),
            web.post("/control/users/{user_id}/callback", _control(self.callback)),
            web.post("/control/users/{user_id}/block", _control(self.block)),
            web.post("/control/users/{user_id}/unblock", _control(self.unblock)),
            web.get("/control/requests", _control(self.requests)),
            web.get("/control/commands", _control(self.commands)),
            web.get("/control/callbacks", _control(self.callbacks)),
            web.get("/control/updates", _control(self.updates)),
            web.get("/control/polling", _control(self.polling)),
            web.post("/control/faults", _control(self.faults)),
            web.post("/control/limits", _control(self.limits)),
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
            ]
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
        return {"updates": list(self.state.updates)}

    async def polling(self, request: web.Request) -> JSON:
        """Wait (up to ``timeout`` s) until a getUpdates call is waiting for updates."""
        timeout = min(300.0, float(request.query.get("timeout", "5")))
        await self.state.wait_until(lambda: self.state.waiting_polls > 0, timeout)
        return {"waiting": self.state.waiting_polls}

    async def faults(self, request: web.Request) -> JSON:
        body = await _body(request)
        state = self.state
        if body.get("clear"):
            state.faults.clear()
            state.latency_ms = 0.0
        if body.get("latency_ms") is not None:
            state.latency_ms = max(0.0, float(body["latency_ms"]))
        if body.get("status") is not None:
            status = int(body["status"])
            if not 400 <= status <= 599:
                raise ControlError("a fault's status must be 4xx or 5xx")
            method = body.get("method")
            state.add_fault(
                Fault(
                    method=str(method).lower() if method else None,
                    remaining=max(1, int(body.get("count", 1))),
                    status=status,
                    retry_after=int(body["retry_after"]) if body.get("retry_after") else None,
                    description=body.get("description"),
                )
            )
        return {"latency_ms": state.latency_ms, "faults": [f.to_json() for f in state.faults]}

    async def limits(self, request: web.Request) -> JSON:
        body = await _body(request)
        self.state.set_limits(self.state.limits.updated(body))
        return {"limits": dataclasses.asdict(self.state.limits)}


# -- the server ---------------------------------------------------------------------------------


class SandboxServer(BackgroundServer):
    """The Bot API sandbox on ``127.0.0.1``; point PTB at ``base_url=f"{server.url}/bot"``.

    ``state`` is the SandboxState it serves; it belongs to the server's thread, so read it
    through the control API (``SandboxClient``) while the server runs.
    ``tokens``: if given, only these tokens are accepted (others answer 401 Unauthorized).
    ``strict_html``: reject ``&nbsp;``, a bare ``&`` and ``<a>`` without href (see
    ``telegram_html``); False accepts them as Telegram does.
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
    ) -> None:
        super().__init__(host, port)
        self.state = SandboxState(bot_username=bot_username, channels=channels, limits=limits)
        self._tokens = tuple(tokens) if tokens is not None else None
        self._strict_html = strict_html

    def build_app(self) -> web.Application:
        self.state.closing = False
        api = BotApi(self.state, tokens=self._tokens, strict_html=self._strict_html)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.add_routes(ControlApi(self.state).routes())
        app.router.add_route("*", "/bot{token}/{method}", api.handle)
        return app

    def before_stop(self) -> None:
        self.state.close()
