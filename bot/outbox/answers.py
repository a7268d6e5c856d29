"""Telegram's answer to one delivery, by PTB's types, as the outcome to record (pure).

========================  ==============================================================
answer                    outcome
========================  ==============================================================
sent                      ``sent``, with its message id
``RetryAfter``            back to ``pending`` after the wait; the chat alone pauses
``ChatMigrated``          back to ``pending`` at once, to the supergroup (kept for the chat)
``Forbidden``             ``failed`` (blocked, deactivated, kicked); a reader made inactive
"chat not found"          the same, as ``chat_not_found``
HTML Telegram can't parse resent once as plain text, then ``failed``
other ``BadRequest``      ``failed``
never sent                retried with backoff until :data:`MAX_AGE` (``RequestNotSent``:
                          the request class's contract; or a 5xx answer)
answer lost               a reader's message is sent again (at least once: a duplicate at
                          worst); a channel post is ``unknown`` (a duplicate there is seen by
                          every reader), for an editor to resend
========================  ==============================================================
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.outbox.items import Claimed, Outcome
from bot.outbox.pacing import is_private
from bot.storage.models import DeliveryStatus
from bot.telegram_request import RequestNotSent

log = logging.getLogger("jobs.deliver")

#: A delivery that could not be sent for this long (Telegram or the network down) is given up.
MAX_AGE = timedelta(hours=6)
#: The longest wait between two tries of a delivery that could not be sent.
MAX_BACKOFF = 60.0

#: Telegram's words for HTML it cannot parse ("can't parse entities: …", "can't find end
#: of the entity …"): PTB has no type for it.
_PARSE_ERRORS = ("can't parse entities", "can't find end", "unsupported start tag")
#: ``Forbidden`` messages → reasons.
_FORBIDDEN = {
    "blocked": "blocked",
    "deactivated": "deactivated",
    "kicked": "kicked",
    "not a member": "kicked",
}


def sent(item: Claimed, message_id: int) -> Outcome:
    return Outcome(
        item.id,
        DeliveryStatus.SENT,
        message_id=message_id,
        revision=item.revision,
        bundled=item.bundled,
        chat=item.chat,
    )


def backoff(attempts: int) -> float:
    """Seconds before try ``attempts + 1`` of a delivery that could not be sent."""
    return min(float(2 ** min(attempts, 16)), MAX_BACKOFF)


def answer(item: Claimed, exc: BaseException, now: datetime) -> Outcome:
    """The outcome of ``item`` whose send raised ``exc``."""
    outcome = _answer(item, exc, now)
    outcome.bundled, outcome.chat = item.bundled, item.chat
    return outcome


def _answer(item: Claimed, exc: BaseException, now: datetime) -> Outcome:
    if isinstance(exc, RetryAfter):
        seconds = _seconds(exc)
        log.warning(
            "delivery flood-limited delivery_id=%s chat=%s retry_in=%.0f",
            item.id,
            item.chat,
            seconds,
        )
        return Outcome(
            item.id,
            DeliveryStatus.PENDING,
            error=str(exc),
            reason="flood",
            retry_in=seconds,
            pause_chat=seconds,
        )
    if isinstance(exc, ChatMigrated):
        moved = str(exc.new_chat_id)
        log.warning("chat migrated chat=%s moved_to=%s delivery_id=%s", item.chat, moved, item.id)
        return Outcome(
            item.id,
            DeliveryStatus.PENDING,
            error=exc.message,
            reason="migrated",
            retry_in=0.0,
            moved_to=moved,
        )
    if isinstance(exc, Forbidden):
        text = exc.message.lower()
        reason = next((r for key, r in _FORBIDDEN.items() if key in text), "forbidden")
        return _unreachable(item, reason, exc.message)
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        if "chat not found" in text:
            return _unreachable(item, "chat_not_found", exc.message)
        if any(words in text for words in _PARSE_ERRORS):
            if not item.plain:
                log.warning(
                    "delivery html refused delivery_id=%s chat=%s error=%r: resent as plain text",
                    item.id,
                    item.chat,
                    exc.message,
                )
                return Outcome(
                    item.id, DeliveryStatus.PENDING, error=exc.message, reason="parse", retry_in=0
                )
            return _failed(item, "parse", exc.message)
        return _failed(item, "bad_request", exc.message)
    if isinstance(exc, RequestNotSent) or (
        isinstance(exc, NetworkError) and exc.__cause__ is None and not isinstance(exc, TimedOut)
    ):
        # Never reached Telegram, or Telegram answered 5xx: nothing was posted.
        return _retry(item, "network", exc.message, now)
    if isinstance(exc, NetworkError):  # TimedOut included: the message may have arrived
        if item.to_reader:
            log.warning(
                "delivery answer lost delivery_id=%s chat=%s error=%r: sent again",
                item.id,
                item.chat,
                exc.message,
            )
            return _retry(item, "answer_lost", exc.message, now)
        log.error(
            "channel post answer lost delivery_id=%s chat=%s error=%r: it may have "
            "arrived; not resent",
            item.id,
            item.chat,
            exc.message,
        )
        return Outcome(
            item.id,
            DeliveryStatus.UNKNOWN,
            error=f"answer lost: {exc.message}",
            reason="answer_lost",
        )
    if isinstance(exc, TelegramError):
        return _failed(item, "telegram", exc.message)
    # A bug must not leave the row 'sending' or stop the others.
    log.error("delivery crashed delivery_id=%s chat=%s", item.id, item.chat, exc_info=exc)
    return _failed(item, "internal", f"internal error: {exc!r}")


def _failed(item: Claimed, reason: str, error: str) -> Outcome:
    log.error(
        "delivery refused delivery_id=%s article_id=%s chat=%s reason=%s error=%r",
        item.id,
        item.article_id,
        item.chat,
        reason,
        error,
    )
    return Outcome(item.id, DeliveryStatus.FAILED, error=error, reason=reason)


def _retry(item: Claimed, reason: str, error: str, now: datetime) -> Outcome:
    """Try again later, until :data:`MAX_AGE`."""
    if now - item.created_at >= MAX_AGE:
        log.error(
            "delivery given up delivery_id=%s chat=%s attempts=%d error=%r",
            item.id,
            item.chat,
            item.attempts,
            error,
        )
        return Outcome(item.id, DeliveryStatus.FAILED, error=f"network: {error}", reason=reason)
    wait = backoff(item.attempts)
    log.warning(
        "delivery network error delivery_id=%s attempts=%d retry_in=%.0f error=%r",
        item.id,
        item.attempts,
        wait,
        error,
    )
    return Outcome(item.id, DeliveryStatus.PENDING, error=error, reason=reason, retry_in=wait)


def _unreachable(item: Claimed, reason: str, error: str) -> Outcome:
    if not is_private(item.chat):
        log.error(
            "channel unreachable chat=%s reason=%s error=%r: is the bot an admin of the channel?",
            item.chat,
            reason,
            error,
        )
        return Outcome(item.id, DeliveryStatus.FAILED, error=error, reason=reason)
    return Outcome(
        item.id,
        DeliveryStatus.FAILED,
        error=error,
        reason=reason,
        unreachable_chat=int(item.chat),
    )


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
