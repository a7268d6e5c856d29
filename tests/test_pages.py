"""Tests for bot.pages: choosing a page's charset, reading its metadata, and making a draft."""

from __future__ import annotations

import codecs

import pytest

from bot.article import ArticleDraft
from bot.errors import PageParseError
from bot.pages import PAGE_MAX_CHARS, PageMeta, decode_html, page_to_draft, parse_page
from tests.conftest import bounded

URL = "https://news.example/world/2025/story.html?ref=rss"
PADDING = "<!-- " + "padding " * 200 + "-->"  # pushes what follows past the first 1024 bytes
KB = 1024


def page(head: str, body: str = "<p>Body</p>") -> str:
    """Return a small HTML document with ``head`` inside <head>."""
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


class TestDecodeHtml:
    """decode_html picks the charset from BOM, header, <meta>, then a guess."""

    @pytest.mark.parametrize(
        ("content", "content_type", "expected"),
        [
            pytest.param(
                "<p>Привет</p>".encode("windows-1251"),
                "text/html; charset=windows-1251",
                "<p>Привет</p>",
                id="header-charset",
            ),
            pytest.param(
                "<p>Привет</p>".encode("koi8-r"),
                'text/html; Charset="KOI8-R"',
                "<p>Привет</p>",
                id="header-quoted-upper-case",
            ),
            pytest.param(
                "<meta charset=utf-8><p>“smart” café</p>".encode("cp1252"),
                "text/html; charset=ISO-8859-1",
                "<meta charset=utf-8><p>“smart” café</p>",
                id="header-latin1-read-as-windows-1252-and-beats-meta",
            ),
            pytest.param(
                f"<html><head>{PADDING}<meta charset='koi8-r'><title>Новости</title>".encode(
                    "koi8-r"
                ),
                None,
                f"<html><head>{PADDING}<meta charset='koi8-r'><title>Новости</title>",
                id="meta-charset-after-1024-bytes",
            ),
            pytest.param(
                (
                    f"{PADDING}<META HTTP-EQUIV='Content-Type' "
                    "CONTENT='text/html; charset=windows-1251'><p>Привет</p>"
                ).encode("windows-1251"),
                "text/html",
                (
                    f"{PADDING}<META HTTP-EQUIV='Content-Type' "
                    "CONTENT='text/html; charset=windows-1251'><p>Привет</p>"
                ),
                id="meta-http-equiv-header-without-charset",
            ),
            pytest.param(
                (
                    "<script>var s = '<meta charset=koi8-r>';</script><!-- <meta charset=big5> -->"
                    "<meta charset=windows-1251><p>Привет</p>"
                ).encode("windows-1251"),
                None,
                (
                    "<script>var s = '<meta charset=koi8-r>';</script><!-- <meta charset=big5> -->"
                    "<meta charset=windows-1251><p>Привет</p>"
                ),
                id="meta-in-script-or-comment-ignored",
            ),
            pytest.param(
                codecs.BOM_UTF8 + "<p>café</p>".encode(),
                "text/html; charset=iso-8859-1",
                "<p>café</p>",
                id="utf8-bom-beats-header",
            ),
            pytest.param(
                codecs.BOM_UTF16_LE + "<p>café</p>".encode("utf-16-le"),
                None,
                "<p>café</p>",
                id="utf16le-bom",
            ),
            pytest.param(
                codecs.BOM_UTF16_BE + "<p>café</p>".encode("utf-16-be"),
                None,
                "<p>café</p>",
                id="utf16be-bom",
            ),
            pytest.param(
                "<p>café</p>".encode(),
                None,
                "<p>café</p>",
                id="none-valid-utf8",
            ),
            pytest.param(
                "<p>“smart” café</p>".encode("cp1252"),
                None,
                "<p>“smart” café</p>",
                id="none-invalid-utf8-is-windows-1252",
            ),
            pytest.param(
                "<p>café</p>".encode(),
                "text/html; charset=x-klingon",
                "<p>café</p>",
                id="unknown-header-charset-falls-back",
            ),
            pytest.param(
                "<meta charset=x-klingon><p>“café”</p>".encode("cp1252"),
                None,
                "<meta charset=x-klingon><p>“café”</p>",
                id="unknown-meta-charset-falls-back",
            ),
            pytest.param(
                "<meta charset=utf-16><p>café</p>".encode(),
                None,
                "<meta charset=utf-16><p>café</p>",
                id="meta-utf16-means-utf8",
            ),
            pytest.param(
                b"<p>+ADw-script+AD4-</p>",
                "text/html; charset=utf-7",
                "<p>+ADw-script+AD4-</p>",
                id="utf7-refused",
            ),
            pytest.param(
                b"<p>caf\xc3\xa9 \xff</p>",
                "text/html; charset=utf-8",
                "<p>café \ufffd</p>",
                id="declared-utf8-with-a-bad-byte",
            ),
            pytest.param(b"", None, "", id="empty"),
        ],
    )
    def test_charset_choice(self, content: bytes, content_type: str | None, expected: str) -> None:
        """The bytes decode to the text the page's author wrote."""
        assert decode_html(content, content_type) == expected


class TestHostileInput:
    """Garbage that made the stdlib parser quadratic or crash, and pages past the caps."""

    @pytest.mark.parametrize(
        "garbage",
        [
            pytest.param("<!--" * (50 * KB), id="200KB-of-comment-openers"),
            pytest.param("<![<![" * (34 * KB), id="200KB-of-<![<!["),
            pytest.param("<!" * (100 * KB), id="200KB-of-<!"),
            pytest.param("</" * (100 * KB), id="200KB-of-</"),
            pytest.param("<a " * (68 * KB), id="200KB-of-unfinished-tags"),
        ],
    )
    def test_garbage_ending_the_page_leaves_the_metadata(self, garbage: str) -> None:
        """A page that ends in 200 KB of unfinished declarations parses quickly, its head intact."""
        html = '<html><head><title>T</title><meta property="og:description" content="D">' + garbage
        meta = bounded(lambda: parse_page(html, URL))
        assert (meta.title, meta.description) == ("T", "D")

    def test_garbage_charset_scan(self) -> None:
        """Looking for a <meta charset> in 200 KB of "<!--" finishes and falls back to UTF-8."""
        content = b"<!--" * (50 * KB)
        assert bounded(lambda: decode_html(content, None)) == content.decode()

    def test_page_past_the_size_cap_is_cut(self) -> None:
        """Metadata past the first PAGE_MAX_CHARS characters is not read; the rest still is."""
        html = page("<title>Early</title>", "x" * PAGE_MAX_CHARS)
        html += '<meta property="og:title" content="Late">'
        assert bounded(lambda: parse_page(html, URL)).title == "Early"

    def test_meta_charset_past_the_size_cap_is_not_looked_for(self) -> None:
        """A <meta charset> past the first PAGE_MAX_CHARS bytes is not honoured."""
        content = (
            b"<p>" + b"x" * PAGE_MAX_CHARS + b"<meta charset=koi8-r>" + "Привет".encode("koi8-r")
        )
        assert bounded(lambda: decode_html(content, None)) == content.decode("cp1252")

    def test_deep_nesting_is_cut_at_the_start_tag_cap(self) -> None:
        """A page nesting 400,000 <div> is read up to the start tag cap, in bounded time."""
        html = page(
            "<title>T</title>", "<div>" * 400_000 + '<meta property="og:title" content="L">'
        )
        assert bounded(lambda: parse_page(html, URL)).title == "T"


class TestParsePage:
    """parse_page reads Open Graph, then Twitter card, then plain HTML metadata."""

    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            pytest.param(
                '<title>T</title><meta name="twitter:title" content="Tw">'
                '<meta property="og:title" content="OG">',
                "OG",
                id="og-beats-twitter-and-title",
            ),
            pytest.param(
                '<title>T</title><meta name="twitter:title" content="Tw">',
                "Tw",
                id="twitter-beats-title",
            ),
            pytest.param("<title>  Plain \n\t title </title>", "Plain title", id="title-collapsed"),
            pytest.param(
                '<meta property="og:title" content="  "><title>T</title>',
                "T",
                id="blank-og-title-skipped",
            ),
            pytest.param(
                '<meta name="og:title" content="OG in name">', "OG in name", id="og-in-name-attr"
            ),
            pytest.param(
                '<meta property="og:title" content="Tom &amp; Jerry &quot;live&quot;">',
                'Tom & Jerry "live"',
                id="entities-in-attribute",
            ),
            pytest.param(
                '<meta property="og:title" content="a &amp;lt;b&amp;gt; tag">',
                "a <b> tag",
                id="double-escaped-decoded-fully",
            ),
            pytest.param(
                "<title>Fish &amp; Chips &#8211; now</title>",
                "Fish & Chips – now",
                id="entities-in-title",
            ),
            pytest.param(
                "<title>First</title><title>Second</title>", "First", id="first-title-wins"
            ),
        ],
    )
    def test_title(self, head: str, expected: str) -> None:
        """The title comes from og:title, else twitter:title, else <title>."""
        assert parse_page(page(head), URL).title == expected

    def test_self_closing_script_hides_nothing(self) -> None:
        """An XHTML page's <script …/> and <title/> do not swallow the metadata after them."""
        head = '<script src="/a.js"/><title/><meta property="og:title" content="OG">'
        assert parse_page(page(head), URL).title == "OG"

    def test_svg_title_is_not_the_page_title(self) -> None:
        """A <title> inside an inline <svg> icon does not count as the page's title."""
        html = "<html><body><svg><title>Search icon</title></svg><title>Real</title></body>"
        assert parse_page(html, URL).title == "Real"

    @pytest.mark.parametrize(
        "html",
        [
            pytest.param(page('<meta name="description" content="D">'), id="no-title"),
            pytest.param(page("<title> \n </title>"), id="blank-title"),
            pytest.param("<svg><title>Icon</title></svg>", id="only-svg-title"),
            pytest.param("", id="empty-document"),
        ],
    )
    def test_missing_title_raises(self, html: str) -> None:
        """A page with no usable title raises PageParseError naming the three places looked."""
        with pytest.raises(PageParseError, match=r"no og:title, twitter:title or <title>") as info:
            parse_page(html, URL)
        assert info.value.source == URL

    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            pytest.param(
                '<meta name="description" content="Plain">'
                '<meta name="twitter:description" content="Tw">'
                '<meta property="og:description" content="OG">',
                "OG",
                id="og-first",
            ),
            pytest.param(
                '<meta name="description" content="Plain">'
                '<meta name="twitter:description" content="Tw">',
                "Tw",
                id="twitter-second",
            ),
            pytest.param(
                '<meta name="Description" content=" A  summary\n here ">',
                "A summary here",
                id="plain-collapsed-case-insensitive",
            ),
            pytest.param("", "", id="none-is-empty"),
        ],
    )
    def test_description(self, head: str, expected: str) -> None:
        """The description comes from og, else twitter, else <meta name=description>."""
        assert parse_page(page("<title>T</title>" + head), URL).description == expected

    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            pytest.param(
                '<meta property="og:image" content="/img/a.jpg">',
                "https://news.example/img/a.jpg",
                id="og-relative",
            ),
            pytest.param(
                '<meta property="og:image" content="pic.png">',
                "https://news.example/world/2025/pic.png",
                id="og-relative-to-directory",
            ),
            pytest.param(
                '<meta property="og:image" content="//cdn.example/a.jpg">',
                "https://cdn.example/a.jpg",
                id="og-scheme-relative",
            ),
            pytest.param(
                '<meta property="og:image" content="http://cdn.example/a.jpg">'
                '<meta property="og:image:secure_url" content="https://cdn.example/a.jpg">',
                "https://cdn.example/a.jpg",
                id="secure-url-preferred",
            ),
            pytest.param(
                '<meta property="og:image" content="https://cdn.example/a.jpg">'
                '<meta property="og:image:secure_url" content="http://cdn.example/b.jpg">',
                "https://cdn.example/a.jpg",
                id="insecure-secure-url-ignored",
            ),
            pytest.param(
                '<meta property="og:image" content="https://cdn.example/1.jpg">'
                '<meta property="og:image" content="https://cdn.example/2.jpg">',
                "https://cdn.example/1.jpg",
                id="first-og-image",
            ),
            pytest.param(
                '<meta name="twitter:image" content="https://cdn.example/t.jpg">'
                '<link rel="image_src" href="/l.jpg">',
                "https://cdn.example/t.jpg",
                id="twitter-image",
            ),
            pytest.param(
                '<meta name="twitter:image:src" content="https://cdn.example/t.jpg">',
                "https://cdn.example/t.jpg",
                id="twitter-image-src",
            ),
            pytest.param(
                '<link rel="image_src" href="/l.jpg">',
                "https://news.example/l.jpg",
                id="link-image-src",
            ),
            pytest.param(
                '<meta property="og:image" content="data:image/png;base64,AAAA">'
                '<meta name="twitter:image" content="https://cdn.example/t.jpg">',
                "https://cdn.example/t.jpg",
                id="data-uri-skipped",
            ),
            pytest.param(
                '<meta property="og:image" content="javascript:alert(1)">', None, id="js-dropped"
            ),
            pytest.param(
                '<base href="https://static.example/assets/">'
                '<meta property="og:image" content="a.jpg">',
                "https://static.example/assets/a.jpg",
                id="base-href",
            ),
            pytest.param(
                '<meta property="og:image" content="/a.jpg?w=1&amp;h=2">',
                "https://news.example/a.jpg?w=1&h=2",
                id="entity-in-url",
            ),
            pytest.param(
                '<meta property="og:image" content="/a.jpg?w=1&copy=2">',
                "https://news.example/a.jpg?w=1&copy=2",
                id="entity-name-without-semicolon-in-url-kept",
            ),
            pytest.param("", None, id="none"),
        ],
    )
    def test_image(self, head: str, expected: str | None) -> None:
        """The image is og:image (secure_url if https), else twitter's, else image_src."""
        assert parse_page(page("<title>T</title>" + head), URL).image == expected

    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            pytest.param(
                '<meta property="og:url" content="https://news.example/story">'
                '<link rel="canonical" href="https://news.example/canonical">',
                "https://news.example/story",
                id="og-url-first",
            ),
            pytest.param(
                '<link rel="canonical" href="/world/story">',
                "https://news.example/world/story",
                id="canonical-relative",
            ),
            pytest.param(
                '<link rel="Canonical Alternate" href="https://news.example/c">',
                "https://news.example/c",
                id="canonical-in-rel-list",
            ),
            pytest.param(
                '<meta property="og:url" content="ftp://news.example/story">'
                '<link rel="canonical" href="https://news.example/c">',
                "https://news.example/c",
                id="non-http-og-url-skipped",
            ),
            pytest.param("", URL, id="given-url"),
            pytest.param(
                '<meta property="og:url" content="/">'
                '<link rel="canonical" href="https://news.example/c">',
                "https://news.example/c",
                id="home-page-og-url-skipped",
            ),
            pytest.param(
                '<meta property="og:url" content="https://news.example/">', URL, id="home-page-only"
            ),
        ],
    )
    def test_url(self, head: str, expected: str) -> None:
        """The URL is og:url, else the canonical link, else the URL the page was fetched from."""
        assert parse_page(page("<title>T</title>" + head), URL).url == expected

    def test_hindi_page_in_utf8(self) -> None:
        """A Hindi page served as UTF-8 bytes decodes and reads intact."""
        title = "भारत में मानसून ने दस्तक दी"
        description = "मौसम विभाग के अनुसार अगले तीन दिन भारी बारिश हो सकती है।"
        raw = page(
            f'<meta charset="utf-8"><title>{title} | समाचार</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta name="description" content="{description}">'
        ).encode()
        meta = parse_page(decode_html(raw, "text/html"), URL)
        assert meta == PageMeta(title=title, description=description, image=None, url=URL)


class TestPageToDraft:
    """page_to_draft turns page metadata into an ArticleDraft."""

    def test_draft_is_keyed_and_linked_by_url(self) -> None:
        """The draft's key and link are the page URL; its summary is the description."""
        meta = PageMeta(
            title="T", description="D", image="https://cdn.example/a.jpg", url="https://n.example/s"
        )
        assert page_to_draft(meta) == ArticleDraft(
            key="https://n.example/s",
            title="T",
            summary="D",
            link="https://n.example/s",
            image="https://cdn.example/a.jpg",
        )


class TestSiteName:
    """parse_page reads og:site_name and takes it off the title; the description is a lead."""

    @pytest.mark.parametrize(
        ("head", "title", "site_name"),
        [
            pytest.param('<meta property="og:site_name" content="Valley Courier">'
                         "<title>Dam opens – Valley Courier</title>", "Dam opens", "Valley Courier",
                         id="trailing-en-dash"),
            pytest.param('<meta property="og:site_name" content="The Hindu">'
                         '<meta property="og:title" content="Rain lashes Chennai - the hindu">',
                         "Rain lashes Chennai", "The Hindu", id="case-insensitive"),
            pytest.param('<meta property="og:site_name" content="Revoi">'
                         "<title>Revoi | Markets rally</title>", "Markets rally", "Revoi",
                         id="leading"),
            pytest.param('<meta property="og:site_name" content="Revoi"><title>Revoi</title>',
                         "Revoi", "Revoi", id="never-empty"),
            pytest.param("<title>Dam opens – Valley Courier</title>",
                         "Dam opens – Valley Courier", "", id="no-site-name"),
            pytest.param('<meta property="og:site_name" content="AT&amp;amp;T News">'
                         "<title>Deal done :: AT&amp;T News</title>", "Deal done", "AT&T News",
                         id="escaped-site-name"),
        ],
    )  # fmt: skip
    def test_site_name(self, head: str, title: str, site_name: str) -> None:
        """The og:site_name is read, and the title loses it at either end."""
        meta = parse_page(page(head), URL)
        assert (meta.title, meta.site_name) == (title, site_name)

    def test_description_is_a_clean_lead(self) -> None:
        """A description's dateline and repeated headline go."""
        head = (
            "<title>Dam opens</title>"
            '<meta name="description" content="PUNE (PTI): Dam opens. Water flows today.">'
        )
        assert parse_page(page(head), URL).description == "Water flows today."
