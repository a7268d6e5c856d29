"""bot.errors: every error pickles with its attributes, and never shows a URL's password."""

from __future__ import annotations

import pickle

import pytest

from bot.errors import (
    BlockedAddressError,
    ConfigError,
    ErrorKind,
    FeedNotFoundError,
    FeedParseError,
    FetchError,
    HTTPStatusError,
    NewsbotError,
    PageParseError,
    ResponseTooLargeError,
    error_kind,
)

ERRORS = [
    ConfigError("POLL_INTERVAL", "must be a number"),
    FetchError("https://a.example/f", "connection refused"),
    FetchError("https://a.example/f", "bad", kind=ErrorKind.INVALID_URL),
    BlockedAddressError("http://127.0.0.1/", "loopback"),
    ResponseTooLargeError("https://a.example/f", "too big"),
    HTTPStatusError("https://a.example/f", 429, retry_after=30.0),
    FeedParseError("https://a.example/f", "not a feed", kind=ErrorKind.NOT_A_FEED),
    PageParseError("https://a.example/p", "no title"),
    FeedNotFoundError(7),
    FeedNotFoundError("https://a.example/f"),
]


class TestErrors:
    @pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
    def test_pickles(self, error: NewsbotError) -> None:
        """An error raised in a worker process arrives whole: type, message and attributes."""
        back = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
        assert type(back) is type(error)
        assert str(back) == str(error)
        assert back.__dict__ == error.__dict__

    def test_credentials_never_shown(self) -> None:
        """A URL's user name and password are replaced in the message and the attribute."""
        error = FetchError("https://editor:hunter2@a.example/f", "refused")
        assert "hunter2" not in str(error)
        assert "hunter2" not in error.url
        assert error.url == "https://***@a.example/f"

    def test_kinds(self) -> None:
        """Each error has its kind; anything else is internal."""
        assert [error_kind(e) for e in ERRORS[1:7]] == [
            "connect",
            "invalid_url",
            "blocked",
            "too_large",
            "http_status",
            "not_a_feed",
        ]
        assert error_kind(ValueError("bug")) == ErrorKind.INTERNAL
