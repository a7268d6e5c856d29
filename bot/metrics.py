"""newsbot's Prometheus metrics, every name starting ``newsbot_``.

Two kinds:

- what this process did, counted as it happens (:data:`SEND_SECONDS`, :data:`RATE_LIMITED`,
  :data:`FEED_POLLS`, :data:`POLL_CYCLE_SECONDS`, :data:`UPDATES`): sum them over processes;
- what the database holds, read when Prometheus scrapes (:func:`render`): articles published,
  deliveries by status and reason, the outbox's depth, readers by edition, feeds by state —
  the same in every process, so take one (``max``) rather than a sum.

::

    body, content_type = await render(db)      # GET /metrics
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Edition,
    Feed,
    Subscriber,
    Subscription,
)

#: newsbot's own registry: no process or platform collectors, whose names are not newsbot's.
REGISTRY: Final = CollectorRegistry(auto_describe=True)

SEND_SECONDS: Final = Histogram(
    "newsbot_send_seconds",
    "Time one outbox message took to send, from the request to Telegram's answer.",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
RATE_LIMITED: Final = Counter(
    "newsbot_rate_limited",
    "Messages Telegram refused with 429 (a flood wait); each is sent again after the wait.",
    registry=REGISTRY,
)
FEED_POLLS: Final = Counter(
    "newsbot_feed_polls",
    "Polls of a feed by result: ok, not_modified, or the error's kind (timeout, dns, ...).",
    ["result"],
    registry=REGISTRY,
)
POLL_CYCLE_SECONDS: Final = Histogram(
    "newsbot_poll_cycle_seconds",
    "Time one poll of the due feeds took, fetching, parsing and storing included.",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
    registry=REGISTRY,
)
UPDATES: Final = Counter(
    "newsbot_updates",
    "Telegram updates this process took, by how they came (polling or webhook).",
    ["mode"],
    registry=REGISTRY,
)

#: The database's figures, set from one read at each scrape.
_ARTICLES = Gauge(
    "newsbot_articles_published",
    "Articles published (their deliveries queued), as the database holds them.",
    registry=REGISTRY,
)
_DELIVERIES = Gauge(
    "newsbot_deliveries",
    "Deliveries in the database by status and reason (reason empty when there is none).",
    ["status", "reason"],
    registry=REGISTRY,
)
_OUTBOX = Gauge(
    "newsbot_outbox_depth",
    "Deliveries waiting to be sent or being sent now (pending and sending).",
    registry=REGISTRY,
)
_READERS = Gauge(
    "newsbot_readers",
    "Readers subscribed and reachable, by the edition they follow (a reader of two counts in"
    " each).",
    ["edition"],
    registry=REGISTRY,
)
_FEEDS = Gauge(
    "newsbot_feeds",
    "Feeds by state: active, failing (active with failures), paused.",
    ["state"],
    registry=REGISTRY,
)


def observe_poll(result: str) -> None:
    """One feed polled, with ``result`` (``ok``, ``not_modified`` or the error's kind)."""
    FEED_POLLS.labels(result=result).inc()


async def _read(session: AsyncSession) -> Callable[[], None]:
    """What the database holds now; setting the gauges to it is left to the caller, in one
    step with no wait (two scrapes at once cannot mix their figures)."""
    published = await session.scalar(
        select(func.count()).select_from(Article).where(Article.status == ArticleStatus.PUBLISHED)
    )
    deliveries = list(
        await session.execute(
            select(Delivery.status, Delivery.reason, func.count()).group_by(
                Delivery.status, Delivery.reason
            )
        )
    )
    readers = list(
        await session.execute(
            select(Edition.code, func.count(func.distinct(Subscription.chat_id)))
            .join(Subscription, Subscription.edition_id == Edition.id)
            .join(Subscriber, Subscriber.chat_id == Subscription.chat_id)
            .where(Subscriber.subscribed, Subscriber.active, ~Subscription.exclude)
            .group_by(Edition.code)
        )
    )
    failing = case((Feed.error_count > 0, 1), else_=0)
    feeds = list(
        await session.execute(
            select(Feed.active, failing, func.count()).group_by(Feed.active, failing)
        )
    )

    def apply() -> None:
        _ARTICLES.set(published or 0)
        _DELIVERIES.clear()
        for status, reason, count in deliveries:
            _DELIVERIES.labels(status=status, reason=reason or "").set(count)
        waiting = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        _OUTBOX.set(sum(count for status, _, count in deliveries if status in waiting))
        _READERS.clear()
        for code, count in readers:
            _READERS.labels(edition=code).set(count)
        states = dict.fromkeys(("active", "failing", "paused"), 0)
        for active, failing, count in feeds:
            states["paused" if not active else "failing" if failing else "active"] += count
        for state, count in states.items():
            _FEEDS.labels(state=state).set(count)

    return apply


async def render(db: Database) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, the database's read now, and its content type."""
    async with db.session() as session:
        apply = await _read(session)
    apply()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
