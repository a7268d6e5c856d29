"""An editor's push: an article page by URL → the same store-and-publish flow as a feed entry."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import AlreadyPostedError, FetchError
from bot.pages import decode_html, page_to_draft, parse_page
from bot.services.articles import enqueue, identity, published_links, store_drafts
from bot.storage.models import Article
from jobs.feeds.fetch import PAGE_ACCEPT, Fetcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pushed:
    """A pushed article and how many deliveries were queued for it."""

    article: Article
    deliveries: int


async def push_url(
    session: AsyncSession, fetcher: Fetcher, url: str, *, channel: str | None
) -> Pushed:
    """Fetch the page at ``url``, store it as an article and queue its deliveries.

    Raises :class:`FetchError`, :class:`PageParseError` or, when an article with the same
    canonical link was already published, :class:`AlreadyPostedError` (nothing is sent twice).
    """
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise FetchError(url, "only http and https URLs can be pushed")
    fetched = await fetcher.fetch(url, accept=PAGE_ACCEPT)
    meta = parse_page(decode_html(fetched.content, fetched.content_type), fetched.url)
    draft = page_to_draft(meta)
    links = [link for link in {draft.link, url, fetched.url} if link]
    already = await published_links(session, links)
    if already:
        link, article_id = next(iter(already.items()))
        raise AlreadyPostedError(link, article_id)
    stored = await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
    if not stored.published:
        existing = await session.scalar(
            select(Article.id).where(Article.identity == identity("push", draft.key))
        )
        raise AlreadyPostedError(draft.link or url, existing or 0)
    article = stored.published[0]
    deliveries = await enqueue(session, article, channel)
    log.info("article pushed article_id=%s url=%s deliveries=%d", article.id, url, deliveries)
    return Pushed(article, deliveries)
