"""The ``newsbot`` command line, run as a real process: exit codes, messages, outputs."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox import FeedServer, SandboxClient, SandboxServer
from tests.conftest import FIXTURES

TOKEN = "123456789:AAcli-test-token-that-stays-secret0"


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
    with SandboxServer(bot_username="cli_news_bot", channels=("cli_news", "cli_news_hi")) as server:
        yield server


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


class TestStartupErrors:
    @pytest.mark.parametrize(
        ("env", "key"),
        [
            pytest.param(
                {"DATABASE_URL": "mysql://root@localhost/news"}, "DATABASE_URL", id="mysql"
            ),
            pytest.param({"DATABASE_URL": "::nonsense::"}, "DATABASE_URL", id="garbage-url"),
            pytest.param(
                {"DATABASE_URL": "sqlite+aiosqlite:////proc/no-such-folder/x.sqlite3"},
                "DATABASE_URL",
                id="sqlite-folder-not-creatable",
            ),
            pytest.param(
                {"DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
                "DATABASE_URL",
                id="unreachable-postgres",
            ),
            pytest.param(
                {"TELEGRAM_BOT_TOKEN": "12345:short"}, "TELEGRAM_BOT_TOKEN", id="bad-token"
            ),
            pytest.param({}, "TELEGRAM_BOT_TOKEN", id="no-token"),
        ],
    )
    def test_run_exits_2_with_one_line(self, tmp_path: Path, env: dict[str, str], key: str) -> None:
        """`newsbot run` with a bad setting exits 2 with one line that names the key."""
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, **env} if key == "DATABASE_URL" else env
        result = newsbot("run", cwd=tmp_path, **env)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert key in lines[0]
        assert "Traceback" not in result.stderr
        assert TOKEN not in result.stderr + result.stdout
        assert "12345:short" not in result.stderr

    def test_rejected_token_exits_2(self, tmp_path: Path) -> None:
        """A well-formed token the Bot API rejects (401) stops start-up with exit 2."""
        with SandboxServer(tokens=[TOKEN]) as strict:
            result = newsbot(
                "run",
                cwd=tmp_path,
                TELEGRAM_BOT_TOKEN="1:" + "A" * 35,
                TELEGRAM_API_URL=strict.url,
            )
        assert result.returncode == 2, result.stderr
        assert "TELEGRAM_BOT_TOKEN" in result.stderr
        assert "A" * 35 not in result.stderr


class TestArguments:
    def test_missing_env_file(self, tmp_path: Path) -> None:
        """An --env-file that does not exist is a configuration error, not silently ignored."""
        result = newsbot("--env-file", "nope.env", "feeds", "list", cwd=tmp_path)
        assert result.returncode == 2
        assert "--env-file: nope.env does not exist" in result.stderr
        assert not (tmp_path / "cli.sqlite3").exists()

    def test_env_file_not_utf8(self, tmp_path: Path) -> None:
        """An --env-file that is not UTF-8 text is a one-line configuration error."""
        (tmp_path / "latin.env").write_bytes(b"FEEDS=https://caf\xe9.example/rss\n")
        result = newsbot("--env-file", "latin.env", "feeds", "list", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == "newsbot: configuration error: latin.env: is not UTF-8 text"

    @pytest.mark.parametrize("command", [["feeds", "add"], ["push"]])
    def test_url_argument_must_be_http(self, tmp_path: Path, command: list[str]) -> None:
        """A URL argument that is not http(s) is a command-line error (exit 2), nothing opened."""
        result = newsbot(*command, "ftp://news.example/rss", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
        assert result.returncode == 2, result.stderr
        assert "is not an http(s) URL" in result.stderr
        assert not (tmp_path / "cli.sqlite3").exists()

    def test_env_file_is_used(self, tmp_path: Path) -> None:
        """Settings in the --env-file are used (here: where the database lives)."""
        (tmp_path / "other.env").write_text(
            f"DATABASE_URL=sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "--env-file", "other.env", "sections", "add",
             "--edition", "en", "--category", "Sport"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "other.sqlite3").exists()


class TestRun:
    async def test_run_answers_and_stops_on_sigterm(
        self, tmp_path: Path, sandbox: SandboxServer
    ) -> None:
        """`newsbot run` answers a reader, stops on SIGTERM; its DEBUG logs hold no token."""
        import asyncio
        import signal

        from bot.sandbox import SandboxClient

        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
        env |= {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "TELEGRAM_CHANNEL": "@cli_news",
            "LOG_LEVEL": "DEBUG",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with SandboxClient(sandbox.url) as tg:
                assert await tg.wait_polling(timeout=30)
                await tg.send(4242, "/start poster-1")
                [reply] = await tg.bot_messages(4242, wait_for=1, timeout=15)
                assert "You are subscribed" in reply["text"]  # a campaign subscribes at once
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        logs = stderr.decode()
        assert process.returncode == 0, logs[-2000:]
        assert "newsbot started" in logs
        assert "newsbot stopped" in logs
        assert TOKEN not in logs + stdout.decode()
        assert TOKEN.split(":")[1] not in logs


class TestPreview:
    def test_feed_file_as_json(self, tmp_path: Path) -> None:
        """preview --json prints one object per entry with the promised keys."""
        feed = next(FIXTURES.joinpath("feeds").glob("*.xml"))
        result = newsbot("preview", str(feed), "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        posts = json.loads(result.stdout)
        assert posts
        for post in posts:
            assert {"title", "summary", "link", "image", "html"} <= set(post)

    def test_article_page_by_url(self, tmp_path: Path, site: FeedServer) -> None:
        """preview of an article page URL prints the post its meta tags make."""
        site.put("/a.html", (FIXTURES / "pages" / "article.html").read_bytes(), "text/html")
        result = newsbot(
            "preview",
            site.url_for("/a.html"),
            "--json",
            cwd=tmp_path,
            ALLOW_PRIVATE_NETWORKS="true",
        )
        assert result.returncode == 0, result.stderr
        [post] = json.loads(result.stdout)
        assert post["title"] == "Storm warning for Friday night"
        assert post["link"] == "https://courier.example/2026/11/storm-warning"

    def test_private_address_refused_by_default(self, tmp_path: Path, site: FeedServer) -> None:
        """A URL on 127.0.0.1 is refused unless ALLOW_PRIVATE_NETWORKS is true."""
        site.put("/a.html", b"<title>x</title>", "text/html")
        result = newsbot("preview", site.url_for("/a.html"), cwd=tmp_path)
        assert result.returncode == 1
        assert "ALLOW_PRIVATE_NETWORKS" in result.stderr
        assert site.hits("/a.html") == 0

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist is one clear line, exit 1."""
        result = newsbot("preview", str(tmp_path / "nope.xml"), cwd=tmp_path)
        assert result.returncode == 1
        assert "nope.xml" in result.stderr
        assert "Traceback" not in result.stderr

    def test_not_a_feed(self, tmp_path: Path) -> None:
        """Bytes that are neither a feed nor a page say so."""
        junk = tmp_path / "junk.bin"
        junk.write_bytes(b"\x00\x01garbage")
        result = newsbot("preview", str(junk), cwd=tmp_path)
        assert result.returncode == 1
        assert "neither a feed nor an article page" in result.stderr


class TestFeedsAndStats:
    def test_add_list_pause_remove(self, tmp_path: Path, site: FeedServer) -> None:
        """feeds add marks the backlog seen; list, pause and remove act on the stored feed."""
        site.put("/f.xml", (FIXTURES / "demo_like.xml").read_bytes(), "application/rss+xml")
        env = {"ALLOW_PRIVATE_NETWORKS": "true"}
        added = newsbot("feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, **env)
        assert added.returncode == 0, added.stderr
        assert "Added feed 1" in added.stdout
        assert "2 existing article(s)" in added.stdout
        again = newsbot("feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, **env)
        assert again.returncode == 1
        assert "already feed 1" in again.stderr
        listed = newsbot("feeds", "list", cwd=tmp_path)
        assert site.url_for("/f.xml") in listed.stdout
        assert "active" in listed.stdout
        assert newsbot("feeds", "pause", "1", cwd=tmp_path).returncode == 0
        assert "paused" in newsbot("feeds", "list", cwd=tmp_path).stdout
        stats = newsbot("stats", cwd=tmp_path)
        assert stats.returncode == 0
        assert "Sign-ups per campaign" in stats.stdout
        assert newsbot("feeds", "remove", "1", cwd=tmp_path).returncode == 0
        missing = newsbot("feeds", "remove", "1", cwd=tmp_path)
        assert missing.returncode == 1
        assert "no feed has the id 1" in missing.stderr

    def test_add_unreadable_feed_stores_nothing(self, tmp_path: Path, site: FeedServer) -> None:
        """A URL that is not a feed is refused with the reason and not stored."""
        site.put("/page.html", b"<html><body>hello</body></html>", "text/html")
        result = newsbot(
            "feeds", "add", site.url_for("/page.html"), cwd=tmp_path, ALLOW_PRIVATE_NETWORKS="true"
        )
        assert result.returncode == 1
        assert "feed" in result.stderr.lower()
        assert "No feeds yet" in newsbot("feeds", "list", cwd=tmp_path).stdout


class TestQR:
    def test_png_via_getme(self, tmp_path: Path, sandbox: SandboxServer) -> None:
        """Without --bot the username comes from getMe, and the PNG decodes to the deep link."""
        import zxingcpp
        from PIL import Image

        result = newsbot(
            "qr",
            "-o",
            "poster.png",
            "--campaign",
            "poster-metro",
            cwd=tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.url,
        )
        assert result.returncode == 0, result.stderr
        [code] = zxingcpp.read_barcodes(Image.open(tmp_path / "poster.png"))
        assert code.text == "https://t.me/cli_news_bot?start=poster-metro"

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            pytest.param(["--campaign", "summer sale", "--bot", "x_bot"], "A-Z", id="space"),
            pytest.param(["--campaign", "a" * 65, "--bot", "x_bot"], "A-Z", id="too-long"),
            pytest.param(["--bot", "x_bot", "-o", "code.gif"], ".png", id="suffix"),
            pytest.param([], "--bot", id="no-bot-no-token"),
            pytest.param(["--bot", "bad name!"], "not a Telegram username", id="bad-username"),
        ],
    )
    def test_refusals(self, tmp_path: Path, args: list[str], fragment: str) -> None:
        """Bad campaigns, unknown suffixes and an unknown bot are refused with exit 2."""
        output = [] if "-o" in args else ["-o", "code.png"]
        result = newsbot("qr", *output, *args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert fragment in result.stderr
        assert not (tmp_path / "code.png").exists()


class TestPush:
    def test_push_from_the_shell(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer
    ) -> None:
        """`newsbot push URL` posts the page to the channel, and refuses to post it twice."""
        site.put("/a.html", (FIXTURES / "pages" / "article.html").read_bytes(), "text/html")
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "TELEGRAM_CHANNEL": "@cli_news",
            "ALLOW_PRIVATE_NETWORKS": "true",
        }
        first = newsbot("push", site.url_for("/a.html"), cwd=tmp_path, **env)
        assert first.returncode == 0, first.stderr
        assert "Channel: @cli_news ✓" in first.stdout
        second = newsbot("push", site.url_for("/a.html"), cwd=tmp_path, **env)
        assert second.returncode == 1
        assert "already posted" in second.stderr
        assert TOKEN not in first.stderr + second.stderr

    def test_push_to_an_unusable_channel_stores_nothing(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer
    ) -> None:
        """A channel the bot cannot post to stops the push before the article is stored, so
        it can be pushed once the channel is fixed."""
        site.put("/a.html", (FIXTURES / "pages" / "article.html").read_bytes(), "text/html")
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "ALLOW_PRIVATE_NETWORKS": "true",
        }
        wrong = newsbot("push", site.url_for("/a.html"), cwd=tmp_path, **env,
                        TELEGRAM_CHANNEL="@nowhere_news")  # fmt: skip
        assert wrong.returncode == 2, wrong.stderr
        assert "TELEGRAM_CHANNEL: cannot post to @nowhere_news" in wrong.stderr
        right = newsbot("push", site.url_for("/a.html"), cwd=tmp_path, **env,
                        TELEGRAM_CHANNEL="@cli_news")  # fmt: skip
        assert right.returncode == 0, right.stderr
        assert "Channel: @cli_news ✓" in right.stdout


def channel_messages(sandbox: SandboxServer, chat: str) -> list[dict[str, Any]]:
    """What the bot posted in ``chat``, read through the sandbox's control API."""

    async def read() -> list[dict[str, Any]]:
        async with SandboxClient(sandbox.url) as tg:
            return await tg.messages(chat)

    return asyncio.run(read())


class TestPushEditions:
    HINDI_PAGE = (
        '<html lang="hi"><head><meta property="og:title" content="घाटी में पहली बर्फ़ गिरी">'
        '<meta property="og:description" content="घाटी में इस मौसम की पहली बर्फ़ गिरी। स्कूल दो'
        ' दिन बंद रहेंगे।"><meta property="og:url" content="https://p.example/hi/barf">'
        "</head><body></body></html>"
    )

    def env(self, sandbox: SandboxServer) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "EDITIONS": "en=@cli_news,hi=@cli_news_hi",
            "ALLOW_PRIVATE_NETWORKS": "true",
        }

    def test_the_pages_language_chooses_the_edition(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer
    ) -> None:
        """A Hindi page goes to the Hindi edition's channel; --edition overrides the guess."""
        site.put("/hi.html", self.HINDI_PAGE, "text/html; charset=utf-8")
        site.put("/a.html", (FIXTURES / "pages" / "article.html").read_bytes(), "text/html")
        pushed = newsbot("push", site.url_for("/hi.html"), cwd=tmp_path, **self.env(sandbox))
        assert pushed.returncode == 0, pushed.stderr
        assert "Channel: @cli_news_hi ✓" in pushed.stdout
        forced = newsbot("push", site.url_for("/a.html"), "--edition", "hi", cwd=tmp_path,
                         **self.env(sandbox))  # fmt: skip
        assert forced.returncode == 0, forced.stderr
        assert len(channel_messages(sandbox, "@cli_news_hi")) == 2
        assert channel_messages(sandbox, "@cli_news") == []

    def test_an_unknown_edition_is_refused_before_anything(
        self, tmp_path: Path, sandbox: SandboxServer, site: FeedServer
    ) -> None:
        result = newsbot("push", site.url_for("/x.html"), "--edition", "ta", cwd=tmp_path,
                         **self.env(sandbox))  # fmt: skip
        assert result.returncode == 2
        assert "there is no edition 'ta'; the editions are en, hi" in result.stderr
        assert "Traceback" not in result.stderr
