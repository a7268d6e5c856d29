"""Logs never contain the bot token, whatever logs it."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import REDACTED, configure_logging

TOKEN = "123456789:AAsecret-token-that-must-never-leak0"


@pytest.fixture
def stream() -> io.StringIO:
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=buffer)
    yield buffer
    logging.getLogger().removeHandler(handler)


class TestRedaction:
    def test_message_arguments_are_redacted(self, stream: io.StringIO) -> None:
        """A token passed as a %-argument is replaced in the written line."""
        logging.getLogger("telegram.ext").info("POST https://api/bot%s/getMe", TOKEN)
        assert TOKEN not in stream.getvalue()
        assert f"bot{REDACTED}/getMe" in stream.getvalue()

    def test_tracebacks_are_redacted(self, stream: io.StringIO) -> None:
        """A token inside an exception's text is replaced in the logged traceback."""
        try:
            raise RuntimeError(f"failed to reach /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("bot").exception("send failed")
        assert "RuntimeError" in stream.getvalue()
        assert TOKEN not in stream.getvalue()

    def test_console_login_links_are_redacted(self, stream: io.StringIO) -> None:
        """A /console link (a one-time login) is a secret too: PTB logs what it sends."""
        token = "ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEyMzQ1Njc4OSI.Z1abc.q-Xy_zz"
        logging.getLogger("telegram.ext.ExtBot").debug(
            "sendMessage text='Your login link: http://127.0.0.1:8080/login/%s'", token
        )
        assert token not in stream.getvalue()
        assert f"/login/{REDACTED}'" in stream.getvalue()

    def test_httpx_is_quiet(self, stream: io.StringIO) -> None:
        """httpx logs each request URL at INFO; its logger is kept at WARNING."""
        logging.getLogger("httpx").info("HTTP Request: POST https://api/bot%s/x", TOKEN)
        assert stream.getvalue() == ""


def test_a_secret_made_later_is_redacted_too(stream: io.StringIO) -> None:
    """The webhook's secret, made and kept in the database after logging began."""
    from bot.logs import redact_also

    logging.getLogger("telegram.Bot").debug("setWebhook secret_token=%s", "late-secret-42")
    redact_also("late-secret-42")
    logging.getLogger("telegram.Bot").debug("setWebhook secret_token=%s", "late-secret-42")
    first, second = stream.getvalue().splitlines()[-2:]
    assert "late-secret-42" in first  # before it was known
    assert "late-secret-42" not in second
    assert f"secret_token={REDACTED}" in second
