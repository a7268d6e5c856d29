"""``newsbot push``: ``--at`` read as the publisher's time of day (a table of cases), a
scheduled push stored and announced, a bad time refused in one line, and the summary line
in the chat's words, with the command run as a real process against the sandbox."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli_push import TimeOfDayError, next_time, plain, progress_bar, when
from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from bot.services import readers
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Send, SendStatus, utcnow
from tests.conftest import FIXTURES
from tests.helpers import use_editions

TOKEN = "123456789:AAcli-push-token-that-stays-secret0"
ZONE = ZoneInfo("Asia/Kolkata")  # UTC+5:30, no daylight saving
BERLIN = ZoneInfo("Europe/Berlin")
TITLE = "Storm warning for Friday night"


class TestNextTime:
    @pytest.mark.parametrize(
        ("text", "now", "zone", "expected"),
        [
            pytest.param(
                "07:30",
                datetime(2026, 12, 2, 0, 30, tzinfo=UTC),  # 06:00 in Kolkata
                ZONE,
                datetime(2026, 12, 2, 2, 0, tzinfo=UTC),
                id="later-today",
            ),
            pytest.param(
                "07:30",
                datetime(2026, 12, 2, 2, 30, tzinfo=UTC),  # 08:00 in Kolkata
                ZONE,
                datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
                id="passed-so-tomorrow",
            ),
            pytest.param(
                "07:30",
                datetime(2026, 12, 2, 2, 0, tzinfo=UTC),  # 07:30 exactly
                ZONE,
                datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
                id="now-is-passed",
            ),
            pytest.param(
                " 7:05 ",
                datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
                ZONE,
                datetime(2026, 12, 2, 1, 35, tzinfo=UTC),
                id="one-digit-hour",
            ),
            pytest.param(
                "00:15",
                datetime(2026, 12, 2, 19, 0, tzinfo=UTC),  # 00:30 on the 3rd in Kolkata
                ZONE,
                datetime(2026, 12, 3, 18, 45, tzinfo=UTC),
                id="local-day-not-utc-day",
            ),
            pytest.param(
                "09:00",
                datetime(2026, 3, 28, 12, 0, tzinfo=UTC),  # the night clocks go forward
                BERLIN,
                datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # 09:00 CEST
                id="across-daylight-saving",
            ),
        ],
    )
    def test_next_time(self, text: str, now: datetime, zone: ZoneInfo, expected: datetime) -> None:
        """HH:MM is today's in the publisher's zone, or tomorrow's once it has passed."""
        assert next_time(text, zone, now) == expected

    @pytest.mark.parametrize("text", ["24:00", "07:60", "7:5", "noon", "", "07:30pm", "-1:00"])
    def test_not_a_time(self, text: str) -> None:
        """Anything but a 24-hour HH:MM is refused, saying what is expected."""
        with pytest.raises(TimeOfDayError, match="HH:MM"):
            next_time(text, ZONE, datetime(2026, 12, 2, tzinfo=UTC))

    def test_when_reads_local_and_utc(self) -> None:
        """The time is told in the publisher's zone, and in UTC."""
        at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
        assert when(at, ZONE) == "2026-12-03 07:30 Asia/Kolkata (02:00 UTC)"


class TestOutput:
    def test_plain_line(self) -> None:
        """The chat's summary lines become one line of plain text."""
        assert plain(["Delivered to 1 of 2 readers.", "Channel: @a&amp;b ✓"]) == (
            "Delivered to 1 of 2 readers. Channel: @a&b ✓"
        )

    def test_bar_only_on_a_terminal(self) -> None:
        """The progress bar is drawn only when stderr is a terminal."""

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        assert progress_bar(io.StringIO()) is None
        assert progress_bar(Terminal()) is not None


def newsbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` in ``cwd`` with only ``env`` as newsbot's settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    clean |= {"DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'cli.sqlite3'}", **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username="cli_push_bot", channels=("cli_push",)) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/a.html", (FIXTURES / "pages" / "article.html").read_bytes(), "text/html")
        yield server


def env_for(sandbox: SandboxServer) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox.url,
        "TELEGRAM_CHANNEL": "@cli_push",
        "ALLOW_PRIVATE_NETWORKS": "true",
        "TIMEZONE": ZONE.key,
    }


def stored_sends(path: Path) -> list[Send]:
    async def read() -> list[Send]:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with db.session() as session:
                return list(await session.scalars(select(Send).order_by(Send.id)))
        finally:
            await db.dispose()

    return asyncio.run(read())


def channel_posts(sandbox: SandboxServer) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with SandboxClient(sandbox.url) as tg:
            return await tg.messages("@cli_push")

    return asyncio.run(read())


class TestScheduledPush:
    @pytest.mark.parametrize("hours", [2, -2], ids=["later-today", "tomorrow"])
    def test_at_stores_a_scheduled_send(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer, hours: int
    ) -> None:
        """`push URL --at HH:MM` stores a send scheduled for the next such time in TIMEZONE,
        says when it goes out, and sends nothing yet."""
        before = utcnow()
        hh_mm = f"{(before + timedelta(hours=hours)).astimezone(ZONE):%H:%M}"
        expected = next_time(hh_mm, ZONE, before)
        result = newsbot("push", site.url_for("/a.html"), "--at", hh_mm, cwd=tmp_path,
                         **env_for(sandbox))  # fmt: skip
        assert result.returncode == 0, result.stderr
        [send] = stored_sends(tmp_path / "cli.sqlite3")
        assert send.status == SendStatus.SCHEDULED
        assert send.not_before == expected
        assert timedelta(0) < expected - before <= timedelta(days=1)
        assert result.stdout == (
            f"Scheduled {TITLE!r} (article {send.article_id}) for {when(expected, ZONE)}: "
            "a running `newsbot run` publishes it then.\n"
        )
        assert channel_posts(sandbox) == []

    def test_bad_time_exits_2_with_one_line(self, tmp_path: Path) -> None:
        """A time that is not HH:MM is one line on stderr and exit 2, before anything is
        opened or fetched."""
        result = newsbot("push", "https://news.example/a", "--at", "25:00", cwd=tmp_path,
                         TELEGRAM_BOT_TOKEN=TOKEN)  # fmt: skip
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "newsbot: --at: '25:00' is not a time of day; use HH:MM, e.g. 07:30 or 18:05"
        ]
        assert result.stdout == ""
        assert not (tmp_path / "cli.sqlite3").exists()


class TestPushNow:
    def test_summary_line_in_the_chats_words(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer
    ) -> None:
        """The push's one line on stdout is the chat's summary (a reader who blocked the bot
        counts as blocked), no bar when stderr is no terminal, and the send is finished."""

        async def readers_of(path: Path) -> None:
            async with SandboxClient(sandbox.url) as tg:
                for chat in (8101, 8102):
                    await tg.send(chat, "/start", first_name=f"r{chat}")
                await tg.block(8102)
            db = Database(f"sqlite+aiosqlite:///{path}")
            try:
                await db.migrate()
                await use_editions(db, ("en", "@cli_push"))
                async with db.writing() as session:
                    for chat in (8101, 8102):
                        await readers.subscribe(session, Reader(chat))
            finally:
                await db.dispose()

        asyncio.run(readers_of(tmp_path / "cli.sqlite3"))
        result = newsbot("push", site.url_for("/a.html"), cwd=tmp_path, **env_for(sandbox))
        assert result.returncode == 0, result.stderr
        [send] = stored_sends(tmp_path / "cli.sqlite3")
        assert result.stdout == (
            f"Pushed {TITLE!r} (article {send.article_id}): "
            "Delivered to 1 of 2 readers: 1 blocked, 0 failed. Channel: @cli_push ✓\n"
        )
        assert send.status == SendStatus.DONE
        assert "Delivering" not in result.stderr
        assert len(channel_posts(sandbox)) == 1
