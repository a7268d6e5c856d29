"""Pure: the language an article is written in, guessed from the scripts of its letters.

>>> detect_language("भारत ने फाइनल जीता")
'hi'
>>> detect_language("Storm closes the harbour")
'en'

Only the scripts newsbot's publishers write in are told apart, by counting letters (vowel signs
and other marks count with their script):

=========  ==============================================  ========
script     blocks                                          language
=========  ==============================================  ========
Devanagari 0900-097F, A8E0-A8FF, 1CD0-1CFF                 ``hi``
Arabic     0600-06FF, 0750-077F, 08A0-08FF, FB50-FDFF, …   ``ur``
Bengali    0980-09FF                                       ``bn``
CJK        Han ideographs, with any kana                   ``zh`` / ``ja``
Latin      A-Z, Latin-1, Latin Extended                    ``en``
=========  ==============================================  ========

The script with the most letters wins; a tie goes to the non-Latin script ("BBC اردو" is
Urdu). Limits: a script is not a language. Marathi and Nepali read as ``hi``, Arabic and
Persian as ``ur``, Assamese as ``bn``, every Latin-script language as ``en``; Chinese with a
single kana character (a Japanese brand name) reads as ``ja``, and Japanese written only in
kanji as ``zh``. Any other script (Cyrillic, Tamil, Hangul…), or a text without letters, is
``None``.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["LANGUAGES", "detect_language"]

#: The languages :func:`detect_language` can answer.
LANGUAGES: Final = ("en", "hi", "ur", "bn", "zh", "ja")

_RANGES: Final[tuple[tuple[int, int, str], ...]] = (
    (0x0041, 0x005A, "latin"),
    (0x0061, 0x007A, "latin"),
    (0x00C0, 0x024F, "latin"),
    (0x0600, 0x06FF, "arab"),
    (0x0750, 0x077F, "arab"),
    (0x08A0, 0x08FF, "arab"),
    (0x0900, 0x097F, "deva"),
    (0x0980, 0x09FF, "beng"),
    (0x1CD0, 0x1CFF, "deva"),
    (0x1E00, 0x1EFF, "latin"),
    (0x2C60, 0x2C7F, "latin"),
    (0x3040, 0x30FF, "kana"),
    (0x31F0, 0x31FF, "kana"),
    (0x3400, 0x4DBF, "han"),
    (0x4E00, 0x9FFF, "han"),
    (0xA720, 0xA7FF, "latin"),
    (0xA8E0, 0xA8FF, "deva"),
    (0xF900, 0xFAFF, "han"),
    (0xFB50, 0xFDFF, "arab"),
    (0xFE70, 0xFEFF, "arab"),
    (0xFF21, 0xFF3A, "latin"),
    (0xFF41, 0xFF5A, "latin"),
    (0xFF66, 0xFF9F, "kana"),
    (0x20000, 0x2FFFF, "han"),
)
#: How much of a text its language is told from.
SAMPLE_CHARS: Final = 400
_LANGUAGE_OF: Final = {"deva": "hi", "arab": "ur", "beng": "bn", "latin": "en"}


def _script(char: str) -> str | None:
    code = ord(char)
    for low, high, script in _RANGES:
        if low <= code <= high:
            return script
        if code < low:
            break
    return None


def detect_language(text: str) -> str | None:
    """The language of ``text`` by the script most of its letters are in, or ``None``.

    Only the first :data:`SAMPLE_CHARS` characters are looked at: a lead's language is the
    article's, and a 2,000-character summary would cost a post five times as much.
    """
    counts = {"deva": 0, "arab": 0, "beng": 0, "han": 0, "kana": 0, "latin": 0, "other": 0}
    for char in text[:SAMPLE_CHARS]:
        category = unicodedata.category(char)
        if category[0] not in "LM" or category == "Lm":  # digits, marks of punctuation…
            continue
        script = _script(char)
        if script is not None:
            counts[script] += 1
        elif category[0] == "L":
            counts["other"] += 1
    cjk = counts["han"] + counts["kana"]
    # Ties go to the first: every non-Latin script comes before Latin, "other" last.
    candidates = [
        ("deva", counts["deva"]),
        ("arab", counts["arab"]),
        ("beng", counts["beng"]),
        ("cjk", cjk),
        ("latin", counts["latin"]),
        ("other", counts["other"]),
    ]
    best, count = max(candidates, key=lambda pair: pair[1])
    if count == 0 or best == "other":
        return None
    if best == "cjk":
        return "ja" if counts["kana"] else "zh"
    return _LANGUAGE_OF[best]
