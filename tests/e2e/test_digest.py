"""The daily digest, end to end: the real PTB Application against the Bot API sandbox, with the
Newsbot's clock set by the test (nobody sleeps). A reader who chose ``/digest 8`` gets nothing
instantly (their article is held, and the outbox never sends it) and one message of links at
08:00 in Kolkata, once that day; ``/digest instant`` sends what was held at once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Newsbot
from bot.handlers import digest
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services import routing
from bot.services.articles import store_drafts
from bot.services.digests import next_digest
from bot.storage.db import Database
from bot.storage.models import Delivery, Subscriber, utcnow
from tests.e2e.chat import WAIT, ask, bot_settings, buttons
from tests.services.test_articles import draft

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAdigest-e2e-token-never-logged-000000"
ASHA, RAVI, OM = 7301, 7302, 7303
EN = translator_for("en")
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_digest_bot") as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN)
    async with Newsbot(settings, database=db) as running:
        jobs = running.application.job_queue
        assert jobs is not None
        for job in jobs.get_jobs_by_name("digest"):
            job.enabled = False  # the test calls queue_digests itself, at the times it sets
        yield running


def fixed(at: datetime) -> Any:
    return lambda: at


async def statuses(db: Database, chat_id: int) -> list[tuple[str, str]]:
    """The (kind, status) of ``chat_id``'s outbox rows, in order."""
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.kind, Delivery.status)
            .where(Delivery.chat == str(chat_id))
            .order_by(Delivery.id)
        )
        return [(kind, status) for kind, status in rows]


async def publish(db: Database, number: int, title: str) -> None:
    async with db.session() as session, session.begin():
        stored = await store_drafts(
            session, [draft(number, title=title)], source="push", feed_id=None, publish=True
        )
        await routing.enqueue_many(session, [a.id for a in stored.published])


async def test_digest_reader_gets_one_digest_at_their_hour(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """After `/digest 8` an article reaches the instant reader at once and the digest reader
    not; before 08:00 IST nothing is queued, after it one digest of links arrives, and a
    second look the same day queues none."""
    await ask(tg, ASHA, "/subscribe", 1)
    await ask(tg, RAVI, "/subscribe", 1)
    chosen_at = utcnow()
    newsbot.clock = fixed(chosen_at)
    first = next_digest(chosen_at, 8, IST)
    today = first.astimezone(IST).date() == chosen_at.astimezone(IST).date()
    answer = await ask(tg, ASHA, "/digest 8", 2)
    assert answer["html"] == digest.digest_set(EN, 8, "Asia/Kolkata", today)

    async with db.session() as session, session.begin():
        stored = await store_drafts(
            session, [draft(1, title="Rain <in> Kochi")], source="push", feed_id=None,
            publish=True,
        )  # fmt: skip
        await routing.enqueue_many(session, [a.id for a in stored.published])
    await newsbot.drain_now()
    [post] = (await tg.bot_messages(RAVI, wait_for=2, timeout=WAIT))[1:]
    assert "Rain" in post["text"]
    await newsbot.drain_now()  # a second drain: the held row is still not sent
    assert len(await tg.bot_messages(ASHA)) == 2  # /subscribe's and /digest's answers only
    assert await statuses(db, ASHA) == [("reader", "held")]

    newsbot.clock = fixed(first - timedelta(minutes=1))  # 07:59 IST
    assert await newsbot.queue_digests() == 0
    newsbot.clock = fixed(max(first, utcnow()) + timedelta(minutes=1))
    assert await newsbot.queue_digests() == 1
    messages = await tg.bot_messages(ASHA, wait_for=3, timeout=WAIT)
    assert len(messages) == 3
    sent = messages[2]
    assert sent["text"].startswith("Your digest of ")
    assert '<a href="https://news.example/1">Rain &lt;in&gt; Kochi</a>' in sent["html"]
    assert await newsbot.queue_digests() == 0  # the same day again: none
    newsbot.clock = fixed(first + timedelta(hours=20))
    assert await newsbot.queue_digests() == 0
    await newsbot.drain_now()  # waits for the kicked drain to record what it sent
    async with db.session() as session:
        rows = list(await session.execute(select(Delivery.kind, Delivery.status, Delivery.chat)))
    assert sorted(rows) == sorted(
        [
            ("reader", "sent", str(RAVI)),
            ("reader", "digested", str(ASHA)),
            ("digest", "sent", str(ASHA)),
        ]
    )
    assert len(await tg.bot_messages(ASHA)) == 3  # the article came in the digest only
    assert sent["method"] == "sendMessage"
    assert sent["options"].get("link_preview_options") == {"is_disabled": True}


async def test_keyboard_instant_and_bad_input(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/digest` asks a reader who is not subscribed to /subscribe first; subscribed, it shows
    the mode with Instant and hours; a button sets the hour, Instant goes back; a bad hour or
    time zone gets a clear line, a good zone is kept."""
    assert (await ask(tg, OM, "/digest", 1))["html"] == digest.not_subscribed(EN)
    await ask(tg, OM, "/subscribe", 2)
    shown = await ask(tg, OM, "/digest", 3)
    assert shown["html"] == digest.status(EN, None, "Asia/Kolkata")
    keys = buttons(shown)
    assert keys[digest.instant_button(EN)] == "digest:instant"
    assert keys["18:00"] == "digest:18"

    await tg.press(OM, shown["message_id"], keys["18:00"])
    [press] = await tg.callbacks(wait_answered=1, timeout=WAIT)
    assert press["answer"]["text"] == digest.digest_answer(EN)
    async with db.session() as session:
        row = await session.get(Subscriber, OM)
        assert row is not None
        assert (row.digest_hour, row.last_digest_at is not None) == (18, True)

    bad = await ask(tg, OM, "/digest 25", 4)
    assert bad["html"] == digest.bad_hour(EN, "25")
    zone = await ask(tg, OM, "/digest 7:00 Mars/Olympus", 5)
    assert zone["html"] == digest.bad_zone(EN, "Mars/Olympus")
    directory = await ask(tg, OM, "/digest 8 America", 6)  # a directory of zones, not one
    assert directory["html"] == digest.bad_zone(EN, "America")
    london = await ask(tg, OM, "/digest 7:00 Europe/London", 7)
    assert "07:00 (Europe/London)" in london["text"]
    again = await ask(tg, OM, "/digest", 8)
    assert again["html"] == digest.status(EN, 7, "Europe/London")

    await tg.press(OM, again["message_id"], "digest:instant")
    await tg.callbacks(wait_answered=2, timeout=WAIT)
    async with db.session() as session:
        row = await session.get(Subscriber, OM)
        assert row is not None
        assert row.digest_hour is None
    [*_, edited] = await tg.bot_messages(OM)
    assert edited["text"] == digest.instant_set(EN)


async def test_instant_sends_what_was_held_at_once(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """`/digest instant` sends what was held for the digest at once, as a digest, and the
    articles after it one by one; nothing held is lost and no digest comes at the hour."""
    await ask(tg, ASHA, "/subscribe", 1)
    await ask(tg, ASHA, "/digest 8", 2)
    await publish(db, 1, "Held story")
    await newsbot.drain_now()
    assert len(await tg.bot_messages(ASHA)) == 2

    await tg.send(ASHA, "/digest instant", first_name="Asha")
    messages = await tg.bot_messages(ASHA, wait_for=4, timeout=WAIT)
    assert len(messages) == 4
    texts = [m["text"] for m in messages[2:]]
    assert digest.instant_set(EN) in texts
    # Under a heading that says what it is, not "Your digest of …".
    [sent] = [m for m in messages[2:] if m["text"].startswith("Kept for you while you were")]
    assert "Held story" in sent["html"]

    await publish(db, 2, "Instant story")
    await newsbot.drain_now()
    [*_, post] = await tg.bot_messages(ASHA, wait_for=5, timeout=WAIT)
    assert "Instant story" in post["text"]
    newsbot.clock = fixed(utcnow() + timedelta(days=1))
    assert await newsbot.queue_digests() == 0
    await newsbot.drain_now()
    assert await statuses(db, ASHA) == [
        ("reader", "digested"),
        ("digest", "sent"),
        ("reader", "sent"),
    ]
