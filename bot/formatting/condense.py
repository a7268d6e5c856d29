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
``the U.S. Senate``) or after a common abbreviation that precedes a name or number (``Mr.
Smith``, ``Dr.``, ``No. 5``). Decimal numbers (``3.5``) never split, as no whitespace follows.
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
        "supt", "insp", "no", "nos", "nr", "fig", "figs", "vol", "pp", "ch", "sec", "art",
        "vs", "v", "approx", "ca", "cf", "al", "inc", "ltd", "co", "corp", "bros", "dept",
        "univ", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
        "dec", "shri", "smt",
    }
)  # fmt: skip

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
    return word[:-1].lower() not in ABBREVIATIONS


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


def _joins_previous(char: str) -> bool:
    """True for a character that belongs to the one before it (a mark, a joiner, a selector)."""
    return unicodedata.category(char) in ("Mn", "Mc", "Me") or char in "\u200c\u200d\ufe0f\ufe0e"


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` code points, else cut at a word boundary plus ``…``.

    The cut is at the last whitespace within the limit, so no word is cut; a text without any
    whitespace there is cut after ``limit - 1`` code points (never between a letter and its
    combining marks). Line breaks inside the kept part are kept.
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
    while cut > 0 and (_joins_previous(text[cut]) or _joins_previous(text[cut - 1])):
        cut -= 1
    return text[:cut] + ELLIPSIS


def condense(text: str, limit: int = 320) -> str:
    """Whole sentences from the start of ``text``, as many as fit in ``limit`` code points.

    The result is one paragraph. When even the first sentence is longer than ``limit`` it is
    cut at a word boundary and ends with ``…`` (see :func:`truncate`). Empty in, empty out.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    summary = ""
    for sentence in split_sentences(text):
        candidate = f"{summary} {sentence}" if summary else sentence
        if len(candidate) > limit:
            break
        summary = candidate
    return summary or truncate(text, limit)
