"""A claimed delivery, as it is sent, and the outcome of sending it, as it is recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.storage.models import DeliveryStatus


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed delivery with what is needed to send it."""

    id: int
    #: where it goes: the row's chat, or the supergroup that chat became.
    chat: str
    kind: str
    attempts: int
    created_at: datetime
    article_id: int | None  # None: a digest (or a bundle), whose ``html`` is its own
    html: str
    image: str | None
    style: str | None = None
    image_file_id: str | None = None
    #: sent without a sound (a channel post in quiet hours).
    silent: bool = False
    #: the article's revision the post shows.
    revision: int = 0
    #: Telegram could not parse its HTML once: send it as plain text.
    plain: bool = False
    #: the other rows this message stands for (a bundle lists several articles in one).
    bundled: tuple[int, ...] = ()

    @property
    def ids(self) -> tuple[int, ...]:
        return (self.id, *self.bundled)

    @property
    def to_reader(self) -> bool:
        """A reader's own message (an article, a digest or a bundle), not a channel post."""
        return self.kind != "channel"


@dataclass(slots=True)
class Outcome:
    """The result of sending one delivery, as column values for its row (and its chat's)."""

    id: int
    status: DeliveryStatus
    message_id: int | None = None
    error: str | None = None
    #: why, in a word: "blocked", "flood", "network", "parse", "answer_lost", …
    reason: str | None = None
    retry_in: float | None = None
    #: the reader Telegram will not let newsbot reach (blocked, deactivated, chat not found).
    unreachable_chat: int | None = None
    #: seconds the chat must wait (a flood wait is for it alone).
    pause_chat: float | None = None
    #: the supergroup the chat became: this and later messages go there.
    moved_to: str | None = None
    revision: int = 0
    #: the other rows the message stood for (a bundle).
    bundled: tuple[int, ...] = field(default=())
    #: the chat it was sent to.
    chat: str = ""
