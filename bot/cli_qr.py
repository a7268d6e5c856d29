"""``newsbot qr``: print-ready join codes, PNG, SVG or PDF by the output file's suffix.

::

    newsbot qr -o poster.pdf --campaign metro --size-mm 60 --label "संस्करण क्षेत्र"
    newsbot qr -o flyer.png --campaign metro --logo logo.png --bot revoi_bot
    newsbot qr -o join.svg --campaign metro --invite --edition hi

The code opens the bot (``https://t.me/<bot>?start=<campaign>``, counted as the campaign's
sign-ups), or with ``--invite`` the campaign's invite link to an edition's channel (``--edition``;
default: the default edition), for people who should join the channel directly: one link per
campaign and channel, made once and reused. Every format prints at the same size (see
:mod:`bot.qr`); a label adds a band under the code.

Each mistake on the command line is one line on stderr and exit status 2, checked before
Telegram is asked anything.
"""

from __future__ import annotations

import argparse
import asyncio
import math
from pathlib import Path
from typing import Any

from bot.cli_args import checked
from bot.config import Settings
from bot.errors import InvalidCampaignError

__all__ = ["add_qr_parser", "cmd_qr", "parse_dpi", "parse_size"]

#: As long as the longest invite links Telegram makes (``https://t.me/+`` and 22 characters).
_INVITE_STAND_IN = "https://t.me/+" + "A" * 22


def add_qr_parser(sub: Any) -> None:
    """Add ``qr`` to the ``newsbot`` subcommands ``sub``."""
    from bot.qr import DEFAULT_SIZE_MM, PRINT_DPI

    qr = sub.add_parser("qr", help="make a join QR code (PNG, SVG or PDF by FILE's suffix)")
    qr.add_argument("-o", "--output", required=True, metavar="FILE")
    qr.add_argument("--campaign", help="campaign name counted on sign-up ([A-Za-z0-9_-]{1,64})")
    qr.add_argument("--bot", metavar="USERNAME", help="bot username (default: asked from getMe)")
    qr.add_argument(
        "--size-mm",
        type=checked(parse_size),
        metavar="MM",
        default=str(int(DEFAULT_SIZE_MM)),
        help=f"printed width of the code, quiet zone included (default {DEFAULT_SIZE_MM:g})",
    )
    qr.add_argument(
        "--dpi",
        type=checked(parse_dpi),
        default=str(PRINT_DPI),
        help=f"the printer's resolution: modules are whole dots (default {PRINT_DPI})",
    )
    qr.add_argument("--label", metavar="TEXT", help="one line printed under the code")
    qr.add_argument(
        "--logo", metavar="FILE", help="an image in the middle (error correction H instead of Q)"
    )
    qr.add_argument(
        "--invite",
        action="store_true",
        help="encode the campaign's invite link to the edition's channel instead of the bot",
    )
    qr.add_argument(
        "--edition",
        metavar="CODE",
        help="with --invite: whose channel (default: the default edition)",
    )


def parse_size(value: str) -> float:
    """``--size-mm`` as a number of mm; ValueError with the line to print."""
    try:
        size = float(value.strip().lower().removesuffix("mm"))
    except ValueError:
        size = math.nan
    if not math.isfinite(size) or size <= 0:
        raise ValueError(f"--size-mm {value!r} is not a size in mm (a number such as 50)")
    return size


def parse_dpi(value: str) -> int:
    """``--dpi`` as a whole number in range; ValueError with the line to print."""
    from bot.qr import MAX_DPI, MIN_DPI

    try:
        dpi = int(value.strip())
    except ValueError:
        dpi = 0
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(
            f"--dpi {value!r} is not a printer resolution: give a whole number from {MIN_DPI}"
            f" to {MAX_DPI} (default 300)"
        )
    return dpi


async def _read_logo(path: str) -> bytes:
    """The bytes of the logo file at ``path``; ValueError with the line to print."""
    logo = Path(path)
    try:
        return await asyncio.to_thread(logo.read_bytes)
    except FileNotFoundError:
        raise ValueError(f"--logo {path}: there is no such file") from None
    except IsADirectoryError:
        raise ValueError(f"--logo {path}: is a folder, not an image file") from None
    except OSError as exc:
        raise ValueError(f"--logo {path}: cannot read it: {exc.strerror}") from None


async def cmd_qr(settings: Settings, args: argparse.Namespace) -> int:
    """Write the code ``args`` asks for; 2 for a mistake on the command line."""
    from bot.cli import CommandError
    from bot.qr import (
        PrintSizeError,
        Sheet,
        check_label,
        format_for_path,
        join_link,
        make_sheet,
        open_logo,
        render_sheet,
        validate_campaign,
    )

    # Everything that can be checked without Telegram is, first: a refusal asks nothing.
    try:
        if args.campaign is not None:
            try:
                validate_campaign(args.campaign)
            except InvalidCampaignError as exc:
                raise ValueError(str(exc)) from None
        elif args.invite:
            raise ValueError("--invite needs --campaign: the invite link is the campaign's")
        if args.edition is not None and not args.invite:
            raise ValueError("--edition only says whose channel --invite invites to")
        fmt = format_for_path(args.output)
        size_mm: float = args.size_mm  # checked by the parser (parse_size, parse_dpi)
        dpi: int = args.dpi
        try:
            check_label(args.label)
        except ValueError as exc:
            raise ValueError(f"--label: {exc}") from None
        logo = await _read_logo(args.logo) if args.logo is not None else None
        if logo is not None:
            try:
                open_logo(logo)
            except ValueError as exc:
                raise ValueError(f"--logo {args.logo}: {exc}") from None
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None

    def layout(data: str) -> Sheet:
        try:
            return make_sheet(data, size_mm=size_mm, dpi=dpi, label=args.label, logo=logo)
        except PrintSizeError as exc:
            hint = f" (--size-mm {exc.smallest_mm})" if exc.smallest_mm is not None else ""
            raise CommandError(f"{exc}{hint}", 2) from None
        except ValueError as exc:
            raise CommandError(str(exc), 2) from None

    if args.invite:
        # The size is checked before a link is made, on a link as long as Telegram's are.
        layout(_INVITE_STAND_IN)
        data = await _invite_link(settings, args)
    else:
        data = join_link(await _username(settings, args), args.campaign)
    sheet = layout(data)
    output = Path(args.output)
    content = await asyncio.to_thread(render_sheet, sheet, fmt)
    try:
        await asyncio.to_thread(output.write_bytes, content)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror}") from None
    width, height = sheet.size_mm
    print(
        f"Wrote {output} ({fmt.upper()}, {width:.1f} x {height:.1f} mm at {dpi} dpi,"
        f" {len(content)} bytes) for {data}"
    )
    return 0


async def _username(settings: Settings, args: argparse.Namespace) -> str:
    """The bot's username: ``--bot``, else asked from Telegram (getMe)."""
    from bot.cli import CommandError, _with_bot
    from bot.qr import USERNAME_PATTERN

    if args.bot:
        username: str = args.bot.removeprefix("@")
        if not USERNAME_PATTERN.fullmatch(username):
            raise CommandError(
                f"--bot {args.bot!r} is not a Telegram username "
                "(5-32 letters, digits and '_', starting with a letter)",
                2,
            )
        return username
    if settings.token is None:
        raise CommandError(
            "give the bot's username with --bot, or set TELEGRAM_BOT_TOKEN to ask Telegram", 2
        )
    asked: list[str] = []

    async def ask(app: Any) -> int:
        asked.append(app.bot.username)
        return 0

    await _with_bot(settings, ask)
    return asked[0]


async def _invite_link(settings: Settings, args: argparse.Namespace) -> str:
    """The campaign's invite link to the chosen edition's channel, made once and stored."""
    from telegram.error import TelegramError

    from bot.cli import CommandError, _open_database, _with_bot
    from bot.services.campaigns import invite_link_for

    configs = settings.edition_configs()
    if args.edition is not None:
        code = args.edition.strip().lower()
        configs = [c for c in configs if c.code == code]
        if not configs:
            known = ", ".join(c.code for c in settings.edition_configs())
            raise CommandError(f"there is no edition {args.edition!r}; the editions are {known}", 2)
    edition = configs[0]
    if not edition.channel:
        key = "EDITIONS" if settings.editions else "TELEGRAM_CHANNEL"
        raise CommandError(
            f"edition {edition.code} has no channel to invite to: set {key} (or drop --invite)", 2
        )
    channel = edition.channel
    settings.require_token()
    db = await _open_database(settings)
    try:
        made: list[str] = []

        async def invite(app: Any) -> int:
            try:
                invite = await invite_link_for(db, app.bot, args.campaign, channel)
            except TelegramError as exc:
                raise CommandError(f"cannot make an invite link to {channel}: {exc}") from None
            made.append(invite.url)
            return 0

        await _with_bot(settings, invite)
    finally:
        await db.dispose()
    return made[0]
