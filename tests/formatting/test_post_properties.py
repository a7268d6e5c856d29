"""render_post over arbitrary input: every post is one Telegram accepts and shows as ``text``.

Titles and summaries are any Unicode (astral characters, emoji and flags, combining marks,
right-to-left and Devanagari text, control characters, ``&``, ``<`` and entities written as
text), or tag soup (real and unknown tags, attributes, entities, comments, CDATA, unclosed and
misnested tags) read by ``html_to_text`` as a feed's HTML is; links and pictures are valid and
invalid URLs. Every post is judged by newsbot's reader of Telegram's HTML
(``parse_telegram_html``, strict): it parses, shows exactly ``post.text``, fits Telegram's limit
(counted in code points, as Telegram counts; entities in UTF-16 code units), has something a
reader can see, links its "Read more", and shows no markup that newsbot's own escaping made.
Posts are laid out by newsbot, by an editor's valid template (fields of any text), or by any
template source at all: ``PostTemplate.compile`` refuses it with TemplateError (never another
exception) or its posts are judged like the others.

10,000 examples, derandomized (the same ones every run); each failure found is kept below as a
plain ``@example`` of an ordinary article changed where it breaks.
"""

from __future__ import annotations

import html
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.errors import TemplateError
from bot.formatting.hashtags import hashtags as make_hashtags
from bot.formatting.html_text import html_to_text
from bot.formatting.post import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    POST_STYLES,
    Post,
    PostStyle,
    render_post,
)
from bot.formatting.telegram_html import ParsedText, parse_telegram_html
from bot.formatting.template import PostTemplate

EXAMPLES = settings(max_examples=10_000, deadline=None, derandomize=True)

# --------------------------------------------------------------------------------------------
# Text: any Unicode, with the pieces that break formatters mixed in often.
# --------------------------------------------------------------------------------------------

#: Pieces of text that break formatters, mixed into arbitrary Unicode.
PIECES = [
    # What HTML and Telegram give meaning to, written as text.
    "&", "<", ">", '"', "'", "&amp;", "&lt;b&gt;", "&nbsp;", "&#8217;", "&#x1F600;", "&#0;",
    "&#xD800;", "&foo;", "AT&T", "<b>", "</b>", '<a href="https://x.example/">', "</a>", "<br>",
    "<p>", "<3", "a<b", "]]>", "<!--", "-->", "<![CDATA[", "&amp;amp;",
    # Emoji: modifiers, ZWJ sequences, flags, tag sequences, keycaps, variation selectors.
    "👍🏽", "👨‍👩‍👧‍👦", "🇮🇳", "🇺🇳🇮🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "❤️", "☺︎",
    # Combining marks, Devanagari conjuncts, Arabic script, bidi controls.
    "e\u0301", "A\u030a", "a\u0333", "Z\u0351\u0352\u0353", "क्षत्रिय", "पूरा पढ़ें", "नमस्ते।",
    "مزید پڑھیں", "BBC اردو", "ہے۔", "؟", "\u200f", "\u200e", "\u202e", "\u202a", "\u2066",
    "\u2069", "\u200d", "\u200c", "\ufe0f", "\u034f",
    # Invisible, control and space characters.
    "\u00ad", "\u200b", "\u2060", "\ufeff", "\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f",
    "\u2028", "\u2029", "\r\n", "\r", "\n", "\n\n", "\t", "\v", "\f", "\u00a0", "\u3000",
    "\u1680", "\u180e",
    # Astral planes, private use, non-characters.
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𠜎𠜱", "\U0010ffff", "\U000e0041", "\ue000", "\ufffe", "\uffff", "\ufffd",
    # What sentence splitting, truncation and the repeated-title check look at.
    ". ", "… ", "...", " [...]", "[…]", "Mr. ", "e.g. ", "U.S. ", "No. 5", "। ", "۔ ", "? ",
    ": ", " — ", " - ", " | ", ",", " ",
]  # fmt: skip

any_char = st.characters(codec="utf-8")  # every code point but the lone surrogates
piece = st.one_of(st.text(any_char, max_size=16), st.sampled_from(PIECES))
#: Short text, a few pieces.
short_text = st.lists(piece, max_size=5).map("".join)
#: Text up to 6,000 code points (past Telegram's limits): words repeated.
long_text = st.builds(
    lambda words, times: (" ".join(words) * times)[:6000],
    st.lists(short_text, min_size=1, max_size=4),
    st.integers(1, 400),
)
any_text = st.one_of(short_text, short_text, long_text)

# --------------------------------------------------------------------------------------------
# HTML: tag soup, as feeds write it and worse.
# --------------------------------------------------------------------------------------------

REAL_TAGS = [
    "p", "div", "span", "b", "strong", "i", "em", "u", "s", "a", "img", "br", "hr", "ul", "ol",
    "li", "pre", "code", "blockquote", "h1", "table", "tr", "td", "th", "figure", "figcaption",
    "script", "style", "iframe", "noscript", "title", "textarea", "template", "svg", "math",
    "select", "option", "video", "object", "head", "body", "html", "font", "center", "sup",
]  # fmt: skip
#: Elements whose content browsers hide (they support embeds and frames): no text of theirs.
HIDDEN_TAGS = ["noembed", "noframes"]
#: Elements whose content the HTML standard reads as raw text, shown as written (tags too).
RAW_TAGS = ["xmp", "plaintext", "listing"]
UNKNOWN_TAGS = ["foo", "x-y", "tg-spoiler", "o:p", "fb:like", "B", "DiV", "a1", "blink"]
ATTRIBUTE_NAMES = [
    "href", "src", "data-src", "srcset", "class", "style", "id", "title", "alt", "width",
    "onclick", "xmlns", "x", "DATA-X", "lang", "dir", "a:b", "x-y", "=", "\"", "'",
]  # fmt: skip

#: Character references: named, numeric, hex, invalid, unknown, and escaped twice.
CLEAN_ENTITIES = [
    "&eacute;", "&#8217;", "&#x2014;", "&nbsp;", "&hellip;", "&mdash;", "&rsquo;", "&copy;",
    "&#x1F600;", "&#128512;", "&amp;#8217;", "&amp;eacute;", "&zwj;", "&shy;", "&#173;",
    "&#8203;",
]  # fmt: skip
ENTITIES = [
    *CLEAN_ENTITIES, "&NotAName", "&amp;", "&lt;", "&gt;", "&quot;", "&#60;", "&#x3c;", "&#38;",
    "&#0;", "&#xD800;", "&#1114112;", "&#x110000;", "&#99999999999;", "&foo;", "&amp;amp;",
    "&amp;lt;", "&", "&#", "&#x", "&;", "&lt", "&AMP;", "&LT;",
]  # fmt: skip


def _clean_text(text: str) -> str:
    """``text`` without ``<`` and ``&``: text whose meaning holds no markup and no reference."""
    return text.replace("<", "").replace("&", "")


#: Attributes as feeds write them: quoted either way, unquoted, without a value, repeated,
#: holding markup and references (which are no text of the fragment).
ATTRIBUTES = [
    "", ' href="https://x.example/a?b=1&amp;c=2"', " class=x", " src='/a.jpg' alt=\"A > B\"",
    ' data-x="&lt;b&gt; &amp; <i>"', " onclick", ' title="<b>&quot;"', " x=1 y=2 x=3",
    " /", ' style="color:red" id=a', " href=javascript:alert(1)", ' srcset="a.jpg 1x, b.jpg 2x"',
    ' width="1" height="1" src="https://t.example/pixel.gif"', " lang=hi dir=rtl", " =x",
]  # fmt: skip


def _soup_tokens(clean: bool) -> list[str]:
    """The pieces of tag soup that are markup: tags of every kind, references, comments."""
    names = REAL_TAGS + HIDDEN_TAGS + UNKNOWN_TAGS + ([] if clean else RAW_TAGS)
    tokens = [f"<{name}{attributes}>" for name in names for attributes in ATTRIBUTES]
    for name in names:
        tokens += [f"</{name}>", f"<{name}/>", f"<{name.upper()}>", f"</{name.upper()} >"]
    tokens += CLEAN_ENTITIES if clean else ENTITIES
    tokens += [
        "<!-- a comment -->", "<!-- <b>bold</b> & <p> -->", "<!---->", "<!-->", "<!--->",
        "<![CDATA[data]]>", "<![CDATA[<b>]]>", "<!doctype html>", "<?xml version='1.0'?>", "<!>",
        "<?php echo 1; ?>", "</>", "</ p>", "</p foo>", "<br/>", "<img src=a.jpg/>",
        "<svg><![CDATA[x]]></svg>", "<math><mi>x</mi></math>", "<table><td>a<td>b</table>",
        "<ul><li>one<li>two</ul>", "<pre>\n  code\n</pre>", "<p>a<p>b", "<b><i>x</b></i>",
    ]  # fmt: skip
    if not clean:
        tokens += ["< p>", "<3", "a < b", "<", "&", "</", "<<", "<!", "<?", "&lt;p&gt;x&lt;/p&gt;"]
    return tokens


def tag_soup(clean: bool) -> st.SearchStrategy[str]:
    """HTML fragments, from tidy to broken.

    A fragment is a run of pieces: text, and tags of every kind (real and unknown, with
    attributes, closed and not, misnested, upper-case), references, comments, CDATA, doctypes;
    or such a run inside one element, cut in the middle of a tag, or escaped once more (HTML
    escaped twice). ``clean`` fragments mean no ``<`` and no ``&`` as text: their text carries
    neither character and their references decode to other characters. Read as HTML, such a
    fragment must give text without ``<`` or ``&``: anything else is markup shown.
    """
    if clean:
        text = piece.map(_clean_text)
    else:
        text = piece.map(lambda t: t if "<" in t or "&" in t else html.escape(t, quote=False))
    run = st.lists(st.one_of(st.sampled_from(_soup_tokens(clean)), text), max_size=14)
    soup = run.map("".join)
    element = st.builds(
        lambda name, inner: f"<{name}>{inner}</{name}>",
        st.sampled_from(REAL_TAGS + UNKNOWN_TAGS),
        soup,
    )
    # A fragment cut by its feed in the middle of a tag, a comment or a reference.
    cut = st.builds(
        lambda fragment, end: fragment + end,
        soup,
        st.sampled_from(['<a href="https://ex', "<img src=", "<p", "<!-- cut", "<![CDATA[x", "</"]),
    )
    if clean:
        return st.one_of(soup, element, cut)
    double_encoded = soup.map(lambda fragment: html.escape(fragment, quote=False))
    return st.one_of(soup, element, cut, double_encoded)


# --------------------------------------------------------------------------------------------
# URLs: valid ones and every way a feed gets them wrong.
# --------------------------------------------------------------------------------------------

SCHEMES = ["https://", "http://", "HTTPS://", "hTtP://", "ftp://", "javascript:", "data:", "//",
           "", "tg://", "mailto:", "https:/", "https:"]  # fmt: skip
HOSTS = [
    "news.example", "EXAMPLE.com", "www.bbc.co.uk", "xn--80ak6aa92e.com", "пример.рф",
    "例え.テスト", "localhost", "127.0.0.1", "[::1]", "[2001:db8::1]", "[fe80::1%25eth0]",
    "[::g]", "a_b.example", "ex ample.com", 'a"b.com', "a&b.com", "a<b.com", ".", "..", "-.com",
    "user:pw@news.example", "@news.example", "news.example.", "%41.example", "%zz.example", "",
]  # fmt: skip
PORTS = ["", "", "", ":443", ":0", ":65535", ":65536", ":99999", ":abc", ":", ":080"]
PATHS = [
    "", "/", "/a", "/news/2024/rain.html", "/a b", "/a?q=1&r=2", "/?q=\"x\"&r='y'", "#frag",
    "/%E0%A4%95", "/क", "/\u200b", "/\x00", "/\n", "/<b>", "/&amp;", "?x", "/" + "a" * 3000,
]  # fmt: skip

urls = st.one_of(
    st.builds(
        lambda *parts: "".join(parts),
        st.sampled_from(SCHEMES), st.sampled_from(HOSTS), st.sampled_from(PORTS),
        st.one_of(st.sampled_from(PATHS), piece.map(lambda t: "/" + t)),
        st.sampled_from(["", "", " ", "\t", "\u00a0", "\u200b"]),
    ),
    short_text,
    st.none(),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Templates: a few valid ones, and sources of every kind, valid or not.
# --------------------------------------------------------------------------------------------

#: Templates an editor would write; each compiles.
TEMPLATES = [
    '<b>{{ title }}</b>\n\n{{ summary }}\n\n{% if link %}<a href="{{ link }}">{{ read_more }}</a>'
    "{% endif %}",
    "{% if image %}📷 {% endif %}<b>{{ title|upper }}</b> <i>{{ feed }}{% if section %} · "
    '{{ section }}{% endif %}</i>\n{{ summary|truncate(200) }}\n{{ hashtags|join(" ") }}\n'
    '{{ published|date("%d %b %Y %H:%M") }}{% if link %}\n<a href="{{ link }}">{{ read_more }} →'
    "</a>{% endif %}",
    '{% if link %}<a href="{{ link }}">{{ title }}</a>{% else %}<b>{{ title }}</b>{% endif %}'
    "\n<blockquote expandable>{{ summary }}</blockquote>",
    "{{ title }} — {{ summary }} {% for tag in hashtags %}{{ tag }} {% endfor %}"
    "<code>{{ feed }}</code> <tg-spoiler>{{ section }}</tg-spoiler>",
]
#: Pieces of template sources: fields, filters, statements, Telegram's tags, and mistakes.
TEMPLATE_PIECES = [
    "{{ title }}", "{{ summary }}", "{{ link }}", "{{ image }}", "{{ feed }}", "{{ section }}",
    "{{ read_more }}", "{{ hashtags|join(' ') }}", "{{ published|date('%d %b %Y') }}",
    "{{ published|date }}", "{{ published|date('%Q %') }}", "{{ title|upper }}",
    "{{ summary|truncate(40) }}", "{{ title|replace('a', '&') }}", "{{ summary|striptags }}",
    "{{ title|e }}", "{{ title|safe }}", "{{ title|urlencode }}", "{{ hashtags|first }}",
    "{{ hashtags[0] }}", "{{ hashtags|length }}", "{{ title[:5] }}", "{{ title ~ summary }}",
    "{{ 'x' * 5000 }}", "{{ 'x' * 10**9 }}", "{{ 10**10**10 }}", "{{ range(10) }}",
    "{{ range(10**9)|list }}", "{{ 1/0 }}", "{{ title|int }}", "{{ title % 3 }}",
    "{% for t in hashtags %}{{ t }} {% endfor %}",
    "{% for i in range(900) %}{% for j in range(900) %}x{% endfor %}{% endfor %}",
    "{% if link %}", "{% else %}", "{% endif %}", "{% if image %}", "{% for x in title %}",
    "{% endfor %}", "{{ title.__class__ }}", "{{ title.upper() }}", "{{ foo }}",
    "{{ title|nosuch }}", "{% set x = 1 %}", "{% include 'x' %}", "{% macro m() %}{% endmacro %}",
    "{% raw %}{{ title }}{% endraw %}", "{# note #}", "{#", "#}", "{{", "}}", "{%", "%}",
    "{{ '<b>' }}", "{{ '&amp;' }}", "{{ '\u202e' }}", "{{ '' }}", "{{ none }}",
    "{{ lipsum() }}", "{{ self }}", "{{ cycler }}", "{{ range.__globals__ }}",
    "<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<code>", "</code>", "<pre>",
    "</pre>", '<pre><code class="language-python">', "</code></pre>", "<blockquote>",
    "<blockquote expandable>", "</blockquote>", '<span class="tg-spoiler">', "</span>",
    "<tg-spoiler>", "</tg-spoiler>", '<a href="{{ link }}">', '<a href="https://t.me/x">',
    '<a href="http://localhost/">', "</a>",
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    '<tg-time unix="1714550000">then</tg-time>', "<p>", "<br>", "&amp;", "&nbsp;", "&", "<",
    ">", "\n", "\n\n", " ", "—", "Read more",
]  # fmt: skip

template_sources = st.lists(
    st.one_of(st.sampled_from(TEMPLATE_PIECES), st.sampled_from(TEMPLATE_PIECES), piece),
    max_size=10,
).map("".join)


# --------------------------------------------------------------------------------------------
# The judge.
# --------------------------------------------------------------------------------------------


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def code_point_starts(text: str) -> set[int]:
    """The UTF-16 offsets at which the code points of ``text`` start (and its end)."""
    starts = {0}
    offset = 0
    for char in text:
        offset += 2 if ord(char) > 0xFFFF else 1
        starts.add(offset)
    return starts


#: Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties): rendered as nothing at all.
IGNORABLE = [
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
]  # fmt: skip


def visible(char: str) -> bool:
    """Whether ``char`` shows something: not a space, control, format or ignorable character.

    Unassigned and private-use code points count (they show as a box or a glyph of the font),
    noncharacters (U+FFFE, U+10FFFF...) do not.
    """
    code = ord(char)
    if (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return False
    if any(low <= code <= high for low, high in IGNORABLE):
        return False
    category = unicodedata.category(char)
    return category[0] in "LNPSM" or category in ("Co", "Cn")


def assert_valid(post: Post) -> ParsedText:
    """``post`` is one Telegram accepts, shows as ``post.text``, fits its limit, shows something."""
    parsed = parse_telegram_html(post.html, strict=True)
    assert parsed.text == post.text
    limit = CAPTION_LIMIT if post.image else MESSAGE_LIMIT
    assert 0 < len(post.text) <= limit, len(post.text)  # code points, as Telegram counts
    assert any(visible(char) for char in post.text), f"nothing visible in {post.text!r}"
    assert post.text == post.text.strip(), "Telegram trims what a message starts or ends with"
    starts = code_point_starts(post.text)
    for entity in parsed.entities:  # UTF-16 code units, never inside a character
        assert entity["length"] > 0
        assert entity["offset"] in starts, entity
        assert entity["offset"] + entity["length"] in starts, entity
    assert (post.image is not None) == (post.style == "photo")
    if post.image is not None:
        assert post.image.lower().startswith(("http://", "https://")), post.image
        assert post.image == post.image.strip()
    return parsed


def assert_newsbot_layout(post: Post, parsed: ParsedText) -> None:
    """newsbot's own layout: bold title first, the summary as condensed, the link a link."""
    title = post.text.split("\n\n", 1)[0]
    assert parsed.entities[0] == {"type": "bold", "offset": 0, "length": utf16_length(title)}
    if post.summary:
        assert f"\n\n{post.summary}" in post.text
    links = [entity for entity in parsed.entities if entity["type"] == "text_link"]
    assert len(links) == post.html.count("<a "), "Telegram dropped a link newsbot wrote"
    if links:
        assert links[0]["offset"] + links[0]["length"] == utf16_length(post.text)


def assert_no_markup_shown(post: Post, *inputs: str | None) -> None:
    """Text made of inputs without ``<`` and ``&`` shows neither: no escape of ours shows."""
    if not any("<" in value or "&" in value for value in inputs if value):
        assert "<" not in post.text, post.text
        assert "&" not in post.text, post.text


# --------------------------------------------------------------------------------------------
# The properties.
# --------------------------------------------------------------------------------------------

plain_or_html = st.one_of(
    any_text.map(lambda text: ("text", text)),
    tag_soup(clean=False).map(lambda fragment: ("html", fragment)),
    tag_soup(clean=True).map(lambda fragment: ("clean", fragment)),
)
summary_limits = st.one_of(st.just(None), st.integers(-5, 5000))
styles = st.sampled_from(POST_STYLES)
#: Hashtags as a caller may pass them, and as newsbot makes them of an entry's categories.
tag_lists = st.one_of(
    st.lists(st.one_of(piece, st.sampled_from(["#World", "Climate", "#मौसम", "#", " ", "##x"])),
             max_size=3),
    st.lists(piece, max_size=4).map(make_hashtags),
)  # fmt: skip
published = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))


def _read(kind: str, value: str) -> str:
    """The plain text of a title or summary: HTML read as a feed's HTML is."""
    if kind == "text":
        return value
    text = html_to_text(value)
    if kind == "clean":
        assert "<" not in text, f"markup shown from {value!r}: {text!r}"
        assert "&" not in text, f"reference shown from {value!r}: {text!r}"
    return text


#: How the post is laid out: newsbot's own layout, an editor's valid template, or any source.
layouts = st.one_of(st.none(), st.sampled_from(TEMPLATES), template_sources)

#: An ordinary article, which a regression example changes only where it breaks.
ARTICLE: dict[str, Any] = {
    "title": ("text", "Rain"), "summary": ("text", "Storms hit the coast."),
    "link": "https://news.example/a", "image": None, "limit": None, "style": "photo", "tags": [],
    "layout": None, "feed": "", "section": "", "when": None,
}  # fmt: skip


def regression(**changes: Any) -> example:
    """An ``@example``: :data:`ARTICLE` with ``changes``."""
    return example(**{**ARTICLE, **changes})


@pytest.mark.slow
@EXAMPLES
# An untitled article whose first sentence is a noncharacter and a danda: the headline keeps
# the danda, the only thing in it that shows, instead of dropping it as a headline's full stop.
@regression(title=("text", ""), summary=("html", "\uffff। "), link=None, image=None)
# A title of only invisible characters (here RIGHT-TO-LEFT OVERRIDE, which Telegram deletes
# from every text, so the message is empty) is a post with nothing to see.
@regression(title=("text", "\u202e"), summary=("text", ""), link=None)
@regression(title=("text", "\u2066"), summary=("text", ""), link=None)
# A template of only invisible characters compiles, and every post it makes shows nothing:
# HANGUL FILLER (a letter, but default-ignorable: rendered as nothing); ZERO WIDTH SPACE (fixed).
@regression(layout="\u3164")
@regression(layout="\u200b")
# A template's post ends in blank lines when the article has no summary and no link: Telegram
# trims them, so post.text would not be what Telegram shows (fixed). Also when the whitespace is
# followed by a tag: "Rain\n<blockquote expandable></blockquote>" is the text "Rain\n".
@regression(summary=("text", ""), link=None, layout=TEMPLATES[0])
@regression(summary=("text", ""), link=None, layout=TEMPLATES[2])
# The content of <noembed> (and <noframes>), which browsers do not show, was shown, tags and all
# (fixed).
@regression(title=("clean", "<noembed><b>x</b></noembed>"))
@given(
    title=plain_or_html, summary=plain_or_html, link=urls, image=urls, limit=summary_limits,
    style=styles, tags=tag_lists, layout=layouts, feed=piece, section=piece, when=published,
)  # fmt: skip
def test_every_post_is_valid(
    title: tuple[str, str],
    summary: tuple[str, str],
    link: str | None,
    image: str | None,
    limit: int | None,
    style: PostStyle,
    tags: list[str],
    layout: str | None,
    feed: str,
    section: str,
    when: datetime | None,
) -> None:
    """Whatever the article and the template, the post parses, shows its text, fits, shows
    something and no escape of newsbot's; a template is refused only with TemplateError."""
    title_text, summary_text = _read(*title), _read(*summary)
    template = None
    if layout is not None:
        try:
            template = PostTemplate.compile(layout)
        except TemplateError:
            assert layout not in TEMPLATES
    options: dict[str, Any] = {} if limit is None else {"summary_limit": limit}
    post = render_post(
        title_text, summary_text, link, image, style=style, hashtags=tags, template=template,
        feed=feed, section=section, published=when, **options,
    )  # fmt: skip
    parsed = assert_valid(post)
    if template is None:
        assert_newsbot_layout(post, parsed)
    if layout is None or layout in TEMPLATES:
        assert_no_markup_shown(post, title_text, summary_text, link, feed, section, *tags)
