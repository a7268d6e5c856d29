"""Tests for bot.qr: campaign names, join links, formats, and codes that real decoders read.

PNGs are decoded with zxing-cpp; SVGs are first rasterized with resvg (a self-contained wheel, no
system library needed) and then decoded with zxing-cpp as well, so both formats are checked by a
real scanner.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import resvg_py
import zxingcpp
from PIL import Image

from bot import qr
from bot.errors import InvalidCampaignError

LINK = "https://t.me/newsbot?start=spring-posters_2025"
SVG_NS = "{http://www.w3.org/2000/svg}"


def decode(image: Image.Image) -> list[str]:
    """Return the text of every barcode zxing-cpp finds in ``image``; each must be a QR code."""
    results = zxingcpp.read_barcodes(image.convert("L"))
    assert all(result.format == zxingcpp.BarcodeFormat.QRCode for result in results)
    return [result.text for result in results]


def rasterize_svg(svg: bytes, width: int) -> Image.Image:
    """Return ``svg`` drawn by resvg at ``width`` pixels wide."""
    png = resvg_py.svg_to_bytes(svg_string=svg.decode(), width=width, dpi=96)
    return Image.open(io.BytesIO(bytes(png)))


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


class TestRenderQr:
    """render_qr makes codes that scanners read, in each format, deterministically."""

    def test_png_decodes_to_the_link(self) -> None:
        """The PNG holds exactly one QR code, and it reads as the deep link."""
        image = Image.open(io.BytesIO(qr.render_qr(LINK, "png")))
        assert image.format == "PNG"
        assert decode(image) == [LINK]

    def test_png_records_print_resolution(self) -> None:
        """The PNG says it is meant for 300 dpi, so print tools size it sensibly."""
        image = Image.open(io.BytesIO(qr.render_qr(LINK, "png")))
        assert image.info["dpi"] == pytest.approx((qr.PRINT_DPI, qr.PRINT_DPI), abs=0.01)

    @pytest.mark.parametrize("width", [pytest.param(300, id="small"), pytest.param(1200, id="big")])
    def test_svg_decodes_to_the_link_at_any_size(self, width: int) -> None:
        """The SVG, rasterized at a small and a large size, reads as the deep link."""
        svg = qr.render_qr(LINK, "svg")
        assert decode(rasterize_svg(svg, width)) == [LINK]

    def test_svg_is_a_standalone_scalable_document(self) -> None:
        """The SVG is a whole <svg> document with a viewBox and a white background."""
        svg = qr.render_qr(LINK, "svg")
        root = ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted XML
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("viewBox", "").startswith("0 0 ")
        assert root.find(f"{SVG_NS}rect") is not None

    def test_pdf_is_a_pdf_sized_for_print(self) -> None:
        """The PDF starts with %PDF and its page is sized at 300 dpi, not 72."""
        pdf = qr.render_qr("x", "pdf", box_size=10, border=4)
        assert pdf.startswith(b"%PDF")
        # Version 1 is 21 modules, plus 2 x 4 border = 29 x 10 px = 290 px = 69.6 pt at 300 dpi.
        assert b"/MediaBox [ 0 0 69.6 69.6 ]" in pdf

    @pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
    def test_output_is_deterministic(self, fmt: qr.QRFormat) -> None:
        """The same data and options always give the same bytes."""
        assert qr.render_qr(LINK, fmt) == qr.render_qr(LINK, fmt)

    def test_box_size_and_border_set_the_pixel_size(self) -> None:
        """A version-1 code with box_size 5 and border 2 is (21 + 4) x 5 pixels wide."""
        image = Image.open(io.BytesIO(qr.render_qr("x", "png", box_size=5, border=2)))
        assert image.size == (125, 125)
