"""Moving newsbot's data between databases as JSON lines (``newsbot export`` / ``import``):
SQLite to PostgreSQL is those two commands.

Each line is one row: ``{"table": "subscribers", "row": {...}}``, tables in an order where
every row comes after the rows it points to. What moves is what a newsroom would miss: the
editions, feeds and sections, the readers with their subscriptions, the campaigns and their
counts, and the articles with their publications and the URLs they are known by. What does not
move: the outbox's delivery rows and chats' pacing (history and state of sends in flight), the
editors' chat messages, console logins and sessions, and newsbot's own secrets (each database
makes its own).

Import goes into a database with no rows of these tables but the editions its migrations made
(a fresh one), in batches, in one transaction; on PostgreSQL each
table's id sequence then continues after the highest id imported.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NewsbotError
from bot.storage.db import Database
from bot.storage.models import Base, UTCDateTime

log = logging.getLogger(__name__)

#: What moves, in an order where every row's references come before it.
TABLES: Final = (
    "editions",
    "feeds",
    "removed_feeds",
    "sections",
    "subscribers",
    "subscriptions",
    "forgotten_readers",
    "campaigns",
    "invite_links",
    "channel_joins",
    "articles",
    "article_urls",
    "article_sections",
    "sends",
    "post_reactions",
)
BATCH: Final = 1000
#: The longest line import reads (a long article's post is some kilobytes).
MAX_LINE: Final = 1_000_000


class TransferError(NewsbotError):
    """An export cannot be imported: the message says which line and why."""


@dataclass
class Counted:
    """How many rows of each table moved."""

    rows: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in self.rows.items() if count)


def _table(name: str) -> Table:
    table = Base.metadata.tables[name]
    assert isinstance(table, Table)
    return table


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


async def export_lines(db: Database) -> AsyncIterator[str]:
    """Every row that moves, one JSON line each (no newline), table by table, streamed."""
    async with db.session() as session:
        for name in TABLES:
            table = _table(name)
            order = list(table.primary_key.columns)
            result = await session.stream(
                select(table).order_by(*order).execution_options(yield_per=BATCH)
            )
            async for row in result.mappings():
                yield json.dumps(
                    {"table": name, "row": {k: _jsonable(v) for k, v in row.items()}},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )


def _row(table: Table, values: Any, line: int) -> dict[str, Any]:
    """A line's row as column values for ``table``; :class:`TransferError` when it is not."""
    if not isinstance(values, dict):
        raise TransferError(f"line {line}: the row is not an object")
    row: dict[str, Any] = {}
    for key, value in values.items():
        column = table.columns.get(key)
        if column is None:
            raise TransferError(f"line {line}: {table.name} has no column {key!r}")
        if value is not None and isinstance(column.type, UTCDateTime):
            try:
                value = datetime.fromisoformat(value)
            except (TypeError, ValueError):
                raise TransferError(f"line {line}: {key} is not a time: {value!r:.40}") from None
            if value.tzinfo is None:
                raise TransferError(f"line {line}: {key} has no time zone: {value.isoformat()}")
        row[key] = value
    return row


async def _empty(session: AsyncSession) -> None:
    """Refuse a database that holds data; clear the editions a fresh one was migrated with
    (the migrations make the default one), which the export's replace."""
    for name in TABLES[1:]:
        if await session.scalar(select(func.count()).select_from(_table(name))):
            raise TransferError(
                f"the database already holds {name}: import goes into an empty database"
            )
    await session.execute(delete(_table("editions")))


async def _continue_sequences(session: AsyncSession) -> None:
    """PostgreSQL: each serial id continues after the highest imported (SQLite does so by
    itself)."""
    for name in TABLES:
        table = _table(name)
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                sequence = await session.scalar(
                    text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": name, "column": column.name},
                )
                if sequence is None:
                    continue
                await session.execute(
                    text(
                        f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name})"  # noqa: S608 - names from the models
                        f" FROM {name}), 0) + 1, false)"
                    ),
                    {"sequence": sequence},
                )


async def import_lines(db: Database, lines: Iterable[str]) -> Counted:
    """Read an export into ``db`` (migrated, with none of these tables' rows), all or
    nothing. Raises :class:`TransferError` naming the first bad line."""
    counted = Counted(dict.fromkeys(TABLES, 0))
    position = {name: index for index, name in enumerate(TABLES)}
    async with db.writing() as session:
        await _empty(session)
        pending: list[dict[str, Any]] = []
        current: str | None = None
        first_line = 0

        async def flush() -> None:
            if pending and current is not None:
                try:
                    async with session.begin_nested():
                        await session.execute(insert(_table(current)), pending)
                except StatementError as exc:  # a wrong type, a duplicate, a missing column
                    reason = str(exc.orig or exc).splitlines()[0][:200]
                    raise TransferError(
                        f"lines {first_line}-{number}: {current} refused: {reason}"
                    ) from None
                counted.rows[current] += len(pending)
                pending.clear()

        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                raise TransferError(f"line {number}: longer than {MAX_LINE:,} characters")
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TransferError(f"line {number}: not JSON ({exc.msg})") from None
            name = item.get("table") if isinstance(item, dict) else None
            if name not in position:
                raise TransferError(f"line {number}: no table newsbot imports: {name!r:.40}")
            if current is not None and position[name] < position[current]:
                raise TransferError(f"line {number}: {name} after {current}: not an export")
            if name != current:
                await flush()
                current = name
            if not pending:
                first_line = number
            pending.append(_row(_table(name), item.get("row"), number))
            if len(pending) >= BATCH:
                await flush()
        await flush()
        if db.dialect == "postgresql":
            await _continue_sequences(session)
    log.info("database imported %s", counted)
    return counted
