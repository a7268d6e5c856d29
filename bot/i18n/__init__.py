"""What readers and editors read, in their language: gettext catalogues built with Babel.

::

    t = translator_for("hi")                     # cached; an unknown language is English
    t.gettext("Hello{name}!", name=", Asha")     # str.format-style named placeholders
    t.ngettext("{count} reader", "{count} readers", 3, count=3)

The catalogues are ``locales/<lang>/LC_MESSAGES/newsbot.po``, compiled into memory when first
asked for (no ``.mo`` file, no build step). English is the source language: its msgids are the
English texts, so a msgid missing from a catalogue shows in English rather than not at all.
``make messages`` extracts the msgids from ``bot/`` and updates the catalogues.

A second domain, ``posts`` (``locales/<lang>/LC_MESSAGES/posts.po``), holds the few words newsbot
puts in the posts themselves: they follow the article's language, not the reader's, so it covers
the languages articles are detected in (:data:`POST_LANGUAGES`)::

    post_labels("hi").read_more                  # "पूरी खबर पढ़ें"; PostOptions(labels=post_labels)

Its msgids are marked with ``post_text(...)`` (``make messages`` extracts that keyword alone into
``posts.pot``), so they never mix with the chat's texts.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path
from typing import Any, Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.formatting.post import PostLabels

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LOCALES",
    "POSTS_DOMAIN",
    "POST_LANGUAGES",
    "Translator",
    "base_language",
    "language_for",
    "post_labels",
    "supported",
    "translator_for",
]

DOMAIN: Final = "newsbot"
#: The domain of the words in posts (:func:`post_labels`).
POSTS_DOMAIN: Final = "posts"
LOCALES: Final = Path(__file__).parent / "locales"
#: The languages newsbot speaks, each named in itself (the /language keyboard shows these).
LANGUAGES: Final[dict[str, str]] = {"en": "English", "hi": "हिंदी"}
#: The languages of the ``posts`` catalogues: those :func:`bot.formatting.detect_language` finds.
POST_LANGUAGES: Final = ("en", "hi", "ur", "bn", "zh", "ja")
DEFAULT_LANGUAGE: Final = "en"


def base_language(tag: str | None) -> str:
    """The language of a tag: ``hi-IN``, ``hi_IN`` and ``HI`` are ``hi``; ``""`` for none."""
    return (tag or "").strip().replace("_", "-").split("-")[0].lower()


def supported(code: str | None) -> str | None:
    """The catalogue of a language tag (``hi``, ``hi-IN``, ``hi_IN`` -> ``hi``), if any."""
    base = base_language(code)
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


def _compile(language: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The catalogue of ``language`` in ``domain`` read from its ``.po``, compiled into memory."""
    path = LOCALES / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=domain)
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


def post_labels(language: str | None) -> PostLabels:
    """The words newsbot puts in a post in ``language`` (a code of
    :func:`~bot.formatting.detect_language`, a tag such as ``hi-IN``, or None), from the
    ``posts`` catalogues; English for a language without one. Compiled once per language."""
    base = base_language(language)
    return _post_labels(base if base in POST_LANGUAGES else DEFAULT_LANGUAGE)


@functools.cache
def _post_labels(code: str) -> PostLabels:
    translations = _compile(code, POSTS_DOMAIN)

    def post_text(message: str) -> str:
        """``message`` in the posts catalogue (the keyword ``make messages`` extracts)."""
        return translations.gettext(message)

    return PostLabels(
        # TRANSLATORS: the label of the link to the article at the end of each post.
        read_more=post_text("Read more"),
        # TRANSLATORS: the title of a post whose article has no title, text or link host.
        untitled=post_text("(untitled)"),
    )
