"""Editorial rules: a feed's include and exclude words (pure: no I/O).

An editor writes each list as comma-separated phrases; :func:`parse_phrases` cleans them, and
:class:`Rules` decides whether an article may be published::

    from bot.editorial import Rules, parse_phrases

    rules = Rules(include=("cricket", "विश्व कप"), exclude=tuple(parse_phrases("sponsored")))
    rules.admits("World Cup: India win", "…", ["Cricket"])   # True: "cricket" is a category
    rules.keeps_out("Sponsored: a new phone", "", [])         # "exclude: 'sponsored'"

An article is published only if its headline, summary or one of its categories holds one of
the include phrases (when there are any) and none of them holds an exclude phrase.

How phrases match:

- case- and form-blind: both sides are NFC-normalised, casefolded (``Straße`` = ``STRASSE``)
  and normalised again;
- whole words only: ``sale`` does not match ``wholesale``, and ``खेल`` does not match
  ``खेलना`` or ``खेला``. Python's ``re`` gets Indian scripts wrong here (it counts a vowel sign
  or a virama as the end of a word, so ``क`` would match inside ``क्या``); the ``regex``
  module's ``\\w`` knows that marks and joiners belong to the word;
- a phrase of several words matches across any run of whitespace (``paid  post`` on two
  lines), never across fields: a phrase is not found half in the headline, half in a category;
- punctuation is not part of a word: ``sponsored`` matches ``Sponsored:`` and ``(sponsored)``,
  but an apostrophe or hyphen is not glossed over (``paid post`` does not match
  ``paid-post``);
- a phrase is always text, never a pattern: every character is escaped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import regex

from bot.errors import RuleError

__all__ = ["MAX_PHRASES", "MAX_PHRASE_LENGTH", "Rules", "admits", "normalise", "parse_phrases"]

#: The most phrases one list (include or exclude) may hold.
MAX_PHRASES: Final = 50
#: The longest phrase, in characters (after cleaning).
MAX_PHRASE_LENGTH: Final = 100

_SPACE = regex.compile(r"\s+")


def normalise(text: str) -> str:
    """``text`` as rules compare it: NFC, casefolded, NFC again, whitespace collapsed."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return _SPACE.sub(" ", folded).strip()


def _clean(phrase: str) -> str:
    """A phrase as stored: NFC, whitespace collapsed (its case kept, as the editor wrote it)."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", phrase)).strip()


def parse_phrases(text: str | Iterable[str], *, what: str = "words") -> list[str]:
    """The phrases of a comma-separated list (``"sponsored, paid post"``), or of a list of
    them: cleaned, empty ones dropped, each once (compared as rules compare them).

    Raises :class:`~bot.errors.RuleError` for more than :data:`MAX_PHRASES` phrases or one
    longer than :data:`MAX_PHRASE_LENGTH` characters; ``what`` names the list in the message.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    phrases: list[str] = []
    keys: set[str] = set()
    for part in parts:
        phrase = _clean(part)
        if not phrase or normalise(phrase) in keys:
            continue
        if len(phrase) > MAX_PHRASE_LENGTH:
            raise RuleError(
                f"{what}: a phrase may be at most {MAX_PHRASE_LENGTH} characters long, "
                f"not {len(phrase)} ({phrase[:30]!r}…)"
            )
        keys.add(normalise(phrase))
        phrases.append(phrase)
    if len(phrases) > MAX_PHRASES:
        raise RuleError(f"{what}: at most {MAX_PHRASES} phrases, not {len(phrases)}")
    return phrases


@lru_cache(maxsize=1024)
def _pattern(phrases: tuple[str, ...]) -> regex.Pattern[str]:
    """One pattern finding any of ``phrases`` (normalised) as whole words."""
    alternatives = sorted(
        (r"\s+".join(regex.escape(word) for word in normalise(p).split(" ")) for p in phrases),
        key=len,
        reverse=True,
    )
    return regex.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _fields(title: str | None, summary: str | None, categories: Iterable[str] | None) -> list[str]:
    return [normalise(text) for text in (title, summary, *(categories or ())) if text]


def _found(phrases: tuple[str, ...], fields: Sequence[str]) -> str | None:
    """The first of ``phrases`` some field holds (as the editor wrote it), if any."""
    if not phrases:
        return None
    pattern = _pattern(phrases)
    for text in fields:
        match = pattern.search(text)
        if match is not None:
            hit = _SPACE.sub(" ", match.group())
            return next((p for p in phrases if normalise(p) == hit), hit)
    return None


@dataclass(frozen=True, slots=True)
class Rules:
    """A feed's editorial rules: ``include`` (empty: everything may be published) and
    ``exclude`` phrases, each a plain word or phrase."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Clean both lists (:func:`parse_phrases`): RuleError beyond the bounds."""
        object.__setattr__(self, "include", tuple(parse_phrases(self.include, what="include")))
        object.__setattr__(self, "exclude", tuple(parse_phrases(self.exclude, what="exclude")))

    @classmethod
    def stored(cls, include: object, exclude: object) -> Rules | None:
        """The rules of a feed's row (its JSON ``include_words``, ``exclude_words``), or None
        when it has none. What is not a list of strings is ignored; too many or too long
        phrases (stored some other way) are cut to the bounds rather than refused."""

        def phrases(value: object) -> list[str]:
            if not isinstance(value, list):
                return []
            kept = [_clean(p)[:MAX_PHRASE_LENGTH] for p in value if isinstance(p, str)]
            return kept[:MAX_PHRASES]

        rules = cls(tuple(phrases(include)), tuple(phrases(exclude)))
        return rules if rules else None

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def keeps_out(
        self,
        title: str | None,
        summary: str | None = None,
        categories: Iterable[str] | None = None,
    ) -> str | None:
        """Why the rules keep an article out (``exclude: "sponsored"``, ``include: none of
        cricket, football``), or None when it may be published."""
        if not self:
            return None
        fields = _fields(title, summary, categories)
        excluded = _found(self.exclude, fields)
        if excluded is not None:
            return f"exclude: {excluded!r}"
        if self.include and _found(self.include, fields) is None:
            return "include: none of " + ", ".join(self.include)[:200]
        return None

    def admits(
        self,
        title: str | None,
        summary: str | None = None,
        categories: Iterable[str] | None = None,
    ) -> bool:
        """Whether an article with this headline, summary and categories may be published."""
        return self.keeps_out(title, summary, categories) is None

    def describe(self) -> str:
        """The rules in a few words (``include: a, b; exclude: c``); "" for none."""
        parts = []
        if self.include:
            parts.append("include: " + ", ".join(self.include))
        if self.exclude:
            parts.append("exclude: " + ", ".join(self.exclude))
        return "; ".join(parts)


def admits(
    rules: Rules | None,
    title: str | None,
    summary: str | None = None,
    categories: Iterable[str] | None = None,
) -> bool:
    """Whether ``rules`` (None: no rules) let an article with this headline, summary and
    categories be published."""
    return rules is None or rules.admits(title, summary, categories)
