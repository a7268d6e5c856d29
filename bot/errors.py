"""newsbot's one exception tree.

Everything newsbot raises on purpose derives from :class:`NewsbotError`, so a caller (a handler,
a job, the command line) can catch what it knows how to report and let the rest be a bug::

    NewsbotError
    ├── ConfigError            a setting is missing or invalid (names the key)
    ├── FetchError             a feed or page could not be fetched (carries the url)
    │   ├── BlockedAddressError    the host resolves to a loopback/private address
    │   ├── ResponseTooLargeError  the body exceeded the size cap
    │   └── HTTPStatusError        the server answered with an error status
    ├── ParseError             bytes were fetched but are not a usable feed or article page
    │   ├── FeedParseError
    │   └── PageParseError
    ├── FeedError              a feed in the database cannot be used as asked
    │   ├── FeedNotFoundError      no feed by that id
    │   └── FeedExistsError        the url is already a feed
    ├── AlreadyPostedError     an article with this link was posted before; not sent again
    └── InvalidCampaignError   a campaign name outside [A-Za-z0-9_-]{1,64}

Telegram's own failures stay PTB's typed errors (``telegram.error.Forbidden``, ``RetryAfter``…);
they are handled where messages are sent and never re-wrapped.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid; ``key`` names it, ``problem`` says what is wrong."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class FetchError(NewsbotError):
    """A feed or page at ``url`` could not be fetched."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot fetch {url!r}: {reason}")
        self.url = url
        self.reason = reason


class BlockedAddressError(FetchError):
    """The host of ``url`` resolves to a loopback, private or otherwise internal address."""


class ResponseTooLargeError(FetchError):
    """The response body of ``url`` is larger than the configured cap."""


class HTTPStatusError(FetchError):
    """The server answered ``url`` with an error status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, f"the server answered HTTP {status}")
        self.status = status


class ParseError(NewsbotError):
    """The bytes from ``source`` are not a usable feed or article page."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"cannot read {source!r}: {reason}")
        self.source = source
        self.reason = reason


class FeedParseError(ParseError):
    """``source`` is not a feed that has any usable entry."""


class PageParseError(ParseError):
    """``source`` is not an article page with a title."""


class FeedError(NewsbotError):
    """A feed in the database cannot be used as asked."""


class FeedNotFoundError(FeedError):
    """No feed has the id ``feed_id``."""

    def __init__(self, feed_id: int) -> None:
        super().__init__(f"no feed has the id {feed_id}")
        self.feed_id = feed_id


class FeedExistsError(FeedError):
    """``url`` is already feed ``feed_id``."""

    def __init__(self, url: str, feed_id: int) -> None:
        super().__init__(f"{url!r} is already feed {feed_id}")
        self.url = url
        self.feed_id = feed_id


class AlreadyPostedError(NewsbotError):
    """Article ``article_id`` has this link and was posted before; it is not sent again."""

    def __init__(self, link: str, article_id: int) -> None:
        super().__init__(f"{link!r} was already posted as article {article_id}")
        self.link = link
        self.article_id = article_id


class InvalidCampaignError(NewsbotError):
    """A campaign name must be 1-64 characters from A-Z, a-z, 0-9, '_' and '-'."""

    def __init__(self, campaign: str) -> None:
        super().__init__(
            f"campaign {campaign!r} is not allowed: use 1-64 characters from "
            "A-Z, a-z, 0-9, '_' and '-' (Telegram's rule for /start payloads)"
        )
        self.campaign = campaign
