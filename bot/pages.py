"""Article pages → article drafts: pure, no I/O, stdlib ``html.parser`` only.

An editor's push fetches a page (``bot.feeds.fetch``) and hands the bytes here::

    from bot import pages

    html = pages.decode_html(result.content, result.content_type)
    meta = pages.parse_page(html, result.url)     # PageParseError when there is no title
    draft = pages.page_to_draft(meta)             # ArticleDraft keyed by the page's URL

``decode_html`` picks the charset the way a browser does (BOM, header, ``<meta>``, then a guess);
``parse_page`` reads Open Graph, then Twitter card, then plain HTML metadata. Every URL is made
absolute against the page (or its ``<base href>``) and only http(s) URLs are kept.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

from bot.article import ArticleDraft
from bot.errors import PageParseError

__all__ = ["PageMeta", "decode_html", "page_to_draft", "parse_page"]

_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one.
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels Python does not know but browsers do (WHATWG Encoding Standard).
_LABEL_ALIASES: Final = {
    "x-sjis": "cp932",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859-8",
    "x-user-defined": "cp1252",
}
# Codecs that pages name but whose superset browsers actually use: a page labelled ISO-8859-1
# with curly quotes is really windows-1252, and so on.
_CODEC_SUPERSETS: Final = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# Never honoured: UTF-7 lets ASCII bytes mean markup; browsers refuse it too.
_REFUSED_CODECS: Final = frozenset({"utf-7"})

_TITLE_KEYS: Final = ("og:title", "twitter:title")
_DESCRIPTION_KEYS: Final = ("og:description", "twitter:description", "description")
_IMAGE_KEYS: Final = ("og:image", "og:image:url", "twitter:image", "twitter:image:src")


@dataclass(frozen=True, slots=True)
class PageMeta:
    """What an article page says about itself: plain text and absolute http(s) URLs."""

    title: str
    description: str
    image: str | None
    url: str


def decode_html(content: bytes, content_type: str | None) -> str:
    """Return ``content`` as text, decoded with the charset a browser would pick.

    In order: a byte-order mark (it beats the header, as in browsers), the ``charset`` of the
    Content-Type header, a ``<meta charset>`` or ``<meta http-equiv=content-type>`` anywhere in
    the document, UTF-8 if the bytes are valid UTF-8, else windows-1252. Unknown or refused
    charset names are skipped; bytes that do not fit the chosen charset become U+FFFD.
    """
    for bom, bom_codec in _BOMS:
        if content.startswith(bom):
            return content.decode(bom_codec, errors="replace")
    codec = _codec(_charset_param(content_type))
    if codec is None:
        codec = _codec(_meta_charset(content))
        # A <meta> that says UTF-16 was read as ASCII, so it cannot be true (WHATWG).
        if codec is not None and codec.startswith("utf-16"):
            codec = "utf-8"
    if codec is None:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            codec = "cp1252"
    return content.decode(codec, errors="replace").removeprefix("\ufeff")


def _charset_param(content_type: str | None) -> str | None:
    """Return the charset parameter of a Content-Type value, or None."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() if isinstance(charset, str) else None


def _codec(label: str | None) -> str | None:
    """Return Python's codec for a charset label, widened as browsers do, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("'\"").lower()
    try:
        name = codecs.lookup(_LABEL_ALIASES.get(label, label)).name
    except LookupError:
        return None
    if name in _REFUSED_CODECS:
        return None
    return _CODEC_SUPERSETS.get(name, name)


class _FoundCharset(Exception):
    """Stops the meta scanner at the first declared charset."""

    def __init__(self, charset: str) -> None:
        super().__init__(charset)
        self.charset = charset


class _MetaCharsetScanner(HTMLParser):
    """Finds the first ``<meta>`` that declares a charset; raises _FoundCharset with it."""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Raise _FoundCharset at a <meta charset> or <meta http-equiv=content-type>."""
        if tag != "meta":
            return
        values = {name: value or "" for name, value in attrs}
        if values.get("charset", "").strip():
            raise _FoundCharset(values["charset"])
        if values.get("http-equiv", "").strip().lower() == "content-type":
            charset = _charset_param(values.get("content"))
            if charset:
                raise _FoundCharset(charset)


def _meta_charset(content: bytes) -> str | None:
    """Return the charset the first charset-declaring ``<meta>`` names, wherever it is."""
    # Latin-1 maps every byte to one character, so any ASCII-compatible document reads right.
    scanner = _MetaCharsetScanner(convert_charrefs=True)
    try:
        scanner.feed(content.decode("latin-1"))
        scanner.close()
    except _FoundCharset as found:
        return found.charset
    return None


class _PageScanner(HTMLParser):
    """Collects the metadata a page declares, first occurrence of each kind winning."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: str | None = None
        self.canonical: str | None = None
        self.image_src: str | None = None
        self.base: str | None = None
        self._title_parts: list[str] | None = None
        self._foreign_depth = 0  # inside <svg> or <math>, whose <title> is not the page's

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record <meta>, <link>, <base>; open <title> and foreign content."""
        values = {name: value or "" for name, value in attrs}
        if tag in ("svg", "math"):
            self._foreign_depth += 1
        elif tag == "title" and self._foreign_depth == 0 and self.title is None:
            self._title_parts = []
        elif tag == "meta":
            content = values.get("content", "").strip()
            for attr in ("property", "name"):  # og: belongs in property=, but name= is common
                key = values.get(attr, "").strip().lower()
                if key and content:
                    self.meta.setdefault(key, content)
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            href = values.get("href", "").strip()
            if href and "canonical" in rels and self.canonical is None:
                self.canonical = href
            if href and "image_src" in rels and self.image_src is None:
                self.image_src = href
        elif tag == "base" and self.base is None and values.get("href", "").strip():
            self.base = values["href"].strip()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Treat <x/> as <x> with nothing inside (so <svg/> opens no foreign content)."""
        if tag not in ("svg", "math", "title"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        """Close <title> and foreign content."""
        if tag in ("svg", "math") and self._foreign_depth > 0:
            self._foreign_depth -= 1
        elif tag == "title" and self._title_parts is not None:
            self.title = _collapse("".join(self._title_parts))
            self._title_parts = None

    def handle_data(self, data: str) -> None:
        """Collect the text of the page's <title>."""
        if self._title_parts is not None:
            self._title_parts.append(data)

    def close(self) -> None:
        """Finish, keeping the text of a <title> that was never closed."""
        super().close()
        if self._title_parts is not None:
            self.title = _collapse("".join(self._title_parts))
            self._title_parts = None


def _collapse(text: str) -> str:
    """Return ``text`` with runs of whitespace made one space and the ends trimmed."""
    return " ".join(text.split())


def _http_url(base: str, value: str | None) -> str | None:
    """Return ``value`` made absolute against ``base`` if it is an http(s) URL, else None."""
    if not value:
        return None
    try:
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
    except ValueError:  # e.g. an invalid IPv6 host such as "http://[x/"
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _is_home_page_of_other(candidate: str, url: str) -> bool:
    """Whether ``candidate`` is a site's home page while ``url`` is a page deeper in it."""
    return urlsplit(candidate).path.strip("/") == "" and urlsplit(url).path.strip("/") != ""


def parse_page(html: str, url: str) -> PageMeta:
    """Return the title, description, image and canonical URL that the page at ``url`` declares.

    Raises PageParseError when the page has no title at all.
    """
    scanner = _PageScanner()
    scanner.feed(html)
    scanner.close()
    meta = {key: _collapse(value) for key, value in scanner.meta.items()}

    title = next((meta[key] for key in _TITLE_KEYS if meta.get(key)), None) or scanner.title
    if not title:
        raise PageParseError(url, "the page has no title (no og:title, twitter:title or <title>)")
    description = next((meta[key] for key in _DESCRIPTION_KEYS if meta.get(key)), "")

    base = _http_url(url, scanner.base) or url
    secure = _http_url(base, meta.get("og:image:secure_url"))
    candidates = [meta.get(key) for key in _IMAGE_KEYS] + [scanner.image_src]
    images = (_http_url(base, value) for value in candidates)
    if secure is not None and urlsplit(secure).scheme == "https":
        image: str | None = secure
    else:
        image = next(filter(None, images), None)
    declared = (_http_url(base, meta.get("og:url")), _http_url(base, scanner.canonical))
    # A site-wide template often declares its home page: that is not this article's address.
    article_urls = [u for u in declared if u and not _is_home_page_of_other(u, url)]
    page_url = article_urls[0] if article_urls else url
    return PageMeta(title=title, description=description, image=image, url=page_url)


def page_to_draft(meta: PageMeta) -> ArticleDraft:
    """Return the article draft for a page: keyed and linked by its canonical URL."""
    return ArticleDraft(
        key=meta.url,
        title=meta.title,
        summary=meta.description,
        link=meta.url,
        image=meta.image,
    )
