"""Pure: hashtags made of an entry's categories, each one hashtag as Telegram reads it.

>>> hashtags(["World news", "#Climate change", "world-news", "2024", "東京", "Sport"])
['#WorldNews', '#ClimateChange', '#東京']

:func:`normalize_tag` keeps letters, digits, marks and ``_`` of any script (a Devanagari vowel
sign is a mark, and the word is wrong without it), drops a leading ``#``, and joins words:
CamelCased when every word starts with a cased letter (``climate change`` → ``ClimateChange``),
else with ``_`` (``कोविड 19`` → ``कोविड_19``). A tag longer than :data:`MAX_TAG_LENGTH`, or
without a letter (``2024``), is dropped; so are duplicates, compared case-insensitively.

A category whose name holds a symbol a hashtag cannot (``C++``, ``C#``, ``.NET``, ``J&K``,
``AT&T``, ``Disney+``) makes no tag: ``#C``, ``#NET`` or ``#JK`` would be another subject, and
a reader tapping it would find that one. A dot inside a word only joins (``U.S.`` → ``US``,
``Node.js`` → ``NodeJs``, ``ASP.NET`` → ``ASPNET``): the tag is the name as people write it as a
hashtag (``#nodejs``), the same subject. ``&`` or ``+`` between spaced words
(``Arts & Culture``) only separates them.

Telegram (tdlib's ``match_hashtags``, which the Bot API server runs too) makes a hashtag entity
only of a ``#`` followed by letters (Unicode ``L*``), decimal digits, ``_``, U+200C, U+00B7 and
anything in the Sinhala block, with at least one letter. Marks are not among them: ``#क्रिकेट``
would be a hashtag ``#क`` followed by plain text, and a reader tapping it would search for
something else. :func:`hashtags` therefore emits only tags Telegram reads whole
(:func:`is_telegram_hashtag`), so most Devanagari and Bengali words, whose vowel signs are
marks, make no hashtag at all until Telegram changes its rule.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_TAG_LENGTH", "hashtags", "is_telegram_hashtag", "normalize_tag"]

#: Longest tag kept, in code points without the ``#``.
MAX_TAG_LENGTH: Final = 32
#: Characters tdlib counts as part of a hashtag besides letters and decimal digits.
_EXTRA: Final = frozenset("_\u200c\u00b7")
#: Dropped inside a word rather than splitting it: "Women's" → "Womens"; ZWJ inside a conjunct.
_APOSTROPHES: Final = frozenset("'’ʼ‍")


def _word_char(char: str) -> bool:
    """Whether ``char`` is kept inside a tag: a letter, digit, mark, ``_`` or ZWNJ."""
    return char in _EXTRA or (unicodedata.category(char)[0] in "LMN" and char.isprintable())


def _hashtag_char(char: str) -> bool:
    """tdlib's ``is_hashtag_letter``."""
    category = unicodedata.category(char)
    return char in _EXTRA or 0x0D80 <= ord(char) <= 0x0DFF or category[0] == "L" or category == "Nd"


def is_telegram_hashtag(tag: str) -> bool:
    """Whether ``#tag`` (``tag`` with or without its ``#``) is one whole Telegram hashtag."""
    tag = tag.removeprefix("#")
    return (
        0 < len(tag) <= 256
        and all(_hashtag_char(char) for char in tag)
        and any(unicodedata.category(char)[0] == "L" for char in tag)
    )


def _meaningful_symbol(text: str) -> bool:
    """Whether ``text`` has a symbol that is part of a name and a tag could not keep.

    ``+`` or ``#`` after a letter or digit (``C++``, ``C#``, ``Disney+``), ``&`` between two
    (``J&K``, ``AT&T``, ``R&D``), ``+`` before one, and a ``.`` starting a word (``.NET``):
    without them the tag names something else (``#C``, ``#JK``, ``#NET``).
    """
    padded = f" {text} "
    for i in range(1, len(padded) - 1):
        before, char, after = padded[i - 1], padded[i], padded[i + 1]
        if char in "+#" and _word_char(before):
            return True
        if char == "+" and _word_char(after):
            return True
        if char == "&" and _word_char(before) and _word_char(after):
            return True
        if char == "." and before.isspace() and _word_char(after):
            return True
    return False


def normalize_tag(category: str) -> str | None:
    """``category`` as a tag (without ``#``), or ``None`` when nothing usable is left, or
    when what is left would name something else (:func:`_meaningful_symbol`)."""
    category = unicodedata.normalize("NFC", category).strip()
    if _meaningful_symbol(category.removeprefix("#")):
        return None
    words: list[str] = []
    current: list[str] = []
    for char in category + " ":
        if _word_char(char):
            current.append(char)
        elif char not in _APOSTROPHES:
            words.append("".join(current).strip("_\u200c"))
            current = []
    words = [word for word in words if word]
    if not words:
        return None
    if len(words) == 1:
        tag = words[0]
    elif all(word[0].lower() != word[0].upper() for word in words):
        tag = "".join(word[0].upper() + word[1:] for word in words)
    else:
        tag = "_".join(words)
    if len(tag) > MAX_TAG_LENGTH or not any(unicodedata.category(c)[0] == "L" for c in tag):
        return None
    return tag


def hashtags(categories: Iterable[str], limit: int = 3) -> list[str]:
    """At most ``limit`` hashtags (``#Tag``) of ``categories``, in their order, each one whole
    Telegram hashtag; ``limit`` 0 gives none."""
    found: list[str] = []
    seen: set[str] = set()
    for category in categories:
        if len(found) >= limit:
            break
        tag = normalize_tag(category)
        if tag is None or not is_telegram_hashtag(tag) or tag.casefold() in seen:
            continue
        seen.add(tag.casefold())
        found.append("#" + tag)
    return found
