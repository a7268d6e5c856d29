"""The ``newsbot`` command (also ``python -m bot``).

Exit status: 0 done; 1 the work failed (a feed could not be read, a push was refused); 2 the
configuration or the command line is wrong — always with one line on stderr that says what,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from telegram.error import InvalidToken, TelegramError

from bot import __version__
from bot.cli_editions import add_editions_parser
from bot.cli_editions import cmd_editions as editions_command
from bot.cli_feeds import add_feeds_parser
from bot.cli_feeds import cmd_feeds as feeds_command
from bot.cli_sections import add_sections_parser
from bot.cli_sections import cmd_sections as sections_command
from bot.config import Settings, load_settings
from bot.errors import ConfigError, InvalidCampaignError, NewsbotError
from bot.logs import configure_logging
from bot.storage.db import Database

log = logging.getLogger("bot.cli")


class CommandError(NewsbotError):
    """A command could not do its work; the message is printed as it is, exit status ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="A publisher's RSS/Atom articles in its Telegram channel and readers' chats.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument(
        "--env-file", metavar="FILE", help="settings file (default: .env, when it exists)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="run the live bot: poll feeds, post, answer readers and editors")
    demo = sub.add_parser("demo", help="the whole system on a local sandbox, then exit")
    demo.add_argument("--quiet", action="store_true", help="print only the posts")

    preview = sub.add_parser("preview", help="print the posts a feed or article page would make")
    preview.add_argument("source", help="feed or page: an http(s) URL or a file path")
    preview.add_argument("--json", action="store_true", help="print a JSON list of posts")
    preview.add_argument("--limit", type=int, default=0, help="at most this many posts")

    push = sub.add_parser(
        "push", help="send the article at URL to its edition's channel and readers"
    )
    push.add_argument("url")
    push.add_argument(
        "--edition",
        metavar="CODE",
        help="the edition (en, hi…) it belongs to; default: the one in the page's language",
    )

    add_feeds_parser(sub)
    add_sections_parser(sub)
    add_editions_parser(sub)

    qr = sub.add_parser("qr", help="make a join QR code (PNG, SVG or PDF by FILE's suffix)")
    qr.add_argument("-o", "--output", required=True, metavar="FILE")
    qr.add_argument("--campaign", help="campaign name counted on sign-up ([A-Za-z0-9_-]{1,64})")
    qr.add_argument("--bot", metavar="USERNAME", help="bot username (default: asked from getMe)")

    stats = sub.add_parser("stats", help="readers, sign-ups per campaign, deliveries, feeds")
    stats.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``newsbot`` command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.env_file is not None and not Path(args.env_file).is_file():
            raise ConfigError("--env-file", f"{args.env_file} does not exist")
        settings = load_settings(args.env_file or (".env" if Path(".env").is_file() else None))
        configure_logging(settings.log_level, secrets=[settings.token or ""], stream=sys.stderr)
        command = COMMANDS[args.command]
        return asyncio.run(command(settings, args))
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


async def _open_database(settings: Settings) -> Database:
    """The migrated database, its editions as EDITIONS says, or a one-line error naming
    DATABASE_URL."""
    from bot.services.editions import ensure_editions

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


async def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return await run_demo(quiet=args.quiet)


async def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    from bot.preview import format_previews, preview_source

    posts = await preview_source(args.source, settings=settings)
    if args.limit > 0:
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
    from bot.feeds.fetch import Fetcher
    from bot.feeds.workers import ParserPool
    from bot.posting import channel_problem
    from bot.services.push import push_url
    from jobs.deliver import Outbox

    url = _url_argument(args.url)
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
            async with (
                Fetcher(
                    allow_private_networks=settings.allow_private_networks,
                    timeout=settings.fetch_timeout,
                ) as fetcher,
                ParserPool(workers=1) as parser,
            ):
                pushed = await push_url(
                    db,
                    fetcher,
                    url,
                    edition=args.edition,
                    parser=parser,
                    options=settings.post_options(),
                )
            # Only this article's deliveries: a running `newsbot run` sends the rest.
            # One article: at most one picture to download, through a Fetcher of its own.
            outbox = Outbox(db, allow_private_networks=settings.allow_private_networks)
            report = await outbox.drain(app.bot, article_id=pushed.article.id)
            print(
                f"Pushed {pushed.article.title!r} (article {pushed.article.id}): "
                f"{report.sent} of {pushed.deliveries} chat(s) reached"
                + "".join(f", {n} {k}" for k, n in report.counts.items() if k != "sent")
            )
            return 1 if pushed.deliveries and not report.sent else 0

        return await _with_bot(settings, push_and_deliver)
    finally:
        await db.dispose()


async def cmd_feeds(settings: Settings, args: argparse.Namespace) -> int:
    if args.feeds_command == "add":
        args.url = _url_argument(args.url)
    db = await _open_database(settings)
    try:
        return await feeds_command(settings, args, db)
    finally:
        await db.dispose()


async def cmd_sections(settings: Settings, args: argparse.Namespace) -> int:
    from bot.errors import EditionError, SectionError

    db = await _open_database(settings)
    try:
        return await sections_command(settings, args, db)
    except (SectionError, EditionError) as exc:
        raise CommandError(str(exc), 2) from None
    finally:
        await db.dispose()


async def cmd_editions(settings: Settings, args: argparse.Namespace) -> int:
    db = await _open_database(settings)
    try:
        return await editions_command(settings, args, db)
    finally:
        await db.dispose()


async def cmd_qr(settings: Settings, args: argparse.Namespace) -> int:
    from bot.qr import (
        USERNAME_PATTERN,
        format_for_path,
        join_link,
        render_qr,
        validate_campaign,
    )

    if args.campaign is not None:
        try:
            validate_campaign(args.campaign)
        except InvalidCampaignError as exc:
            raise CommandError(str(exc), 2) from None
    try:
        fmt = format_for_path(args.output)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    username: str | None = args.bot.removeprefix("@") if args.bot else None
    if username is not None and not USERNAME_PATTERN.fullmatch(username):
        raise CommandError(
            f"--bot {args.bot!r} is not a Telegram username "
            "(5-32 letters, digits and '_', starting with a letter)",
            2,
        )
    if username is None:
        if settings.token is None:
            raise CommandError(
                "give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN to ask Telegram", 2
            )

        async def ask(app: Any) -> int:
            nonlocal username
            username = app.bot.username
            return 0

        await _with_bot(settings, ask)
    assert username is not None
    link = join_link(username, args.campaign)
    data = render_qr(link, fmt)
    output = Path(args.output)
    try:
        await asyncio.to_thread(output.write_bytes, data)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror}") from None
    print(f"Wrote {output} ({fmt.upper()}, {len(data)} bytes) for {link}")
    return 0


async def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.stats import collect, format_stats

    db = await _open_database(settings)
    try:
        async with db.session() as session:
            stats = await collect(session)
    finally:
        await db.dispose()
    if args.json:
        from dataclasses import asdict

        print(json.dumps(asdict(stats), default=str, indent=2))
    else:
        print(format_stats(stats))
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "run": cmd_run,
    "demo": cmd_demo,
    "preview": cmd_preview,
    "push": cmd_push,
    "feeds": cmd_feeds,
    "sections": cmd_sections,
    "editions": cmd_editions,
    "qr": cmd_qr,
    "stats": cmd_stats,
}
