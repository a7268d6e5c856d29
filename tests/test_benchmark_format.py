"""benchmarks/format.py at a tiny scale, so that the benchmark cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "format.py"
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
#: Small feeds of the corpus: 1 + 2 + 20 entries (two in KOI8-R).
FEEDS = (
    "feedparser__koi8r.xml",
    "miniflux__encoding__koi8r.xml",
    "miniflux__parser__small_atom.xml",
)
STEPS = [
    "feedparser.parse(bytes)",
    "newsbot parse_feed",
    "newsbot entry → post",
    "newsbot render_post",
]


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_format", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A directory of three small corpus feeds and a page (which is no feed, and skipped)."""
    for name in (*FEEDS, "miniflux__encoding__utf8.html"):
        shutil.copy(CORPUS / name, tmp_path / name)
    return tmp_path


class TestFormatBenchmark:
    def test_json_has_every_step_and_the_verdicts(
        self, benchmark: ModuleType, corpus: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A run prints each step's files, entries and rate, and formatting against each parse."""
        assert benchmark.main(["--rounds=2", f"--corpus={corpus}", "--json"]) == 0
        out, err = capsys.readouterr()
        figures = json.loads(out)
        assert [row["step"] for row in figures["figures"]] == STEPS
        for row in figures["figures"]:
            assert row["files"] == 3
            assert row["rounds"] == 2
            assert row["entries"] == 23
            assert row["best_s"] > 0
            assert row["per_second"] > 0
        assert [v["against"] for v in figures["verdicts"]] == STEPS[:1]
        assert all(isinstance(v["cheaper"], bool) for v in figures["verdicts"])
        assert "| step | files | entries | best s | entries/s | µs/entry |" in err

    def test_table_says_whether_formatting_costs_less(
        self, benchmark: ModuleType, corpus: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --json the table and the verdict line goes to stdout."""
        assert benchmark.main(["--rounds=1", f"--corpus={corpus}"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"3 feeds of {corpus}, best of 1 rounds"
        rows = [line for line in lines if line.startswith("| ") and "step" not in line]
        assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == STEPS
        verdicts = [line for line in lines if line.startswith("formatting costs less")]
        assert len(verdicts) == 1
        assert all(line.split(": ")[1].startswith(("yes,", "NO,")) for line in verdicts)

    def test_rounds_must_be_positive(self, benchmark: ModuleType) -> None:
        """--rounds=0 is a usage error, not an empty table."""
        with pytest.raises(SystemExit) as exited:
            benchmark.main(["--rounds=0"])
        assert exited.value.code == 2
