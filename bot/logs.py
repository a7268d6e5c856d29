"""Structured logs that never contain a secret.

Log lines read ``time level logger event key=value …``: code logs
``log.info("article stored feed_id=%s article_id=%s", feed.id, article.id)``. A
:class:`RedactingFilter` on the handler replaces every configured secret (the bot token) in the
message, its arguments and any traceback with ``<redacted>`` before anything is written, and the
httpx/httpcore loggers (which log every request URL, and the token is part of each Bot API URL)
are kept at WARNING.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

REDACTED = "<redacted>"
#: Secrets that are no setting: a console login link's token (PTB logs what it sends at DEBUG).
_SECRET_PATTERNS = (re.compile(r"(/login/)[A-Za-z0-9_.\-]{16,}"),)
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


class RedactingFilter(logging.Filter):
    """Replace each secret in a record's final text (message and traceback) with ``<redacted>``:
    the configured ones, and console login links' tokens."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(rf"\g<1>{REDACTED}", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


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
    level: str = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send newsbot's logs to ``stream`` (stderr) with secrets redacted; return the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
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
