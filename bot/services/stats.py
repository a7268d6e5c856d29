"""Numbers for editors and marketing: readers, sign-ups per campaign, deliveries, feed health,
and the reactions on the channels' posts (:func:`record_reactions`). A period's numbers day by
day are :mod:`bot.services.stats_series`'s."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.i18n import Translator, translator_for
from bot.services.campaigns import campaign_joins
from bot.services.feeds import list_feeds
from bot.services.stats_series import Series
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Edition,
    Feed,
    ForgottenReaders,
    PostReaction,
    Subscriber,
)

log = logging.getLogger(__name__)

#: The reason :class:`Stats` files a failed delivery, or an unreachable reader, under when none
#: was recorded (rows older than the reasons, or a failure the outbox did not name).
OTHER_REASON = "other"


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
    #: joined an edition's channel through the campaign's invite link (``newsbot qr --invite``).
    joined: int = 0


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
class FeedCounts:
    """How the feeds are doing, in three numbers: read without errors, failing lately (still
    polled), paused (by an editor, or by themselves after too many failures)."""

    healthy: int = 0
    failing: int = 0
    paused: int = 0


async def feed_counts(session: AsyncSession) -> FeedCounts:
    """The feeds by health (one aggregate)."""

    def count(where: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((where, 1), else_=0)), 0)

    polled = Feed.active.is_(True)
    healthy, failing, paused = (
        await session.execute(
            select(
                count(polled & (Feed.error_count == 0)),
                count(polled & (Feed.error_count > 0)),
                count(Feed.active.is_(False)),
            )
        )
    ).one()
    return FeedCounts(int(healthy), int(failing), int(paused))


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
    #: failed deliveries by ``reason`` ("blocked", "network"…; :data:`OTHER_REASON`: none),
    #: the most first.
    failures: dict[str, int] = field(default_factory=dict)
    #: unreachable readers by ``inactive_reason`` ("blocked", "deactivated"…), the most first.
    inactive_reasons: dict[str, int] = field(default_factory=dict)


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
    joined = await campaign_joins(session)
    for campaign in joined:
        counts.setdefault(campaign, [0, 0, 0])
    published = await session.scalar(
        select(func.count()).select_from(Article).where(Article.status == ArticleStatus.PUBLISHED)
    )
    delivery_rows = await session.execute(
        select(Delivery.status, func.count()).group_by(Delivery.status)
    )
    failures = await _by_reason(session, Delivery.reason, Delivery.status == DeliveryStatus.FAILED)
    inactive_reasons = await _by_reason(
        session, Subscriber.inactive_reason, Subscriber.active.is_(False)
    )
    feed_rows = await list_feeds(session)
    return Stats(
        readers=int(readers),
        subscribed=int(subscribed),
        inactive=int(inactive),
        campaigns=sorted(
            (
                CampaignCount(
                    campaign, numbers[0], numbers[1], numbers[2], joined.get(campaign or "", 0)
                )
                for campaign, numbers in counts.items()
            ),
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
        failures=failures,
        inactive_reasons=inactive_reasons,
    )


async def _by_reason(
    session: AsyncSession, reason: InstrumentedAttribute[str | None], where: ColumnElement[bool]
) -> dict[str, int]:
    """The rows ``where`` holds, counted by ``reason`` (one GROUP BY; no reason:
    :data:`OTHER_REASON`), the most first."""
    label = func.coalesce(reason, OTHER_REASON)
    rows = await session.execute(
        select(label, func.count())
        .where(where)
        .group_by(label)
        .order_by(func.count().desc(), label)
    )
    return {str(name): int(count) for name, count in rows}


def _reasons(t: Translator, counts: Mapping[str, int]) -> str:
    """``blocked 3, network 1, (others) 2``: reasons are the outbox's words, as logged."""
    return ", ".join(
        f"{t.gettext('(others)') if name == OTHER_REASON else name} {count}"
        for name, count in counts.items()
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
    readers = t.ngettext(
        "{count} reader: {subscribed} subscribed, {inactive} unreachable",
        "{count} readers: {subscribed} subscribed, {inactive} unreachable",
        stats.readers,
        count=stats.readers,
        subscribed=stats.subscribed,
        inactive=stats.inactive,
    )
    if stats.inactive_reasons:
        readers += f" ({_reasons(t, stats.inactive_reasons)})"
    lines = [
        readers,
        t.ngettext(
            "{count} article published",
            "{count} articles published",
            stats.articles_published,
            count=stats.articles_published,
        ),
        t.gettext("Deliveries: {deliveries}", deliveries=deliveries or t.gettext("none")),
    ]
    if stats.failures:
        failed = _delivery_status(t, DeliveryStatus.FAILED)
        lines.append(f"  {failed}: {_reasons(t, stats.failures)}")
    lines += [
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
        if row.joined:
            # TRANSLATORS: after a campaign's row: people who joined a channel by its invite.
            counts += " " + t.gettext("{joined} joined the channel", joined=f"{row.joined:>6}")
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


def format_period(series: Series, t: Translator | None = None, *, zone: str = "") -> str:
    """The text of a period's numbers (``newsbot stats --since``): its totals, a table of its
    days, its sign-ups per campaign and its most-reacted articles; plain text in columns."""
    t = t or translator_for(None)
    first = series.days[0].day.isoformat() if series.days else ""
    last = series.days[-1].day.isoformat() if series.days else ""
    change = series.readers - series.readers_before
    # TRANSLATORS: the heading of newsbot stats' period: "Since 7d: 2026-11-26 – 2026-12-02".
    heading = t.gettext(
        "Since {period}: {start} – {end}", period=series.period, start=first, end=last
    )
    lines = [
        heading + (f" ({zone})" if zone else ""),
        "  "
        + t.gettext(
            "readers {count} ({change}), sign-ups {sign_ups}, deliveries {sent} sent, {failed}"
            " failed",
            count=series.readers,
            change=f"{change:+d}",
            sign_ups=series.sign_ups,
            sent=series.sent,
            failed=series.failed,
        ),
        "",
        # TRANSLATORS: the header of the table of days; each word is one column.
        "  " + t.gettext("day         readers  sign-ups     sent   failed"),
    ]
    for day in series.days:
        lines.append(
            f"  {day.day.isoformat()}  {day.readers:>7}  {day.sign_ups:>8}  {day.sent:>7}"
            f"  {day.failed:>7}"
        )
    lines += ["", t.gettext("Sign-ups per campaign in the period:")]
    if not series.campaigns:
        lines.append("  " + t.gettext("(none yet)"))
    for campaign in series.campaigns:
        name = campaign.campaign or t.gettext("(no campaign)")
        lines.append(f"  {name:<32} {campaign.sign_ups:>6}")
    lines += ["", t.gettext("Most reactions (articles published in the period):")]
    if not series.top_posts:
        lines.append("  " + t.gettext("(none yet)"))
    for post in series.top_posts:
        # TRANSLATORS: one of the most-reacted articles, after its number of reactions.
        article = t.gettext("{title} (article {id})", title=post.title, id=post.article_id)
        lines.append(f"  {post.reactions:>6}  {article}")
    return "\n".join(lines)


def _channel_names(chat_id: int, username: str | None) -> set[str]:
    """The ways a channel may be stored (``Edition.channel``, ``Delivery.chat``): its id, and
    ``@username`` as Telegram spells it."""
    names = {str(chat_id)}
    if username:
        names.add(f"@{username}")
    return names


async def record_reactions(
    session: AsyncSession,
    chat_id: int,
    username: str | None,
    message_id: int,
    counts: Mapping[str, int],
    at: datetime,
) -> PostReaction | None:
    """Store the reactions on channel post ``message_id`` as a ``message_reaction_count`` update
    of ``at`` says (a later update replaces them; an older one, arriving late, does not).

    The post is known by its channel delivery (``kind`` ``channel``, the chat as the edition
    names it: ``@revoi_en`` or ``-100…``), which also names its article. Reactions on a post
    newsbot did not make, in an edition's channel, are kept without an article; those in any
    other chat are ignored (``None``).
    """
    names = _channel_names(chat_id, username)
    lowered = {name.lower() for name in names}
    channels = (
        await session.scalars(select(Edition.channel).where(Edition.channel.is_not(None)))
    ).all()
    # Usernames are case-insensitive: "@Revoi_EN" in EDITIONS is the channel @revoi_en.
    edition_channel = next((c for c in channels if c and c.lower() in lowered), None)
    if edition_channel:
        names.add(edition_channel)
    post = (
        await session.execute(
            select(Delivery.chat, Delivery.article_id)
            .where(
                Delivery.kind == "channel",
                Delivery.chat.in_(sorted(names)),
                Delivery.message_id == message_id,
            )
            .order_by(Delivery.id)
            .limit(1)
        )
    ).first()
    chat = post[0] if post is not None else edition_channel
    if chat is None:
        log.info("reactions ignored chat_id=%s message_id=%s", chat_id, message_id)
        return None
    article_id = post[1] if post is not None else None
    positive = {str(k): int(n) for k, n in counts.items() if int(n) > 0}
    values = {
        "chat": chat,
        "message_id": message_id,
        "article_id": article_id,
        "total": sum(positive.values()),
        "counts": positive,
        "updated_at": at,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(PostReaction).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[PostReaction.chat, PostReaction.message_id],
        set_={
            "article_id": func.coalesce(statement.excluded.article_id, PostReaction.article_id),
            "total": statement.excluded.total,
            "counts": statement.excluded.counts,
            "updated_at": statement.excluded.updated_at,
        },
        where=PostReaction.updated_at <= statement.excluded.updated_at,
    )
    await session.execute(statement)
    log.info(
        "reactions chat=%s message_id=%s article_id=%s total=%s",
        chat,
        message_id,
        article_id,
        values["total"],
    )
    return await session.get(PostReaction, (chat, message_id), populate_existing=True)
