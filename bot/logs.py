"""Structured logs that never contain a secret, as text lines or as JSON lines (LOG_FORMAT).

Code logs ``log.info("article stored feed_id=%s article_id=%s", feed.id, article.id)``: the
event's words, then ``key=%…`` for each value. The text format writes the line as it reads,
``time level logger article stored feed_id=12 article_id=34``. The JSON format writes one object
a line, its fields taken from the call's template and arguments (never parsed back from the
formatted text)::

    {"time": "2025-01-31T09:15:02.123Z", "level": "info", "logger": "bot.services.ingest",
     "event": "article stored", "message": "article stored feed_id=12 article_id=34",
     "feed_id": 12, "article_id": 34}

Each ``key=%…`` conversion of the template is paired with its argument, which keeps its own type
(an int stays an int, a float a float whatever the precision shown, ``None`` is null; any other
object, ``%r`` or not, is its ``str``); the event is the template's text before the first
`` key=``. The outbox's ``chat=`` is ``chat_id`` in JSON, and a key that is one of the line's own
(``time``, ``level``, ``logger``, ``event``, ``message``, ``exc``, ``stack``) gets a ``_`` after
it. A traceback is ``"exc"``.

New code may pass its fields as fields, and should::

    log.info("article stored", extra={"fields": {"feed_id": feed.id, "article_id": article.id}})

They are JSON fields like the template's, and the text line shows them as ``key=value`` after
the message, as if they had been in the template.

Redaction is one step for each record (:class:`RedactingFilter`, on the handler, before either
format): every configured secret (the bot token, the webhook's secret, any added later with
:func:`redact_also`) becomes ``<redacted>``, so does a console login link's token
(``/login/<redacted>``), and a URL's ``user:password@`` becomes ``***@`` (as
:func:`bot.links.redact_url` does) — in the event, every string field, the message, the
traceback and the stack. The httpx/httpcore loggers (which log every request URL, and the token
is part of each Bot API URL) are kept at WARNING. A log call never raises here: arguments that do
not fit the template, or values that cannot be shown, are written as well as they can be.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TextIO

from bot.links import redact_url

REDACTED = "<redacted>"
#: The log formats LOG_FORMAT names.
FORMATS = ("text", "json")
#: Secrets that are no setting: a console login link's token (PTB logs what it sends at DEBUG);
#: each pattern's text starts with ``/login/``.
_SECRET_PATTERNS = (re.compile(r"(/login/)[A-Za-z0-9_.\-]{16,}"),)
#: A URL up to the end of an authority that holds an ``@`` (``user:password@host``).
_URL_WITH_CREDENTIALS = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s'\"<>`]*@[^/?#\s'\"<>`]*")
_NOISY = ("httpx", "httpcore", "aiohttp.access", "asyncio", "aiosqlite", "alembic")
# APScheduler warns each time a repeating job is skipped because its previous run is still
# going; for the poll and delivery jobs that is by design (max_instances=1), so only its
# errors are shown.
# PTB's rate limiter logs a traceback for each flood wait it passes on (newsbot lets it pass
# every one on: the outbox reschedules the delivery and logs one line of its own).
# trafilatura (teaser feeds' pages) warns about every page that is not an article.
_QUIET = {
    "apscheduler": logging.ERROR,
    "telegram.ext.AIORateLimiter": logging.CRITICAL,
    "trafilatura": logging.CRITICAL,
    "htmldate": logging.CRITICAL,
    "courlan": logging.CRITICAL,
    "justext": logging.CRITICAL,
}

#: One %-conversion as Python's ``%`` operator reads it (``%%`` included, to be skipped).
_CONVERSION = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)
#: ``key=`` (or ``key='``) just before a conversion, at the template's start or after a space.
_KEY_BEFORE = re.compile(r"(?:^|(?<=[\s,;(\[{]))(?P<key>[A-Za-z_][A-Za-z0-9_]*)=['\"]?\Z")
#: Where the event's words end: the first `` key=``.
_FIRST_KEY = re.compile(r"\s[A-Za-z_][A-Za-z0-9_]*=")
#: Keys logged under another name in JSON: the outbox names a delivery's chat ``chat=``.
_FIELD_NAMES = {"chat": "chat_id"}
#: The keys of the JSON line itself; a field of the same name gets a ``_`` after it.
_RESERVED = frozenset({"time", "level", "logger", "event", "message", "exc", "stack"})
#: How deep lists and dicts among the arguments are kept as JSON; deeper, their str.
_MAX_DEPTH = 4
#: Where the processor keeps a record's event and fields (once per record).
_STRUCTURED = "_newsbot_structured"


@dataclass(frozen=True, slots=True)
class _Slot:
    """One conversion of a template that takes an argument."""

    key: str | None  # the ``key=`` before it, if any
    name: str | None  # ``%(name)s``: the argument's key in a mapping
    stars: int  # ``*`` width or precision: arguments taken before the value


@dataclass(frozen=True, slots=True)
class _Template:
    event: str
    slots: tuple[_Slot, ...]


@dataclass(frozen=True, slots=True)
class Structured:
    """A record's event and fields, redacted (what the JSON line shows beside the message)."""

    event: str
    fields: dict[str, Any]


@lru_cache(maxsize=2048)
def _parse(template: str) -> _Template:
    """The event and the argument-taking conversions of ``template`` (templates are few: the
    code's string literals)."""
    slots = []
    for match in _CONVERSION.finditer(template):
        if match["type"] == "%":
            continue
        before = _KEY_BEFORE.search(template, 0, match.start())
        stars = (match["width"] == "*") + (match["precision"] == "*")
        slots.append(_Slot(before["key"] if before else None, match["name"], stars))
    first_key = _FIRST_KEY.search(template)
    event = (template[: first_key.start()] if first_key else template).strip()
    return _Template(event, tuple(slots))


def _text(value: object) -> str:
    """``str(value)``, or as much as can be said of a value whose ``str`` fails."""
    try:
        return str(value)
    except Exception:  # a log line is no place to fail
        try:
            return repr(value)
        except Exception:
            return f"<unprintable {type(value).__name__}>"


def _jsonable(value: object, redact: Callable[[str], str], depth: int = 0) -> Any:
    """``value`` as a JSON value: numbers, booleans and null as they are, strings redacted,
    lists and dicts element by element, anything else its (redacted) str."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)  # an IntEnum's number
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else _text(value)
    if isinstance(value, str):
        return redact(_text(value))
    if depth < _MAX_DEPTH:
        if isinstance(value, list | tuple | set | frozenset):
            return [_jsonable(item, redact, depth + 1) for item in value]
        if isinstance(value, Mapping):
            return {redact(_text(k)): _jsonable(v, redact, depth + 1) for k, v in value.items()}
    text = _text(value)
    if not text and isinstance(value, BaseException):
        text = type(value).__name__  # TimeoutError(): its name rather than nothing
    return redact(text)


def template_fields(template: str, args: object) -> dict[str, Any]:
    """The ``key=%…`` values of a log call, paired from its template and arguments (as
    ``LogRecord.args`` holds them: a tuple, or one mapping), unredacted and not made JSON yet.

    A conversion without an argument (too few were given) has no field; without any argument
    the template is not formatted at all (as :mod:`logging` does), so there are none.
    """
    if not args:
        return {}
    mapping = args if isinstance(args, Mapping) else None
    positional = args if isinstance(args, tuple) else (args,)
    fields: dict[str, Any] = {}
    index = 0
    for slot in _parse(template).slots:
        index += slot.stars
        if slot.name is not None:
            if slot.key is not None and mapping is not None and slot.name in mapping:
                fields[slot.key] = mapping[slot.name]
            continue
        if index >= len(positional):
            break
        if slot.key is not None:
            fields[slot.key] = positional[index]
        index += 1
    return fields


def _field_name(key: str) -> str:
    key = _FIELD_NAMES.get(key, key)
    return f"{key}_" if key in _RESERVED else key


class RedactingFilter(logging.Filter):
    """The one step each record takes before it is written: its event and fields found (see
    the module), every secret replaced with ``<redacted>`` in them, in the message, the
    traceback and the stack; the configured secrets, console login links' tokens and URLs'
    ``user:password@``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        if "/login/" in text:
            for pattern in _SECRET_PATTERNS:
                text = pattern.sub(rf"\g<1>{REDACTED}", text)
        if "@" in text:
            text = _URL_WITH_CREDENTIALS.sub(lambda found: redact_url(found[0]), text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _STRUCTURED, None) is None:
            self._process(record)
        return True

    def _process(self, record: logging.LogRecord) -> None:
        template = record.msg if isinstance(record.msg, str) else _text(record.msg)
        args = record.args
        try:
            message = record.getMessage()
        except Exception as exc:  # arguments that do not fit the template
            message = f"{template} [arguments that do not fit: {_text(args)}: {_text(exc)}]"
        event = _parse(template).event
        if args:
            event = event.replace("%%", "%")
        raw = {_field_name(k): v for k, v in template_fields(template, args).items()}
        extra = record.__dict__.get("fields")
        if isinstance(extra, Mapping) and extra:
            shown = " ".join(f"{_text(k)}={_text(v)}" for k, v in extra.items())
            message = f"{message} {shown}" if message else shown
            raw |= {_field_name(_text(k)): v for k, v in extra.items()}
        fields = {k: _jsonable(v, self.redact) for k, v in raw.items()}
        setattr(record, _STRUCTURED, Structured(self.redact(event), fields))
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)


def structured(record: logging.LogRecord) -> Structured:
    """The event and fields :class:`RedactingFilter` found for ``record`` (found now, with no
    configured secret, for a record that did not pass one)."""
    found = getattr(record, _STRUCTURED, None)
    if isinstance(found, Structured):
        return found
    RedactingFilter(())._process(record)
    found = getattr(record, _STRUCTURED)
    assert isinstance(found, Structured)
    return found


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, milliseconds), level, logger, event, message, the
    fields, and ``exc`` (the traceback) and ``stack`` when there are."""

    def format(self, record: logging.LogRecord) -> str:
        found = structured(record)
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))  # as msecs: cut
        line: dict[str, Any] = {
            "time": f"{when}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": found.event,
            "message": record.getMessage(),
            **found.fields,
        }
        if record.exc_info and not record.exc_text:  # a record no filter saw
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        try:
            text = json.dumps(line, ensure_ascii=False, allow_nan=False, default=_text)
        except (TypeError, ValueError, RecursionError) as exc:
            keys = ("time", "level", "logger", "event", "message", "exc")
            kept = {k: line[k] for k in keys if k in line}
            kept["fields_error"] = _text(exc)
            text = json.dumps(kept, ensure_ascii=False, default=_text)
        # Line separators JSON allows raw would split the line for many readers.
        return (
            text.replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
            .replace("\x85", "\\u0085")
        )


def redact_also(secret: str) -> None:
    """Keep ``secret`` out of the logs from now on too (one newsbot made after logging was
    configured: the webhook's, kept in the database)."""
    if not secret:
        return
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter) and secret not in found.secrets:
                found.secrets.append(secret)


def configure_logging(
    level: str = "INFO",
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    fmt: str = "text",
) -> logging.Handler:
    """Send newsbot's logs to ``stream`` (stderr) as text lines or JSON lines (``fmt``), secrets
    redacted; return the handler."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
        )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_newsbot", False)]:
        root.removeHandler(old)
    handler._newsbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name, quiet_level in _QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)
    return handler
