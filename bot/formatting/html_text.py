"""HTML fragments (a feed's title, summary or content) turned into plain text.

Everything here goes through a real HTML parser, never through regular expressions, and nothing
returned contains markup: Telegram accepts only a handful of tags, so a feed's HTML is rebuilt,
never passed on. The parser is lexbor (through selectolax): the HTML standard's algorithm, so a
fragment is read as a browser reads it, and in linear time where the stdlib ``html.parser`` is
quadratic (minutes on 200 KB of ``<!--`` or of ``<a ``) or crashes (``<![``). :func:`parse_html`
is the one way in; it cuts what it is given to :data:`FRAGMENT_MAX_CHARS` characters and to
:data:`MAX_START_TAGS` start tags, the second because lexbor's tree building is not linear in
how deep elements nest.

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

Elements written self-closing (XHTML, and so Atom's ``type="xhtml"`` content) are empty when their
content would otherwise be hidden or raw text: ``<iframe src="…"/>Text`` reads "Text", where the
HTML standard (and a browser) would make the rest of the fragment the iframe's content.
"""

from __future__ import annotations

import html
import ipaddress
import re
from html.entities import html5
from itertools import islice
from typing import Final
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = [
    "FRAGMENT_MAX_CHARS",
    "MAX_START_TAGS",
    "absolute_http_url",
    "clean_line",
    "decode_references",
    "fragment_tree",
    "html_to_text",
    "lenient_plain_text",
    "looks_like_markup",
    "parse_html",
    "plain_text",
]

#: The most of a fragment that is parsed, in characters: the rest is cut off, not refused. A
#: stored summary is 2,000 characters, so no post needs more than the start of a long article.
FRAGMENT_MAX_CHARS: Final = 512 * 1024

#: The most start tags (``<`` and a letter, counted in the text) that are parsed: the text is cut
#: before the next one. lexbor builds the tree as the standard says, and the standard's "has an
#: element in scope" walks the stack of open elements, so each block start tag costs as much as
#: the nesting is deep: 64,000 unclosed ``<div>`` (320 KB) take 10 to 15 s, 400,000 (2 MB) more
#: than a minute. Browsers cap the depth (Blink at 512); lexbor does not, and selectolax has no
#: setting for it. This cap bounds that worst case at about half a second; real pages have a few
#: thousand elements. (Still quadratic, and only bounded by the character caps: one start tag
#: with tens of thousands of distinct attributes, each checked against those before it; 40,000
#: take 5 s, in lexbor and in lxml alike.)
MAX_START_TAGS: Final = 20_000

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
#: captions a picture the post does not show ("Photo: Reuters"), and would open the summary;
#: so is ``title``, which in a fragment is a pasted page's ``<head>`` (fragments are parsed as a
#: body's content, where ``<head>`` itself is ignored).
SKIP_TAGS: Final = frozenset(
    {
        "audio", "button", "canvas", "embed", "figcaption", "head", "iframe", "map", "math",
        "noembed", "noframes", "noscript", "object", "script", "select", "style", "svg",
        "template", "textarea", "title", "video",
    }
)  # fmt: skip

#: Class names (one of an element's ``class`` tokens, lower-cased) of blocks that are not the
#: article: WordPress captions ("Photo: Reuters"), Jetpack's and AddToAny's share and like
#: buttons ("Click to share on X (Opens in new window)", "Like Loading..."), related posts, and
#: text only screen readers are given. Elements with the ``hidden`` attribute are skipped too.
SKIP_CLASSES: Final = frozenset(
    {
        "wp-caption-text", "wp-element-caption", "sharedaddy", "sd-sharing-enabled",
        "sd-block", "sd-like", "jp-relatedposts", "sharing-screen-reader-text",
        "screen-reader-text", "addtoany_share_save_container", "addtoany_content", "a2a_kit",
        "yarpp-related", "social-share", "share-buttons", "sharing", "newsletter-signup",
        "image-credit", "photo-credit", "caption-credit",
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
#: (LRM, RLM, the isolates U+2066 to U+2069) are kept on purpose: they shape Devanagari and
#: Arabic-script words and emoji sequences. The bidi embeddings and overrides (U+202A to U+202E)
#: go, and so do the combining marks U+030A, U+0333 and U+033F: Telegram deletes them from every
#: text (tdlib's ``clean_input_string``), so a post keeping them would not show what it says.
_INVISIBLE: Final = frozenset(
    {
        "\u00ad", "\u200b", "\u2060", "\u180e", "\ufeff", "\ufffe",
        "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u030a", "\u0333", "\u033f",
    }
)  # fmt: skip

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
#: Where a start tag may begin: counted against MAX_START_TAGS.
_START_TAG: Final = re.compile(r"<[A-Za-z]")

#: Elements whose content is hidden or raw text. HTML ignores the "/" of ``<x/>`` on all but void
#: and foreign (SVG, MathML) elements, so one of these written self-closing, as XHTML writes an
#: empty element, would take the rest of the input as its content.
_EMPTY_WHEN_SELF_CLOSED: Final = (SKIP_TAGS - VOID_TAGS - {"svg", "math"}) | {
    "noembed",
    "noframes",
    "xmp",
}
#: A start tag of one of those. Possessive and never crossing a "<", so it runs in linear time.
_HIDING_START_TAG: Final = re.compile(
    "<(" + "|".join(sorted(_EMPTY_WHEN_SELF_CLOSED)) + r")(?=[\t\n\f\r />])[^<>]*+>",
    re.IGNORECASE,
)
#: A tag as written: ``/`` of an end tag, the name, and (by its ``/>``) whether it self-closes.
#: Possessive and never crossing a "<", so it runs in linear time.
_TAG_AS_WRITTEN: Final = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r /<>]*+)[^<>]*+>")


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


def parse_html(markup: str, *, max_chars: int, fragment: bool = False) -> LexborHTMLParser:
    """``markup`` parsed as browsers parse it, cut to ``max_chars`` and MAX_START_TAGS start tags.

    A ``fragment`` is parsed as the content of a ``<body>``, the way a feed's HTML is shown, with
    a trailing ``</`` dropped; a document is parsed whole, ``<head>`` and all. In both, elements
    whose content is hidden or raw text (``<script/>``, ``<iframe …/>``, ``<title/>``) are empty
    when written self-closing (see the module docstring).
    """
    markup = _within_start_tag_budget(markup[:max_chars])
    # lexbor follows the standard, which ignores the "/"; nothing in selectolax changes that.
    markup = _HIDING_START_TAG.sub(_close_self_closed, markup)
    if not fragment:
        return LexborHTMLParser(markup)
    # The standard drops every tag the input ends inside of, except "</", which it emits as
    # text; a fragment cut there ("a </") should not show it either.
    markup = markup.removesuffix("</")
    # After "<body>" the parser is in the body, so <noscript>, <title> and <style> stay where
    # they are written instead of opening a <head> that text spills out of; the doctype keeps
    # it out of quirks mode. (selectolax's is_fragment=True leaves the top-level nodes without
    # a parent, and their iter() and text() then read the whole fragment.)
    return LexborHTMLParser("<!doctype html><body>" + markup)


def _within_start_tag_budget(markup: str) -> str:
    """``markup`` cut before its start tag number MAX_START_TAGS + 1 (``<`` and a letter)."""
    if markup.count("<") <= MAX_START_TAGS:
        return markup
    extra = next(islice(_START_TAG.finditer(markup), MAX_START_TAGS, None), None)
    return markup if extra is None else markup[: extra.start()]


def _close_self_closed(tag: re.Match[str]) -> str:
    """The start tag, followed by its end tag if it was written self-closing."""
    written = tag.group()
    return f"{written}</{tag.group(1)}>" if written.endswith("/>") else written


def _has_element(body: LexborNode) -> bool:
    """Whether the fragment parsed into ``body`` holds any element at all."""
    return next(islice(body.traverse(), 1, None), None) is not None


def _not_article(node: LexborNode) -> bool:
    """Whether ``node`` is ``hidden`` or has one of :data:`SKIP_CLASSES`."""
    attributes = node.attributes
    if not attributes:
        return False
    if "hidden" in attributes:
        return True
    classes = attributes.get("class")
    return bool(classes) and any(token in SKIP_CLASSES for token in (classes or "").lower().split())


class _TextBuilder:
    """Collects the text of a parsed fragment as tokens, and its raw decoded text."""

    def __init__(self) -> None:
        self.tokens: list[str | int] = []
        self.raw: list[str] = []
        #: Whether the fragment holds any element (a tag that made one) at all.
        self.saw_element = False
        self._pre_depth = 0

    def walk(self, top: LexborNode) -> None:
        """Collect everything below ``top``, in document order, skipping SKIP_TAGS subtrees."""
        # By hand, not through traverse(): block elements need their end as well as their start.
        # A loop rather than recursion: hostile input nests thousands of elements deep.
        top_id = top.mem_id
        node = top.first_child
        while node is not None:
            tag = node.tag
            if tag == "-text":
                self._data(node.text_content or "")
            elif (
                tag is not None
                and not tag.startswith("-")
                and tag not in SKIP_TAGS
                and not _not_article(node)
            ):
                self._enter(tag)
                child = node.first_child
                if child is not None:
                    node = child
                    continue
                self._leave(tag)
            while (sibling := node.next) is None:
                parent = node.parent
                if parent is None or parent.mem_id == top_id:
                    return
                node = parent
                self._leave(node.tag or "")
            node = sibling

    def _enter(self, tag: str) -> None:
        self._structure(tag, start=True)
        if tag == "pre":
            self._pre_depth += 1

    def _leave(self, tag: str) -> None:
        if tag == "br":  # "</br>" became a <br> of its own: one line break, made when entered
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        self._structure(tag, start=False)

    def _structure(self, tag: str, *, start: bool) -> None:
        if tag == "br":
            self.tokens.append(_LINE)
        elif tag == "li":
            self.tokens.append(_ITEM if start else _ITEM_END)
        elif tag in BLOCK_TAGS:
            self.tokens.append(_PARA)
        elif tag in CELL_TAGS:
            self.tokens.append(" ")

    def _data(self, data: str) -> None:
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


def decode_references(text: str) -> str:
    """``text`` with the character references it holds decoded, once (see
    ``_decode_leftover_references``): for plain text a publisher escaped anyway."""
    return _decode_leftover_references(text)


def lenient_plain_text(text: str) -> str:
    """Text declared plain (Atom's default ``type="text"``, JSON Feed's ``content_text``) as
    publishers really write it: read as HTML when it holds markup (see
    :func:`looks_like_markup`), else as :func:`plain_text` with its character references
    decoded (``Hello&nbsp;world`` reads "Hello world", ``AT&T`` stays)."""
    if looks_like_markup(text):
        return html_to_text(text)
    return plain_text(_decode_leftover_references(text))


def fragment_tree(fragment: str) -> LexborHTMLParser:
    """A feed's HTML fragment parsed, as :func:`html_to_text` reads it: a fragment with no
    element at all whose text is markup (escaped once more) is parsed again, once."""
    tree = _parse_fragment(fragment)
    body = tree.body
    if body is not None and not _has_element(body):
        raw = body.text()
        if looks_like_markup(raw):
            return _parse_fragment(raw)
    return tree


def _parse_fragment(fragment: str) -> LexborHTMLParser:
    return parse_html(fragment, max_chars=FRAGMENT_MAX_CHARS, fragment=True)


def _extract(fragment: str) -> _TextBuilder:
    builder = _TextBuilder()
    body = _parse_fragment(fragment).body
    if body is not None:
        builder.saw_element = _has_element(body)
        builder.walk(body)
    return builder


def looks_like_markup(text: str) -> bool:
    """True when ``text`` (already decoded once) holds real HTML markup: see the module doc."""
    if "<" not in text:
        return False
    body = _parse_fragment(text).body
    if body is None:
        return False
    elements: set[str] = set()
    for node in body.traverse():
        tag = node.tag or ""
        if tag in KNOWN_TAGS and any(node.attributes.values()):
            return True
        elements.add(tag)
    # The tree does not keep how a tag was written: whether an element was closed by its own end
    # tag or written self-closing, which is what tells markup from prose here. So the tags are
    # read as written as well, and count only if the parser made elements of them (not, say,
    # tags inside a comment).
    opened: set[str] = set()
    for written in _TAG_AS_WRITTEN.finditer(text, 0, FRAGMENT_MAX_CHARS):
        name = written.group(2).lower()
        if name not in KNOWN_TAGS or name not in elements:
            continue
        if written.group(1):
            if name in opened and name not in VOID_TAGS:
                return True
        elif written.group().endswith("/>"):
            if name in VOID_TAGS:
                return True
        else:
            opened.add(name)
    return False


def html_to_text(fragment: str) -> str:
    """The plain text of an HTML fragment, its entities decoded (twice-escaped ones too).

    Block elements become paragraph breaks (``"\\n\\n"``), ``<br>`` a line break, list items
    ``"• item"``; scripts, styles, embedded objects and figure captions are dropped; whitespace
    is collapsed and non-breaking spaces become spaces; zero-width and control characters are
    removed. Double-encoded HTML and entities are decoded once more, and a tag the fragment is
    cut inside of is dropped (see the module docstring). Only the first FRAGMENT_MAX_CHARS
    characters are read.
    """
    if not fragment:
        return ""
    extractor = _extract(fragment)
    if not extractor.saw_element:
        raw = "".join(extractor.raw)
        if looks_like_markup(raw):
            extractor = _extract(raw)
    return extractor.text()


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
