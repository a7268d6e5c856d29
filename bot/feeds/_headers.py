"""Pure: what a fetch reads from response headers, tested from tables of cases with no network.

``Retry-After`` (RFC 9110 §10.2.3), ``Cache-Control: max-age`` (RFC 9111 §5.2) and the list of
content codings (RFC 9110 §8.4), each as a small function that never raises on garbage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

# RFC 9111 §1.2.2: a delta-seconds past 2**31 is taken as 2**31.
_MAX_DELTA: Final = 2**31
# Directives after which a response must not be reused without asking again: no max-age then.
_NO_REUSE: Final = frozenset({"no-cache", "no-store"})


def _delta_seconds(value: str) -> int | None:
    """Return ``value`` as RFC 9111 delta-seconds (ASCII digits only), capped at 2**31."""
    value = value.strip()
    if not value or not (value.isascii() and value.isdigit()):
        return None
    return min(int(value), _MAX_DELTA)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the seconds to wait from a ``Retry-After`` value, or None if it is absent or garbage.

    The value is delta-seconds (``120``) or an HTTP-date, which is counted from ``now`` (an aware
    datetime) and never below 0.
    """
    if value is None:
        return None
    seconds = _delta_seconds(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a time in UTC from an unknown zone
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _directives(value: str) -> list[tuple[str, str | None]]:
    """Return a Cache-Control value's directives as (lower-case name, argument or None)."""
    directives: list[tuple[str, str | None]] = []
    for part in value.split(","):
        name, sep, argument = part.partition("=")
        name = name.strip().lower()
        if name:
            directives.append((name, argument.strip().strip('"') if sep else None))
    return directives


def parse_max_age(value: str | None) -> int | None:
    """Return the ``max-age`` of a ``Cache-Control`` value in seconds, or None.

    None when the header is absent, has no max-age, has a garbage one, or says ``no-cache`` or
    ``no-store`` (the response is not to be reused, so it gives no freshness hint). When max-age
    comes twice, the first one counts (RFC 9111 §4.2.1).
    """
    if value is None:
        return None
    directives = _directives(value)
    if any(name in _NO_REUSE for name, _ in directives):
        return None
    for name, argument in directives:
        if name == "max-age":
            return None if argument is None else _delta_seconds(argument)
    return None


def content_codings(values: list[str]) -> list[str]:
    """Return the content codings named by ``Content-Encoding`` header values, in the order they
    were applied, lower-cased, without ``identity`` (which changes nothing)."""
    codings = [part.strip().lower() for value in values for part in value.split(",")]
    return [coding for coding in codings if coding and coding != "identity"]


def media_type(content_type: str | None) -> str:
    """The media type of a Content-Type value (or a ``type`` attribute), lowercased, without
    parameters: ``"text/html"`` for ``"Text/HTML; charset=utf-8"``, ``""`` for None."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime (the ``now`` of parse_retry_after)."""
    return datetime.now(UTC)
