"""The numbers of a period, day by day: what ``/stats 7d`` draws and ``newsbot stats --since``
prints (text, JSON, CSV), and the console's dashboard draws, read from the database as counts
over ranges of indexes (:func:`per_day`: no row is read one by one, nor a function of each
row's time computed), so that 100,000 readers cost little more than ten.

Days are calendar days in the publisher's ``TIMEZONE``, cut in Python with the zone's rules
(so alike on SQLite and PostgreSQL, daylight saving included). What each series is made of:

- **readers**: readers subscribed and reachable at the end of each day, rebuilt from each
  reader's row (``subscribed_at``; the end of that stint is ``unsubscribed_at`` for a reader who
  left, ``inactive_since`` for one Telegram says is unreachable). Only a reader's latest stint
  is known (subscribing again moves ``subscribed_at``), and readers who asked ``/forget`` are
  gone, so earlier days can be slightly under-counted; the last day always equals the
  ``subscribed`` figure of :func:`bot.services.stats.collect`.
- **sign_ups**: readers whose ``subscribed_at`` falls on the day (their latest subscription).
- **sent** / **failed**: deliveries of every kind (channel posts, readers' messages, digests)
  settled that day: ``sent_at`` for sent ones, the last attempt (``claimed_at``) for failed ones
  (never attempted: the day they were queued).
- **editions** (:func:`collect_editions`): each edition's followers now, day by day from when
  they followed it.
- **campaigns**: the period's sign-ups by the campaign that brought the reader.
- **top_posts**: the articles published in the period with the most reactions on their channel
  posts (:class:`~bot.storage.models.PostReaction`), reactions on posts of unknown articles left
  out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    Article,
    Delivery,
    DeliveryStatus,
    PostReaction,
    Subscriber,
    Subscription,
    UTCDateTime,
    utcnow,
)

#: ``7d``, ``30d``, ``24h``: a number of days or hours.
_PERIOD = re.compile(r"\s*(\d{1,4})\s*([dh])\s*", re.IGNORECASE)
#: The longest period one chart or table covers.
MAX_DAYS = 366
MAX_HOURS = 24 * 31
#: How many of the most-reacted articles a period lists.
TOP_POSTS = 5


class PeriodError(ValueError):
    """A period that is not ``<N>d`` or ``<N>h`` within a year; the message says so."""


@dataclass(frozen=True, slots=True)
class Period:
    """The last ``days`` calendar days (today included) or the last ``hours`` hours."""

    days: int = 0
    hours: int = 0

    @property
    def label(self) -> str:
        """``7d``, ``24h``: as it is written on the command line."""
        return f"{self.days}d" if self.days else f"{self.hours}h"

    def start(self, now: datetime, zone: ZoneInfo) -> datetime:
        """When the period begins (aware UTC): the first day's midnight, or ``hours`` ago."""
        if self.hours:
            return now - timedelta(hours=self.hours)
        first = now.astimezone(zone).date() - timedelta(days=self.days - 1)
        return datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)


def parse_period(text: str) -> Period:
    """``7d`` → 7 days, ``24h`` → 24 hours; raise :class:`PeriodError` for anything else."""
    match = _PERIOD.fullmatch(text)
    if match is None:
        raise PeriodError(f"{text!r} is not a period: write it as 7d, 30d or 24h")
    number, unit = int(match[1]), match[2].lower()
    if number < 1 or number > (MAX_DAYS if unit == "d" else MAX_HOURS):
        raise PeriodError(
            f"{text!r} is out of range: from 1h to {MAX_HOURS}h, or 1d to {MAX_DAYS}d"
            " (7d, 30d, 24h)"
        )
    return Period(days=number) if unit == "d" else Period(hours=number)


@dataclass(frozen=True, slots=True)
class DayNumbers:
    """One day's figures (a row of ``newsbot stats --csv``)."""

    day: date
    readers: int
    sign_ups: int
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class CampaignSignUps:
    """Sign-ups in the period through one campaign (``None``: no campaign)."""

    campaign: str | None
    sign_ups: int


@dataclass(frozen=True, slots=True)
class TopPost:
    """One of the period's most-reacted articles: reactions on its channel posts, in all."""

    article_id: int
    title: str
    link: str | None
    reactions: int
    #: the most given reactions first, e.g. ``{"👍": 12, "🔥": 3}``.
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Series:
    """The period's numbers, day by day, in the publisher's time zone."""

    period: str
    start: datetime
    end: datetime
    #: readers when the period began (subscribed and reachable).
    readers_before: int
    days: list[DayNumbers]
    campaigns: list[CampaignSignUps]
    top_posts: list[TopPost]

    @property
    def readers(self) -> int:
        """Readers now (at the end of the period)."""
        return self.days[-1].readers if self.days else self.readers_before

    @property
    def sign_ups(self) -> int:
        return sum(d.sign_ups for d in self.days)

    @property
    def sent(self) -> int:
        return sum(d.sent for d in self.days)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.days)


def _bounds(period: Period, now: datetime, zone: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """The period's calendar days in ``zone`` and where each begins and ends (aware UTC):
    day ``i`` is ``[bounds[i], bounds[i + 1])``, the first from the period's start, the last
    up to ``now``. Computed here, with the zone's own rules, so both databases cut days alike
    (daylight saving included) and each count is a range on an indexed column."""
    start = period.start(now, zone)
    first, last = start.astimezone(zone).date(), now.astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    midnights = [datetime.combine(day, time(), tzinfo=zone).astimezone(UTC) for day in days[1:]]
    return days, [start, *midnights, now]


async def per_day(
    session: AsyncSession,
    bounds: Sequence[datetime],
    column: Any,
    *where: ColumnElement[bool],
    counted: Any = None,
) -> list[int]:
    """How many rows ``where`` holds with ``column`` in each of the days ``bounds`` cut
    (``counted``: what to count, ``count(*)`` by default): one statement of a range count per
    day, each an index range (no function of a row's time) when an index leads with
    ``where``'s equalities and then ``column``."""
    column = type_coerce(column, UTCDateTime)
    counts = [
        select(func.count() if counted is None else counted)
        .where(column >= bounds[n], column < bounds[n + 1], *where)
        .scalar_subquery()
        for n in range(len(bounds) - 1)
    ]
    row = (await session.execute(select(*counts))).one()
    return [int(n or 0) for n in row]


def _plus(*series: list[int]) -> list[int]:
    return [sum(day) for day in zip(*series, strict=True)]


def _reachable() -> ColumnElement[bool]:
    return and_(Subscriber.subscribed == true(), Subscriber.active == true())


async def _readers_now(session: AsyncSession, now: datetime) -> int:
    """Readers whose latest stint covers ``now``: the subscribed and reachable ones who began
    before it, and those who left (or became unreachable) only after it."""
    began = type_coerce(func.coalesce(Subscriber.subscribed_at, Subscriber.started_at), UTCDateTime)
    staying = await session.scalar(
        select(func.count()).where(
            _reachable(),
            or_(
                Subscriber.subscribed_at < now,
                and_(Subscriber.subscribed_at.is_(None), Subscriber.started_at < now),
            ),
        )
    )
    unreachable_later = await session.scalar(
        select(func.count()).where(
            Subscriber.inactive_since >= now,
            Subscriber.subscribed == true(),
            Subscriber.active == false(),
            began < now,
        )
    )
    left_later = await session.scalar(
        select(func.count()).where(
            Subscriber.unsubscribed_at >= now,
            Subscriber.subscribed == false(),
            Subscriber.subscribed_at < now,
        )
    )
    return int(staying or 0) + int(unreachable_later or 0) + int(left_later or 0)


async def _reader_days(
    session: AsyncSession, bounds: Sequence[datetime]
) -> tuple[int, list[int], list[int], list[int]]:
    """Readers before the period, and per day: stints begun (joins), stints ended (leaves),
    sign-ups. A stint that ends when (or before) it begins counts as neither."""
    subscribed, unsubscribed = Subscriber.subscribed == true(), Subscriber.subscribed == false()
    # Subscribed now: reachable, or unreachable since after the stint began.
    joins = _plus(
        await per_day(
            session,
            bounds,
            Subscriber.subscribed_at,
            subscribed,
            or_(Subscriber.active == true(), Subscriber.inactive_since > Subscriber.subscribed_at),
        ),
        await per_day(  # rows older than subscribed_at: the stint began with /start
            session,
            bounds,
            Subscriber.started_at,
            subscribed,
            Subscriber.subscribed_at.is_(None),
            or_(Subscriber.active == true(), Subscriber.inactive_since > Subscriber.started_at),
        ),
        await per_day(  # left since: a stint of some length
            session,
            bounds,
            Subscriber.subscribed_at,
            unsubscribed,
            Subscriber.unsubscribed_at > Subscriber.subscribed_at,
        ),
    )
    began = type_coerce(func.coalesce(Subscriber.subscribed_at, Subscriber.started_at), UTCDateTime)
    leaves = _plus(
        await per_day(
            session,
            bounds,
            Subscriber.inactive_since,
            subscribed,
            Subscriber.active == false(),
            Subscriber.inactive_since > began,
        ),
        await per_day(
            session,
            bounds,
            Subscriber.unsubscribed_at,
            unsubscribed,
            Subscriber.unsubscribed_at > Subscriber.subscribed_at,
        ),
    )
    sign_ups = await per_day(session, bounds, Subscriber.subscribed_at)
    before = await _readers_now(session, bounds[-1]) - sum(joins) + sum(leaves)
    return before, joins, leaves, sign_ups


async def _delivery_days(
    session: AsyncSession, bounds: Sequence[datetime]
) -> tuple[list[int], list[int]]:
    """Deliveries sent and failed per day: a sent one on its ``sent_at`` (the outbox records
    it with the status), a failed one on its last attempt (``claimed_at``), or, never
    attempted, on the day it was queued (``created_at``)."""
    sent, failed = Delivery.status == DeliveryStatus.SENT, Delivery.status == DeliveryStatus.FAILED
    sent_days = await per_day(session, bounds, Delivery.sent_at, sent)
    failed_days = _plus(
        await per_day(session, bounds, Delivery.claimed_at, failed),
        await per_day(session, bounds, Delivery.created_at, failed, Delivery.claimed_at.is_(None)),
    )
    return sent_days, failed_days


async def collect_series(
    session: AsyncSession,
    period: Period,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    top: int = TOP_POSTS,
) -> Series:
    """The numbers of ``period`` up to ``now``: range counts per day on indexed columns
    (:func:`per_day`) and a few aggregates; Python only adds up the (at most
    :data:`MAX_DAYS`) daily figures."""
    now = now or utcnow()
    days, bounds = _bounds(period, now, zone)
    start = bounds[0]
    before, joins, leaves, sign_ups = await _reader_days(session, bounds)
    sent, failed = await _delivery_days(session, bounds)

    readers = before
    numbers: list[DayNumbers] = []
    for n, day in enumerate(days):
        readers += joins[n] - leaves[n]
        numbers.append(DayNumbers(day, readers, sign_ups[n], sent[n], failed[n]))

    campaign_rows = await session.execute(
        select(Subscriber.campaign, func.count())
        .where(Subscriber.subscribed_at >= start, Subscriber.subscribed_at < now)
        .group_by(Subscriber.campaign)
    )
    campaigns = sorted(
        (CampaignSignUps(campaign, int(n)) for campaign, n in campaign_rows),
        key=lambda c: (-c.sign_ups, c.campaign is None, c.campaign or ""),
    )
    return Series(
        period=period.label,
        start=start,
        end=now,
        readers_before=before,
        days=numbers,
        campaigns=campaigns,
        top_posts=await _top_posts(session, start, now, top),
    )


@dataclass(frozen=True, slots=True)
class EditionDays:
    """One edition's readers at the end of each day of a period: its followers now, from the
    day they followed it (their row of the edition: following it again, or choosing other
    sections, moves that day), reachable until Telegram said they were not. Readers who left
    the edition are no longer known to have followed it, so earlier days are under-counted
    more than :class:`Series`' readers; the last day is exact."""

    edition_id: int
    readers_before: int
    readers: list[int]
    #: follows of the edition made in the period (that are still there).
    followed: int

    @property
    def now(self) -> int:
        return self.readers[-1] if self.readers else self.readers_before


def _follows(edition_id: int, *, whole: bool) -> ColumnElement[bool]:
    """Rows by which readers follow edition ``edition_id``: all of it (one row a reader), or
    some sections (a row each)."""
    section = Subscription.section_id.is_(None) if whole else Subscription.section_id.is_not(None)
    return and_(Subscription.edition_id == edition_id, Subscription.exclude == false(), section)


def _follows_edition(edition_id: int) -> Any:
    """The reader of the enclosing query follows ``edition_id`` (an index probe)."""
    return (
        select(Subscription.id)
        .where(
            Subscription.chat_id == Subscriber.chat_id,
            Subscription.edition_id == edition_id,
            Subscription.exclude == false(),
        )
        .exists()
    )


@dataclass(frozen=True, slots=True)
class _Following:
    """An edition's followers now: of all of it, of some sections, and how many of them are
    unreachable."""

    whole: int
    some: int
    unreachable: int

    @property
    def readers(self) -> int:
        return self.whole + self.some - self.unreachable


async def _following(session: AsyncSession, edition_id: int) -> _Following:
    """One statement: counts over indexes, a probe for each unreachable reader."""
    whole, some, unreachable = (
        await session.execute(
            select(
                select(func.count()).where(_follows(edition_id, whole=True)).scalar_subquery(),
                select(func.count(Subscription.chat_id.distinct()))
                .where(_follows(edition_id, whole=False))
                .scalar_subquery(),
                select(func.count())
                .where(Subscriber.active == false(), _follows_edition(edition_id))
                .scalar_subquery(),
            )
        )
    ).one()
    return _Following(int(whole or 0), int(some or 0), int(unreachable or 0))


async def edition_readers_now(session: AsyncSession, edition_ids: Sequence[int]) -> dict[int, int]:
    """Each edition's readers now: its followers (those of all of it, one row each, and of
    some sections, counted once), less those Telegram says are unreachable."""
    return {e: (await _following(session, e)).readers for e in edition_ids}


async def collect_editions(
    session: AsyncSession,
    period: Period,
    zone: ZoneInfo,
    edition_ids: Sequence[int],
    *,
    now: datetime | None = None,
) -> list[EditionDays]:
    """Each of ``edition_ids``' readers day by day over ``period`` (:class:`EditionDays`):
    counted back from today's figure, by the follows made and the followers lost to
    unreachability each day (range counts per day; none asked for what today has none of)."""
    now = now or utcnow()
    _, bounds = _bounds(period, now, zone)
    zeros = [0] * (len(bounds) - 1)
    editions: list[EditionDays] = []
    for edition_id in edition_ids:
        today = await _following(session, edition_id)
        followed = await per_day(
            session, bounds, Subscription.created_at, _follows(edition_id, whole=True)
        )
        if today.some:
            followed = _plus(
                followed,
                await per_day(
                    session,
                    bounds,
                    Subscription.created_at,
                    _follows(edition_id, whole=False),
                    counted=func.count(Subscription.chat_id.distinct()),
                ),
            )
        lost = zeros
        if today.unreachable:
            lost = await per_day(
                session,
                bounds,
                Subscriber.inactive_since,
                Subscriber.active == false(),
                _follows_edition(edition_id),
            )
        readers = today.readers
        ends: list[int] = []
        for gained, gone in zip(reversed(followed), reversed(lost), strict=True):
            ends.append(max(readers, 0))
            readers += gone - gained
        editions.append(EditionDays(edition_id, max(readers, 0), ends[::-1], sum(followed)))
    return editions


async def _top_posts(
    session: AsyncSession, start: datetime, end: datetime, top: int
) -> list[TopPost]:
    """The ``top`` articles published in [start, end) with the most reactions (ties: the
    newer article first)."""
    total = func.sum(PostReaction.total)
    rows = (
        await session.execute(
            select(Article.id, Article.title, Article.link, total)
            .join(PostReaction, PostReaction.article_id == Article.id)
            .where(Article.published_at >= start, Article.published_at < end)
            .group_by(Article.id, Article.title, Article.link)
            .having(total > literal(0))
            .order_by(total.desc(), Article.id.desc())
            .limit(top)
        )
    ).all()
    if not rows:
        return []
    per_article: dict[int, Counter[str]] = {row[0]: Counter() for row in rows}
    for article_id, counts in await session.execute(
        select(PostReaction.article_id, PostReaction.counts).where(
            PostReaction.article_id.in_(list(per_article))
        )
    ):
        for reaction, n in (counts or {}).items():
            per_article[int(article_id or 0)][str(reaction)] += int(n)
    return [
        TopPost(
            article_id,
            title,
            link,
            int(reactions),
            dict(sorted(per_article[article_id].items(), key=lambda kv: (-kv[1], kv[0]))),
        )
        for article_id, title, link, reactions in rows
    ]
