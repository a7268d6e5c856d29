"""OPML import and export: the subscription lists feed readers trade (lxml, pure).

Read a list exported by Feedly, Inoreader, Miniflux, NetNewsWire… and write one back::

    from bot.feeds.opml import OpmlFeed, parse_opml, render_opml

    feeds = parse_opml(path.read_bytes(), source=str(path))   # ParseError if it is no OPML
    for feed in feeds:
        print(feed.xml_url, feed.title, feed.category)        # category: its folder, or None

    data = render_opml([OpmlFeed("https://example.org/rss", "Example", category="News")],
                       title="newsbot feeds")                  # OPML 2.0 bytes, UTF-8

Reading is tolerant the way feed readers are: attribute names in any case (``xmlUrl``,
``xmlurl``), nested folders (a feed's category is its nearest folder), outlines
without ``xmlUrl`` skipped (they are folders or plain notes), any ``type`` or none, and the bare
``&`` that some exporters leave in query strings. It is also safe on hostile files: entity
declarations are refused (no "billion laughs"), no DTD or external entity is ever loaded, no
network is touched, and files past :data:`MAX_OPML_BYTES` are refused.

A round trip (``parse_opml(render_opml(feeds, title=…))``) keeps every feed's URL, title (its
whitespace collapsed), site URL and category; feeds come back grouped by category.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from bot.errors import ErrorKind, ParseError

__all__ = ["MAX_OPML_BYTES", "OpmlFeed", "parse_opml", "render_opml"]

#: The largest OPML file read: many thousands of feeds fit in far less.
MAX_OPML_BYTES: Final = 10_000_000

#: An ``&`` that starts no character reference nor one of XML's five entities: a bare
#: ampersand (``?a=1&b=2``) that some exporters write unescaped, to escape before parsing.
_BARE_AMPERSAND: Final = re.compile(
    rb"&(?!#[0-9]{1,8};|#[xX][0-9a-fA-F]{1,8};|(?:amp|lt|gt|quot|apos);)"
)
#: ``<!ENTITY`` (XML is case-sensitive) as UTF-8 and its kin, UTF-16 and UTF-32 write it.
_ENTITY_DECLARATIONS: Final = tuple(
    "<!ENTITY".encode(encoding)
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)
_BOMS: Final = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_XML_ENCODING: Final = re.compile(rb"""\s*<\?xml[^>]{0,200}?\sencoding\s*=""")
_POSITION: Final = re.compile(r",? line \d+, column \d+.*$")
_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: Characters XML 1.0 does not allow, removed from what is written.
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed of an OPML list: its feed URL, title, site URL and folder (or ``None``)."""

    xml_url: str
    title: str
    html_url: str | None = None
    category: str | None = None


def _parser() -> etree.XMLParser:
    """An XML parser that loads nothing from outside the document and expands no entity."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # Not collect_ids=False: lxml then tries to load an external DTD (no_network stops it,
        # as an error that would refuse the file).
    )


def _local_name(element: etree._Element) -> str:
    """The element's tag without a namespace, lowercased; ``""`` for comments and the like."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _attributes(element: etree._Element) -> dict[str, str]:
    """The element's attributes by lowercased local name (the first of each name wins)."""
    values: dict[str, str] = {}
    for name, value in element.attrib.items():
        values.setdefault(str(name).rsplit("}", 1)[-1].lower(), str(value))
    return values


def _line(text: str) -> str:
    """``text`` with its runs of whitespace collapsed to single spaces."""
    return " ".join(text.split())


def _syntax_error(error: etree.XMLSyntaxError) -> str:
    """lxml's complaint as one short clause, without its position suffix."""
    message = _line(str(error.msg or error))
    message = _POSITION.sub("", message) or "unreadable"
    return f"not an OPML file: the XML is broken at line {error.lineno or 1} ({message})"


def _declares_encoding(content: bytes) -> bool:
    """Whether ``content`` starts with a byte-order mark or an XML declaration's encoding."""
    return content.startswith(_BOMS) or _XML_ENCODING.match(content) is not None


def _as_utf8(content: bytes) -> bytes:
    """``content``, re-encoded as UTF-8 if it declares no encoding and is not UTF-8.

    Such files come from exporters that write windows-1252; XML would otherwise refuse them.
    """
    if _declares_encoding(content):
        return content
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace").encode("utf-8")
    return content


def _is_wide(content: bytes) -> bool:
    """Whether ``content`` is UTF-16 or UTF-32, where a byte 0x26 need not be an ``&``."""
    return content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in content[:4]


def _parse_xml(content: bytes, source: str) -> etree._Element:
    """The root element of ``content``; ParseError if it is no well-formed XML."""
    if not _is_wide(content):
        content = _BARE_AMPERSAND.sub(b"&amp;", _as_utf8(content))
    try:
        return etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise ParseError(source, _syntax_error(error), kind=ErrorKind.NOT_A_FEED) from None


def _declares_entities(content: bytes) -> bool:
    """Whether ``content`` holds an entity declaration, in any encoding XML may be in."""
    return any(mark in content for mark in _ENTITY_DECLARATIONS)


def _walk(body: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    """Each outline under ``body`` with the title of its nearest enclosing folder, in order.

    Iterative, not recursive, so that deep nesting costs no stack.
    """
    stack: list[tuple[Iterator[etree._Element], str | None]] = [(iter(body), None)]
    while stack:
        children, folder = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if _local_name(child) != "outline":
            continue
        yield child, folder
        attributes = _attributes(child)
        if len(child):
            inner = folder
            if not attributes.get("xmlurl", "").strip():
                inner = _title(attributes) or folder
            stack.append((iter(child), inner))


def _title(attributes: dict[str, str]) -> str | None:
    """An outline's ``text`` (OPML's required label), else its ``title``, as one line."""
    return _line(attributes.get("text", "")) or _line(attributes.get("title", "")) or None


def _category(attributes: dict[str, str]) -> str | None:
    """The first category of an OPML 2.0 ``category`` attribute (``/News/World,/Tech``)."""
    first = attributes.get("category", "").split(",")[0].strip().strip("/")
    return _line(first.rsplit("/", 1)[-1]) or None


def parse_opml(content: bytes, *, source: str = "the OPML file") -> list[OpmlFeed]:
    """The feeds of an OPML document, in document order, each feed URL once.

    ``source`` names the file in errors. Raises :class:`ParseError` (kind ``not_a_feed``) with
    one line for a person when ``content`` is not OPML: too large, not XML, entity
    declarations, another root element, no ``<body>``. A valid OPML without feeds gives ``[]``.
    """
    if len(content) > MAX_OPML_BYTES:
        raise ParseError(
            source,
            f"the file is larger than {MAX_OPML_BYTES // 1_000_000} MB",
            kind=ErrorKind.NOT_A_FEED,
        )
    if not content.strip():
        raise ParseError(source, "the file is empty", kind=ErrorKind.NOT_A_FEED)
    if _declares_entities(content):
        raise ParseError(
            source,
            "the file declares XML entities, which OPML never needs; refused for safety",
            kind=ErrorKind.NOT_A_FEED,
        )
    root = _parse_xml(content, source)
    name = _local_name(root)
    if name != "opml":
        raise ParseError(
            source,
            f"not an OPML file (its root element is <{name or '?'}>, not <opml>)",
            kind=ErrorKind.NOT_A_FEED,
        )
    body = next((child for child in root if _local_name(child) == "body"), None)
    if body is None:
        raise ParseError(source, "not an OPML file (it has no <body>)", kind=ErrorKind.NOT_A_FEED)

    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline, folder in _walk(body):
        attributes = _attributes(outline)
        xml_url = attributes.get("xmlurl", "").strip()
        if not xml_url or xml_url in seen:
            continue
        seen.add(xml_url)
        feeds.append(
            OpmlFeed(
                xml_url=xml_url,
                title=_title(attributes) or "",
                html_url=attributes.get("htmlurl", "").strip() or None,
                category=folder or _category(attributes),
            )
        )
    return feeds


def _xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters, lone surrogates)."""
    return _NOT_XML.sub("", text)


def _feed_outline(parent: etree._Element, feed: OpmlFeed) -> None:
    """Append ``feed``'s outline to ``parent``."""
    title = _xml_text(feed.title)
    outline = etree.SubElement(parent, "outline")
    outline.set("type", "rss")
    outline.set("text", title)
    outline.set("title", title)
    outline.set("xmlUrl", _xml_text(feed.xml_url))
    if feed.html_url:
        outline.set("htmlUrl", _xml_text(feed.html_url))


def render_opml(feeds: Sequence[OpmlFeed], *, title: str) -> bytes:
    """``feeds`` as an OPML 2.0 document in UTF-8, with ``title`` in its head.

    Feeds without a category come first, at the top level, then one folder per category in
    the order categories first appear, each with its feeds in the order given. Every value is
    escaped (``&``, ``<``, quotes); characters XML cannot hold at all are left out.
    """
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    body = etree.SubElement(opml, "body")
    folders: dict[str, list[OpmlFeed]] = {}
    for feed in feeds:
        if feed.category:
            folders.setdefault(feed.category, []).append(feed)
        else:
            _feed_outline(body, feed)
    for category, members in folders.items():
        name = _xml_text(category)
        folder = etree.SubElement(body, "outline", text=name, title=name)
        for feed in members:
            _feed_outline(folder, feed)
    document: bytes = etree.tostring(opml, encoding="UTF-8", pretty_print=True)
    return _DECLARATION + document
