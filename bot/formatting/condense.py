"""The short summary a person would write: whole sentences from the start of a text.

>>> condense("First one. Second one. Third one.", limit=25)
'First one. Second one.'
>>> condense("A sentence far too long for the limit", limit=20)
'A sentence far too…'

Lengths are counted in code points, as Telegram counts them. A summary is one paragraph: the
text's line and paragraph breaks become single spaces.

Sentences end after ``. ! ? …`` (and ``...``), the Devanagari danda ``।`` and double danda
``॥``, the Urdu full stop ``۔`` and the Arabic question mark ``؟`` — possibly followed by
closing quotes or brackets — when whitespace follows. For the Latin-script marks the end is
not taken when the next word starts with a lower-case letter (``e.g. this``, ``U.S.
officials``), and a full stop is not taken after an initial or initialism (``J. K. Rowling``,
``the U.S. Senate``) or after a common abbreviation that precedes a name (``Mr. Smith``,
``Dr.``, ``et al.``). Abbreviations that are also ordinary words (``no``, ``art``, ``sec``, and
the months: ``Dec``) count only before a number (``No. 5``, ``Dec. 25``): "Voters said no. Turnout
was low." is two sentences. Decimal numbers (``3.5``) never split, as no whitespace follows.

A text cut off by its feed ends in a sentence that ends in ``…``, ``...``, ``[…]`` or ``[...]``;
:func:`condense` leaves that sentence out when a whole one comes before it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["ELLIPSIS", "condense", "split_sentences", "truncate"]

ELLIPSIS: Final = "…"

#: Marks that end a sentence, and the marks that end it only in Latin-like scripts (cased).
_TERMINATORS: Final = ".!?…।॥۔؟"
_CASED_TERMINATORS: Final = ".!?…"
_CLOSERS: Final = "\"'”’»)]}›"

_SENTENCE_END: Final = re.compile(
    f"[{re.escape(_TERMINATORS)}]+[{re.escape(_CLOSERS)}]*(?=\\s)",
)

#: Abbreviations after which a full stop does not end the sentence (compared lower-cased).
ABBREVIATIONS: Final = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov",
        "sen", "rep", "lt", "col", "capt", "cpt", "sgt", "maj", "adm", "rev", "hon", "pres",
        "supt", "insp", "vs", "v", "approx", "ca", "cf", "inc", "ltd", "corp", "bros", "dept",
        "univ", "shri", "smt",
    }
)  # fmt: skip

#: Abbreviations that are also ordinary words, or that number things: they end no sentence
#: only when a number follows ("No. 5", "Art. 12", "Dec. 25"), else "said no." ends one.
NUMBER_ABBREVIATIONS: Final = frozenset(
    {
        "no", "nos", "nr", "fig", "figs", "vol", "pp", "ch", "sec", "art",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip

#: Abbreviations that count only after a given word: "et al." (but "al." is a name).
_AFTER_WORD: Final = {"al": frozenset({"et"})}
#: Abbreviations that count only written just so: "Ford Motor Co. said" (but "CO." is a gas).
_WRITTEN: Final = frozenset({"Co"})

#: How a feed marks a text it cut off (the last sentence then is not whole).
_CUT_MARKS: Final = ("[…]", "[...]", "…", "...")

_INITIALISM: Final = re.compile(r"^(?:[^\W\d_]\.)+$")

#: Punctuation that looks wrong right before an ellipsis ("word,…"), stripped there.
_DANGLING: Final = ",;:–—-/([{«“‘\"'"


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether the terminator ``match`` in ``text`` really ends a sentence."""
    marks = match.group().rstrip(_CLOSERS)
    if not any(mark in _CASED_TERMINATORS for mark in marks):
        return True  # danda, Urdu full stop, Arabic question mark: no cases, no abbreviations
    rest = text[match.end() :].lstrip()
    if rest and rest[0].islower():
        return False
    if marks != ".":
        return True
    word_start = text.rfind(" ", 0, match.start()) + 1
    word = text[word_start : match.end()].lstrip(_CLOSERS + "“‘«(")
    if _INITIALISM.match(word):
        return False
    name = word[:-1].lower()
    if name in ABBREVIATIONS or word[:-1] in _WRITTEN:
        return False
    if name in NUMBER_ABBREVIATIONS:
        return not (rest and rest[0].isdigit())
    if name in _AFTER_WORD:
        before = text[:word_start].rsplit(None, 1)[-1:]
        return not (before and before[0].lower() in _AFTER_WORD[name])
    return True


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (one paragraph, whitespace collapsed), each stripped."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_sentence(text, match):
            sentences.append(text[start : match.end()].strip())
            start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return [sentence for sentence in sentences if sentence]


def _extends(char: str) -> bool:
    """True for a character that never starts a grapheme cluster (a mark, a joiner, a modifier).

    UAX #29's Extend, ZWJ and SpacingMark, less the few exceptions that matter nowhere here.
    """
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in "\u200c\u200d\u0e33\u0eb3\uff9e\uff9f"
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences (subdivision flags)
    )


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


#: Hangul jamo: leading consonants, vowels, trailing consonants (UAX #29's L, V and T).
_HANGUL_L: Final = ((0x1100, 0x115F), (0xA960, 0xA97C))
_HANGUL_V: Final = ((0x1160, 0x11A7), (0xD7B0, 0xD7C6))
_HANGUL_T: Final = ((0x11A8, 0x11FF), (0xD7CB, 0xD7FB))


def _hangul(char: str) -> str:
    """The Hangul syllable type of ``char``: "L", "V", "T", "LV", "LVT" or ""."""
    code = ord(char)
    for kind, ranges in (("L", _HANGUL_L), ("V", _HANGUL_V), ("T", _HANGUL_T)):
        if any(low <= code <= high for low, high in ranges):
            return kind
    if 0xAC00 <= code <= 0xD7A3:
        return "LV" if (code - 0xAC00) % 28 == 0 else "LVT"
    return ""


def _is_cluster_boundary(text: str, index: int) -> bool:
    """Whether a grapheme cluster may end before ``text[index]`` (UAX #29, extended clusters).

    Letters keep their combining marks, vowel signs and viramas, emoji their selectors, skin
    tones and keycaps, ZWJ sequences stay whole and regional indicators pair into flags.
    """
    if index <= 0 or index >= len(text):
        return True
    before, char = text[index - 1], text[index]
    if before == "\r" and char == "\n":
        return False
    if unicodedata.category(before) in ("Cc", "Zl", "Zp") or char in "\r\n":
        return True
    if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
        return True
    if _extends(char):
        return False
    if before == "\u200d":
        return False  # a ZWJ sequence (emoji, or a Devanagari half form) goes on
    if _is_regional_indicator(before) and _is_regional_indicator(char):
        run = 0
        while index - run - 1 >= 0 and _is_regional_indicator(text[index - run - 1]):
            run += 1
        return run % 2 == 0
    kind_before, kind = _hangul(before), _hangul(char)
    if kind_before == "L" and kind in ("L", "V", "LV", "LVT"):
        return False
    if kind_before in ("LV", "V") and kind in ("V", "T"):
        return False
    return not (kind_before in ("LVT", "T") and kind == "T")


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` code points, else cut at a word boundary plus ``…``.

    The cut is at the last whitespace within the limit, so no word is cut; a text without any
    whitespace there is cut within ``limit - 1`` code points at the last grapheme cluster
    boundary, so no letter loses its marks and no emoji or flag is split. Line breaks inside
    the kept part are kept.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = next((i for i in range(limit - 1, 0, -1) if text[i].isspace()), 0)
    if cut:
        kept = text[:cut].rstrip()
        tidy = kept.rstrip(_DANGLING + " ")
        return (tidy or kept) + ELLIPSIS
    cut = limit - 1
    while not _is_cluster_boundary(text, cut):
        cut -= 1
    return text[:cut] + ELLIPSIS


def _without_cut_off_end(text: str) -> str:
    """``text`` without a last sentence its feed cut off (``Critics said it was […]``).

    The sentence goes only when a whole sentence comes before it.
    """
    if not text.endswith(_CUT_MARKS):
        return text
    sentences = split_sentences(text)
    if len(sentences) < 2:
        return text
    return " ".join(sentences[:-1])


def condense(text: str, limit: int = 320) -> str:
    """Whole sentences from the start of ``text``, as many as fit in ``limit`` code points.

    The result is one paragraph. When even the first sentence is longer than ``limit`` it is
    cut at a word boundary and ends with ``…`` (see :func:`truncate`). A last sentence the feed
    cut off (ending in ``…`` or ``[…]``) is left out when a whole sentence comes before it.
    Empty in, empty out.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    text = _without_cut_off_end(" ".join(text.split()))
    if len(text) <= limit:
        return text
    summary = ""
    for sentence in split_sentences(text):
        candidate = f"{summary} {sentence}" if summary else sentence
        if len(candidate) > limit:
            break
        summary = candidate
    return summary or truncate(text, limit)
