"""The numbers of a period, day by day: what ``/stats 7d`` draws and ``newsbot stats --since``
prints (text, JSON, CSV), read from the database in a few aggregate queries.

Days are calendar days in the publisher's ``TIMEZONE``. What each series is made of:

- **readers**: readers subscribed and reachable at the end of each day, rebuilt from each
  reader's row (``subscribed_at``; the end of that stint is ``unsubscribed_at`` for a reader who
  left, ``inactive_since`` for one Telegram says is unreachable). Only a reader's latest stint
  is known (subscribing again moves ``subscribed_at``), and readers who asked ``/forget`` are
  gone, so earlier days can be slightly under-counted; the last day always equals the
  ``subscribed`` figure of :func:`bot.services.stats.collect`.
- **sign_ups**: readers whose ``subscribed_at`` falls on the day (their latest subscription).
- **sent** / **failed**: deliveries of every kind (channel posts, readers' messages, digests)
  settled that day: ``sent_at`` for sent ones, the last attempt (``claimed_at``) for failed ones.
- **campaigns**: the period's sign-ups by the campaign that brought the reader.
- **top_posts**: the articles published in the period with the most reactions on their channel
  posts (:class:`~bot.storage.models.PostReaction`), reactions on posts of unknown articles left
  out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, null, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    Article,
    Delivery,
    DeliveryStatus,
    PostReaction,
    Subscriber,
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


def _local_day(session: AsyncSession, column: Any, zone: ZoneInfo, now: datetime) -> Any:
    """SQL for the calendar day of ``column`` (a UTC timestamp) in ``zone``.

    PostgreSQL converts with the zone's own rules (``timezone(name, ts)``); SQLite has no time
    zones, so its timestamps (naive UTC text) are shifted by the zone's offset as of ``now``:
    exact for zones without daylight saving (Asia/Kolkata), an hour off around a change in
    others.
    """
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(zone.key, column))
    offset = now.astimezone(zone).utcoffset() or timedelta()
    return func.date(column, f"{int(offset.total_seconds()):+d} seconds")


def _as_date(value: Any) -> date:
    """A day as the database returned it (a ``date`` on PostgreSQL, text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


async def collect_series(
    session: AsyncSession,
    period: Period,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
    top: int = TOP_POSTS,
) -> Series:
    """The numbers of ``period`` up to ``now``: a handful of aggregate queries, grouped by day
    in the database; Python only adds up the (at most :data:`MAX_DAYS`) daily rows."""
    now = now or utcnow()
    start = period.start(now, zone)
    first, last = start.astimezone(zone).date(), now.astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]

    # A reader's latest stint: from `began` until `ended` (None: still subscribed and reachable).
    began = type_coerce(func.coalesce(Subscriber.subscribed_at, Subscriber.started_at), UTCDateTime)
    ended = type_coerce(
        case(
            (and_(Subscriber.subscribed.is_(True), Subscriber.active.is_(True)), null()),
            (Subscriber.subscribed.is_(True), func.coalesce(Subscriber.inactive_since, began)),
            else_=func.coalesce(Subscriber.unsubscribed_at, began),
        ),
        UTCDateTime,
    )
    ever: ColumnElement[bool] = or_(
        Subscriber.subscribed_at.is_not(None), Subscriber.subscribed.is_(True)
    )
    counted: ColumnElement[bool] = or_(ended.is_(None), ended > began)  # a stint of some length

    readers_before = await session.scalar(
        select(func.count())
        .select_from(Subscriber)
        .where(ever, counted, began < start, or_(ended.is_(None), ended >= start))
    )
    day_began = _local_day(session, began, zone, now)
    joined: dict[date, tuple[int, int]] = {
        _as_date(day): (int(joins or 0), int(sign_ups))
        for day, joins, sign_ups in await session.execute(
            select(
                day_began,
                func.sum(case((counted, 1), else_=0)),
                func.count(Subscriber.subscribed_at),
            )
            .where(ever, began >= start, began < now)
            .group_by(day_began)
        )
    }
    day_ended = _local_day(session, ended, zone, now)
    left: dict[date, int] = {
        _as_date(day): int(n)
        for day, n in await session.execute(
            select(day_ended, func.count())
            .where(ever, ended.is_not(None), ended > began, ended >= start, ended < now)
            .group_by(day_ended)
        )
    }

    settled = type_coerce(
        func.coalesce(Delivery.sent_at, Delivery.claimed_at, Delivery.created_at), UTCDateTime
    )
    day_settled = _local_day(session, settled, zone, now)
    delivered: Counter[tuple[date, str]] = Counter()
    for day, status, n in await session.execute(
        select(day_settled, Delivery.status, func.count())
        .where(
            Delivery.status.in_([DeliveryStatus.SENT, DeliveryStatus.FAILED]),
            settled >= start,
            settled < now,
        )
        .group_by(day_settled, Delivery.status)
    ):
        delivered[_as_date(day), str(status)] += int(n)

    readers = before = int(readers_before or 0)
    numbers: list[DayNumbers] = []
    for day in days:
        joins, sign_ups = joined.get(day, (0, 0))
        readers += joins - left.get(day, 0)
        numbers.append(
            DayNumbers(
                day,
                readers,
                sign_ups,
                delivered[day, DeliveryStatus.SENT],
                delivered[day, DeliveryStatus.FAILED],
            )
        )

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
