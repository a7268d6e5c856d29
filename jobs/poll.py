"""Polling: claim due feeds → fetch many at once → parse in worker processes → store in batches.

:class:`Poller` is what the JobQueue runs every few seconds (``poll_due``) and what an explicit
"poll now" runs (``poll_all``). One feed's refresh follows miniflux's RefreshFeed: fetch
(conditional GET) → not modified? → parse → store what is new → queue its deliveries → update
the feed's row, which carries its own state: validators, its own interval and next poll time,
its health (consecutive failures, the last error's kind, message and time).

How a cycle stays fast and safe:

- *claim*: one ``UPDATE … RETURNING`` moves each due feed's next poll time a lease ahead, so a
  second process (or an overlapping cycle) does not poll it too, and a crash only delays it;
- *read*: up to ``concurrency`` fetches in flight (the fetcher allows 2 per host); bodies are
  parsed in a pool of processes, so parsing uses every core and not the event loop's;
- *write*: one writer per cycle takes whatever results are ready and stores them in one
  transaction (``Database.writing``, which queues writers instead of failing on SQLite's lock),
  articles and deliveries in a few multi-row statements; a batch that fails is retried feed by
  feed, so one bad feed costs only its own poll.

A feed that fails ``pause_after`` times in a row is paused (``paused_reason='failures'``); the
result says so once, and the caller tells the editors.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.article import ArticleDraft
from bot.errors import ErrorKind, FetchError, HTTPStatusError, ParseError, error_kind
from bot.feeds.fetch import Fetcher, FetchResult
from bot.feeds.fulltext import ArticlePage
from bot.feeds.parse import ParsedFeed
from bot.feeds.schedule import next_after_failure, next_after_success
from bot.feeds.workers import ParserPool
from bot.formatting.post import PostOptions
from bot.links import redact_url
from bot.quiet_hours import QuietHours
from bot.services import sends
from bot.services.articles import StoreRequest, identity, known_identities, store_many
from bot.services.corrections import correct_many
from bot.services.feeds import read_feed
from bot.services.routing import delivery_counts, enqueue_many
from bot.storage.db import Database
from bot.storage.models import Feed, RemovedFeed, utcnow

log = logging.getLogger(__name__)

#: Feed results stored in one transaction at most.
WRITE_BATCH = 100
#: A claimed feed is not due again for this long unless its poll records a time first.
LEASE = timedelta(minutes=10)
#: Pages fetched for a teaser feed's new entries in one poll, at most.
FULL_TEXT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class PollOptions:
    """How the poller works: ``interval`` is POLL_INTERVAL, the default of every feed;
    ``post`` how published articles become posts (the settings' ``post_options()``)."""

    interval: int = 300
    concurrency: int = 32
    pause_after: int = 10
    post: PostOptions = field(default_factory=PostOptions)
    #: QUIET_HOURS in TIMEZONE: a feed's channel posts then go out without a sound.
    quiet: QuietHours | None = None
    zone: ZoneInfo | None = None


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll of one feed did; ``paused`` is True for the poll that paused it."""

    feed_id: int
    published: int = 0
    seen: int = 0
    deliveries: int = 0
    not_modified: bool = False
    error: str | None = None
    error_kind: str | None = None
    paused: bool = False
    url: str = ""
    failures: int = 0
    #: the sends of new articles of a feed in approval mode, waiting for an editor.
    awaiting: tuple[int, ...] = ()
    #: published articles whose title or summary the feed changed (their posts get edited).
    corrected: int = 0


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A feed's row as claimed for one poll."""

    id: int
    url: str
    title: str
    etag: str | None
    last_modified: str | None
    primed: bool
    interval: int | None
    full_text: bool
    error_count: int


@dataclass(slots=True)
class _Outcome:
    """What reading one claimed feed gave, to be written."""

    feed: _Claimed
    started: datetime
    fetched: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: BaseException | None = None
    retry_after: float | None = None
    #: the pages of a teaser feed's new entries (their text and picture), by entry key.
    pages: dict[str, ArticlePage] = field(default_factory=dict)


_CLAIMED_COLUMNS = (
    Feed.id,
    Feed.url,
    Feed.title,
    Feed.etag,
    Feed.last_modified,
    Feed.primed,
    Feed.interval,
    Feed.full_text,
    Feed.error_count,
)


class Poller:
    """Polls feeds with the guarantees in this module's docstring."""

    def __init__(
        self,
        db: Database,
        fetcher: Fetcher,
        options: PollOptions | None = None,
        *,
        parser: ParserPool | None = None,
        rng: Callable[[], float] = random.random,
        full_text: Callable[[Fetcher, str], Awaitable[ArticlePage]] | None = None,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.options = options or PollOptions()
        self.parser = parser or ParserPool(workers=0)
        self.rng = rng
        self._full_text = full_text

    async def poll_due(self) -> list[PollResult]:
        """Poll every active feed whose next poll time has come (or was never set)."""
        now = utcnow()
        due = or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now)
        return await self._run(await self._claim(and_(Feed.active.is_(True), due)))

    async def poll_all(self) -> list[PollResult]:
        """Poll every active feed now, whatever its schedule."""
        return await self._run(await self._claim(Feed.active.is_(True)))

    async def poll_feed(self, feed_id: int) -> PollResult:
        """Poll feed ``feed_id`` now, whatever its schedule or state."""
        results = await self._run(await self._claim(Feed.id == feed_id))
        return results[0] if results else PollResult(feed_id, error="feed was removed")

    async def _claim(self, condition: ColumnElement[bool]) -> list[_Claimed]:
        """Move the matching feeds' next poll a lease ahead and return them, in one statement."""
        async with self.db.writing() as session:
            rows = await session.execute(
                update(Feed)
                .where(condition)
                .values(next_poll_at=utcnow() + LEASE)
                .returning(*_CLAIMED_COLUMNS)
            )
            return sorted((_Claimed(*row) for row in rows), key=lambda feed: feed.id)

    async def _run(self, feeds: Sequence[_Claimed]) -> list[PollResult]:
        """Read ``feeds`` ``concurrency`` at a time while one writer stores what comes back."""
        if not feeds:
            return []
        started = utcnow()
        queue: asyncio.Queue[_Outcome | None] = asyncio.Queue()
        limit = asyncio.Semaphore(self.options.concurrency)

        async def read(feed: _Claimed) -> None:
            async with limit:
                outcome = await self._read(feed)
            await queue.put(outcome)

        async def read_all() -> None:
            try:
                await asyncio.gather(*(read(feed) for feed in feeds))
            finally:
                await queue.put(None)

        reader = asyncio.create_task(read_all())
        results: list[PollResult] = []
        try:
            done = False
            while not done:
                first = await queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < WRITE_BATCH and not queue.empty():
                    following = queue.get_nowait()
                    if following is None:
                        done = True
                        break
                    batch.append(following)
                results.extend(await self._write(batch))
        finally:
            if not reader.done():
                reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        metrics.POLL_CYCLE_SECONDS.observe((utcnow() - started).total_seconds())
        for result in results:
            metrics.observe_poll(
                result.error_kind or ("not_modified" if result.not_modified else "ok")
            )
        log.info(
            "poll cycle feeds=%d published=%d not_modified=%d failed=%d elapsed_ms=%d",
            len(feeds),
            sum(r.published for r in results),
            sum(r.not_modified for r in results),
            sum(r.error is not None for r in results),
            (utcnow() - started) / timedelta(milliseconds=1),
        )
        return sorted(results, key=lambda result: result.feed_id)

    # -- reading (no transaction is open) ------------------------------------------------------

    async def _read(self, feed: _Claimed) -> _Outcome:
        """Fetch and parse one feed; every failure is kept in the outcome, never raised."""
        outcome = _Outcome(feed, utcnow())
        try:
            read = await read_feed(
                self.fetcher,
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                parser=self.parser,
            )
            outcome.fetched, outcome.parsed = read.fetched, read.parsed
            teaser = feed.full_text and feed.primed and self._full_text is not None
            if outcome.parsed is not None and teaser:
                outcome.pages = await self._read_pages(feed, outcome.parsed)
        except HTTPStatusError as error:
            outcome.error, outcome.retry_after = error, error.retry_after
        except (FetchError, ParseError) as error:
            outcome.error = error
        except Exception as error:  # a bug: this feed's poll only, and recorded
            log.exception("feed read crashed feed_id=%s", feed.id)
            outcome.error = error
        return outcome

    async def _read_pages(self, feed: _Claimed, parsed: ParsedFeed) -> dict[str, ArticlePage]:
        """The pages of a teaser feed's new entries (main text and picture), by entry key."""
        read_page = self._full_text
        assert read_page is not None
        source = f"feed:{feed.id}"
        async with self.db.session() as session:
            known = await known_identities(
                session, [identity(source, draft.key) for draft in parsed.entries]
            )
        new = [
            draft
            for draft in parsed.entries
            if identity(source, draft.key) not in known and draft.link
        ][:FULL_TEXT_LIMIT]

        async def one(draft: ArticleDraft) -> tuple[str, ArticlePage | None]:
            assert draft.link is not None
            try:
                page = await read_page(self.fetcher, draft.link)
            except (FetchError, ParseError) as error:
                log.warning(
                    "full text failed feed_id=%s url=%s error=%r",
                    feed.id,
                    redact_url(draft.link),
                    str(error),
                )
                return draft.key, None
            return draft.key, page

        pages = await asyncio.gather(*(one(draft) for draft in new))
        return {key: page for key, page in pages if page is not None}

    # -- writing -------------------------------------------------------------------------------

    async def _write(self, batch: list[_Outcome]) -> list[PollResult]:
        """Store a batch in one transaction; if that fails, each outcome in its own."""
        try:
            async with self.db.writing() as session:
                return await self._apply(session, batch)
        except Exception as exc:
            if len(batch) == 1:
                return [await self._record_crash(batch[0], exc)]
            log.warning("poll batch failed feeds=%d; storing them one by one", len(batch))
            results = []
            for outcome in batch:
                results.extend(await self._write([outcome]))
            return results

    async def _record_crash(self, outcome: _Outcome, exc: Exception) -> PollResult:
        """Record a feed whose results could not be stored as failed (a bug or a database error)."""
        log.error("feed poll crashed feed_id=%s", outcome.feed.id, exc_info=exc)
        failed = replace(outcome, fetched=None, parsed=None, pages={})
        failed.error = RuntimeError("storing the feed's entries failed")
        try:
            async with self.db.writing() as session:
                return (await self._apply(session, [failed]))[0]
        except Exception:
            log.exception("feed failure not recorded feed_id=%s", outcome.feed.id)
            return PollResult(outcome.feed.id, error="internal error", error_kind="internal")

    async def _apply(self, session: AsyncSession, batch: Sequence[_Outcome]) -> list[PollResult]:
        """Write a batch of outcomes: every changed feed's entries stored and queued together,
        every feed row updated with one statement per shape of update."""
        updates = _FeedUpdates()
        results: list[PollResult] = []
        changed: list[tuple[_Outcome, ParsedFeed, dict[str, Any]]] = []
        for outcome in batch:
            if outcome.error is not None or outcome.fetched is None:
                results.append(await self._apply_failure(session, outcome, updates))
                continue
            values = await self._success_values(session, outcome)
            if outcome.parsed is None:
                updates.add(outcome.feed.id, values)
                results.append(PollResult(outcome.feed.id, not_modified=True, url=outcome.feed.url))
            else:
                changed.append((outcome, outcome.parsed, values))
        results += await self._store(session, changed, updates)
        await updates.flush(session)
        return results

    async def _success_values(self, session: AsyncSession, outcome: _Outcome) -> dict[str, Any]:
        """The feed row's new values after a successful fetch (304 or not)."""
        assert outcome.fetched is not None
        feed, fetched, parsed = outcome.feed, outcome.fetched, outcome.parsed
        now = utcnow()
        values: dict[str, Any] = {
            "last_polled_at": now,
            "last_success_at": now,
            "error_count": 0,
            "last_error": None,
            "last_error_kind": None,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
            "next_poll_at": next_after_success(
                now,
                interval=feed.interval or self.options.interval,
                hints=[fetched.max_age, parsed.ttl if parsed else None],
                rng=self.rng,
            ),
        }
        moved = await self._moved_url(session, feed, fetched)
        if moved:
            values["url"] = moved
            # FEEDS may still name the old URL: it must not come back as a second feed.
            await session.merge(RemovedFeed(url=feed.url, removed_at=now, moved_to=feed.id))
        return values

    async def _store(
        self,
        session: AsyncSession,
        changed: Sequence[tuple[_Outcome, ParsedFeed, dict[str, Any]]],
        updates: _FeedUpdates,
    ) -> list[PollResult]:
        """Store the entries of every changed feed and queue what they publish, all at once."""
        if not changed:
            return []
        requests = []
        for outcome, parsed, _ in changed:
            entries = parsed.entries
            if outcome.pages:
                entries = [_with_page(draft, outcome.pages.get(draft.key)) for draft in entries]
            if parsed.warning:
                log.warning(
                    "feed is malformed feed_id=%s warning=%r", outcome.feed.id, parsed.warning
                )
            feed = outcome.feed
            requests.append(StoreRequest(entries, f"feed:{feed.id}", feed.id, feed.primed))
        # Entries already stored that a published article's source corrected (before the
        # new ones are stored: those are compared with nothing).
        corrected_by_feed: dict[int, int] = {}
        for _article_id, feed_id in await correct_many(
            session, requests, options=self.options.post
        ):
            corrected_by_feed[feed_id] = corrected_by_feed.get(feed_id, 0) + 1
        stored = await store_many(session, requests, options=self.options.post)
        approving = set(
            await session.scalars(
                select(Feed.id).where(
                    Feed.id.in_([outcome.feed.id for outcome, _, _ in changed]),
                    Feed.approve.is_(True),
                )
            )
        )
        held = {
            outcome.feed.id: await sends.hold_for_approval(session, one.published)
            for (outcome, _, _), one in zip(changed, stored, strict=True)
            if outcome.feed.id in approving and one.published
        }
        published = [
            article_id
            for (outcome, _, _), one in zip(changed, stored, strict=True)
            if outcome.feed.id not in approving
            for article_id in one.published
        ]
        quiet, zone = self.options.quiet, self.options.zone
        silent = bool(quiet and zone and quiet.contains(utcnow(), zone))
        await enqueue_many(session, published, silent=silent)
        queued = await delivery_counts(session, published)
        results = []
        for (outcome, parsed, values), one in zip(changed, stored, strict=True):
            if outcome.feed.id in approving:
                one = replace(one, published=[])
            feed = outcome.feed
            if parsed.title and not feed.title:
                values["title"] = parsed.title
            if not feed.primed:
                values["primed"] = True
                log.info("feed primed feed_id=%s seen=%d", feed.id, one.seen)
            elif one.published:
                log.info(
                    "feed polled feed_id=%s published=%d seen=%d",
                    feed.id,
                    len(one.published),
                    one.seen,
                )
            updates.add(feed.id, values)
            results.append(
                PollResult(
                    feed.id,
                    published=len(one.published),
                    seen=one.seen,
                    deliveries=sum(queued.get(article_id, 0) for article_id in one.published),
                    url=feed.url,
                    awaiting=tuple(held.get(feed.id, ())),
                    corrected=corrected_by_feed.get(feed.id, 0),
                )
            )
        return results

    async def _moved_url(
        self, session: AsyncSession, feed: _Claimed, fetched: FetchResult
    ) -> str | None:
        """The URL a feed moved to for good (301/308 all the way), if no other feed has it."""
        moved = fetched.permanent_url
        if not moved or moved == feed.url or len(moved.encode()) > 2048:
            return None
        taken = await session.scalar(select(Feed.id).where(Feed.url == moved))
        if taken is not None:
            log.warning(
                "feed moved to another feed's url feed_id=%s other_feed_id=%s", feed.id, taken
            )
            return None
        log.info(
            "feed moved permanently feed_id=%s old_url=%s new_url=%s",
            feed.id,
            redact_url(feed.url),
            redact_url(moved),
        )
        return moved

    async def _apply_failure(
        self, session: AsyncSession, outcome: _Outcome, updates: _FeedUpdates
    ) -> PollResult:
        feed = outcome.feed
        error = outcome.error or RuntimeError("no result")
        kind = error_kind(error)
        message = str(error) if kind != ErrorKind.INTERNAL else f"internal error: {error!r}"
        failures = feed.error_count + 1
        now = utcnow()
        updates.add(
            feed.id,
            {
                "error_count": failures,
                "last_error": message[:2000],
                "last_error_kind": kind.value,
                "last_error_at": now,
                "last_polled_at": now,
                "next_poll_at": next_after_failure(
                    outcome.started,
                    interval=feed.interval or self.options.interval,
                    failures=failures,
                    retry_after=outcome.retry_after,
                    rng=self.rng,
                ),
            },
        )
        pause_after = self.options.pause_after
        paused = False
        if pause_after and failures >= pause_after:
            # Only an active feed is paused (and its editors told): one an editor paused, or
            # one polled by hand while paused, stays as it is.
            result = await session.execute(
                update(Feed)
                .where(Feed.id == feed.id, Feed.active.is_(True))
                .values(active=False, paused_reason="failures")
                .execution_options(synchronize_session=False)
            )
            paused = bool(result.rowcount)  # type: ignore[attr-defined]
        log.warning(
            "feed failed feed_id=%s failures=%d kind=%s paused=%s error=%r",
            feed.id,
            failures,
            kind.value,
            paused,
            message,
        )
        return PollResult(
            feed.id,
            error=message,
            error_kind=kind.value,
            paused=paused,
            url=feed.url,
            failures=failures,
        )


class _FeedUpdates:
    """Feed rows' new values, written with one executemany per set of columns."""

    def __init__(self) -> None:
        self._by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def add(self, feed_id: int, values: dict[str, Any]) -> None:
        shape = tuple(sorted(values))
        params = {f"v_{name}": value for name, value in values.items()}
        self._by_shape.setdefault(shape, []).append({"feed_id_": feed_id, **params})

    async def flush(self, session: AsyncSession) -> None:
        """Write every update (a removed feed's is a no-op)."""
        table = cast(Table, Feed.__table__)
        for shape, rows in self._by_shape.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("feed_id_"))
                .values({name: bindparam(f"v_{name}", type_=table.c[name].type) for name in shape})
            )
            await session.execute(statement, rows)
        self._by_shape.clear()


def _with_page(draft: ArticleDraft, page: ArticlePage | None) -> ArticleDraft:
    """``draft`` with its page's main text as its summary, when that says more, and with the
    page's picture when the entry has none."""
    if page is None:
        return draft
    changes: dict[str, Any] = {}
    if page.text and len(page.text) > len(draft.summary):
        changes["summary"] = page.text
    if draft.image is None and page.image is not None:
        changes["image"] = page.image
    return replace(draft, **changes) if changes else draft
