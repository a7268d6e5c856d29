"""Feed bytes -> :class:`ParsedFeed` of :class:`~bot.article.ArticleDraft` (feedparser, pure).

This module never does I/O: the caller fetches the feed (``bot.feeds.fetch``, httpx) and runs
:func:`parse_feed` in a worker thread or process, because feedparser is CPU-bound and
synchronous (its arguments and its result pickle, so a process pool can run it)::

    parsed = await asyncio.to_thread(parse_feed, result.content, url=result.url,
                                     content_type=result.content_type)

RSS 0.9x/1.0/2.0 and Atom go to feedparser; JSON Feed, which feedparser does not read, to
:mod:`bot.feeds.jsonfeed`. feedparser gets the bytes and the response headers
(``Content-Type``, ``Content-Location``), so that it detects the encoding and resolves relative
links. Three encoding mistakes it cannot see are repaired here, so that no mojibake reaches a
post:

* a document declared (in its XML prolog or by the server) as a legacy 8-bit encoding whose
  bytes are valid UTF-8 with non-ASCII characters is read as UTF-8 (``â‚¬`` would be ``€``);
* a document without a usable declaration that is not UTF-8 is read in the encoding
  ``charset-normalizer`` detects (feedparser alone would read Thai, Chinese, Japanese, Korean
  or Cyrillic bytes as windows-1252);
* a document whose XML prolog declares an encoding but which the server labels with its own
  default (``charset=ISO-8859-1``) is read as its prolog says, unless that reads worse.

Every failure is a :class:`~bot.errors.FeedParseError` of kind ``not_a_feed`` (an HTML page,
another XML or JSON document, text, nothing) or ``unparseable`` (a feed so broken that no entry
could be read).
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import re
import time
import xml.sax
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

import charset_normalizer
import feedparser

from bot.article import ArticleDraft
from bot.errors import ErrorKind, FeedParseError
from bot.feeds._headers import media_type
from bot.feeds.jsonfeed import looks_like_json, parse_json_feed
from bot.formatting.condense import truncate
from bot.formatting.headline import clean_headline, split_headline
from bot.formatting.html_text import (
    absolute_http_url,
    clean_line,
    html_to_text,
    lenient_plain_text,
)
from bot.formatting.lead import clean_lead
from bot.formatting.pictures import Candidate, Source, choose, img_candidates, size_value

__all__ = [
    "SUMMARY_MAX_CHARS",
    "DocumentKind",
    "ParsedFeed",
    "document_kind",
    "entry_drafts",
    "parse_feed",
]

#: What a document is, as :func:`document_kind` tells it.
DocumentKind = Literal["html", "xml", "json", "text"]

#: How much of an entry's text is cleaned as its lead, in characters kept: twice what is stored,
#: so that repetitions and teasers near the cut are still seen.
LEAD_BUDGET: Final = 4000
#: The longest summary stored for an entry, in code points (cut at a word boundary).
SUMMARY_MAX_CHARS: Final = 2000

#: Charsets web servers send by default, whatever the document is: a feed's own declaration
#: outranks them.
_SERVER_DEFAULTS: Final = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})
#: What feedparser reads a document as when no declared encoding decodes it (and it is not
#: UTF-8): the first of these that does.
_LAST_RESORTS: Final = frozenset({"cp1252", "iso8859-2"})
#: How close charset-normalizer's measures of two candidates are when it cannot tell them apart
#: (the margins ``CharsetMatch`` ranks by).
_CHAOS_TIE: Final = 0.01
_COHERENCE_TIE: Final = 0.02
_XML_ENCODING: Final = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")

#: How much of a document's start is searched for its doctype and root element.
_SNIFF_BYTES: Final = 32768
#: Root elements (lower-cased) of the documents feedparser reads: RSS, Atom, RSS 1.0 (RDF).
_FEED_ROOTS: Final = frozenset({"rss", "feed", "rdf:rdf", "rdf"})
#: The elements an HTML page that leaves out ``<html>`` starts with (its head's content).
_HTML_ROOTS: Final = frozenset(
    {"html", "head", "body", "meta", "title", "link", "base", "script", "style"}
)
_HTML_MEDIA_TYPES: Final = frozenset({"text/html", "application/xhtml+xml"})
_SPACE: Final = re.compile(r"\s*")
_ROOT: Final = re.compile(r"<([A-Za-z_][\w.:-]*)")
_HTML_DOCTYPE: Final = re.compile(r"<!doctype\s+html(?![\w.:-])", re.IGNORECASE)
_XML_DECLARATION: Final = re.compile(r"<\?xml\s")

#: Seconds in each ``sy:updatePeriod`` (RSS 1.0 syndication module).
_UPDATE_PERIODS: Final = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}
#: A count in a feed's hints: at most nine digits, so that garbage cannot make a huge number.
_COUNT: Final = re.compile(r"[0-9]{1,9}")
#: The most categories (tags) kept of an entry.
CATEGORIES_MAX: Final = 20


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says: its title and link, its usable entries in feed order, a warning, and
    how long it may be cached.

    ``warning`` is one line saying what was wrong with a feed that could still be read (an XML
    error feedparser recovered from, a wrong encoding declaration), else ``None``. ``ttl`` is
    the seconds the feed says it may be cached (RSS ``<ttl>``, else ``sy:updatePeriod`` and
    ``sy:updateFrequency``), or ``None`` when it says nothing usable; bounding it is the
    scheduler's business.
    """

    title: str
    link: str | None
    entries: list[ArticleDraft]
    warning: str | None
    ttl: int | None = None


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse the bytes of a feed fetched from ``url`` (RSS 0.9x/1.0/2.0, Atom or JSON Feed).

    ``content_type`` is the response's ``Content-Type`` header, if any. Entries without a
    title, a summary or a link are skipped, and so are repeats of an entry's key.

    Raises :class:`FeedParseError` when the bytes are not a feed (kind ``not_a_feed``: an HTML
    page, another XML or JSON document, garbage, nothing) or a broken feed no entry could be
    read from (``unparseable``); the reason says which, for a person. Nothing else is raised,
    whatever the bytes.
    """
    if not content.removeprefix(codecs.BOM_UTF8).strip():
        raise FeedParseError(url, "the document is empty", kind=ErrorKind.NOT_A_FEED)
    if looks_like_json(content, content_type):
        return _json_feed(content, url, content_type)
    charset = _charset(content_type)
    parsed = _feedparser(content, url, charset)
    note = None
    repaired = _repair_encoding(content, parsed, charset)
    if repaired is not None:
        encoding, note = repaired
        parsed = _feedparser(content, url, encoding)

    version = str(parsed.get("version") or "")
    bozo = _bozo_reason(parsed, content)
    channel = parsed.get("feed") or {}
    title = clean_line(_text(channel.get("title_detail"), channel.get("title")))
    entries, skipped = entry_drafts(parsed.get("entries") or [], url, (title,) if title else ())

    if not version and not entries:
        sniffed = _sniff(content)
        if _is_feed_root(sniffed.root):
            reason = bozo or f"its <{sniffed.root}> element holds no RSS channel or entry"
            raise FeedParseError(
                url, f"{reason}; no entry could be read", kind=ErrorKind.UNPARSEABLE
            )
        raise FeedParseError(
            url, _not_a_feed_reason(sniffed, content_type, bozo), kind=ErrorKind.NOT_A_FEED
        )
    if bozo and not entries:
        raise FeedParseError(url, f"{bozo}; no entry could be read", kind=ErrorKind.UNPARSEABLE)

    warnings = [reason for reason in (note, bozo, _skipped_warning(skipped)) if reason]
    return ParsedFeed(
        title=title,
        link=absolute_http_url(channel.get("link"), url),
        entries=entries,
        warning="; ".join(warnings) or None,
        ttl=_ttl(channel),
    )


def _json_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    """A JSON Feed, read by :mod:`bot.feeds.jsonfeed` into the same drafts as RSS."""
    feed = parse_json_feed(
        content, url=url, content_type=content_type, summary_max_chars=SUMMARY_MAX_CHARS
    )
    return ParsedFeed(
        title=feed.title,
        link=feed.link,
        entries=feed.entries,
        warning=_skipped_warning(feed.skipped),
    )


def _skipped_warning(skipped: int) -> str | None:
    if not skipped:
        return None
    entries_were = "entry was" if skipped == 1 else "entries were"
    return f"{skipped} {entries_were} skipped (no title, summary or link)"


def _count(value: object) -> int | None:
    """A positive whole number written in a feed's text, or None for anything else."""
    if not isinstance(value, str) or _COUNT.fullmatch(value.strip()) is None:
        return None
    return int(value) or None


def _ttl(channel: Mapping[str, Any]) -> int | None:
    """Seconds the channel says it may be cached, from ``<ttl>`` (minutes) or the syndication
    module (``sy:updatePeriod`` divided by ``sy:updateFrequency``), else None."""
    minutes = _count(channel.get("ttl"))
    if minutes is not None:
        return minutes * 60
    period = channel.get("sy_updateperiod")
    frequency = channel.get("sy_updatefrequency")
    if period is None and frequency is None:
        return None
    # The module's defaults: a missing period is "daily", a missing frequency 1.
    seconds = _UPDATE_PERIODS.get(str(period or "daily").strip().lower())
    times = 1 if frequency is None else _count(frequency)
    if seconds is None or times is None:
        return None
    return max(seconds // times, 1)


# -- feedparser and encodings ------------------------------------------------------------------


def _charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if it names a known encoding."""
    if not content_type:
        return None
    match = re.search(r";\s*charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def _feedparser(content: bytes, url: str, charset: str | None) -> Any:
    """feedparser's result for ``content``; anything feedparser raises becomes FeedParseError.

    The media type given to feedparser is always ``application/xml``: a feed served as
    ``text/xml`` or ``text/html`` without a charset would otherwise be decoded as US-ASCII
    (RFC 3023, obsoleted by RFC 7303, under which the XML declaration decides).
    """
    media_type = "application/xml" + (f"; charset={charset}" if charset else "")
    headers = {"content-type": media_type, "content-location": url}
    try:
        return feedparser.parse(content, response_headers=headers)
    except Exception as error:  # feedparser has no error contract; never let a feed crash a job
        feed_root = _is_feed_root(_sniff(content).root)
        kind = ErrorKind.UNPARSEABLE if feed_root else ErrorKind.NOT_A_FEED
        reason = f"the feed parser failed ({type(error).__name__})"
        raise FeedParseError(url, reason, kind=kind) from error


def _codec(encoding: str) -> str:
    """Python's canonical name of an encoding (``koi8_r`` and ``KOI8-R`` are ``koi8-r``)."""
    return codecs.lookup(encoding).name


def _is_utf(encoding: str) -> bool:
    return _codec(encoding).startswith("utf")


def _repair_encoding(content: bytes, parsed: Any, charset: str | None) -> tuple[str, str] | None:
    """The encoding to read ``content`` with instead of feedparser's choice, and why; or None."""
    chosen = str(parsed.get("encoding") or "")
    if not chosen:
        return None
    try:
        if _is_utf(chosen):
            return None
    except LookupError:
        return None
    if not content.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8", f"the document is declared as {chosen} but is UTF-8; read as UTF-8"
    declared = _declared_encoding(content)
    if charset in _SERVER_DEFAULTS and declared not in (None, charset):
        assert declared is not None
        if _reads_at_least_as_well(content, declared, charset):
            return declared, f"the server says {charset} but the document says {declared}"
    overridden = isinstance(parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride)
    if overridden and _codec(chosen) in _LAST_RESORTS and _codec(chosen) != declared:
        # No declaration was usable and the bytes are not UTF-8: feedparser took the first of
        # its last resorts that decodes them.
        detected = _detected_encoding(content)
        if detected is not None and _reads_differently(content, detected, chosen):
            return detected, f"no usable encoding is declared; read as {detected}"
    return None


def _reads_differently(content: bytes, encoding: str, other: str) -> bool:
    """Whether ``content`` decodes as ``encoding`` into other text than as ``other``."""
    try:
        return content.decode(encoding) != content.decode(other)
    except UnicodeDecodeError:
        return False


def _detected_encoding(content: bytes) -> str | None:
    """The encoding charset-normalizer finds ``content`` most plausibly written in, or None.

    Between single-byte candidates it rates as equally plausible, charset-normalizer keeps its
    own alphabetical order, which reads a short Russian feed as Arabic (iso8859-6 before koi8-r)
    and French as Czech (windows-1250's "č" for "è"). There the candidate whose text looks more
    like a language wins, and on a full tie windows-1252: what browsers assume for an undeclared
    Western document (WHATWG Encoding Standard), and what feedparser read it as already.
    """
    matches = charset_normalizer.from_bytes(content)
    best = matches.best()
    if best is None:
        return None
    choice = best
    if not best.multi_byte_usage:
        tied = [
            match
            for match in matches
            if not match.multi_byte_usage
            and abs(match.chaos - best.chaos) < _CHAOS_TIE
            and abs(match.coherence - best.coherence) <= _COHERENCE_TIE
        ]
        choice = max(
            tied,
            key=lambda match: (match.coherence, -match.chaos, _codec(match.encoding) == "cp1252"),
            default=best,
        )
    try:
        return _codec(choice.encoding)
    except LookupError:  # charset-normalizer proposes Python's codecs only; never trust that
        return None


def _reads_at_least_as_well(content: bytes, encoding: str, other: str) -> bool:
    """Whether ``content`` decoded as ``encoding`` is as plausible text as decoded as ``other``
    (by charset-normalizer's measure of mess), or ``other`` cannot decode it at all."""
    try:
        content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    try:
        content.decode(other)
    except (UnicodeDecodeError, LookupError):
        return True
    matches = charset_normalizer.from_bytes(content, cp_isolation=[encoding, other])
    chaos = {_codec(match.encoding): match.chaos for match in matches}
    mine = chaos.get(_codec(encoding))
    theirs = chaos.get(_codec(other))
    if mine is None:
        # Too messy for charset-normalizer to propose at all: the declaration still wins when
        # the server's charset is no better, as a document outranks a server's default.
        return theirs is None
    return theirs is None or mine <= theirs


def _declared_encoding(content: bytes) -> str | None:
    """The known encoding an XML prolog at the start of ``content`` declares, if any."""
    match = _XML_ENCODING.match(content.removeprefix(codecs.BOM_UTF8))
    if match is None:
        return None
    try:
        return _codec(match.group(1).decode("ascii"))
    except LookupError:
        return None


def _bozo_reason(parsed: Any, content: bytes) -> str | None:
    """One line saying what feedparser found wrong with the document, or None."""
    if not parsed.get("bozo"):
        return None
    error = parsed.get("bozo_exception")
    if isinstance(error, xml.sax.SAXParseException):
        line = error.getLineNumber() or 1
        if not _has_xml_declaration(content):
            line -= 1  # feedparser put one in front of the document before parsing it
        return f"XML error: {error.getMessage()} at line {max(line, 1)}"
    if isinstance(error, feedparser.CharacterEncodingOverride):
        return f"encoding: {clean_line(str(error))}"
    if error is None:
        return "the document is not well-formed"
    return clean_line(f"{type(error).__name__}: {error}") or None


_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _head(content: bytes, size: int) -> str:
    """About the first ``size`` bytes of ``content`` as text, decoded by its byte order mark
    (UTF-8 without one; any ASCII-compatible encoding reads the same in markup)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content[len(bom) : len(bom) + size].decode(encoding, "replace")
    return content[:size].decode("utf-8", "replace")


def _has_xml_declaration(content: bytes) -> bool:
    """Whether ``content`` starts with an XML declaration (after a byte order mark)."""
    return _head(content, 20).startswith("<?xml")


@dataclass(frozen=True, slots=True)
class _Sniffed:
    """The start of a markup document: its first element's name, and what came before it."""

    root: str | None
    html_doctype: bool
    xml_declaration: bool


def _sniff(content: bytes) -> _Sniffed:
    """The first element of ``content`` and whether an XML declaration or an HTML doctype
    comes before it."""
    # A scan of the first few kilobytes, not a parser: only the first element's name is
    # needed, and html.parser is quadratic on hostile input ("<!--" repeated) and raises on
    # "<![<![". Each step moves past what it found and a search that fails ends the scan
    # (as an unclosed comment runs to the end of a document), so it is linear.
    text = _head(content, _SNIFF_BYTES)
    html_doctype = xml_declaration = False
    position = _skip_space(text, 0)
    while text.startswith("<!", position) or text.startswith("<?", position):
        if text.startswith("<!--", position):
            end, close = text.find("-->", position + 4), 3
        elif text.startswith("<?", position):
            end, close = text.find("?>", position + 2), 2
            xml_declaration = xml_declaration or _XML_DECLARATION.match(text, position) is not None
        else:  # a doctype or another declaration
            end, close = text.find(">", position + 2), 1
            html_doctype = html_doctype or _HTML_DOCTYPE.match(text, position) is not None
        if end < 0:
            break
        position = _skip_space(text, end + close)
    root = _ROOT.match(text, position)
    return _Sniffed(
        root=root.group(1) if root else None,
        html_doctype=html_doctype,
        xml_declaration=xml_declaration,
    )


def _skip_space(text: str, position: int) -> int:
    """The position of the first character at or after ``position`` that is not whitespace."""
    space = _SPACE.match(text, position)
    return position if space is None else space.end()


def _is_feed_root(root: str | None) -> bool:
    return root is not None and root.lower() in _FEED_ROOTS


def document_kind(content: bytes, content_type: str | None) -> DocumentKind:
    """What ``content`` is, as far as its start and its media type tell.

    ``"html"`` for a page: an HTML doctype or an ``<html>`` root, else a ``text/html`` or
    ``application/xhtml+xml`` type, else a root element a page without ``<html>`` starts with
    (``<head>``, ``<meta>``, ``<title>``…). ``"xml"`` for any other element, feeds among them:
    an ``<rss>``, ``<feed>`` or ``<rdf:RDF>`` root, or an XML declaration before the root, is
    XML whatever the media type says. ``"json"`` for JSON (see
    :func:`bot.feeds.jsonfeed.looks_like_json`), ``"text"`` for the rest: prose, binary,
    nothing.
    """
    if looks_like_json(content, content_type):
        return "json"
    return _markup_kind(_sniff(content), content_type)


def _markup_kind(sniffed: _Sniffed, content_type: str | None) -> DocumentKind:
    """:func:`document_kind` of a document that is not JSON and starts as ``sniffed`` says."""
    root = (sniffed.root or "").lower()
    if sniffed.html_doctype or root == "html":
        return "html"
    if _is_feed_root(root) or (sniffed.xml_declaration and root):
        return "xml"
    if media_type(content_type) in _HTML_MEDIA_TYPES or root in _HTML_ROOTS:
        return "html"
    return "xml" if root else "text"


def _not_a_feed_reason(sniffed: _Sniffed, content_type: str | None, bozo: str | None) -> str:
    """Why a document that starts as ``sniffed`` says is not a feed, for a person."""
    root = sniffed.root
    if _markup_kind(sniffed, content_type) == "html":
        return "not an RSS or Atom feed (it looks like an HTML page)"
    if bozo and bozo.startswith("XML error"):
        return f"not an RSS or Atom feed ({bozo})"
    if root:
        return f"not an RSS or Atom feed (it is an XML document whose root element is <{root}>)"
    return "not an RSS or Atom feed"


# -- entries -----------------------------------------------------------------------------------


def _text(detail: Mapping[str, Any] | None, value: object) -> str:
    """Plain text of a feedparser text construct: HTML (and XHTML) parsed; text declared plain
    read leniently, as publishers put HTML and entities in it anyway (an Atom ``<summary>``
    without a ``type`` whose ``&nbsp;`` would show): see
    :func:`~bot.formatting.html_text.lenient_plain_text`."""
    if not isinstance(value, str) or not value:
        return ""
    kind = str((detail or {}).get("type") or "text/html")
    if "html" in kind or "xml" in kind:
        return html_to_text(value)
    return lenient_plain_text(value)


def _content_detail(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The entry's richest content (Atom content, RSS content:encoded), if any."""
    contents: Sequence[Mapping[str, Any]] = entry.get("content") or []
    for content in contents:
        if "html" in str(content.get("type", "")) and content.get("value"):
            return content
    return next((content for content in contents if content.get("value")), None)


def _strip_boilerplate(text: str, title: str) -> str:
    """``text`` (plain) as a lead: without datelines, bylines, captions, share buttons, blog
    engines' endings, repetitions and a repeated headline (:func:`bot.formatting.lead.clean_lead`).
    """
    return clean_lead(text, title=title, budget=LEAD_BUDGET)


def _richest_lead(summary: str, content: str, title: str) -> str:
    """The richer of the entry's texts (:func:`_best_summary`), cleaned as a lead.

    Cleaning only ever shortens a text, so when the longer one, cleaned, is still longer than
    the other as it stands, the other need not be cleaned to know which wins (it costs as much
    as the rest of the entry's formatting).
    """
    if len(content) > len(summary):
        cleaned = _strip_boilerplate(content, title)
        if len(cleaned) > len(summary):
            return cleaned
        return _best_summary(_strip_boilerplate(summary, title), cleaned)
    cleaned = _strip_boilerplate(summary, title)
    if len(cleaned) >= len(content):
        return cleaned
    return _best_summary(cleaned, _strip_boilerplate(content, title))


def _best_summary(summary: str, content: str) -> str:
    """The richer of the entry's cleaned texts: the content when it says more than the summary
    (it is longer: the summary is then a teaser, an excerpt cut with ``[…]``, or a standfirst the
    content goes on from), else the summary."""
    if len(content) > len(summary):
        return content
    return summary


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The entry's categories (each tag's ``term``, else its ``label``), on one line each, the
    first spelling of each (ignoring case), at most CATEGORIES_MAX."""
    found: dict[str, str] = {}
    for tag in entry.get("tags") or []:
        if not isinstance(tag, Mapping):
            continue
        for field in ("term", "label"):
            value = tag.get(field)
            name = clean_line(value) if isinstance(value, str) else ""
            if name:
                found.setdefault(name.casefold(), name)
                break
        if len(found) >= CATEGORIES_MAX:
            break
    return tuple(found.values())


def _image(entry: Mapping[str, Any], html: Sequence[str], base: str) -> str | None:
    """The entry's picture: media:content (the largest declared), media:thumbnail, an image
    enclosure, the first real <img> of the content (see :mod:`bot.formatting.pictures`)."""
    candidates: list[Candidate] = []
    for media in entry.get("media_content") or []:
        kind = str(media.get("type") or "")
        medium = str(media.get("medium") or "")
        address = str(media.get("url") or "").lower().split("?", 1)[0]
        looks_like_image = not kind and not medium and address.endswith(_IMAGE_SUFFIXES)
        if medium == "image" or kind.startswith("image/") or looks_like_image:
            candidates.append(_media_candidate(Source.MEDIA_CONTENT, media, "url"))
    for thumbnail in entry.get("media_thumbnail") or []:
        candidates.append(_media_candidate(Source.MEDIA_THUMBNAIL, thumbnail, "url"))
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type") or "").startswith("image/"):
            key = "href" if enclosure.get("href") else "url"
            candidates.append(_media_candidate(Source.ENCLOSURE, enclosure, key))
    for fragment in html:
        candidates.extend(img_candidates(fragment))
    return choose(candidates, base)


def _media_candidate(source: Source, media: Mapping[str, Any], key: str) -> Candidate:
    url = media.get(key)
    return Candidate(
        source,
        url if isinstance(url, str) else None,
        width=size_value(media.get("width")),
        height=size_value(media.get("height")),
    )


def _published(entry: Mapping[str, Any]) -> datetime | None:
    """When the entry was published (else updated), as an aware UTC datetime."""
    for key in ("published_parsed", "updated_parsed"):
        # dict.get: FeedParserDict maps a missing "updated_parsed" to "published_parsed" with a
        # DeprecationWarning.
        value = dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _draft(
    entry: Mapping[str, Any], url: str, site_names: Sequence[str] = ()
) -> ArticleDraft | None:
    """One entry as a draft, or None when it has no title, no summary and no link.

    The title is cleaned as a headline (``site_names``, the feed's title, are taken off it);
    an untitled entry's headline is its text's first sentence (the summary keeps it).
    """
    title = clean_headline(
        _text(entry.get("title_detail"), entry.get("title")), site_names=site_names
    )
    summary_detail = entry.get("summary_detail")
    content_detail = _content_detail(entry)
    summary = truncate(
        _richest_lead(
            _text(summary_detail, entry.get("summary")),
            _text(content_detail, (content_detail or {}).get("value")),
            title,
        ),
        SUMMARY_MAX_CHARS,
    )
    if not title:
        # The summary stays whole: a post drops the sentence its headline repeats, and keeps
        # the rest of a first sentence too long for a headline.
        title = split_headline(summary)[0]
    base = str((content_detail or summary_detail or {}).get("base") or url)
    link = absolute_http_url(entry.get("link"), url)
    if not (title or summary or link):
        return None
    key = clean_line(str(entry.get("id") or "")) or link or clean_line(str(entry.get("link") or ""))
    if not key:
        digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
        key = f"sha256:{digest}"
    html = [
        str(detail.get("value"))
        for detail in (content_detail, summary_detail)
        if detail and "html" in str(detail.get("type", "")) and detail.get("value")
    ]
    return ArticleDraft(
        key=key,
        title=title,
        summary=summary,
        link=link,
        image=_image(entry, html, base),
        published=_published(entry),
        categories=_categories(entry),
    )


def entry_drafts(
    raw: Sequence[Mapping[str, Any]], url: str, site_names: Sequence[str] = ()
) -> tuple[list[ArticleDraft], int]:
    """Usable drafts in feed order (first of each key), and how many entries were unusable."""
    drafts: list[ArticleDraft] = []
    keys: set[str] = set()
    skipped = 0
    for entry in raw:
        draft = _draft(entry, url, site_names)
        if draft is None:
            skipped += 1
        elif draft.key not in keys:
            keys.add(draft.key)
            drafts.append(draft)
    return drafts, skipped
