"""What readers and editors read, in their language: gettext catalogues built with Babel.

::

    t = translator_for("hi")                     # cached; an unknown language is English
    t.gettext("Hello{name}!", name=", Asha")     # str.format-style named placeholders
    t.ngettext("{count} reader", "{count} readers", 3, count=3)

The catalogues are ``locales/<lang>/LC_MESSAGES/newsbot.po``, compiled into memory when first
asked for (no ``.mo`` file, no build step). English is the source language: its msgids are the
English texts, so a msgid missing from a catalogue shows in English rather than not at all.
``make messages`` extracts the msgids from ``bot/`` and updates the catalogues.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALES",
    "Translator",
    "language_for",
    "supported",
    "translator_for",
]

DOMAIN: Final = "newsbot"
LOCALES: Final = Path(__file__).parent / "locales"
#: The languages newsbot speaks, each named in itself (the /language keyboard shows these).
LANGUAGES: Final[dict[str, str]] = {"en": "English", "hi": "हिंदी"}
DEFAULT_LANGUAGE: Final = "en"


def supported(code: str | None) -> str | None:
    """The catalogue of a language tag (``hi``, ``hi-IN``, ``hi_IN`` -> ``hi``), if any."""
    if not code:
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def language_for(chosen: str | None, telegram: str | None) -> str:
    """The language to speak: the reader's choice, else Telegram's ``language_code`` when there
    is a catalogue for it, else English."""
    return supported(chosen) or supported(telegram) or DEFAULT_LANGUAGE


class Translator:
    """One language's texts; placeholders are ``str.format`` names filled from ``params``."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str, **params: Any) -> str:
        """``message`` in this language, its ``{name}`` placeholders filled from ``params``."""
        text = self._translations.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """The form of ``singular``/``plural`` for ``n`` in this language, placeholders filled."""
        return self._translations.ngettext(singular, plural, n).format(**params)

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def _compile(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language`` read from its ``.po`` and compiled into memory."""
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def translator_for(language: str | None) -> Translator:
    """The translator for ``language`` (a tag such as ``hi-IN`` is fine); English if unknown.

    One translator per catalogue, compiled once and shared.
    """
    return _translator(supported(language) or DEFAULT_LANGUAGE)


@functools.cache
def _translator(code: str) -> Translator:
    return Translator(code, _compile(code))
