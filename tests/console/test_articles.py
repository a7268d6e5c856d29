"""The console's Articles pages: the list with where each article went, one article as
Telegram shows it, pushing a URL (preview, then Publish, Schedule or Cancel), and the
approval queue's Publish and Skip — each decision made once, whoever comes second told why."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.console.pages.articles import parse_local_time
from bot.sandbox import FeedServer
from bot.services import sends
from bot.storage.models import (
    Article,
    ArticleStatus,
    Delivery,
    DeliveryStatus,
    Send,
    SendStatus,
    utcnow,
)
from tests.console.conftest import EDITOR, OTHER_EDITOR, Console

PAGE = (Path(__file__).parents[2] / "bot" / "demo_data" / "article.html").read_text()


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/story.html", PAGE, "text/html; charset=utf-8")
        server.put("/nothing.html", "<html><body>no title</body></html>", "text/html")
        yield server


async def _article(
    console: Console,
    title: str,
    *,
    status: ArticleStatus = ArticleStatus.PUBLISHED,
    html: str | None = None,
) -> Article:
    async with console.db.writing() as session:
        article = Article(
            identity=title.encode().hex()[:64],
            key=title,
            origin="feed",
            status=status,
            title=title,
            summary="",
            link=f"https://news.example/{abs(hash(title))}",
            post_html=html or f"<b>{title}</b>",
            post_style="text",
            edition_id=console.core.editions.default.id,
            published_at=utcnow() if status == ArticleStatus.PUBLISHED else None,
        )
        session.add(article)
        await session.flush()
        return article


async def _deliveries(console: Console, article: Article, statuses: dict[str, int]) -> None:
    async with console.db.writing() as session:
        chat = 1000
        session.add(
            Delivery(article_id=article.id, chat="@console_en", kind="channel", status="sent")
        )
        for status, count in statuses.items():
            for _ in range(count):
                chat += 1
                session.add(
                    Delivery(
                        article_id=article.id,
                        chat=str(chat),
                        kind="reader",
                        status=status,
                        reason="blocked" if status == DeliveryStatus.FAILED else None,
                    )
                )


class TestList:
    async def test_the_list_shows_where_each_article_went(self, console: Console) -> None:
        article = await _article(console, "Monsoon reaches Pune")
        await _deliveries(console, article, {"sent": 3, "failed": 2, "pending": 1})
        await _article(console, "Draft <script>x</script>", status=ArticleStatus.DRAFT)
        client = await console.login()
        page = await client.get("/articles")
        assert page.status_code == 200
        row = page.text.split("Monsoon reaches Pune", 1)[1].split("</tr>", 1)[0]
        assert re.findall(r'<td class="num">(\d+)</td>', row) == ["3", "2", "1"]
        assert "posted" in row
        assert "&lt;script&gt;" in page.text
        assert "<script>x" not in page.text
        drafts = await client.get("/articles?status=draft")
        assert "Monsoon" not in drafts.text
        assert "Draft &lt;script&gt;" in drafts.text

    async def test_older_articles_page_by_id(self, console: Console) -> None:
        for n in range(52):
            await _article(console, f"Story {n:02d}")
        client = await console.login()
        first = await client.get("/articles")
        assert "Story 51" in first.text
        assert "Story 01" not in first.text
        link = first.text.split('href="/articles?before=', 1)[1].split('"', 1)[0]
        older = await client.get(f"/articles?before={link}")
        assert "Story 01" in older.text
        assert "Story 51" not in older.text
        for query in ("before=abc&status=nonsense", "before=99999999999", "before=%C2%B2"):
            assert (await client.get(f"/articles?{query}")).status_code == 200


class TestArticle:
    async def test_an_article_is_shown_as_telegram_shows_it(self, console: Console) -> None:
        article = await _article(
            console,
            "Rain",
            html='<b>Rain</b> in <a href="https://news.example/r">Pune</a> &lt;i&gt;',
        )
        await _deliveries(console, article, {"sent": 1, "failed": 1})
        page = await (await console.login()).get(f"/articles/{article.id}")
        assert page.status_code == 200
        assert '<div class="tg-text"><b>Rain</b> in <a href="https://news.example/r"' in page.text
        assert "&lt;i&gt;" in page.text
        assert "blocked: 1" in page.text

    async def test_a_post_telegram_would_refuse_is_said_so(self, console: Console) -> None:
        article = await _article(console, "Broken", html="<b>unclosed")
        page = await (await console.login()).get(f"/articles/{article.id}")
        assert "Telegram would refuse this post" in page.text
        assert "&lt;b&gt;unclosed" in page.text

    @pytest.mark.parametrize(
        "path",
        [
            "/articles/999999",
            "/articles/abc",
            "/articles/-1",
            "/articles/99999999999",
            "/articles/%C2%B2",
        ],
    )
    async def test_an_unknown_article_is_not_found(self, console: Console, path: str) -> None:
        page = await (await console.login()).get(path)
        assert page.status_code == 404


class TestPush:
    async def test_push_previews_then_publishes(self, console: Console, site: FeedServer) -> None:
        client = await console.login()
        csrf = await console.csrf(client)
        pushed = await client.post(
            "/articles/push", data={"csrf": csrf, "url": site.url_for("/story.html")}
        )
        assert pushed.status_code == 303, pushed.text
        location = pushed.headers["location"]
        assert location.startswith("/articles/")
        preview = await client.get(location)
        assert "This is the post readers will get" in preview.text
        async with console.db.session() as session:
            send = await session.scalar(select(Send))
            assert send is not None
            assert send.status == SendStatus.DRAFT
            assert send.requested_by == EDITOR
        assert "nothing was queued" not in preview.text
        published = await client.post(f"/articles/sends/{send.id}/publish", data={"csrf": csrf})
        assert published.status_code == 303
        async with console.db.session() as session:
            send = await session.get(Send, send.id, populate_existing=True)
            assert send is not None
            assert send.status == SendStatus.QUEUED
            assert send.decided_by == EDITOR
            assert send.decided_by_name == "Priya"
            channel = await session.scalar(select(Delivery.chat).where(Delivery.kind == "channel"))
        assert channel == "@console_en"
        again = await client.post(f"/articles/sends/{send.id}/publish", data={"csrf": csrf})
        assert again.status_code == 409
        assert "Priya has already published it" in again.text

    @pytest.mark.parametrize(
        ("url", "says"),
        [
            ("", "Paste the address"),
            ("ftp://x.example/a", "must start with http:// or https://"),
            ("/nothing.html", "holds no article with a title"),
            ("/missing.html", "no such page"),
        ],
    )
    async def test_a_bad_push_says_why_and_keeps_the_form(
        self, console: Console, site: FeedServer, url: str, says: str
    ) -> None:
        client = await console.login()
        if url.startswith("/"):
            url = site.url_for(url)
        answer = await client.post(
            "/articles/push", data={"csrf": await console.csrf(client), "url": url}
        )
        assert answer.status_code == 400
        assert says in answer.text
        assert f'value="{url}"' in answer.text
        async with console.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Send)) == 0

    async def test_an_unknown_edition_names_the_editions(
        self, console: Console, site: FeedServer
    ) -> None:
        client = await console.login()
        answer = await client.post(
            "/articles/push",
            data={
                "csrf": await console.csrf(client),
                "url": site.url_for("/story.html"),
                "edition": "xx",
            },
        )
        assert answer.status_code == 400
        assert "the editions are en, hi" in answer.text

    async def test_push_without_the_csrf_token_fetches_nothing(
        self, console: Console, site: FeedServer
    ) -> None:
        client = await console.login()
        answer = await client.post("/articles/push", data={"url": site.url_for("/story.html")})
        assert answer.status_code == 403
        assert site.hits("/story.html") == 0
        async with console.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Article)) == 0


class TestDecisions:
    async def _draft(self, console: Console, status: SendStatus = SendStatus.DRAFT) -> Send:
        article = await _article(console, f"Waiting {status}", status=ArticleStatus.DRAFT)
        async with console.db.writing() as session:
            return await sends.open_draft(session, article.id, requested_by=EDITOR, status=status)

    async def test_schedule_then_cancel(self, console: Console) -> None:
        send = await self._draft(console)
        client = await console.login()
        csrf = await console.csrf(client)
        at = (utcnow() + timedelta(hours=3)).astimezone(console.state.zone)
        answer = await client.post(
            f"/articles/sends/{send.id}/schedule",
            data={"csrf": csrf, "at": at.strftime("%Y-%m-%dT%H:%M")},
        )
        assert answer.status_code == 303
        async with console.db.session() as session:
            row = await session.get(Send, send.id)
            assert row is not None
            assert row.status == SendStatus.SCHEDULED
            assert row.not_before == at.replace(second=0, microsecond=0)
        listed = await client.get("/articles")
        assert "Scheduled" in listed.text
        assert at.strftime("%H:%M") in listed.text
        cancelled = await client.post(f"/articles/sends/{send.id}/cancel", data={"csrf": csrf})
        assert cancelled.status_code == 303
        async with console.db.session() as session:
            row = await session.get(Send, send.id)
            assert row is not None
            assert row.status == SendStatus.CANCELLED

    @pytest.mark.parametrize("at", ["", "tomorrow", "2020-01-01T10:00", "2999-01-01T10:00"])
    async def test_a_bad_time_schedules_nothing(self, console: Console, at: str) -> None:
        send = await self._draft(console)
        client = await console.login()
        answer = await client.post(
            f"/articles/sends/{send.id}/schedule",
            data={"csrf": await console.csrf(client), "at": at},
        )
        assert answer.status_code == 400
        assert "Choose a time between now and 30 days from now (Asia/Kolkata)" in answer.text
        async with console.db.session() as session:
            row = await session.get(Send, send.id)
            assert row is not None
            assert row.status == SendStatus.DRAFT

    async def test_the_approval_queue_publishes_once(self, console: Console) -> None:
        send = await self._draft(console, SendStatus.AWAITING)
        first = await console.login(EDITOR, "Priya")
        second = await console.login(OTHER_EDITOR, "Ravi")
        listed = await first.get("/articles")
        assert f'action="/articles/sends/{send.id}/publish"' in listed.text
        assert f'action="/articles/sends/{send.id}/skip"' in listed.text
        skipped = await second.post(
            f"/articles/sends/{send.id}/skip",
            data={"csrf": await console.csrf(second), "back": "list"},
        )
        assert skipped.status_code == 303
        assert skipped.headers["location"] == "/articles?done=skipped"
        late = await first.post(
            f"/articles/sends/{send.id}/publish", data={"csrf": await console.csrf(first)}
        )
        assert late.status_code == 409
        assert "Ravi skipped it meanwhile" in late.text
        async with console.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(Delivery)) == 0

    @pytest.mark.parametrize(
        "path",
        [
            "/articles/sends/999/publish",
            "/articles/sends/x/publish",
            "/articles/sends/1/x",
            "/articles/sends/99999999999/publish",
            "/articles/sends/%C2%B2/publish",
        ],
    )
    async def test_an_unknown_send_or_action_is_not_found(
        self, console: Console, path: str
    ) -> None:
        await self._draft(console)
        client = await console.login()
        answer = await client.post(path, data={"csrf": await console.csrf(client)})
        assert answer.status_code == 404


class TestLocalTime:
    NOW = datetime(2026, 12, 4, 6, 0, tzinfo=__import__("zoneinfo").ZoneInfo("UTC"))

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-12-04T18:30", "2026-12-04T13:00:00+00:00"),
            ("2026-12-04T11:30", None),  # 06:00 UTC is 11:30 in Kolkata: not in the future
            ("2026-12-04T11:32", "2026-12-04T06:02:00+00:00"),
            ("2027-01-10T10:00", None),  # past 30 days
            ("2026-12-04T18:30+05:30", None),  # a zone of its own is no datetime-local value
            ("garbage", None),
            ("", None),
        ],
    )
    def test_parse(self, text: str, expected: str | None) -> None:
        from zoneinfo import ZoneInfo

        got = parse_local_time(text, self.NOW, ZoneInfo("Asia/Kolkata"))
        assert (got.astimezone(ZoneInfo("UTC")).isoformat() if got else None) == expected
