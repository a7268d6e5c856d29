"""Join links and print-ready QR codes for marketing campaigns: pure, no I/O.

Build the deep link a poster should open, then render it in the format the output file asks for::

    from bot import qr

    link = qr.join_link("@newsbot", "spring-posters")  # https://t.me/newsbot?start=spring-posters
    fmt = qr.format_for_path("poster.svg")               # "svg"
    data = qr.render_qr(link, fmt, size_mm=50, dpi=300, label="संस्करण क्षेत्र")
    Path("poster.svg").write_bytes(data)

**One layout, three formats.** :func:`make_sheet` lays the code out once on the printer's grid of
dots (``size_mm`` at ``dpi``, rounded to the nearest dot: 50 mm at 300 dpi is 591 dots, 50.038
mm), every module a whole number of dots, and the PNG, SVG and PDF are drawn from that one
layout: the PNG is the dots with its dpi recorded, the SVG and the PDF draw the same modules as
vectors on the same grid, their width in mm (SVG) or points (PDF). So each format prints at the
same size, and renders to the same pixels at its dpi.

**The code.** The quiet zone is four modules; the dots a whole module cannot use are added to
it, evenly. Error correction is Q (about 25 % of the modules may be dirty or torn), or H (30 %)
when a logo covers the middle. A code is refused (:class:`PrintSizeError`, naming the smallest
size that works) under 20 mm, or when a module would be under 4 printer dots.

**The label** is a band *under* the code: the code keeps the size asked for (its size is what
decides how far away it scans) and the sheet grows by the band, 16 % of the width (8 mm for a
50 mm code). The text is centred in it, one line as wide as the code at most, in a size of 9 %
of the width, smaller for a long label but never under 6 pt. It is drawn with the fonts shipped
in ``bot/fonts`` (Noto Sans; Noto Sans Devanagari for Devanagari), shaped by libraqm so that
conjuncts and matras are right, never with the fonts of the machine that prints it.

**The logo** sits in the middle on a white pad: it fits in a square of about 20 % of the code's
width (a whole, odd number of modules, so that it is centred), with one module of white around.

The same input always gives the same bytes: PDFs carry no creation date.
"""

from __future__ import annotations

import base64
import io
import math
import re
import unicodedata
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Final, Literal, get_args

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError, features
from telegram.helpers import create_deep_linked_url

from bot.errors import InvalidCampaignError, PrintSizeError

__all__ = [
    "CAMPAIGN_PATTERN",
    "DEFAULT_SIZE_MM",
    "MAX_DPI",
    "MIN_DPI",
    "MIN_MODULE_DOTS",
    "MIN_SIZE_MM",
    "NOT_AN_IMAGE",
    "PRINT_DPI",
    "QUIET_ZONE",
    "USERNAME_PATTERN",
    "PrintSizeError",
    "QRFormat",
    "Sheet",
    "check_label",
    "format_for_path",
    "join_link",
    "make_sheet",
    "open_logo",
    "render_qr",
    "render_sheet",
    "shaping_available",
    "validate_campaign",
]

CAMPAIGN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""Telegram's rule for a ``/start`` payload, which is what a campaign name travels as."""

USERNAME_PATTERN: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
"""Telegram's rule for a username: 5-32 letters, digits and '_', starting with a letter."""

QRFormat = Literal["png", "svg", "pdf"]
_FORMATS: Final[tuple[QRFormat, ...]] = get_args(QRFormat)

PRINT_DPI: Final = 300
"""The printer resolution a code is laid out for unless another is asked."""
MIN_DPI: Final = 72
MAX_DPI: Final = 2400
DEFAULT_SIZE_MM: Final = 50.0
"""The printed width of a code (its quiet zone included) unless another is asked."""
MIN_SIZE_MM: Final = 20.0
"""Smaller codes do not scan reliably from a poster or flyer, whatever the printer."""
MIN_MODULE_DOTS: Final = 4
"""A module narrower than 4 printer dots blurs into its neighbours (ink spread, dot gain)."""
QUIET_ZONE: Final = 4
"""White modules around the code, the minimum ISO/IEC 18004 asks for."""
MAX_DOTS: Final = 10_000
"""The widest sheet, in dots (1 m at 254 dpi): larger prints need no 300 dpi."""

_MM_PER_INCH: Final = 25.4
_LABEL_BAND: Final = 0.16  # of the width: the height of the band the label adds
_LABEL_EM: Final = 0.09  # of the width: the label's font size, before a long one shrinks
_MIN_LABEL_PT: Final = 6.0  # the smallest type that reads on a print
_LOGO_SHARE: Final = 0.2  # of the code's width (without its quiet zone)

NOT_AN_IMAGE: Final = "not a readable image (PNG, JPEG, GIF, WebP…)"
"""What :func:`open_logo` says of bytes that are no image."""

_FONT_LATIN: Final = "NotoSans-Regular.ttf"
_FONT_DEVANAGARI: Final = "NotoSansDevanagari-Regular.ttf"
_DEVANAGARI: Final = ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))
_JOINERS: Final = frozenset({"\u200c", "\u200d"})  # ZWNJ, ZWJ: they steer conjuncts


@dataclass(frozen=True, slots=True, eq=False)
class Sheet:
    """A code laid out on the printer's grid: every length is in printer dots.

    The code is the ``width`` x ``width`` square at the top; the label band (if any) is the rest
    of the ``height``. ``modules`` is the symbol without its quiet zone, dark modules True (the
    modules under the logo's pad are cleared); its top-left module is at (``origin``,
    ``origin``), each ``module`` dots wide. ``logo`` is the pad with the logo on it, at
    (``logo_at``, ``logo_at``).
    """

    data: str
    dpi: int
    width: int
    height: int
    module: int
    origin: int
    modules: tuple[tuple[bool, ...], ...]
    label: Image.Image | None = None
    logo: Image.Image | None = None
    logo_at: int = 0

    @property
    def size_mm(self) -> tuple[float, float]:
        """The printed width and height in mm."""
        return (self.width * _MM_PER_INCH / self.dpi, self.height * _MM_PER_INCH / self.dpi)

    @property
    def size_pt(self) -> tuple[float, float]:
        """The printed width and height in PostScript points (1/72 inch)."""
        return (self.width * 72 / self.dpi, self.height * 72 / self.dpi)


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


def shaping_available() -> bool:
    """Whether Pillow has libraqm, which Devanagari (conjuncts, matras) needs to be drawn right."""
    return bool(features.check("raqm"))


def render_qr(
    data: str,
    fmt: QRFormat,
    *,
    size_mm: float = DEFAULT_SIZE_MM,
    dpi: int = PRINT_DPI,
    label: str | None = None,
    logo: bytes | None = None,
) -> bytes:
    """Return a print-ready QR code of ``data`` as PNG, SVG or PDF bytes (see the module's
    docstring); raise PrintSizeError or ValueError, saying why, for what cannot be printed."""
    return render_sheet(make_sheet(data, size_mm=size_mm, dpi=dpi, label=label, logo=logo), fmt)


def make_sheet(
    data: str,
    *,
    size_mm: float = DEFAULT_SIZE_MM,
    dpi: int = PRINT_DPI,
    label: str | None = None,
    logo: bytes | None = None,
) -> Sheet:
    """Lay out a code of ``data``, ``size_mm`` wide at ``dpi``, with ``label`` under it and the
    image ``logo`` (PNG, JPEG… bytes) in its middle.

    Raises PrintSizeError when the size is too small for the code or its label, and ValueError
    for a dpi out of 72-2400, a sheet wider than 10,000 dots, a label of more than one line, a
    Devanagari label without libraqm, or a logo that is not a readable image.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"the dpi must be a whole number from {MIN_DPI} to {MAX_DPI}, not {dpi}")
    if not math.isfinite(size_mm) or size_mm <= 0:
        raise ValueError(f"the size must be a positive number of mm, not {size_mm}")
    text = check_label(label)
    picture = open_logo(logo) if logo is not None else None
    level = qrcode.constants.ERROR_CORRECT_H if picture else qrcode.constants.ERROR_CORRECT_Q
    symbol = _symbol(data, level)
    width = _dots(size_mm, dpi)
    if width > MAX_DOTS:
        raise ValueError(
            f"a {_number(size_mm)} mm code at {dpi} dpi would be {width} dots wide, more than"
            f" {MAX_DOTS}: print it at a lower dpi"
        )
    problem = _size_problem(len(symbol), size_mm, dpi, text)
    if problem is not None:
        raise PrintSizeError(size_mm, problem, _smallest_size(len(symbol), size_mm, dpi, text))
    module, origin = _grid(len(symbol), width)
    band = _label_band(text, width, width - 2 * origin, dpi) if text else None
    pad: Image.Image | None = None
    pad_at = 0
    if picture is not None:
        pad, first = _logo_pad(picture, len(symbol), module)
        pad_at = origin + first * module
        last = first + pad.width // module
        symbol = [
            [dark and not (first <= y < last and first <= x < last) for x, dark in enumerate(row)]
            for y, row in enumerate(symbol)
        ]
    return Sheet(
        data=data,
        dpi=dpi,
        width=width,
        height=width + (band.height if band else 0),
        module=module,
        origin=origin,
        modules=tuple(tuple(row) for row in symbol),
        label=band,
        logo=pad,
        logo_at=pad_at,
    )


def render_sheet(sheet: Sheet, fmt: QRFormat) -> bytes:
    """Return ``sheet`` as PNG, SVG or PDF bytes."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        allowed = ", ".join(_FORMATS)
        raise ValueError(f"unknown QR format {fmt!r}: use one of {allowed}")
    return renderer(sheet)


# -- layout ----------------------------------------------------------------------------------


def _number(value: float) -> str:
    """``value`` as a person writes it: 50, 37.5, 50.038."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _dots(size_mm: float, dpi: int) -> int:
    return round(size_mm / _MM_PER_INCH * dpi)


def _symbol(data: str, level: int) -> list[list[bool]]:
    """The modules of the smallest code of ``data`` at error correction ``level``."""
    code = qrcode.QRCode(error_correction=level, border=0)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(dark) for dark in row] for row in code.get_matrix()]


def _grid(symbol: int, width: int) -> tuple[int, int]:
    """The module size and the symbol's offset from the edge, in dots, of a code of ``symbol``
    modules on a ``width``-dot square: the dots left over widen the quiet zone evenly."""
    count = symbol + 2 * QUIET_ZONE
    module = width // count
    return module, QUIET_ZONE * module + (width - count * module) // 2


def _size_problem(symbol: int, size_mm: float, dpi: int, label: str | None) -> str | None:
    """What makes ``size_mm`` too small for a code of ``symbol`` modules, or None."""
    if size_mm < MIN_SIZE_MM:
        return f"is too small to scan: a code must be at least {_number(MIN_SIZE_MM)} mm"
    width = _dots(size_mm, dpi)
    module, origin = _grid(symbol, width)
    if module < MIN_MODULE_DOTS:
        dots = "1 dot" if module == 1 else f"{module} dots"
        return (
            f"is too small to scan: a module would be {dots} wide at {dpi} dpi, and needs at"
            f" least {MIN_MODULE_DOTS}"
        )
    if label and _label_size(label, width, width - 2 * origin, dpi) is None:
        return f"is too small for its label, whose letters would be under {_MIN_LABEL_PT:g} pt"
    return None


def _smallest_size(symbol: int, size_mm: float, dpi: int, label: str | None) -> int | None:
    """The smallest whole size in mm above ``size_mm`` that has no problem, or None."""
    least = max(MIN_SIZE_MM, (MIN_MODULE_DOTS * (symbol + 2 * QUIET_ZONE) - 0.5) * 25.4 / dpi)
    size = max(math.ceil(least), math.floor(size_mm) + 1 if size_mm >= MIN_SIZE_MM else 0)
    while _dots(size, dpi) <= MAX_DOTS:
        if _size_problem(symbol, size, dpi, label) is None:
            return size
        size += 1
    return None


def check_label(label: str | None) -> str | None:
    """The label as it is printed (None for none), or ValueError for one that cannot be."""
    if label is None or not label.strip():
        return None
    text = label.strip()
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in text):
        raise ValueError("a label is one line of text: no line breaks or control characters")
    if not shaping_available() and any(_is_devanagari(ch) for ch in text):
        raise ValueError(
            "cannot print a Devanagari label: this Pillow has no libraqm to shape it"
            " (it needs the libraqm or libfribidi library)"
        )
    return text


def open_logo(data: bytes) -> Image.Image:
    """The logo in ``data`` on white (transparency flattened), or ValueError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                rgba = image.convert("RGBA")
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ):
        raise ValueError(NOT_AN_IMAGE) from None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def _logo_pad(logo: Image.Image, symbol: int, module: int) -> tuple[Image.Image, int]:
    """The white pad with ``logo`` centred on it, and the module its top-left corner is on."""
    inner = max(3, 2 * round((_LOGO_SHARE * symbol - 1) / 2) + 1)  # odd: centred on the grid
    modules = inner + 2
    first = (symbol - modules) // 2
    box = inner * module
    scale = min(box / logo.width, box / logo.height)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    pad = Image.new("RGB", (modules * module, modules * module), "white")
    pad.paste(logo.resize(size, Image.Resampling.LANCZOS), _centred(pad.size, size))
    return pad, first


def _centred(outer: tuple[int, int], inner: tuple[int, int]) -> tuple[int, int]:
    return ((outer[0] - inner[0]) // 2, (outer[1] - inner[1]) // 2)


# -- the label ---------------------------------------------------------------------------------


def _is_devanagari(ch: str) -> bool:
    return any(low <= ord(ch) <= high for low, high in _DEVANAGARI)


def _script_runs(text: str) -> list[tuple[str, str]]:
    """``text`` as (font file, run) pairs: Devanagari in Noto Sans Devanagari, the rest in Noto
    Sans; marks, joiners and spaces stay with the run before them, so a cluster is never split."""
    runs: list[tuple[str, str]] = []
    for ch in text:
        if _is_devanagari(ch):
            font = _FONT_DEVANAGARI
        elif runs and (ch in _JOINERS or ch.isspace() or unicodedata.category(ch).startswith("M")):
            font = runs[-1][0]
        else:
            font = _FONT_LATIN
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


@cache
def _font_bytes(name: str) -> bytes:
    return files("bot").joinpath("fonts", name).read_bytes()


@lru_cache(maxsize=32)  # a few sizes per label; finding the smallest size tries many
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if shaping_available() else ImageFont.Layout.BASIC
    return ImageFont.truetype(io.BytesIO(_font_bytes(name)), size, layout_engine=engine)


def _text_width(runs: Sequence[tuple[str, str]], size: int) -> float:
    return sum(_font(font, size).getlength(run) for font, run in runs)


def _label_size(text: str, width: int, room: int, dpi: int) -> int | None:
    """The font size in dots ``text`` is printed at under a ``width``-dot code, so that it is at
    most ``room`` dots wide; None when that would be under the smallest legible size."""
    runs = _script_runs(text)
    size = max(1, round(width * _LABEL_EM))
    measured = _text_width(runs, size)
    if measured > room:
        size = math.floor(size * room / measured)
        while size > 0 and _text_width(runs, size) > room:
            size -= 1
    return size if size >= _MIN_LABEL_PT / 72 * dpi else None


def _label_band(text: str, width: int, room: int, dpi: int) -> Image.Image:
    """The band under a ``width``-dot code with ``text`` centred in it (greyscale, antialiased)."""
    size = _label_size(text, width, room, dpi)
    assert size is not None  # _size_problem said it fits
    band = Image.new("L", (width, round(width * _LABEL_BAND)), 255)
    draw = ImageDraw.Draw(band)
    runs = _script_runs(text)
    metrics = [_font(font, size).getmetrics() for font, _ in runs]
    ascent = max(a for a, _ in metrics)
    descent = max(d for _, d in metrics)
    baseline = (band.height - ascent - descent) / 2 + ascent
    x = (width - _text_width(runs, size)) / 2
    for font, run in runs:
        face = _font(font, size)
        draw.text((x, baseline), run, font=face, fill=0, anchor="ls")
        x += face.getlength(run)
    return band


# -- formats -----------------------------------------------------------------------------------


def _dark_runs(sheet: Sheet) -> Iterator[tuple[int, int, int]]:
    """Each horizontal run of dark modules as (x, y, width) in dots."""
    m = sheet.module
    for row, line in enumerate(sheet.modules):
        col = 0
        while col < len(line):
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            yield sheet.origin + start * m, sheet.origin + row * m, (col - start) * m


def _raster(sheet: Sheet) -> Image.Image:
    """``sheet`` as an image of its dots: greyscale, or RGB with a logo."""
    image = Image.new("RGB" if sheet.logo else "L", (sheet.width, sheet.height), "white")
    draw = ImageDraw.Draw(image)
    for x, y, w in _dark_runs(sheet):
        draw.rectangle((x, y, x + w - 1, y + sheet.module - 1), fill="black")
    if sheet.label is not None:
        image.paste(sheet.label, (0, sheet.width))
    if sheet.logo is not None:
        image.paste(sheet.logo, (sheet.logo_at, sheet.logo_at))
    return image


def _png(image: Image.Image, dpi: int | None = None) -> bytes:
    out = io.BytesIO()
    if dpi is None:
        image.save(out, format="PNG")
    else:
        image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def _png_sheet(sheet: Sheet) -> bytes:
    """``sheet`` as a PNG of its dots that records its dpi, so it prints at its size."""
    return _png(_raster(sheet), sheet.dpi)


def _svg(sheet: Sheet) -> bytes:
    """``sheet`` as a standalone SVG: the modules as one path in a viewBox of dots, its size in
    mm (to a millionth, so that drawn at its dpi a dot is a pixel).

    The label (and the logo) are embedded as PNG images of exactly their size, drawn at the
    sheet's dpi. SVG <text> would be drawn with whatever fonts and shaping engine the printer's
    software has, so the Devanagari could come out wrong or in another font; embedded fonts
    (@font-face) are ignored by many print tools, and glyph outlines as paths would need a
    shaping engine of our own. An image of the band is what the PNG has, pixel for pixel.
    """
    m = sheet.module
    path = "".join(f"M{x} {y}h{w}v{m}h-{w}z" for x, y, w in _dark_runs(sheet))
    width_mm, height_mm = sheet.size_mm
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' version="1.1" width="{_pt(width_mm)}mm" height="{_pt(height_mm)}mm"'
        f' viewBox="0 0 {sheet.width} {sheet.height}">\n',
        f'<rect width="{sheet.width}" height="{sheet.height}" fill="#ffffff"/>\n',
        f'<path d="{path}" fill="#000000" shape-rendering="crispEdges"/>\n',
    ]
    images = []
    if sheet.label is not None:
        images.append((0, sheet.width, sheet.label))
    if sheet.logo is not None:
        images.append((sheet.logo_at, sheet.logo_at, sheet.logo))
    for x, y, image in images:
        data = base64.b64encode(_png(image)).decode("ascii")
        parts.append(
            f'<image x="{x}" y="{y}" width="{image.width}" height="{image.height}"'
            f' preserveAspectRatio="none" xlink:href="data:image/png;base64,{data}"/>\n'
        )
    parts.append("</svg>\n")
    return "".join(parts).encode("utf-8")


def _pdf(sheet: Sheet) -> bytes:
    """``sheet`` as a one-page PDF: the page is the sheet's size in points, the modules are
    vector rectangles on its grid of dots, the label and logo lossless (Flate) images of their
    dots. Written here, not by Pillow, whose PDFs are one JPEG-compressed picture."""
    width_pt, height_pt = sheet.size_pt
    scale = 72 / sheet.dpi
    # User space in dots, y downwards (as in the PNG): one transformation, then whole numbers.
    content = [f"q {_pt(scale)} 0 0 {_pt(-scale)} 0 {_pt(height_pt)} cm", "0 g"]
    content += [f"{x} {y} {w} {sheet.module} re" for x, y, w in _dark_runs(sheet)]
    content.append("f")
    images: list[tuple[str, int, int, Image.Image]] = []
    if sheet.label is not None:
        images.append(("Label", 0, sheet.width, sheet.label))
    if sheet.logo is not None:
        images.append(("Logo", sheet.logo_at, sheet.logo_at, sheet.logo))
    for name, x, y, image in images:
        content.append(
            f"q {image.width} 0 0 {-image.height} {x} {y + image.height} cm /{name} Do Q"
        )
    content.append("Q")
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"",  # the page, once its images have numbers
        _stream(b"", zlib.compress("\n".join(content).encode("ascii"), 9)),
        b"<< /Title (QR code) /Creator (newsbot) /Producer (newsbot) >>",
    ]
    names = []
    for name, _x, _y, image in images:
        space = "DeviceRGB" if image.mode == "RGB" else "DeviceGray"
        info = (
            f"/Type /XObject /Subtype /Image /Width {image.width} /Height {image.height}"
            f" /ColorSpace /{space} /BitsPerComponent 8"
        )
        objects.append(_stream(info.encode("ascii"), zlib.compress(image.tobytes(), 9)))
        names.append(f"/{name} {len(objects)} 0 R")
    objects[2] = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_pt(width_pt)} {_pt(height_pt)}]"
        f" /Resources << /XObject << {' '.join(names)} >> >> /Contents 4 0 R >>"
    ).encode("ascii")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _pt(value: float) -> str:
    """A PDF (or SVG) number: at most 6 decimals, no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _stream(info: bytes, data: bytes) -> bytes:
    """A Flate-compressed stream object with ``info`` in its dictionary."""
    head = (
        b"<< " + (info + b" " if info else b"") + b"/Filter /FlateDecode /Length %d >>" % len(data)
    )
    return head + b"\nstream\n" + data + b"\nendstream"


_RENDERERS: Final[dict[str, Callable[[Sheet], bytes]]] = {
    "png": _png_sheet,
    "svg": _svg,
    "pdf": _pdf,
}
