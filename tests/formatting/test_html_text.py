"""html_to_text, looks_like_markup and the plain-text helpers, from tables of cases."""

from __future__ import annotations

import pytest

from bot.formatting.html_text import (
    FRAGMENT_MAX_CHARS,
    MAX_START_TAGS,
    absolute_http_url,
    clean_line,
    html_to_text,
    looks_like_markup,
    plain_text,
)
from tests.conftest import bounded

KB = 1024


class TestHtmlToText:
    """html_to_text: structure, entities, dropped elements, whitespace."""

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param("", "", id="empty"),
            pytest.param("Hello", "Hello", id="plain"),
            pytest.param("<p>One</p><p>Two</p>", "One\n\nTwo", id="paragraphs"),
            pytest.param("<div>One</div>Two<h2>Three</h2>", "One\n\nTwo\n\nThree", id="blocks"),
            pytest.param("a<br>b<br/>c", "a\nb\nc", id="line-breaks"),
            pytest.param("a<br><br>b", "a\n\nb", id="double-br-is-paragraph"),
            pytest.param("<ul><li>one</li><li>two</li></ul>", "• one\n\n• two", id="list"),
            pytest.param("<ol><li><p>x</p></li><li></li></ol><p>after</p>", "• x\n\nafter",
                         id="list-item-with-paragraph-and-empty-item"),
            pytest.param("<blockquote>quote</blockquote>said", "quote\n\nsaid", id="blockquote"),
            pytest.param("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
                         "a b\n\nc", id="table"),
            pytest.param("<b>bold</b> and <i>it</i>alic", "bold and italic", id="inline"),
            pytest.param("<pre>line  one\nline two</pre>", "line one\nline two", id="pre"),
            pytest.param("Tom &amp; Jerry &lt;3", "Tom & Jerry <3", id="entities-once"),
            pytest.param("AT&amp;amp;T", "AT&T", id="double-escaped-entity-decoded-again"),
            pytest.param("caf&eacute; &#8364; &#x1F600;", "café € 😀", id="named-numeric"),
            pytest.param("&#128;", "€", id="windows-1252-reference"),
            pytest.param("  lots \n\t of   space  ", "lots of space", id="whitespace"),
            pytest.param("a&nbsp;b\u00a0c\u202fd", "a b c d", id="non-breaking-spaces"),
            pytest.param("zero\u200bwidth\ufeff\u00ad", "zerowidth", id="zero-width"),
            pytest.param("bell\x07 nul\x00 esc\x1b", "bell nul esc", id="control-characters"),
            pytest.param("नमस्ते\u200dदुनिया", "नमस्ते\u200dदुनिया", id="zwj-kept-for-devanagari"),
            pytest.param("<script>alert(1)</script>x<style>p{}</style>y", "xy", id="script-style"),
            pytest.param("<noscript>n</noscript><template>t</template><iframe>i</iframe>ok",
                         "ok", id="noscript-template-iframe"),
            pytest.param("<svg><text>chart</text></svg><object>o</object>ok", "ok",
                         id="svg-object"),
            pytest.param("<figure><img src=x><figcaption>Photo: AP</figcaption></figure>Text",
                         "Text", id="figcaption-dropped"),
            pytest.param("<script/>kept", "kept", id="self-closing-script"),
            pytest.param('<iframe src="https://v.example/e"/>Text <b>here</b>', "Text here",
                         id="self-closing-iframe"),
            pytest.param("<STYLE/>shown<textarea/>too", "showntoo", id="self-closing-upper-case"),
            pytest.param("<html><head><title>Site</title></head><body><p>Story</p></body></html>",
                         "Story", id="pasted-page-head-dropped"),
            pytest.param("<p>unclosed <b>tags", "unclosed tags", id="unclosed"),
            pytest.param("stray </p></div> ends", "stray\n\nends", id="stray-end-tags"),
            pytest.param("<!-- comment -->visible", "visible", id="comment"),
            pytest.param("if a < b and c > d", "if a < b and c > d", id="bare-less-than"),
            pytest.param("use <b> for bold", "use for bold", id="real-tag-in-html"),
        ],
    )  # fmt: skip
    def test_converts(self, fragment: str, expected: str) -> None:
        """Each fragment becomes the plain text a reader should see."""
        assert html_to_text(fragment) == expected

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param("&lt;p&gt;Hello&lt;/p&gt;", "Hello", id="paragraph"),
            pytest.param("&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;", "One\n\nTwo", id="two"),
            pytest.param("&lt;p&gt;AT&amp;amp;T&lt;/p&gt;", "AT&T", id="inner-entity"),
            pytest.param('See &lt;a href="https://x.example"&gt;this&lt;/a&gt;', "See this",
                         id="link-with-attribute"),
            pytest.param("Line&lt;br/&gt;next", "Line\nnext", id="self-closing-br"),
            pytest.param("&lt;script&gt;x()&lt;/script&gt;text", "text", id="script-inside"),
        ],
    )  # fmt: skip
    def test_double_encoded_html_is_parsed_again(self, fragment: str, expected: str) -> None:
        """Text that turns out to be real HTML markup after one parse is parsed once more."""
        assert html_to_text(fragment) == expected

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param("if a &lt; b and c &gt; d", "if a < b and c > d", id="comparison"),
            pytest.param("use &lt;b&gt; for bold", "use <b> for bold", id="tag-mention"),
            pytest.param("Vector&lt;int&gt; v", "Vector<int> v", id="generics"),
            pytest.param("a &lt;b and c&gt; d", "a <b and c> d", id="attribute-like-words"),
            pytest.param("&lt;br&gt; breaks a line", "<br> breaks a line", id="void-mention"),
            pytest.param("x &lt;- y", "x <- y", id="arrow"),
        ],
    )  # fmt: skip
    def test_prose_with_angle_brackets_stays(self, fragment: str, expected: str) -> None:
        """Decoded text that only mentions tags or compares values is not parsed again."""
        assert html_to_text(fragment) == expected

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param("It&amp;#8217;s here &amp;amp; now&amp;nbsp;today.",
                         "It’s here & now today.", id="rss-cdata-description"),
            pytest.param("Tom &amp;amp; Jerry", "Tom & Jerry", id="atom-html-title"),
            pytest.param("&amp;#x1F600; &amp;#128;", "😀 €", id="numeric"),
            pytest.param("&amp;AMP; &amp;eacute;", "& é", id="named-any-case-html-defines"),
            pytest.param("AT&amp;T &amp;foo; R&amp;D", "AT&T &foo; R&D", id="not-references"),
            pytest.param("?a=1&amp;copy=2", "?a=1&copy=2", id="reference-needs-semicolon"),
            pytest.param("bell&amp;#7;", "bell", id="decoded-control-removed"),
            pytest.param("&amp;lt;p&amp;gt;x&amp;lt;/p&amp;gt;", "<p>x</p>",
                         id="triple-escaped-markup-shown-not-parsed"),
        ],
    )  # fmt: skip
    def test_double_escaped_entities_are_decoded_again(self, fragment: str, expected: str) -> None:
        """Character references left in the text after one parse are decoded once more."""
        assert html_to_text(fragment) == expected

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param("<p>Use the &lt;b&gt;bold&lt;/b&gt; tag.</p><p>Next paragraph.</p>",
                         "Use the <b>bold</b> tag.\n\nNext paragraph.", id="paragraphs"),
            pytest.param("<li>Apples</li><li>Pears &lt;br/&gt;</li>", "• Apples\n\n• Pears <br/>",
                         id="list-items"),
            pytest.param("<div>&lt;p&gt;wrapped&lt;/p&gt;</div>", "<p>wrapped</p>",
                         id="inside-a-wrapper"),
            pytest.param("Text&lt;p&gt;x&lt;/p&gt;<br>", "Text<p>x</p>", id="any-element-counts"),
        ],
    )  # fmt: skip
    def test_escaped_markup_beside_real_markup_is_text(self, fragment: str, expected: str) -> None:
        """A fragment with real elements is parsed once: its escaped markup is literal text."""
        assert html_to_text(fragment) == expected

    @pytest.mark.parametrize(
        ("fragment", "expected"),
        [
            pytest.param('…Read the <a href="https://ex.com/budget-2024-full-te', "…Read the",
                         id="cut-in-attribute"),
            pytest.param("<p>a</p", "a", id="cut-end-tag"),
            pytest.param("a <b", "a", id="cut-tag-name"),
            pytest.param("a </", "a", id="cut-after-slash"),
            pytest.param("a <!-- note", "a", id="cut-comment"),
            pytest.param("a <", "a <", id="bare-less-than-kept"),
            pytest.param("a <3", "a <3", id="heart-kept"),
        ],
    )  # fmt: skip
    def test_unfinished_trailing_tag_is_dropped(self, fragment: str, expected: str) -> None:
        """A tag the fragment ends inside of is dropped instead of shown as text."""
        assert html_to_text(fragment) == expected


class TestHostileInput:
    """Garbage that made the stdlib parser quadratic or crash, and input past the caps."""

    @pytest.mark.parametrize(
        ("garbage", "expected"),
        [
            pytest.param("<!--" * (50 * KB), "Intro", id="200KB-of-comment-openers"),
            pytest.param("<![<![" * (34 * KB) + "> Outro", "Intro Outro", id="200KB-of-<![<!["),
            pytest.param("<!" * (100 * KB) + "> Outro", "Intro Outro", id="200KB-of-<!"),
            pytest.param("</" * (100 * KB) + "> Outro", "Intro Outro", id="200KB-of-</"),
            pytest.param("<a " * (68 * KB), "Intro", id="200KB-of-unfinished-tags"),
        ],
    )
    def test_garbage_parses_quickly(self, garbage: str, expected: str) -> None:
        """200 KB of declaration garbage reads as comments, as browsers read it, in no time."""
        assert bounded(lambda: html_to_text("Intro " + garbage)) == expected

    def test_garbage_after_markup_is_still_markup(self) -> None:
        """An unterminated flood of "<!--" does not hide the markup before it."""
        assert bounded(lambda: looks_like_markup("<p>x</p>" + "<!--" * (50 * KB))) is True

    def test_text_past_the_size_cap_is_cut(self) -> None:
        """A fragment longer than FRAGMENT_MAX_CHARS is read up to the cap, not refused."""
        text = bounded(lambda: html_to_text("<p>" + "word " * (200 * KB)))
        assert text.startswith("word word ")
        assert FRAGMENT_MAX_CHARS - 10 < len(text) <= FRAGMENT_MAX_CHARS

    def test_deep_nesting_is_cut_at_the_start_tag_cap(self) -> None:
        """Nested lists are read up to MAX_START_TAGS start tags, in bounded time."""
        text = bounded(lambda: html_to_text("<ul><li>item" * 30_000))
        assert text.count("• item") == MAX_START_TAGS // 2


class TestLooksLikeMarkup:
    """looks_like_markup: the double-encoding heuristic on already decoded text."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("<p>x</p>", True, id="pair"),
            pytest.param('<img src="a.jpg">', True, id="valued-attribute"),
            pytest.param("a<br/>b", True, id="self-closing-void"),
            pytest.param("<b>", False, id="lone-start-tag"),
            pytest.param("</p>", False, id="lone-end-tag"),
            pytest.param("<foo>x</foo>", False, id="unknown-element"),
            pytest.param("a < b > c", False, id="comparison"),
            pytest.param("no brackets", False, id="plain"),
        ],
    )  # fmt: skip
    def test_detects(self, text: str, *, expected: bool) -> None:
        """Only known elements that are closed, carry valued attributes or self-close count."""
        assert looks_like_markup(text) is expected


class TestPlainHelpers:
    """clean_line, plain_text and absolute_http_url."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("  a \n b\t\u00a0c ", "a b c", id="whitespace"),
            pytest.param("x\u200by\x00z", "xyz", id="invisible"),
            pytest.param("tab\tseparated\x1fwords", "tab separated words",
                         id="whitespace-controls"),
            pytest.param("lone \ud800 surrogate", "lone surrogate", id="surrogate"),
            pytest.param("&amp; stays", "&amp; stays", id="no-decoding"),
        ],
    )  # fmt: skip
    def test_clean_line(self, text: str, expected: str) -> None:
        """clean_line gives one line of visible text, decoding nothing."""
        assert clean_line(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("one\ntwo\n\nthree", "one two\n\nthree", id="wrapping-and-paragraphs"),
            pytest.param("a\r\n\r\n\r\nb", "a\n\nb", id="crlf"),
            pytest.param(" \n \n ", "", id="blank"),
            pytest.param("a < b &amp; c", "a < b &amp; c", id="no-markup-parsing"),
        ],
    )  # fmt: skip
    def test_plain_text(self, text: str, expected: str) -> None:
        """plain_text keeps blank-line paragraphs and joins hard-wrapped lines."""
        assert plain_text(text) == expected

    @pytest.mark.parametrize(
        ("url", "base", "expected"),
        [
            pytest.param("https://ex.com/a", None, "https://ex.com/a", id="absolute"),
            pytest.param("a", "http://ex.com/b/", "http://ex.com/b/a", id="relative"),
            pytest.param(" https://ex.com/a b ", None, "https://ex.com/a%20b", id="spaces"),
            pytest.param("javascript:alert(1)", "https://ex.com/", None, id="javascript"),
            pytest.param("mailto:a@ex.com", None, None, id="mailto"),
            pytest.param("https://", None, None, id="no-host"),
            pytest.param("http://[::1", None, None, id="malformed"),
            pytest.param(None, None, None, id="none"),
        ],
    )  # fmt: skip
    def test_absolute_http_url(
        self, url: str | None, base: str | None, expected: str | None
    ) -> None:
        """Only absolute http(s) URLs with a host come out."""
        assert absolute_http_url(url, base) == expected

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            pytest.param("http://localhost:8080/a", None, id="host-without-dot"),
            pytest.param("https://intranet/", None, id="single-label"),
            pytest.param('http://a"b.com/', None, id="quote-in-host"),
            pytest.param("http://a<b.com/", None, id="angle-bracket-in-host"),
            pytest.param("http://a\\b.com/", None, id="backslash-in-host"),
            pytest.param("http://ex.com:99999/", None, id="port-too-big"),
            pytest.param("http://ex.com:0/", None, id="port-zero"),
            pytest.param("http://ex.com:/a", None, id="empty-port"),
            pytest.param("http://ex.com:8o/", None, id="port-not-a-number"),
            pytest.param("http://ex.com:8080/a", "http://ex.com:8080/a", id="port"),
            pytest.param("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/a", id="ipv4"),
            pytest.param("http://[::1]:8000/a", "http://[::1]:8000/a", id="ipv6"),
            pytest.param("http://user:pw@Ex.COM/", "http://user:pw@Ex.COM/", id="userinfo"),
            pytest.param("https://пример.рф/новости", "https://пример.рф/новости",
                         id="non-ascii-host"),
            pytest.param("https://xn--e1afmkfd.xn--p1ai/", "https://xn--e1afmkfd.xn--p1ai/",
                         id="punycode-host"),
            pytest.param("https://a_b.ex.com/~x", "https://a_b.ex.com/~x", id="underscore"),
        ],
    )  # fmt: skip
    def test_absolute_http_url_only_gives_links_telegram_keeps(
        self, url: str, expected: str | None
    ) -> None:
        """A URL whose host or port Telegram refuses (it drops such a link) does not come out."""
        assert absolute_http_url(url) == expected
