"""Article pages → article drafts: pure, no I/O.

An editor's push fetches a page (``bot.feeds.fetch``) and hands the bytes here::

    from bot import pages

    html = pages.decode_html(result.content, result.content_type)
    meta = pages.parse_page(html, result.url)     # PageParseError when there is no title
    draft = pages.page_to_draft(meta)             # ArticleDraft keyed by the page's URL
    image = pages.page_image(html, result.url)    # only its picture (a teaser feed's page)

``decode_html`` picks the charset the way a browser does (BOM, header, ``<meta>``, then a guess);
``parse_page`` reads Open Graph, then Twitter card, then plain HTML metadata. Every URL is made
absolute against the page (or its ``<base href>``) and only http(s) URLs are kept.

Pages are parsed by lexbor, as browsers parse them (:func:`bot.formatting.html_text.parse_html`),
and only their first :data:`PAGE_MAX_CHARS` characters: metadata sits in the ``<head>``, and no
page, however large or hostile, keeps a worker long.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from email.message import Message
from typing import Final
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.article import ArticleDraft
from bot.errors import PageParseError
from bot.formatting.headline import clean_headline
from bot.formatting.html_text import lenient_plain_text, parse_html
from bot.formatting.lead import clean_lead
from bot.formatting.pictures import Candidate, Source, choose, size_value

__all__ = [
    "PAGE_MAX_CHARS",
    "PageMeta",
    "decode_html",
    "page_image",
    "page_to_draft",
    "parse_page",
]

#: The most of a page that is parsed, in characters (and, to find its charset, in bytes): the
#: rest is cut off, not refused. The metadata is in the <head>, near the start; the fetcher
#: takes pages of up to 5 MB.
PAGE_MAX_CHARS: Final = 2 * 1024 * 1024

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
    """What an article page says about itself: plain text and absolute http(s) URLs.

    ``title`` is cleaned as a headline (the site's name taken off it), ``description`` as a
    lead; ``site_name`` is the page's ``og:site_name``, ``""`` when it has none.
    """

    title: str
    description: str
    image: str | None
    url: str
    site_name: str = ""


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


def _meta_charset(content: bytes) -> str | None:
    """Return the charset the first charset-declaring ``<meta>`` names, wherever it is."""
    # Latin-1 maps every byte to one character, so any ASCII-compatible document reads right.
    tree = parse_html(content[:PAGE_MAX_CHARS].decode("latin-1"), max_chars=PAGE_MAX_CHARS)
    for meta in tree.css("meta"):
        values = _attributes(meta)
        if values.get("charset", "").strip():
            return values["charset"]
        if values.get("http-equiv", "").strip().lower() == "content-type":
            charset = _charset_param(values.get("content"))
            if charset:
                return charset
    return None


def _attributes(element: LexborNode) -> dict[str, str]:
    """The element's attributes, a valueless one as ``""`` (names are lower case already)."""
    return {name: value or "" for name, value in element.attributes.items()}


@dataclass(frozen=True, slots=True)
class _Declared:
    """The metadata a page declares, first occurrence of each kind winning."""

    meta: dict[str, str]
    title: str | None
    canonical: str | None
    image_src: str | None
    base: str | None


def _declared(html: str) -> _Declared:
    """Read the page's ``<meta>``, ``<link>``, ``<base>`` and ``<title>``."""
    tree = parse_html(html, max_chars=PAGE_MAX_CHARS)
    meta: dict[str, str] = {}
    for element in tree.css("meta"):
        values = _attributes(element)
        content = values.get("content", "").strip()
        for attr in ("property", "name"):  # og: belongs in property=, but name= is common
            key = values.get(attr, "").strip().lower()
            if key and content:
                meta.setdefault(key, content)
    canonical = image_src = None
    for element in tree.css("link"):
        values = _attributes(element)
        rels = values.get("rel", "").lower().split()
        href = values.get("href", "").strip()
        if href and "canonical" in rels and canonical is None:
            canonical = href
        if href and "image_src" in rels and image_src is None:
            image_src = href
    bases = (_attributes(element).get("href", "").strip() for element in tree.css("base"))
    return _Declared(
        meta=meta,
        title=_page_title(tree),
        canonical=canonical,
        image_src=image_src,
        base=next(filter(None, bases), None),
    )


def _page_title(tree: LexborHTMLParser) -> str | None:
    """The text of the page's first ``<title>``: not one of an inline ``<svg>`` or ``<math>``."""
    # Element → whether it is inside <svg> or <math>: remembered, so that thousands of titles
    # deep inside one <svg> are still looked at in linear time.
    foreign: dict[int, bool] = {}
    for title in tree.css("title"):
        if not _in_foreign_content(title, foreign):
            return _collapse(title.text())
    return None


def _in_foreign_content(element: LexborNode, known: dict[int, bool]) -> bool:
    """Whether ``element`` is inside an ``<svg>`` or ``<math>``; ``known`` remembers ancestors."""
    # lexbor knows the namespace but selectolax does not tell it (an SVG <title> has the tag
    # "title" too), so the ancestors are looked at.
    climbed: list[int] = []
    inside = False
    ancestor = element.parent
    while ancestor is not None:
        seen = known.get(ancestor.mem_id)
        if seen is not None:
            inside = seen
            break
        if ancestor.tag in ("svg", "math"):
            inside = True
            break
        climbed.append(ancestor.mem_id)
        ancestor = ancestor.parent
    for mem_id in climbed:
        known[mem_id] = inside
    return inside


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


def _image_candidates(meta: dict[str, str], image_src: str | None) -> list[Candidate]:
    """The page's pictures: og:image (its https ``secure_url`` first) with its declared size,
    then twitter:image and ``<link rel="image_src">``."""
    width, height = size_value(meta.get("og:image:width")), size_value(meta.get("og:image:height"))
    secure = meta.get("og:image:secure_url")
    og: list[str | None] = [secure] if secure and secure.lower().startswith("https:") else []
    og += [meta.get(key) for key in _IMAGE_KEYS if key.startswith("og:")]
    candidates = [Candidate(Source.OG_IMAGE, url, width, height) for url in og if url]
    candidates += [
        Candidate(Source.META, meta.get(key)) for key in _IMAGE_KEYS if not key.startswith("og:")
    ]
    candidates.append(Candidate(Source.LINK, image_src))
    return candidates


def _chosen_image(found: _Declared, base: str) -> str | None:
    """The page's picture (:func:`bot.formatting.pictures.choose`), made absolute against
    ``base``."""
    meta = {key: _collapse(value) for key, value in found.meta.items()}
    return choose(_image_candidates(meta, found.image_src), base)


def page_image(html: str, url: str) -> str | None:
    """The picture the page at ``url`` declares (og:image, twitter:image, ``<link
    rel="image_src">``: the first that is an article's picture), as :func:`parse_page` chooses
    it, made absolute against the page's ``<base href>`` or ``url`` (its final URL, after
    redirects); None if it has none. Only the first PAGE_MAX_CHARS characters are read."""
    found = _declared(html)
    return _chosen_image(found, _http_url(url, found.base) or url)


def parse_page(html: str, url: str) -> PageMeta:
    """Return the title, description, image and canonical URL that the page at ``url`` declares.

    The title is cleaned as a headline (:func:`bot.formatting.headline.clean_headline`, the
    ``og:site_name`` taken off it) and the description as a lead
    (:func:`bot.formatting.lead.clean_lead`). Raises PageParseError when the page has no title
    at all. Only the first PAGE_MAX_CHARS characters of ``html`` are read.
    """
    found = _declared(html)
    meta = {key: _collapse(value) for key, value in found.meta.items()}

    site_name = clean_headline(meta.get("og:site_name", ""))
    title = next((meta[key] for key in _TITLE_KEYS if meta.get(key)), None) or found.title
    title = clean_headline(title or "", site_names=(site_name,) if site_name else ())
    if not title:
        raise PageParseError(url, "the page has no title (no og:title, twitter:title or <title>)")
    description = next((meta[key] for key in _DESCRIPTION_KEYS if meta.get(key)), "")
    description = clean_lead(lenient_plain_text(description), title=title)

    base = _http_url(url, found.base) or url
    image = _chosen_image(found, base)
    declared = (_http_url(base, meta.get("og:url")), _http_url(base, found.canonical))
    # A site-wide template often declares its home page: that is not this article's address.
    article_urls = [u for u in declared if u and not _is_home_page_of_other(u, url)]
    page_url = article_urls[0] if article_urls else url
    return PageMeta(
        title=title, description=description, image=image, url=page_url, site_name=site_name
    )


def page_to_draft(meta: PageMeta) -> ArticleDraft:
    """Return the article draft for a page: keyed and linked by its canonical URL."""
    return ArticleDraft(
        key=meta.url,
        title=meta.title,
        summary=meta.description,
        link=meta.url,
        image=meta.image,
    )


def page_draft(content: bytes, content_type: str | None, url: str) -> ArticleDraft:
    """The article draft of the page ``content`` fetched from ``url`` (decode, parse, draft):
    one pure call, for a worker process."""
    return page_to_draft(parse_page(decode_html(content, content_type), url))
