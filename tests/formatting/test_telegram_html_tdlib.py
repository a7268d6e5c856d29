"""The HTML reader in tdlib mode agrees with every ``check_parse_html`` case of tdlib's own tests.

Ported from tdlib's ``test/message_entities.cpp``, ``TEST(MessageEntities, parse_html)``: 89
``check_parse_html`` calls (18 errors, 71 parses). The copy read is the one the search index keeps
of a mirror of tdlib/td, laosb/td at commit 9d594d256508c72748b5edd58ce00c1314191173 (its
``td/telegram/MessageEntity.cpp`` ``parse_html`` is the reference for the rules); the index's own
copy of tdlib/td (d26e0fab57d0832aa73db1f8fb455cdfffcd4323) predates ``<tg-time>`` and lacks its
10 cases, and a third-party port of the same cases names tdlib/td commit
ea97bcdd3a15523c58ddfe772b4547187cf5bbeb. The calls are kept in tdlib's order.

tdlib's entities become the Bot API dicts of ``ParsedText.entities``, UTF-16 offsets unchanged:
``Type::Bold`` -> ``bold``, ``TextUrl`` -> ``text_link`` with ``url``, ``PreCode`` -> ``pre`` with
``language``, ``CustomEmoji`` -> ``custom_emoji`` with the id as a string, ``ExpandableBlockQuote``
-> ``expandable_blockquote``. tdlib's ``FormattedDate{unix, flags}`` (the Bot API's ``date_time``)
becomes ``unix_time`` and the ``date_time_format`` the Bot API reports for those flags: ``r`` for
relative (flag 1), otherwise ``w`` (32), then ``d``/``D`` (8/16), then ``t``/``T`` (2/4), the
short form winning when both are set, as in tdlib's ``get_date_time_formatting_type_object``; so
``format="tttTTdDwW"`` (flags 62) is reported as ``wdt``. No case here needs anything the Bot API
server does outside ``parse_html`` (none mentions a user by id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.formatting.telegram_html import TelegramHTMLError, parse_telegram_html

Entity = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One ``check_parse_html`` call: the HTML and either tdlib's error or its text and entities."""

    html: str
    error: str | None
    text: str
    entities: tuple[Entity, ...]


def ok(html: str, text: str, *entities: Entity) -> Case:
    """``check_parse_html(html, text, entities)``."""
    return Case(html, None, text, entities)


def err(html: str, error: str) -> Case:
    """``check_parse_html(html, error_message)``."""
    return Case(html, error, "", ())


def e(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    """A Bot API entity dict."""
    return {"type": kind, "offset": offset, "length": length, **extra}


def link(offset: int, length: int, url: str) -> Entity:
    """``MessageEntity::Type::TextUrl``."""
    return e("text_link", offset, length, url=url)


def emoji(offset: int, length: int, custom_emoji_id: int) -> Entity:
    """``MessageEntity::Type::CustomEmoji`` with ``CustomEmojiId(id)``."""
    return e("custom_emoji", offset, length, custom_emoji_id=str(custom_emoji_id))


def date(offset: int, length: int, unix: int, date_time_format: str) -> Entity:
    """``MessageEntity::Type::FormattedDate`` with ``FormattedDate{unix, flags}``."""
    return e("date_time", offset, length, unix_time=unix, date_time_format=date_time_format)


SURROGATE = (
    "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
    "surrogate code units"
)
ARROWS = "\u27a1\ufe0f \u27a1\ufe0f"  # "➡️ ➡️": 5 UTF-16 code units
ARROWS2 = ARROWS + ARROWS
ARROWS3 = ARROWS + ARROWS + ARROWS


def tg_time(date_time_format: str) -> str:
    """tdlib's tg-time cases differ only in the format."""
    return (
        f'{ARROWS}<tg-time unix = "12345", format = "{date_time_format}">{ARROWS}</tg-time>'
        f"<b>{ARROWS}</b>"
    )


CASES: list[Case] = [
    err("&#57311;", SURROGATE),
    err("&#xDFDF;", SURROGATE),
    err("&#xDFDF", SURROGATE),
    err("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
    err("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
    err("🏟 🏟&lt;<abac>", 'Unsupported start tag "abac" at byte offset 13'),
    err("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    err("🏟 🏟&lt;<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
    err("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    err("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    err('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    err("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;>", "Unclosed start tag at byte offset 13"),
    err("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
    err("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
    err("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    err(
        "🏟 🏟&lt;<i>a</em   >",
        'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
    ),
    ok("", ""),
    ok(ARROWS, ARROWS),
    ok(
        "&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;",
        '&ge;<>&"&laquo;&raquo;&#12345678;',
    ),
    ok("&Or;", "&Or;"),
    ok(f"{ARROWS}<i>{ARROWS}</i>", ARROWS2, e("italic", 5, 5)),
    ok(f"{ARROWS}<em>{ARROWS}</em>", ARROWS2, e("italic", 5, 5)),
    ok(f"{ARROWS}<b>{ARROWS}</b>", ARROWS2, e("bold", 5, 5)),
    ok(f"{ARROWS}<strong>{ARROWS}</strong>", ARROWS2, e("bold", 5, 5)),
    ok(f"{ARROWS}<u>{ARROWS}</u>", ARROWS2, e("underline", 5, 5)),
    ok(f"{ARROWS}<ins>{ARROWS}</ins>", ARROWS2, e("underline", 5, 5)),
    ok(f"{ARROWS}<s>{ARROWS}</s>", ARROWS2, e("strikethrough", 5, 5)),
    ok(f"{ARROWS}<strike>{ARROWS}</strike>", ARROWS2, e("strikethrough", 5, 5)),
    ok(f"{ARROWS}<del>{ARROWS}</del>", ARROWS2, e("strikethrough", 5, 5)),
    ok(f"{ARROWS}<blockquote>{ARROWS}</blockquote>", ARROWS2, e("blockquote", 5, 5)),
    ok(
        f"{ARROWS}<i>{ARROWS}</i><b>{ARROWS}</b>",
        ARROWS3,
        e("italic", 5, 5),
        e("bold", 10, 5),
    ),
    ok("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", e("italic", 5, 6)),
    ok(
        "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>",
        "🏟 🏟🏟 ><🏟",
        e("italic", 5, 7),
        e("bold", 9, 3),
    ),
    ok("🏟 🏟&lt;<i    aba  =  190azAz-.   >a</i>", "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<i    aba  =  190azAz-.>a</i>", "🏟 🏟<a", e("italic", 6, 1)),
    ok('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;">a</i>', "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</i>", "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<i>🏟 🏟&lt;</>", "🏟 🏟<🏟 🏟<", e("italic", 6, 6)),
    ok("🏟 🏟&lt;<i>a</    >", "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<i>a</i   >", "🏟 🏟<a", e("italic", 6, 1)),
    ok("🏟 🏟&lt;<b></b>", "🏟 🏟<"),
    ok("<i>\t</i>", "\t", e("italic", 0, 1)),
    ok("<i>\r</i>", "\r", e("italic", 0, 1)),
    ok("<i>\n</i>", "\n", e("italic", 0, 1)),
    ok(
        f'{ARROWS}<span class = "tg-spoiler">{ARROWS}</span><b>{ARROWS}</b>',
        ARROWS3,
        e("spoiler", 5, 5),
        e("bold", 10, 5),
    ),
    ok('🏟 🏟<span class="tg-spoiler">🏟 &lt🏟</span>', "🏟 🏟🏟 <🏟", e("spoiler", 5, 6)),
    ok(
        '🏟 🏟<span class="tg-spoiler">🏟 &gt;<b aba   =   caba>&lt🏟</b></span>',
        "🏟 🏟🏟 ><🏟",
        e("spoiler", 5, 7),
        e("bold", 9, 3),
    ),
    ok(
        f"{ARROWS}<tg-spoiler>{ARROWS}</tg-spoiler><b>{ARROWS}</b>",
        ARROWS3,
        e("spoiler", 5, 5),
        e("bold", 10, 5),
    ),
    ok("🏟 🏟<tg-spoiler>🏟 &lt🏟</tg-spoiler>", "🏟 🏟🏟 <🏟", e("spoiler", 5, 6)),
    ok(
        "🏟 🏟<tg-spoiler>🏟 &gt;<b aba   =   caba>&lt🏟</b></tg-spoiler>",
        "🏟 🏟🏟 ><🏟",
        e("spoiler", 5, 7),
        e("bold", 9, 3),
    ),
    ok("<a href=telegram.org>\t</a>", "\t", link(0, 1, "http://telegram.org/")),
    ok("<a href=telegram.org>\r</a>", "\r", link(0, 1, "http://telegram.org/")),
    ok("<a href=telegram.org>\n</a>", "\n", link(0, 1, "http://telegram.org/")),
    ok(
        "<code><i><b> </b></i></code><i><b><code> </code></b></i>",
        "  ",
        e("code", 0, 1),
        e("bold", 0, 1),
        e("italic", 0, 1),
        e("code", 1, 1),
        e("bold", 1, 1),
        e("italic", 1, 1),
    ),
    ok(
        "<i><b> </b> <code> </code></i>",
        "   ",
        e("italic", 0, 3),
        e("bold", 0, 1),
        e("code", 2, 1),
    ),
    ok("<a href=telegram.org> </a>", " ", link(0, 1, "http://telegram.org/")),
    ok('<a href  ="telegram.org"   > </a>', " ", link(0, 1, "http://telegram.org/")),
    ok("<a   href=  'telegram.org'   > </a>", " ", link(0, 1, "http://telegram.org/")),
    ok("<a   href=  'telegram.org?&lt;'   > </a>", " ", link(0, 1, "http://telegram.org/?<")),
    ok("<a> </a>", " "),
    ok("<a>telegram.org </a>", "telegram.org "),
    ok("<a>telegram.org</a>", "telegram.org", link(0, 12, "http://telegram.org/")),
    ok(
        "<a>https://telegram.org/asdsa?asdasdwe#12e3we</a>",
        "https://telegram.org/asdsa?asdasdwe#12e3we",
        link(0, 42, "https://telegram.org/asdsa?asdasdwe#12e3we"),
    ),
    ok("🏟 🏟&lt;<pre  >🏟 🏟&lt;</>", "🏟 🏟<🏟 🏟<", e("pre", 6, 6)),
    ok("🏟 🏟&lt;<code >🏟 🏟&lt;</>", "🏟 🏟<🏟 🏟<", e("code", 6, 6)),
    ok("🏟 🏟&lt;<pre><code>🏟 🏟&lt;</code></>", "🏟 🏟<🏟 🏟<", e("pre", 6, 6), e("code", 6, 6)),
    ok(
        '🏟 🏟&lt;<pre><code class="language-">🏟 🏟&lt;</code></>',
        "🏟 🏟<🏟 🏟<",
        e("pre", 6, 6),
        e("code", 6, 6),
    ),
    ok(
        '🏟 🏟&lt;<pre><code class="language-fift">🏟 🏟&lt;</></>',
        "🏟 🏟<🏟 🏟<",
        e("pre", 6, 6, language="fift"),
    ),
    ok(
        '🏟 🏟&lt;<code class="language-fift"><pre>🏟 🏟&lt;</></>',
        "🏟 🏟<🏟 🏟<",
        e("pre", 6, 6, language="fift"),
    ),
    ok(
        '🏟 🏟&lt;<pre><code class="language-fift">🏟 🏟&lt;</> </>',
        "🏟 🏟<🏟 🏟< ",
        e("pre", 6, 7),
        e("code", 6, 6),
    ),
    ok(
        '🏟 🏟&lt;<pre> <code class="language-fift">🏟 🏟&lt;</></>',
        "🏟 🏟< 🏟 🏟<",
        e("pre", 6, 7),
        e("code", 7, 6),
    ),
    ok(
        f'{ARROWS}<tg-emoji emoji-id = "12345">{ARROWS}</tg-emoji><b>{ARROWS}</b>',
        ARROWS3,
        emoji(5, 5, 12345),
        e("bold", 10, 5),
    ),
    ok('🏟 🏟<tg-emoji emoji-id="54321">🏟 &lt🏟</tg-emoji>', "🏟 🏟🏟 <🏟", emoji(5, 6, 54321)),
    ok(
        '🏟 🏟<b aba   =   caba><tg-emoji emoji-id="1">🏟</tg-emoji>1</b>',
        "🏟 🏟🏟1",
        e("bold", 5, 3),
        emoji(5, 2, 1),
    ),
    ok(tg_time("r"), ARROWS3, date(5, 5, 12345, "r"), e("bold", 10, 5)),  # flags 1
    ok(tg_time("t"), ARROWS3, date(5, 5, 12345, "t"), e("bold", 10, 5)),  # flags 2
    ok(tg_time("T"), ARROWS3, date(5, 5, 12345, "T"), e("bold", 10, 5)),  # flags 4
    ok(tg_time("d"), ARROWS3, date(5, 5, 12345, "d"), e("bold", 10, 5)),  # flags 8
    ok(tg_time("D"), ARROWS3, date(5, 5, 12345, "D"), e("bold", 10, 5)),  # flags 16
    ok(tg_time("w"), ARROWS3, date(5, 5, 12345, "w"), e("bold", 10, 5)),  # flags 32
    ok(tg_time("W"), ARROWS3, date(5, 5, 12345, "w"), e("bold", 10, 5)),  # flags 32
    ok(tg_time("tttTTdDwW"), ARROWS3, date(5, 5, 12345, "wdt"), e("bold", 10, 5)),  # flags 62
    err(tg_time("rt"), "Invalid date format used"),
    err(tg_time("ts"), "Invalid date format used"),
    ok(
        '<blockquote   cite="" askdlbas nasjdbaj nj12b3>a&lt;<pre  >b;</></>',
        "a<b;",
        e("blockquote", 0, 4),
        e("pre", 2, 2),
    ),
    ok(
        "<blockquote   expandable>a&lt;<pre  >b;</></>",
        "a<b;",
        e("expandable_blockquote", 0, 4),
        e("pre", 2, 2),
    ),
    ok(
        "<blockquote   expandable   asd>a&lt;<pre  >b;</></>",
        "a<b;",
        e("expandable_blockquote", 0, 4),
        e("pre", 2, 2),
    ),
    ok(
        "<blockquote   expandable=false>a&lt;<pre  >b;</></>",
        "a<b;",
        e("expandable_blockquote", 0, 4),
        e("pre", 2, 2),
    ),
]


class TestTdlibParseHtml:
    """tdlib's own parse_html cases, read with ``strict=False``."""

    def test_every_case_is_ported(self) -> None:
        """The table holds all 89 check_parse_html calls: 18 errors and 71 parses."""
        assert len(CASES) == 89
        assert sum(case.error is not None for case in CASES) == 18

    @pytest.mark.parametrize("case", CASES, ids=[f"{i:02d}" for i in range(len(CASES))])
    def test_case(self, case: Case) -> None:
        """The reader gives tdlib's error, or tdlib's text and entities."""
        if case.error is not None:
            with pytest.raises(TelegramHTMLError) as caught:
                parse_telegram_html(case.html, strict=False)
            assert caught.value.message == case.error
        else:
            parsed = parse_telegram_html(case.html, strict=False)
            assert parsed.text == case.text
            assert parsed.entities == list(case.entities)
