"""Sends: a draft published once, whoever presses; refusals say who, when and where; a
schedule is a row; approval holds a feed's articles; every delivery belongs to its send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.article import ArticleDraft
from bot.errors import AlreadyPostedError, SendStateError
from bot.quiet_hours import QuietHours
from bot.services import readers, sends
from bot.services.articles import store_drafts
from bot.services.push import store_draft
from bot.services.readers import Reader
from bot.services.routing import enqueue_many
from bot.storage.db import Database
from bot.storage.models import Article, ArticleStatus, Delivery, Send, SendStatus
from tests.helpers import use_editions

IST = ZoneInfo("Asia/Kolkata")
ASHA, OM = sends.Decider(1, "Asha"), sends.Decider(2, "Om")


def page(n: int) -> ArticleDraft:
    return ArticleDraft(
        key=f"https://p.example/{n}",
        title=f"Story {n}",
        summary="It happened. Then more happened.",
        link=f"https://p.example/{n}",
    )


async def drafted(db: Database, n: int = 1) -> int:
    """A pushed page stored as a draft with an open send; the send's id."""
    editions = await use_editions(db, ("en", "@revoi_en"))
    async with db.writing() as session:
        article = await store_draft(
            session, page(n), [f"https://p.example/{n}"], edition=editions.default
        )
        send = await sends.open_draft(session, article.id, requested_by=ASHA.user_id)
        return send.id


async def test_a_draft_goes_nowhere_until_published(db: Database) -> None:
    send_id = await drafted(db)
    async with db.writing() as session:
        await readers.subscribe(session, Reader(501), None)
    async with db.session() as session:
        assert (await session.scalars(select(Delivery))).all() == []
        found = await sends.get(session, send_id)
    assert found is not None
    assert found[1].status == ArticleStatus.DRAFT
    assert found[1].post_html  # rendered already: the preview is the post
    async with db.writing() as session:
        queued = await sends.publish(session, send_id, by=ASHA)
    assert queued == 2  # the channel and the reader
    async with db.session() as session:
        rows = (await session.scalars(select(Delivery))).all()
        article = await session.get(Article, found[1].id)
    assert {row.send_id for row in rows} == {send_id}
    assert article is not None
    assert article.status == ArticleStatus.PUBLISHED


async def test_publish_twice_is_refused_with_who_when_and_where(db: Database) -> None:
    send_id = await drafted(db)
    at = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    async with db.writing() as session:
        await sends.publish(session, send_id, by=ASHA, now=at)
    with pytest.raises(SendStateError) as refused:
        async with db.writing() as session:
            await sends.publish(session, send_id, by=OM)
    assert (refused.value.status, refused.value.by) == (SendStatus.QUEUED, "Asha")
    assert refused.value.at == at
    assert refused.value.channel == "@revoi_en"
    # The same page pushed again is refused before anything is stored.
    editions = await use_editions(db, ("en", "@revoi_en"))
    with pytest.raises(AlreadyPostedError) as again:
        async with db.writing() as session:
            await store_draft(session, page(1), ["https://p.example/1"], edition=editions.default)
    assert again.value.at == at
    assert again.value.channel == "@revoi_en"


async def test_two_editors_at_once_publish_once(db: Database) -> None:
    """Two processes' presses at the same moment: one publication, one refusal naming the
    other editor (on PostgreSQL the second waits for the first's row lock)."""
    send_id = await drafted(db)

    async def press(by: sends.Decider) -> str:
        try:
            async with db.writing() as session:
                await sends.publish(session, send_id, by=by)
        except SendStateError as exc:
            return f"refused:{exc.by}"
        return "published"

    outcomes = await asyncio.gather(press(ASHA), press(OM))
    assert sorted(outcomes)[0] == "published"
    assert sorted(outcomes)[1] in ("refused:Asha", "refused:Om")
    async with db.session() as session:
        [send] = (await session.scalars(select(Send))).all()
        channel_rows = (
            await session.scalars(select(Delivery).where(Delivery.kind == "channel"))
        ).all()
    assert len(channel_rows) == 1
    assert outcomes.index("published") == [ASHA, OM].index(
        ASHA if send.decided_by_name == "Asha" else OM
    )


async def test_schedule_cancel_and_due(db: Database) -> None:
    send_id = await drafted(db)
    at = datetime(2026, 12, 2, 12, 30, tzinfo=UTC)
    async with db.writing() as session:
        await sends.schedule(session, send_id, at, by=ASHA)
    async with db.session() as session:
        assert await sends.due(session, at - timedelta(seconds=1)) == []
        assert await sends.due(session, at) == [send_id]
        assert [s.id for s, _ in await sends.waiting(session)] == [send_id]
    async with db.writing() as session:
        await sends.cancel(session, send_id, by=OM)
    async with db.session() as session:
        assert await sends.due(session, at) == []
    with pytest.raises(SendStateError) as refused:
        async with db.writing() as session:
            await sends.publish(session, send_id, by=ASHA)
    assert (refused.value.status, refused.value.by) == (SendStatus.CANCELLED, "Om")


async def test_quiet_hours_make_the_channel_post_silent_unless_breaking(db: Database) -> None:
    quiet = QuietHours(time(23, 0), time(7, 0))
    night = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # 23:30 IST
    first, second = await drafted(db, 1), await drafted(db, 2)
    async with db.writing() as session:
        await sends.set_breaking(session, second, True)
        await sends.publish(session, first, by=ASHA, now=night, quiet=quiet, zone=IST)
        await sends.publish(session, second, by=ASHA, now=night, quiet=quiet, zone=IST)
    async with db.session() as session:
        silent = dict((await session.execute(select(Send.id, Send.silent))).all())
    assert silent == {first: True, second: False}


async def test_approval_holds_articles_as_drafts(db: Database) -> None:
    editions = await use_editions(db, ("en", "@revoi_en"))
    async with db.writing() as session:
        stored = await store_drafts(
            session, [page(7)], source="push", feed_id=None, publish=True,
            edition_id=editions.default.id,
        )  # fmt: skip
        [send_id] = await sends.hold_for_approval(session, [stored.published[0].id])
    async with db.session() as session:
        found = await sends.get(session, send_id)
        assert (await session.scalars(select(Delivery))).all() == []
    assert found is not None
    assert (found[0].status, found[1].status) == (SendStatus.AWAITING, ArticleStatus.DRAFT)
    assert found[1].published_link is None
    async with db.writing() as session:
        await sends.skip(session, send_id, by=OM)
    with pytest.raises(SendStateError) as refused:
        async with db.writing() as session:
            await sends.publish(session, send_id, by=ASHA)
    assert (refused.value.status, refused.value.by) == (SendStatus.SKIPPED, "Om")


async def test_a_feeds_publication_gets_a_send_of_its_own(db: Database) -> None:
    editions = await use_editions(db, ("en", "@revoi_en"))
    async with db.writing() as session:
        await readers.subscribe(session, Reader(501), None)
        stored = await store_drafts(
            session, [page(3), page(4)], source="push", feed_id=None, publish=True,
            edition_id=editions.default.id,
        )  # fmt: skip
        await enqueue_many(session, [a.id for a in stored.published], silent=True)
    async with db.session() as session:
        rows = (await session.execute(select(Delivery.article_id, Delivery.send_id))).all()
        feed_sends = (await session.scalars(select(Send))).all()
    assert len(feed_sends) == 2
    assert all(
        s.status == SendStatus.QUEUED and s.silent and s.requested_by is None for s in feed_sends
    )
    by_article = {s.article_id: s.id for s in feed_sends}
    assert all(send_id == by_article[article_id] for article_id, send_id in rows)
    assert len(rows) == 4


async def test_two_sends_of_one_article_publish_it_once(db: Database) -> None:
    """The same page pushed twice has two open previews; once one is published, the other can
    neither rewrite the post that went out nor publish it again (nor to another edition)."""
    from bot.services.push import draft_of, rewrite_draft

    editions = await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
    first = await drafted(db)
    async with db.writing() as session:
        article = await store_draft(
            session, page(1), ["https://p.example/1"], edition=editions.default
        )
        second = (await sends.open_draft(session, article.id, requested_by=OM.user_id)).id
    async with db.writing() as session:
        await sends.publish(session, first, by=ASHA)
    async with db.session() as session:
        found = await sends.get(session, second)
    assert found is not None
    rewritten = draft_of(found[1], summary="New.")
    async with db.writing() as session:
        with pytest.raises(AlreadyPostedError):
            await rewrite_draft(session, found[1], rewritten, edition=editions.by_code["hi"])
    with pytest.raises(AlreadyPostedError):
        async with db.writing() as session:
            await sends.publish(session, second, by=OM)
    async with db.session() as session:
        stored = await session.get(Article, article.id)
        chats = sorted(await session.scalars(select(Delivery.chat)))
    assert stored is not None
    assert (stored.status, stored.edition_id) == (ArticleStatus.PUBLISHED, editions.default.id)
    assert chats == ["@revoi_en"]


async def test_the_schedule_job_does_not_publish_a_send_moved_later(db: Database) -> None:
    send_id = await drafted(db)
    ten, later = datetime(2026, 12, 2, 4, 30, tzinfo=UTC), datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    async with db.writing() as session:
        await sends.schedule(session, send_id, ten, by=ASHA)
    async with db.session() as session:
        assert await sends.due(session, ten) == [send_id]  # the job sees it due…
    async with db.writing() as session:
        await sends.schedule(session, send_id, later, by=OM)  # …an editor moves it meanwhile
    with pytest.raises(SendStateError):
        async with db.writing() as session:
            await sends.publish(session, send_id, by=sends.Decider(None), now=ten, due_by=ten)
    async with db.writing() as session:
        assert await sends.publish(session, send_id, by=sends.Decider(None), due_by=later) == 1


async def test_an_approval_nobody_was_shown_is_found_again(db: Database) -> None:
    from bot.storage.models import ReviewMessage

    editions = await use_editions(db, ("en", "@revoi_en"))
    async with db.writing() as session:
        stored = await store_drafts(
            session, [page(8), page(9)], source="push", feed_id=None, publish=True,
            edition_id=editions.default.id,
        )  # fmt: skip
        shown, unseen = await sends.hold_for_approval(session, [a.id for a in stored.published])
        session.add(ReviewMessage(send_id=shown, chat=1, message_id=5))
    async with db.session() as session:
        assert await sends.unreviewed(session) == [unseen]


async def test_two_processes_refresh_the_administrators_at_once(db: Database) -> None:
    from bot.services import roles
    from bot.storage.models import ChannelAdmin

    now = datetime(2026, 12, 2, tzinfo=UTC)
    admins = [roles.Admin(11, "Kiran"), roles.Admin(12, "Lata")]

    async def refresh() -> None:
        async with db.writing() as session:
            await roles.replace_admins(session, "@revoi_en", admins, now)

    await asyncio.gather(refresh(), refresh())
    async with db.writing() as session:
        await roles.replace_admins(session, "@revoi_en", admins[1:], now)
    async with db.session() as session:
        assert sorted(await session.scalars(select(ChannelAdmin.user_id))) == [12]
        assert await roles.is_editor(session, 12, [])
        assert not await roles.is_editor(session, 11, [])
        assert await roles.is_editor(session, 11, [11])
