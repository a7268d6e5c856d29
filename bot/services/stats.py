"""Numbers for editors and marketing: readers, sign-ups per campaign, deliveries, feed health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.feeds import list_feeds
from bot.storage.models import Article, ArticleStatus, Delivery, Subscriber


@dataclass(frozen=True, slots=True)
class CampaignCount:
    """Readers who arrived through one campaign (``None``: no campaign).

    ``started``: opened the bot; ``signed_up``: subscribed at some point (a sign-up still
    counts after the reader leaves); ``subscribed``: subscribed and reachable now.
    """

    campaign: str | None
    started: int
    signed_up: int
    subscribed: int


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One feed's state as an operator wants to see it."""

    id: int
    url: str
    title: str
    active: bool
    articles: int
    last_success_at: datetime | None
    error_count: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything ``newsbot stats`` prints."""

    readers: int
    subscribed: int
    inactive: int
    campaigns: list[CampaignCount]
    articles_published: int
    deliveries: dict[str, int] = field(default_factory=dict)
    feeds: list[FeedHealth] = field(default_factory=list)


async def collect(session: AsyncSession) -> Stats:
    """Read the numbers (a handful of aggregate queries, none per row)."""
    active_sub = (Subscriber.subscribed.is_(True)) & (Subscriber.active.is_(True))
    readers, subscribed, inactive = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((active_sub, 1), else_=0)), 0),
                func.coalesce(func.sum(case((Subscriber.active.is_(False), 1), else_=0)), 0),
            ).select_from(Subscriber)
        )
    ).one()
    campaign_rows = await session.execute(
        select(
            Subscriber.campaign,
            func.count(),
            func.count(Subscriber.subscribed_at),
            func.coalesce(func.sum(case((active_sub, 1), else_=0)), 0),
        )
        .group_by(Subscriber.campaign)
        .order_by(func.count().desc(), Subscriber.campaign)
    )
    published = await session.scalar(
        select(func.count()).select_from(Article).where(Article.status == ArticleStatus.PUBLISHED)
    )
    delivery_rows = await session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)
    )
    feed_rows = await list_feeds(session)
    return Stats(
        readers=int(readers),
        subscribed=int(subscribed),
        inactive=int(inactive),
        campaigns=[
            CampaignCount(campaign, int(started), int(signed_up), int(subs))
            for campaign, started, signed_up, subs in campaign_rows
        ],
        articles_published=int(published or 0),
        deliveries={status: int(count) for status, count in delivery_rows},
        feeds=[
            FeedHealth(
                feed.id,
                feed.url,
                feed.title,
                feed.active,
                int(count),
                feed.last_success_at,
                feed.error_count,
                feed.last_error,
            )
            for feed, count in feed_rows
        ],
    )


def format_stats(stats: Stats) -> str:
    """The text ``newsbot stats`` prints."""
    lines = [
        f"Readers: {stats.readers} ({stats.subscribed} subscribed, {stats.inactive} unreachable)",
        f"Articles published: {stats.articles_published}",
        "Deliveries: "
        + (", ".join(f"{k} {v}" for k, v in sorted(stats.deliveries.items())) or "none"),
        "",
        "Sign-ups per campaign:",
    ]
    if not stats.campaigns:
        lines.append("  (none yet)")
    for row in stats.campaigns:
        name = row.campaign or "(no campaign)"
        lines.append(
            f"  {name:<32} {row.started:>6} started {row.signed_up:>6} signed up "
            f"{row.subscribed:>6} still subscribed"
        )
    lines += ["", "Feeds:"]
    if not stats.feeds:
        lines.append("  (none yet)")
    for feed in stats.feeds:
        state = "active" if feed.active else "paused"
        last = (
            feed.last_success_at.strftime("%Y-%m-%d %H:%M UTC") if feed.last_success_at else "never"
        )
        lines.append(
            f"  {feed.id:>3} {state:<6} {feed.articles:>5} articles, last read {last}, "
            f"{feed.error_count} error(s)  {feed.url}"
        )
        if feed.last_error:
            lines.append(f"      last error: {feed.last_error}")
    return "\n".join(lines)
