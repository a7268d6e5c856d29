"""Storing articles exactly once and publishing them through the outbox.

An article's identity is a hash of its source (a feed id, or "push") and its entry key, kept in
a unique column: storing the same entry twice is impossible, whatever the caller does.
Publishing renders the post once (every chat gets the same); :mod:`bot.services.routing` then
queues one delivery row per target chat. The post is rendered by
:func:`bot.formatting.post.render_article` under the settings' :class:`PostOptions` and the
feed's own template and title; with UTM parameters on, readers' chats get a second rendering
(``post_dm_html``, campaign ``dm``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.editorial import Rules
from bot.errors import TemplateError
from bot.formatting.post import Post, PostOptions, article_language, render_article
from bot.formatting.template import PostTemplate
from bot.formatting.utm import DM_CAMPAIGN
from bot.links import link_key
from bot.services.editions import Editions, load_editions
from bot.storage.models import (
    Article,
    ArticleStatus,
    ArticleURL,
    Base,
    Feed,
    utcnow,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The most articles one poll publishes from a feed none of whose entries was known before
#: (it renumbered its guids and moved its links, or newsbot was away for longer than the feed
#: is long); the older rest are only marked seen, so such a feed cannot flood the channel. A
#: feed that still lists something known publishes every new entry.
MAX_NEW_PER_POLL = 10
#: The most articles one poll publishes from any feed (the older rest are marked seen).
MAX_BURST = 100
#: Values per ``IN (…)`` query: PostgreSQL takes at most 32767 parameters in one statement.
IN_CHUNK = 1000


def identity(source: str, key: str) -> str:
    """The stored identity of entry ``key`` from ``source`` (``feed:<id>`` or ``push``)."""
    return hashlib.sha256(f"{source}\n{key}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a batch of drafts did."""

    published: list[Article]
    seen: int


def chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def known_identities(session: AsyncSession, identities: Sequence[str]) -> set[str]:
    """Which of ``identities`` are already stored (one query per thousand)."""
    known: set[str] = set()
    for chunk in chunks(identities):
        known.update(
            await session.scalars(select(Article.identity).where(Article.identity.in_(chunk)))
        )
    return known


async def url_owners(session: AsyncSession, keys: Sequence[str]) -> dict[str, _Owner]:
    """For each of the URL ``keys`` (:func:`link_key`) some article was seen under: that
    article's id, feed and status (one query per thousand)."""
    found: dict[str, _Owner] = {}
    for chunk in chunks(sorted(set(keys))):
        rows = await session.execute(
            select(ArticleURL.url_key, Article.id, Article.feed_id, Article.status)
            .join(Article, Article.id == ArticleURL.article_id)
            .where(ArticleURL.url_key.in_(chunk))
        )
        for key, article_id, feed_id, status in rows:
            found[key] = _Owner(article_id, feed_id, status)
    return found


@dataclass(frozen=True, slots=True)
class _Owner:
    """The article a URL belongs to."""

    article_id: int
    feed_id: int | None
    status: str


def _url_keys(draft: ArticleDraft) -> dict[str, str]:
    """The link key of every URL ``draft`` is known by, with the URL."""
    return {key: url for url in draft.known_urls() if (key := link_key(url))}


async def _listed_links(session: AsyncSession, keys: Sequence[str]) -> set[tuple[str, int]]:
    """Which feeds listed each of the link ``keys``: (link key, feed id) pairs."""
    found: set[tuple[str, int]] = set()
    for chunk in chunks(sorted(set(keys))):
        rows = await session.execute(
            select(Article.link_key, Article.feed_id).where(
                Article.link_key.in_(chunk), Article.feed_id.is_not(None)
            )
        )
        found.update((key, feed_id) for key, feed_id in rows if key and feed_id is not None)
    return found


async def published_links(session: AsyncSession, links: Sequence[str | None]) -> dict[str, int]:
    """Which of ``links`` (compared in canonical form) a published article is known by, and
    its id."""
    keys = {key: link for link in links if link and (key := link_key(link))}
    owners = await url_owners(session, list(keys))
    found = {
        keys[key]: owner.article_id
        for key, owner in owners.items()
        if owner.status == ArticleStatus.PUBLISHED
    }
    for chunk in chunks([key for key in keys if keys[key] not in found]):
        rows = await session.execute(
            select(Article.published_link, Article.id).where(Article.published_link.in_(chunk))
        )
        found.update({keys[key]: article_id for key, article_id in rows if key is not None})
    return found


@dataclass(frozen=True, slots=True)
class FeedLayout:
    """What a feed brings to its posts: its title (the ``feed`` and, for now, ``section``
    fields) and its own template, if any."""

    title: str = ""
    template: PostTemplate | None = None
    edition_id: int | None = None
    #: the feed's editorial rules (include and exclude words); None: none.
    rules: Rules | None = None


def _render(
    draft: ArticleDraft, options: PostOptions, layout: FeedLayout, *, campaign: str | None
) -> Post:
    return render_article(
        draft,
        options,
        campaign=campaign,
        feed=layout.title,
        section=layout.title,
        template=layout.template,
    )


def render_posts(
    draft: ArticleDraft, options: PostOptions, layout: FeedLayout
) -> tuple[Post, str | None]:
    """The channel's post of ``draft`` and the readers' HTML (``post_dm_html``) when it
    differs: with UTM parameters on, readers' chats have a campaign of their own."""
    post = _render(draft, options, layout, campaign=None)
    dm_html = None
    if options.utm_source:
        dm_html = _render(draft, options, layout, campaign=DM_CAMPAIGN).html
        dm_html = dm_html if dm_html != post.html else None
    return post, dm_html


def _row(
    draft: ArticleDraft,
    *,
    source: str,
    feed_id: int | None,
    published: bool,
    options: PostOptions | None = None,
    layout: FeedLayout | None = None,
    edition_id: int | None = None,
) -> dict[str, Any]:
    # Only a published article is ever sent, so only its post is rendered.
    options = options or PostOptions()
    layout = layout or FeedLayout()
    post = dm_html = None
    if published:
        post, dm_html = render_posts(draft, options, layout)
    return {
        "feed_id": feed_id,
        "identity": identity(source, draft.key),
        "key": draft.key,
        "origin": "push" if feed_id is None else "feed",
        "status": ArticleStatus.PUBLISHED if published else ArticleStatus.SEEN,
        "title": draft.title,
        "summary": draft.summary,
        "link": draft.link,
        "link_key": link_key(draft.link),
        "published_link": link_key(draft.link) if published else None,
        "image": post.image if post else draft.image,
        "post_html": post.html if post else None,
        "post_dm_html": dm_html,
        "post_style": post.style if post else None,
        "categories": list(draft.categories) or None,
        "language": post.language if post else article_language(draft.title, draft.summary),
        "edition_id": edition_id,
        "published_at": draft.published,
        "created_at": utcnow(),
    }


#: (feed id, template) pairs whose stored template no longer compiles, logged once each.
_BAD_TEMPLATES: set[tuple[int, str]] = set()


async def feed_layouts(session: AsyncSession, feed_ids: Sequence[int]) -> dict[int, FeedLayout]:
    """Each feed's title and compiled own template (one query per thousand feeds).

    A stored template that does not compile (saved before a rule was added) is logged once and
    left out: the global template, else newsbot's layout, is used.
    """
    layouts: dict[int, FeedLayout] = {}
    for chunk in chunks(sorted(set(feed_ids))):
        rows = await session.execute(
            select(
                Feed.id,
                Feed.title,
                Feed.template,
                Feed.edition_id,
                Feed.include_words,
                Feed.exclude_words,
            ).where(Feed.id.in_(chunk))
        )
        for feed_id, title, source, edition_id, include, exclude in rows:
            template = None
            if source:
                try:
                    template = PostTemplate.compile(source)
                except TemplateError as exc:
                    if (feed_id, source) not in _BAD_TEMPLATES:
                        _BAD_TEMPLATES.add((feed_id, source))
                        log.warning(
                            "feed template refused feed_id=%s error=%r; the global layout is used",
                            feed_id,
                            str(exc),
                        )
            rules = Rules.stored(include, exclude)
            layouts[feed_id] = FeedLayout(title or "", template, edition_id, rules)
    return layouts


def _kept_out(layouts: dict[int, FeedLayout], feed_id: int | None, draft: ArticleDraft) -> bool:
    """Whether feed ``feed_id``'s editorial rules keep ``draft`` out (it is stored as seen)."""
    layout = layouts.get(feed_id) if feed_id is not None else None
    if layout is None or layout.rules is None:
        return False
    rule = layout.rules.keeps_out(draft.title, draft.summary, draft.categories)
    if rule is not None:
        log.info("article kept out by the feed's rules feed_id=%s rule=%s", feed_id, rule)
    return rule is not None


def insert_ignoring_duplicates(session: AsyncSession, model: type[Base] = Article) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``model``'s table, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def _chronological(drafts: list[ArticleDraft]) -> list[ArticleDraft]:
    """Oldest first: by publication date when every draft has one, else feed order reversed."""
    if drafts and all(d.published for d in drafts):
        return sorted(drafts, key=lambda d: d.published or utcnow())
    return drafts[::-1]


@dataclass(frozen=True, slots=True)
class StoreRequest:
    """One source's drafts to store: a feed's entries (``feed:<id>``) or a push."""

    drafts: Sequence[ArticleDraft]
    source: str
    feed_id: int | None
    publish: bool
    #: the edition of a push (a feed's articles are its feed's edition's); ``None``: default.
    edition_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredIds:
    """What storing one source's drafts did: the ids published (oldest first), how many seen."""

    published: list[int]
    seen: int


async def store_drafts(
    session: AsyncSession,
    drafts: Sequence[ArticleDraft],
    *,
    source: str,
    feed_id: int | None,
    publish: bool,
    options: PostOptions | None = None,
    edition_id: int | None = None,
) -> Stored:
    """Store the drafts not stored before; publish them, oldest first, when ``publish``.

    :func:`store_many` for one source, with the published articles loaded.
    """
    [stored] = await store_many(
        session, [StoreRequest(drafts, source, feed_id, publish, edition_id)], options=options
    )
    published = (
        list(
            await session.scalars(
                select(Article).where(Article.id.in_(stored.published)).order_by(Article.id)
            )
        )
        if stored.published
        else []
    )
    return Stored(published=published, seen=stored.seen)


async def store_many(
    session: AsyncSession,
    requests: Sequence[StoreRequest],
    *,
    options: PostOptions | None = None,
) -> list[StoredIds]:
    """Store the drafts of several sources at once (a few statements for all of them).

    Published articles' posts are rendered under ``options`` (the settings' POST_STYLE,
    HASHTAGS_MAX, UTM_SOURCE, POST_TEMPLATE; None: the defaults), each with its feed's title and
    own template (:class:`FeedLayout`).

    Each request's ``drafts`` are in feed order (newest first, as feeds list them). A draft is
    new unless its identity is stored, or one of its URLs (link, guid, the URLs a push was
    known by) belongs to an article this feed listed before (a guid changed) or to any
    published article; a draft known only by a URL is stored as seen. With ``publish=False``
    (a feed's backlog when it is added) every new draft is only marked seen. Otherwise every
    new draft is published (the newest :data:`MAX_BURST` at most), except when none of the
    feed's drafts was known: then only the newest :data:`MAX_NEW_PER_POLL`; a draft its feed's
    editorial rules keep out (:mod:`bot.editorial`) is stored as seen. The unique indexes
    on identity and published link keep an article from being published twice, by two feeds
    in one batch or by concurrent pollers (several processes on PostgreSQL): the one that
    comes second is stored as seen.
    """
    uniques = []
    for request in requests:
        unique: dict[str, ArticleDraft] = {}
        for draft in request.drafts:
            unique.setdefault(identity(request.source, draft.key), draft)
        uniques.append(unique)
    known = await known_identities(session, [ident for unique in uniques for ident in unique])
    unknowns = [
        {ident: d for ident, d in unique.items() if ident not in known} for unique in uniques
    ]
    owners = await url_owners(
        session, [key for unknown in unknowns for d in unknown.values() for key in _url_keys(d)]
    )
    # A URL's owner is the first article seen under it; a feed that listed the link later (a
    # second section feed) knows it too, by its own articles' links.
    listed = await _listed_links(
        session,
        [key for unknown in unknowns for d in unknown.values() if (key := link_key(d.link))],
    )
    layouts = await feed_layouts(session, [r.feed_id for r in requests if r.feed_id is not None])
    claimed: set[str] = set()  # URLs of the drafts this batch publishes, in order

    plans: list[tuple[StoreRequest, list[ArticleDraft], list[ArticleDraft]]] = []
    for request, unique, unknown in zip(requests, uniques, unknowns, strict=True):

        def known_elsewhere(draft: ArticleDraft, feed_id: int | None = request.feed_id) -> bool:
            """Whether a URL of the draft is an article of this feed's or a published one."""
            if feed_id is not None and (link_key(draft.link), feed_id) in listed:
                return True
            return any(
                (owner := owners.get(key)) is not None
                and (
                    owner.status == ArticleStatus.PUBLISHED
                    or (feed_id is not None and owner.feed_id == feed_id)
                )
                for key in _url_keys(draft)
            )

        relinked = [d for d in unknown.values() if known_elsewhere(d)]
        fresh = _chronological([d for d in unknown.values() if not known_elsewhere(d)])
        limit = MAX_NEW_PER_POLL if len(fresh) == len(unique) else MAX_BURST
        to_publish = []
        for draft in fresh[-limit:] if request.publish else []:
            if _kept_out(layouts, request.feed_id, draft):  # stored as seen
                continue
            keys = set(_url_keys(draft))
            if keys & claimed:  # another draft of this batch is the same article
                continue
            claimed.update(keys)
            to_publish.append(draft)
        if request.publish and len(fresh) > limit:
            log.warning(
                "too many new articles feed_id=%s new=%d published=%d; the older ones are only "
                "marked seen",
                request.feed_id,
                len(fresh),
                len(to_publish),
            )
        publishing = {id(d) for d in to_publish}
        plans.append(
            (request, to_publish, relinked + [d for d in fresh if id(d) not in publishing])
        )

    editions = await load_editions(session)
    published_ids = await _insert(
        session,
        [(r, d) for r, to_publish, _ in plans for d in to_publish],
        publish=True,
        options=options,
        layouts=layouts,
        editions=editions,
    )
    # A draft whose link or identity another source (in this batch, or a concurrent poller)
    # took first is kept as seen.
    seen_lists = [
        seen + [d for d in to_publish if identity(r.source, d.key) not in published_ids]
        for r, to_publish, seen in plans
    ]
    seen_ids = await _insert(
        session,
        [(r, d) for (r, _, _), seen in zip(plans, seen_lists, strict=True) for d in seen],
        publish=False,
        layouts=layouts,
        editions=editions,
    )
    ids = published_ids | seen_ids
    await _remember_urls(
        session,
        [
            (d, ids.get(identity(r.source, d.key)))
            for (r, to_publish, _), seen in zip(plans, seen_lists, strict=True)
            for d in to_publish + seen
        ],
    )
    results = []
    for (r, to_publish, _), unknown in zip(plans, unknowns, strict=True):
        published = [
            published_ids[ident]
            for d in to_publish
            if (ident := identity(r.source, d.key)) in published_ids
        ]
        results.append(StoredIds(published=published, seen=len(unknown) - len(published)))
    return results


async def _insert(
    session: AsyncSession,
    drafts: Sequence[tuple[StoreRequest, ArticleDraft]],
    *,
    publish: bool,
    options: PostOptions | None = None,
    layouts: dict[int, FeedLayout] | None = None,
    editions: Editions | None = None,
) -> dict[str, int]:
    """Insert ``drafts`` (one executemany, which SQLAlchemy sends as multi-row INSERTs),
    skipping any whose identity or published link is taken; return the identity → id of
    those inserted. Each article is its feed's edition's (a push: its request's; else the
    default edition's), and its post names that edition's channel (UTM campaign)."""
    if not drafts:
        return {}
    layouts = layouts or {}
    options = options or PostOptions()
    rows = []
    for request, d in drafts:
        layout = layouts.get(request.feed_id) if request.feed_id is not None else None
        edition_id = (layout.edition_id if layout else None) or request.edition_id
        edition = None
        if editions is not None:
            edition = (editions.by_id.get(edition_id) if edition_id else None) or editions.default
        rows.append(
            _row(
                d,
                source=request.source,
                feed_id=request.feed_id,
                published=publish,
                options=replace(options, channel=edition.channel) if edition else options,
                layout=layout,
                edition_id=edition.id if edition else edition_id,
            )
        )
    statement = insert_ignoring_duplicates(session).returning(Article.identity, Article.id)
    result = await session.execute(statement, rows)
    return {ident: article_id for ident, article_id in result}


async def _remember_urls(
    session: AsyncSession, drafts: Sequence[tuple[ArticleDraft, int | None]]
) -> None:
    """Record every URL of each stored draft as its article's, unless another article has it."""
    rows = [
        {"url_key": key, "article_id": article_id, "url": url}
        for draft, article_id in drafts
        if article_id is not None
        for key, url in _url_keys(draft).items()
    ]
    if not rows:
        return
    unique = list({row["url_key"]: row for row in reversed(rows)}.values())[::-1]
    await session.execute(insert_ignoring_duplicates(session, ArticleURL), unique)


async def latest(
    session: AsyncSession, limit: int = 5, edition_ids: Sequence[int] | None = None
) -> list[Article]:
    """The last ``limit`` published articles (of ``edition_ids`` only, if given), newest first
    (for /latest)."""
    query = select(Article).where(Article.status == ArticleStatus.PUBLISHED)
    if edition_ids is not None:
        query = query.where(Article.edition_id.in_(list(edition_ids)))
    rows = await session.scalars(
        query.order_by(Article.created_at.desc(), Article.id.desc()).limit(limit)
    )
    return list(rows)


def post_values(
    draft: ArticleDraft,
    *,
    source: str,
    feed_id: int | None,
    options: PostOptions | None = None,
    layout: FeedLayout | None = None,
    edition_id: int | None = None,
) -> dict[str, Any]:
    """An article's columns for ``draft`` with its post rendered (``_row`` of a published
    one): what a draft's new summary or edition rewrites."""
    return _row(
        draft,
        source=source,
        feed_id=feed_id,
        published=True,
        options=options,
        layout=layout,
        edition_id=edition_id,
    )
