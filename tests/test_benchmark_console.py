"""benchmarks/console.py at a tiny scale, so that the benchmark cannot rot unnoticed: it fills
a SQLite database, serves the console, logs in and prints a row for each page."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "console.py"
PAGES = ["dashboard", "dashboard 90d", "articles", "article", "feeds", "campaigns", "campaign"]


@pytest.fixture(scope="module")
def console_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_console", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
class TestConsoleBenchmark:
    def test_every_page_gets_a_row(
        self, console_benchmark: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A tiny run asks for every page and prints its row beside the target."""
        assert console_benchmark.main(["--readers=200", "--repeat=2"]) == 0
        out = capsys.readouterr().out
        rows = [line for line in out.splitlines() if line.startswith("| ") and "p95 < " in line]
        assert [row.split("|")[1].strip() for row in rows] == PAGES
        assert "| page " in out
        dashboard = rows[0].split("|")
        assert dashboard[3].strip() == "200"
        assert "p95 < 100 ms" in rows[0]

    def test_json_has_the_figures(
        self, console_benchmark: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert console_benchmark.main(["--readers=50", "--repeat=1", "--json"]) == 0
        figures = json.loads(capsys.readouterr().out)
        assert [page["page"] for page in figures["pages"]] == PAGES
        assert figures["rows"]["subscribers"] == 50
        dashboard = figures["pages"][0]
        assert dashboard["statuses"] == {"200": 1}
        assert dashboard["p95_ms"] > 0
