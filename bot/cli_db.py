"""``newsbot db upgrade|current`` and ``newsbot export|import``: the operator's hands on the
database.

::

    newsbot db current                 # 0011 (head)  — or "0009: 2 migrations behind (0011)"
    newsbot db upgrade                 # alembic upgrade head, under the migrations' lock
    newsbot export > newsbot.jsonl     # readers, campaigns, articles… as JSON lines
    DATABASE_URL=postgresql+asyncpg://… newsbot import newsbot.jsonl   # into an empty database

Moving from SQLite to PostgreSQL is the last two (:mod:`bot.services.transfer`). Every
failure is one line: a database that cannot be opened names DATABASE_URL (exit 2), an export
that cannot be imported names its line (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.storage.db import Database, alembic_config, head_revision

__all__ = ["add_db_parsers", "cmd_db", "cmd_export", "cmd_import"]


def add_db_parsers(sub: Any) -> None:
    """Add ``db``, ``export`` and ``import`` to the ``newsbot`` subcommands ``sub``."""
    db = sub.add_parser("db", help="the database's schema: upgrade it, or say where it is")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    actions.add_parser("upgrade", help="bring the schema to newsbot's newest migration")
    actions.add_parser("current", help="the schema's migration, and whether it is the newest")
    sub.add_parser(
        "export", help="write readers, campaigns, feeds and articles as JSON lines to stdout"
    )
    load = sub.add_parser("import", help="read an export into an empty database")
    load.add_argument("file", help="the export (JSON lines); - for stdin")


def _behind(current: str | None) -> int:
    """How many migrations ``current`` is behind the newest (all of them for none)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = [r.revision for r in script.walk_revisions()]  # newest first
    return revisions.index(current) if current in revisions else len(revisions)


def _existing(settings: Settings) -> None:
    """Refuse an SQLite file that does not exist: reading commands never make a database."""
    from bot.cli import CommandError, missing_sqlite_file

    path = missing_sqlite_file(settings.database_url)
    if path is not None:
        raise CommandError(f"configuration error: DATABASE_URL: there is no database at {path}", 2)


def _errors() -> tuple[type[Any], Any]:
    """The command line's error and its DATABASE_URL message (imported late: bot.cli imports
    this module)."""
    from bot.cli import CommandError, _database_error

    return CommandError, _database_error


async def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    _, database_error = _errors()
    if args.db_command == "current":
        _existing(settings)
    db = Database(settings.database_url)
    try:
        if args.db_command == "upgrade":
            before = await db.revision()
            await db.migrate()
            after = await db.revision()
            if before == after:
                print(f"{after}: already the newest migration")
            else:
                print(f"{before or 'empty'} -> {after}: upgraded")
            return 0
        current = await db.revision()
        head = head_revision()
        if current == head:
            print(f"{current} (head)")
            return 0
        behind = _behind(current)
        print(
            f"{current or 'empty'}: {behind} migration{'s' if behind != 1 else ''} behind"
            f" ({head}); newsbot db upgrade, or newsbot run, brings it there"
        )
        return 1
    except (SQLAlchemyError, OSError) as exc:
        raise database_error(db, exc) from None
    finally:
        await db.dispose()


async def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.transfer import export_lines

    command_error, database_error = _errors()
    _existing(settings)
    db = Database(settings.database_url)
    try:
        if await db.revision() != head_revision():
            raise command_error(
                "the database is not at newsbot's newest migration: newsbot db upgrade first", 2
            )
        count = 0
        async for line in export_lines(db):
            sys.stdout.write(line + "\n")
            count += 1
        sys.stdout.flush()
        print(f"newsbot: exported {count} rows", file=sys.stderr)
        return 0
    except (SQLAlchemyError, OSError) as exc:
        raise database_error(db, exc) from None
    finally:
        await db.dispose()


async def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.transfer import TransferError, import_lines

    command_error, database_error = _errors()
    source = sys.stdin if args.file == "-" else None
    if source is None and not Path(args.file).is_file():  # noqa: ASYNC240 - nothing else runs
        raise command_error(f"{args.file} does not exist", 2)
    db = Database(settings.database_url)
    try:
        await db.migrate()
        if source is not None:
            counted = await import_lines(db, source)
        else:
            # The command's own input, read as it is imported: nothing else runs in this loop.
            with Path(args.file).open(encoding="utf-8") as lines:  # noqa: ASYNC230
                counted = await import_lines(db, lines)
    except TransferError as exc:
        raise command_error(f"nothing was imported: {exc}") from None
    except UnicodeDecodeError:
        raise command_error(f"nothing was imported: {args.file} is not UTF-8 text") from None
    except (SQLAlchemyError, OSError) as exc:
        raise database_error(db, exc) from None
    finally:
        await db.dispose()
    print(f"newsbot: imported {counted}")
    return 0
