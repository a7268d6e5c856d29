"""Feed bytes -> :class:`ParsedFeed` of :class:`~bot.article.ArticleDraft` (feedparser, pure).

This module never does I/O: the caller fetches the feed (``bot.feeds.fetch``, httpx) and runs
:func:`parse_feed` in a worker thread, because feedparser is CPU-bound and synchronous::

    parsed = await asyncio.to_thread(parse_feed, result.content, url=result.url,
                                     content_type=result.content_type)

feedparser gets the bytes and the response headers (``Content-Type``, ``Content-Location``),
so that it detects the encoding and resolves relative links. Two encoding mistakes it cannot
see without a detector library are repaired here, so that no mojibake reaches a post:

* a document declared (in its XML prolog or by the server) as a legacy 8-bit encoding whose
  bytes are valid UTF-8 with non-ASCII characters is read as UTF-8 (``â‚¬`` would be ``€``);
* a document without a usable declaration that is not UTF-8 is read as windows-1252, KOI8-R
  or windows-1251, whichever gives the more plausible words (Cyrillic feeds without a
  declaration are the common case; feedparser alone would read them as windows-1252);
* a document whose XML prolog declares an encoding but which the server labels with its own
  default (``charset=ISO-8859-1``) is read as its prolog says, unless that reads worse.
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import hashlib
import itertools
import re
import time
import xml.sax
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, Final

import feedparser

from bot.article import ArticleDraft
from bot.errors import FeedParseError
from bot.formatting.condense import truncate
from bot.formatting.html_text import (
    absolute_http_url,
    clean_line,
    html_to_text,
    image_urls,
    plain_text,
)

__all__ = ["SUMMARY_MAX_CHARS", "ParsedFeed", "parse_feed"]

#: The longest summary stored for an entry, in code points (cut at a word boundary).
SUMMARY_MAX_CHARS: Final = 2000

#: Charsets web servers send by default, whatever the document is: a feed's own declaration
#: outranks them.
_SERVER_DEFAULTS: Final = frozenset({"ascii", "latin-1", "iso8859-1", "cp1252"})
_XML_ENCODING: Final = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
#: Single-byte encodings tried on a document that declares nothing usable and is not UTF-8.
_GUESSES: Final = ("windows-1252", "koi8-r", "windows-1251")
_IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_ELLIPSES: Final = ("…", "...", "[…]", "[...]", "(…)", "(...)")
_WORD: Final = re.compile(r"[^\W\d_]+")

#: Where a trailing boilerplate phrase may start: the text's start, a new line, or a space
#: after the end of a sentence or a cut mark ("… text. Continue reading", "text […] Read more").
_PHRASE_START: Final = r"(?:\A|(?<=\n)|(?<=[.!?…\]»)] ))"
#: Words on one line that end no sentence on the way (a post's title, a site's name).
_CLAUSE: Final = r"(?:(?![.!?…] )[^\n])"
#: Link phrases WordPress and other blog engines append to a description, at its very end.
_BOILERPLATE: Final = (
    # Yoast and many themes: "The post Title appeared first on Site."
    re.compile(
        _PHRASE_START + f"The post {_CLAUSE}{{1,300}}? appeared first on {_CLAUSE}{{1,200}}\\Z"
    ),
    # "Continue reading →", "Continue reading Title", "Continue reading “Title” →"
    re.compile(_PHRASE_START + f"(?i:continue reading)(?: {_CLAUSE}{{1,200}})?\\Z"),
    re.compile(f"(?:\\A|(?<=\\s))(?i:continue reading){_CLAUSE}{{0,200}}[→»›]\\Z"),
    # "Read more", "Read more »", "Read More →", "Read more…"
    re.compile(_PHRASE_START + r"(?i:read more)(?: ?(?:[→»›]|\.\.\.|…))?\Z"),
    re.compile(r"(?:\A|(?<=\s))(?i:read more) ?(?:[→»›]|\.\.\.|…)\Z"),
)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed says: its title and link, its usable entries in feed order, and a warning.

    ``warning`` is one line saying what was wrong with a feed that could still be read (an XML
    error feedparser recovered from, a wrong encoding declaration), else ``None``.
    """

    title: str
    link: str | None
    entries: list[ArticleDraft]
    warning: str | None


def parse_feed(content: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse the bytes of a feed fetched from ``url`` (RSS 0.9x/1.0/2.0 or Atom).

    ``content_type`` is the response's ``Content-Type`` header, if any. Entries without a
    title, a summary or a link are skipped, and so are repeats of an entry's key.

    Raises :class:`FeedParseError` when the bytes are not a feed (an HTML page, another XML
    document, garbage, nothing) or a broken feed no entry could be read from; the reason says
    which, for a person. Nothing else is raised, whatever the bytes.
    """
    if not content.strip():
        raise FeedParseError(url, "the document is empty")
    charset = _charset(content_type)
    parsed = _feedparser(content, url, charset)
    note = None
    repaired = _repair_encoding(content, parsed, charset)
    if repaired is not None:
        encoding, note = repaired
        parsed = _feedparser(content, url, encoding)

    version = str(parsed.get("version") or "")
    bozo = _bozo_reason(parsed, content)
    entries, skipped = _entries(parsed.get("entries") or [], url)

    if not version and not entries:
        raise FeedParseError(url, _not_a_feed_reason(content, content_type, bozo))
    if bozo and not entries:
        raise FeedParseError(url, f"{bozo}; no entry could be read")

    warnings = [reason for reason in (note, bozo) if reason]
    if skipped:
        entries_were = "entry was" if skipped == 1 else "entries were"
        warnings.append(f"{skipped} {entries_were} skipped (no title, summary or link)")
    channel = parsed.get("feed") or {}
    return ParsedFeed(
        title=clean_line(_text(channel.get("title_detail"), channel.get("title"))),
        link=absolute_http_url(channel.get("link"), url),
        entries=entries,
        warning="; ".join(warnings) or None,
    )


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
        raise FeedParseError(url, f"the feed parser failed ({type(error).__name__})") from error


def _is_utf(encoding: str) -> bool:
    return codecs.lookup(encoding).name.startswith("utf")


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
    if overridden and codecs.lookup(chosen).name == "cp1252":
        best = _most_plausible(content)
        if best != "windows-1252":
            return best, f"no usable encoding is declared; read as {best}"
    return None


def _reads_at_least_as_well(content: bytes, encoding: str, other: str) -> bool:
    """Whether ``content`` decodes as ``encoding`` into words as plausible as with ``other``."""
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        return False
    try:
        return _implausibility(text) <= _implausibility(content.decode(other))
    except UnicodeDecodeError:
        return True


def _declared_encoding(content: bytes) -> str | None:
    """The known encoding an XML prolog at the start of ``content`` declares, if any."""
    match = _XML_ENCODING.match(content.removeprefix(codecs.BOM_UTF8))
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None


def _most_plausible(content: bytes) -> str:
    """Which of :data:`_GUESSES` reads ``content`` as the most plausible words."""
    scores: dict[str, int] = {}
    for encoding in _GUESSES:
        try:
            scores[encoding] = _implausibility(content.decode(encoding))
        except UnicodeDecodeError:
            continue
    return min(scores, key=lambda encoding: (scores[encoding], _GUESSES.index(encoding)))


def _implausibility(text: str) -> int:
    """How many words of ``text`` look like mojibake: mixed scripts, odd case, runs of accents.

    Only words with non-ASCII letters count, as ASCII reads the same in every candidate.
    """
    score = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        cyrillic = sum(1 for char in word if "\u0400" <= char <= "\u04ff")
        latin = sum(1 for char in word if char < "\u0250")
        if cyrillic and latin:
            score += 2
        if any(a.islower() and b.isupper() for a, b in itertools.pairwise(word)):
            score += 1
        accented = sum(1 for char in word if "\u0080" <= char < "\u0250")
        if len(word) > 1 and accented * 2 > len(word):
            score += 1
    return score


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


def _has_xml_declaration(content: bytes) -> bool:
    """Whether ``content`` starts with an XML declaration (after a byte order mark)."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if content.startswith(bom):
            head = content[len(bom) : len(bom) + 20].decode(encoding, "replace")
            return head.startswith("<?xml")
    return content.startswith(b"<?xml")


class _RootSniffer(HTMLParser):
    """Finds the first element of a document (and whether it declares an HTML doctype)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: str | None = None
        self.html_doctype = False

    def handle_decl(self, decl: str) -> None:
        if self.root is None and decl.lower().startswith("doctype html"):
            self.html_doctype = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.root is None:
            self.root = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _not_a_feed_reason(content: bytes, content_type: str | None, bozo: str | None) -> str:
    """Why ``content`` is not a feed, for a person."""
    sniffer = _RootSniffer()
    with contextlib.suppress(AssertionError, ValueError, IndexError):  # malformed declarations
        sniffer.feed(content[:65536].decode("utf-8", "replace"))
    media_type = (content_type or "").split(";")[0].strip().lower()
    if sniffer.html_doctype or sniffer.root == "html" or media_type == "text/html":
        return "not an RSS or Atom feed (it looks like an HTML page)"
    if bozo and bozo.startswith("XML error"):
        return f"not an RSS or Atom feed ({bozo})"
    if sniffer.root:
        root = sniffer.root
        return f"not an RSS or Atom feed (it is an XML document whose root element is <{root}>)"
    return "not an RSS or Atom feed"


# -- entries -----------------------------------------------------------------------------------


def _text(detail: Mapping[str, Any] | None, value: object) -> str:
    """Plain text of a feedparser text construct: HTML parsed, plain text only normalized."""
    if not isinstance(value, str) or not value:
        return ""
    kind = str((detail or {}).get("type") or "text/html")
    if "html" in kind or "xml" in kind:
        return html_to_text(value)
    return plain_text(value)


def _content_detail(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The entry's richest content (Atom content, RSS content:encoded), if any."""
    contents: Sequence[Mapping[str, Any]] = entry.get("content") or []
    for content in contents:
        if "html" in str(content.get("type", "")) and content.get("value"):
            return content
    return next((content for content in contents if content.get("value")), None)


def _strip_boilerplate(text: str) -> str:
    """``text`` (plain) without the "Continue reading →" and "The post … appeared first on …"
    phrases blog engines append at its end."""
    changed = True
    while changed:
        changed = False
        for pattern in _BOILERPLATE:
            match = pattern.search(text)
            if match is not None:
                text = text[: match.start()].rstrip()
                changed = True
    return text


def _strip_ellipsis(text: str) -> str:
    text = text.rstrip()
    for mark in _ELLIPSES:
        if text.endswith(mark):
            return text[: -len(mark)].rstrip()
    return text


def _best_summary(summary: str, content: str) -> str:
    """The summary, unless it is empty or a truncation of the (longer) content."""
    if not summary:
        return content
    if len(content) > len(summary):
        flat_summary = " ".join(_strip_ellipsis(summary).split())
        if " ".join(content.split()).startswith(flat_summary):
            return content
    return summary


def _image(entry: Mapping[str, Any], html: Sequence[str], base: str) -> str | None:
    """The entry's picture: media:content, media:thumbnail, image enclosure, first <img>."""
    candidates: list[object] = []
    for media in entry.get("media_content") or []:
        kind = str(media.get("type") or "")
        medium = str(media.get("medium") or "")
        address = str(media.get("url") or "")
        looks_like_image = not kind and not medium and address.lower().endswith(_IMAGE_SUFFIXES)
        if medium == "image" or kind.startswith("image/") or looks_like_image:
            candidates.append(media.get("url"))
    candidates.extend(thumb.get("url") for thumb in entry.get("media_thumbnail") or [])
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type") or "").startswith("image/"):
            candidates.append(enclosure.get("href") or enclosure.get("url"))
    for candidate in candidates:
        url = absolute_http_url(candidate if isinstance(candidate, str) else None, base)
        if url:
            return url
    for fragment in html:
        found = image_urls(fragment, base)
        if found:
            return found[0]
    return None


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


def _draft(entry: Mapping[str, Any], url: str) -> ArticleDraft | None:
    """One entry as a draft, or None when it has no title, no summary and no link."""
    title = clean_line(_text(entry.get("title_detail"), entry.get("title")))
    summary_detail = entry.get("summary_detail")
    content_detail = _content_detail(entry)
    summary_text = _strip_boilerplate(_text(summary_detail, entry.get("summary")))
    content_text = _strip_boilerplate(_text(content_detail, (content_detail or {}).get("value")))
    summary = truncate(_best_summary(summary_text, content_text), SUMMARY_MAX_CHARS)
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
    )


def _entries(raw: Sequence[Mapping[str, Any]], url: str) -> tuple[list[ArticleDraft], int]:
    """Usable drafts in feed order (first of each key), and how many entries were unusable."""
    drafts: list[ArticleDraft] = []
    keys: set[str] = set()
    skipped = 0
    for entry in raw:
        draft = _draft(entry, url)
        if draft is None:
            skipped += 1
        elif draft.key not in keys:
            keys.add(draft.key)
            drafts.append(draft)
    return drafts, skipped
