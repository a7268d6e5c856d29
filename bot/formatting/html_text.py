"""HTML fragments (a feed's title, summary or content) turned into plain text, and their images.

Everything here goes through a real HTML parser (:class:`html.parser.HTMLParser` with
``convert_charrefs=True``), never through regular expressions, and nothing returned contains
markup: Telegram accepts only a handful of tags, so a feed's HTML is rebuilt, never passed on.

>>> html_to_text("<p>Tom &amp; Jerry</p><ul><li>one</li><li>two</li></ul>")
'Tom & Jerry\\n\\n• one\\n\\n• two'

Double-encoded HTML
-------------------
Some feeds escape their HTML twice: the fragment's *text* reads ``<p>Hello</p>``. When the
first parse met no element at all (the escaped markup is the fragment's only markup), the
decoded text is parsed again, as HTML, if the parser finds real markup in it — at least one of:

* a known HTML element opened and closed again (``<p>…</p>``, ``<a …>…</a>``);
* a known element with an attribute that has a value (``<img src="…">``, ``<a href="…">``);
* a known element written self-closing (``<br/>``, ``<img …/>``).

Prose that merely mentions a tag or compares numbers (``if a < b and c > d``, ``use <b> for
bold``, ``Vector<int>``) has none of these and stays as it is. Prose that quotes a complete
element (``write <b>bold</b>``) is taken for double-encoded HTML: in a news feed that is far
more often the publisher's bug than the author's intent. A fragment with real elements is
never parsed again: there, escaped markup is text the author meant to show
(``<p>Use the &lt;b&gt; tag.</p>`` reads "Use the <b> tag."). The second parse happens once.

Entities escaped twice (``It&amp;#8217;s``, ``&amp;amp;``) are decoded once more when the
decoded text still holds a character reference: a numeric one, or a named one HTML defines
(``&#8217;``, ``&amp;``, ``&nbsp;``); ``AT&T`` and ``&foo;`` stay as they are.

A fragment cut in the middle of a tag (``Read the <a href="https://ex``) loses that unfinished
tag rather than showing it.
"""

from __future__ import annotations

import html
import ipaddress
import re
from html.entities import html5
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

__all__ = [
    "absolute_http_url",
    "clean_line",
    "html_to_text",
    "image_urls",
    "looks_like_markup",
    "plain_text",
]

#: Elements that end a paragraph (their start and end become a blank line).
BLOCK_TAGS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "main",
        "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot",
        "thead", "tr", "ul",
    }
)  # fmt: skip

#: Elements whose content is not text a reader should see. ``figcaption`` is dropped too: it
#: captions a picture the post does not show ("Photo: Reuters"), and would open the summary.
SKIP_TAGS: Final = frozenset(
    {
        "audio", "button", "canvas", "embed", "figcaption", "head", "iframe", "map", "math",
        "noscript", "object", "script", "select", "style", "svg", "template", "textarea",
        "video",
    }
)  # fmt: skip

#: Table cells: a space between neighbours, so that "<td>a</td><td>b</td>" reads "a b".
CELL_TAGS: Final = frozenset({"td", "th"})

#: Every element name that counts as markup when looking for double-encoded HTML.
KNOWN_TAGS: Final = (
    BLOCK_TAGS
    | SKIP_TAGS
    | CELL_TAGS
    | frozenset(
        {
            "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "data", "del", "dfn",
            "em", "figcaption", "font", "i", "img", "input", "ins", "kbd", "label", "li",
            "link", "mark", "meta", "picture", "q", "s", "samp", "small", "source", "span",
            "strike", "strong", "sub", "sup", "time", "title", "tt", "u", "var", "wbr",
        }
    )
)  # fmt: skip

#: Elements that never have content.
VOID_TAGS: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)

#: Invisible characters removed from text. ZWJ and ZWNJ (U+200D, U+200C) and the bidi marks
#: are kept on purpose: they shape Devanagari and Arabic-script words and emoji sequences.
_INVISIBLE: Final = frozenset({"\u00ad", "\u200b", "\u2060", "\u180e", "\ufeff", "\ufffe"})

_BULLET: Final = "• "

# Tokens of the text being built: strings are text, these numbers are structure.
_PARA: Final = 1
_LINE: Final = 2
_ITEM: Final = 3
_ITEM_END: Final = 4

_WHITESPACE_RUN: Final = re.compile(r"\s+")

#: A character reference left in already decoded text (a sign of double escaping).
_LEFTOVER_REFERENCE: Final = re.compile(
    r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.IGNORECASE
)
#: The start of a tag, end tag, comment or declaration that the input ended inside of.
_UNFINISHED_TAG: Final = re.compile(r"<[a-zA-Z/!?]")


#: Control characters (but not whitespace), lone surrogates and invisibles, for str.translate.
_DELETE: Final[dict[int, None]] = {
    code: None
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000))
    if not chr(code).isspace()
} | {ord(char): None for char in _INVISIBLE}


def _visible(text: str) -> str:
    """``text`` without control characters (whitespace kept), lone surrogates and invisibles."""
    return text.translate(_DELETE)


def clean_line(text: str) -> str:
    """``text`` on one line: invisible and control characters gone, whitespace collapsed.

    Non-breaking and other Unicode spaces count as whitespace, so they become plain spaces.
    """
    return " ".join(_visible(text).split())


def plain_text(text: str) -> str:
    """Plain text (no markup) normalized like :func:`html_to_text` output.

    Blank lines separate paragraphs (``"\\n\\n"``); single line breaks are a plain text's hard
    wrapping and become spaces. Nothing is decoded: ``&amp;`` stays ``&amp;``.
    """
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = re.split(r"\n[^\S\n]*\n\s*", normalized)
    return "\n\n".join(line for line in (clean_line(p) for p in paragraphs) if line)


class _TextExtractor(HTMLParser):
    """Collects the text of a fragment as tokens, and its raw decoded text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str | int] = []
        self.raw: list[str] = []
        #: Whether the fragment holds any element (start, end or self-closing tag) at all.
        self.saw_element = False
        self._skip_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_element = True
        if tag in SKIP_TAGS:
            self._skip_depth += 1
            return
        if self._skip_depth:
            return
        self._structure(tag, start=True)
        if tag == "pre":
            self._pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_element = True
        if self._skip_depth or tag in SKIP_TAGS:
            return
        self._structure(tag, start=True)

    def handle_endtag(self, tag: str) -> None:
        self.saw_element = True
        if tag in SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        self._structure(tag, start=False)  # "</br>" is a line break for browsers too

    def _structure(self, tag: str, *, start: bool) -> None:
        if tag == "br":
            self.tokens.append(_LINE)
        elif tag == "li":
            self.tokens.append(_ITEM if start else _ITEM_END)
        elif tag in BLOCK_TAGS:
            self.tokens.append(_PARA)
        elif tag in CELL_TAGS:
            self.tokens.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        self.raw.append(data)
        data = _decode_leftover_references(data)
        if self._pre_depth:
            lines = data.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            for index, line in enumerate(lines):
                if index:
                    self.tokens.append(_LINE)
                self.tokens.append(_WHITESPACE_RUN.sub(" ", line))
        else:
            self.tokens.append(_WHITESPACE_RUN.sub(" ", data))

    def text(self) -> str:
        """The collected text: paragraphs separated by blank lines, lines by newlines."""
        out: list[str] = []
        para = line = False
        breaks = 0
        item = False
        for token in self.tokens:
            if token == _PARA:
                para = True
            elif token == _LINE:
                breaks += 1
                line = True
                if breaks >= 2:  # <br><br> is how many feeds write a paragraph break
                    para = True
            elif token == _ITEM:
                para = item = True
            elif token == _ITEM_END:  # an empty item leaves no bullet behind
                para, item = True, False
            elif isinstance(token, str):
                piece = _visible(token)
                at_line_start = not out or para or line
                if at_line_start:
                    piece = piece.lstrip()
                if not piece:
                    continue
                if out:
                    if para:
                        out.append("\n\n")
                    elif line:
                        out.append("\n")
                if item:
                    out.append(_BULLET)
                out.append(piece)
                para = line = item = False
                breaks = 0
        lines = "".join(out).split("\n")
        return "\n".join(" ".join(line.split()) if line else "" for line in lines).strip()


class _MarkupDetector(HTMLParser):
    """Decides whether a decoded text consists of real HTML markup (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: set[str] = set()
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in KNOWN_TAGS:
            return
        if any(value for _name, value in attrs):
            self.found = True
        self.open.add(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in KNOWN_TAGS and (tag in VOID_TAGS or any(value for _name, value in attrs)):
            self.found = True

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open and tag not in VOID_TAGS:
            self.found = True


def _decode_leftover_references(text: str) -> str:
    """``text`` with the character references it still holds decoded (double escaping).

    Only numeric references and named ones HTML defines count, each with its ``;``: "AT&T",
    "&foo;" and "?a=1&copy=2" stay as they are.
    """
    if "&" not in text:
        return text

    def decode(match: re.Match[str]) -> str:
        reference = match.group()
        if reference[1] != "#" and reference[1:] not in html5:
            return reference
        return html.unescape(reference)

    return _LEFTOVER_REFERENCE.sub(decode, text)


def _feed(parser: HTMLParser, fragment: str) -> None:
    """Feed ``fragment`` to ``parser``; whatever the parser chokes on ends the input there.

    A tag the fragment ends inside of (``<a href="https://ex``, ``</p``, ``<!-- note``) is
    dropped: the parser would otherwise hand it over as text.
    """
    try:
        parser.feed(fragment)
        if _UNFINISHED_TAG.match(parser.rawdata):
            parser.rawdata = ""
        parser.close()
    except (AssertionError, ValueError, IndexError):  # defensive: malformed declarations
        pass


def _extract(fragment: str) -> _TextExtractor:
    extractor = _TextExtractor()
    _feed(extractor, fragment)
    return extractor


def looks_like_markup(text: str) -> bool:
    """True when ``text`` (already decoded once) holds real HTML markup: see the module doc."""
    if "<" not in text:
        return False
    detector = _MarkupDetector()
    _feed(detector, text)
    return detector.found


def html_to_text(fragment: str) -> str:
    """The plain text of an HTML fragment, its entities decoded (twice-escaped ones too).

    Block elements become paragraph breaks (``"\\n\\n"``), ``<br>`` a line break, list items
    ``"• item"``; scripts, styles, embedded objects and figure captions are dropped; whitespace
    is collapsed and non-breaking spaces become spaces; zero-width and control characters are
    removed. Double-encoded HTML and entities are decoded once more, and a tag the fragment is
    cut inside of is dropped (see the module docstring).
    """
    if not fragment:
        return ""
    extractor = _extract(fragment)
    if not extractor.saw_element:
        raw = "".join(extractor.raw)
        if looks_like_markup(raw):
            extractor = _extract(raw)
    return extractor.text()


class _ImageCollector(HTMLParser):
    """Collects the candidate URL of every ``<img>`` that is not a tracking pixel."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.raw: list[str] = []
        self.saw_element = False

    def handle_endtag(self, tag: str) -> None:
        self.saw_element = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.saw_element = True
        if tag != "img":
            return
        values = {name: (value or "").strip() for name, value in attrs}
        if _is_pixel(values.get("width")) or _is_pixel(values.get("height")):
            return
        for name in ("data-src", "data-lazy-src", "data-original", "src"):
            if values.get(name):
                self.urls.append(values[name])
                return
        for name in ("srcset", "data-srcset"):
            if values.get(name):
                self.urls.append(values[name].split()[0].rstrip(","))
                return

    def handle_data(self, data: str) -> None:
        self.raw.append(data)


def _is_pixel(size: str | None) -> bool:
    """True for a width or height of 0 or 1 (pixels), the mark of a tracking image."""
    if not size:
        return False
    digits = re.match(r"\s*(\d+)", size)
    return digits is not None and int(digits.group(1)) <= 1


#: What Telegram accepts in a link's port and host (tdlib's ``parse_url``).
_PORT: Final = re.compile(r"[0-9]{1,5}")
_IPV6_CHARS: Final = re.compile(r"[0-9a-f:.]+")
_HOST: Final = re.compile(r"(?:[a-z0-9._~!$&'()*+,;=-]|%[0-9a-f]{2}|[^\x00-\x7f])+")


def _telegram_accepts_host(netloc: str) -> bool:
    """Whether Telegram makes a link of an http(s) URL with this authority (``user@host:port``).

    Telegram (tdlib's ``parse_url`` and ``check_link``) silently drops a link whose host has no
    dot (``localhost``) unless it is a bracketed IPv6 address, holds a character outside
    ``a-z 0-9 . _ ~ ! $ & ' ( ) * + , ; = -``, ``%XX`` and non-ASCII, or whose port is not a
    number from 1 to 65535.
    """
    host = netloc.rpartition("@")[2]
    colon = host.rfind(":")
    if colon > host.rfind("]"):
        port = host[colon + 1 :].lstrip("0")
        if not _PORT.fullmatch(port) or not 0 < int(port) <= 65535:
            return False
        host = host[:colon]
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        address = host[1:-1]
        if not _IPV6_CHARS.fullmatch(address):
            return False
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return False
        return True
    return "." in host and host != "." and _HOST.fullmatch(host) is not None


def absolute_http_url(url: str | None, base_url: str | None = None) -> str | None:
    """``url`` made absolute against ``base_url``; ``None`` unless it is an http(s) URL.

    Only a URL Telegram turns into a link comes out: its host has a dot (or is a bracketed IPv6
    address) and only the characters a host may have, and its port, if any, is 1 to 65535.
    """
    if not url:
        return None
    url = clean_line(url)
    if not url or url.lower().startswith("data:"):
        return None
    try:
        absolute = urljoin(base_url, url) if base_url else url
        parts = urlsplit(absolute)
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not _telegram_accepts_host(parts.netloc):
        return None
    return absolute.replace(" ", "%20")


def image_urls(fragment: str, base_url: str | None) -> list[str]:
    """The absolute http(s) URLs of the fragment's images, in document order, each once.

    For each ``<img>`` the lazy-loading ``data-src`` (the real picture when a page sets one)
    is preferred to ``src``, then the first ``srcset`` candidate; ``data:`` URIs, non-http
    schemes and tracking pixels (``width`` or ``height`` of 0 or 1) are skipped. Double-encoded
    HTML is looked into like :func:`html_to_text` does (only when the fragment has no element).
    """
    if not fragment:
        return []
    collector = _ImageCollector()
    _feed(collector, fragment)
    candidates = collector.urls
    if not collector.saw_element:
        raw = "".join(collector.raw)
        if looks_like_markup(raw):
            collector = _ImageCollector()
            _feed(collector, raw)
            candidates = collector.urls
    found: list[str] = []
    for candidate in candidates:
        url = absolute_http_url(candidate, base_url)
        if url is not None and url not in found:
            found.append(url)
    return found
