"""Builders of Bot API JSON: the bot's user, messages, chat members and updates' payloads.

Pure functions over the records in ``_records``; ``SandboxState`` passes in what they need::

    message_json(msg, chat, users=state.users, bot=state.bot_user())   # what sendMessage returns
    chat_member_json(chat, 42, users=state.users, bot=state.bot_user())
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox._errors import ApiError
from bot.sandbox._records import Chat, StoredMessage, User

__all__ = [
    "administrator_json",
    "administrators_json",
    "bot_user_json",
    "callback_query_json",
    "chat_member_json",
    "command_entities",
    "message_json",
    "my_chat_member_json",
    "photo_sizes_json",
    "user_json",
    "utf16_len",
]

JSON = dict[str, Any]

# What a news channel's admin may do; the sandbox's admins all have these rights.
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_post_messages",
    "can_edit_messages",
    "can_pin_messages",
)


def utf16_len(text: str) -> int:
    """The length Telegram measures entity offsets in: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def bot_user_json(bot_id: int, first_name: str, username: str) -> JSON:
    """The bot's own ``User`` (what getMe returns, less the capability flags)."""
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def user_json(user_id: int, users: Mapping[int, User]) -> JSON:
    """A known reader's ``User``, or a placeholder for an id the sandbox never met."""
    user = users.get(user_id)
    return user.to_api() if user else User(user_id, first_name=f"User {user_id}").to_api()


def command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entity Telegram adds to a message that starts with ``/``."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]


def photo_sizes_json(n: int, size: int | None) -> list[JSON]:
    """PhotoSize dicts for the ``n``-th photo the bot sent (``size``: its bytes, if known)."""
    out = []
    for width, height in ((90, 60), (320, 213), (800, 533)):
        out.append(
            {
                "file_id": f"AgACAgSandbox{n:06d}x{width}",
                "file_unique_id": f"AQADSb{n:06d}{width}",
                "width": width,
                "height": height,
                "file_size": (size or 40_000) * width // 800,
            }
        )
    return out


def message_json(msg: StoredMessage, chat: Chat, *, users: Mapping[int, User], bot: JSON) -> JSON:
    """The Bot API ``Message`` for a stored message in ``chat``."""
    out: JSON = {"message_id": msg.message_id, "date": msg.date, "chat": chat.to_api()}
    if not msg.from_bot:
        out["from"] = users[msg.sender_id].to_api()
    elif chat.type == "channel":
        out["sender_chat"] = chat.to_api()
    else:
        out["from"] = {**bot, "id": msg.sender_id}
    if msg.text is not None:
        out["text"] = msg.text
        if msg.entities:
            out["entities"] = msg.entities
    if msg.photo is not None:
        out["photo"] = msg.photo_sizes
        if msg.caption:
            out["caption"] = msg.caption
            if msg.caption_entities:
                out["caption_entities"] = msg.caption_entities
    if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
        out["reply_markup"] = msg.reply_markup
    if msg.edit_date is not None:
        out["edit_date"] = msg.edit_date
    return out


def administrator_json(user: JSON) -> JSON:
    """A ChatMemberAdministrator with the rights a news channel's admin has."""
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        **dict.fromkeys(_ADMIN_RIGHTS, True),
    }


def chat_member_json(chat: Chat, user_id: int, *, users: Mapping[int, User], bot: JSON) -> JSON:
    """getChatMember: the bot and the admins are administrators, a reader is a member."""
    if user_id == bot["id"]:
        if chat.type == "private":
            return {"status": "member", "user": bot}
        return administrator_json(bot)
    if chat.type == "private":
        if user_id == chat.id:
            return {"status": "member", "user": users[user_id].to_api()}
        raise ApiError(400, "Bad Request: user not found")
    user = user_json(user_id, users)
    if chat.admins and user_id == chat.admins[0]:
        return {"status": "creator", "user": user, "is_anonymous": False}
    if user_id in chat.admins:
        return administrator_json(user)
    if user_id in users:
        return {"status": "left", "user": user}
    raise ApiError(400, "Bad Request: user not found")


def administrators_json(chat: Chat, *, users: Mapping[int, User], bot: JSON) -> list[JSON]:
    """getChatAdministrators: the bot first, then the chat's admins (the first is its creator)."""
    if chat.type == "private":
        raise ApiError(400, "Bad Request: there are no administrators in the private chat")
    return [chat_member_json(chat, bot["id"], users=users, bot=bot)] + [
        chat_member_json(chat, user_id, users=users, bot=bot) for user_id in chat.admins
    ]


def my_chat_member_json(chat: Chat, user: User, bot: JSON, date: int, *, blocked: bool) -> JSON:
    """The ``my_chat_member`` payload for a reader blocking (or unblocking) the bot."""
    member = {"status": "member", "user": bot}
    kicked = {"status": "kicked", "user": bot, "until_date": 0}
    return {
        "chat": chat.to_api(),
        "from": user.to_api(),
        "date": date,
        "old_chat_member": member if blocked else kicked,
        "new_chat_member": kicked if blocked else member,
    }


def callback_query_json(query_id: str, user: User, message: JSON, chat: Chat, data: str) -> JSON:
    """The ``callback_query`` payload for a reader pressing an inline button."""
    return {
        "id": query_id,
        "from": user.to_api(),
        "message": message,
        "chat_instance": str(abs(chat.id) * 7919),
        "data": data,
    }
