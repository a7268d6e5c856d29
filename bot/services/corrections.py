"""Corrections: a feed changed the title or summary of an article already published.

During a poll, the entries whose identity is stored are compared (one query per thousand) with
what was stored of them; a published article (status ``published``, or a channel post sent)
whose title or summary the source changed gets the new text, its posts rendered again as a new
article's are (:func:`bot.services.articles.render_posts`, in the style it went out in), and its
``revision`` raised by one. :mod:`jobs.corrections` then edits the messages that show an older
revision (``deliveries.revision``).

Guards: the drafts are compared as the parser made them, the form they were stored in, so an
unchanged entry never counts; one correction per article per poll; after
:data:`MAX_REVISIONS` an article's changes are ignored (a feed that flips its titles). A teaser
feed's summary is the page's text, and an approval feed's summary an editor may have rewritten:
from those only the title is taken.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.article import ArticleDraft
from bot.formatting.post import PostOptions, PostStyle
from bot.services.articles import (
    FeedLayout,
    StoreRequest,
    chunks,
    feed_layouts,
    identity,
    render_posts,
)
from bot.services.editions import load_editions
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Delivery, DeliveryStatus, Feed

log = logging.getLogger(__name__)

#: Corrections one article takes at most; later changes are ignored.
MAX_REVISIONS = 20


@dataclass(frozen=True, slots=True)
class _Known:
    """What is stored of a published article an entry of this poll names."""

    id: int
    feed_id: int
    title: str
    summary: str
    revision: int
    link: str | None
    image: str | None
    style: str | None
    categories: tuple[str, ...]
    published: Any
    edition_id: int | None
    #: the stored summary is the entry's own (not a teaser feed's page, not an approval feed's).
    summary_is_entry: bool


def _published() -> Any:
    sent_post = exists().where(
        Delivery.article_id == Article.id,
        Delivery.kind == "channel",
        Delivery.status == DeliveryStatus.SENT,
    )
    return or_(Article.status == ArticleStatus.PUBLISHED, sent_post)


async def _known(session: AsyncSession, identities: Sequence[str]) -> dict[str, _Known]:
    found: dict[str, _Known] = {}
    for chunk in chunks(identities):
        rows = await session.execute(
            select(
                Article.identity,
                Article.id,
                Article.feed_id,
                Article.title,
                Article.summary,
                Article.revision,
                Article.link,
                Article.image,
                Article.post_style,
                Article.categories,
                Article.published_at,
                Article.edition_id,
                Feed.full_text,
                Feed.approve,
            )
            .join(Feed, Feed.id == Article.feed_id)
            .where(Article.identity.in_(chunk), _published())
        )
        for row in rows:
            found[row[0]] = _Known(
                id=row[1],
                feed_id=row[2] or 0,  # joined with its feed: never None
                title=row[3],
                summary=row[4] or "",
                revision=row[5] or 0,
                link=row[6],
                image=row[7],
                style=row[8],
                categories=tuple(row[9] or ()),
                published=row[10],
                edition_id=row[11],
                summary_is_entry=not (row[12] or row[13]),
            )
    return found


def _style(known: _Known) -> PostStyle:
    """The style the article's posts went out in (see :mod:`bot.posting`)."""
    if known.style in ("photo", "preview", "text"):
        return cast(PostStyle, known.style)
    return "photo" if known.image else "preview"


async def correct_many(
    session: AsyncSession,
    requests: Sequence[StoreRequest],
    *,
    options: PostOptions | None = None,
) -> list[tuple[int, int]]:
    """Apply the corrections the feeds' entries in ``requests`` bring to published articles
    (see the module docstring); the (article id, feed id) of each article corrected."""
    drafts: dict[str, ArticleDraft] = {}
    for request in requests:
        if request.feed_id is None:
            continue
        for draft in request.drafts:  # the first of an identity, as store_many takes it
            drafts.setdefault(identity(request.source, draft.key), draft)
    if not drafts:
        return []
    known = await _known(session, list(drafts))
    changes: list[tuple[_Known, ArticleDraft]] = []
    for ident, stored in known.items():
        draft = drafts[ident]
        summary = draft.summary if stored.summary_is_entry else stored.summary
        if (draft.title, summary) == (stored.title, stored.summary):
            continue
        if stored.revision >= MAX_REVISIONS:
            continue  # logged once, when it reached the cap
        changes.append((stored, replace(draft, summary=summary)))
    if not changes:
        return []
    options = options or PostOptions()
    layouts = await feed_layouts(session, [stored.feed_id for stored, _ in changes])
    editions = await load_editions(session)
    rows = []
    for stored, entry in changes:
        edition = editions.by_id.get(stored.edition_id or 0) or editions.default
        draft = ArticleDraft(
            key="",
            title=entry.title,
            summary=entry.summary,
            link=stored.link,
            image=stored.image,
            published=stored.published,
            categories=stored.categories,
        )
        post, dm_html = render_posts(
            draft,
            replace(options, style=_style(stored), channel=edition.channel),
            layouts.get(stored.feed_id, FeedLayout()),
        )
        rows.append(
            {
                "id_": stored.id,
                "old_revision": stored.revision,
                "v_title": entry.title,
                "v_summary": entry.summary,
                "v_post_html": post.html,
                "v_post_dm_html": dm_html,
                "v_revision": stored.revision + 1,
            }
        )
    table = cast(Table, Article.__table__)
    statement = (
        update(table)
        .where(and_(table.c.id == bindparam("id_"), table.c.revision == bindparam("old_revision")))
        .values(
            title=bindparam("v_title"),
            summary=bindparam("v_summary"),
            post_html=bindparam("v_post_html"),
            post_dm_html=bindparam("v_post_dm_html"),
            revision=bindparam("v_revision"),
        )
    )
    await session.execute(statement, rows)
    for stored, entry in changes:
        revision = stored.revision + 1
        log.info(
            "article corrected article_id=%s feed_id=%s revision=%d title=%s summary=%s",
            stored.id,
            stored.feed_id,
            revision,
            entry.title != stored.title,
            entry.summary != stored.summary,
        )
        if revision >= MAX_REVISIONS:
            log.warning(
                "article corrected too often article_id=%s feed_id=%s revision=%d; later "
                "changes are ignored",
                stored.id,
                stored.feed_id,
                revision,
            )
    return [(stored.id, stored.feed_id) for stored, _ in changes]


# -- the messages to edit (jobs.corrections) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stale:
    """A sent message showing an older revision of its article."""

    id: int
    chat: str
    message_id: int
    kind: str
    revision: int
    target: int
    html: str
    style: str


async def stale(db: Database, kinds: list[str], limit: int) -> list[Stale]:
    """Up to ``limit`` sent messages of ``kinds`` showing an older revision of their article,
    each with the HTML its chat gets (a reader's: ``post_dm_html``, else ``post_html``)."""
    async with db.session() as session:
        rows = await session.execute(
            select(
                Delivery.id,
                Delivery.chat,
                Delivery.message_id,
                Delivery.kind,
                Delivery.revision,
                Article.revision,
                Article.post_html,
                Article.post_dm_html,
                Article.post_style,
                Article.image,
            )
            .join(Article, Article.id == Delivery.article_id)
            .where(
                Delivery.status == DeliveryStatus.SENT,
                Delivery.message_id.is_not(None),
                Delivery.kind.in_(kinds),
                Delivery.revision < Article.revision,
                Article.post_html.is_not(None),
            )
            .order_by(Delivery.id)
            .limit(limit)
        )
        found = []
        for did, chat, message_id, kind, shown, target, html, dm_html, style, image in rows:
            text = (dm_html or html) if kind == "reader" else html
            if message_id is None or text is None:  # excluded by the query
                continue
            found.append(
                Stale(
                    did,
                    chat,
                    message_id,
                    kind,
                    shown or 0,
                    target,
                    text,
                    style or ("photo" if image else "preview"),
                )
            )
        return found


async def claim(db: Database, row: Stale) -> bool:
    """Take ``row``'s edit to its article's revision: True for one process only."""
    async with db.writing() as session:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.revision < row.target)
            .values(revision=row.target)
            .execution_options(synchronize_session=False)
        )
        return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def release(db: Database, row: Stale) -> None:
    """Put a claim back: the message is edited at a later run."""
    async with db.writing() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.revision == row.target)
            .values(revision=row.revision)
            .execution_options(synchronize_session=False)
        )
