"""A send's progress, end to end: the real PTB Application against the Bot API sandbox. The
editor's message follows the delivery ("Delivering… 12 / 50 · …"), edited at most once every
three seconds, and ends with a summary whose figures are what the readers got; failures are
told once, to the editor who published, or to every editor for a send with no message."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.app import Newsbot
from bot.handlers import progress_texts
from bot.i18n import translator_for
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services import readers, sends
from bot.services.push import Drafted, draft_push
from bot.services.readers import Reader
from bot.services.sends import ChannelPost, Progress, Tally
from bot.storage.db import Database
from bot.storage.models import DeliveryStatus, Send, SendStatus
from tests.e2e.chat import WAIT, bot_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAprogress-token-never-in-any-log000"
CHANNEL = "e2e_progress"
EDITOR = 7400
READERS = list(range(7401, 7451))  # fifty
TITLE = "Dam inspection finds no damage"
PAGE = f"""<!doctype html><html><head>
<meta property="og:title" content="{TITLE}">
<meta property="og:description" content="Engineers checked every section of the dam on Sunday.">
<meta property="og:url" content="https://paper.example/dam">
</head><body></body></html>"""
EN = translator_for("en")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_progress_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/dam.html", PAGE, "text/html; charset=utf-8")
        yield server


@pytest.fixture
async def newsbot(
    sandbox: SandboxServer, tg: SandboxClient, db: Database
) -> AsyncIterator[Newsbot]:
    await tg.limits(
        overall_per_second=1000, overall_burst=1000, private_per_second=100, private_burst=100
    )
    settings = bot_settings(sandbox, TOKEN, editor_ids=[EDITOR], telegram_channel=f"@{CHANNEL}")
    async with Newsbot(settings, database=db) as running:
        yield running


async def subscribe(tg: SandboxClient, db: Database, chats: list[int]) -> None:
    """Readers who started the bot (their welcome came) and subscribed."""
    for chat in [EDITOR, *chats]:
        await tg.send(chat, "/start", first_name=f"r{chat}")
    for chat in [EDITOR, *chats]:
        assert await tg.bot_messages(chat, wait_for=1, timeout=WAIT)
    async with db.writing() as session:
        for chat in chats:
            await readers.subscribe(session, Reader(chat))


async def drafted(newsbot: Newsbot, site: FeedServer, *, editor: int | None) -> Drafted:
    """The page pushed as a draft (by ``editor``, or by nobody: no editor's message)."""
    return await draft_push(
        newsbot.db,
        newsbot.fetcher,
        site.url_for("/dam.html"),
        options=newsbot.post_options,
        requested_by=editor,
        chat=editor,
    )


async def publish(
    newsbot: Newsbot,
    draft: Drafted,
    *,
    editor: int | None,
    fault: Callable[[], Awaitable[object]] | None = None,
) -> int | None:
    """Publish the draft as the editors' Publish does: the editor's control message (sent
    here, before ``fault`` is armed) shows the send. The message's id."""
    message_id = None
    if editor is not None:
        control = await newsbot.application.bot.send_message(editor, "Preview…")
        message_id = control.message_id
    if fault is not None:
        await fault()
    async with newsbot.db.writing() as session:
        if message_id is not None:
            await sends.attach_message(session, draft.send_id, EDITOR, message_id)
        await sends.publish(session, draft.send_id, by=sends.Decider(editor, "Asha"))
    newsbot.kick()
    return message_id


async def finished(db: Database, send_id: int) -> Send:
    """The send once it is done (waiting for the progress job)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2 * WAIT
    while loop.time() < deadline:
        async with db.session() as session:
            send = await session.get(Send, send_id)
        assert send is not None
        if send.status == SendStatus.DONE:
            return send
        await asyncio.sleep(0.1)  # the job's own clock: nothing to wait on in the sandbox
    pytest.fail(f"send {send_id} not finished")


def got_post(messages: list[dict[str, Any]]) -> bool:
    return any(TITLE in (m.get("text") or m.get("caption") or "") for m in messages)


async def test_progress_then_summary(newsbot: Newsbot, tg: SandboxClient, site: FeedServer) -> None:
    """The editor's message shows the delivery mid-way, edited at most every three seconds,
    then a summary whose figures are what the sandbox saw each reader get (a reader who blocked
    the bot meanwhile counts as blocked), without buttons; no alert for a mere block."""
    await subscribe(tg, newsbot.db, READERS)
    draft = await drafted(newsbot, site, editor=EDITOR)
    await tg.faults(latency_ms=400)  # each request takes a while: the delivery lasts seconds
    message_id = await publish(newsbot, draft, editor=EDITOR)
    await tg.block(READERS[-1])  # the last one claimed
    seen: set[str] = set()

    async def watch() -> None:
        while True:
            for message in await tg.bot_messages(EDITOR):
                if message["message_id"] == message_id:
                    seen.add(message["html"] or "")
            await asyncio.sleep(0.1)

    watcher = asyncio.create_task(watch())
    try:
        await finished(newsbot.db, draft.send_id)
    finally:
        watcher.cancel()
    await tg.faults(latency_ms=0)

    got = [chat for chat in READERS if got_post(await tg.bot_messages(chat))]
    channel_got = got_post(await tg.messages(f"@{CHANNEL}"))
    assert channel_got
    assert READERS[-1] not in got
    expected = progress_texts.summary(
        EN,
        TITLE,
        Tally(
            Progress(total=len(READERS), sent=len(got), blocked=len(READERS) - len(got)),
            ChannelPost(f"@{CHANNEL}", DeliveryStatus.SENT),
        ),
    )
    [control] = [m for m in await tg.bot_messages(EDITOR) if m["message_id"] == message_id]
    assert control["html"] == expected
    assert "Delivered to 49 of 50 readers: 1 blocked, 0 failed." in control["text"]
    assert not control.get("reply_markup")
    assert any(html.splitlines()[1].startswith("Delivering… ") for html in seen if html)

    edits = [
        r
        for r in await tg.requests("editMessageText")
        if r["chat_id"] == EDITOR and r["status"] == 200
    ]
    assert len(edits) >= 2  # at least one mid-way, then the summary
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(edits)]
    assert all(gap >= 2.5 for gap in gaps), gaps  # three seconds apart, give or take a round
    editor_messages = await tg.bot_messages(EDITOR)
    assert not any("did not reach everyone" in (m["text"] or "") for m in editor_messages)


async def test_failed_channel_post_is_told_once(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """A channel post Telegram refuses shows ✗ in the summary, and the editor who published is
    told once, in a message of its own, what to check."""
    await subscribe(tg, newsbot.db, READERS[:3])
    draft = await drafted(newsbot, site, editor=EDITOR)
    before = len(await tg.bot_messages(EDITOR))
    message_id = await publish(
        newsbot,
        draft,
        editor=EDITOR,
        fault=lambda: tg.faults(
            method="sendMessage", status=400, description="Bad Request: no rights"
        ),
    )
    await finished(newsbot.db, draft.send_id)
    # A later round finds nothing more to say.
    await newsbot.report_progress()
    messages = await tg.bot_messages(EDITOR, wait_for=before + 2, timeout=WAIT)
    [control] = [m for m in messages if m["message_id"] == message_id]
    assert f"Channel: @{CHANNEL} ✗ No rights" in control["text"]
    assert "Delivered to 3 of 3 readers: 0 blocked, 0 failed." in control["text"]
    alerts = [m for m in messages if "did not reach everyone" in (m["text"] or "")]
    assert len(alerts) == 1
    assert f"the post to @{CHANNEL} failed (No rights)" in alerts[0]["text"]
    assert "administrator of the channel" in alerts[0]["text"]


async def test_send_without_a_message_is_finished_and_told(
    newsbot: Newsbot, tg: SandboxClient, site: FeedServer
) -> None:
    """A send with no editor's message (a feed's, the shell's) is finished once its
    deliveries settle, and every editor hears of a reader's failed message."""
    await subscribe(tg, newsbot.db, READERS[:2])
    draft = await drafted(newsbot, site, editor=None)
    before = len(await tg.bot_messages(EDITOR))
    await tg.faults(method="sendMessage", count=2, status=400, description="Bad Request: too long")
    await publish(newsbot, draft, editor=None)
    await finished(newsbot.db, draft.send_id)
    messages = await tg.bot_messages(EDITOR, wait_for=before + 1, timeout=WAIT)
    alerts = [m for m in messages[before:] if "did not reach everyone" in (m["text"] or "")]
    assert len(alerts) == 1
    assert f"{TITLE}: the post to @{CHANNEL} failed" in alerts[0]["text"]
    assert "1 reader's message failed" in alerts[0]["text"]
