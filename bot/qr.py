"""Join links and printable QR codes for marketing campaigns: pure, no I/O.

Build the deep link a poster should open, then render it in the format the output file asks for::

    from bot import qr

    link = qr.join_link("@newsbot", "spring-posters")  # https://t.me/newsbot?start=spring-posters
    fmt = qr.format_for_path("poster.svg")               # "svg"
    Path("poster.svg").write_bytes(qr.render_qr(link, fmt))

Codes use error correction level Q (about 25 % of the modules may be dirty or torn), which suits
posters on walls. The same input always gives the same bytes: PDFs carry no creation date.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Final, Literal, get_args

import qrcode
import qrcode.constants
import qrcode.image.pil
import qrcode.image.svg
from PIL import Image
from telegram.helpers import create_deep_linked_url

from bot.errors import InvalidCampaignError

__all__ = [
    "CAMPAIGN_PATTERN",
    "PRINT_DPI",
    "USERNAME_PATTERN",
    "QRFormat",
    "format_for_path",
    "join_link",
    "render_qr",
    "validate_campaign",
]

CAMPAIGN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Telegram's rule for a ``/start`` payload, which is what a campaign name travels as."""

USERNAME_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
"""Telegram's rule for a username: 5-32 letters, digits and '_', starting with a letter."""

QRFormat = Literal["png", "svg", "pdf"]
_FORMATS: Final[tuple[QRFormat, ...]] = get_args(QRFormat)

PRINT_DPI: Final = 300
"""Resolution recorded in PNGs and used to size PDF pages: a 20-pixel module prints 1.7 mm."""


def validate_campaign(name: str) -> str:
    """Return ``name`` if it is a valid campaign name, else raise InvalidCampaignError."""
    # fullmatch, not match: "abc\n" must fail too. Explicit ranges never match "ü".
    if CAMPAIGN_PATTERN.fullmatch(name) is None:
        raise InvalidCampaignError(name)
    return name


def join_link(bot_username: str, campaign: str | None) -> str:
    """Return ``https://t.me/<bot>?start=<campaign>``, or ``https://t.me/<bot>`` for None.

    A leading "@" on the username is dropped. The campaign is validated first, so a bad one
    raises InvalidCampaignError rather than PTB's ValueError.
    """
    if campaign is not None:
        validate_campaign(campaign)
    return create_deep_linked_url(bot_username.removeprefix("@"), campaign)


def format_for_path(path: str | Path) -> QRFormat:
    """Return the QR format that the suffix of ``path`` asks for (case-insensitive)."""
    suffix = Path(path).suffix.lower().removeprefix(".")
    for fmt in _FORMATS:
        if suffix == fmt:
            return fmt
    allowed = ", ".join(f".{fmt}" for fmt in _FORMATS)
    raise ValueError(f"cannot tell the QR format of {str(path)!r}: use one of {allowed}")


def render_qr(data: str, fmt: QRFormat, *, box_size: int = 20, border: int = 4) -> bytes:
    """Return a QR code of ``data`` as PNG, SVG or PDF bytes.

    ``box_size`` is the size of one module (pixels for PNG/PDF; for SVG, 10 is 1 mm) and
    ``border`` the quiet zone in modules (4 is the minimum the standard asks for).
    """
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_Q,
        box_size=box_size,
        border=border,
    )
    code.add_data(data)
    code.make(fit=True)
    out = io.BytesIO()
    if fmt == "svg":
        # A standalone document, one <path>, a white background and a viewBox, so it scales.
        svg = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
        svg.save(out)
        return out.getvalue()
    if fmt not in ("png", "pdf"):
        allowed = ", ".join(_FORMATS)
        raise ValueError(f"unknown QR format {fmt!r}: use one of {allowed}")
    pil = code.make_image(image_factory=qrcode.image.pil.PilImage)
    image: Image.Image = pil.get_image()
    if fmt == "png":
        image.save(out, format="PNG", dpi=(PRINT_DPI, PRINT_DPI))
    else:
        # No creation/modification date, so that the same input gives the same bytes.
        image.save(
            out,
            format="PDF",
            resolution=float(PRINT_DPI),
            title="QR code",
            creator="newsbot",
            creationDate=None,
            modDate=None,
        )
    return out.getvalue()
