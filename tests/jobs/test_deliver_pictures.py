"""The outbox's pictures and styles, against the sandbox and a real picture server.

A picture Telegram will not fetch is downloaded once, uploaded once and sent to every other
chat by file id (kept with the article); one that is no photo makes text posts, none lost;
"preview" and "text" posts carry the link preview options they should.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import update

from bot.app import Newsbot
from bot.article import ArticleDraft
from bot.config import EditionConfig, load_settings
from bot.posting import Pictures
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services.articles import store_drafts
from bot.services.editions import ensure_editions
from bot.services.routing import enqueue
from bot.storage.db import Database
from bot.storage.models import Article, DeliveryStatus
from jobs.deliver import Outbox
from tests.jobs.conftest import TOKEN, statuses, subscribe

CHANNEL = "pictures_news"
READERS = (201, 202, 203, 204)


def png(width: int = 640, height: int = 400) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "navy").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="pictures_bot", channels=(CHANNEL,)) as server:
        yield server


@pytest.fixture
def pictures_site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/pic.png", png(), content_type="image/png")
        server.put("/not-a-picture.jpg", "<!doctype html><p>Gone</p>", content_type="text/html")
        yield server


def outbox(db: Database) -> Outbox:
    """An outbox whose downloads may reach the picture server on 127.0.0.1."""
    return Outbox(db, pictures=Pictures(allow_private_networks=True))


async def publish(db: Database, image: str | None = None, **columns: Any) -> int:
    """Publish one article (with ``columns`` of its row set) and queue its deliveries."""
    draft = ArticleDraft(
        key="k1",
        title="Headline",
        summary="Summary of the story.",
        link="https://n.example/story",
        image=image,
    )
    async with db.session() as session, session.begin():
        stored = await store_drafts(session, [draft], source="push", feed_id=None, publish=True)
        article = stored.published[0]
        if columns:
            await session.execute(update(Article).where(Article.id == article.id).values(columns))
        await ensure_editions(session, [EditionConfig("en", f"@{CHANNEL}")])
        await enqueue(session, article)
        return article.id


async def messages(tg: SandboxClient) -> dict[str, dict[str, Any]]:
    """The one message each chat got, by chat."""
    out: dict[str, dict[str, Any]] = {}
    for chat in (*READERS, f"@{CHANNEL}"):
        [message] = await tg.bot_messages(chat)
        out[str(chat)] = message
    return out


class TestRefusedPicture:
    """A picture Telegram will not fetch by URL."""

    async def test_uploaded_once_then_sent_by_file_id(
        self, db: Database, tg: SandboxClient, app: Any, pictures_site: FeedServer
    ) -> None:
        """The picture is downloaded once and uploaded once; every other chat gets it by the
        upload's file id, which is stored with the article."""
        await subscribe(db, tg, *READERS)
        await tg.refuse_photo_urls(True)
        article_id = await publish(db, pictures_site.url_for("/pic.png"))
        report = await outbox(db).drain(app.bot)
        assert report.sent == len(READERS) + 1
        sent = await messages(tg)
        uploads = [m for m in sent.values() if m["photo"] == "uploaded"]
        assert len(uploads) == 1
        file_id = uploads[0]["photo_file_id"]
        by_file_id = [m for m in sent.values() if m["photo"] == file_id]
        assert len(by_file_id) == len(READERS)  # N - 1 of the N chats
        assert all(m["caption"].startswith("Headline") for m in sent.values())
        assert pictures_site.hits("/pic.png") == 1
        async with db.session() as session:
            article = await session.get(Article, article_id)
        assert article is not None
        assert article.image_file_id == file_id
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_a_restarted_outbox_reuses_the_stored_file_id(
        self, db: Database, tg: SandboxClient, app: Any, pictures_site: FeedServer
    ) -> None:
        """A new process (nothing in memory) sends the stored file id: no download, no upload."""
        await tg.send(205, "/start")
        await tg.refuse_photo_urls(True)
        uploaded = await app.bot.send_photo(f"@{CHANNEL}", png())
        file_id = uploaded.photo[-1].file_id
        await subscribe(db, tg, 205)
        await publish(db, pictures_site.url_for("/pic.png"), image_file_id=file_id)
        assert (await outbox(db).drain(app.bot)).sent == 2
        [message] = await tg.bot_messages(205)
        assert message["photo"] == file_id
        assert pictures_site.hits("/pic.png") == 0
        assert [r["status"] for r in await tg.requests("sendPhoto")] == [200, 200, 200]

    async def test_a_picture_that_is_no_photo_makes_text_posts(
        self, db: Database, tg: SandboxClient, app: Any, pictures_site: FeedServer
    ) -> None:
        """A refused URL whose download is no image: every chat gets the post as text, once,
        and the picture was downloaded once, never uploaded."""
        await subscribe(db, tg, *READERS)
        await tg.refuse_photo_urls(True)
        await publish(db, pictures_site.url_for("/not-a-picture.jpg"))
        report = await outbox(db).drain(app.bot)
        assert report.sent == len(READERS) + 1
        sent = await messages(tg)
        assert all(m["method"] == "sendMessage" for m in sent.values())
        assert all(m["text"].startswith("Headline") for m in sent.values())
        assert pictures_site.hits("/not-a-picture.jpg") == 1
        assert {r["status"] for r in await tg.requests("sendPhoto")} == {400}
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_a_picture_that_cannot_be_downloaded_makes_text_posts(
        self, db: Database, tg: SandboxClient, app: Any, pictures_site: FeedServer
    ) -> None:
        """A refused URL that answers 404 to newsbot too: text posts, nothing lost."""
        await subscribe(db, tg, *READERS)
        await tg.refuse_photo_urls(True)
        await publish(db, pictures_site.url_for("/gone.jpg"))
        await outbox(db).drain(app.bot)
        sent = await messages(tg)
        assert all(m["method"] == "sendMessage" for m in sent.values())
        assert pictures_site.hits("/gone.jpg") == 1
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}

    async def test_an_upload_telegram_refuses_makes_text_posts(
        self, db: Database, tg: SandboxClient, app: Any, pictures_site: FeedServer
    ) -> None:
        """When Telegram refuses the upload as well, the posts go out as text."""
        await subscribe(db, tg, *READERS)
        await tg.refuse_photo_urls(True)
        await tg.faults(
            method="sendPhoto",
            count=len(READERS) + 2,  # every chat's try by URL, then the upload
            status=400,
            description="Bad Request: IMAGE_PROCESS_FAILED",
        )
        await publish(db, pictures_site.url_for("/pic.png"))
        await outbox(db).drain(app.bot)
        sent = await messages(tg)
        assert all(m["method"] == "sendMessage" for m in sent.values())
        assert set((await statuses(db)).values()) == {DeliveryStatus.SENT}


class TestNewsbotOutbox:
    """The running bot's outbox: its pictures honour ALLOW_PRIVATE_NETWORKS."""

    @pytest.mark.parametrize(
        ("allowed", "method"),
        [pytest.param(True, "sendPhoto", id="allowed"),
         pytest.param(False, "sendMessage", id="refused")],
    )  # fmt: skip
    async def test_private_network_setting(
        self,
        db: Database,
        tg: SandboxClient,
        sandbox: SandboxServer,
        pictures_site: FeedServer,
        *,
        allowed: bool,
        method: str,
    ) -> None:
        """A refused picture on 127.0.0.1 is uploaded only when private networks are allowed;
        else the post goes out as text. Stopping the bot closes its picture fetcher."""
        settings = load_settings(
            None,
            telegram_bot_token=TOKEN,
            telegram_api_url=sandbox.url,
            allow_private_networks=allowed,
        )
        await tg.refuse_photo_urls(True)
        await publish(db, pictures_site.url_for("/pic.png"))
        newsbot = Newsbot(settings, database=db)
        try:
            async with newsbot.application:
                assert (await newsbot.drain_now()).sent == 1
        finally:
            await newsbot.stop()
        [message] = await tg.bot_messages(f"@{CHANNEL}")
        assert message["method"] == method
        assert pictures_site.hits("/pic.png") == (1 if allowed else 0)


class TestStyles:
    """Each post goes out in the style it was rendered in."""

    @pytest.mark.parametrize(
        ("style", "image", "method", "preview"),
        [
            pytest.param("preview", "https://n.example/p.jpg", "sendMessage",
                         {"prefer_large_media": True}, id="preview"),
            pytest.param("text", "https://n.example/p.jpg", "sendMessage", {"is_disabled": True},
                         id="text"),
            pytest.param("photo", "https://n.example/p.jpg", "sendPhoto", None, id="photo"),
            pytest.param(None, "https://n.example/p.jpg", "sendPhoto", None, id="old-row-photo"),
            pytest.param(None, None, "sendMessage", {"prefer_large_media": True},
                         id="old-row-without-picture"),
        ],
    )  # fmt: skip
    async def test_style(
        self,
        db: Database,
        tg: SandboxClient,
        app: Any,
        style: str | None,
        image: str | None,
        method: str,
        preview: dict[str, Any] | None,
    ) -> None:
        """photo: sendPhoto; preview: the link's large preview; text: no preview at all."""
        await publish(db, image, post_style=style)
        await outbox(db).drain(app.bot)
        [message] = await tg.bot_messages(f"@{CHANNEL}")
        assert message["method"] == method
        assert message["options"].get("link_preview_options") == preview

    async def test_readers_get_the_direct_message_post(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """A reader gets post_dm_html when the article has one; the channel gets post_html."""
        await subscribe(db, tg, 206)
        dm = '<b>Headline</b>\n\n<a href="https://n.example/story?utm_campaign=dm">Read more</a>'
        await publish(db, None, post_dm_html=dm)
        await outbox(db).drain(app.bot)
        [reader] = await tg.bot_messages(206)
        [channel] = await tg.bot_messages(f"@{CHANNEL}")
        assert reader["html"] == dm
        assert channel["html"] != dm
        assert channel["html"].startswith("<b>Headline</b>")

    async def test_a_reader_without_a_dm_post_gets_the_channel_post(
        self, db: Database, tg: SandboxClient, app: Any
    ) -> None:
        """post_dm_html NULL: the reader gets post_html, like the channel."""
        await subscribe(db, tg, 207)
        await publish(db, None)
        await outbox(db).drain(app.bot)
        [reader] = await tg.bot_messages(207)
        [channel] = await tg.bot_messages(f"@{CHANNEL}")
        assert reader["html"] == channel["html"]
