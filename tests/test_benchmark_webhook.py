"""benchmarks/webhook.py at a tiny scale, so that the benchmark cannot rot unnoticed: newsbot
runs in each mode (a process of its own, a sandbox in another) on SQLite, every reader's /start
is answered, and the table has a row per mode and the webhook/polling ratio."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "webhook.py"


@pytest.fixture(scope="module")
def webhook_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_webhook", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.e2e
class TestWebhookBenchmark:
    def test_both_modes_answer_every_reader_and_get_a_row(
        self, webhook_benchmark: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert webhook_benchmark.main(["--readers=20", "--concurrency=5", "--json"]) == 0
        out, err = capsys.readouterr()
        figures = json.loads(out)
        modes = figures["modes"]
        assert list(modes) == ["polling", "webhook"]
        for name, mode in modes.items():
            assert mode["problems"] == [], name
            assert mode["answered"] == 20, name
            assert mode["exit_code"] == 0, name
            assert 0 < mode["p50_ms"] <= mode["p99_ms"] <= mode["max_ms"], name
            assert mode["per_second"] > 0, name
            assert mode["cpu_s"] > 0, name
            assert mode["peak_rss_mb"] > 0, name
        assert modes["polling"]["webhook_delivered"] is None
        assert modes["webhook"]["webhook_delivered"] == 20 + 1  # and the warm-up reader
        assert set(figures["webhook_over_polling"]) >= {"per_second", "p50_ms", "p99_ms"}
        rows = [line.split("|")[1].strip() for line in err.splitlines() if line.startswith("| ")]
        assert rows == ["mode", "polling (baseline)", "webhook", "webhook/polling"]
        assert webhook_benchmark.TOKEN not in out + err
