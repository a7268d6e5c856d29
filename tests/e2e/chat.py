"""What the end-to-end tests share: the bot's settings against a sandbox, a reader's message
and the bot's answer to it, and the buttons under a message."""

from __future__ import annotations

from typing import Any

from bot.config import Settings, load_settings
from bot.sandbox import SandboxClient, SandboxServer

#: Seconds a test waits for the bot's answer; generous for a loaded 2-core machine.
WAIT = 15.0


def bot_settings(sandbox: SandboxServer, token: str, **values: Any) -> Settings:
    """newsbot's settings against ``sandbox``: no feeds unless given, local addresses allowed
    (the feed server is on 127.0.0.1), and ``values`` on top."""
    defaults: dict[str, Any] = {"feeds": [], "allow_private_networks": True}
    return load_settings(
        None, telegram_bot_token=token, telegram_api_url=sandbox.url, **(defaults | values)
    )


async def ask(
    tg: SandboxClient,
    user: int,
    text: str,
    replies: int,
    language: str | None = None,
    *,
    first_name: str = "Asha",
) -> dict[str, Any]:
    """Send ``text`` as ``user`` (their Telegram in ``language``); the bot's ``replies``-th
    message in that chat."""
    await tg.send(user, text, first_name=first_name, language_code=language)
    messages = await tg.bot_messages(user, wait_for=replies, timeout=WAIT)
    assert len(messages) >= replies, f"no answer to {text!r}"
    return messages[replies - 1]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """The inline buttons under ``message``: text → callback data, in their order."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}
