"""``newsbot stats --since`` and ``--csv``: the figures of the /stats chart, day by day, as text,
JSON and CSV for a spreadsheet; a period it cannot read is one line and exit status 2."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from bot.cli_stats import format_csv, stats_output
from bot.config import load_settings
from bot.services.stats_series import Period, collect_series
from bot.storage.db import Database
from bot.storage.models import utcnow
from tests.services.test_stats import seed_reasons
from tests.services.test_stats_series import ZONE, Seeded, seed
from tests.test_cli import newsbot

SETTINGS = load_settings(None, timezone=ZONE.key, feeds=[])


def arguments(*, csv: bool = False, json: bool = False) -> argparse.Namespace:
    return argparse.Namespace(csv=csv, json=json, since="7d")


def tables(text: str) -> list[list[list[str]]]:
    """The CSV's tables: each a list of rows, its header first."""
    rows = list(csv.reader(io.StringIO(text)))
    found: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            found[-1].append(row)
        else:
            found.append([])
    return found


def assert_csv_matches(text: str, seeded: Seeded) -> None:
    days, campaigns, reactions = tables(text)
    assert days[0] == ["date", "readers", "sign_ups", "sent", "failed"]
    assert [[int(v) for v in row[1:]] for row in days[1:]] == [
        list(numbers)
        for numbers in zip(seeded.readers, seeded.sign_ups, seeded.sent, seeded.failed, strict=True)
    ]
    assert days[-1][0] == seeded.today.isoformat()
    assert campaigns == [
        ["campaign", "sign_ups"],
        *([c.campaign or "(no campaign)", str(c.sign_ups)] for c in seeded.campaigns),
    ]
    assert reactions == [
        ["article_id", "title", "reactions"],
        *([str(seeded.article_ids[title]), title, str(n)] for title, n, _ in seeded.top),
    ]


class TestStatsOutput:
    async def test_csv_is_the_chart_s_numbers(self, db: Database) -> None:
        """--csv is one row a day (readers, sign-ups, sent, failed), then the campaigns' sign-ups,
        then the most-reacted articles: the numbers the chart is drawn from."""
        seeded = await seed(db, utcnow())
        text = await stats_output(SETTINGS, arguments(csv=True), db, Period(days=7))
        assert_csv_matches(text, seeded)
        async with db.session() as session:
            series = await collect_series(session, Period(days=7), ZONE)
        assert text == format_csv(series)

    async def test_json_keeps_the_totals_and_adds_the_period(self, db: Database) -> None:
        """--json has the totals it always had, and the period's days, campaigns and articles
        under "period"."""
        seeded = await seed(db, utcnow())
        numbers = json.loads(await stats_output(SETTINGS, arguments(json=True), db, Period(7)))
        assert numbers["subscribed"] == 3
        period = numbers["period"]
        assert [d["readers"] for d in period["days"]] == seeded.readers
        assert [d["failed"] for d in period["days"]] == seeded.failed
        assert (period["readers"], period["sign_ups"], period["sent"], period["failed"]) == (
            3,
            4,
            5,
            2,
        )
        assert [p["title"] for p in period["top_posts"]] == [t for t, _, _ in seeded.top]

    async def test_text_has_a_row_a_day(self, db: Database) -> None:
        """The text adds the period after the totals: its figures, a row a day, the campaigns
        and the most-reacted articles."""
        seeded = await seed(db, utcnow())
        text = await stats_output(SETTINGS, arguments(), db, Period(days=7))
        assert "Sign-ups per campaign:" in text  # the totals, as before
        assert "Since 7d:" in text
        assert "(Asia/Kolkata)" in text
        assert "readers 3 (+1), sign-ups 4, deliveries 5 sent, 2 failed" in text
        today = seeded.today.isoformat()
        assert any(line.split() == [today, "3", "1", "2", "0"] for line in text.splitlines())
        assert "Monsoon returns (article" in text

    async def test_failures_by_reason(self, db: Database) -> None:
        """--json and the text count the failed deliveries and the unreachable readers by
        reason, as seeded ("other": none recorded)."""
        await seed_reasons(db)
        numbers = json.loads(await stats_output(SETTINGS, arguments(json=True), db, Period(7)))
        assert numbers["failures"] == {"blocked": 3, "other": 2, "network": 1, "parse": 1}
        assert numbers["inactive_reasons"] == {"blocked": 2, "deactivated": 1, "other": 1}
        text = await stats_output(SETTINGS, arguments(), db, Period(days=7))
        assert "4 unreachable (blocked 2, deactivated 1, (others) 1)" in text
        assert "  failed: blocked 3, (others) 2, network 1, parse 1" in text.splitlines()


class TestCommand:
    def test_a_bad_period_is_one_line(self, tmp_path: Path) -> None:
        """--since 5x: one line that says how to write a period, exit status 2."""
        done = newsbot("stats", "--since", "5x", cwd=tmp_path)
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            "newsbot: --since: '5x' is not a period: write it as 7d, 30d or 24h"
        ]

    async def test_csv_from_the_shell(self, tmp_path: Path) -> None:
        """`newsbot stats --csv` prints the same CSV, read from the configured database."""
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
        await db.migrate()
        seeded = await seed(db, utcnow())
        await db.dispose()
        done = newsbot("stats", "--csv", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert_csv_matches(done.stdout, seeded)
        for since in ("30d", "24h"):
            assert newsbot("stats", "--since", since, cwd=tmp_path).returncode == 0
