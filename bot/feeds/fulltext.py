"""Teaser feeds: an article's main text, read from its page with trafilatura, and its picture.

Some feeds carry only a line per article; for them the summary comes from the page itself, and
the picture too when the entry has none::

    from bot.feeds.fulltext import fetch_article

    page = await fetch_article(fetcher, entry.link)   # FetchError if the page fails
    if page.text is not None:                         # None: the page holds no article
        summary = condense(page.text)
    image = entry.image or page.image                 # og:image and the like, or None

    text = extract_article_text(html, url)            # the pure part, on a page in hand

The page is fetched through the caller's :class:`~bot.feeds.fetch.Fetcher` (its limits and its
private-network guard apply), decoded with :func:`bot.pages.decode_html`, and both decoding and
extraction run in a worker thread, never on the event loop. Only the first
:data:`MAX_HTML_BYTES` of a page are read, and the text is cut at a word boundary to
``max_chars``. Extraction favours precision: no comments, tables, links or images, so that
navigation, sidebars, footers and cookie banners stay out. The picture is the one the page
declares, chosen as an editor's push chooses it (:func:`bot.pages.page_image`: og:image and the
like, past logos and small images) and made absolute against the page's final URL.

trafilatura logs a warning or an error for every page that holds no article; its loggers are
kept quiet here (unless the application set their level itself), and this module logs one line
of its own instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from bot.errors import PageParseError
from bot.feeds._headers import media_type
from bot.feeds.fetch import PAGE_ACCEPT, Fetcher
from bot.feeds.workers import ParserPool
from bot.formatting.condense import truncate
from bot.formatting.lead import clean_lead
from bot.links import redact_url
from bot.pages import decode_html, page_image

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MAX_HTML_BYTES",
    "ArticlePage",
    "extract_article_text",
    "fetch_article",
]

log = logging.getLogger(__name__)

#: How much of a page is read: articles fit in far less, and extraction time grows with size.
MAX_HTML_BYTES: Final = 2_000_000
#: The longest text returned by default, in code points (cut at a word boundary, with ``…``).
DEFAULT_MAX_CHARS: Final = 4000

#: A page shows markup within its first bytes; a document that does not is not a page.
_SNIFF: Final = 4096
#: The loggers of trafilatura and of the libraries it calls, which log every rejected page.
_QUIET_LOGGERS: Final = ("trafilatura", "htmldate", "courlan", "justext")
#: Media types worth extracting from; a missing Content-Type is given the benefit of the doubt.
_PAGE_TYPES: Final = frozenset({"", "text/html", "application/xhtml+xml"})


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """What an article's page gives a teaser feed's entry: its main text and its picture (an
    absolute http(s) URL), each None when the page has none."""

    text: str | None = None
    image: str | None = None


def _quiet_libraries() -> None:
    """Keep trafilatura's per-page warnings out of the logs, unless a level was set for them."""
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.CRITICAL)


_quiet_libraries()


def _tidy(text: str) -> str:
    """``text`` with each paragraph on one line, blank lines and surrounding space removed."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def extract_article_text(
    html: str | bytes, url: str, *, max_chars: int = DEFAULT_MAX_CHARS
) -> str | None:
    """The main text of the article page ``html`` (fetched from ``url``), or None.

    Paragraphs are separated by single line breaks, and the text is cleaned as a lead
    (:func:`bot.formatting.lead.clean_lead`: no dateline, byline, caption, share or newsletter
    line, cookie notice or repetition). None when the page holds no article
    (navigation only, empty, no markup in its first few kilobytes). At most
    :data:`MAX_HTML_BYTES` of ``html`` are read (bytes are decoded by trafilatura; decode them
    first when the charset is known). Pure and CPU-bound: call it in a worker thread. Raises
    ValueError if ``max_chars`` is below 1.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, not {max_chars}")
    document = html[:MAX_HTML_BYTES]
    head = document[:_SNIFF] if isinstance(document, str) else document[:_SNIFF].decode("latin-1")
    if "<" not in head:  # empty, or plain text, JSON…: not a page
        return None
    # Here, not at the top: this runs in a parsing process, and the main process (which only
    # hands it pages) need not carry trafilatura's 25 MB.
    import trafilatura

    try:
        extracted = trafilatura.extract(
            document,
            url=url,
            output_format="txt",
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_links=False,
            include_images=False,
            include_formatting=False,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception as error:  # a third-party parser on hostile input: report, never crash
        log.warning(
            "article extraction failed url=%s error=%s", redact_url(url), type(error).__name__
        )
        return None
    text = clean_lead(_tidy(extracted)) if isinstance(extracted, str) else ""
    if not text:
        return None
    return truncate(text, max_chars)


def _decode_and_extract(
    content: bytes, content_type: str | None, url: str, max_chars: int
) -> ArticlePage:
    """Decode the page as a browser would, then extract its article and its picture (in a
    worker thread)."""
    html = decode_html(content[:MAX_HTML_BYTES], content_type)
    return ArticlePage(extract_article_text(html, url, max_chars=max_chars), page_image(html, url))


async def fetch_article(
    fetcher: Fetcher,
    url: str,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    parser: ParserPool | None = None,
) -> ArticlePage:
    """Fetch the article page at ``url``: its main text and its picture (see :class:`ArticlePage`).

    A page that is not HTML (an image, a PDF) gives neither, without being parsed. A
    :class:`~bot.errors.FetchError` propagates: the caller decides what a failed fetch means.
    """
    result = await fetcher.fetch(url, accept=PAGE_ACCEPT)
    page_type = media_type(result.content_type)
    if page_type not in _PAGE_TYPES:
        log.info(
            "no article text url=%s reason=%s",
            redact_url(result.url),
            f"not a page ({page_type})",
        )
        return ArticlePage()
    page = await (parser or ParserPool(workers=0)).call(
        PageParseError,
        result.url,
        _decode_and_extract,
        result.content,
        result.content_type,
        result.url,
        max_chars,
    )
    log.info(
        "article text url=%s chars=%d image=%s",
        redact_url(result.url),
        len(page.text) if page.text is not None else 0,
        page.image is not None,
    )
    return page
