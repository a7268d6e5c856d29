"""Logs never contain the bot token, whatever logs it; LOG_FORMAT=json gives one object a line
with the fields of the call's template."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.logs import REDACTED, configure_logging, template_fields

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


# --- LOG_FORMAT=json: fields from the call's template and arguments ---------------------------

PASSWORD = "hunter2-url-password"
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def json_stream() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = configure_logging("DEBUG", secrets=[TOKEN], stream=buffer, fmt="json")
    yield buffer
    logging.getLogger().removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Each line written, as JSON (one object a line, or the test fails)."""
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def last(stream: io.StringIO) -> dict[str, Any]:
    return lines(stream)[-1]


class TestTemplateFields:
    def test_keys_pair_with_their_arguments_in_order(self) -> None:
        fields = template_fields("article stored feed_id=%s article_id=%d", (12, 34))
        assert fields == {"feed_id": 12, "article_id": 34}

    def test_percent_signs_and_unnamed_conversions_are_skipped(self) -> None:
        """``%%`` takes no argument; a conversion without ``key=`` takes one but is no field."""
        template = "outbox %s given up share=%d%% attempts=%d error=%s"
        assert template_fields(template, ("send", 50, 3, "boom")) == {
            "share": 50,
            "attempts": 3,
            "error": "boom",
        }

    def test_star_widths_and_mappings(self) -> None:
        assert template_fields("padded width=%*d next=%s", (5, 42, "x")) == {
            "width": 42,
            "next": "x",
        }
        assert template_fields("named a=%(first)s b=%(second)d", {"first": "x", "second": 2}) == {
            "a": "x",
            "b": 2,
        }

    def test_missing_arguments_have_no_field(self) -> None:
        assert template_fields("thing a=%s b=%s c=%s", (1,)) == {"a": 1}
        # Without arguments logging does not format the template at all: no field either.
        assert template_fields("literal a=%s", ()) == {}
        assert template_fields("literal a=%s", None) == {}


class TestJsonLines:
    def test_a_delivery_line(self, json_stream: io.StringIO) -> None:
        """jobs/deliver.py's call: its delivery and chat as fields, its traceback as ``exc``."""
        item_id, item_chat = 4711, "-1001234567890"  # Claimed.id is an int, Claimed.chat a str
        try:
            raise RuntimeError("the send crashed")
        except RuntimeError as exc:
            logging.getLogger("jobs.deliver").error(
                "delivery crashed delivery_id=%s chat=%s", item_id, item_chat, exc_info=exc
            )
        [line] = lines(json_stream)
        assert TIME.fullmatch(line.pop("time"))
        exc = line.pop("exc")
        assert exc.startswith("Traceback")
        assert "RuntimeError: the send crashed" in exc
        assert line == {
            "level": "error",
            "logger": "jobs.deliver",
            "event": "delivery crashed",
            "message": "delivery crashed delivery_id=4711 chat=-1001234567890",
            "delivery_id": 4711,
            "chat_id": "-1001234567890",
        }

    def test_argument_types(self, json_stream: io.StringIO) -> None:
        """Ints stay ints and floats floats (whatever the precision shown); %r is the value's
        str; the message is the text line's, as the conversions show the values."""
        logging.getLogger("bot.outbox").warning(
            "delivery flood-limited delivery_id=%s retry_in=%.0f paused=%s error=%r note=%s",
            7,
            2.6,
            True,
            ValueError("too many requests"),
            None,
        )
        line = last(json_stream)
        assert line["message"] == (
            "delivery flood-limited delivery_id=7 retry_in=3 paused=True"
            " error=ValueError('too many requests') note=None"
        )
        assert line["event"] == "delivery flood-limited"
        assert line["level"] == "warning"
        assert (line["delivery_id"], line["retry_in"], line["paused"]) == (7, 2.6, True)
        assert type(line["delivery_id"]) is int
        assert line["error"] == "too many requests"
        assert line["note"] is None

    def test_missing_arguments_do_not_raise(self, json_stream: io.StringIO) -> None:
        logging.getLogger("bot").info("thing a=%s b=%s", 1)
        line = last(json_stream)
        assert line["a"] == 1
        assert "b" not in line
        assert line["message"].startswith("thing a=%s b=%s")

    def test_a_key_named_like_the_lines_own_keeps_both(self, json_stream: io.StringIO) -> None:
        logging.getLogger("jobs.progress").info("send finished send_id=%s message=%s", 3, 99)
        line = last(json_stream)
        assert line["message"] == "send finished send_id=3 message=99"
        assert line["message_"] == 99

    def test_values_json_cannot_hold_do_not_raise(self, json_stream: io.StringIO) -> None:
        class Unprintable:
            def __str__(self) -> str:
                raise RuntimeError("no str")

            def __repr__(self) -> str:
                raise RuntimeError("no repr either")

        circular: list[object] = []
        circular.append(circular)
        logging.getLogger("bot").info(
            "odd values a=%s b=%s c=%s d=%s e=%s f=%r",
            object(),
            {(1, 2): {3, 4}},
            float("nan"),
            circular,
            b"\xff bytes",
            TimeoutError(),
        )
        logging.getLogger("bot").info("unprintable x=%s", Unprintable())
        first, second = lines(json_stream)
        assert first["a"].startswith("<object object at")
        assert first["b"] == {"(1, 2)": [3, 4]}
        assert first["c"] == "nan"  # JSON has no NaN
        assert isinstance(first["d"], list)
        assert first["e"] == "b'\\xff bytes'"
        assert first["f"] == "TimeoutError"  # its str is empty
        assert second["x"] == "<unprintable Unprintable>"
        assert second["event"] == "unprintable"

    def test_one_physical_line_each(self, json_stream: io.StringIO) -> None:
        """Newlines and Unicode line separators in a value do not split the line."""
        logging.getLogger("bot").info("title title=%s", "line one\nline two\u2028three हिन्दी")
        text = json_stream.getvalue()
        assert len(text.splitlines()) == 1
        assert last(json_stream)["title"] == "line one\nline two\u2028three हिन्दी"
        assert "हिन्दी" in text  # ensure_ascii=False

    def test_fields_passed_as_fields(self, json_stream: io.StringIO) -> None:
        """``extra={"fields": ...}``: how new code logs fields."""
        logging.getLogger("bot.services").info(
            "article stored", extra={"fields": {"feed_id": 12, "article_id": 34, "url": "x"}}
        )
        line = last(json_stream)
        assert line["event"] == "article stored"
        assert line["message"] == "article stored feed_id=12 article_id=34 url=x"
        assert (line["feed_id"], line["article_id"], line["url"]) == (12, 34, "x")

    def test_fields_passed_as_fields_in_text(self, stream: io.StringIO) -> None:
        logging.getLogger("bot.services").info(
            "article stored", extra={"fields": {"feed_id": 12, "article_id": 34}}
        )
        assert stream.getvalue().endswith(
            " INFO bot.services article stored feed_id=12 article_id=34\n"
        )

    def test_text_lines_are_as_they_were(self, stream: io.StringIO) -> None:
        logging.getLogger("bot.services").info("article stored feed_id=%s article_id=%s", 12, 34)
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d INFO bot.services article stored feed_id=12"
            r" article_id=34\n",
            stream.getvalue(),
        )

    def test_an_unknown_format_is_refused(self) -> None:
        with pytest.raises(ValueError, match="text or json"):
            configure_logging("INFO", stream=io.StringIO(), fmt="yaml")


class TestJsonRedaction:
    def test_secrets_are_in_no_field_message_or_traceback(self, json_stream: io.StringIO) -> None:
        from bot.logs import redact_also

        redact_also("late-secret-42")
        url = f"https://reader:{PASSWORD}@feeds.example/rss?x=1"
        link = "http://127.0.0.1:8080/login/ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDEy.Z1abc"
        try:
            raise RuntimeError(f"GET {url} via /bot{TOKEN}/getMe with late-secret-42")
        except RuntimeError:
            logging.getLogger("bot.feeds").exception(
                "fetch failed url=%s token=%s secret=%s link=%s urls=%s",
                url,
                TOKEN,
                "late-secret-42",
                link,
                [url],
                extra={"fields": {"api": f"https://api.telegram.org/bot{TOKEN}/getMe"}},
            )
        text = json_stream.getvalue()
        for secret in (TOKEN, PASSWORD, "late-secret-42", "ImFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6"):
            assert secret not in text
        [line] = lines(json_stream)
        assert line["url"] == "https://***@feeds.example/rss?x=1"
        assert line["urls"] == ["https://***@feeds.example/rss?x=1"]
        assert (line["token"], line["secret"]) == (REDACTED, REDACTED)
        assert line["link"] == f"http://127.0.0.1:8080/login/{REDACTED}"
        assert line["api"] == f"https://api.telegram.org/bot{REDACTED}/getMe"
        assert "https://***@feeds.example/rss" in line["message"]
        assert f"GET https://***@feeds.example/rss?x=1 via /bot{REDACTED}/getMe" in line["exc"]

    def test_the_event_is_redacted_too(self, json_stream: io.StringIO) -> None:
        """A template that holds a secret itself (a third party's f-string)."""
        logging.getLogger("telegram.ext").debug(f"POST https://api/bot{TOKEN}/getMe done")  # noqa: G004
        line = last(json_stream)
        assert TOKEN not in json_stream.getvalue()
        assert line["event"] == f"POST https://api/bot{REDACTED}/getMe done"

    def test_url_credentials_in_text_lines(self, stream: io.StringIO) -> None:
        logging.getLogger("bot").info("moved to=%s", f"https://u:{PASSWORD}@h.example/x")
        assert PASSWORD not in stream.getvalue()
        assert "moved to=https://***@h.example/x" in stream.getvalue()


@pytest.mark.slow
def test_cli_logs_only_json_lines(tmp_path: Path) -> None:
    """`newsbot feeds add` and `feeds list` with LOG_FORMAT=json LOG_LEVEL=DEBUG: every line on
    stderr is a JSON object, the feed's id a field, the token nowhere."""
    from bot.sandbox.feed_server import FeedServer
    from tests.conftest import FIXTURES
    from tests.test_cli import newsbot

    env = {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG", "TELEGRAM_BOT_TOKEN": TOKEN}
    with FeedServer() as site:
        site.put("/f.xml", (FIXTURES / "demo_like.xml").read_bytes(), "application/rss+xml")
        added = newsbot(
            "feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, ALLOW_PRIVATE_NETWORKS="true",
            **env,
        )  # fmt: skip
    listed = newsbot("feeds", "list", cwd=tmp_path, **env)
    assert (added.returncode, listed.returncode) == (0, 0), added.stderr + listed.stderr
    assert "Added feed 1" in added.stdout
    assert "The Valley Courier" in listed.stdout
    records = [json.loads(line) for line in (added.stderr + listed.stderr).splitlines()]
    assert len(records) >= 3
    assert all(isinstance(r, dict) and r["time"] and r["level"] for r in records)
    [stored] = [r for r in records if r["event"] == "feed added"]
    assert (stored["feed_id"], stored["seen"]) == (1, 2)
    assert TOKEN not in added.stderr + listed.stderr
