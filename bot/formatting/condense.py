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
from typing import Final

import regex

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
#: One user-perceived character (UAX #29 extended grapheme cluster, with Indic conjuncts):
#: the standard library has no such pattern; the ``regex`` module's ``\X`` is kept current.
_GRAPHEME_CLUSTER: Final = regex.compile(r"\X")

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
    cut = 0
    for cluster in _GRAPHEME_CLUSTER.finditer(text):
        if cluster.end() > limit - 1:
            break
        cut = cluster.end()
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
