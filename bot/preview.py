"""``newsbot preview``: the posts a feed or an article page would make, without sending any.

The source is read the way the bot reads it (the same fetcher, parser and formatter, under the
same settings: POST_STYLE, HASHTAGS_MAX, UTM_SOURCE, POST_TEMPLATE), so what an editor sees here
is what the channel will get: ``html`` and ``text`` are the channel's post, ``method`` the Bot
API method that sends it, ``dm_html`` readers' own when it differs (UTM campaign ``dm``).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.article import ArticleDraft
from bot.config import Settings
from bot.errors import FeedParseError, FetchError, PageParseError, ParseError
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import document_kind, parse_feed
from bot.feeds.workers import ParserPool
from bot.formatting.post import PostOptions, render_article
from bot.formatting.utm import DM_CAMPAIGN
from bot.pages import decode_html, page_to_draft, parse_page

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.9, text/html;q=0.8, */*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class PreviewPost:
    """One post as ``preview --json`` prints it."""

    title: str
    summary: str
    link: str | None
    image: str | None
    html: str
    text: str
    source: str  # "feed" or "page"
    method: str = "sendMessage"  # "sendPhoto" or "sendMessage"
    style: str = "text"  # "photo", "preview" or "text"
    dm_html: str | None = None  # readers' chats' post when it differs (UTM campaign "dm")

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def to_preview(
    draft: ArticleDraft, source: str, options: PostOptions | None = None, *, feed: str = ""
) -> PreviewPost:
    """The post ``draft`` makes under ``options``, exactly as it would be stored and sent
    (:func:`~bot.formatting.post.render_article`, as :mod:`bot.services.articles` renders it);
    ``feed`` is the feed's title. ``link`` is the link as posted (UTM parameters included)."""
    options = options or PostOptions()
    post = render_article(draft, options, feed=feed, section=feed)
    dm_html = None
    if options.utm_source:
        dm = render_article(draft, options, campaign=DM_CAMPAIGN, feed=feed, section=feed)
        dm_html = dm.html if dm.html != post.html else None
    return PreviewPost(
        title=draft.title,
        summary=post.summary,
        link=post.link,
        image=post.image,
        html=post.html,
        text=post.text,
        source=source,
        method=post.method,
        style=post.style,
        dm_html=dm_html,
    )


async def read_source(source: str, *, settings: Settings) -> tuple[bytes, str, str | None]:
    """The bytes of ``source`` (URL or path), the URL they came from, and their content type."""
    if source.lower().startswith(("http://", "https://")):
        async with Fetcher(
            allow_private_networks=settings.allow_private_networks, timeout=settings.fetch_timeout
        ) as fetcher:
            fetched = await fetcher.fetch(source, accept=ACCEPT)
        return fetched.content, fetched.url, fetched.content_type
    try:
        return await asyncio.to_thread(_read_file, source)
    except OSError as exc:
        raise FetchError(source, exc.strerror or "cannot read the file") from None


def _read_file(source: str) -> tuple[bytes, str, str | None]:
    path = Path(source).expanduser().resolve()
    return path.read_bytes(), path.as_uri(), None


def drafts_from(
    content: bytes, url: str, content_type: str | None
) -> tuple[list[ArticleDraft], str]:
    """The articles in ``content``: a feed's entries, else the one article of an HTML page.

    Only an HTML page (by its doctype or root element, else its media type) is read as an
    article page when it is no feed; one without an article raises :class:`PageParseError`
    with both readers' reasons. An XML or JSON document that is no usable feed (another
    document, a broken feed) raises its own :class:`FeedParseError`, and text or binary bytes
    a FeedParseError saying they are neither. A well-formed feed without entries is ``[]``,
    never a page made of its channel's title.
    """
    try:
        return parse_feed(content, url=url, content_type=content_type).entries, "feed"
    except FeedParseError as feed_error:
        kind = document_kind(content, content_type)
        if kind in ("xml", "json"):
            raise
        neither = f"neither a feed nor an article page ({feed_error.reason})"
        if kind == "text":
            raise FeedParseError(url, neither, kind=feed_error.kind) from None
        try:
            meta = parse_page(decode_html(content, content_type), url)
        except PageParseError:
            raise PageParseError(url, neither) from None
        return [page_to_draft(meta)], "page"


async def preview_source(source: str, *, settings: Settings) -> list[PreviewPost]:
    """The posts ``source`` would make, in the order the feed lists them."""
    content, url, content_type = await read_source(source, settings=settings)
    async with ParserPool(workers=1) as parser:  # bounded in time, whatever the bytes
        drafts, kind = await parser.call(ParseError, url, drafts_from, content, url, content_type)
    options = settings.post_options()
    return [to_preview(draft, kind, options) for draft in drafts]


def format_previews(posts: list[PreviewPost]) -> str:
    """The posts as a reader would read them, one after another."""
    if not posts:
        return "The feed has no entries: no posts."
    blocks = []
    for number, post in enumerate(posts, 1):
        head = f"── post {number} of {len(posts)} " + "─" * 20
        lines = [head, post.text]
        if post.image:
            lines.append(f"[picture: {post.image}]")
        if post.link:
            lines.append(f"[link: {post.link}]")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
