"""Telegram's answers by type (pure): what may have been posted is never taken for unsent."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
import yarl
from aiohttp.client_reqrep import RequestInfo
from telegram.error import NetworkError

from bot.outbox import answers
from bot.outbox.items import Claimed
from bot.storage.models import DeliveryStatus, utcnow
from bot.telegram_request import RequestNotSent, _raise_from

URL = "https://api.telegram.org/bot123:ABCsecret/sendMessage"


def _item(chat: str, kind: str) -> Claimed:
    return Claimed(1, chat, kind, 1, utcnow() - timedelta(minutes=1), 7, "<b>x</b>", None)


def _mid_request_error() -> NetworkError:
    """A malformed answer: aiohttp's error shows the URL, so newsbot redacts the cause."""
    url = yarl.URL(URL)
    error = aiohttp.ClientResponseError(
        RequestInfo(url, "POST", {}, url), (), status=400, message="Invalid response status"
    )
    with pytest.raises(NetworkError) as raised:
        _raise_from(NetworkError("answer unreadable"), error, URL)
    return raised.value


def test_a_redacted_error_may_have_been_posted() -> None:
    """The token is cut out of the cause, and the cause stays: a channel post is unknown, a
    reader's message is sent again (never treated as never sent, which would duplicate the
    channel post)."""
    exc = _mid_request_error()
    assert exc.__cause__ is not None
    assert "ABCsecret" not in repr(exc.__cause__)
    channel = answers.answer(_item("-100123", "channel"), exc, utcnow())
    reader = answers.answer(_item("42", "reader"), exc, utcnow())
    assert (channel.status, channel.reason) == (DeliveryStatus.UNKNOWN, "answer_lost")
    assert (reader.status, reader.reason) == (DeliveryStatus.PENDING, "answer_lost")


def test_what_never_left_is_retried_for_the_channel_too() -> None:
    outcome = answers.answer(_item("-100123", "channel"), RequestNotSent("refused"), utcnow())
    assert (outcome.status, outcome.reason) == (DeliveryStatus.PENDING, "network")
    assert outcome.retry_in is not None
