"""Tests for bot.qr: campaign names, join links, formats, print sizes, labels, logos, and codes
that real decoders read.

Every format is read back by real software: PNGs are decoded with zxing-cpp; SVGs are drawn by
resvg (a self-contained wheel, no system library) and PDFs by PDFium (pypdfium2), each at the
sheet's own dpi, and then decoded with zxing-cpp as well.

The pictures the label tests make are kept in a folder a person can open: its path is printed
(``pytest -s``, or ``-rA``), and ``NEWSBOT_QR_SAMPLES=DIR`` puts them in DIR instead.
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pypdfium2
import pytest
import resvg_py
import zxingcpp
from PIL import Image, ImageChops, ImageStat

from bot import qr
from bot.errors import InvalidCampaignError

LINK = "https://t.me/newsbot?start=spring-posters_2025"
SVG_NS = "{http://www.w3.org/2000/svg}"
DEVANAGARI = "संस्करण क्षेत्र"
FORMATS: list[qr.QRFormat] = ["png", "svg", "pdf"]
RED = (200, 30, 30)


def decode(image: Image.Image) -> list[str]:
    """Return the text of every barcode zxing-cpp finds in ``image``; each must be a QR code."""
    results = zxingcpp.read_barcodes(image.convert("L"))
    assert all(result.format == zxingcpp.BarcodeFormat.QRCode for result in results)
    return [result.text for result in results]


def open_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def rasterize_svg(svg: bytes, *, dpi: float = 96, width: int | None = None) -> Image.Image:
    """Return ``svg`` drawn by resvg, at its own size for ``dpi`` or ``width`` pixels wide."""
    png = resvg_py.svg_to_bytes(svg_string=svg.decode(), width=width, dpi=dpi, background="white")
    return Image.open(io.BytesIO(bytes(png)))


def rasterize_pdf(pdf: bytes, dpi: float) -> Image.Image:
    """Return the one page of ``pdf`` drawn by PDFium at ``dpi``, to the nearest whole pixel
    (PDFium reads the page size as a 32-bit float and rounds up: 164.64 pt is 687 pixels)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        assert len(document) == 1
        page = document[0]
        width, height = (round(points * dpi / 72) for points in page.get_size())
        image = page.render(scale=dpi / 72).to_pil().convert("RGB")
        assert image.width - width in (0, 1)
        assert image.height - height in (0, 1)
        return image.crop((0, 0, width, height))
    finally:
        document.close()


def pdf_size_pt(pdf: bytes) -> tuple[float, float]:
    """The page size of ``pdf`` in points, as PDFium reads it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
        return width, height
    finally:
        document.close()


def svg_size_mm(svg: bytes) -> tuple[float, float]:
    """The width and height attributes of ``svg``, which must be in mm."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML
    sizes = []
    for name in ("width", "height"):
        value = root.get(name, "")
        assert value.endswith("mm"), value
        sizes.append(float(value.removesuffix("mm")))
    return sizes[0], sizes[1]


def draw(data: bytes, fmt: qr.QRFormat, dpi: int = qr.PRINT_DPI) -> Image.Image:
    """``data`` in ``fmt`` as pixels at ``dpi``, drawn by the software that reads that format."""
    if fmt == "png":
        return open_png(data)
    if fmt == "svg":
        return rasterize_svg(data, dpi=dpi)
    return rasterize_pdf(data, dpi)


def logo_png(size: tuple[int, int] = (200, 120), colour: tuple[int, ...] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (*colour, 255)[:4]).save(out, format="PNG")
    return out.getvalue()


def ink_box(band: Image.Image) -> tuple[int, int, int, int]:
    """The bounding box of everything darker than white in ``band``."""
    box = ImageChops.invert(band.convert("L")).getbbox()
    assert box is not None, "the band is blank"
    return box


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for the pictures a person should look at; its path is printed."""
    folder = Path(os.environ.get("NEWSBOT_QR_SAMPLES") or tmp_path_factory.mktemp("qr-samples"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nQR samples to look at: {folder}")


class TestValidateCampaign:
    """validate_campaign accepts Telegram's payload alphabet and nothing else."""

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("a", id="one-char"),
            pytest.param("x" * 64, id="64-chars"),
            pytest.param("Spring_2025-posters", id="all-classes"),
            pytest.param("-_-", id="only-punctuation"),
        ],
    )
    def test_valid_names_are_returned(self, name: str) -> None:
        """A name of 1-64 allowed characters is returned unchanged."""
        assert qr.validate_campaign(name) == name

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("", id="empty"),
            pytest.param("x" * 65, id="65-chars"),
            pytest.param("spring posters", id="space"),
            pytest.param("grün", id="umlaut"),
            pytest.param("ü", id="only-umlaut"),
            pytest.param("a/b", id="slash"),
            pytest.param("abc\n", id="trailing-newline"),
            pytest.param("a?start=b", id="query"),
        ],
    )
    def test_invalid_names_raise(self, name: str) -> None:
        """A name outside [A-Za-z0-9_-]{1,64} raises InvalidCampaignError naming the alphabet."""
        with pytest.raises(InvalidCampaignError, match=r"A-Z, a-z, 0-9, '_' and '-'") as info:
            qr.validate_campaign(name)
        assert info.value.campaign == name


class TestJoinLink:
    """join_link builds the t.me deep link a poster opens."""

    @pytest.mark.parametrize(
        ("bot", "campaign", "expected"),
        [
            pytest.param("newsbot", "spring", "https://t.me/newsbot?start=spring", id="plain"),
            pytest.param("@newsbot", "spring", "https://t.me/newsbot?start=spring", id="at-sign"),
            pytest.param("newsbot", None, "https://t.me/newsbot", id="no-campaign"),
            pytest.param("@newsbot", None, "https://t.me/newsbot", id="no-campaign-at"),
        ],
    )
    def test_links(self, bot: str, campaign: str | None, expected: str) -> None:
        """The link is https://t.me/<bot>, with ?start=<campaign> when there is one."""
        assert qr.join_link(bot, campaign) == expected

    def test_invalid_campaign_raises_newsbot_error(self) -> None:
        """A bad campaign raises InvalidCampaignError, not PTB's ValueError."""
        with pytest.raises(InvalidCampaignError):
            qr.join_link("newsbot", "spring posters")


class TestFormatForPath:
    """format_for_path picks the format from the file's suffix."""

    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            pytest.param("poster.png", "png", id="png"),
            pytest.param("poster.svg", "svg", id="svg"),
            pytest.param("poster.pdf", "pdf", id="pdf"),
            pytest.param("POSTER.PNG", "png", id="upper-case"),
            pytest.param("flyer.Svg", "svg", id="mixed-case"),
            pytest.param(Path("out/a.b/flyer.pdf"), "pdf", id="path-object-dotted-dir"),
            pytest.param("archive.tar.png", "png", id="last-suffix-counts"),
        ],
    )
    def test_known_suffixes(self, path: str | Path, expected: str) -> None:
        """A .png, .svg or .pdf suffix in any case names the format."""
        assert qr.format_for_path(path) == expected

    @pytest.mark.parametrize(
        "path",
        [
            pytest.param("poster.jpg", id="jpg"),
            pytest.param("poster", id="no-suffix"),
            pytest.param("poster.png.bak", id="png-not-last"),
            pytest.param(".png", id="dotfile"),
        ],
    )
    def test_other_suffixes_raise(self, path: str) -> None:
        """Any other suffix raises ValueError listing the allowed ones."""
        with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
            qr.format_for_path(path)


VARIANTS = [
    pytest.param({}, id="plain"),
    pytest.param({"label": DEVANAGARI}, id="label"),
    pytest.param({"logo": logo_png()}, id="logo"),
    pytest.param({"label": "Scan for Revoi — संस्करण", "logo": logo_png()}, id="label-and-logo"),
]


class TestScanning:
    """Every format, with and without a label and a logo, reads as the deep link."""

    @pytest.mark.parametrize("fmt", FORMATS)
    @pytest.mark.parametrize("options", VARIANTS)
    def test_decodes_to_the_link(self, fmt: qr.QRFormat, options: dict[str, str | bytes]) -> None:
        """The code, drawn at its dpi by the software of its format, reads as the deep link."""
        data = qr.render_qr(LINK, fmt, **options)  # type: ignore[arg-type]
        assert decode(draw(data, fmt)) == [LINK]

    @pytest.mark.parametrize("width", [pytest.param(300, id="small"), pytest.param(1200, id="big")])
    def test_svg_decodes_at_any_size(self, width: int) -> None:
        """The SVG is vector: drawn smaller or larger than its print size, it still reads."""
        svg = qr.render_qr(LINK, "svg", label=DEVANAGARI)
        assert decode(rasterize_svg(svg, width=width)) == [LINK]

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_smallest_code_decodes(self, fmt: qr.QRFormat) -> None:
        """A code at the smallest size (20 mm, 4-dot modules at 300 dpi) still reads."""
        data = qr.render_qr(LINK, fmt, size_mm=qr.MIN_SIZE_MM)
        assert decode(draw(data, fmt)) == [LINK]

    def test_longest_link_with_logo_decodes(self) -> None:
        """The longest deep link (32-letter bot, 64-letter campaign) with a logo still reads."""
        link = qr.join_link("b" * 32, "c" * 64)
        png = qr.render_qr(link, "png", logo=logo_png((100, 100)), label="x")
        assert decode(open_png(png)) == [link]

    @pytest.mark.parametrize(
        ("logo", "level"), [pytest.param(None, "Q", id="plain"), pytest.param(True, "H", id="logo")]
    )
    def test_error_correction(self, logo: bool | None, level: str) -> None:
        """Error correction is Q, and H when a logo covers the middle."""
        png = qr.render_qr(LINK, "png", logo=logo_png() if logo else None)
        [result] = zxingcpp.read_barcodes(open_png(png).convert("L"))
        assert result.ec_level == level


class TestPrintedSize:
    """One layout in printer dots: every format prints at the same size."""

    def test_50_mm_at_300_dpi_is_591_pixels(self) -> None:
        """A 50 mm code at 300 dpi is round(50 / 25.4 * 300) = 591 pixels square."""
        image = open_png(qr.render_qr(LINK, "png", size_mm=50, dpi=300))
        assert image.size == (591, 591) == (round(50 / 25.4 * 300),) * 2

    def test_png_records_its_dpi(self) -> None:
        """The PNG says which dpi it is for, so print tools size it right."""
        image = open_png(qr.render_qr(LINK, "png", dpi=600))
        assert image.info["dpi"] == pytest.approx((600, 600), abs=0.01)

    @pytest.mark.parametrize(
        ("size_mm", "dpi", "label"),
        [
            pytest.param(50, 300, None, id="50mm-300dpi"),
            pytest.param(50, 300, DEVANAGARI, id="50mm-300dpi-label"),
            pytest.param(37.5, 600, "Revoi", id="37.5mm-600dpi-label"),
            pytest.param(120, 150, None, id="120mm-150dpi"),
        ],
    )
    def test_every_format_has_the_same_printed_size(
        self, size_mm: float, dpi: int, label: str | None
    ) -> None:
        """PNG pixels / dpi, SVG mm and PDF points all give the same width and height, within
        one dot of the size asked for (a 50 mm code at 300 dpi: 591 dots, 50.038 mm, 141.84 pt)."""
        png, svg, pdf = (
            qr.render_qr(LINK, f, size_mm=size_mm, dpi=dpi, label=label) for f in FORMATS
        )
        image = open_png(png)
        png_mm = tuple(pixels / image.info["dpi"][0] * 25.4 for pixels in image.size)
        pdf_mm = tuple(points / 72 * 25.4 for points in pdf_size_pt(pdf))
        # A PNG stores whole pixels per metre (300 dpi is 11811/m, 299.9994 dpi): 0.01 % off.
        assert svg_size_mm(svg) == pytest.approx(png_mm, rel=1e-4)
        assert pdf_mm == pytest.approx(png_mm, rel=1e-4)
        assert svg_size_mm(svg) == pytest.approx(pdf_mm, abs=0.001)
        assert png_mm[0] == pytest.approx(size_mm, abs=25.4 / dpi)
        if label is None:
            assert png_mm[1] == png_mm[0]
        else:  # the label band adds 16 % of the width under the code
            assert image.height == image.width + round(image.width * 0.16)

    @pytest.mark.parametrize("options", VARIANTS)
    def test_formats_draw_the_same_pixels(self, options: dict[str, str | bytes]) -> None:
        """SVG and PDF drawn at the sheet's dpi are the PNG: the modules to the dot (PDFium's
        edges within 2 of 255 shades), the label and logo within a shade of resampling."""
        png, svg, pdf = (qr.render_qr(LINK, f, **options) for f in FORMATS)  # type: ignore[arg-type]
        reference = open_png(png).convert("RGB")
        for image in (rasterize_svg(svg, dpi=qr.PRINT_DPI), rasterize_pdf(pdf, qr.PRINT_DPI)):
            assert image.size == reference.size
            difference = ImageChops.difference(reference, image.convert("RGB")).convert("L")
            code = difference.crop((0, 0, reference.width, reference.width))
            if "logo" not in options:  # (a resized logo's edge may fall differently)
                assert max(code.getextrema()) <= 2, "the modules differ"
            assert max(difference.getextrema()) <= 48
            assert ImageStat.Stat(difference).mean[0] < 1

    @pytest.mark.parametrize(
        ("size_mm", "dpi"), [(20, 300), (50, 300), (50, 600), (33, 150), (80, 1200)]
    )
    def test_modules_are_whole_dots_with_a_four_module_quiet_zone(
        self, size_mm: float, dpi: int
    ) -> None:
        """The module is the most whole dots that fit, and at least four white modules (the
        dots left over included) surround the code on every side."""
        sheet = qr.make_sheet(LINK, size_mm=size_mm, dpi=dpi)
        symbol = len(sheet.modules)
        assert sheet.module == sheet.width // (symbol + 2 * qr.QUIET_ZONE)
        assert sheet.module >= qr.MIN_MODULE_DOTS
        assert sheet.origin >= qr.QUIET_ZONE * sheet.module
        far_side = sheet.width - sheet.origin - symbol * sheet.module
        assert far_side >= qr.QUIET_ZONE * sheet.module
        assert abs(far_side - sheet.origin) <= 1
        image = open_png(qr.render_sheet(sheet, "png")).convert("L")
        inner = (sheet.origin, sheet.origin, sheet.width - far_side, sheet.width - far_side)
        assert ImageChops.invert(image).getbbox() == inner  # ink only inside the quiet zone

    @pytest.mark.parametrize("fmt", FORMATS)
    def test_output_is_deterministic(self, fmt: qr.QRFormat) -> None:
        """The same data and options always give the same bytes (no date in the PDF)."""
        options = {"label": DEVANAGARI, "logo": logo_png()}
        assert qr.render_qr(LINK, fmt, **options) == qr.render_qr(LINK, fmt, **options)  # type: ignore[arg-type]

    def test_svg_is_a_standalone_scalable_document(self) -> None:
        """The SVG is a whole <svg> document with a viewBox of dots and a white background,
        and its label is an embedded image, not text the printer's fonts would draw."""
        svg = qr.render_qr(LINK, "svg", label=DEVANAGARI)
        root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("viewBox") == "0 0 591 686"
        assert root.find(f"{SVG_NS}rect") is not None
        assert root.find(f".//{SVG_NS}text") is None
        [image] = root.iter(f"{SVG_NS}image")
        href = image.get("{http://www.w3.org/1999/xlink}href", "")
        assert href.startswith("data:image/png;base64,")
        assert (image.get("width"), image.get("height")) == ("591", "95")

    def test_pdf_is_one_page_without_dates(self) -> None:
        """The PDF is a one-page PDF 1.4 with no creation date, its modules as vectors."""
        pdf = qr.render_qr(LINK, "pdf")
        assert pdf.startswith(b"%PDF-1.4")
        assert b"CreationDate" not in pdf
        assert b"/MediaBox [0 0 141.84 141.84]" in pdf
        assert re.search(rb"/Subtype /Image", pdf) is None  # no label, no logo: no picture


class TestTooSmall:
    """A size that would not scan is refused, naming the smallest that works."""

    def test_under_20_mm(self) -> None:
        """Under 20 mm is refused whatever the dpi, and 20 mm is named."""
        with pytest.raises(qr.PrintSizeError, match="at least 20 mm") as info:
            qr.make_sheet(LINK, size_mm=19.5, dpi=1200)
        assert info.value.smallest_mm == 20
        assert "the smallest size that works is 20 mm" in str(info.value)

    @pytest.mark.parametrize(
        ("size_mm", "dpi"), [(20, 150), (25, 72), (30, 96), (22, 180)], ids=str
    )
    def test_modules_under_four_dots(self, size_mm: float, dpi: int) -> None:
        """Modules under 4 dots are refused, and the size named is the smallest that works:
        it makes 4-dot modules, and a millimetre less does not."""
        with pytest.raises(qr.PrintSizeError, match="needs at least 4") as info:
            qr.make_sheet(LINK, size_mm=size_mm, dpi=dpi)
        smallest = info.value.smallest_mm
        assert smallest is not None
        assert qr.make_sheet(LINK, size_mm=smallest, dpi=dpi).module == 4
        with pytest.raises(qr.PrintSizeError):
            qr.make_sheet(LINK, size_mm=smallest - 1, dpi=dpi)

    def test_a_label_too_long_for_the_size(self) -> None:
        """A label that would print under 6 pt is refused, naming the size where it fits."""
        label = "Scan this code for the news of the Revoi edition on Telegram"
        with pytest.raises(qr.PrintSizeError, match="under 6 pt") as info:
            qr.make_sheet(LINK, size_mm=30, label=label)
        smallest = info.value.smallest_mm
        assert smallest is not None
        assert qr.make_sheet(LINK, size_mm=smallest, label=label).label is not None
        with pytest.raises(qr.PrintSizeError):
            qr.make_sheet(LINK, size_mm=smallest - 1, label=label)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            pytest.param({"dpi": 71}, "from 72 to 2400", id="dpi-low"),
            pytest.param({"dpi": 2401}, "from 72 to 2400", id="dpi-high"),
            pytest.param({"dpi": 300.5}, "whole number", id="dpi-fraction"),
            pytest.param({"size_mm": 0}, "positive", id="size-zero"),
            pytest.param({"size_mm": float("nan")}, "positive", id="size-nan"),
            pytest.param({"size_mm": 1000, "dpi": 300}, "lower dpi", id="too-many-dots"),
            pytest.param({"label": "two\nlines"}, "one line", id="label-lines"),
            pytest.param({"logo": b"GIF89a broken"}, "not a readable image", id="logo-broken"),
            pytest.param({"logo": b""}, "not a readable image", id="logo-empty"),
        ],
    )
    def test_what_cannot_be_printed(self, options: dict[str, object], message: str) -> None:
        """Options that cannot make a print raise ValueError saying why."""
        with pytest.raises(ValueError, match=message):
            qr.make_sheet(LINK, **options)  # type: ignore[arg-type]


class TestLabel:
    """The label: a band under the code, shaped text in the shipped fonts, the same everywhere."""

    def test_devanagari_is_shaped(self, samples: Path) -> None:
        """With libraqm, "क्ष" is one conjunct, narrower than "क्" + ZWNJ + "ष" (the halant shown);
        without shaping the two would be drawn alike."""
        assert qr.shaping_available()
        conjunct = qr.make_sheet(LINK, label="क्ष").label
        spelled = qr.make_sheet(LINK, label="क्\u200cष").label
        assert conjunct is not None
        assert spelled is not None
        conjunct.save(samples / "label-ksha-conjunct.png")
        spelled.save(samples / "label-ksha-halant.png")
        left, _, right, _ = ink_box(conjunct)
        left2, _, right2, _ = ink_box(spelled)
        assert right - left < 0.9 * (right2 - left2)

    def test_devanagari_label_is_printed_under_the_code(self, samples: Path) -> None:
        """A Devanagari label is drawn in the band under the code, centred, within the width of
        the code, and the code above it stays untouched."""
        sheet = qr.make_sheet(LINK, label=DEVANAGARI)
        png = qr.render_sheet(sheet, "png")
        (samples / "label-devanagari.png").write_bytes(png)
        for fmt in ("svg", "pdf"):
            (samples / f"label-devanagari.{fmt}").write_bytes(qr.render_sheet(sheet, fmt))
        image = open_png(png).convert("L")
        band = image.crop((0, sheet.width, sheet.width, sheet.height))
        left, top, right, bottom = ink_box(band)
        assert sheet.origin <= left
        assert right <= sheet.width - sheet.origin
        assert abs((left + right) / 2 - sheet.width / 2) <= 0.02 * sheet.width
        assert top > 0
        assert bottom < band.height
        assert ImageStat.Stat(band).mean[0] < 250  # real text, not a speck
        assert decode(image.crop((0, 0, sheet.width, sheet.width))) == [LINK]

    def test_latin_letters_are_real_glyphs(self, samples: Path) -> None:
        """Latin text is drawn in Noto Sans, not as missing-glyph boxes: "iiii" is narrower than
        "MMMM"."""
        narrow = qr.make_sheet(LINK, label="iiii").label
        wide = qr.make_sheet(LINK, label="MMMM").label
        mixed = qr.make_sheet(LINK, label="Revoi संस्करण 2025").label
        assert narrow is not None
        assert wide is not None
        assert mixed is not None
        mixed.save(samples / "label-mixed.png")
        assert ink_box(narrow)[2] - ink_box(narrow)[0] < 0.5 * (ink_box(wide)[2] - ink_box(wide)[0])

    def test_a_long_label_shrinks_to_the_code_width(self) -> None:
        """A long label is set smaller so that it stays within the code's width."""
        sheet = qr.make_sheet(LINK, size_mm=60, label="Revoi: the news of your city, every day")
        assert sheet.label is not None
        left, _, right, _ = ink_box(sheet.label)
        assert sheet.origin <= left
        assert right <= sheet.width - sheet.origin

    def test_fonts_ship_with_the_package(self) -> None:
        """The label's fonts and their licence are files of the bot package."""
        fonts = Path(qr.__file__).parent / "fonts"
        names = {path.name for path in fonts.iterdir()}
        assert {"NotoSans-Regular.ttf", "NotoSansDevanagari-Regular.ttf", "OFL.txt"} <= names
        assert "SIL Open Font License" in (fonts / "OFL.txt").read_text()

    def test_devanagari_needs_shaping(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without libraqm a Devanagari label is refused rather than printed wrong; a Latin
        one is still drawn."""
        monkeypatch.setattr(qr, "shaping_available", lambda: False)
        with pytest.raises(ValueError, match="libraqm"):
            qr.make_sheet(LINK, label=DEVANAGARI)
        assert qr.make_sheet(LINK, label="Revoi").label is not None

    def test_blank_label_is_no_label(self) -> None:
        """A label of only spaces adds no band."""
        sheet = qr.make_sheet(LINK, label="   ")
        assert sheet.label is None
        assert sheet.height == sheet.width


class TestLogo:
    """The logo: in the middle, about 20 % of the code's width, on a white pad."""

    def test_logo_sits_in_the_middle(self, samples: Path) -> None:
        """The logo is centred, about a fifth of the code wide, with white around it."""
        sheet = qr.make_sheet(LINK, logo=logo_png((300, 300)), label="Revoi")
        png = qr.render_sheet(sheet, "png")
        (samples / "logo.png").write_bytes(png)
        image = open_png(png).convert("RGB")
        red = Image.eval(image.split()[0], lambda v: 255 if v > 150 else 0)
        red = ImageChops.multiply(
            red, Image.eval(image.split()[1], lambda v: 255 if v < 100 else 0)
        )
        box = red.getbbox()
        assert box is not None
        left, top, right, bottom = box
        symbol = len(sheet.modules) * sheet.module
        assert 0.15 * symbol <= right - left <= 0.25 * symbol
        assert abs((left + right) / 2 - sheet.width / 2) <= sheet.module
        assert abs((top + bottom) / 2 - sheet.width / 2) <= sheet.module
        ring = image.crop((left - sheet.module, top - sheet.module, left, bottom))
        assert ring.convert("L").getextrema() == (255, 255)  # white pad around the logo

    def test_transparent_logo_is_on_white(self) -> None:
        """A transparent logo is flattened onto the white pad, not onto black."""
        out = io.BytesIO()
        Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, format="PNG")
        sheet = qr.make_sheet(LINK, logo=out.getvalue())
        assert sheet.logo is not None
        assert sheet.logo.convert("L").getextrema() == (255, 255)
