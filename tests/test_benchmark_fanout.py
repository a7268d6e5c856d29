"""benchmarks/fanout.py at a tiny scale, so that the benchmark cannot rot unnoticed.

Each phase runs the real outbox in a process of its own against a sandbox in another, on
SQLite and, when ``NEWSBOT_TEST_POSTGRES_URL`` is set, on PostgreSQL (a schema per phase).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import POSTGRES_URL

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "fanout.py"
DATABASES = [pytest.param(None, id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param(POSTGRES_URL, id="postgresql"))


@pytest.fixture(scope="module")
def fanout() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_fanout", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
class TestFanoutBenchmark:
    @pytest.mark.parametrize("database", DATABASES)
    def test_every_phase_delivers_and_is_judged(
        self, fanout: ModuleType, database: str | None, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A tiny run sends every queued message of each phase and judges each target."""
        argv = ["--free-seconds=2", "--readers=40", "--fanout-readers=60", "--latency=5", "--json"]
        if database:
            argv.append(f"--database={database}")
        assert fanout.main(argv) == 0
        out, err = capsys.readouterr()
        figures = json.loads(out)
        phases = figures["phases"]
        assert list(phases) == ["free", "paid", "100k"]
        for name, phase in phases.items():
            assert phase["problems"] == [], name
            assert phase["sent"] > 0, name
            assert phase["peak_rss_mb"] > 0, name
        assert phases["paid"]["sent"] == phases["paid"]["queued"] == 40 + 1  # and the channel
        assert phases["100k"]["queued"] == 60 + 1
        judged = [(row["phase"], row["target"]) for row in figures["targets"] if row["target"]]
        assert judged == [
            ("free", "≥ 97%"),
            ("free", "0"),
            ("paid", "≥ 950/s"),
            ("paid", "0"),
            ("100k", "0"),
            ("100k", "< 200 MB"),
        ]
        assert "| phase | figure" in err

    def test_skip_100k_runs_the_two_rate_phases(
        self, fanout: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--skip-100k leaves the fan-out phase out of the run and of the table."""
        argv = ["--free-seconds=1", "--readers=10", "--latency=0", "--skip-100k"]
        assert fanout.main(argv) == 0
        out = capsys.readouterr().out
        assert "| free  |" in out
        assert "| paid  |" in out
        assert "| 100k  |" not in out
