"""benchmarks/poll.py at a small scale, so that the benchmark cannot rot unnoticed.

The newsbot contender runs here in the test's process, against the benchmark's own feed server
(another process), on SQLite and, when ``NEWSBOT_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import POSTGRES_URL

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "poll.py"
DATABASES = [pytest.param(None, id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param(POSTGRES_URL, id="postgresql"))


@pytest.fixture(scope="module")
def poll() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark_poll", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
class TestPollBenchmark:
    @pytest.mark.parametrize("postgres", DATABASES)
    async def test_newsbot_cycle_stores_and_enqueues_every_new_entry(
        self, poll: ModuleType, postgres: str | None
    ) -> None:
        """A cycle publishes changed × entries articles, queued to the readers and the channel."""
        options = poll.Options(
            feeds=20, changed_fraction=0.1, entries=3, readers=4, postgres=postgres
        )
        with poll.feed_server(options) as base:
            result = await poll.run_newsbot(base, options)
        assert result.problems == []
        assert result.errors == []
        assert result.changed == 2
        assert result.requests["ok"] == 2
        assert result.requests["not_modified"] == 18
        assert result.published == 6
        assert result.deliveries == 6 * (4 + 1)
        assert result.cycle_s > 0
        assert result.peak_rss_mb > 0

    def test_whole_run_prints_every_contender_and_the_targets(
        self, poll: ModuleType, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A whole run at small scale judges the targets on figures that pass their checks."""
        status = poll.main(
            ["--feeds=10", "--changed-fraction=0.2", "--entries=2", "--readers=2", "--json"]
        )
        assert status == 0
        out, err = capsys.readouterr()
        figures = json.loads(out)
        assert set(figures["contenders"]) == {"sequential", "plain", "newsbot"}
        for name, contender in figures["contenders"].items():
            assert contender["problems"] == [], name
            assert contender["requests"]["ok"] == 2, name
            assert contender["requests"]["not_modified"] == 8, name
        assert figures["contenders"]["newsbot"]["deliveries"] == 2 * 2 * (2 + 1)
        assert [t["target"] for t in figures["targets"]] == [
            "newsbot vs sequential",
            "newsbot vs plain asyncio",
            "newsbot cycle",
        ]
        assert "peak RSS MB" in err
