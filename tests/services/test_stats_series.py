"""A period's numbers day by day (bot.services.stats_series): readers rebuilt from their rows,
sign-ups per day and per campaign, deliveries sent and failed per day, the most-reacted
articles; days in the publisher's time zone; periods as typed. Also the reactions a channel
post's ``message_reaction_count`` update stores (bot.services.stats.record_reactions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.stats import collect, record_reactions
from bot.services.stats_series import (
    CampaignSignUps,
    Period,
    PeriodError,
    Series,
    collect_series,
    parse_period,
)
from bot.storage.db import Database
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    PostReaction,
    Subscriber,
)
from tests.helpers import use_editions

ZONE = ZoneInfo("Asia/Kolkata")
#: Wednesday 2 December 2026, noon in Kolkata.
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=ZONE).astimezone(UTC)
CHANNEL = "@revoi_en"
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` stored, as the 7-day series must show it."""

    today: date
    readers: list[int]  # per day, oldest first
    readers_before: int
    sign_ups: list[int]
    sent: list[int]
    failed: list[int]
    campaigns: list[CampaignSignUps]
    top: list[tuple[str, int, dict[str, int]]]  # title, reactions, counts
    article_ids: dict[str, int]


def at(now: datetime, days_ago: int, hour: float) -> datetime:
    """``hour`` o'clock in Kolkata ``days_ago`` days before ``now``'s day (aware UTC), but
    never after ``now``."""
    day = now.astimezone(ZONE).date() - timedelta(days=days_ago)
    moment = datetime.combine(day, time(), tzinfo=ZONE) + timedelta(hours=hour)
    return min(moment.astimezone(UTC), now - timedelta(seconds=1))


async def seed(db: Database, now: datetime = NOW) -> Seeded:
    """Readers, deliveries and reactions at known days of the 7 days up to ``now``."""
    await use_editions(db, ("en", CHANNEL))

    def reader(chat_id: int, **values: object) -> Subscriber:
        return Subscriber(chat_id=chat_id, started_at=at(now, 30, 9), **values)

    rows: list[object] = [
        # Subscribed long before the period: every day.
        reader(1, subscribed=True, subscribed_at=at(now, 20, 9)),
        # Day 5 (27 Nov for NOW) through a poster: from then on.
        reader(2, subscribed=True, subscribed_at=at(now, 5, 10), campaign="poster-metro"),
        # Day 4, the poster again; left on day 2: counted days 4 and 3.
        reader(
            3,
            subscribed=False,
            subscribed_at=at(now, 4, 10),
            unsubscribed_at=at(now, 2, 10),
            campaign="poster-metro",
        ),
        # Day 3 at 01:00 in Kolkata (the evening before in UTC), a flyer; blocked the bot on
        # day 1: counted days 3 and 2.
        reader(
            4,
            subscribed=True,
            active=False,
            subscribed_at=at(now, 3, 1),
            inactive_since=at(now, 1, 9),
            campaign="flyer",
        ),
        # Subscribed before the period, left on its second day: counted on the first day.
        reader(5, subscribed=False, subscribed_at=at(now, 25, 9), unsubscribed_at=at(now, 5, 9)),
        # Started the bot, never subscribed: never.
        reader(6, campaign="poster-metro"),
        # Today, with no campaign.
        reader(7, subscribed=True, subscribed_at=at(now, 0, 8)),
        # Subscribed before the period, left before it: never.
        reader(8, subscribed=False, subscribed_at=at(now, 30, 10), unsubscribed_at=at(now, 9, 9)),
    ]
    articles = {
        "Old story": at(now, 20, 9),
        "Metro line opens": at(now, 5, 8),
        "Monsoon returns": at(now, 2, 8),
        "No reactions": at(now, 1, 8),
    }
    async with db.session() as session, session.begin():
        session.add_all(rows)  # type: ignore[arg-type]
        ids: dict[str, int] = {}
        for n, (title, published) in enumerate(articles.items()):
            article = Article(
                identity=f"{n:064d}",
                key=f"key-{n}",
                origin="feed",
                status=ArticleStatus.PUBLISHED,
                title=title,
                link=f"https://news.example/{n}",
                published_at=published,
            )
            session.add(article)
            await session.flush()
            ids[title] = article.id
        metro, monsoon = ids["Metro line opens"], ids["Monsoon returns"]

        def delivery(chat: str, status: str, article: int = metro, **values: object) -> Delivery:
            return Delivery(article_id=article, chat=chat, kind="reader", status=status, **values)

        session.add_all(
            [
                # Day 5: three sent, one failed (its last attempt then).
                Delivery(
                    article_id=metro,
                    chat=CHANNEL,
                    kind="channel",
                    status=DeliveryStatus.SENT,
                    message_id=10,
                    sent_at=at(now, 5, 8.5),
                ),
                delivery("1", DeliveryStatus.SENT, sent_at=at(now, 5, 8.5)),
                delivery("2", DeliveryStatus.SENT, sent_at=at(now, 5, 23.9)),
                delivery("5", DeliveryStatus.FAILED, claimed_at=at(now, 5, 8.5)),
                # Day 2: one failed, never claimed (counted on the day it was queued).
                delivery("9", DeliveryStatus.FAILED, article=monsoon, created_at=at(now, 2, 8)),
                # Today: two sent; and one still pending (not counted).
                delivery("1", DeliveryStatus.SENT, article=monsoon, sent_at=at(now, 0, 7)),
                delivery("2", DeliveryStatus.SENT, article=monsoon, sent_at=at(now, 0, 7)),
                delivery(
                    "7", DeliveryStatus.PENDING, article=monsoon, next_attempt_at=now + 9 * HOUR
                ),
                # Before the period: not counted.
                delivery(
                    "1", DeliveryStatus.SENT, article=ids["Old story"], sent_at=at(now, 20, 9)
                ),
            ]
        )
        session.add_all(
            [
                PostReaction(
                    chat=CHANNEL,
                    message_id=10,
                    article_id=metro,
                    total=7,
                    counts={"👍": 5, "🔥": 2},
                    updated_at=now,
                ),
                PostReaction(
                    chat=CHANNEL,
                    message_id=11,
                    article_id=monsoon,
                    total=9,
                    counts={"❤": 9},
                    updated_at=now,
                ),
                # Published before the period: not among the period's articles.
                PostReaction(
                    chat=CHANNEL,
                    message_id=3,
                    article_id=ids["Old story"],
                    total=50,
                    counts={"👍": 50},
                    updated_at=now,
                ),
                # A post of no known article: left out.
                PostReaction(
                    chat=CHANNEL, message_id=99, total=100, counts={"👍": 100}, updated_at=now
                ),
            ]
        )
    return Seeded(
        today=now.astimezone(ZONE).date(),
        readers=[2, 2, 3, 4, 3, 2, 3],
        readers_before=2,
        sign_ups=[0, 1, 1, 1, 0, 0, 1],
        sent=[0, 3, 0, 0, 0, 0, 2],
        failed=[0, 1, 0, 0, 1, 0, 0],
        campaigns=[
            CampaignSignUps("poster-metro", 2),
            CampaignSignUps("flyer", 1),
            CampaignSignUps(None, 1),
        ],
        top=[("Monsoon returns", 9, {"❤": 9}), ("Metro line opens", 7, {"👍": 5, "🔥": 2})],
        article_ids=ids,
    )


def assert_matches(series: Series, seeded: Seeded) -> None:
    """``series`` (7 days) is what :func:`seed` stored."""
    assert [d.day for d in series.days] == [
        seeded.today - timedelta(days=n) for n in range(6, -1, -1)
    ]
    assert [d.readers for d in series.days] == seeded.readers
    assert series.readers_before == seeded.readers_before
    assert [d.sign_ups for d in series.days] == seeded.sign_ups
    assert [d.sent for d in series.days] == seeded.sent
    assert [d.failed for d in series.days] == seeded.failed
    assert series.campaigns == seeded.campaigns
    assert [(p.title, p.reactions, p.counts) for p in series.top_posts] == seeded.top


class TestParsePeriod:
    @pytest.mark.parametrize(
        ("typed", "expected"),
        [
            ("7d", Period(days=7)),
            ("30d", Period(days=30)),
            ("24h", Period(hours=24)),
            (" 14D ", Period(days=14)),
            ("366d", Period(days=366)),
        ],
    )
    def test_periods_as_typed(self, typed: str, expected: Period) -> None:
        """Days and hours are read in any case, with spaces around."""
        assert parse_period(typed) == expected

    @pytest.mark.parametrize("typed", ["5x", "", "d", "7", "0d", "367d", "-1d", "1w", "7d 2h"])
    def test_anything_else_is_refused(self, typed: str) -> None:
        """A period that is not <N>d or <N>h from 1h to a year is refused with the way to write
        one."""
        with pytest.raises(PeriodError, match="7d"):
            parse_period(typed)

    def test_days_start_at_midnight_in_the_zone(self) -> None:
        """7d begins at midnight in Kolkata six days before today; 24h begins 24 hours ago."""
        assert Period(days=7).start(NOW, ZONE) == datetime(2026, 11, 26, tzinfo=ZONE)
        assert Period(hours=24).start(NOW, ZONE) == NOW - timedelta(hours=24)


class TestCollectSeries:
    async def test_the_series_are_what_the_rows_say(self, db: Database) -> None:
        """Readers per day (stints rebuilt from subscribed/unsubscribed/inactive times), sign-ups
        per day and per campaign, deliveries per day and the most-reacted articles of the
        period are the seeded ones, days in Kolkata's calendar."""
        seeded = await seed(db)
        async with db.session() as session:
            series = await collect_series(session, Period(days=7), ZONE, now=NOW)
        assert_matches(series, seeded)
        assert series.days[0].day == date(2026, 11, 26)
        assert (series.readers, series.sign_ups, series.sent, series.failed) == (3, 4, 5, 2)

    async def test_the_last_day_is_todays_subscribed_count(self, db: Database) -> None:
        """The readers of the period's last day are the readers `newsbot stats` calls
        subscribed."""
        await seed(db)
        async with db.session() as session:
            series = await collect_series(session, Period(days=30), ZONE, now=NOW)
            totals = await collect(session)
        assert len(series.days) == 30
        assert series.readers == totals.subscribed == 3

    async def test_hours_cover_part_of_a_day(self, db: Database) -> None:
        """24h covers yesterday and today: only what happened in the last 24 hours counts."""
        seeded = await seed(db)
        async with db.session() as session:
            series = await collect_series(session, Period(hours=24), ZONE, now=NOW)
        assert [d.day for d in series.days] == [seeded.today - timedelta(days=1), seeded.today]
        assert [d.sent for d in series.days] == [0, 2]
        assert [d.sign_ups for d in series.days] == [0, 1]
        assert series.readers_before == 2  # reader 4 was blocked yesterday at 09:00, before noon
        assert series.campaigns == [CampaignSignUps(None, 1)]
        assert series.top_posts == []  # nothing with reactions published in the last 24 hours

    async def test_an_empty_database_is_all_zeros(self, db: Database) -> None:
        """No readers, no deliveries: a day each with zeros, no campaigns, no articles."""
        async with db.session() as session:
            series = await collect_series(session, Period(days=7), ZONE, now=NOW)
        assert len(series.days) == 7
        assert all((d.readers, d.sign_ups, d.sent, d.failed) == (0, 0, 0, 0) for d in series.days)
        assert (series.campaigns, series.top_posts) == ([], [])


class TestRecordReactions:
    async def _post(self, db: Database) -> int:
        await use_editions(db, ("en", "@Revoi_EN"))
        async with db.session() as session, session.begin():
            article = Article(identity="a" * 64, key="k", origin="feed", title="Story")
            session.add(article)
            await session.flush()
            session.add(
                Delivery(
                    article_id=article.id,
                    chat="@Revoi_EN",
                    kind="channel",
                    status=DeliveryStatus.SENT,
                    message_id=42,
                )
            )
            return article.id

    async def test_a_post_gets_its_article_and_total(self, db: Database) -> None:
        """Reactions on a channel post are stored under the channel as the edition names it,
        with the post's article and their sum, whatever the case of the username."""
        article_id = await self._post(db)
        async with db.writing() as session:
            row = await record_reactions(
                session, -1001, "revoi_en", 42, {"👍": 3, "🔥": 2, "😢": 0}, NOW
            )
        assert row is not None
        assert (row.chat, row.message_id, row.article_id) == ("@Revoi_EN", 42, article_id)
        assert (row.total, row.counts) == (5, {"👍": 3, "🔥": 2})

    async def test_a_later_update_replaces_and_an_older_one_does_not(self, db: Database) -> None:
        """Each update says the totals now: a later one replaces them, one that arrives late
        (an older date) is dropped."""
        await self._post(db)
        async with db.writing() as session:
            await record_reactions(session, -1001, "revoi_en", 42, {"👍": 3}, NOW)
        async with db.writing() as session:
            await record_reactions(session, -1001, "revoi_en", 42, {"👍": 4, "❤": 1}, NOW + HOUR)
        async with db.writing() as session:
            row = await record_reactions(session, -1001, "revoi_en", 42, {"👍": 1}, NOW)
        assert row is not None
        assert (row.total, row.counts) == (5, {"👍": 4, "❤": 1})
        async with db.session() as session:
            rows = (await session.scalars(select(PostReaction))).all()
        assert len(rows) == 1

    async def test_channel_by_id_and_unknown_posts(self, db: Database) -> None:
        """A channel named by its id is found by the update's chat id; a post newsbot did not
        make in an edition's channel is kept without article; another chat's is ignored."""
        await use_editions(db, ("en", "-1009"))
        async with db.writing() as session:
            kept = await record_reactions(session, -1009, None, 7, {"👍": 1}, NOW)
            ignored = await record_reactions(session, -1234, "elsewhere", 7, {"👍": 1}, NOW)
        assert kept is not None
        assert (kept.chat, kept.article_id, kept.total) == ("-1009", None, 1)
        assert ignored is None
