"""An editor's /stats, end to end: the real PTB Application against the Bot API sandbox. An
editor gets a chart of the period as a photo, its key figures in the caption in their language,
the numbers those the database holds; a bad period gets the usage line; a reader is refused
and gets nothing else. Reactions on a channel post reach the post's row."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import Newsbot
from bot.charts import HEIGHT, WIDTH
from bot.formatting.telegram_html import parse_telegram_html
from bot.handlers import texts
from bot.handlers.editors_stats import CAPTION_LIMIT, caption, stats_picture, usage
from bot.i18n import translator_for
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.stats_series import Period, Series, TopPost
from bot.storage.db import Database
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    PostReaction,
    utcnow,
)
from tests.e2e.chat import WAIT, ask, bot_settings
from tests.services.test_stats_series import CHANNEL, NOW, ZONE, assert_matches, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "987654321:AAeditor-stats-token-never-logged000"
EDITOR, READER = 7301, 7302
EN, HI = translator_for("en"), translator_for("hi")


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="e2e_stats_bot", channels=(CHANNEL.removeprefix("@"),)) as s:
        yield s


@pytest.fixture
async def newsbot(sandbox: SandboxServer, db: Database) -> AsyncIterator[Newsbot]:
    settings = bot_settings(
        sandbox, TOKEN, editor_ids=[EDITOR], telegram_channel=CHANNEL, timezone=ZONE.key
    )
    async with Newsbot(settings, database=db) as running:
        yield running


def opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


async def test_editor_gets_the_chart_and_its_figures(
    newsbot: Newsbot, tg: SandboxClient, db: Database, tmp_path: Path
) -> None:
    """An editor's /stats is a photo (a PNG the sandbox checked as Telegram does) whose caption,
    in Hindi for a Hindi Telegram, carries the period's figures as the database holds them."""
    seeded = await seed(db, utcnow())
    shown = await ask(tg, EDITOR, "/stats", 1, language="hi")
    assert (shown["method"], shown["photo"]) == ("sendPhoto", "uploaded")
    picture = await stats_picture(db, Period(days=7), ZONE, HI)
    assert_matches(picture.series, seeded)
    assert shown["html"] == picture.caption
    html = shown["html"]
    assert "पाठक: <b>3</b> (इस अवधि में +1)" in html  # readers now, and since the period began
    assert "<b>4</b> — poster-metro 2, flyer 1" in html  # sign-ups, by campaign
    assert "डिलीवरी: 5 भेजी गईं, 2 नाकाम" in html
    assert "Monsoon returns</a> — 9" in html
    assert html.index("Monsoon returns") < html.index("Metro line opens")  # 9 before 7
    assert len(shown["caption"]) <= CAPTION_LIMIT
    image = opened(picture.png)
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    (tmp_path / "stats.png").write_bytes(picture.png)


async def test_a_longer_period_and_a_bad_one(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """/stats 30d is a chart of 30 days; /stats 5x is answered with the usage line alone."""
    await seed(db, utcnow())
    month = await ask(tg, EDITOR, "/stats 30d", 1)
    assert month["method"] == "sendPhoto"
    assert month["html"] == (await stats_picture(db, Period(days=30), ZONE, EN)).caption
    assert "Last 30 days" in month["caption"]
    bad = await ask(tg, EDITOR, "/stats 5x", 2)
    assert bad["html"] == usage(EN)
    assert "/stats 30d" in bad["text"]


async def test_reader_is_refused(newsbot: Newsbot, tg: SandboxClient) -> None:
    """A reader's /stats is refused politely, in their language, and nothing else is sent."""
    refusal = await ask(tg, READER, "/stats", 1)
    assert refusal["text"] == texts.editors_only(EN)
    hindi = await ask(tg, READER, "/stats 30d", 2, language="hi")
    assert hindi["text"] == texts.editors_only(HI)
    await asyncio.sleep(0.5)
    assert len(await tg.bot_messages(READER)) == 2
    assert await tg.requests("sendPhoto") == []


async def _reaction(db: Database, message_id: int) -> PostReaction | None:
    async with db.session() as session:
        return await session.get(PostReaction, (CHANNEL, message_id), populate_existing=True)


async def _wait_for(db: Database, message_id: int, total: int) -> PostReaction:
    deadline = asyncio.get_running_loop().time() + WAIT
    while (row := await _reaction(db, message_id)) is None or row.total != total:
        assert asyncio.get_running_loop().time() < deadline, f"reactions: {row!r}"
        await asyncio.sleep(0.05)
    return row


async def test_reactions_on_a_channel_post_are_counted(
    newsbot: Newsbot, tg: SandboxClient, db: Database
) -> None:
    """Readers' reactions on a channel post (message_reaction_count updates) are stored with
    the post's article, each update replacing the last, and rank the article in /stats."""
    post = await newsbot.application.bot.send_message(CHANNEL, "Monsoon returns")
    async with db.session() as session, session.begin():
        article = Article(
            identity="r" * 64,
            key="monsoon",
            origin="feed",
            status=ArticleStatus.PUBLISHED,
            title="Monsoon returns",
            published_at=utcnow(),
        )
        session.add(article)
        await session.flush()
        session.add(
            Delivery(
                article_id=article.id,
                chat=CHANNEL,
                kind="channel",
                status=DeliveryStatus.SENT,
                message_id=post.message_id,
                sent_at=utcnow(),
            )
        )
        article_id = article.id
    await tg.react(CHANNEL, post.message_id, {"👍": 3, "🔥": 1})
    row = await _wait_for(db, post.message_id, 4)
    assert (row.article_id, row.counts) == (article_id, {"👍": 3, "🔥": 1})
    await tg.react(CHANNEL, post.message_id, {"👍": 5})
    row = await _wait_for(db, post.message_id, 5)
    assert row.counts == {"👍": 5}
    async with db.session() as session:
        assert len((await session.scalars(select(PostReaction))).all()) == 1
    shown = await ask(tg, EDITOR, "/stats", 1)
    assert "Monsoon returns — 5 reactions (👍 5)" in shown["caption"]


class TestCaption:
    """The caption alone, from numbers made up for it."""

    def _series(self, **changes: Any) -> Series:
        values: dict[str, Any] = {
            "period": "7d",
            "start": NOW,
            "end": NOW,
            "readers_before": 10,
            "days": [],
            "campaigns": [],
            "top_posts": [],
        }
        return Series(**(values | changes))

    def test_it_fits_a_caption_however_long_the_titles(self) -> None:
        """Five long titles and many long campaign names are cut to fit 1024 characters, as
        Telegram counts them (the HTML parsed)."""
        from bot.services.stats_series import CampaignSignUps

        posts = [
            TopPost(n, "A very long headline about something <important> & more " * 4, None, 99)
            for n in range(5)
        ]
        campaigns = [CampaignSignUps(f"campaign-{n:02d}-" + "x" * 50, 3) for n in range(40)]
        text = caption(HI, self._series(top_posts=posts, campaigns=campaigns))
        assert len(parse_telegram_html(text).text) <= CAPTION_LIMIT
        assert "&lt;important&gt; &amp;" in text

    def test_no_numbers_yet(self) -> None:
        """An empty period says zero readers, zero sign-ups, nothing sent, and lists no
        articles."""
        text = caption(EN, self._series(readers_before=0))
        assert "Readers: <b>0</b> (+0 in the period)" in text
        assert "Sign-ups: <b>0</b>" in text
        assert "Most reactions" not in text
