"""An editor's push: an article page by URL → the same store-and-publish flow as a feed entry."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.errors import AlreadyPostedError, EditionError, FetchError, PageParseError
from bot.feeds.fetch import PAGE_ACCEPT, Fetcher
from bot.feeds.workers import ParserPool
from bot.formatting.post import PostOptions, article_language
from bot.pages import page_draft
from bot.services.articles import identity, published_links, store_drafts
from bot.services.editions import EditionInfo, load_editions
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Article

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pushed:
    """A pushed article and how many deliveries were queued for it."""

    article: Article
    deliveries: int


async def read_page(
    fetcher: Fetcher, url: str, *, parser: ParserPool | None = None
) -> tuple[ArticleDraft, list[str]]:
    """The article at ``url`` (from its meta tags) and every URL it is known by.

    The page is parsed by ``parser`` (a worker process, bounded in time), else in a thread.
    Raises :class:`FetchError` or :class:`PageParseError`.
    """
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(url, "only http and https URLs can be pushed")
    fetched = await fetcher.fetch(url, accept=PAGE_ACCEPT)
    parser = parser or ParserPool(workers=0)
    draft = await parser.call(
        PageParseError, fetched.url, page_draft, fetched.content, fetched.content_type, fetched.url
    )
    return draft, sorted({link for link in (draft.link, url, fetched.url) if link})


async def push_url(
    db: Database,
    fetcher: Fetcher,
    url: str,
    *,
    edition: str | None = None,
    parser: ParserPool | None = None,
    options: PostOptions | None = None,
) -> Pushed:
    """Fetch the page at ``url``, store it as an article of ``edition`` (a code; ``None``: the
    edition in the page's language, else the default) and queue its deliveries; its post is
    rendered under ``options`` (the settings' :meth:`~bot.config.Settings.post_options`).

    Raises :class:`EditionError` for an unknown ``edition``, :class:`FetchError`,
    :class:`PageParseError` or, when an article with the same link was already published,
    :class:`AlreadyPostedError` (nothing is sent twice).
    """
    if edition is not None:
        async with db.session() as session:
            await edition_named(session, edition)  # refused before anything is fetched
    draft, links = await read_page(fetcher, url, parser=parser)  # no transaction open meanwhile
    async with db.session() as session, session.begin():
        chosen = (
            await edition_named(session, edition)
            if edition is not None
            else await edition_for(session, draft)
        )
        return await publish_page(session, draft, links, edition=chosen, options=options)


async def edition_named(session: AsyncSession, code: str) -> EditionInfo:
    """The configured edition ``code``; :class:`EditionError` listing them if there is none."""
    editions = await load_editions(session)
    found = editions.get(code)
    if found is None or not found.configured:
        raise EditionError(code, [e.code for e in editions.configured])
    return found


async def edition_for(session: AsyncSession, draft: ArticleDraft) -> EditionInfo:
    """The edition a pushed page belongs to: the one in the page's language, else the
    default."""
    language = article_language(draft.title, draft.summary)
    return (await load_editions(session)).for_language(language)


async def publish_page(
    session: AsyncSession,
    draft: ArticleDraft,
    links: list[str],
    *,
    edition: EditionInfo | None = None,
    options: PostOptions | None = None,
) -> Pushed:
    """Store a pushed article and queue its deliveries, unless one of ``links`` went out."""
    already = await published_links(session, links)
    if already:
        link, article_id = next(iter(already.items()))
        raise AlreadyPostedError(link, article_id)
    draft = replace(draft, urls=tuple(links))  # the article is known by each of them
    stored = await store_drafts(
        session,
        [draft],
        source="push",
        feed_id=None,
        publish=True,
        options=options,
        edition_id=edition.id if edition else None,
    )
    if not stored.published:
        existing = await session.scalar(
            select(Article.id).where(Article.identity == identity("push", draft.key))
        )
        raise AlreadyPostedError(draft.link or draft.key, existing or 0)
    article = stored.published[0]
    deliveries = await enqueue(session, article)
    log.info(
        "article pushed article_id=%s link=%s deliveries=%d", article.id, article.link, deliveries
    )
    return Pushed(article, deliveries)
