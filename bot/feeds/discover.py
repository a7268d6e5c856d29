"""Feed discovery: from a site's address to the feed it publishes.

An editor types a site's address, not its feed's; :func:`discover` finds the feed::

    from bot.feeds.discover import discover
    from bot.feeds.fetch import Fetcher

    async with Fetcher(allow_private_networks=settings.allow_private_networks) as fetcher:
        found = await discover(fetcher, "https://example.com/")  # FeedParseError if none
        print(found.url, found.title)         # the feed to store, and what it calls itself
        found.feed.entries                    # already parsed: no need to fetch it again
        for attempt in found.tried:           # every URL fetched, and why each one failed
            print(attempt.url, attempt.error or "a feed")

In order: the URL itself, if it already is a feed (an XML or JSON document that is no feed
raises its own :class:`FeedParseError`: it is a broken feed, not a page); then the feeds the
page's ``<link rel="alternate">`` tags name (:func:`find_feed_links`, pure; RSS, Atom, JSON Feed
and RDF before the generic ``application/json`` and ``text/xml``, which WordPress also uses for
its REST API); then the common paths on the page's origin (``/feed``, ``/rss``, ``/feed.xml``,
``/rss.xml``, ``/atom.xml``, ``/index.xml``, ``/feed.json``). The first that parses wins, and
at most :data:`MAX_FETCHES` documents are fetched in all. Every fetch goes through the
caller's :class:`Fetcher`, so its limits and its private-network guard apply to each
candidate too.

HTML is parsed with lexbor (selectolax), which is linear on hostile input, and only its first
:data:`MAX_HTML_BYTES`: ``<link>`` tags live in the ``<head>``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from bot.errors import ErrorKind, FeedParseError, FetchError
from bot.feeds._headers import media_type
from bot.feeds.fetch import FEED_ACCEPT, Fetcher, FetchResult
from bot.feeds.parse import ParsedFeed
from bot.feeds.workers import ParserPool
from bot.formatting.html_text import absolute_http_url
from bot.links import redact_url
from bot.pages import decode_html

__all__ = [
    "COMMON_PATHS",
    "FEED_TYPES",
    "MAX_FETCHES",
    "MAX_HTML_BYTES",
    "Attempt",
    "DiscoveredFeed",
    "Discovery",
    "discover",
    "find_feed_links",
]

log = logging.getLogger(__name__)

#: The media types of ``<link rel="alternate">`` tags that name a feed, most specific first.
FEED_TYPES: Final = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/json",
    "text/xml",
)
#: Types that also name things other than feeds (WordPress links its REST API as
#: ``application/json`` on every page), so their links are tried after the specific ones.
_GENERIC_TYPES: Final = frozenset({"application/json", "text/xml"})
#: Where sites without feed links usually keep their feed, tried in this order.
COMMON_PATHS: Final = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
)
#: The most documents one discovery fetches: the URL asked, then candidates.
MAX_FETCHES: Final = 8
#: How much of an HTML document is parsed for its feed links.
MAX_HTML_BYTES: Final = 1_000_000

_PAGE_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True, slots=True)
class DiscoveredFeed:
    """A feed an HTML page links: its absolute URL, the link's title (or ``""``), its type."""

    url: str
    title: str
    type: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One URL that discovery fetched: ``error`` says why it is not a feed, ``None`` if it is.

    ``source`` is where the URL came from: ``"asked"`` (the URL given), ``"link"`` (a
    ``<link rel="alternate">`` of the page) or ``"path"`` (one of :data:`COMMON_PATHS`).
    """

    url: str
    source: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Discovery:
    """The feed found for a URL.

    ``url`` is the feed's URL as linked or tried (before any redirect, so that a temporary
    redirect is not stored), ``title`` its own title (else its link's title, else ``""``),
    ``feed`` its parsed content, ``links`` every feed the page links (in document order) and
    ``tried`` every URL fetched, in order, the last one being the feed.
    """

    url: str
    title: str
    feed: ParsedFeed
    links: tuple[DiscoveredFeed, ...]
    tried: tuple[Attempt, ...]


def _document(html: str | bytes) -> str:
    """The first :data:`MAX_HTML_BYTES` of ``html`` as text (bytes are read as UTF-8)."""
    if isinstance(html, bytes):
        return html[:MAX_HTML_BYTES].decode("utf-8", errors="replace")
    return html[:MAX_HTML_BYTES]


def find_feed_links(html: str | bytes, base_url: str) -> list[DiscoveredFeed]:
    """The feeds an HTML page links with ``<link rel="alternate" type=… href=…>``, in order.

    ``rel`` is a space-separated, case-insensitive list that must hold ``alternate``; ``type``
    is one of :data:`FEED_TYPES` (parameters and case ignored). A relative ``href`` is made
    absolute against the page's ``<base href>``, else ``base_url``; only http(s) URLs are kept,
    each once. Only the first :data:`MAX_HTML_BYTES` of the page are read (bytes as UTF-8:
    decode them first with :func:`bot.pages.decode_html` when the charset matters). Pure.
    """
    tree = LexborHTMLParser(_document(html))
    base = base_url
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        base = absolute_http_url(base_tag.attributes.get("href"), base_url) or base_url
    found: list[DiscoveredFeed] = []
    seen: set[str] = set()
    for link in tree.css("link[rel][href]"):
        attributes = link.attributes
        rel = (attributes.get("rel") or "").lower().split()
        link_type = media_type(attributes.get("type"))
        if "alternate" not in rel or link_type not in FEED_TYPES:
            continue
        url = absolute_http_url(attributes.get("href"), base)
        if url is None or url in seen:
            continue
        seen.add(url)
        title = " ".join((attributes.get("title") or "").split())
        found.append(DiscoveredFeed(url=url, title=title, type=link_type))
    return found


def _looks_like_html(result: FetchResult) -> bool:
    """Whether a fetched document that is no feed is a page worth looking for feeds from.

    Anything not declared as XML or JSON counts (``text/html``, ``text/plain``, nothing), so
    that a home page served with a wrong type is still searched; an XML or JSON document that
    is not a feed is a broken feed, and its own error is the clearer one.
    """
    page_type = media_type(result.content_type)
    if page_type in _PAGE_TYPES:
        return True
    return not (page_type.endswith(("xml", "json")))


async def _try_feed(
    fetcher: Fetcher, url: str, parser: ParserPool
) -> tuple[ParsedFeed | None, str | None]:
    """Fetch ``url`` and parse it as a feed: ``(feed, None)``, or ``(None, why it is not)``."""
    try:
        result = await fetcher.fetch(url, accept=FEED_ACCEPT)
        feed = await parser.parse(result.content, url=result.url, content_type=result.content_type)
    except (FetchError, FeedParseError) as error:
        return None, error.reason
    return feed, None


def _page_links(content: bytes, content_type: str | None, url: str) -> list[DiscoveredFeed]:
    """The feed links of a fetched page (decoded as a browser would): for a worker process."""
    return find_feed_links(decode_html(content[:MAX_HTML_BYTES], content_type), url)


def _candidates(links: Sequence[DiscoveredFeed]) -> list[DiscoveredFeed]:
    """``links`` with the specific feed types first, each group in document order."""
    specific = [link for link in links if link.type not in _GENERIC_TYPES]
    generic = [link for link in links if link.type in _GENERIC_TYPES]
    return specific + generic


def _nothing_found(links: Sequence[DiscoveredFeed], paths: Sequence[str]) -> str:
    """The one line that says why no feed was found, for a person."""
    if not links:
        page = "the page links none"
    elif len(links) == 1:
        page = "the page's one feed link leads to no feed"
    else:
        page = f"none of the page's {len(links)} feed links leads to a feed"
    if not paths:
        return f"no feed found: {page}"
    return f"no feed found: {page} and none of {', '.join(paths)} is a feed"


async def discover(fetcher: Fetcher, url: str, *, parser: ParserPool | None = None) -> Discovery:
    """Find the feed at or behind ``url``, as this module's docstring says.

    Raises :class:`FetchError` when ``url`` itself cannot be fetched, the
    :class:`FeedParseError` of ``url`` when it is an XML or JSON document that is no feed,
    and ``FeedParseError(kind=not_a_feed)`` with a line for a person when nothing is found.
    Candidates that fail are recorded in the result (or in the log) and do not raise.
    """
    tried: list[Attempt] = []
    parser = parser or ParserPool(workers=0)
    page = await fetcher.fetch(url, accept=FEED_ACCEPT)
    try:
        feed = await parser.parse(page.content, url=page.url, content_type=page.content_type)
    except FeedParseError as error:
        if not _looks_like_html(page):
            raise
        tried.append(Attempt(url=url, source="asked", error=error.reason))
    else:
        tried.append(Attempt(url=url, source="asked", error=None))
        return Discovery(url=url, title=feed.title, feed=feed, links=(), tried=tuple(tried))

    links = await parser.call(
        FeedParseError, page.url, _page_links, page.content, page.content_type, page.url
    )
    titles = {link.url: link.title for link in links}
    queue = [(link.url, "link", "") for link in _candidates(links)]
    queue += [(urljoin(page.url, path), "path", path) for path in COMMON_PATHS]
    done = {url, page.url}
    paths_tried: list[str] = []
    for candidate, source, path in queue:
        if len(tried) >= MAX_FETCHES:
            break
        if candidate in done:
            continue
        done.add(candidate)
        if path:
            paths_tried.append(path)
        found, reason = await _try_feed(fetcher, candidate, parser)
        tried.append(Attempt(url=candidate, source=source, error=reason))
        if found is not None:
            log.info(
                "feed discovered url=%s feed_url=%s source=%s fetches=%d",
                redact_url(url),
                redact_url(candidate),
                source,
                len(tried),
            )
            return Discovery(
                url=candidate,
                title=found.title or titles.get(candidate, ""),
                feed=found,
                links=tuple(links),
                tried=tuple(tried),
            )
        log.debug(
            "not a feed url=%s candidate=%s reason=%r",
            redact_url(url),
            redact_url(candidate),
            reason,
        )
    log.info(
        "no feed discovered url=%s links=%d fetches=%d", redact_url(url), len(links), len(tried)
    )
    raise FeedParseError(url, _nothing_found(links, paths_tried), kind=ErrorKind.NOT_A_FEED)
