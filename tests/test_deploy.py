"""deploy/newsbot.service is a unit systemd accepts: ``systemd-analyze verify`` finds no unknown
key, no bad value, and the command it starts exists (the unit's /opt path replaced by this
checkout's own ``newsbot``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[1] / "deploy" / "newsbot.service"
INSTALLED = "/opt/newsbot/.venv/bin/newsbot"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    newsbot = Path(sys.executable).with_name("newsbot")
    assert newsbot.exists(), "the project is installed (make install)"
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} run" in text
    unit = tmp_path / "newsbot@check.service"
    unit.write_text(text.replace(INSTALLED, str(newsbot)))
    done = subprocess.run(  # noqa: S603 - systemd's own checker on our file
        ["systemd-analyze", "verify", str(unit)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "newsbot@check.service" not in done.stderr, done.stderr  # no complaint about it
