"""``newsbot qr``, run as a real process: print-ready files, one-line refusals, invite links.

Each file is read back by real software (zxing-cpp for the PNG, resvg for the SVG, PDFium for
the PDF); ``--invite`` runs against the Bot API sandbox and a real SQLite database.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from bot.cli import main
from bot.sandbox import SandboxClient, SandboxServer
from bot.storage.db import Database
from bot.storage.models import InviteLink
from tests.test_qr import decode, draw, pdf_size_pt, svg_size_mm

TOKEN = "123456789:AAcli-qr-test-token-that-stays-secret"
BOT = "cli_qr_bot"


def newsbot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` in ``cwd`` with only ``env`` as newsbot's settings."""
    ours = ("TELEGRAM_", "DATABASE_", "EDITIONS")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
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


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line ``result`` printed on stderr (exit status 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def stored_links(path: Path) -> list[tuple[str, str, str]]:
    """(campaign, channel, link) of every invite link in the SQLite database at ``path``."""

    async def read() -> list[tuple[str, str, str]]:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with db.session() as session:
                rows = await session.scalars(select(InviteLink).order_by(InviteLink.id))
                return [(r.campaign, r.channel, r.invite_link) for r in rows]
        finally:
            await db.dispose()

    return asyncio.run(read())


def invite_requests(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """The createChatInviteLink calls the sandbox answered."""

    async def read() -> list[dict[str, Any]]:
        async with SandboxClient(sandbox.url) as tg:
            return await tg.requests("createChatInviteLink")

    return asyncio.run(read())


InProcess = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[InProcess]:
    """``newsbot ARGS`` through :func:`bot.cli.main` in this process (a process costs seconds
    to start), in ``tmp_path`` with no settings but a database there."""
    for key in [k for k in os.environ if k.startswith(("TELEGRAM_", "DATABASE_", "EDITIONS"))]:
        monkeypatch.delenv(key)
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
        root.removeHandler(handler)  # it writes to capsys's stream, gone after the test
    root.setLevel(level)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(bot_username=BOT, channels=("cli_qr_en", "cli_qr_hi")) as server:
        yield server


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    Image.new("RGB", (120, 80), (20, 60, 200)).save(path)
    return path


class TestFiles:
    """The files it writes scan as the link and print at the size asked for."""

    @pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
    def test_label_and_logo_in_every_format(self, tmp_path: Path, logo: Path, suffix: str) -> None:
        """With a Devanagari label and a logo, each format reads as the deep link and is
        60 mm wide (709 dots at 300 dpi), the label band under it."""
        result = newsbot(
            "qr", "-o", f"poster.{suffix}", "--campaign", "metro", "--bot", BOT,
            "--size-mm", "60", "--label", "संस्करण क्षेत्र", "--logo", str(logo),
            cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        link = f"https://t.me/{BOT}?start=metro"
        assert result.stdout.strip().endswith(f"for {link}")
        assert "60.0 x 69.6 mm at 300 dpi" in result.stdout
        data = (tmp_path / f"poster.{suffix}").read_bytes()
        image = draw(data, suffix)  # type: ignore[arg-type]
        assert decode(image) == [link]
        height = 709 + round(709 * 0.16)
        assert image.size == (709, height)
        if suffix == "svg":
            assert svg_size_mm(data) == pytest.approx((709 * 25.4 / 300, height * 25.4 / 300))
        if suffix == "pdf":
            assert pdf_size_pt(data) == pytest.approx((709 * 72 / 300, height * 72 / 300))

    def test_dpi_sets_the_dots(self, tmp_path: Path) -> None:
        """--dpi 600 makes a 50 mm PNG 1181 pixels wide that says 600 dpi."""
        result = newsbot(
            "qr", "-o", "a.png", "--campaign", "m", "--bot", BOT, "--dpi", "600", cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        image = Image.open(io.BytesIO((tmp_path / "a.png").read_bytes()))
        assert image.size == (1181, 1181)
        assert image.info["dpi"] == pytest.approx((600, 600), abs=0.01)


REFUSALS = [
    pytest.param(["--campaign", "spring posters"], "A-Z, a-z, 0-9", id="campaign-space"),
    pytest.param(
        ["--logo", "missing.png"], "--logo missing.png: there is no such", id="logo-missing"
    ),
    pytest.param(["--logo", "."], "is a folder", id="logo-folder"),
    pytest.param(
        ["--logo", "notes.txt"], "--logo notes.txt: not a readable image", id="logo-unreadable"
    ),
    pytest.param(
        ["--size-mm", "15"], "smallest size that works is 20 mm (--size-mm 20)", id="under-20mm"
    ),
    pytest.param(
        ["--size-mm", "20", "--dpi", "150"],
        "a module would be 2 dots wide at 150 dpi, and needs at least 4; the smallest size that"
        " works is 28 mm (--size-mm 28)",
        id="modules-under-4-dots",
    ),
    pytest.param(
        ["--size-mm", "20", "--label", "Scan this code for the Revoi news on Telegram"],
        "under 6 pt",
        id="label-too-long",
    ),
    pytest.param(["--size-mm", "fifty"], "--size-mm 'fifty' is not a size", id="size-not-a-number"),
    pytest.param(["--size-mm", "-5"], "is not a size", id="size-negative"),
    pytest.param(
        ["--dpi", "abc"], "--dpi 'abc' is not a printer resolution", id="dpi-not-a-number"
    ),
    pytest.param(["--dpi", "0"], "from 72 to 2400", id="dpi-zero"),
    pytest.param(["--dpi", "300.5"], "whole number", id="dpi-fraction"),
    pytest.param(["--dpi", "9600"], "from 72 to 2400", id="dpi-too-high"),
    pytest.param(["--size-mm", "2000"], "print it at a lower dpi", id="too-many-dots"),
    pytest.param(["-o", "code.jpg"], ".png, .svg, .pdf", id="unknown-suffix"),
    pytest.param(["--label", "two\nlines"], "--label: a label is one line", id="label-lines"),
    pytest.param(["--edition", "hi"], "--edition only says", id="edition-without-invite"),
]
"""Command lines that are wrong, and what the one line that refuses each says."""


class TestRefusals:
    """Each mistake is one line on stderr, exit status 2, no traceback, no file."""

    @pytest.mark.parametrize(("args", "fragment"), REFUSALS)
    def test_one_line_exit_2(
        self, in_process: InProcess, tmp_path: Path, args: list[str], fragment: str
    ) -> None:
        """A bad campaign, logo, size, dpi, suffix or label is refused in one clear line."""
        (tmp_path / "notes.txt").write_text("not a picture")
        output = [] if "-o" in args else ["-o", "code.png"]
        campaign = [] if "--campaign" in args else ["--campaign", "metro"]
        result = in_process("qr", *output, *campaign, "--bot", BOT, *args)
        assert fragment in one_line(result)
        assert not (tmp_path / "code.png").exists()

    @pytest.mark.parametrize(
        ("args", "fragment"),
        [
            pytest.param(["--campaign", "a b"], "A-Z, a-z, 0-9", id="campaign-space"),
            pytest.param(["--size-mm", "10"], "(--size-mm 20)", id="under-20mm"),
        ],
    )
    def test_as_a_process(self, tmp_path: Path, args: list[str], fragment: str) -> None:
        """The same refusals from the real command: one line on stderr, exit status 2."""
        result = newsbot(
            "qr", "-o", "code.png", "--bot", BOT, *["--campaign", "m", *args], cwd=tmp_path
        )
        assert fragment in one_line(result)

    def test_invite_without_campaign(self, tmp_path: Path) -> None:
        """--invite needs a campaign to name the link after."""
        result = newsbot("qr", "-o", "code.png", "--invite", cwd=tmp_path)
        assert "--invite needs --campaign" in one_line(result)

    def test_invite_without_channel(self, tmp_path: Path) -> None:
        """--invite with no channel configured says which setting to set."""
        result = newsbot("qr", "-o", "code.png", "--campaign", "m", "--invite", cwd=tmp_path)
        assert "set TELEGRAM_CHANNEL" in one_line(result)

    def test_too_small_for_an_invite_asks_telegram_nothing(
        self, tmp_path: Path, sandbox: SandboxServer
    ) -> None:
        """A size too small for an invite link is refused before any link is made."""
        result = newsbot(
            "qr", "-o", "code.png", "--campaign", "m", "--invite", "--size-mm", "20",
            "--dpi", "100", cwd=tmp_path, TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=sandbox.url, TELEGRAM_CHANNEL="@cli_qr_en",
        )  # fmt: skip
        assert "smallest size that works" in one_line(result)
        assert invite_requests(sandbox) == []


class TestInvite:
    """--invite encodes the campaign's invite link to a channel, made once and stored."""

    def test_invite_link_is_made_once_and_encoded(
        self, tmp_path: Path, sandbox: SandboxServer
    ) -> None:
        """The first run makes a named invite link (createChatInviteLink) and stores it; the
        code reads as it; a second run reuses it without asking Telegram again."""
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "TELEGRAM_CHANNEL": "@cli_qr_en",
        }
        first = newsbot(
            "qr", "-o", "join.pdf", "--campaign", "metro", "--invite", cwd=tmp_path, **env
        )
        assert first.returncode == 0, first.stderr
        [(campaign, channel, link)] = stored_links(tmp_path / "cli.sqlite3")
        assert (campaign, channel) == ("metro", "@cli_qr_en")
        assert link.startswith("https://t.me/+")
        assert decode(draw((tmp_path / "join.pdf").read_bytes(), "pdf")) == [link]
        second = newsbot(
            "qr", "-o", "join.png", "--campaign", "metro", "--invite", cwd=tmp_path, **env
        )
        assert second.returncode == 0, second.stderr
        assert decode(draw((tmp_path / "join.png").read_bytes(), "png")) == [link]
        assert len(stored_links(tmp_path / "cli.sqlite3")) == 1
        [request] = invite_requests(sandbox)
        assert request["status"] == 200
        assert TOKEN not in first.stderr + second.stderr

    def test_edition_picks_the_channel(self, tmp_path: Path, sandbox: SandboxServer) -> None:
        """With several editions, --edition hi invites to the Hindi edition's channel, and a
        code of no edition is refused naming the editions."""
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sandbox.url,
            "EDITIONS": "en=@cli_qr_en,hi=@cli_qr_hi",
        }
        result = newsbot(
            "qr", "-o", "hi.png", "--campaign", "metro", "--invite", "--edition", "hi",
            cwd=tmp_path, **env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        [(_, channel, link)] = stored_links(tmp_path / "cli.sqlite3")
        assert channel == "@cli_qr_hi"
        assert decode(draw((tmp_path / "hi.png").read_bytes(), "png")) == [link]
        wrong = newsbot(
            "qr", "-o", "x.png", "--campaign", "metro", "--invite", "--edition", "fr",
            cwd=tmp_path, **env,
        )  # fmt: skip
        assert "there is no edition 'fr'; the editions are en, hi" in one_line(wrong)
