"""What Telegram shows of a message: tdlib's cleaning, trimming and test for empty text.

Each table cites the tdlib code it follows: ``clean_input_string``, ``replace_offending_characters``
and ``strip_empty_characters``/``is_empty_string`` in ``td/telegram/misc.cpp``;
``fix_formatted_text`` and ``remove_invalid_entities`` in ``td/telegram/MessageEntity.cpp``.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.formatting.telegram_html import (
    ParsedText,
    clean_input_text,
    is_empty_string,
    parse_telegram_html,
    shown_html,
    strip_empty_characters,
    telegram_shows,
    visible,
)

# clean_input_string: control characters but \n become spaces, \r goes, \xe2\x80[\xa8-\xae]
# (U+2028-U+202E) goes, "vertical lines" \xcc[\xb3\xbf\x8a] (U+0333, U+033F, U+030A) go; then
# replace_offending_characters: a run of LRM/RLM keeps its last mark, the others become ZWNJ.
CLEAN = [
    ("plain", "plain"),
    ("a\tb\x00c\x01d\x1fe", "a b c d e"),
    ("line\nbreak", "line\nbreak"),
    ("crlf\r\nend\r", "crlf\nend"),
    ("\u2028\u2029\u202a\u202b\u202c\u202d\u202ex", "x"),
    ("A\u030a a\u0333 b\u033f c\u0301", "A a b c\u0301"),
    ("\u200e\u200f\u200ex", "\u200c\u200c\u200ex"),
    ("\u200ex\u200f", "\u200ex\u200f"),
    ("\u200e\u202e\u200f", "\u200c\u200f"),  # the run is counted once U+202E is gone
    ("\u2066\u2069\u200d\u200c\u3164\x7f\x85", "\u2066\u2069\u200d\u200c\u3164\x7f\x85"),
]


@pytest.mark.parametrize(("text", "cleaned"), CLEAN)
def test_clean_input_text_follows_clean_input_string(text: str, cleaned: str) -> None:
    """Each character is kept, made a space, deleted or made a ZWNJ as tdlib's cleaning does."""
    assert clean_input_text(text) == cleaned


# strip_empty_characters: U+1680, U+180E, U+2000-U+200A, U+202F, U+205F, U+2800, U+3000, U+FFFC
# and tag characters become spaces, the result is trimmed, and it is empty when only spaces,
# \n, U+200B-U+200F, U+202E, U+FEFF and U+00A0 are left.
EMPTY = [
    ("", True),
    (" \n ", True),
    ("\u200b\u200c\u200d\u200e\u200f\ufeff\u00a0", True),
    ("\u2000\u200a\u202f\u205f\u3000\u1680\u180e", True),
    ("\u2800", True),
    ("\ufffc", True),
    ("\U000e0041\U000e007f", True),
    ("\u202e", True),
    ("\t\v", True),
    ("x", False),
    ("\u3164", False),  # HANGUL FILLER: Telegram takes it, and shows nothing
    ("\u2066", False),
    ("\u034f", False),
    ("\ufe0f", False),
    ("\U000e0100", False),  # a variation selector, not a tag character
]


@pytest.mark.parametrize(("text", "empty"), EMPTY)
def test_is_empty_string_follows_strip_empty_characters(text: str, empty: bool) -> None:
    """Telegram refuses a message text exactly when tdlib's is_empty_string says it is empty."""
    assert is_empty_string(text) is empty
    assert (strip_empty_characters(text) == "") is empty


def test_strip_empty_characters_spaces_and_trims() -> None:
    """Unicode spaces inside become plain spaces; the ends are trimmed."""
    assert strip_empty_characters("\u3000a\u2800b\u00a0 ") == "a b\u00a0"


# fix_formatted_text: cleaned with the entities moved, whitespace-only entities dropped (not
# links, mentions, custom emoji, code), others start after their leading spaces; rtrim, and
# ltrim up to the first entity.
SHOWN: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("  Rain \n", "Rain", []),
    ("<b>Rain</b>\n<blockquote expandable></blockquote>", "Rain", [
        {"type": "bold", "offset": 0, "length": 4},
    ]),
    ("<b> Rain </b>", "Rain", [{"type": "bold", "offset": 0, "length": 4}]),
    ("a\u202e<b>b\r</b>c", "abc", [{"type": "bold", "offset": 1, "length": 1}]),
    ("a<i> </i>b", "a b", []),
    ('x<a href="https://t.me/"> </a>', "x", []),
    ('<a href="https://t.me/"> x</a>', " x", [
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://t.me/"},
    ]),
    ("\U0001f600\u2028<b>\U0001f600</b>", "\U0001f600\U0001f600", [
        {"type": "bold", "offset": 2, "length": 2},
    ]),
    (" \n ", "", []),
]  # fmt: skip


@pytest.mark.parametrize(("html", "text", "entities"), SHOWN)
def test_telegram_shows_follows_fix_formatted_text(
    html: str, text: str, entities: list[dict[str, Any]]
) -> None:
    """The text Telegram keeps, and its entities moved, shortened or dropped with it."""
    shown = telegram_shows(parse_telegram_html(html))
    assert shown == ParsedText(text=text, entities=entities)


@pytest.mark.parametrize(
    ("html", "fixed"),
    [
        ("<b>Rain</b>\n<blockquote expandable></blockquote>",
         "<b>Rain</b><blockquote expandable></blockquote>"),
        ("<b>Rain \n</b>\n\n", "<b>Rain</b>"),
        (" &#32;<i>\u00a0x</i>&#10;", "<i>x</i>"),
        ("a\u202e&#x202E;b\r\nc", "ab\nc"),
        ("\u200e\u200e<b>x</b>", "\u200c\u200e<b>x</b>"),
        ('<a href="https://t.me/">x</a>', '<a href="https://t.me/">x</a>'),
    ],
)  # fmt: skip
def test_shown_html_parses_to_what_telegram_shows(html: str, fixed: str) -> None:
    """The markup is changed where Telegram changes its text, and only there."""
    assert shown_html(html) == fixed
    parsed = parse_telegram_html(fixed)
    assert telegram_shows(parsed).text == parsed.text


@pytest.mark.parametrize(
    ("text", "shows"),
    [
        ("Rain", True),
        ("क्ष", True),
        ("\u0301", True),  # a combining mark alone shows, on a dotted circle
        ("\ue000", True),  # private use: a glyph of the font
        ("", False),
        ("\u202e", False),  # deleted by Telegram
        ("\u2066\u2069\u200e\u200f\u200c\u200d", False),  # bidi controls, ZWNJ, ZWJ alone
        ("\u3164\u115f\u1160\uffa0", False),  # Hangul fillers: letters that draw nothing
        ("\u034f\ufe0f\U000e0100", False),  # default-ignorable marks
        ("\u2800\ufffc", False),  # Telegram counts them as spaces
        ("\uffff\ufdd0", False),  # noncharacters
        ("\u030a", False),  # a combining mark Telegram deletes
    ],
)
def test_visible_is_what_survives_and_draws(text: str, shows: bool) -> None:
    """Visible: survives tdlib's cleaning and stripping and is not default-ignorable."""
    assert visible(text) is shows
