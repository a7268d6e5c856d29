"""``newsbot feeds …``: add (with discovery), list, remove, pause, resume, set, import, export.

Building the text (:func:`format_feeds`, :func:`format_import`) is apart from printing it, so
tests read the same table an operator does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.editorial import Rules
from bot.errors import FeedSettingError, ParseError, TemplateError
from bot.links import redact_url
from bot.storage.db import Database
from bot.storage.models import Feed, utcnow

__all__ = ["add_feeds_parser", "cmd_feeds", "format_feeds", "format_import", "format_rules"]


def _on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"on", "true", "yes", "1"}:
        return True
    if lowered in {"off", "false", "no", "0"}:
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, not {value!r}")


def _interval(value: str) -> int | None:
    from bot.services.feeds import MAX_INTERVAL, MIN_INTERVAL

    if value.strip().lower() == "default":
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        seconds = 0
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise argparse.ArgumentTypeError(
            f"--interval must be a whole number of seconds from {MIN_INTERVAL} to"
            f" {MAX_INTERVAL}, or 'default'"
        )
    return seconds


def add_feeds_parser(sub: Any) -> None:
    """Add ``feeds`` and its actions to the ``newsbot`` subcommands ``sub``."""
    feeds = sub.add_parser("feeds", help="manage feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", help="add a feed (or a site's page: its feed is found); what it holds is seen"
    )
    add.add_argument("url")
    add.add_argument(
        "--edition", metavar="CODE", help="the edition (en, hi…) it feeds; default: the first"
    )
    actions.add_parser("list", help="list feeds with their edition, schedule and health")
    for name, text in (("remove", "remove"), ("pause", "stop polling"), ("resume", "poll again")):
        action = actions.add_parser(name, help=f"{text} a feed (by its id or its URL)")
        action.add_argument("feed", metavar="ID|URL")
    configure = actions.add_parser("set", help="set a feed's own options")
    configure.add_argument("feed", metavar="ID|URL")
    configure.add_argument(
        "--interval",
        type=_interval,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="seconds between two polls of this feed (60-86400), or 'default' for POLL_INTERVAL",
    )
    configure.add_argument(
        "--edition", metavar="CODE", help="move the feed to this edition (its new articles)"
    )
    configure.add_argument(
        "--full-text",
        type=_on_off,
        metavar="on|off",
        help="read each new article's page for its text (for feeds that hold only a line)",
    )
    configure.add_argument(
        "--include",
        metavar="WORDS",
        help="publish only articles with one of these comma-separated words or phrases "
        "(headline, summary, categories; whole words, any case); '' for no such rule",
    )
    configure.add_argument(
        "--exclude",
        metavar="WORDS",
        help="never publish articles with one of these comma-separated words or phrases "
        "(e.g. 'sponsored,advertorial'); '' for no such rule",
    )
    configure.add_argument(
        "--approve",
        type=_on_off,
        metavar="on|off",
        help="each new article waits for an editor's Publish or Skip",
    )
    template = configure.add_mutually_exclusive_group()
    template.add_argument(
        "--template",
        metavar="FILE",
        help="this feed's post template (Jinja2; '-': read it from stdin; '': POST_TEMPLATE again)",
    )
    template.add_argument(
        "--no-template",
        action="store_true",
        help="use POST_TEMPLATE (else newsbot's layout) for this feed again",
    )
    importing = actions.add_parser("import", help="add the feeds of an OPML file")
    importing.add_argument("file", metavar="FILE.opml")
    actions.add_parser("export", help="print every feed as OPML (newsbot feeds export > f.opml)")


async def cmd_feeds(settings: Settings, args: argparse.Namespace, db: Database) -> int:
    """Run one ``newsbot feeds`` action on the migrated database ``db``."""
    from bot.feeds.fetch import Fetcher
    from bot.feeds.opml import parse_opml, render_opml
    from bot.feeds.workers import ParserPool
    from bot.services import feeds
    from bot.services.editions import load_editions

    action = args.feeds_command
    if action == "add":
        async with (
            Fetcher(
                allow_private_networks=settings.allow_private_networks,
                timeout=settings.fetch_timeout,
            ) as fetcher,
            ParserPool(workers=1) as parser,
        ):
            added = await feeds.add_feed(db, fetcher, args.url, parser=parser, edition=args.edition)
        if added.discovered_from:
            page = redact_url(added.discovered_from)
            print(f"Found the feed {redact_url(added.feed.url)} on {page}")
        async with db.session() as session:
            edition = (await load_editions(session)).by_id.get(added.feed.edition_id or 0)
        print(
            f"Added feed {added.feed.id} to edition {edition.code if edition else '?'}: "
            f"{added.feed.title or added.feed.url} "
            f"({added.seen} existing article(s) marked seen; new ones will be posted)"
        )
        return 0
    if action == "import":
        path = Path(args.file)
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise ParseError(str(path), exc.strerror or "cannot read the file") from None
        entries = parse_opml(content, source=str(path))
        async with db.writing() as session:
            imported = await feeds.import_feeds(session, entries)
        print(format_import(imported))
        return 0
    if action == "export":
        async with db.session() as session:
            listed = await feeds.export_feeds(session)
        sys.stdout.buffer.write(render_opml(listed, title="newsbot feeds"))
        sys.stdout.flush()
        return 0
    async with db.writing() as session:
        if action == "list":
            editions = await load_editions(session)
            codes = {edition.id: edition.code for edition in editions.all}
            feed_rows = await feeds.list_feeds(session)
            print(format_feeds(feed_rows, now=utcnow(), editions=codes))
        elif action == "remove":
            feed = await feeds.remove_feed(session, args.feed)
            print(f"Removed feed {feed.id}: {redact_url(feed.url)} (FEEDS will not add it again)")
        elif action == "set":
            interval = getattr(args, "interval", ...)
            template = await read_template(args.template)
            clear = args.no_template or args.template == ""
            nothing = interval is ... and args.full_text is None and args.edition is None
            rules = (args.include, args.exclude, args.approve)
            if nothing and template is None and not clear and rules == (None, None, None):
                raise FeedSettingError(
                    "nothing to set: give --interval, --full-text, --template, --edition, "
                    "--include, --exclude and/or --approve"
                )
            try:
                feed = await feeds.configure_feed(
                    session,
                    args.feed,
                    interval=interval if isinstance(interval, int) else None,
                    default_interval=interval is None,
                    full_text=args.full_text,
                    template=template,
                    clear_template=clear,
                    edition=args.edition,
                    include=args.include,
                    exclude=args.exclude,
                    approve=args.approve,
                )
            except TemplateError as exc:
                raise TemplateError(f"template {args.template} refused: {exc}") from None
            every = f"every {feed.interval} s" if feed.interval else "every POLL_INTERVAL"
            text = "on" if feed.full_text else "off"
            layout = "its own" if feed.template else "POST_TEMPLATE's (or newsbot's)"
            edition = (await load_editions(session)).by_id.get(feed.edition_id or 0)
            print(
                f"Feed {feed.id}: edition {edition.code if edition else '?'}, polled {every}, "
                f"full text {text}, template {layout}, approval {'on' if feed.approve else 'off'}"
                f", {format_rules(feed) or 'no rules'}"
            )
        else:
            active = action == "resume"
            feed = await feeds.set_active(session, args.feed, active)
            print(f"{'Resumed' if active else 'Paused'} feed {feed.id}: {redact_url(feed.url)}")
    return 0


async def read_template(argument: str | None) -> str | None:
    """The template ``--template`` names: a file's text, stdin's for ``-``; None for no
    template given or ``""`` (which clears it)."""
    if not argument:
        return None
    try:
        if argument == "-":
            return await asyncio.to_thread(sys.stdin.read)
        return await asyncio.to_thread(Path(argument).read_text, encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{argument}: is not UTF-8 text") from None
    except OSError as exc:
        raise TemplateError(f"{argument}: cannot be read ({exc.strerror})") from None


def _ago(moment: datetime | None, now: datetime) -> str:
    """``moment`` relative to ``now``: "3 min ago", "in 2 h", "never"."""
    if moment is None:
        return "never"
    delta = moment - now
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        amount = f"{int(seconds)} s"
    elif seconds < 3600:
        amount = f"{int(seconds // 60)} min"
    elif seconds < 86400 * 2:
        amount = f"{seconds / 3600:.0f} h"
    else:
        amount = f"{seconds / 86400:.0f} days"
    return f"in {amount}" if delta > timedelta(0) else f"{amount} ago"


def _state(feed: Feed) -> str:
    if feed.active:
        return "active"
    return "paused!" if feed.paused_reason == "failures" else "paused"


def format_feeds(
    rows: Sequence[tuple[Feed, int]], *, now: datetime, editions: dict[int, str] | None = None
) -> str:
    """The feed table ``newsbot feeds list`` prints: edition (``editions``: code by id), title,
    last success, last error (kind and message), next check, articles seen."""
    if not rows:
        return "No feeds yet. Add one with: newsbot feeds add URL"
    editions = editions or {}
    lines = [
        f"{'ID':>4}  {'ED.':<5}  {'STATE':<7}  {'ARTICLES':>8}  {'LAST SUCCESS':<12}  "
        f"{'NEXT CHECK':<12}  {'FAILURES':>8}  TITLE / URL"
    ]
    for feed, count in rows:
        next_check = _ago(feed.next_poll_at, now) if feed.active else "-"
        if feed.active and feed.next_poll_at is None:
            next_check = "now"
        edition = editions.get(feed.edition_id or 0, "-")
        lines.append(
            f"{feed.id:>4}  {edition:<5}  {_state(feed):<7}  {count:>8}  "
            f"{_ago(feed.last_success_at, now):<12}  {next_check:<12}  {feed.error_count:>8}  "
            f"{feed.title or '(no title yet)'}"
        )
        options = []
        if feed.interval:
            options.append(f"every {feed.interval} s")
        if feed.full_text:
            options.append("full text")
        if feed.template:
            options.append("own template")
        if feed.approve:
            options.append("approval")
        if rules := format_rules(feed, limit=60):
            options.append(rules)
        suffix = f"  [{', '.join(options)}]" if options else ""
        lines.append(f"{'':>6}{redact_url(feed.url)}{suffix}")
        if feed.last_error:
            when = _ago(feed.last_error_at, now)
            lines.append(
                f"{'':>6}last error ({feed.last_error_kind or 'unknown'}, {when}): "
                f"{feed.last_error}"
            )
        if feed.paused_reason == "failures":
            lines.append(
                f"{'':>6}paused after {feed.error_count} failures in a row; "
                f"newsbot feeds resume {feed.id}"
            )
    return "\n".join(lines)


def format_rules(feed: Feed, *, limit: int = 400) -> str:
    """A feed's editorial rules in a few words (``include: a, b; exclude: c``), each list cut
    to ``limit`` characters; "" for none."""
    rules = Rules.stored(feed.include_words, feed.exclude_words)
    if rules is None:
        return ""
    parts = []
    for name, phrases in (("include", rules.include), ("exclude", rules.exclude)):
        if phrases:
            listed = ", ".join(phrases)
            parts.append(f"{name}: {listed if len(listed) <= limit else listed[:limit] + '…'}")
    return "; ".join(parts)


def format_import(imported: Any) -> str:
    """What ``newsbot feeds import`` prints: each feed added, each URL skipped and why."""
    lines = [f"Added {len(imported.added)} feed(s), skipped {len(imported.skipped)}."]
    lines += [f"  added   {redact_url(feed.url)}  {feed.title}".rstrip() for feed in imported.added]
    lines += [f"  skipped {url}: {why}" for url, why in imported.skipped]
    if imported.added:
        lines.append("Each is read on its next poll; what it holds then is marked seen.")
    return "\n".join(lines)
