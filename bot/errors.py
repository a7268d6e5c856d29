"""newsbot's one exception tree.

Everything newsbot raises on purpose derives from :class:`NewsbotError`, so a caller (a handler,
a job, the command line) can catch what it knows how to report and let the rest be a bug::

    NewsbotError
    ├── ConfigError            a setting is missing or invalid (names the key)
    ├── FetchError             a feed or page could not be fetched (carries the url and a kind)
    │   ├── BlockedAddressError    the host resolves to a loopback/private address
    │   ├── ResponseTooLargeError  the body exceeded the size cap
    │   └── HTTPStatusError        the server answered with an error status (and Retry-After)
    ├── ParseError             bytes were fetched but are not a usable feed or article page
    │   ├── FeedParseError         kind ``not_a_feed`` or ``unparseable``
    │   └── PageParseError
    ├── FeedError              a feed in the database cannot be used as asked
    │   ├── FeedNotFoundError      no feed by that id (or URL)
    │   ├── FeedExistsError        the url is already a feed
    │   └── FeedSettingError       a feed option out of bounds
    │       └── RuleError          an editorial rule refused (too many or too long words)
    ├── AlreadyPostedError     an article with this link was posted before; not sent again
    ├── SendStateError         a publication was already decided (published, cancelled…)
    ├── InvalidCampaignError   a campaign name outside [A-Za-z0-9_-]{1,64}
    ├── PrintSizeError         a QR code too small to print and scan (names the smallest size)
    └── TemplateError          a post template is refused ("line 3: unexpected '}'")

Telegram's own failures stay PTB's typed errors (``telegram.error.Forbidden``, ``RetryAfter``…);
they are handled where messages are sent and never re-wrapped.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.links import redact_url


class ErrorKind(StrEnum):
    """The class of an ingest failure, kept with a feed's health and counted in metrics."""

    DNS = "dns"  # the host name does not resolve
    CONNECT = "connect"  # refused, reset, unreachable, the connection broke
    TIMEOUT = "timeout"  # the whole fetch ran out of time (a stall mid-body included)
    TLS = "tls"  # certificate or handshake
    HTTP_STATUS = "http_status"  # 4xx/5xx, a 304 to a plain request, too many redirects
    TOO_LARGE = "too_large"  # the (decoded) body passed the cap
    BLOCKED = "blocked"  # a private, loopback or otherwise internal address
    INVALID_URL = "invalid_url"  # not http(s), credentials in it, unparseable
    NOT_A_FEED = "not_a_feed"  # an HTML page, another XML document, a JSON that is no feed
    UNPARSEABLE = "unparseable"  # a feed so broken that no entry could be read
    INTERNAL = "internal"  # a bug in newsbot, recorded for the feed it happened on


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose.

    Every one pickles (a feed parsed in a worker process raises it in the bot's), although
    subclasses take other arguments than their message.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(cls: type[NewsbotError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """An error of ``cls`` with the message ``args`` and the attributes ``state``, unpickled."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigError(NewsbotError):
    """A setting is missing or invalid; ``key`` names it, ``problem`` says what is wrong."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class FetchError(NewsbotError):
    """A feed or page at ``url`` could not be fetched; ``kind`` classifies why.

    ``url`` is kept with any credentials in it replaced (``https://***@host/``), so that no
    message, log line or stored error carries a password.
    """

    default_kind: ErrorKind = ErrorKind.CONNECT

    def __init__(self, url: str, reason: str, *, kind: ErrorKind | None = None) -> None:
        url = redact_url(url)
        super().__init__(f"cannot fetch {url!r}: {reason}")
        self.url = url
        self.reason = reason
        self.kind = kind or self.default_kind


class BlockedAddressError(FetchError):
    """The host of ``url`` resolves to a loopback, private or otherwise internal address."""

    default_kind = ErrorKind.BLOCKED


class ResponseTooLargeError(FetchError):
    """The response body of ``url`` is larger than the configured cap."""

    default_kind = ErrorKind.TOO_LARGE


class HTTPStatusError(FetchError):
    """The server answered ``url`` with an error status; ``retry_after`` is its Retry-After
    in seconds (429, 503), if it sent a usable one."""

    default_kind = ErrorKind.HTTP_STATUS

    def __init__(self, url: str, status: int, *, retry_after: float | None = None) -> None:
        super().__init__(url, f"the server answered HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class ParseError(NewsbotError):
    """The bytes from ``source`` are not a usable feed or article page; ``kind`` says which."""

    default_kind: ErrorKind = ErrorKind.UNPARSEABLE

    def __init__(self, source: str, reason: str, *, kind: ErrorKind | None = None) -> None:
        source = redact_url(source)
        super().__init__(f"cannot read {source!r}: {reason}")
        self.source = source
        self.reason = reason
        self.kind = kind or self.default_kind


class FeedParseError(ParseError):
    """``source`` is not a feed (``not_a_feed``) or no usable entry could be read
    (``unparseable``)."""


class PageParseError(ParseError):
    """``source`` is not an article page with a title."""

    default_kind = ErrorKind.NOT_A_FEED


def error_kind(error: BaseException) -> ErrorKind:
    """The kind of an ingest failure; anything that is not a Fetch/ParseError is a bug."""
    if isinstance(error, FetchError | ParseError):
        return error.kind
    return ErrorKind.INTERNAL


class FeedError(NewsbotError):
    """A feed in the database cannot be used as asked."""


class FeedNotFoundError(FeedError):
    """No feed has the id (or the URL) ``feed_id``."""

    def __init__(self, feed_id: int | str) -> None:
        what = "id" if isinstance(feed_id, int) else "URL"
        shown = feed_id if isinstance(feed_id, int) else repr(redact_url(feed_id))
        super().__init__(f"no feed has the {what} {shown}")
        self.feed_id = feed_id


class FeedSettingError(FeedError):
    """A feed option is out of bounds; the message says which and why."""


class RuleError(FeedSettingError):
    """An editorial rule (a feed's include or exclude words) cannot be kept: too many phrases,
    or one too long; the message says which."""


class FeedExistsError(FeedError):
    """``url`` is already feed ``feed_id``."""

    def __init__(self, url: str, feed_id: int) -> None:
        super().__init__(f"{url!r} is already feed {feed_id}")
        self.url = url
        self.feed_id = feed_id


class EditionError(NewsbotError):
    """An edition named that newsbot does not have (``--edition xx``); the message lists them."""

    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(
            f"there is no edition {code[:32]!r}; the editions are {', '.join(known) or 'none'}"
        )
        self.code = code
        self.known = known


class SectionError(NewsbotError):
    """A section cannot be made, renamed or found as asked; the message says why."""


class AlreadyPostedError(NewsbotError):
    """Article ``article_id`` has this link and was posted before; it is not sent again."""

    def __init__(
        self,
        link: str,
        article_id: int,
        *,
        at: datetime | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(f"{link!r} was already posted as article {article_id}")
        self.link = link
        self.article_id = article_id
        #: when it went out, and to which channel, when known.
        self.at = at
        self.channel = channel


class SendStateError(NewsbotError):
    """Publication ``send_id`` is ``status`` already (published, scheduled, cancelled,
    skipped), decided by ``by`` at ``at``: the button pressed no longer applies."""

    def __init__(
        self,
        send_id: int,
        status: str,
        *,
        by: str | None = None,
        at: datetime | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(f"send {send_id} is {status}")
        self.send_id = send_id
        self.status = status
        self.by = by
        self.at = at
        self.channel = channel


class InvalidCampaignError(NewsbotError):
    """A campaign name must be 1-64 characters from A-Z, a-z, 0-9, '_' and '-'."""

    def __init__(self, campaign: str) -> None:
        super().__init__(
            f"campaign {campaign!r} is not allowed: use 1-64 characters from "
            "A-Z, a-z, 0-9, '_' and '-' (Telegram's rule for /start payloads)"
        )
        self.campaign = campaign


class PrintSizeError(NewsbotError, ValueError):
    """The code cannot be printed at ``size_mm``; ``smallest_mm`` is the smallest whole size in
    mm that works for the same data, dpi, label and logo (None: no size up to the largest).
    Also a ``ValueError``: it is a bad argument to :mod:`bot.qr`'s pure functions."""

    def __init__(self, size_mm: float, problem: str, smallest_mm: int | None) -> None:
        tail = (
            f"the smallest size that works is {smallest_mm} mm"
            if smallest_mm is not None
            else "no size works; shorten the label"
        )
        size = f"{size_mm:.3f}".rstrip("0").rstrip(".")  # 50, 37.5, 50.038
        super().__init__(f"a {size} mm code {problem}; {tail}")
        self.size_mm = size_mm
        self.problem = problem
        self.smallest_mm = smallest_mm


class TemplateError(NewsbotError):
    """A post template cannot be used; the message starts with its line and says why
    (``line 3: unexpected '}'``, ``line 1: the post is not valid Telegram HTML: …``)."""


class ConsoleLoginError(NewsbotError):
    """A console login link or session cannot be used; ``reason`` says why, in a word:
    ``invalid`` (not one newsbot made), ``expired``, ``used`` or ``not_editor``."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"console login refused: {reason}")
        self.reason = reason
