"""Numbers for editors and marketing: readers, sign-ups per campaign, deliveries, feed health."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator, translator_for
from bot.services.feeds import list_feeds
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    ForgottenReaders,
    Subscriber,
)


@dataclass(frozen=True, slots=True)
class CampaignCount:
    """Readers who arrived through one campaign (``None``: no campaign).

    ``started``: opened the bot; ``signed_up``: subscribed at some point (a sign-up still
    counts after the reader leaves, or after /forget deleted them: see
    :class:`~bot.storage.models.ForgottenReaders`); ``subscribed``: subscribed and reachable now.
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
    counts: dict[str | None, list[int]] = {
        campaign: [int(started), int(signed_up), int(subs)]
        for campaign, started, signed_up, subs in campaign_rows
    }
    for campaign, started, signed_up in await session.execute(
        select(ForgottenReaders.campaign, ForgottenReaders.started, ForgottenReaders.signed_up)
    ):  # readers who asked /forget: "" is no campaign
        numbers = counts.setdefault(campaign or None, [0, 0, 0])
        numbers[0] += int(started)
        numbers[1] += int(signed_up)
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
        campaigns=sorted(
            (CampaignCount(campaign, *numbers) for campaign, numbers in counts.items()),
            key=lambda c: (-c.started, c.campaign is not None, c.campaign or ""),
        ),
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


def _delivery_status(t: Translator, status: str) -> str:
    """A delivery's status (:class:`~bot.storage.models.DeliveryStatus`) in words."""
    words: dict[str, str] = {
        DeliveryStatus.PENDING: t.gettext("pending"),
        # TRANSLATORS: a delivery being sent right now.
        DeliveryStatus.SENDING: t.gettext("sending"),
        DeliveryStatus.SENT: t.gettext("sent"),
        DeliveryStatus.FAILED: t.gettext("failed"),
        DeliveryStatus.CANCELLED: t.gettext("cancelled"),
        # TRANSLATORS: a delivery whose fate is unknown (newsbot stopped while sending it).
        DeliveryStatus.UNKNOWN: t.gettext("fate unknown"),
        # TRANSLATORS: a digest reader's article, waiting for their daily digest.
        DeliveryStatus.HELD: t.gettext("waiting for a digest"),
        # TRANSLATORS: an article put in a reader's daily digest (the digest's own row says
        # whether it went out).
        DeliveryStatus.DIGESTED: t.gettext("put in a digest"),
    }
    return words.get(status, status)


def format_stats(stats: Stats, t: Translator | None = None) -> str:
    """The text ``newsbot stats`` prints (and an editor's /stats shows), in ``t``'s language
    (English by default): plain text, aligned in columns for a fixed-width font."""
    t = t or translator_for(None)
    deliveries = ", ".join(
        f"{_delivery_status(t, status)} {count}"
        for status, count in sorted(stats.deliveries.items())
    )
    lines = [
        t.ngettext(
            "{count} reader: {subscribed} subscribed, {inactive} unreachable",
            "{count} readers: {subscribed} subscribed, {inactive} unreachable",
            stats.readers,
            count=stats.readers,
            subscribed=stats.subscribed,
            inactive=stats.inactive,
        ),
        t.ngettext(
            "{count} article published",
            "{count} articles published",
            stats.articles_published,
            count=stats.articles_published,
        ),
        t.gettext("Deliveries: {deliveries}", deliveries=deliveries or t.gettext("none")),
        "",
        t.gettext("Sign-ups per campaign:"),
    ]
    if not stats.campaigns:
        lines.append("  " + t.gettext("(none yet)"))
    for row in stats.campaigns:
        name = row.campaign or t.gettext("(no campaign)")
        started, signed_up, still = (
            f"{n:>6}" for n in (row.started, row.signed_up, row.subscribed)
        )
        # TRANSLATORS: one campaign's row; the numbers come padded to line up in columns.
        counts = t.gettext(
            "{started} started {signed_up} signed up {subscribed} still subscribed",
            started=started,
            signed_up=signed_up,
            subscribed=still,
        )
        lines.append(f"  {name:<32} {counts}")
    lines += ["", t.gettext("Feeds:")]
    if not stats.feeds:
        lines.append("  " + t.gettext("(none yet)"))
    # TRANSLATORS: a feed's state in the stats: polled as usual.
    active = t.gettext("active")
    # TRANSLATORS: a feed's state in the stats: stopped after too many failures (feminine, feed).
    paused = t.gettext("paused")
    width = max(len(active), len(paused))
    for feed in stats.feeds:
        last = (
            feed.last_success_at.strftime("%Y-%m-%d %H:%M UTC")
            if feed.last_success_at
            else t.gettext("never")
        )
        # TRANSLATORS: one feed's row: "12 articles, last read 2026-12-02 05:00 UTC, 0 errors".
        health = t.gettext(
            "{articles}, last read {last}, {errors}",
            articles=t.ngettext(
                "{count} article", "{count} articles", feed.articles, count=feed.articles
            ),
            last=last,
            errors=t.ngettext(
                "{count} error", "{count} errors", feed.error_count, count=feed.error_count
            ),
        )
        state = active if feed.active else paused
        lines.append(f"  {feed.id:>3} {state:<{width}} {health}  {feed.url}")
        if feed.last_error:
            lines.append("      " + t.gettext("last error: {error}", error=feed.last_error))
    return "\n".join(lines)
