"""Telegram's per-chat limits as a generic cell rate algorithm (pure).

A chat has a theoretical arrival time ``tat``: the moment it would have had all its messages
at the steady rate. It may get another message from ``tat - interval × (burst - 1)`` on, and
each message moves ``tat`` one interval on from ``max(tat, now)``. A private chat takes one
message a second, without bursts; a group or channel 20 a minute, in a burst of 20 then one
every 3 seconds. The database keeps both moments per chat (``chats``), so every process
sending to one PostgreSQL paces the chat together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Rate:
    interval: timedelta
    burst: int

    @property
    def tolerance(self) -> timedelta:
        return self.interval * (self.burst - 1)


PRIVATE = Rate(timedelta(seconds=1), burst=1)
GROUP = Rate(timedelta(seconds=3), burst=20)


def is_private(chat: str) -> bool:
    """Private chats have positive ids; channels and groups are negative or ``@names``."""
    return chat.isdigit()


def rate_for(chat: str) -> Rate:
    return PRIVATE if is_private(chat) else GROUP


@dataclass(frozen=True, slots=True)
class Slot:
    """A chat's pacing after a message: when it may get the next one, and its ``tat``."""

    next_at: datetime
    tat: datetime


def after_message(chat: str, tat: datetime | None, now: datetime) -> Slot:
    """The chat's pacing once a message is sent to it at ``now``."""
    rate = rate_for(chat)
    new_tat = max(tat or now, now) + rate.interval
    return Slot(next_at=new_tat - rate.tolerance, tat=new_tat)


def paused(tat: datetime | None, now: datetime, seconds: float) -> Slot:
    """The chat's pacing after Telegram asked to wait ``seconds`` before the next message."""
    until = now + timedelta(seconds=seconds)
    return Slot(next_at=until, tat=max(tat or until, until))
