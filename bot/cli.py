"""The ``newsbot`` command (also ``python -m bot``).

Exit status: 0 done; 1 the work failed (a feed could not be read, a push was refused); 2 the
configuration or the command line is wrong — always with one line on stderr that says what,
never a traceback; 141 (as for SIGPIPE) when the reader of stdout went away (``| head``).

A one-shot command (``preview``, ``push``, ``feeds``, ``stats``…) reports its own outcome, so
its logs go to the terminal at ERROR unless LOG_LEVEL is set (in the environment or ``.env``):
the services it runs log their failures at WARNING for ``newsbot run``'s log, and on a
terminal that would say the same thing twice. ``run`` and ``console`` log at LOG_LEVEL.

Commands that only read or change what is stored (``stats``, ``feeds list``, ``sections
remove``…) refuse an SQLite file that does not exist rather than make an empty one; ``demo``
reads no ``.env`` (it configures itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, TelegramError

from bot import __version__
from bot.cli_args import Parser, whole_number
from bot.cli_db import add_db_parsers, cmd_db, cmd_export, cmd_import
from bot.cli_editions import add_editions_parser
from bot.cli_editions import cmd_editions as editions_command
from bot.cli_feeds import add_feeds_parser
from bot.cli_feeds import cmd_feeds as feeds_command
from bot.cli_qr import add_qr_parser
from bot.cli_qr import cmd_qr as qr_command
from bot.cli_sections import add_sections_parser
from bot.cli_sections import cmd_sections as sections_command
from bot.cli_stats import add_stats_parser
from bot.config import Settings, load_settings
from bot.errors import ConfigError, NewsbotError
from bot.logs import configure_logging
from bot.storage.db import Database

log = logging.getLogger("bot.cli")


class CommandError(NewsbotError):
    """A command could not do its work; the message is printed as it is, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="newsbot",
        description="A publisher's RSS/Atom articles in its Telegram channel and readers' chats.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument(
        "--env-file", metavar="FILE", help="settings file (default: .env, when it exists)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the live bot: poll feeds, post, answer readers and editors")
    sub.add_parser(
        "console", help="serve the web console alone on CONSOLE_BIND (beside `newsbot run`)"
    )
    demo = sub.add_parser("demo", help="the whole system on a local sandbox, then exit")
    demo.add_argument("--quiet", action="store_true", help="print only the posts")

    preview = sub.add_parser("preview", help="print the posts a feed or article page would make")
    preview.add_argument("source", help="feed or page: an http(s) URL or a file path")
    preview.add_argument("--json", action="store_true", help="print a JSON list of posts")
    preview.add_argument(
        "--limit", type=whole_number("--limit"), metavar="N", help="at most this many posts"
    )

    push = sub.add_parser(
        "push", help="send the article at URL to its edition's channel and readers"
    )
    push.add_argument("url")
    push.add_argument(
        "--edition",
        metavar="CODE",
        help="the edition (en, hi…) it belongs to; default: the one in the page's language",
    )
    push.add_argument(
        "--at",
        metavar="HH:MM",
        help="publish it then (TIMEZONE; today, or tomorrow once passed): `newsbot run` does",
    )

    add_feeds_parser(sub)
    add_sections_parser(sub)
    add_editions_parser(sub)

    add_qr_parser(sub)

    add_stats_parser(sub)
    add_db_parsers(sub)
    return parser


#: Commands that keep running and log as LOG_LEVEL says; the others are one-shot.
LONG_RUNNING = frozenset({"run", "console"})


def _warn(message: str) -> None:
    print(f"newsbot: {message}", file=sys.stderr)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null once its reader went away, as Python's documentation advises
    for SIGPIPE: the interpreter's last flush then has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (stdout replaced in-process)
        pass


def _settings(args: argparse.Namespace) -> Settings:
    """The settings (``--env-file``, else ``.env`` when there is one), logging configured: a
    one-shot command logs at ERROR on the terminal unless LOG_LEVEL is set."""
    if args.env_file is not None and not Path(args.env_file).is_file():
        raise ConfigError("--env-file", f"{args.env_file} does not exist")
    env_file = args.env_file or (".env" if Path(".env").is_file() else None)
    settings = load_settings(env_file, warn=_warn)
    level = settings.log_level
    if args.command not in LONG_RUNNING and "log_level" not in settings.model_fields_set:
        level = "ERROR"
    secrets = [settings.token or ""]
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    configure_logging(level, secrets=secrets, stream=sys.stderr, fmt=settings.log_format)
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``newsbot`` command; return its exit status."""
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version, or one line saying what is wrong
            sys.stdout.flush()
            return exc.code if isinstance(exc.code, int) else 2
        if args.command == "demo":
            # The demo configures itself on its own sandbox: a half-filled .env is no concern.
            status = asyncio.run(cmd_demo(args))
        else:
            status = asyncio.run(COMMANDS[args.command](_settings(args), args))
        sys.stdout.flush()  # a closed pipe fails here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except ConfigError as exc:
        print(f"newsbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except CommandError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return exc.code
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _database_error(db: Database, exc: Exception) -> CommandError:
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return CommandError(
        f"configuration error: DATABASE_URL: cannot open {db.describe()}: {reason}", 2
    )


def missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file ``database_url`` names, when it does not exist; else ``None`` (it
    exists, is in memory or a ``file:`` URI, or the database is not SQLite)."""
    url = make_url(database_url)
    name = url.database or ""
    if not url.drivername.startswith("sqlite") or name in ("", ":memory:"):
        return None
    if name.startswith("file:") or url.query.get("uri"):
        return None
    path = Path(name).expanduser()
    return None if path.exists() else path.absolute()


async def _open_database(settings: Settings, *, existing: bool = False) -> Database:
    """The migrated database, its editions as EDITIONS says, or a one-line error naming
    DATABASE_URL. With ``existing`` (a command that reads or changes only what is stored), an
    SQLite file that does not exist is that error too, rather than a new empty database."""
    from bot.services.editions import ensure_editions

    if existing and (path := missing_sqlite_file(settings.database_url)) is not None:
        raise CommandError(
            f"configuration error: DATABASE_URL: there is no database at {path}"
            " (newsbot run makes it)",
            2,
        )
    db = Database(settings.database_url)
    try:
        await db.migrate()
        async with db.session() as session, session.begin():
            # Settings that name editions or a channel make them so, as `newsbot run` does; a
            # shell that names none (not the bot's settings) only adds what is missing, and
            # never leaves the editions without their channels.
            named = bool(settings.editions or settings.telegram_channel)
            await ensure_editions(session, settings.edition_configs(), authoritative=named)
    except (SQLAlchemyError, OSError) as exc:
        await db.dispose()
        raise _database_error(db, exc) from None
    return db


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import Newsbot

    settings.require_token()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    newsbot = Newsbot(settings)
    try:
        try:
            await newsbot.start()  # migrates first: database errors surface here
        except (SQLAlchemyError, OSError) as exc:
            raise _database_error(newsbot.db, exc) from None
        except TelegramError as exc:
            raise _telegram_error(settings, exc) from None
        await stop.wait()
    finally:
        await newsbot.stop()
    return 0


async def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    """The console alone, for a second process on the bot's database: what it queues, the
    bot process sends (its outbox sweeps the database)."""
    from bot.console.app import console_app
    from bot.console.server import ConsoleServer
    from bot.console.web import ConsoleState
    from bot.core import Core

    address = settings.console_address
    if address is None:
        raise CommandError("configuration error: CONSOLE_BIND is empty: nothing to serve", 2)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    core = Core(settings)
    server: ConsoleServer | None = None
    try:
        try:
            await core.open()
        except (SQLAlchemyError, OSError) as exc:
            raise _database_error(core.db, exc) from None
        console = ConsoleState(core)
        server = ConsoleServer(console_app(console))
        await server.start(*address)
        console.served_at = (address[0], server.port)
        print(f"newsbot: the console is at {console.base_url}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        if server is not None:
            await server.stop()
        await core.aclose()
    return 0


def _telegram_error(settings: Settings, exc: TelegramError) -> CommandError:
    """The one line a Telegram failure at start-up is reported as."""
    if isinstance(exc, InvalidToken):
        # PTB raises InvalidToken for 401 and for 404, and a 404 is also what a server that
        # is not a Bot API server answers, so both causes are named.
        return CommandError(
            "configuration error: TELEGRAM_BOT_TOKEN: the Bot API rejected the token "
            f"(or TELEGRAM_API_URL={settings.telegram_api_url} is not a Bot API server)",
            2,
        )
    return CommandError(f"cannot reach the Bot API at {settings.telegram_api_url}: {exc}")


async def cmd_demo(args: argparse.Namespace) -> int:
    """The demo, on settings of its own (not the environment's nor ``.env``'s)."""
    from bot.demo import run_demo

    return await run_demo(quiet=args.quiet)


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.preview import format_previews, preview_source

    posts = await preview_source(args.source, settings=settings)
    if args.limit is not None:
        posts = posts[: args.limit]
    if args.json:
        print(json.dumps([post.as_dict() for post in posts], ensure_ascii=False, indent=2))
    else:
        print(format_previews(posts))
    return 0


async def _with_bot(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from bot.app import build_application

    app = build_application(settings)
    try:
        async with app:
            return await work(app)
    except TelegramError as exc:
        raise _telegram_error(settings, exc) from None


def _url_argument(url: str) -> str:
    """``url`` if it is an http(s) URL; else the command line is wrong (exit status 2)."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise CommandError(f"{url!r} is not an http(s) URL", 2)
    return url


async def cmd_push(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_push import TimeOfDayError, next_time, push_later, push_now
    from bot.posting import channel_problem
    from bot.storage.models import utcnow

    url = _url_argument(args.url)
    at = None
    if args.at is not None:
        try:
            at = next_time(args.at, settings.zone, utcnow())
        except TimeOfDayError as exc:
            raise CommandError(f"--at: {exc}", 2) from None
    settings.require_token()
    configs = settings.edition_configs()
    if args.edition is not None:
        configs = [c for c in configs if c.code == args.edition.strip().lower()]
        if not configs:
            known = ", ".join(c.code for c in settings.edition_configs())
            raise CommandError(f"there is no edition {args.edition!r}; the editions are {known}", 2)
    db = await _open_database(settings)
    try:

        async def push_and_deliver(app: Any) -> int:
            # The bot is greeted and the channels checked first: a rejected token or a channel
            # the bot may not post to stops here, before the article is stored as published.
            for config in configs:
                if config.channel and (problem := await channel_problem(app.bot, config.channel)):
                    key = "EDITIONS" if settings.editions else "TELEGRAM_CHANNEL"
                    raise CommandError(
                        f"configuration error: {key}: cannot post to {config.channel}: {problem}",
                        2,
                    )
            if at is not None:
                return await push_later(db, settings, url, edition=args.edition, at=at)
            return await push_now(app.bot, db, settings, url, edition=args.edition)

        return await _with_bot(settings, push_and_deliver)
    finally:
        await db.dispose()


async def cmd_feeds(settings: Settings, args: argparse.Namespace) -> int:
    if args.feeds_command == "add":
        args.url = _url_argument(args.url)
    db = await _open_database(settings, existing=args.feeds_command not in {"add", "import"})
    try:
        return await feeds_command(settings, args, db)
    finally:
        await db.dispose()


async def cmd_sections(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import EditionError, SectionError

    db = await _open_database(settings, existing=args.sections_command != "add")
    try:
        return await sections_command(settings, args, db)
    except (SectionError, EditionError) as exc:
        raise CommandError(str(exc), 2) from None
    finally:
        await db.dispose()


async def cmd_editions(settings: Settings, args: argparse.Namespace) -> int:
    db = await _open_database(settings, existing=True)
    try:
        return await editions_command(settings, args, db)
    finally:
        await db.dispose()


async def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_stats import stats_output

    db = await _open_database(settings, existing=True)
    try:
        output = await stats_output(settings, args, db, args.since)
    finally:
        await db.dispose()
    print(output, end="")
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": cmd_run,
    "console": cmd_console,
    "preview": cmd_preview,
    "push": cmd_push,
    "feeds": cmd_feeds,
    "sections": cmd_sections,
    "editions": cmd_editions,
    "qr": qr_command,
    "stats": cmd_stats,
    "db": cmd_db,
    "export": cmd_export,
    "import": cmd_import,
}
