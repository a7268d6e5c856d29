"""An editor's push: an article page by URL → a draft article with its post, and a send that an
editor publishes, schedules or cancels (:mod:`bot.services.sends`); the command line's push
publishes it at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.errors import EditionError, ErrorKind, FetchError, PageParseError
from bot.feeds.fetch import PAGE_ACCEPT, Fetcher
from bot.feeds.workers import ParserPool
from bot.formatting.post import PostOptions, article_language
from bot.pages import page_draft
from bot.services import sends
from bot.services.articles import (
    feed_layouts,
    identity,
    post_values,
    published_links,
    store_drafts,
)
from bot.services.editions import EditionInfo, load_editions
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus

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
        raise FetchError(url, "only http and https URLs can be pushed", kind=ErrorKind.INVALID_URL)
    fetched = await fetcher.fetch(url, accept=PAGE_ACCEPT)
    parser = parser or ParserPool(workers=0)
    draft = await parser.call(
        PageParseError, fetched.url, page_draft, fetched.content, fetched.content_type, fetched.url
    )
    return draft, sorted({link for link in (draft.link, url, fetched.url) if link})


@dataclass(frozen=True, slots=True)
class Drafted:
    """A pushed page stored as a draft article, and the send waiting for the editor."""

    article: Article
    send_id: int


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
    edition in the page's language, else the default) and publish it at once (the command
    line's push); its post is rendered under ``options`` (the settings'
    :meth:`~bot.config.Settings.post_options`).

    Raises :class:`EditionError` for an unknown ``edition``, :class:`FetchError`,
    :class:`PageParseError` or, when an article with the same link was already published,
    :class:`AlreadyPostedError` (nothing is sent twice).
    """
    drafted = await draft_push(
        db, fetcher, url, edition=edition, parser=parser, options=options, requested_by=None
    )
    async with db.writing() as session:
        deliveries = await sends.publish(session, drafted.send_id, by=sends.Decider(None))
        article = await session.get(Article, drafted.article.id)
        assert article is not None
    log.info(
        "article pushed article_id=%s link=%s deliveries=%d", article.id, article.link, deliveries
    )
    return Pushed(article, deliveries)


async def draft_push(
    db: Database,
    fetcher: Fetcher,
    url: str,
    *,
    edition: str | None = None,
    parser: ParserPool | None = None,
    options: PostOptions | None = None,
    requested_by: int | None,
    chat: int | None = None,
) -> Drafted:
    """Fetch the page at ``url`` and store it as a draft article of ``edition`` (as
    :func:`push_url` chooses it), with its post rendered and a send waiting for an editor's
    Publish, Schedule or Cancel (:mod:`bot.services.sends`). A page pushed before and never
    published is the same article, brought up to date.

    Raises as :func:`push_url` does; an article already published is refused before anything
    is stored.
    """
    if edition is not None:
        async with db.session() as session:
            await edition_named(session, edition)  # refused before anything is fetched
    draft, links = await read_page(fetcher, url, parser=parser)  # no transaction open meanwhile
    async with db.writing() as session:
        chosen = (
            await edition_named(session, edition)
            if edition is not None
            else await edition_for(session, draft)
        )
        article = await store_draft(session, draft, links, edition=chosen, options=options)
        send = await sends.open_draft(session, article.id, requested_by=requested_by, chat=chat)
        return Drafted(article, send.id)


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


async def store_draft(
    session: AsyncSession,
    draft: ArticleDraft,
    links: list[str],
    *,
    edition: EditionInfo,
    options: PostOptions | None = None,
) -> Article:
    """Store a pushed article as a draft (its post rendered), unless one of ``links`` went
    out; a draft of the same page stored before is rewritten from ``draft``."""
    already = await published_links(session, links)
    if already:
        link, article_id = next(iter(already.items()))
        raise await sends.already_posted(session, link, article_id)
    draft = replace(draft, urls=tuple(links))  # the article is known by each of them
    existing = await session.scalar(
        select(Article).where(Article.identity == identity("push", draft.key))
    )
    if existing is not None:
        if existing.status == ArticleStatus.PUBLISHED:
            raise await sends.already_posted(session, draft.link or draft.key, existing.id)
        await rewrite_draft(session, existing, draft, edition=edition, options=options)
        return existing
    stored = await store_drafts(
        session,
        [draft],
        source="push",
        feed_id=None,
        publish=True,
        options=options,
        edition_id=edition.id,
    )
    if not stored.published:  # its link or identity was taken meanwhile
        taken = await session.scalar(
            select(Article.id).where(Article.identity == identity("push", draft.key))
        )
        raise await sends.already_posted(session, draft.link or draft.key, taken or 0)
    article = stored.published[0]
    await session.execute(
        update(Article)
        .where(Article.id == article.id)
        .values(status=ArticleStatus.DRAFT, published_link=None)
    )
    await session.refresh(article)
    return article


async def rewrite_draft(
    session: AsyncSession,
    article: Article,
    draft: ArticleDraft,
    *,
    edition: EditionInfo,
    options: PostOptions | None = None,
) -> None:
    """Render ``draft`` as the post of the unpublished ``article``, in ``edition``; an article
    that went out meanwhile is left as it is (:class:`AlreadyPostedError`)."""
    layout = None
    if article.feed_id is not None:
        layout = (await feed_layouts(session, [article.feed_id])).get(article.feed_id)
    options = replace(options or PostOptions(), channel=edition.channel)
    values = post_values(
        draft,
        source="push" if article.feed_id is None else f"feed:{article.feed_id}",
        feed_id=article.feed_id,
        options=options,
        layout=layout,
        edition_id=edition.id,
    )
    for column in ("identity", "key", "origin", "created_at", "published_link", "published_at"):
        values.pop(column, None)
    values["status"] = ArticleStatus.DRAFT
    values["image_file_id"] = None
    result = await session.execute(
        update(Article)
        .where(Article.id == article.id, Article.status != ArticleStatus.PUBLISHED)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if (result.rowcount or 0) == 0:  # type: ignore[attr-defined]
        # Published meanwhile (another send of the same page): its post is what went out.
        raise await sends.already_posted(session, article.link or article.key, article.id)
    await session.refresh(article)


def draft_of(article: Article, *, summary: str | None = None) -> ArticleDraft:
    """The :class:`ArticleDraft` a stored article was made of (with a new ``summary``)."""
    return ArticleDraft(
        key=article.key,
        title=article.title,
        summary=article.summary if summary is None else summary,
        link=article.link,
        image=article.image,
        published=article.published_at,
        categories=tuple(article.categories or ()),
    )
