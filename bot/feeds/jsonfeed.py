"""JSON Feed 1.0 and 1.1 bytes -> :class:`JsonFeed` of :class:`~bot.article.ArticleDraft` (pure).

feedparser reads only XML, so :func:`bot.feeds.parse.parse_feed` hands a JSON document here
(https://jsonfeed.org/version/1.1, https://jsonfeed.org/version/1)::

    if looks_like_json(content, content_type):
        feed = parse_json_feed(content, url=url, content_type=content_type,
                               summary_max_chars=2000)

An item becomes the same draft an RSS or Atom entry does:

========== ===============================================================================
title      ``title`` (entities decoded, as in RSS titles)
summary    ``content_html`` as text, else ``content_text``, else ``summary``
link       ``url``, else ``external_url``, made absolute against the feed's URL
image      ``image``, ``banner_image``, an ``image/*`` attachment, the first ``<img>`` of
           ``content_html``: the first that is not a pixel, icon, avatar or small image
           (:func:`bot.formatting.pictures.choose`), made absolute against the feed's URL
published  ``date_published``, else ``date_modified`` (RFC 3339), in UTC
key        ``id`` (a number is made a string, as the spec says), else the link, else a hash
========== ===============================================================================

The document is untrusted: a field of the wrong type is ignored, JSON nested too deeply for
the decoder is an error like any other, and nothing but :class:`~bot.errors.FeedParseError`
is raised, whatever the bytes. The bytes are at most what the fetcher let through (5 MB).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from bot.article import ArticleDraft
from bot.errors import ErrorKind, FeedParseError
from bot.feeds._headers import media_type
from bot.formatting.condense import truncate
from bot.formatting.headline import clean_headline, split_headline
from bot.formatting.html_text import (
    absolute_http_url,
    clean_line,
    html_to_text,
    lenient_plain_text,
)
from bot.formatting.lead import clean_lead
from bot.formatting.pictures import Candidate, Source, choose, img_candidates

__all__ = ["JSON_MEDIA_TYPES", "VERSION_PREFIX", "JsonFeed", "looks_like_json", "parse_json_feed"]

#: The prefix of every JSON Feed ``version`` (``…/version/1``, ``…/version/1.1``).
VERSION_PREFIX: Final = "https://jsonfeed.org/version/"
#: Media types under which a JSON document is served; ``application/feed+json`` is JSON Feed's.
JSON_MEDIA_TYPES: Final = frozenset({"application/feed+json", "application/json"})

#: A ``version`` member naming JSON Feed, looked for in JSON too broken to decode.
_VERSION_MEMBER: Final = re.compile(rb'"version"\s*:\s*"https://jsonfeed\.org/version/')
#: The most tags kept of an item.
_TAGS_MAX: Final = 20
#: How much of a broken document is searched for :data:`_VERSION_MEMBER` (it comes first).
_VERSION_SEARCH_BYTES: Final = 65536


@dataclass(frozen=True, slots=True)
class JsonFeed:
    """What a JSON Feed says: its title and home page, its usable items in feed order, and how
    many items were skipped (not an object, or no title, summary or link)."""

    title: str
    link: str | None
    entries: list[ArticleDraft]
    skipped: int


def _first_byte(content: bytes) -> bytes:
    """The first byte of ``content`` after a UTF-8 byte order mark and whitespace."""
    return content.removeprefix(codecs.BOM_UTF8).lstrip()[:1]


def looks_like_json(content: bytes, content_type: str | None) -> bool:
    """Whether ``content`` is to be read as JSON rather than XML.

    It is when it starts with ``{`` or ``[`` (after a byte order mark and whitespace), or when
    it is served as JSON and does not start with ``<`` (a feed served with the wrong type).
    """
    first = _first_byte(content)
    if first in (b"{", b"["):
        return True
    return media_type(content_type) in JSON_MEDIA_TYPES and first != b"<"


def _declares_json_feed(content: bytes, content_type: str | None) -> bool:
    """Whether a document that could not be decoded says it is a JSON Feed."""
    if media_type(content_type) == "application/feed+json":
        return True
    return _VERSION_MEMBER.search(content, 0, _VERSION_SEARCH_BYTES) is not None


def _charset(content_type: str | None) -> str | None:
    match = re.search(r";\s*charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def _load(content: bytes, url: str, content_type: str | None) -> object:
    """The decoded JSON value of ``content``; FeedParseError when it is no JSON at all."""
    charset = _charset(content_type)
    try:
        if charset is not None and not charset.startswith("utf"):
            return json.loads(content.decode(charset))
        # bytes: json finds UTF-8 (with or without a byte order mark), UTF-16 or UTF-32 itself.
        return json.loads(content)
    except json.JSONDecodeError as error:
        reason = f"JSON error: {error.msg} at line {error.lineno}"
    except UnicodeDecodeError:
        reason = f"the JSON is not valid {charset or 'UTF-8'}"
    except RecursionError:
        reason = "the JSON is nested too deeply"
    except ValueError as error:  # e.g. an integer longer than Python converts
        reason = f"JSON error: {clean_line(str(error))}"
    if _declares_json_feed(content, content_type):
        raise FeedParseError(url, f"{reason}; no item could be read", kind=ErrorKind.UNPARSEABLE)
    raise FeedParseError(url, f"not a feed ({reason})", kind=ErrorKind.NOT_A_FEED)


def parse_json_feed(
    content: bytes, *, url: str, content_type: str | None = None, summary_max_chars: int
) -> JsonFeed:
    """Read the JSON Feed in ``content``, fetched from ``url``; summaries are cut to
    ``summary_max_chars`` code points.

    Raises :class:`FeedParseError`: ``not_a_feed`` for JSON that is no JSON Feed (or no JSON),
    ``unparseable`` for a JSON Feed that is broken JSON or has no list of items.
    """
    document = _load(content, url, content_type)
    if not isinstance(document, dict) or not _string(document, "version").startswith(
        VERSION_PREFIX
    ):
        raise FeedParseError(
            url,
            f"not a feed (a JSON document without a version starting {VERSION_PREFIX})",
            kind=ErrorKind.NOT_A_FEED,
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError(url, "the JSON Feed has no list of items", kind=ErrorKind.UNPARSEABLE)
    entries: list[ArticleDraft] = []
    keys: set[str] = set()
    skipped = 0
    title = _title(_string(document, "title"))
    site_names = (title,) if title else ()
    for item in items:
        draft = _draft(item, url, summary_max_chars, site_names) if isinstance(item, dict) else None
        if draft is None:
            skipped += 1
        elif draft.key not in keys:
            keys.add(draft.key)
            entries.append(draft)
    return JsonFeed(
        title=title,
        link=absolute_http_url(_string(document, "home_page_url"), url),
        entries=entries,
        skipped=skipped,
    )


def _string(mapping: Mapping[str, object], key: str) -> str:
    """The member ``key`` if it is a string, else ``""`` (a wrong type is ignored)."""
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _title(value: str) -> str:
    # JSON Feed titles are plain text by the spec, but publishers fill them as they fill RSS
    # titles, character references included ("It&#8217;s"): read like feedparser's RSS title.
    return clean_line(html_to_text(value))


def _id(item: Mapping[str, object]) -> str:
    """The item's id; a number is made a string, as the spec asks of readers."""
    value = item.get("id")
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return clean_line(value) if isinstance(value, str) else ""


def _summary(item: Mapping[str, object], title: str) -> str:
    """``content_html`` as text, else ``content_text``, else ``summary`` (the first not empty),
    cleaned as a lead (:func:`bot.formatting.lead.clean_lead`). Plain text fields are read
    leniently, as publishers put entities and HTML in them too."""
    return (
        clean_lead(html_to_text(_string(item, "content_html")), title=title)
        or clean_lead(lenient_plain_text(_string(item, "content_text")), title=title)
        or clean_lead(lenient_plain_text(_string(item, "summary")), title=title)
    )


def _tags(item: Mapping[str, object]) -> tuple[str, ...]:
    """The item's ``tags`` (strings), on one line each, the first spelling of each (ignoring
    case), at most _TAGS_MAX."""
    tags = item.get("tags")
    if not isinstance(tags, list):
        return ()
    found: dict[str, str] = {}
    for tag in tags:
        name = clean_line(tag) if isinstance(tag, str) else ""
        if name:
            found.setdefault(name.casefold(), name)
        if len(found) >= _TAGS_MAX:
            break
    return tuple(found.values())


def _image(item: Mapping[str, object], base: str) -> str | None:
    """The item's picture: ``image``, ``banner_image``, an image attachment, the first real
    ``<img>`` of ``content_html``; pixels, icons and avatars passed over
    (see :mod:`bot.formatting.pictures`)."""
    # The item's own pictures are tried as RSS's media:content, attachments as enclosures.
    candidates = [
        Candidate(Source.MEDIA_CONTENT, _string(item, "image")),
        Candidate(Source.MEDIA_CONTENT, _string(item, "banner_image")),
    ]
    attachments = item.get("attachments")
    if isinstance(attachments, list):
        candidates.extend(
            Candidate(Source.ENCLOSURE, _string(attachment, "url"))
            for attachment in attachments
            if isinstance(attachment, dict)
            and _string(attachment, "mime_type").lower().startswith("image/")
        )
    candidates.extend(img_candidates(_string(item, "content_html")))
    return choose(candidates, base)


def _published(item: Mapping[str, object]) -> datetime | None:
    """``date_published``, else ``date_modified``, as an aware UTC datetime."""
    for key in ("date_published", "date_modified"):
        value = _string(item, key).strip()
        if not value:
            continue
        try:
            # RFC 3339 is a profile of ISO 8601, which fromisoformat reads since Python 3.11;
            # RFC 3339 allows a lower-case "t" and "z", fromisoformat only upper-case ones.
            moment = datetime.fromisoformat(value.upper())
            if moment.tzinfo is None:  # no offset: taken as UTC, as feedparser takes RSS dates
                moment = moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            continue
    return None


def _draft(
    item: Mapping[str, object], url: str, summary_max_chars: int, site_names: tuple[str, ...] = ()
) -> ArticleDraft | None:
    """One item as a draft, or None when it has no title, no summary and no link.

    The title is cleaned as a headline, the feed's title (``site_names``) taken off it; an
    untitled item's headline is its summary's first sentence (the summary keeps it whole).
    """
    title = clean_headline(_title(_string(item, "title")), site_names=site_names)
    summary = truncate(_summary(item, title), summary_max_chars)
    if not title:
        title = split_headline(summary)[0]
    link = absolute_http_url(_string(item, "url"), url) or absolute_http_url(
        _string(item, "external_url"), url
    )
    if not (title or summary or link):
        return None
    key = _id(item) or link
    if not key:
        digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
        key = f"sha256:{digest}"
    return ArticleDraft(
        key=key,
        title=title,
        summary=summary,
        link=link,
        image=_image(item, url),
        published=_published(item),
        categories=_tags(item),
    )
