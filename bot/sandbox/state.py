"""The sandbox's world, in memory: chats, messages, updates, rates, faults and the request log.

No HTTP here. ``_api`` and ``_control`` decode Bot API and control requests and call a
``SandboxState``, which answers with dicts shaped like the Bot API's objects or raises
``ApiError`` (a Bot API error answer) or ``ControlError`` (a mistake in a control request)::

    state = SandboxState(bot_username="newsbot_sandbox_bot", channels=("news",))
    update_id, message_id = state.user_writes(42, "/start campaign1", first_name="Ann")
    chat = state.resolve_chat("@news")
    state.check_rate(chat)                  # raises ApiError(429, ..., {"retry_after": n})
    msg = state.add_bot_message(chat, method="sendMessage", text="Hi", html="<b>Hi</b>")
    state.message_to_api(msg)               # what sendMessage returns

A ``SandboxState`` is not thread-safe: use it only from the event loop that serves it. Waiting
(``wait_until``) awaits an ``asyncio.Event`` that every change sets and replaces; nothing polls.

The pieces live next door and are re-exported here: errors in ``_errors``, the records in
``_records``, rate limits in ``_limits``, injected faults in ``_faults`` and the builders of
Bot API JSON in ``_objects``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

from bot.sandbox import _objects
from bot.sandbox._errors import ApiError, ControlError, flood_error
from bot.sandbox._faults import Fault, take_fault
from bot.sandbox._limits import Limits, RateLimiter, TokenBucket
from bot.sandbox._records import CallbackRecord, Chat, RequestRecord, StoredMessage, User
from bot.sandbox._webhook import Webhook, WebhookDelivery, WebhookTiming

__all__ = [
    "PHOTO_URL_ERRORS",
    "ApiError",
    "CallbackRecord",
    "Chat",
    "ControlError",
    "Fault",
    "Limits",
    "RequestRecord",
    "SandboxState",
    "StoredMessage",
    "TokenBucket",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WebhookTiming",
    "flood_error",
]

JSON = dict[str, Any]

#: What Telegram answers to a photo URL it could not fetch (its first answer, then the one it
#: gives while it remembers the failure) or a file id it never issued (the first one too).
PHOTO_URL_ERRORS = (
    "Bad Request: wrong file identifier/HTTP URL specified",
    "Bad Request: failed to get HTTP URL content",
)

# What getUpdates delivers when allowed_updates is empty or was never set.
_DEFAULT_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "channel_post", "callback_query", "my_chat_member"}
)
_FIRST_CHANNEL_ID = -1001000000001
_FIRST_GROUP_ID = -4000000001


class SandboxState:
    """Everything the sandbox knows; see the module docstring for how to drive it."""

    def __init__(
        self,
        *,
        bot_username: str = "newsbot_sandbox_bot",
        channels: Iterable[str] = ("news",),
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
        webhook_timing: WebhookTiming | None = None,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = "Newsbot Sandbox"
        self.bot_id = 0
        self.closing = False
        self._clock = clock
        self._initial_channels = tuple(channels)
        self._initial_limits = limits or Limits()
        self._next_update_id = 1  # survives reset(): a running poller's offset stays valid
        self._changed = asyncio.Event()
        #: How webhook deliveries are retried and timed out (kept by reset()).
        self.webhook_timing = webhook_timing or WebhookTiming()
        #: Bumped by reset(): deliveries begun before it are not recorded after it.
        self.webhook_epoch = 0
        #: Bumped whenever the webhook is set, deleted or reset: backoff starts again.
        self.webhook_version = 0
        #: Webhook POSTs in flight right now (kept by the deliverer, across resets).
        self.webhook_in_flight = 0
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything but the update counter; recreate the configured channels."""
        self._rates = RateLimiter(self._initial_limits, self._clock)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.blocked: set[int] = set()
        self.updates: list[JSON] = []
        self.allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self.allowed_updates_given: list[str] | None = None  # as the bot last listed them
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.requests: deque[RequestRecord] = deque(maxlen=100_000)  # the latest
        #: Every request's (method, status) counted, beyond the log's last 100,000.
        self.request_counts: Counter[tuple[str, int]] = Counter()
        self.faults: list[Fault] = []
        self.latency_ms = 0.0
        self.webhook: Webhook | None = None
        self.webhook_deliveries: deque[WebhookDelivery] = deque(maxlen=100_000)  # the latest
        self.webhook_attempts = 0  # POSTs to the webhook since the reset, whatever came of them
        self.webhook_accepted = 0  # of them, those answered 2xx
        self.webhook_epoch += 1
        self.webhook_version += 1
        self.callbacks: dict[str, CallbackRecord] = {}
        self.poll_generation = 0
        self.waiting_polls = 0  # getUpdates calls waiting right now
        self._next_channel_id = _FIRST_CHANNEL_ID
        self._next_group_id = _FIRST_GROUP_ID
        self._next_callback = 1
        self._next_file = 1
        self.files: dict[str, list[JSON]] = {}  # every file id issued -> its photo's sizes
        self.refused_photo_urls: re.Pattern[str] | None = None
        self.photo_url_error = PHOTO_URL_ERRORS[0]
        for username in self._initial_channels:
            self.add_chat(username)
        self.notify()

    def close(self) -> None:
        """Release every waiter: the server is stopping."""
        self.closing = True
        self.notify()

    def notify(self) -> None:
        """Wake everyone waiting in ``wait_until``."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Await changes until ``predicate()`` holds; False after ``seconds`` or on shutdown."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, seconds)
        while not predicate():
            remaining = deadline - loop.time()
            if self.closing or remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True

    def now(self) -> int:
        return int(time.time())

    # -- chats and users -------------------------------------------------------------------

    def bot_user(self) -> JSON:
        return _objects.bot_user_json(self.bot_id, self.bot_first_name, self.bot_username)

    def add_chat(
        self,
        username: str | None,
        title: str | None = None,
        chat_type: str = "channel",
        admins: Iterable[int] = (),
    ) -> Chat:
        """Create a channel or group (or return the one with this username)."""
        if chat_type not in ("channel", "group", "supergroup"):
            raise ControlError(f"chat type {chat_type!r} is not channel, group or supergroup")
        name = username.lstrip("@") if username else None
        if name:
            existing = self._by_username(name)
            if existing is not None:
                return existing
        if chat_type == "group":
            chat_id, self._next_group_id = self._next_group_id, self._next_group_id - 1
        else:
            chat_id, self._next_channel_id = self._next_channel_id, self._next_channel_id - 1
        chat = Chat(chat_id, chat_type, title=title or name, username=name, admins=list(admins))
        self.chats[chat_id] = chat
        self.notify()
        return chat

    def migrate(self, chat: Chat) -> Chat:
        """Turn a group into a supergroup with a new id, as Telegram does."""
        if chat.type != "group":
            raise ControlError(f"chat {chat.id} is a {chat.type}, only groups migrate")
        new = Chat(self._next_channel_id, "supergroup", title=chat.title, admins=list(chat.admins))
        self._next_channel_id -= 1
        self.chats[new.id] = new
        chat.migrated_to = new.id
        self.notify()
        return new

    def _by_username(self, name: str) -> Chat | None:
        wanted = name.lower()
        for chat in self.chats.values():
            if chat.username and chat.username.lower() == wanted:
                return chat
        return None

    def find_chat(self, ref: int | str | None) -> Chat | None:
        """A chat by id, numeric string or ``@username``; None if unknown."""
        if isinstance(ref, str):
            ref = ref.strip()
            if ref.startswith("@"):
                return self._by_username(ref[1:])
            try:
                ref = int(ref)
            except ValueError:
                return None
        if isinstance(ref, bool) or not isinstance(ref, int):
            return None
        return self.chats.get(ref)

    def resolve_chat(self, ref: int | str | None) -> Chat:
        """The chat the bot addresses, or the Bot API's error for it."""
        if ref is None or ref == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self.find_chat(ref)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def check_can_send(self, chat: Chat) -> None:
        if chat.type == "private" and chat.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> tuple[User, Chat]:
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = User(user_id)
        if first_name:
            user.first_name = first_name
        if username:
            user.username = username.lstrip("@")
        if language_code:
            user.language_code = language_code
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = Chat(user_id, "private")
        chat.first_name, chat.username = user.first_name, user.username
        return user, chat

    # -- what readers do -------------------------------------------------------------------

    def user_writes(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> tuple[int, int]:
        """A reader sends ``text`` to the bot; returns (update_id, message_id)."""
        if user_id <= 0:
            raise ControlError("user ids are positive integers")
        if not text:
            raise ControlError("text must not be empty")
        if user_id in self.blocked:
            self.set_blocked(user_id, blocked=False)  # "Restart bot" in the app unblocks
        user, chat = self._user(user_id, first_name, username, language_code)
        entities = _objects.command_entities(text)
        msg = self._store(
            chat, from_bot=False, sender_id=user.id, method="user", text=text, entities=entities
        )
        update_id = self._add_update("message", self.message_to_api(msg))
        return update_id, msg.message_id

    def press(self, user_id: int, message_id: int, data: str) -> tuple[int, str]:
        """A reader presses the inline button with ``data``; returns (update_id, query id)."""
        chat = self.chats.get(user_id)
        user = self.users.get(user_id)
        if chat is None or user is None:
            raise ControlError(f"user {user_id} has no chat with the bot", 404)
        msg = self._message(chat, message_id)
        if msg is None or msg.deleted or not msg.from_bot:
            raise ControlError(f"no bot message {message_id} in chat {user_id}", 404)
        buttons = [
            button.get("callback_data")
            for row in (msg.reply_markup or {}).get("inline_keyboard", [])
            for button in row
        ]
        if data not in buttons:
            raise ControlError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(4_200_000_000_000_000_000 + self._next_callback)
        self._next_callback += 1
        self.callbacks[query_id] = CallbackRecord(query_id, user_id, message_id, data)
        query = _objects.callback_query_json(query_id, user, self.message_to_api(msg), chat, data)
        return self._add_update("callback_query", query), query_id

    def set_blocked(self, user_id: int, *, blocked: bool) -> None:
        """A reader blocks (or unblocks) the bot; the bot gets a ``my_chat_member`` update."""
        if blocked == (user_id in self.blocked):
            return
        if blocked:
            self.blocked.add(user_id)
        else:
            self.blocked.discard(user_id)
        user, chat = self.users.get(user_id), self.chats.get(user_id)
        if user is None or chat is None:
            return
        payload = _objects.my_chat_member_json(
            chat, user, self.bot_user(), self.now(), blocked=blocked
        )
        self._add_update("my_chat_member", payload)

    # -- what happens in channels ----------------------------------------------------------

    def _channel(self, ref: int | str) -> Chat:
        chat = self.find_chat(ref)
        if chat is None or chat.type == "private":
            raise ControlError(f"no channel or group {ref!r}", 404)
        return chat

    def _member_update(
        self, chat: Chat, user_id: int, old: JSON, new: JSON, invite_link: str | None = None
    ) -> int:
        payload: JSON = {
            "chat": chat.to_api(),
            "from": _objects.user_json(user_id, self.users),
            "date": self.now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        if invite_link is not None:
            payload["invite_link"] = {
                "invite_link": invite_link,
                "creator": self.bot_user(),
                "creates_join_request": False,
                "is_primary": False,
                "is_revoked": False,
            }
        return self._add_update("chat_member", payload)

    def set_admins(self, ref: int | str, admins: list[int]) -> list[int]:
        """The channel's administrators become ``admins`` (the first is its creator); a
        ``chat_member`` update for each one promoted or demoted. Returns their update ids."""
        chat = self._channel(ref)
        before = list(chat.admins)
        member = {"status": "member"}
        updates = []
        for user_id in [u for u in before if u not in admins]:
            old = self.chat_member(chat, user_id)
            chat.admins.remove(user_id)
            user = _objects.user_json(user_id, self.users)
            updates.append(self._member_update(chat, user_id, old, {**member, "user": user}))
        for user_id in [u for u in admins if u not in before]:
            user = _objects.user_json(user_id, self.users)
            chat.admins.append(user_id)
            updates.append(
                self._member_update(
                    chat, user_id, {**member, "user": user}, self.chat_member(chat, user_id)
                )
            )
        chat.admins = list(admins)
        return updates

    def join_channel(self, ref: int | str, user_id: int, invite_link: str | None = None) -> int:
        """``user_id`` joins the channel (through ``invite_link`` if given): a ``chat_member``
        update."""
        chat = self._channel(ref)
        if user_id <= 0:
            raise ControlError("user ids are positive integers")
        if user_id not in self.users:
            self._user(user_id, first_name=f"User {user_id}")
        user = _objects.user_json(user_id, self.users)
        return self._member_update(
            chat,
            user_id,
            {"status": "left", "user": user},
            {"status": "member", "user": user},
            invite_link,
        )

    def react(self, ref: int | str, message_id: int, counts: dict[str, int]) -> int:
        """Readers' reactions on a channel post now total ``counts`` (emoji → count): a
        ``message_reaction_count`` update, as Telegram sends for channels."""
        chat = self._channel(ref)
        if self.bot_message(chat, message_id) is None:
            raise ControlError(f"no bot message {message_id} in chat {ref!r}", 404)
        reactions = [
            {"type": {"type": "emoji", "emoji": emoji}, "total_count": int(count)}
            for emoji, count in counts.items()
            if int(count) > 0
        ]
        payload: JSON = {
            "chat": chat.to_api(),
            "message_id": message_id,
            "date": self.now(),
            "reactions": reactions,
        }
        return self._add_update("message_reaction_count", payload)

    # -- what the bot does -----------------------------------------------------------------

    def add_bot_message(self, chat: Chat, *, method: str, **fields: Any) -> StoredMessage:
        """Store a message the bot sent (fields as in StoredMessage)."""
        return self._store(chat, from_bot=True, sender_id=self.bot_id, method=method, **fields)

    def new_photo_sizes(self, size: int | None) -> list[JSON]:
        """PhotoSize dicts for a photo the bot sent, with fresh file ids (remembered)."""
        n = self._next_file
        self._next_file += 1
        sizes = _objects.photo_sizes_json(n, size)
        for photo_size in sizes:
            self.files[photo_size["file_id"]] = sizes
        return sizes

    def known_file_id(self, file_id: str) -> bool:
        return file_id in self.files

    def photo_sizes_of(self, file_id: str) -> list[JSON]:
        """The sizes of the photo ``file_id`` names: Telegram answers the same file again."""
        return self.files[file_id]

    def refuse_photo_urls(self, rule: bool | str, description: str | None = None) -> None:
        """Make sendPhoto with a URL (every URL, or those ``rule`` matches as a regular
        expression) answer as Telegram does when it cannot fetch it; False: accept them."""
        if rule is True:
            self.refused_photo_urls = re.compile("")
        elif rule is False or rule == "":
            self.refused_photo_urls = None
        else:
            try:
                self.refused_photo_urls = re.compile(str(rule))
            except re.error as err:
                raise ControlError(f"refuse_urls is not a regular expression: {err}") from None
        self.photo_url_error = description or PHOTO_URL_ERRORS[0]

    def photo_url_refused(self, url: str) -> bool:
        rule = self.refused_photo_urls
        return rule is not None and rule.search(url) is not None

    def bot_message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        msg = self._message(chat, message_id)
        return None if msg is None or msg.deleted else msg

    def _message(self, chat: Chat, message_id: int) -> StoredMessage | None:
        index = message_id - 1  # ids are dense per chat
        if 0 <= index < len(chat.messages) and chat.messages[index].message_id == message_id:
            return chat.messages[index]
        return None

    def _store(self, chat: Chat, **fields: Any) -> StoredMessage:
        msg = StoredMessage(
            message_id=chat.next_message_id, chat_id=chat.id, date=self.now(), **fields
        )
        chat.next_message_id += 1
        chat.messages.append(msg)
        self.notify()
        return msg

    def message_to_api(self, msg: StoredMessage) -> JSON:
        """The Bot API ``Message`` for a stored message."""
        chat = self.chats[msg.chat_id]
        return _objects.message_json(msg, chat, users=self.users, bot=self.bot_user())

    def chat_member(self, chat: Chat, user_id: int) -> JSON:
        """getChatMember: the bot and the admins are administrators, a reader is a member."""
        return _objects.chat_member_json(chat, user_id, users=self.users, bot=self.bot_user())

    def administrators(self, chat: Chat) -> list[JSON]:
        return _objects.administrators_json(chat, users=self.users, bot=self.bot_user())

    def answer_callback(self, query_id: str, answer: JSON) -> None:
        record = self.callbacks.get(query_id)
        if record is None or record.answered:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        record.answered = True
        record.answer = answer
        self.notify()

    # -- updates ---------------------------------------------------------------------------

    def _add_update(self, kind: str, payload: JSON) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.notify()
        return update_id

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        """Telegram keeps the last list given; an empty list means the default set."""
        if allowed is None:
            return
        self.allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
        self.allowed_updates_given = [str(kind) for kind in allowed] or None

    def confirm_updates(self, offset: int) -> None:
        """Forget updates below a positive offset; keep the last -offset for a negative one."""
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    def visible_updates(self, limit: int | None = 100) -> list[JSON]:
        """The pending updates of the kinds the bot asked for, oldest first (all: None)."""
        wanted = self.allowed_updates
        visible = [u for u in self.updates if any(k in wanted for k in u if k != "update_id")]
        return visible if limit is None else visible[:limit]

    # -- webhooks --------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str:
        return self.webhook.url if self.webhook is not None else ""

    def set_webhook(
        self, webhook: Webhook, *, allowed: list[str] | None, drop_pending: bool
    ) -> None:
        """setWebhook: updates go to ``webhook`` from now on (a waiting getUpdates ends)."""
        self.webhook = webhook
        self.webhook_version += 1
        self.set_allowed_updates(allowed)
        if drop_pending:
            self.updates.clear()
        self.notify()

    def delete_webhook(self, *, drop_pending: bool) -> None:
        """deleteWebhook (or setWebhook with no URL): updates wait for getUpdates again."""
        self.webhook = None
        self.webhook_version += 1
        if drop_pending:
            self.updates.clear()
        self.notify()

    def webhook_result(
        self, epoch: int, update_id: int, webhook: Webhook, status: int | None, error: str | None
    ) -> None:
        """Record one POST to ``webhook``: a 2xx answer delivered the update, anything else
        is the webhook's last error (the update stays pending)."""
        if epoch != self.webhook_epoch:
            return  # begun before a reset
        delivery = WebhookDelivery(update_id, webhook.url, status, error, time.time())
        self.webhook_deliveries.append(delivery)
        self.webhook_attempts += 1
        if delivery.accepted:
            self.webhook_accepted += 1
            self.updates = [u for u in self.updates if u["update_id"] != update_id]
        else:
            webhook.last_error_date = self.now()
            webhook.last_error_message = error
        self.notify()

    def begin_poll(self) -> int:
        """A new getUpdates call: it supersedes (409) any that is still waiting."""
        self.poll_generation += 1
        self.notify()
        return self.poll_generation

    # -- rates, faults, commands, the request log ------------------------------------------

    def check_rate(self, chat: Chat, *, paid: bool = False) -> None:
        """Take a token for one message to ``chat`` or raise the 429 Telegram would answer;
        ``paid``: sent with ``allow_paid_broadcast`` (Telegram's paid lane, ``Limits.paid_*``)."""
        self._rates.take(chat.id, private=chat.type == "private", paid=paid)

    @property
    def limits(self) -> Limits:
        return self._rates.limits

    def set_limits(self, limits: Limits) -> None:
        self._rates = RateLimiter(limits, self._clock)

    def add_fault(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take_fault(self, method: str) -> Fault | None:
        """The first armed fault for ``method`` (lower case), used up by one call."""
        return take_fault(self.faults, method)

    def set_commands(self, scope: JSON | None, language_code: str, commands: list[JSON]) -> None:
        key = (_scope_key(scope), language_code)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)

    def get_commands(self, scope: JSON | None, language_code: str) -> list[JSON]:
        return self.commands.get((_scope_key(scope), language_code), [])

    def all_commands(self) -> list[JSON]:
        return [
            {"scope": json.loads(scope), "language_code": lang, "commands": commands}
            for (scope, lang), commands in self.commands.items()
        ]

    def log_request(
        self, method: str, chat_id: int | str | None, status: int, description: str | None
    ) -> None:
        self.requests.append(RequestRecord(method, chat_id, status, description, time.time()))
        self.request_counts[method, status] += 1


def _scope_key(scope: JSON | None) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)
