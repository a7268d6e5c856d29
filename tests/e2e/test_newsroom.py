"""The newsroom in the chat: /push answers with the post as readers will see it and buttons
(Publish, Edit summary, Change edition, Schedule, Breaking, Cancel); schedules survive a
restart; a feed in approval mode waits for the first editor's Publish or Skip; quiet hours;
channel administrators are editors; readers are refused everything (the real Application
against the sandbox, SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import Newsbot
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.models import (
    Article,
    ArticleStatus,
    ChannelAdmin,
    Delivery,
    Feed,
    Send,
    SendStatus,
)
from tests.e2e.chat import WAIT, ask, bot_settings, buttons

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAnewsroom-token-never-in-any-log00"
EDITOR, SECOND_EDITOR, ADMIN, READER = 8101, 8102, 8103, 8104
CHANNEL, HINDI = "room_en", "room_hi"

PAGE = """<!doctype html><html><head>
<meta property="og:title" content="Dam inspection finds no damage">
<meta property="og:description" content="Engineers checked every section of the dam on Sunday. \
They found no cracks.">
<meta property="og:url" content="https://paper.example/dam">
</head><body></body></html>"""

OTHER_PAGE = PAGE.replace("Dam inspection finds no damage", "Council approves budget").replace(
    "/dam", "/budget"
)


def rss(*items: tuple[str, str, str]) -> str:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://paper.example/{guid}</link><description>{body}</description></item>"
        for guid, title, body in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Paper</title>'
        f"<link>https://paper.example/</link>{entries}</channel></rss>"
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="room_bot", channels=(CHANNEL, HINDI)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/dam.html", PAGE, "text/html; charset=utf-8")
        server.put("/budget.html", OTHER_PAGE, "text/html; charset=utf-8")
        server.put(
            "/feed.xml", rss(("old", "Old news", "Nobody gets this.")), "application/rss+xml"
        )
        yield server


def settings_for(sandbox: SandboxServer, **values: Any) -> Any:
    return bot_settings(
        sandbox,
        TOKEN,
        editions=f"en=@{CHANNEL},hi=@{HINDI}",
        editor_ids=[EDITOR, SECOND_EDITOR],
        parse_workers=0,
        **values,
    )


def posts(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["from_bot"]]


async def control(tg: SandboxClient, chat: int, count: int) -> dict[str, Any]:
    """The bot's ``count``-th message to ``chat`` (a control message), as it is now."""
    messages = await tg.bot_messages(chat, wait_for=count, timeout=WAIT)
    assert len(messages) >= count
    return messages[count - 1]


async def press(tg: SandboxClient, chat: int, message: dict[str, Any], label: str) -> None:
    await tg.press(chat, message["message_id"], buttons(message)[label])


async def current(tg: SandboxClient, chat: int, message_id: int) -> dict[str, Any]:
    [found] = [m for m in await tg.bot_messages(chat) if m["message_id"] == message_id]
    return found


async def wait_edited(
    tg: SandboxClient, chat: int, message_id: int, contains: str
) -> dict[str, Any]:
    """The message once its text holds ``contains`` (the bot edits before it answers)."""
    for _ in range(int(WAIT / 0.05)):
        found = await current(tg, chat, message_id)
        if contains in (found.get("text") or ""):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {message_id} never said {contains!r}: {found.get('text')!r}")


async def test_preview_publish_and_refusals(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """/push shows the post and buttons and sends nothing; Publish sends it to the channel and
    the readers; Publish again, and a second /push of the article, are refused with when and
    where it went; a reader's /push and a forged button do nothing."""
    async with Newsbot(settings_for(sandbox), database=db):
        await ask(tg, READER, "/start", 1, first_name="Ravi")
        await ask(tg, READER, "/subscribe", 2, first_name="Ravi")
        await tg.send(EDITOR, f"/push {site.url_for('/dam.html')}", first_name="Asha")
        preview = await control(tg, EDITOR, 1)
        assert preview["text"].startswith("Dam inspection finds no damage")
        panel = await control(tg, EDITOR, 2)
        assert "Preview" in panel["text"]
        assert f"@{CHANNEL}" in panel["text"]
        assert list(buttons(panel)) == [
            "Publish",
            "Edit summary",
            "Change edition",
            "Schedule",
            "Mark as breaking",
            "Discard",
        ]
        assert posts(await tg.messages(f"@{CHANNEL}")) == []  # nothing goes out before Publish

        await press(tg, EDITOR, panel, "Publish")
        channel = posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
        assert channel[0]["text"].startswith("Dam inspection finds no damage")
        reader = await control(tg, READER, 3)
        assert reader["text"].startswith("Dam inspection finds no damage")
        summary = await wait_edited(tg, EDITOR, panel["message_id"], "Delivered to 1 of 1")
        assert f"@{CHANNEL}" in summary["text"]

        # The same article again: refused with when and where it went.
        await tg.send(EDITOR, f"/push {site.url_for('/dam.html')}", first_name="Asha")
        again = await control(tg, EDITOR, 3)
        assert "went out today at" in again["text"]
        assert f"@{CHANNEL}" in again["text"]

        # Mistakes get their own sentence, not a generic error.
        unknown = await ask(tg, EDITOR, f"/push {site.url_for('/budget.html')} xx", 4)
        assert "There is no edition “xx”; the editions are en, hi." in unknown["text"]
        bad = await ask(tg, EDITOR, "/push not-a-url", 5)
        assert "give a full link that starts with http:// or https://" in bad["text"]

        # A reader's /push and a forged Publish button change nothing.
        refusal = await ask(tg, READER, f"/push {site.url_for('/budget.html')}", 4)
        assert "only the newsroom's editors" in refusal["text"]
        async with db.session() as session:
            assert (
                await session.scalar(
                    select(Article).where(Article.link == "https://paper.example/budget")
                )
                is None
            )
    assert len(posts(await tg.messages(f"@{CHANNEL}"))) == 1


async def test_edit_summary_change_edition_breaking_and_cancel(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """Edit summary takes the editor's next message; Change edition moves it to Hindi; Cancel
    sends nothing; Breaking rings in quiet hours while a plain post is silent."""
    settings = settings_for(sandbox, quiet_hours="00:00-23:59")
    async with Newsbot(settings, database=db):
        await tg.send(EDITOR, f"/push {site.url_for('/dam.html')}", first_name="Asha")
        panel = await control(tg, EDITOR, 2)
        await press(tg, EDITOR, panel, "Edit summary")
        prompt = await control(tg, EDITOR, 3)
        assert "new summary" in prompt["text"]
        await tg.send(EDITOR, "Inspectors say the dam is safe. Repairs are not needed.")
        new_preview = await control(tg, EDITOR, 4)
        assert "Inspectors say the dam is safe." in new_preview["text"]
        new_panel = await control(tg, EDITOR, 5)
        await press(tg, EDITOR, new_panel, "Change edition")
        choices = await wait_edited(tg, EDITOR, new_panel["message_id"], "Preview")
        for _ in range(int(WAIT / 0.05)):
            choices = await current(tg, EDITOR, new_panel["message_id"])
            if any(HINDI in label for label in buttons(choices)):
                break
            await asyncio.sleep(0.05)
        [hindi] = [label for label in buttons(choices) if HINDI in label]
        await press(tg, EDITOR, choices, hindi)
        await wait_edited(tg, EDITOR, new_panel["message_id"], f"@{HINDI}")
        moved = await current(tg, EDITOR, new_panel["message_id"])
        await press(tg, EDITOR, moved, "Mark as breaking")
        breaking = await wait_edited(tg, EDITOR, new_panel["message_id"], "Breaking")
        await press(tg, EDITOR, breaking, "Publish")
        [post] = posts(await tg.messages(f"@{HINDI}", wait_for=1, timeout=WAIT))
        assert "Inspectors say the dam is safe." in post["text"]
        assert not post["options"].get("disable_notification")  # Breaking rings
        assert posts(await tg.messages(f"@{CHANNEL}")) == []

        await tg.send(EDITOR, f"/push {site.url_for('/budget.html')}", first_name="Asha")
        quiet_panel = await control(tg, EDITOR, 7)
        assert "quiet hours (00:00-23:59)" in quiet_panel["text"]  # the editor is told
        await press(tg, EDITOR, quiet_panel, "Publish")
        [quiet] = posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
        assert quiet["options"].get("disable_notification") is True  # quiet hours: no sound

        site.put("/third.html", PAGE.replace("/dam", "/third").replace("Dam", "Third"))
        await tg.send(EDITOR, f"/push {site.url_for('/third.html')}", first_name="Asha")
        third = await control(tg, EDITOR, 9)
        await press(tg, EDITOR, third, "Discard")
        await wait_edited(tg, EDITOR, third["message_id"], "Cancelled")
    assert len(posts(await tg.messages(f"@{CHANNEL}"))) == 1
    async with db.session() as session:
        statuses = sorted((await session.scalars(select(Send.status))).all())
    assert statuses.count(SendStatus.CANCELLED) == 1


async def test_schedule_survives_a_restart(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """/push URL at 18:00 schedules it (in the publisher's time); /scheduled lists it; after a
    restart it goes out when the clock passes 18:00 IST, and not before."""
    settings = settings_for(sandbox)
    morning = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # 09:30 IST
    async with Newsbot(settings, database=db) as newsbot:
        newsbot.clock = lambda: morning
        await tg.send(EDITOR, f"/push {site.url_for('/dam.html')} at 18:00", first_name="Asha")
        panel = await control(tg, EDITOR, 2)
        assert "Scheduled" in panel["text"]
        assert "today at 18:00 IST" in panel["text"]
        await tg.send(EDITOR, f"/push {site.url_for('/budget.html')} at 19:00")
        budget_panel = await control(tg, EDITOR, 4)
        listing = await ask(tg, EDITOR, "/scheduled", 5)
        assert "Dam inspection finds no damage" in listing["text"]
        assert "Council approves budget" in listing["text"]
        await press(tg, EDITOR, listing, "Cancel: Council approves budget")
        left = await wait_edited(tg, EDITOR, listing["message_id"], "Scheduled")
        for _ in range(int(WAIT / 0.05)):  # the list is edited to show what is left
            left = await current(tg, EDITOR, listing["message_id"])
            if "Council" not in left["text"]:
                break
            await asyncio.sleep(0.05)
        assert "Council approves budget" not in left["text"]
        assert "Dam inspection finds no damage" in left["text"]
        await wait_edited(tg, EDITOR, budget_panel["message_id"], "Cancelled")
        assert await newsbot.publish_due() == 0

        # Cancel schedule on a scheduled push: back to the preview's buttons, nothing sent.
        site.put("/third.html", PAGE.replace("/dam", "/third").replace("Dam", "Third"))
        await tg.send(EDITOR, f"/push {site.url_for('/third.html')} at 20:00")
        third = await control(tg, EDITOR, 7)
        assert list(buttons(third)) == ["Publish now", "Change time", "Cancel schedule"]
        await press(tg, EDITOR, third, "Cancel schedule")
        back = await wait_edited(tg, EDITOR, third["message_id"], "Preview")
        assert "Publish" in buttons(back)
    async with db.session() as session:
        [send] = (
            await session.scalars(select(Send).where(Send.status == SendStatus.SCHEDULED))
        ).all()
    assert send.not_before == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)

    async with Newsbot(settings, database=db) as again:
        again.clock = lambda: datetime(2026, 12, 2, 12, 29, tzinfo=UTC)
        assert await again.publish_due() == 0
        assert posts(await tg.messages(f"@{CHANNEL}")) == []
        again.clock = lambda: datetime(2026, 12, 2, 12, 31, tzinfo=UTC)
        assert await again.publish_due() == 1
        [post] = posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
        assert post["text"].startswith("Dam inspection finds no damage")
        assert await again.publish_due() == 0


async def test_approval_first_editor_decides(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """A feed in approval mode publishes nothing by itself: each editor gets the preview with
    Publish and Skip; the first press decides and the other editor's message says who."""
    settings = settings_for(sandbox, feeds=[site.url_for("/feed.xml")])
    async with Newsbot(settings, database=db) as newsbot:
        for editor in (EDITOR, SECOND_EDITOR):
            await ask(tg, editor, "/help", 1, first_name="Asha" if editor == EDITOR else "Om")
        await newsbot.poll_now()  # primes: the old entry is only seen
        async with db.writing() as session:
            await session.execute(update(Feed).values(approve=True))
        site.put(
            "/feed.xml",
            rss(
                ("a2", "Second story", "The second story."),
                ("a1", "First story", "The first story."),
                ("old", "Old news", "Nobody gets this."),
            ),
            "application/rss+xml",
        )
        await newsbot.poll_now()
        assert posts(await tg.messages(f"@{CHANNEL}")) == []
        first_asha = await control(tg, EDITOR, 3)  # help, preview, panel (first story)
        assert "Waiting for approval" in first_asha["text"]
        assert list(buttons(first_asha))[:2] == ["Publish", "Skip"]
        first_om = await control(tg, SECOND_EDITOR, 3)
        second_asha = await control(tg, EDITOR, 5)
        second_om = await control(tg, SECOND_EDITOR, 5)

        # Both press Publish at once: exactly one publication; the other is told who.
        await asyncio.gather(
            press(tg, EDITOR, first_asha, "Publish"), press(tg, SECOND_EDITOR, first_om, "Publish")
        )
        [post] = posts(await tg.messages(f"@{CHANNEL}", wait_for=1, timeout=WAIT))
        assert post["text"].startswith("First story")
        async with db.session() as session:
            decided = (
                await session.execute(
                    select(Send.decided_by_name, Send.status).where(
                        Send.status != SendStatus.AWAITING
                    )
                )
            ).all()
        assert len(decided) == 1, decided
        winner = decided[0][0]
        assert winner in ("Asha", "Om")
        loser, message = (SECOND_EDITOR, first_om) if winner == "Asha" else (EDITOR, first_asha)
        told = await wait_edited(tg, loser, message["message_id"], "ublished by")
        assert winner in told["text"]

        await press(tg, SECOND_EDITOR, second_om, "Skip")
        told = await wait_edited(tg, EDITOR, second_asha["message_id"], "Skipped")
        assert "Om" in told["text"]
    assert len(posts(await tg.messages(f"@{CHANNEL}"))) == 1
    async with db.session() as session:
        statuses = dict((await session.execute(select(Article.title, Article.status))).all())
    assert statuses["First story"] == ArticleStatus.PUBLISHED
    assert statuses["Second story"] == ArticleStatus.DRAFT


async def test_channel_administrator_is_an_editor(
    db: Database, sandbox: SandboxServer, site: FeedServer, tg: SandboxClient
) -> None:
    """A channel administrator not in EDITOR_IDS may /push (asked from Telegram at start); one
    promoted later may too at once (chat_member), and one demoted may not."""
    await tg.set_admins(f"@{CHANNEL}", [ADMIN])
    async with Newsbot(settings_for(sandbox), database=db):
        await tg.send(ADMIN, f"/push {site.url_for('/dam.html')}", first_name="Kiran")
        panel = await control(tg, ADMIN, 2)
        assert "Preview" in panel["text"]
        await tg.set_admins(f"@{CHANNEL}", [READER])  # ADMIN demoted, READER promoted
        for _ in range(int(WAIT / 0.05)):
            async with db.session() as session:
                admins = set(await session.scalars(select(ChannelAdmin.user_id)))
            if admins == {READER}:
                break
            await asyncio.sleep(0.05)
        assert admins == {READER}
        refused = await ask(tg, ADMIN, "/scheduled", 3)
        assert "only the newsroom's editors" in refused["text"]
        answer = await ask(tg, READER, "/scheduled", 1)
        assert "Nothing is scheduled" in answer["text"]


@pytest.mark.parametrize(
    "command", ["/push https://x.example/a", "/preview https://x.example/a", "/scheduled"]
)
async def test_reader_is_refused(
    db: Database, sandbox: SandboxServer, tg: SandboxClient, command: str
) -> None:
    """Each editor command from a reader is refused politely; nothing reaches the channel."""
    async with Newsbot(settings_for(sandbox), database=db):
        answer = await ask(tg, READER, command, 1)
        assert "only the newsroom's editors" in answer["text"]
    assert posts(await tg.messages(f"@{CHANNEL}")) == []
    async with db.session() as session:
        assert (await session.scalars(select(Send))).all() == []
        assert (await session.scalars(select(Delivery))).all() == []
