"""The short summary a person would write: whole sentences from the start of a text.

>>> condense("First one. Second one. Third one.", limit=25)
'First one. Second one.'
>>> condense("A sentence far too long for the limit", limit=20)
'A sentence far too…'
>>> condense("Share this\\n\\nThe harbour closed. Ferries stayed in port.")
'Share this\\nThe harbour closed. Ferries stayed in port.'

Lengths are counted in code points, as Telegram counts them.

Line and paragraph breaks
-------------------------
A line break (and so a paragraph break: HTML's block elements, ``<br>``, list items) always ends
a sentence: "…thinly disguised contempt" followed by a paragraph "Donald Trump has promised…" is
two sentences, never one. In the summary, a sentence that ends in a mark is followed by a space
(the paragraphs run on, as a lead does); a line that ends without a mark (a heading, a list item,
a line of a poem) is followed by a line break, so that it still reads as its own line. Blank
lines never appear in a summary.

Sentence ends
-------------
Sentences end after ``. ! ? …`` (and ``...``), the danda ``।`` and double danda ``॥``
(Devanagari, Bengali…), the Urdu full stop ``۔``, the Arabic question mark ``؟`` and the
Ethiopic ``።`` — possibly followed by closing quotes or brackets — when whitespace follows; and
after the CJK marks ``。 ？ ！ ｡`` (and their closing brackets ``」 』 ）``…) whether or not
whitespace follows, as Chinese and Japanese put none between sentences. Sentences after a CJK mark
are joined without a space. Emoji right after a sentence's end (``Big win! 🎉🇮🇳``) stay with it.

For the Latin-script marks the end is not taken when the next word starts with a lower-case
letter (``e.g. this``, ``U.S. officials``, ``10 a.m. tomorrow``), and a full stop is not taken
after an initial or initialism (``J. K. Rowling``, ``the U.S. Senate``) or after a common
abbreviation (``Mr. Smith``, ``Dr.``, ``Rs. 500``, ``et al.``). ``a.m.`` and ``p.m.`` (and other
lower-case initialisms) do end a sentence before a capital, unless a weekday, a month or a time
zone follows (``9 a.m. Monday``, ``6 p.m. IST``). Abbreviations that are also ordinary words
(``no``, ``art``, ``sec``, and the months: ``Dec``) count only before a number (``No. 5``,
``Dec. 25``): "Voters said no. Turnout was low." is two sentences. Decimal numbers (``3.5``)
never split, as no whitespace follows.

A text cut off by its feed ends in a sentence that ends in ``…``, ``...``, ``[…]`` or ``[...]``;
:func:`condense` leaves that sentence out when a whole one comes before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

import regex

__all__ = [
    "DEFAULT_LIMIT",
    "ELLIPSIS",
    "condense",
    "join_sentences",
    "split_first_sentence",
    "split_sentences",
    "truncate",
]

ELLIPSIS: Final = "…"

#: The summary budget of a post, in code points.
DEFAULT_LIMIT: Final = 350

#: Marks that end a sentence when whitespace follows, and those of them that are cased (Latin).
_TERMINATORS: Final = ".!?…।॥۔؟።"
_CASED_TERMINATORS: Final = ".!?…"
_CLOSERS: Final = "\"'”’»)]}›"
#: Chinese and Japanese marks, which end a sentence with no whitespace after them.
_CJK_TERMINATORS: Final = "。？！｡"
_CJK_CLOSERS: Final = "」』）】〕》〉”’\"'"

#: A run of marks is tried once, from its first mark (the lookbehinds): tried from every mark of
#: a run that no whitespace follows ("......" × 60,000 in a hostile feed), the search would be
#: quadratic, minutes for one entry.
_SENTENCE_END: Final = re.compile(
    f"(?<![{re.escape(_TERMINATORS)}])[{re.escape(_TERMINATORS)}]+[{re.escape(_CLOSERS)}]*(?=\\s)"
    f"|(?<![{re.escape(_CJK_TERMINATORS)}])[{re.escape(_CJK_TERMINATORS)}]+"
    f"[{re.escape(_CJK_CLOSERS)}]*"
)
#: Emoji (pictographs, flags, skin tones, ZWJ sequences) after a sentence's end mark, each run
#: after a space: they belong to that sentence ("Big win! 🎉🇮🇳").
_EMOJI: Final = r"[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u200d\ufe0f]"
_TRAILING_EMOJI: Final = regex.compile(f"(?:[^\\S\\n]+{_EMOJI}+)+(?=\\s|$)")

#: Abbreviations after which a full stop does not end the sentence (compared lower-cased).
ABBREVIATIONS: Final = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "ft", "gen", "gov",
        "sen", "rep", "lt", "col", "capt", "cpt", "sgt", "maj", "adm", "rev", "hon", "pres",
        "supt", "insp", "vs", "v", "approx", "ca", "cf", "inc", "ltd", "corp", "bros", "dept",
        "univ", "shri", "smt", "sh", "rs", "km", "hrs", "mins", "govt", "asst", "assn", "est",
        # Devanagari: "डॉ." (Dr.), "प्रो." (Prof.), "रु." (Rs.), "सं." (ed.)
        "डॉ", "प्रो", "रु", "सं",
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
#: Words after "a.m." or "p.m." that go on with its sentence ("9 a.m. Monday", "6 p.m. IST").
_TIME_FOLLOWERS: Final = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december", "jan", "feb", "mar", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "dec", "local", "eastern", "pacific",
        "central", "mountain",
    }
)  # fmt: skip

#: How a feed marks a text it cut off (the last sentence then is not whole).
_CUT_MARKS: Final = ("[…]", "[...]", "…", "...")

_INITIALISM: Final = re.compile(r"^(?:[^\W\d_]\.)+$")
#: A lower-case initialism such as "a.m.", "p.m.", "e.g.", "i.e.".
_LOWER_INITIALISM: Final = re.compile(r"^(?:[^\W\d_]\.){2,}$")
#: A time zone written in capitals after "a.m." ("IST", "ET", "GMT").
_TIME_ZONE: Final = re.compile(r"^[A-Z]{2,4}\b")
#: One user-perceived character (UAX #29 extended grapheme cluster, with Indic conjuncts):
#: the standard library has no such pattern; the ``regex`` module's ``\X`` is kept current.
_GRAPHEME_CLUSTER: Final = regex.compile(r"\X")

#: Punctuation that looks wrong right before an ellipsis ("word,…"), stripped there.
_DANGLING: Final = ",;:–—-/([{«“‘\"'"


#: How many characters around a mark decide whether it ends a sentence.
_LOOKAHEAD: Final = 64


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    """Whether the terminator ``match`` in ``text`` (one line) really ends a sentence."""
    marks = match.group().rstrip(_CLOSERS + _CJK_CLOSERS)
    if not any(mark in _CASED_TERMINATORS for mark in marks):
        return True  # danda, Urdu full stop, CJK marks: no cases, no abbreviations
    # What follows, as far as it is looked at (a word or two: the line's whitespace is
    # collapsed); the whole rest of a long line, for every mark in it, would be quadratic.
    rest = text[match.end() : match.end() + _LOOKAHEAD].lstrip()
    if rest and rest[0].islower():
        return False
    if marks != ".":
        return True
    word_start = text.rfind(" ", 0, match.start()) + 1
    word = text[word_start : match.end()].lstrip(_CLOSERS + "“‘«(")
    if _INITIALISM.match(word):
        if word.islower() and _LOWER_INITIALISM.match(word):
            # "a.m." before a capital ends its sentence, unless a day, month or zone follows.
            follower = rest.split(None, 1)[0].strip(",.;:").lower() if rest else ""
            return not (follower in _TIME_FOLLOWERS or _TIME_ZONE.match(rest))
        return False
    name = word[:-1].lower()
    if name in ABBREVIATIONS or word[:-1] in _WRITTEN:
        return False
    if name in NUMBER_ABBREVIATIONS:
        return not (rest and rest[0].isdigit())
    if name in _AFTER_WORD:
        before = text[max(0, word_start - _LOOKAHEAD) : word_start].rsplit(None, 1)[-1:]
        return not (before and before[0].lower() in _AFTER_WORD[name])
    return True


def _line_sentences(line: str) -> list[str]:
    """The sentences of one line (whitespace already collapsed), each stripped."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        if match.start() < start:  # inside emoji taken into the sentence before
            continue
        if _ends_sentence(line, match):
            end = match.end()
            emoji = _TRAILING_EMOJI.match(line, end)
            if emoji is not None:
                end = emoji.end()
            sentences.append(line[start:end].strip())
            start = end
    tail = line[start:].strip()
    if tail:
        sentences.append(tail)
    return [sentence for sentence in sentences if sentence]


def _lines(text: str) -> list[str]:
    """The non-blank lines of ``text``, whitespace collapsed in each."""
    return [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line]


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each stripped and with its whitespace collapsed.

    A line break ends a sentence wherever it is (see the module docstring).
    """
    return [sentence for line in _lines(text) for sentence in _line_sentences(line)]


def _has_end_mark(sentence: str) -> bool:
    """Whether ``sentence`` ends in a terminator (before closers and emoji)."""
    bare = _TRAILING_EMOJI.sub("", sentence).rstrip(_CLOSERS + _CJK_CLOSERS)
    return bool(bare) and bare[-1] in _TERMINATORS + _CJK_TERMINATORS


def _ends_cjk(sentence: str) -> bool:
    bare = sentence.rstrip(_CJK_CLOSERS)
    return bool(bare) and bare[-1] in _CJK_TERMINATORS


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The sentences of ``text``, each with whether it ends a line of the text."""
    pieces: list[tuple[str, bool]] = []
    for line in _lines(text):
        sentences = _line_sentences(line)
        pieces.extend(
            (sentence, index == len(sentences) - 1) for index, sentence in enumerate(sentences)
        )
    return pieces


def _joiner(sentence: str, *, line_end: bool) -> str:
    """What goes between ``sentence`` and the next one in a summary."""
    if _ends_cjk(sentence):
        return ""
    if line_end and not _has_end_mark(sentence):
        return "\n"
    return " "


def _join(pieces: Sequence[tuple[str, bool]]) -> str:
    parts: list[str] = []
    for index, (sentence, _) in enumerate(pieces):
        if index:
            previous, previous_end = pieces[index - 1]
            parts.append(_joiner(previous, line_end=previous_end))
        parts.append(sentence)
    return "".join(parts)


def join_sentences(sentences: Sequence[str]) -> str:
    """Sentences of one line joined as they are written: a space, none after a CJK mark."""
    return _join([(sentence, False) for sentence in sentences])


def split_first_sentence(text: str) -> tuple[str, str]:
    """The first sentence of ``text`` and the rest of the text, its paragraphs kept.

    >>> split_first_sentence("Storm hits. Ferries stay.\\n\\nMore tomorrow.")
    ('Storm hits.', 'Ferries stay.\\n\\nMore tomorrow.')
    """
    text = text.strip()
    line, newline, after = text.partition("\n")
    sentences = _line_sentences(" ".join(line.split()))
    if not sentences:
        return "", after.strip()
    rest_of_line = join_sentences(sentences[1:])
    rest = rest_of_line + newline + after if rest_of_line else after
    return sentences[0], rest.strip()


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


def _without_cut_off_end(pieces: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """``pieces`` without a last sentence its feed cut off (``Critics said it was […]``).

    The sentence goes only when a whole sentence comes before it.
    """
    if len(pieces) < 2 or not pieces[-1][0].endswith(_CUT_MARKS):
        return pieces
    return pieces[:-1]


def condense(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """Whole sentences from the start of ``text``, as many as fit in ``limit`` code points.

    At least one sentence: when even the first is longer than ``limit`` it is cut at a word
    boundary and ends with ``…`` (see :func:`truncate`). Paragraphs run on: sentences are joined
    by a space, or by a line break after a line that had no end mark (see the module
    docstring); the result holds no blank line. A last sentence the feed cut off (ending in
    ``…`` or ``[…]``) is left out when a whole sentence comes before it. Empty in, empty out.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    pieces = _without_cut_off_end(_pieces(text))
    whole = _join(pieces)
    if len(whole) <= limit:
        return whole
    length = count = 0
    for index, (sentence, _) in enumerate(pieces):
        if index:
            previous, previous_end = pieces[index - 1]
            length += len(_joiner(previous, line_end=previous_end))
        length += len(sentence)
        if length > limit:
            break
        count = index + 1
    if count:
        return _join(pieces[:count])
    return truncate(whole, limit)
