"""The totals (bot.services.stats.collect, format_stats): failed deliveries counted by reason,
unreachable readers by why, a missing reason as "other", printed in the totals' text."""

from __future__ import annotations

from bot.i18n import translator_for
from bot.services.stats import OTHER_REASON, collect, format_stats
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Delivery, DeliveryStatus, Subscriber

#: failed deliveries seeded, by reason (None: none recorded).
FAILURES: dict[str | None, int] = {"blocked": 3, "network": 1, None: 2, "parse": 1}
#: unreachable readers seeded, by inactive_reason.
INACTIVE: dict[str | None, int] = {"blocked": 2, "deactivated": 1, None: 1}


async def seed_reasons(db: Database) -> None:
    """Failed deliveries and unreachable readers with known reasons, and rows that must not be
    counted: sent or pending deliveries with a reason (retried), a reachable reader with an old
    inactive_reason."""
    async with db.session() as session, session.begin():
        article = Article(
            identity="0" * 64, key="k", origin="feed", status=ArticleStatus.PUBLISHED, title="T"
        )
        session.add(article)
        await session.flush()
        chats = iter(range(1000))

        def delivery(status: str, reason: str | None) -> Delivery:
            return Delivery(
                article_id=article.id,
                chat=str(next(chats)),
                kind="reader",
                status=status,
                reason=reason,
            )

        rows: list[object] = [
            delivery(DeliveryStatus.FAILED, reason)
            for reason, count in FAILURES.items()
            for _ in range(count)
        ]
        rows += [
            delivery(DeliveryStatus.SENT, "flood"),
            delivery(DeliveryStatus.PENDING, "network"),
            delivery(DeliveryStatus.UNKNOWN, "answer_lost"),
        ]
        chat_ids = iter(range(1, 1000))
        rows += [
            Subscriber(chat_id=next(chat_ids), active=False, inactive_reason=reason)
            for reason, count in INACTIVE.items()
            for _ in range(count)
        ]
        rows.append(Subscriber(chat_id=next(chat_ids), active=True, inactive_reason="blocked"))
        session.add_all(rows)  # type: ignore[arg-type]


class TestReasons:
    async def test_failures_by_reason(self, db: Database) -> None:
        """Only failed deliveries count, by reason, the most first; no reason is "other"."""
        await seed_reasons(db)
        async with db.session() as session:
            stats = await collect(session)
        assert stats.failures == {"blocked": 3, OTHER_REASON: 2, "network": 1, "parse": 1}
        assert list(stats.failures) == ["blocked", OTHER_REASON, "network", "parse"]
        assert stats.deliveries[DeliveryStatus.FAILED] == sum(FAILURES.values())

    async def test_unreachable_readers_by_reason(self, db: Database) -> None:
        """Only inactive readers count, by inactive_reason; they add up to the unreachable."""
        await seed_reasons(db)
        async with db.session() as session:
            stats = await collect(session)
        assert stats.inactive_reasons == {"blocked": 2, "deactivated": 1, OTHER_REASON: 1}
        assert stats.inactive == sum(stats.inactive_reasons.values()) == 4

    async def test_the_text_shows_them(self, db: Database) -> None:
        """The readers' line names why they are unreachable; a line under the deliveries
        breaks the failed ones down, "(others)" for no reason."""
        await seed_reasons(db)
        async with db.session() as session:
            text = format_stats(await collect(session))
        lines = text.splitlines()
        assert lines[0] == (
            "5 readers: 0 subscribed, 4 unreachable (blocked 2, deactivated 1, (others) 1)"
        )
        assert "  failed: blocked 3, (others) 2, network 1, parse 1" in lines

    async def test_nothing_failed_no_line(self, db: Database) -> None:
        """With no failure and nobody unreachable, the text is as before."""
        async with db.session() as session:
            stats = await collect(session)
        assert (stats.failures, stats.inactive_reasons) == ({}, {})
        text = format_stats(stats)
        assert text.splitlines()[0] == "0 readers: 0 subscribed, 0 unreachable"
        assert "failed:" not in text

    async def test_hindi(self, db: Database) -> None:
        """In Hindi the words are translated; the outbox's reasons stay as logged."""
        await seed_reasons(db)
        async with db.session() as session:
            text = format_stats(await collect(session), translator_for("hi"))
        assert "blocked 3, (अन्य) 2, network 1, parse 1" in text
