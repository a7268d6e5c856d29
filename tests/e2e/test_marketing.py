"""Marketing end to end: the real PTB Application against the Bot API sandbox. An editor's
/qr CAMPAIGN gets the campaign's QR code as a picture with its deep link; a reader is refused
and gets nothing else; a campaign's invite link to a channel is made once through
createChatInviteLink and stored; joins through it are counted per campaign."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

from bot.app import Newsbot
from bot.handlers import marketing, texts
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.campaigns import campaign_joins, invite_link_for, record_join
from bot.storage.db import Database
from bot.storage.models import ChannelJoin, InviteLink
from tests.e2e.chat import ask, bot_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAmarketing-test-token-never-logged0"
BOT = "e2e_marketing_bot"
CHANNEL = "@e2e_marketing_news"
EDITOR, READER, JOINER, OTHER = 7401, 7402, 7403, 7404
EN, HI = translator_for("en"), translator_for("hi")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username=BOT, channels=(CHANNEL.removeprefix("@"),)) as server:
        yield server


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(sandbox, TOKEN, editor_ids=[EDITOR], telegram_channel=CHANNEL)
    async with Newsbot(settings, database=db) as running:
        yield running


class TestQrCommand:
    """/qr CAMPAIGN in a private chat."""

    async def test_editor_gets_the_code_and_the_link(
        self, newsbot: Newsbot, tg: SandboxClient
    ) -> None:
        """An editor's /qr poster-metro is answered with a photo (an uploaded PNG) whose caption
        carries the deep link that counts the campaign."""
        shown = await ask(tg, EDITOR, "/qr poster-metro", 1)
        link = f"https://t.me/{BOT}?start=poster-metro"
        assert shown["method"] == "sendPhoto"
        assert shown["photo"] == "uploaded"
        assert link in shown["caption"]
        assert shown["html"] == marketing.qr_caption(EN, "poster-metro", link)
        [sent] = [r for r in await tg.requests("sendPhoto") if r["chat_id"] == EDITOR]
        assert sent["status"] == 200

    async def test_editor_in_hindi(self, newsbot: Newsbot, tg: SandboxClient) -> None:
        """The caption is in the editor's language."""
        shown = await ask(tg, EDITOR, "/qr poster-metro", 1, language="hi")
        link = f"https://t.me/{BOT}?start=poster-metro"
        assert shown["html"] == marketing.qr_caption(HI, "poster-metro", link)

    @pytest.mark.parametrize(
        ("command", "answer"),
        [
            pytest.param("/qr", marketing.qr_usage, id="no-campaign"),
            pytest.param("/qr one two", marketing.qr_usage, id="two-words"),
            pytest.param("/qr grün", marketing.bad_campaign, id="bad-campaign"),
        ],
    )
    async def test_bad_usage_is_explained(
        self, newsbot: Newsbot, tg: SandboxClient, command: str, answer: object
    ) -> None:
        """Without one valid campaign name, the editor is told how to ask, and no photo goes."""
        shown = await ask(tg, EDITOR, command, 1)
        assert shown["method"] == "sendMessage"
        assert shown["html"] == answer(EN)  # type: ignore[operator]
        assert await tg.requests("sendPhoto") == []

    async def test_reader_is_refused_and_gets_nothing_else(
        self, newsbot: Newsbot, tg: SandboxClient
    ) -> None:
        """A reader's /qr is refused politely; no photo is sent and nothing follows."""
        refusal = await ask(tg, READER, "/qr poster-metro", 1)
        assert refusal["text"] == texts.editors_only(EN)
        # The editor's /qr after it is answered, so the reader's was fully handled by then.
        await ask(tg, EDITOR, "/qr poster-metro", 1)
        assert [m["text"] for m in await tg.bot_messages(READER)] == [texts.editors_only(EN)]
        assert [r["chat_id"] for r in await tg.requests("sendPhoto")] == [EDITOR]


class TestInviteLinks:
    """A campaign's invite link to a channel, made through the sandbox and stored."""

    async def test_made_once_then_reused(
        self, newsbot: Newsbot, tg: SandboxClient, db: Database
    ) -> None:
        """The first call makes a link named after the campaign (createChatInviteLink) and
        stores it; the second returns the same link without asking Telegram again."""
        bot = newsbot.application.bot
        first = await invite_link_for(db, bot, "poster-metro", CHANNEL)
        assert first.created
        assert first.url.startswith("https://t.me/+")
        again = await invite_link_for(db, bot, "poster-metro", CHANNEL)
        assert (again.url, again.created) == (first.url, False)
        [request] = await tg.requests("createChatInviteLink")
        assert request["status"] == 200
        async with db.session() as session:
            rows = (await session.scalars(select(InviteLink))).all()
        assert [(r.campaign, r.channel, r.invite_link) for r in rows] == [
            ("poster-metro", CHANNEL, first.url)
        ]

    async def test_each_campaign_has_its_own_link(self, newsbot: Newsbot, db: Database) -> None:
        """Two campaigns in one channel get two links; a long campaign name still gets one
        (Telegram's 32-character limit on the link's name is kept)."""
        bot = newsbot.application.bot
        metro = await invite_link_for(db, bot, "poster-metro", CHANNEL)
        long = await invite_link_for(db, bot, "x" * 64, CHANNEL)
        assert metro.url != long.url
        assert long.created


class TestJoins:
    """Joins through a campaign's link are counted per campaign."""

    async def test_a_join_is_counted_once(self, newsbot: Newsbot, db: Database) -> None:
        """A join through the link counts once (not again after leaving and coming back); a
        link newsbot did not make counts nothing; campaigns without joins are 0."""
        bot = newsbot.application.bot
        metro = await invite_link_for(db, bot, "poster-metro", CHANNEL)
        await invite_link_for(db, bot, "flyer-campus", CHANNEL)
        chat_id = -1001234567890
        async with db.writing() as session:
            assert await record_join(session, chat_id, metro.url, JOINER)
            assert not await record_join(session, chat_id, metro.url, JOINER)
            assert await record_join(session, CHANNEL, metro.url, OTHER)
            assert not await record_join(session, chat_id, "https://t.me/+someone-else", JOINER)
        async with db.session() as session:
            assert await campaign_joins(session) == {"flyer-campus": 0, "poster-metro": 2}
            joins = (await session.scalars(select(ChannelJoin.user_id))).all()
        assert sorted(joins) == [JOINER, OTHER]

    async def test_no_links_no_joins(self, newsbot: Newsbot, db: Database) -> None:
        """Without any invite link there is nothing to count."""
        async with db.session() as session:
            assert await campaign_joins(session) == {}

    async def test_a_join_through_telegram_is_counted(
        self, newsbot: Newsbot, db: Database, tg: SandboxClient
    ) -> None:
        """Telegram's chat_member update for someone joining the channel through the
        campaign's link is counted for the campaign, and shows in the stats."""
        from bot.services.stats import collect, format_stats

        metro = await invite_link_for(db, newsbot.application.bot, "poster-metro", CHANNEL)
        await tg.join_channel(JOINER, CHANNEL, invite_link=metro.url)
        await tg.join_channel(OTHER, CHANNEL)  # not through a link: not a campaign's
        for _ in range(300):
            async with db.session() as session:
                joins = (await session.scalars(select(ChannelJoin.user_id))).all()
            if joins:
                break
            await asyncio.sleep(0.05)
        assert joins == [JOINER]
        async with db.session() as session:
            stats = await collect(session)
        [row] = [c for c in stats.campaigns if c.campaign == "poster-metro"]
        assert row.joined == 1
        assert "1 joined the channel" in format_stats(stats, EN)
