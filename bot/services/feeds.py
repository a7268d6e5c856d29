"""Feeds: reading one (fetch + parse in a worker thread), adding, listing, removing, pausing.

Adding a feed reads it once and stores what it already holds as *seen*, so the channel is not
flooded with a feed's backlog; from then on only entries that appear later are published.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.editorial import Rules, parse_phrases
from bot.errors import (
    EditionError,
    ErrorKind,
    FeedExistsError,
    FeedNotFoundError,
    FeedParseError,
    FeedSettingError,
    FetchError,
)
from bot.feeds.discover import discover
from bot.feeds.fetch import Fetcher, FetchResult, check_url
from bot.feeds.opml import OpmlFeed
from bot.feeds.parse import ParsedFeed
from bot.feeds.workers import ParserPool
from bot.formatting.template import PostTemplate
from bot.links import redact_url
from bot.services.articles import store_drafts
from bot.services.editions import Editions, load_editions
from bot.storage.db import Database
from bot.storage.models import Article, Feed, RemovedFeed, Section, utcnow

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
#: Bounds of a feed's own interval, in seconds.
MIN_INTERVAL = 60
MAX_INTERVAL = 86400


@dataclass(frozen=True, slots=True)
class FeedRead:
    """One fetch of a feed: ``parsed`` is None when the server said "not modified"."""

    fetched: FetchResult
    parsed: ParsedFeed | None


async def read_feed(
    fetcher: Fetcher,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    parser: ParserPool | None = None,
) -> FeedRead:
    """Fetch ``url`` (conditionally) and parse it off the event loop: in ``parser``'s worker
    processes (bounded in time), else a thread."""
    fetched = await fetcher.fetch(url, etag=etag, last_modified=last_modified)
    if fetched.not_modified:
        return FeedRead(fetched, None)
    parsed = await (parser or ParserPool(workers=0)).parse(
        fetched.content, url=fetched.url, content_type=fetched.content_type
    )
    return FeedRead(fetched, parsed)


@dataclass(frozen=True, slots=True)
class FeedAdded:
    """A feed just added, how many of its entries were marked seen, and the page it was
    discovered from when the URL given was a site's page rather than a feed."""

    feed: Feed
    seen: int
    discovered_from: str | None = None


def _check_url(url: str) -> str:
    """``url`` (stripped) if it can be a feed's: what the fetcher accepts
    (:func:`bot.feeds.fetch.check_url`), with no spaces, in at most MAX_URL_LENGTH bytes;
    else FetchError."""
    url = url.strip()
    check_url(url)
    if " " in url:  # the fetcher would send %20; a stored feed URL is kept as it is sent
        raise FetchError(
            url,
            "a feed URL may not contain spaces or control characters",
            kind=ErrorKind.INVALID_URL,
        )
    if len(url.encode()) > MAX_URL_LENGTH:  # bytes: PostgreSQL indexes at most 2704 per row
        raise FetchError(
            url[:80] + "…",
            f"a feed URL may be at most {MAX_URL_LENGTH} bytes long",
            kind=ErrorKind.INVALID_URL,
        )
    return url


async def find_by_url(session: AsyncSession, url: str) -> Feed | None:
    """The feed with ``url``, if any."""
    return await session.scalar(select(Feed).where(Feed.url == url))


async def add_feed(
    db: Database,
    fetcher: Fetcher,
    url: str,
    *,
    parser: ParserPool | None = None,
    edition: str | None = None,
) -> FeedAdded:
    """Read ``url`` and store it as a feed of ``edition`` (a code; ``None``: the default
    edition), its current entries marked seen.

    Raises :class:`EditionError`, :class:`FeedExistsError`, :class:`FetchError` or
    :class:`FeedParseError`; nothing is stored then. No transaction is open while the feed is
    fetched.
    """
    url = _check_url(url)
    async with db.session() as session:
        existing = await find_by_url(session, url)
        editions = await load_editions(session)
    chosen = editions.get(edition) if edition is not None else editions.default
    if chosen is None or not chosen.configured:
        raise EditionError(edition or "", [e.code for e in editions.configured])
    if existing is not None:
        raise FeedExistsError(url, existing.id)
    page: str | None = None
    fetched: FetchResult | None
    try:
        read = await read_feed(fetcher, url, parser=parser)
    except FeedParseError as error:
        if error.kind != ErrorKind.NOT_A_FEED:
            raise
        # A site's page: the feed it links, or /feed, /rss…
        found = await discover(fetcher, url, parser=parser)
        page, url, fetched, parsed = url, _check_url(found.url), None, found.feed
        log.info("feed discovered page=%s url=%s", redact_url(page), redact_url(url))
    else:
        if read.parsed is None:  # a broken server or cache answered 304 to a plain GET
            raise FetchError(
                url,
                "the server answered 304 Not Modified to a plain request",
                kind=ErrorKind.HTTP_STATUS,
            )
        fetched, parsed = read.fetched, read.parsed
    async with db.writing() as session:
        existing = await find_by_url(session, url)
        if existing is not None:
            raise FeedExistsError(url, existing.id)
        await session.execute(delete(RemovedFeed).where(RemovedFeed.url == url))
        added = await _store_new_feed(session, url, fetched, parsed, chosen.id)
    return replace(added, discovered_from=page)


async def _store_new_feed(
    session: AsyncSession,
    url: str,
    fetched: FetchResult | None,
    parsed: ParsedFeed,
    edition_id: int,
) -> FeedAdded:
    now = utcnow()
    feed = Feed(
        url=url,
        title=parsed.title,
        active=True,
        primed=True,
        etag=fetched.etag if fetched else None,
        last_modified=fetched.last_modified if fetched else None,
        last_polled_at=now,
        last_success_at=now,
        error_count=0,
        edition_id=edition_id,
    )
    session.add(feed)
    await session.flush()
    stored = await store_drafts(
        session, parsed.entries, source=f"feed:{feed.id}", feed_id=feed.id, publish=False
    )
    log.info("feed added feed_id=%s url=%s seen=%d", feed.id, redact_url(url), stored.seen)
    return FeedAdded(feed, stored.seen)


async def ensure_feeds(
    session: AsyncSession,
    entries: Sequence[tuple[str | None, str]] | Sequence[str],
    editions: Editions | None = None,
) -> list[Feed]:
    """Make sure each URL of ``entries`` (FEEDS: (edition code or ``None``, URL) pairs, or plain
    URLs) is a feed; new ones are primed on first poll. A new feed belongs to the edition its
    entry names, else the default; an entry naming an edition moves an existing feed to it.

    A URL an operator removed with ``newsbot feeds remove`` is not brought back (it is logged);
    ``newsbot feeds add`` adds it again.
    """
    pairs = [(None, entry) if isinstance(entry, str) else entry for entry in entries]
    editions = editions or await load_editions(session)
    urls = [url for _, url in pairs]
    removed = {
        row.url: row
        for row in await session.scalars(select(RemovedFeed).where(RemovedFeed.url.in_(urls)))
    }
    feeds = []
    for code, url in pairs:
        if url in removed:
            if removed[url].moved_to is not None:
                log.info(
                    "feed in FEEDS moved permanently url=%s feed_id=%s (update FEEDS)",
                    redact_url(url),
                    removed[url].moved_to,
                )
            else:
                log.warning(
                    "feed in FEEDS was removed and is not added again url=%s "
                    "(newsbot feeds add URL brings it back)",
                    redact_url(url),
                )
            continue
        edition = editions.get(code) or editions.default
        feed = await find_by_url(session, url)
        if feed is None:
            feed = Feed(
                url=url,
                title="",
                active=True,
                primed=False,
                error_count=0,
                edition_id=edition.id,
            )
            session.add(feed)
            log.info("feed registered url=%s edition=%s", redact_url(url), edition.code)
        elif code is not None and feed.edition_id != edition.id:
            try:
                await _check_movable(session, feed)
            except FeedSettingError as exc:
                log.warning("feed not moved feed_id=%s edition=%s: %s", feed.id, edition.code, exc)
            else:
                feed.edition_id = edition.id
                log.info("feed moved feed_id=%s edition=%s", feed.id, edition.code)
        feeds.append(feed)
    await session.flush()
    return feeds


async def _check_movable(session: AsyncSession, feed: Feed) -> None:
    """A feed that is a section of its edition stays in it (its readers chose the section
    there): FeedSettingError naming the sections to remove first."""
    names = list(
        await session.execute(select(Section.id, Section.name).where(Section.feed_id == feed.id))
    )
    if names:
        listed = ", ".join(f"{section_id} ({name})" for section_id, name in names)
        raise FeedSettingError(
            f"feed {feed.id} is section {listed} of its edition; remove the section first "
            "(newsbot sections remove ID), then move the feed"
        )


@dataclass(frozen=True, slots=True)
class Imported:
    """What an OPML import did: the feeds added, and each URL skipped with why."""

    added: list[Feed]
    skipped: list[tuple[str, str]]


async def import_feeds(session: AsyncSession, entries: Sequence[OpmlFeed]) -> Imported:
    """Register the feeds of an OPML list (each is primed on its first poll: what it holds
    then is marked seen). A URL that is already a feed, or not a usable feed URL, is skipped
    with the reason; a URL removed before is added again, as asked."""
    added: list[Feed] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    default = (await load_editions(session)).default
    for entry in entries:
        try:
            url = _check_url(entry.xml_url)
        except FetchError as error:
            skipped.append((redact_url(entry.xml_url), error.reason))
            continue
        if url in seen:
            skipped.append((url, "listed twice in the file"))
            continue
        seen.add(url)
        existing = await find_by_url(session, url)
        if existing is not None:
            skipped.append((url, f"already feed {existing.id}"))
            continue
        await session.execute(delete(RemovedFeed).where(RemovedFeed.url == url))
        feed = Feed(
            url=url,
            title=entry.title or "",
            active=True,
            primed=False,
            error_count=0,
            edition_id=default.id,
        )
        session.add(feed)
        added.append(feed)
    await session.flush()
    log.info("feeds imported added=%d skipped=%d", len(added), len(skipped))
    return Imported(added, skipped)


async def export_feeds(session: AsyncSession) -> list[OpmlFeed]:
    """Every feed as an OPML entry (URL and title), by id."""
    feeds = await session.scalars(select(Feed).order_by(Feed.id))
    return [OpmlFeed(xml_url=feed.url, title=feed.title or feed.url) for feed in feeds]


async def list_feeds(session: AsyncSession) -> list[tuple[Feed, int]]:
    """Every feed with how many articles it has, by id (one query)."""
    rows = await session.execute(
        select(Feed, func.count(Article.id))
        .outerjoin(Article, Article.feed_id == Feed.id)
        .group_by(Feed.id)
        .order_by(Feed.id)
    )
    return [(feed, count) for feed, count in rows]


async def get_feed(session: AsyncSession, feed_id: int | str) -> Feed:
    """The feed with id ``feed_id`` (or that URL, given a URL); raises FeedNotFoundError."""
    if isinstance(feed_id, str) and not (feed_id.strip().isascii() and feed_id.strip().isdigit()):
        feed = await find_by_url(session, feed_id.strip())
        if feed is None:
            raise FeedNotFoundError(feed_id.strip())
        return feed
    number = int(feed_id)
    if not 0 < number < 2**31:  # no feed has such an id; the database would refuse to look
        raise FeedNotFoundError(number)
    found = await session.get(Feed, number)
    if found is None:
        raise FeedNotFoundError(number)
    return found


async def remove_feed(session: AsyncSession, feed_id: int | str) -> Feed:
    """Delete feed ``feed_id`` (an id or its URL); its articles and their deliveries stay for
    the record, and FEEDS does not bring its URL back on the next start."""
    feed = await get_feed(session, feed_id)
    await session.delete(feed)
    await session.merge(RemovedFeed(url=feed.url, removed_at=utcnow()))
    await session.flush()
    log.info("feed removed feed_id=%s url=%s", feed.id, redact_url(feed.url))
    return feed


async def set_active(session: AsyncSession, feed_id: int | str, active: bool) -> Feed:
    """Pause (``active=False``) or resume feed ``feed_id``; a resumed feed is polled at once,
    its failures forgotten."""
    feed = await get_feed(session, feed_id)
    feed.active = active
    feed.paused_reason = None if active else "editor"
    if active:
        feed.next_poll_at = None
        feed.error_count = 0
    await session.flush()
    return feed


async def configure_feed(
    session: AsyncSession,
    feed_id: int | str,
    *,
    interval: int | None = None,
    default_interval: bool = False,
    full_text: bool | None = None,
    template: str | None = None,
    clear_template: bool = False,
    edition: str | None = None,
    include: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    approve: bool | None = None,
) -> Feed:
    """Set feed ``feed_id``'s own poll interval (seconds; ``default_interval``: POLL_INTERVAL
    again), whether it reads each new article's page (teaser feeds), its own post
    ``template`` (``clear_template``: POST_TEMPLATE again), its ``edition`` (a code: its new
    articles go there), its editorial rules (``include``, ``exclude``: comma-separated words
    and phrases, see :mod:`bot.editorial`; ``""`` clears one) and whether each new article
    waits for an editor's approval (``approve``). A template is compiled and rules parsed
    first: a bad template raises :class:`~bot.errors.TemplateError`, a rule out of bounds
    :class:`~bot.errors.RuleError`, an unknown edition :class:`EditionError`, and nothing is
    changed."""
    if template is not None:
        PostTemplate.compile(template)
    included = parse_phrases(include, what="include") if include is not None else None
    excluded = parse_phrases(exclude, what="exclude") if exclude is not None else None
    feed = await get_feed(session, feed_id)
    if edition is not None:
        editions = await load_editions(session)
        chosen = editions.get(edition)
        if chosen is None or not chosen.configured:
            raise EditionError(edition, [e.code for e in editions.configured])
        if chosen.id != feed.edition_id:
            await _check_movable(session, feed)
        feed.edition_id = chosen.id
    if interval is not None:
        if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise FeedSettingError(
                f"the interval must be {MIN_INTERVAL}-{MAX_INTERVAL} seconds, not {interval}"
            )
        feed.interval = interval
        feed.next_poll_at = None
    if default_interval:
        feed.interval = None
        feed.next_poll_at = None
    if full_text is not None:
        feed.full_text = full_text
    if template is not None:
        feed.template = template
    elif clear_template:
        feed.template = None
    if included is not None:
        feed.include_words = included or None
    if excluded is not None:
        feed.exclude_words = excluded or None
    if approve is not None:
        feed.approve = approve
    if included is not None or excluded is not None or approve is not None:
        log.info(
            "feed rules set feed_id=%s include=%d exclude=%d approve=%s",
            feed.id,
            len(feed.include_words or ()),
            len(feed.exclude_words or ()),
            feed.approve,
        )
    await session.flush()
    return feed


async def set_approval(session: AsyncSession, feed_id: int | str, approve: bool) -> Feed:
    """Whether each new article of feed ``feed_id`` waits for an editor's approval."""
    return await configure_feed(session, feed_id, approve=approve)


def feed_rules(feed: Feed) -> Rules | None:
    """Feed ``feed``'s editorial rules as stored, or None when it has none."""
    return Rules.stored(feed.include_words, feed.exclude_words)
