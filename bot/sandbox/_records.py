"""What the sandbox remembers: readers, chats and their messages, Bot API calls and button presses.

Plain dataclasses; ``SandboxState`` owns them. ``to_api`` gives the Bot API's object (``User``,
``Chat``), ``record``/``summary``/``to_json`` the control API's fuller view.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CallbackRecord", "Chat", "RequestRecord", "StoredMessage", "User"]

JSON = dict[str, Any]


@dataclass
class User:
    """A reader, as the sandbox plays them."""

    id: int
    first_name: str = "Reader"
    username: str | None = None
    language_code: str | None = None

    def to_api(self) -> JSON:
        out: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class StoredMessage:
    """One message in a chat's history: sent by the bot or by a reader."""

    message_id: int
    chat_id: int
    date: int
    from_bot: bool
    sender_id: int
    method: str
    text: str | None = None
    html: str | None = None
    entities: list[JSON] = field(default_factory=list)
    photo: str | None = None
    photo_sizes: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    parse_mode: str | None = None
    options: JSON = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False

    def record(self) -> JSON:
        """The control API's view: everything, including what the bot sent as HTML."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "from_bot": self.from_bot,
            "user_id": None if self.from_bot else self.sender_id,
            "date": self.date,
            "method": self.method,
            "text": self.text,
            "html": self.html,
            "entities": self.entities,
            "photo": self.photo,
            "photo_file_id": self.photo_sizes[-1]["file_id"] if self.photo_sizes else None,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_markup": self.reply_markup,
            "parse_mode": self.parse_mode,
            "options": self.options,
            "edited": self.edit_date is not None,
            "deleted": self.deleted,
        }


@dataclass
class Chat:
    """A private chat (id == the user's id), a group, a supergroup or a channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    admins: list[int] = field(default_factory=list)
    messages: list[StoredMessage] = field(default_factory=list)
    next_message_id: int = 1
    migrated_to: int | None = None

    def to_api(self) -> JSON:
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.first_name or ""
        else:
            out["title"] = self.title or self.username or str(self.id)
        if self.username:
            out["username"] = self.username
        return out

    def summary(self) -> JSON:
        return {
            **self.to_api(),
            "messages": len(self.messages),
            "bot_messages": sum(1 for m in self.messages if m.from_bot),
            "migrated_to": self.migrated_to,
        }


@dataclass
class RequestRecord:
    """One Bot API call as the sandbox answered it."""

    method: str
    chat_id: int | str | None
    status: int
    description: str | None
    at: float

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)


@dataclass
class CallbackRecord:
    """A button press and the bot's answerCallbackQuery, if any."""

    id: str
    user_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: JSON = field(default_factory=dict)

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)
