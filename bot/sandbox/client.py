"""An async client for the sandbox's control API: play the readers, look at what the bot did.

Usage::

    async with SandboxClient(sandbox.url) as client:
        await client.send(42, "/start poster-a", first_name="Ann")   # a reader writes
        [welcome] = await client.bot_messages(42, wait_for=1)          # waits, never sleeps
        await client.press(42, welcome["message_id"], "subscribe")     # presses a button
        await client.block(42)                                          # blocks the bot
        await client.faults(method="sendMessage", status=429, retry_after=3)

The control API it speaks (JSON in, JSON out; errors are ``{"error": "..."}`` with 400/404):

==========================================  =====================================================
``POST /control/reset``                     forget everything (update ids keep increasing)
``POST /control/channels``                  ``{"username", "title", "type", "admins"}`` ->
                                            ``{"chat_id"}``; type: channel, group, supergroup
``GET  /control/chats``                     ``{"chats": [...]}``
``GET  /control/chats/{chat}/messages``     ``?wait_for=N&timeout=S``: waits until N messages
                                            from the bot exist; ``{"messages": [...]}``
``POST /control/chats/{chat}/migrate``      a group becomes a supergroup -> ``{"chat_id"}``
``POST /control/users/{id}/messages``       ``{"text", "first_name", "username",
                                            "language_code"}`` -> ``{"update_id", "message_id"}``
``POST /control/users/{id}/callback``       ``{"message_id", "data"}`` ->
                                            ``{"update_id", "callback_query_id"}``
``POST /control/users/{id}/block|unblock``  the reader blocks / unblocks the bot
``GET  /control/requests?method=M``         ``{"requests": [{method, chat_id, status, ...}]}``
``GET  /control/commands``                  ``?scope=default&language_code=`` ->
                                            ``{"commands": [...], "all": [...]}``
``GET  /control/callbacks``                 presses and the bot's answers;
                                            ``?wait_answered=N&timeout=S`` waits for answers
``GET  /control/updates``                   updates not yet confirmed by getUpdates (nor
                                            delivered to the webhook)
``GET  /control/polling?timeout=S``         waits until a getUpdates call is long-polling ->
                                            ``{"waiting": n}``
``GET  /control/webhook``                   ``?wait_for=N&wait_attempts=M&wait_idle=1``
                                            ``&timeout=S``: waits until N updates were
                                            delivered (2xx) since the reset, M POSTs were
                                            made (any outcome), and/or none is pending ->
                                            ``{"url", "secret_token",
                                            "max_connections", "allowed_updates",
                                            "last_error_date", "last_error_message",
                                            "pending", "in_flight", "attempts", "delivered",
                                            "deliveries": [{"update_id", "url",
                                            "status", "error", "at"}]}`` (status null: no
                                            answer; ``error``: Telegram's last_error_message)
``POST /control/webhook``                   ``{"retry_initial", "retry_max", "timeout"}``:
                                            how deliveries back off and time out (seconds)
``POST /control/faults``                    ``{"latency_ms", "method", "count", "status",
                                            "retry_after", "description", "clear"}``
``POST /control/limits``                    fields of ``Limits`` -> ``{"limits"}``
``POST /control/photos``                    ``{"refuse_urls": true|false|"regex",
                                            "description"}``: sendPhoto refuses those URLs
                                            as Telegram does when it cannot fetch them
==========================================  =====================================================

``{chat}`` is a chat id or ``@username``. A message record has ``message_id, chat_id, from_bot,
user_id, date, method, text, html (as sent), entities, photo ("uploaded" or the URL), caption,
caption_entities, reply_markup, parse_mode, options, edited, deleted``; ``photo_file_id`` is the
file id of the photo's largest size (the same for every message sent with that file id).

An uploaded photo must be an image Telegram takes ("Bad Request: IMAGE_PROCESS_FAILED"
otherwise), a file id one the sandbox issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

__all__ = ["ControlRequestError", "SandboxClient"]

JSON = dict[str, Any]


class ControlRequestError(RuntimeError):
    """The sandbox refused a control request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"sandbox control request failed ({status}): {message}")
        self.status = status
        self.message = message


class SandboxClient:
    """Talks to ``/control/...`` of a running SandboxServer at ``url``."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: JSON | None = None,
        params: dict[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - an httpx timeout for one request
    ) -> JSON:
        response = await self._http.request(
            method,
            path,
            json=json,
            params=params,
            timeout=timeout if timeout is not None else self._timeout,
        )
        body: JSON = response.json()
        if response.is_error:
            raise ControlRequestError(response.status_code, str(body.get("error", body)))
        return body

    # -- readers ---------------------------------------------------------------------------

    async def send(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Reader",
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        """The reader ``user_id`` sends ``text``; returns ``{"update_id", "message_id"}``."""
        body: JSON = {"text": text, "first_name": first_name}
        if username is not None:
            body["username"] = username
        if language_code is not None:
            body["language_code"] = language_code
        return await self._call("POST", f"/control/users/{user_id}/messages", json=body)

    async def press(self, user_id: int, message_id: int, data: str) -> JSON:
        """The reader presses the inline button ``data`` under the bot's ``message_id``."""
        body = {"message_id": message_id, "data": data}
        return await self._call("POST", f"/control/users/{user_id}/callback", json=body)

    async def block(self, user_id: int) -> None:
        await self._call("POST", f"/control/users/{user_id}/block")

    async def unblock(self, user_id: int) -> None:
        await self._call("POST", f"/control/users/{user_id}/unblock")

    # -- chats -----------------------------------------------------------------------------

    async def add_channel(
        self,
        username: str,
        title: str | None = None,
        *,
        chat_type: str = "channel",
        admins: Iterable[int] = (),
    ) -> int:
        """Create a channel (or group) and return its chat id."""
        body: JSON = {"username": username, "type": chat_type, "admins": list(admins)}
        if title is not None:
            body["title"] = title
        result = await self._call("POST", "/control/channels", json=body)
        return int(result["chat_id"])

    async def migrate(self, chat: int | str) -> int:
        """Upgrade a group to a supergroup; returns the new chat id."""
        result = await self._call("POST", f"/control/chats/{_chat_path(chat)}/migrate")
        return int(result["chat_id"])

    async def set_admins(self, chat: int | str, admins: Iterable[int]) -> list[int]:
        """The channel's administrators become ``admins`` (the bot gets ``chat_member``
        updates for each change); returns the update ids."""
        body: JSON = {"admins": list(admins)}
        result = await self._call("POST", f"/control/chats/{_chat_path(chat)}/admins", json=body)
        return [int(u) for u in result["update_ids"]]

    async def join_channel(
        self, user_id: int, chat: int | str, *, invite_link: str | None = None
    ) -> int:
        """``user_id`` joins the channel, through ``invite_link`` if given (a ``chat_member``
        update); returns the update id."""
        body: JSON = {"user_id": user_id, "invite_link": invite_link}
        result = await self._call("POST", f"/control/chats/{_chat_path(chat)}/joins", json=body)
        return int(result["update_id"])

    async def react(self, chat: int | str, message_id: int, counts: dict[str, int]) -> int:
        """Reactions on the channel post ``message_id`` now total ``counts`` (emoji → count):
        a ``message_reaction_count`` update; returns its id."""
        body: JSON = {"message_id": message_id, "counts": counts}
        path = f"/control/chats/{_chat_path(chat)}/reactions"
        return int((await self._call("POST", path, json=body))["update_id"])

    async def chats(self) -> list[JSON]:
        return list((await self._call("GET", "/control/chats"))["chats"])

    async def messages(
        self,
        chat: int | str,
        *,
        wait_for: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the *server* waits for wait_for
    ) -> list[JSON]:
        """Every message in ``chat``, after waiting until ``wait_for`` came from the bot."""
        result = await self._call(
            "GET",
            f"/control/chats/{_chat_path(chat)}/messages",
            params={"wait_for": str(wait_for), "timeout": str(timeout)},
            timeout=timeout + self._timeout,
        )
        return list(result["messages"])

    async def bot_messages(
        self,
        chat: int | str,
        *,
        wait_for: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the *server* waits for wait_for
    ) -> list[JSON]:
        """Like ``messages`` but only those the bot sent."""
        messages = await self.messages(chat, wait_for=wait_for, timeout=timeout)
        return [m for m in messages if m["from_bot"]]

    # -- what the bot did ------------------------------------------------------------------

    async def requests(self, method: str | None = None) -> list[JSON]:
        """The Bot API calls answered so far (optionally of one method, any case)."""
        params = {"method": method} if method else None
        return list((await self._call("GET", "/control/requests", params=params))["requests"])

    async def commands(self, *, scope: str = "default", language_code: str = "") -> list[JSON]:
        """The commands set with setMyCommands for ``scope`` and ``language_code``."""
        params = {"scope": scope, "language_code": language_code}
        return list((await self._call("GET", "/control/commands", params=params))["commands"])

    async def callbacks(
        self,
        *,
        wait_answered: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the *server* waits
    ) -> list[JSON]:
        """Button presses and the bot's answers, after waiting until ``wait_answered``."""
        result = await self._call(
            "GET",
            "/control/callbacks",
            params={"wait_answered": str(wait_answered), "timeout": str(timeout)},
            timeout=timeout + self._timeout,
        )
        return list(result["callbacks"])

    async def updates(self) -> list[JSON]:
        """Updates the bot has not confirmed yet."""
        return list((await self._call("GET", "/control/updates"))["updates"])

    async def wait_polling(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109 - server-side
        """Wait until the bot is long-polling getUpdates; False if it is not within timeout."""
        result = await self._call(
            "GET",
            "/control/polling",
            params={"timeout": str(timeout)},
            timeout=timeout + self._timeout,
        )
        return int(result["waiting"]) > 0

    # -- webhook ---------------------------------------------------------------------------

    async def webhook(
        self,
        *,
        wait_for: int = 0,
        wait_attempts: int = 0,
        wait_idle: bool = False,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the *server* waits
    ) -> JSON:
        """The webhook as the sandbox sees it (``GET /control/webhook``), after waiting until
        ``wait_for`` updates were delivered (answered 2xx) since the last reset,
        ``wait_attempts`` POSTs were made (whatever their outcome) and, with ``wait_idle``,
        no update is pending. Returns when the wait is over or ``timeout`` passed: check
        ``delivered``/``attempts``/``pending`` in the answer."""
        params = {
            "wait_for": str(wait_for),
            "wait_attempts": str(wait_attempts),
            "timeout": str(timeout),
        }
        if wait_idle:
            params["wait_idle"] = "1"
        return await self._call(
            "GET", "/control/webhook", params=params, timeout=timeout + self._timeout
        )

    async def webhook_deliveries(
        self,
        *,
        wait_for: int = 0,
        wait_attempts: int = 0,
        wait_idle: bool = False,
        timeout: float = 5.0,  # noqa: ASYNC109 - how long the *server* waits
    ) -> list[JSON]:
        """Every POST to the webhook since the reset, oldest first: ``{"update_id", "url",
        "status", "error", "at"}`` (status None when it got no answer); waits like
        ``webhook``."""
        result = await self.webhook(
            wait_for=wait_for, wait_attempts=wait_attempts, wait_idle=wait_idle, timeout=timeout
        )
        return list(result["deliveries"])

    async def wait_webhook_idle(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until the webhook was given every pending update; False if some is still
        pending after ``timeout`` seconds."""
        return int((await self.webhook(wait_idle=True, timeout=timeout))["pending"]) == 0

    async def webhook_timing(
        self,
        *,
        retry_initial: float | None = None,
        retry_max: float | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the sandbox's timeout per delivery
    ) -> JSON:
        """Change how deliveries back off (first delay, longest delay) and time out, in
        seconds; returns the timing now in force."""
        body: JSON = {
            key: value
            for key, value in (
                ("retry_initial", retry_initial),
                ("retry_max", retry_max),
                ("timeout", timeout),
            )
            if value is not None
        }
        return await self._call("POST", "/control/webhook", json=body)

    # -- faults and limits -----------------------------------------------------------------

    async def faults(
        self,
        *,
        latency_ms: float | None = None,
        method: str | None = None,
        count: int = 1,
        status: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
        lose_answer: bool = False,
        clear: bool = False,
    ) -> JSON:
        """Inject latency and/or make the next ``count`` calls of ``method`` answer ``status``
        (or, with ``lose_answer``, work but close the connection before answering)."""
        body: JSON = {"count": count, "clear": clear, "lose_answer": lose_answer}
        for key, value in (
            ("latency_ms", latency_ms),
            ("method", method),
            ("status", status),
            ("retry_after", retry_after),
            ("description", description),
        ):
            if value is not None:
                body[key] = value
        return await self._call("POST", "/control/faults", json=body)

    async def refuse_photo_urls(
        self, rule: bool | str = True, *, description: str | None = None
    ) -> JSON:
        """Make sendPhoto with a URL (all, or those the regular expression ``rule`` finds)
        answer ``description`` (default "Bad Request: wrong file identifier/HTTP URL
        specified"), as Telegram does for a URL it could not fetch; ``False`` undoes it.
        Uploads and the file ids the sandbox issued are still taken."""
        body: JSON = {"refuse_urls": rule}
        if description is not None:
            body["description"] = description
        return await self._call("POST", "/control/photos", json=body)

    async def limits(self, **changes: float | int | bool) -> JSON:
        """Change the rate limits (fields of ``Limits``); returns the limits now in force."""
        return dict((await self._call("POST", "/control/limits", json=dict(changes)))["limits"])

    async def reset(self) -> None:
        await self._call("POST", "/control/reset")


def _chat_path(chat: int | str) -> str:
    return quote(str(chat), safe="@-")
