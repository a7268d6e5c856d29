"""The command line as a newcomer meets it: one line per error, quiet pipes, plain words for
settings and options, a mistyped ``.env`` key or line named, no database made by a command that
only reads one, a demo that a half-filled ``.env`` does not break."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox import SandboxServer
from bot.storage.db import Database
from tests.conftest import FIXTURES
from tests.test_cli import TOKEN, newsbot

FEED = next(FIXTURES.joinpath("feeds").glob("*.xml"))
LIMIT = "newsbot: --limit must be a whole number from 1 up"

InProcess = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[InProcess]:
    """``newsbot ARGS`` through :func:`bot.cli.main` in this process, in ``tmp_path`` with no
    settings but DATABASE_URL (a file there, not made)."""
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_", "EDITIONS"))]:
        monkeypatch.delenv(key)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    level = root.level

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    yield run
    for handler in [h for h in root.handlers if getattr(h, "_newsbot", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


async def make_database(path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.dispose()


class TestOneLinePerError:
    """A command's own failure is its one line, not a WARNING log line and the line again."""

    @pytest.mark.parametrize(
        "argv",
        [
            pytest.param(["feeds", "add", "http://127.0.0.1:9/x"], id="feeds-add"),
            pytest.param(["preview", "http://127.0.0.1:9/"], id="preview"),
        ],
    )
    def test_a_refused_fetch(self, tmp_path: Path, argv: list[str]) -> None:
        result = newsbot(*argv, cwd=tmp_path)
        assert result.returncode == 1
        [line] = result.stderr.splitlines()
        assert line.startswith("newsbot: cannot fetch 'http://127.0.0.1:9/")
        assert "ALLOW_PRIVATE_NETWORKS" in line

    def test_a_push_that_cannot_fetch(self, tmp_path: Path) -> None:
        with SandboxServer(channels=("cli_news",)) as sandbox:
            result = newsbot(
                "push", "http://127.0.0.1:9/x", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_URL=sandbox.url, TELEGRAM_CHANNEL="@cli_news",
            )  # fmt: skip
        assert result.returncode == 1
        [line] = result.stderr.splitlines()
        assert line.startswith("newsbot: cannot fetch 'http://127.0.0.1:9/x'")

    def test_log_level_set_is_obeyed(self, tmp_path: Path) -> None:
        """LOG_LEVEL, when set, is the terminal's level for one-shot commands too."""
        result = newsbot("preview", "http://127.0.0.1:9/", cwd=tmp_path, LOG_LEVEL="WARNING")
        assert result.returncode == 1
        warning, line = result.stderr.splitlines()
        assert " WARNING bot.feeds.fetch fetch failed" in warning
        assert line.startswith("newsbot: cannot fetch")


def closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``newsbot ARGS | head`` where head has gone already: stdout's reader is closed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd / 'cli.sqlite3'}"
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(list(args), process.returncode, "", stderr)


class TestClosedPipe:
    """`newsbot preview … | head` and `newsbot stats | head` end quietly."""

    def test_preview(self, tmp_path: Path) -> None:
        result = closed_pipe("preview", str(FEED), cwd=tmp_path)
        assert result.stderr == ""
        assert result.returncode in (0, 141)

    async def test_stats(self, tmp_path: Path) -> None:
        await make_database(tmp_path / "cli.sqlite3")
        for argv in (["stats"], ["stats", "--json"]):
            result = closed_pipe(*argv, cwd=tmp_path)
            assert result.stderr == "", argv
            assert result.returncode in (0, 141)


class TestEnvFile:
    def test_a_misspelt_key_is_warned_about(self, tmp_path: Path) -> None:
        """A key of the file close to a setting: one warning with the line; the command runs.
        A key close to none (another program's) and the environment's own keys: nothing."""
        (tmp_path / ".env").write_text(
            "# newsbot\nPOLL_INTERVAL=60\nTELEGRAM_CHANEL=@news\nPOSTGRES_PASSWORD=secret\n"
        )
        result = newsbot("preview", str(FEED), "--limit", "1", cwd=tmp_path, FEED_URLS="x")
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines() == [
            "newsbot: .env line 3: TELEGRAM_CHANEL is not a setting; did you mean TELEGRAM_CHANNEL?"
        ]

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            pytest.param("A=1\nB=2\n\nthis is not a setting\n", 4, id="words"),
            pytest.param("TELEGRAM_CHANNEL @news\n", 1, id="no-equals"),
            pytest.param("POLL_INTERVAL=60\nTELEGRAM_CHANNEL\n", 2, id="key-alone"),
            pytest.param('WELCOME_EN="two\nlines"\n\n# x\nx y=1\n', 5, id="after-multiline"),
        ],
    )
    def test_an_unreadable_line_is_named(self, tmp_path: Path, text: str, line: int) -> None:
        """A line dotenv would skip with a warning stops the command: exit 2, one line."""
        (tmp_path / ".env").write_text(text)
        result = newsbot("preview", str(FEED), cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"newsbot: configuration error: .env line {line}: expected KEY=VALUE"
        ]

    def test_the_demo_reads_no_env_file(self, tmp_path: Path) -> None:
        """A newcomer's half-filled .env does not stop the demo."""
        (tmp_path / ".env").write_text(
            "TELEGRAM_BOT_TOKEN=<paste the token here>\nPOLL_INTERVAL=soon\nwhat goes here?\n"
        )
        result = newsbot("demo", "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "configuration error" not in result.stderr


READ_ONLY = [
    ["stats"],
    ["feeds", "list"],
    ["feeds", "export"],
    ["feeds", "pause", "1"],
    ["feeds", "set", "1", "--full-text", "on"],
    ["editions", "list"],
    ["sections", "list"],
    ["sections", "remove", "1"],
]


class TestMissingDatabase:
    @pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
    def test_a_reading_command_makes_none(
        self, in_process: InProcess, tmp_path: Path, argv: list[str]
    ) -> None:
        """A command that reads (or changes) only what is stored says there is no database."""
        result = in_process(*argv)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            "newsbot: configuration error: DATABASE_URL: there is no database at"
            f" {tmp_path / 'cli.sqlite3'} (newsbot run makes it)"
        ]
        assert result.stdout == ""
        assert not (tmp_path / "cli.sqlite3").exists()

    def test_a_relative_path_is_named_in_full(
        self, in_process: InProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DATABASE_URL", "sqlite:///news.sqlite3")
        result = in_process("stats")
        assert f"there is no database at {tmp_path / 'news.sqlite3'} " in result.stderr

    def test_a_writing_command_makes_it(self, in_process: InProcess, tmp_path: Path) -> None:
        result = in_process("sections", "add", "--edition", "en", "--category", "Sport")
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "cli.sqlite3").exists()
        assert in_process("stats").returncode == 0


class TestCheckedOptions:
    @pytest.mark.parametrize(
        ("argv", "line"),
        [
            (["preview", str(FEED), "--limit", "0"], LIMIT),
            (["preview", str(FEED), "--limit", "-2"], LIMIT),
            (["preview", str(FEED), "--limit", "ten"], LIMIT),
            (["sections", "add", "--feed", "0"],
             "newsbot: --feed must be a whole number from 1 up"),
            (["sections", "rename", "x", "News"],
             "newsbot: the section ID must be a whole number from 1 up"),
            (["feeds", "set", "1", "--interval", "59"],
             "newsbot: --interval must be a whole number of seconds from 60 to 86400, or"
             " 'default'"),
            (["feeds", "set", "1", "--interval", "often"],
             "newsbot: --interval must be a whole number of seconds from 60 to 86400, or"
             " 'default'"),
            (["qr", "-o", "a.png", "--bot", "x_news_bot", "--dpi", "0"],
             "newsbot: --dpi '0' is not a printer resolution: give a whole number from 72 to"
             " 2400 (default 300)"),
            (["qr", "-o", "a.png", "--bot", "x_news_bot", "--size-mm", "0"],
             "newsbot: --size-mm '0' is not a size in mm (a number such as 50)"),
            (["stats", "--since", "0d"],
             "newsbot: --since: '0d' is out of range: from 1h to 744h, or 1d to 366d (7d, 30d,"
             " 24h)"),
            (["sections", "remove"],
             "newsbot: the following arguments are required: ID (see newsbot sections remove"
             " --help)"),
        ],
        ids=lambda value: " ".join(value) if isinstance(value, list) else "",
    )  # fmt: skip
    def test_one_plain_line(
        self, in_process: InProcess, tmp_path: Path, argv: list[str], line: str
    ) -> None:
        """A bad number on the command line is one plain line, exit 2, before anything runs."""
        result = in_process(*argv)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [line]
        assert not (tmp_path / "cli.sqlite3").exists()
        assert not (tmp_path / "a.png").exists()

    def test_a_limit_limits(self, in_process: InProcess) -> None:
        result = in_process("preview", str(FEED), "--limit", "1")
        assert result.returncode == 0, result.stderr
        assert "post 1 of 1" in result.stdout

    def test_help_and_version_return_0(self, in_process: InProcess) -> None:
        assert in_process("--version").returncode == 0
        assert in_process("preview", "--help").returncode == 0
