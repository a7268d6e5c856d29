"""The catalogues hold every text the code shows, in English and Hindi, with the same
placeholders; the translator fills them and falls back to English. The ``posts`` domain holds
the words of the posts themselves in every language articles are detected in."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.article import ArticleDraft
from bot.formatting.post import (
    READ_MORE,
    UNTITLED,
    PostLabels,
    PostOptions,
    render_article,
    render_post,
)
from bot.handlers import texts
from bot.i18n import (
    LANGUAGES,
    LOCALES,
    POST_LANGUAGES,
    POSTS_DOMAIN,
    language_for,
    post_labels,
    supported,
    translator_for,
)

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"


def used_msgids() -> set[str | tuple[str, str]]:
    """Every msgid (or singular/plural pair) the code and the console's pages under ``bot/``
    ask for, as Babel's extractor (the one ``make messages`` runs, with ``babel.cfg``) finds
    it."""
    found: set[str | tuple[str, str]] = set()
    with (ROOT / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    extracted = extract_from_dir(str(BOT), method_map, options_map)
    for _file, _line, message, _comments, _context in extracted:
        if isinstance(message, tuple):
            found.add((message[0], message[1]))
        else:
            found.add(message)
    return found


def catalogue(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "newsbot.po").open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of ``text``; raises ValueError on a stray brace."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def forms(message: str | tuple[str, ...]) -> list[str]:
    return [message] if isinstance(message, str) else list(message)


class TestCatalogues:
    def test_the_code_asks_for_texts(self) -> None:
        """The extractor finds the texts of bot/handlers/texts.py (so the checks below bite)."""
        assert "Subscribe" in used_msgids()
        assert len(used_msgids()) > 20

    @pytest.mark.parametrize("language", list(LANGUAGES))
    def test_every_text_in_code_is_in_the_catalogue(self, language: str) -> None:
        """Each msgid used in bot/ is in the language's catalogue, none of them fuzzy."""
        cat = catalogue(language)
        missing = [m for m in used_msgids() if cat.get(m[0] if isinstance(m, tuple) else m) is None]
        assert missing == []
        assert [m.id for m in cat if m.id and m.fuzzy] == []

    def test_hindi_translates_everything(self) -> None:
        """Every Hindi entry has a non-empty translation in each plural form."""
        untranslated = [
            m.id for m in catalogue("hi") if m.id and not all(s.strip() for s in forms(m.string))
        ]
        assert untranslated == []

    @pytest.mark.parametrize("language", list(LANGUAGES))
    def test_placeholders_match_the_english(self, language: str) -> None:
        """A translation has exactly the placeholders of its English msgid, in every form."""
        for message in catalogue(language):
            if not message.id:
                continue
            expected = placeholders(forms(message.id)[0])
            assert all(placeholders(f) == expected for f in forms(message.id)), message.id
            for form in forms(message.string):
                if form:
                    assert placeholders(form) == expected, (language, message.id, form)

    def test_no_text_of_the_code_is_obsolete_or_missing_from_the_template(self) -> None:
        """The template (newsbot.pot) is what `make messages` makes of today's code."""
        with (LOCALES.parent / "newsbot.pot").open("rb") as pot:
            template = {m.id for m in read_po(pot) if m.id}
        assert template == used_msgids()


class TestTranslator:
    @pytest.mark.parametrize(
        ("chosen", "telegram", "expected"),
        [
            pytest.param("en", "hi", "en", id="choice-wins"),
            pytest.param(None, "hi", "hi", id="telegram-hi"),
            pytest.param(None, "hi-IN", "hi", id="telegram-region"),
            pytest.param(None, "de", "en", id="no-catalogue"),
            pytest.param(None, None, "en", id="nothing-known"),
            pytest.param("xx", "hi", "hi", id="bad-choice-ignored"),
        ],
    )
    def test_language_for(self, chosen: str | None, telegram: str | None, expected: str) -> None:
        """The reader's choice, else Telegram's language_code if spoken, else English."""
        assert language_for(chosen, telegram) == expected

    def test_unknown_language_is_english(self) -> None:
        """A translator for a language without a catalogue speaks English."""
        assert translator_for("de") is translator_for("en")
        assert translator_for("hi-IN") is translator_for("hi")
        assert supported("fr") is None

    def test_texts_in_hindi_keep_their_escaping(self) -> None:
        """A Hindi text is Hindi, with the user's input escaped in it."""
        hi = translator_for("hi")
        welcome = texts.welcome(hi, "<Asha>", subscribed=False)
        assert welcome.startswith("नमस्ते, &lt;Asha&gt;!")
        assert "/subscribe" in welcome
        assert texts.subscribe_button(hi) == "सब्सक्राइब करें"

    def test_plural_forms(self) -> None:
        """The count picks the form in each language."""
        en, hi = translator_for("en"), translator_for("hi")
        assert texts.pushed(en, "T", 2, "@news") == "Pushed <b>T</b> to @news and 1 reader."
        assert texts.pushed(en, "T", 3, None) == "Pushed <b>T</b> to 3 readers."
        assert "1 पाठक को" in texts.pushed(hi, "T", 2, "@news")
        assert "3 पाठकों को" in texts.pushed(hi, "T", 3, None)

    def test_every_language_has_a_full_menu(self) -> None:
        """The command menu names the same commands in every language, described in it."""
        menus = {code: texts.commands(translator_for(code)) for code in LANGUAGES}
        names = {tuple(name for name, _ in menu) for menu in menus.values()}
        assert len(names) == 1
        assert menus["en"] != menus["hi"]
        assert all(1 <= len(text) <= 256 for menu in menus.values() for _, text in menu)


def posts_msgids() -> set[str]:
    """Every msgid of the ``posts`` domain (marked ``post_text(...)``) under ``bot/``."""
    found = extract_from_dir(str(BOT), keywords={"post_text": None})
    return {str(message) for _file, _line, message, _comments, _context in found}


def posts_catalogue(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / f"{POSTS_DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=language)


class TestPostsCatalogues:
    def test_the_code_asks_for_the_post_words(self) -> None:
        """The extractor finds the words of posts, and only in the posts domain."""
        assert posts_msgids() == {"Read more", "(untitled)"}
        assert "Read more" not in used_msgids()

    def test_the_template_is_todays_code(self) -> None:
        """posts.pot is what `make messages` makes of today's code."""
        with (LOCALES.parent / "posts.pot").open("rb") as pot:
            assert {m.id for m in read_po(pot) if m.id} == posts_msgids()

    @pytest.mark.parametrize("language", POST_LANGUAGES)
    def test_every_language_has_every_word(self, language: str) -> None:
        """Each posts msgid is in each language's posts.po, translated (but English), unfuzzy."""
        cat = posts_catalogue(language)
        assert {m.id for m in cat if m.id} == posts_msgids()
        assert [m.id for m in cat if m.id and m.fuzzy] == []
        words = [str(m.string or "") for m in cat if m.id]
        if language != "en":
            assert all(word.strip() for word in words)
        assert all(placeholders(word) == set() for word in words)

    @pytest.mark.parametrize("language", POST_LANGUAGES)
    def test_labels_come_from_the_catalogue(self, language: str) -> None:
        """post_labels gives each catalogue's words: today's built-in wordings of Read more."""
        labels = post_labels(language)
        assert labels.read_more == READ_MORE[language]
        assert labels == post_labels(f"{language}-XX")
        untitled = posts_catalogue(language).get("(untitled)")
        assert untitled is not None
        assert labels.untitled == (str(untitled.string) or UNTITLED)

    def test_unknown_language_is_english(self) -> None:
        """A language without a posts catalogue (or none) gets the English words."""
        assert post_labels("ru") == post_labels(None) == PostLabels("Read more", "(untitled)")
        assert post_labels("hi").untitled == "(बिना शीर्षक)"

    def test_render_post_takes_the_labels_given(self) -> None:
        """A post's link label and untitled title come from the labels provider, escaped."""
        post = render_post("भारत ने फाइनल जीता", "", "https://ex.com/a", labels=post_labels)
        assert post.text.endswith("\n\nपूरी खबर पढ़ें")

        def odd(language: str | None) -> PostLabels:
            return PostLabels(read_more=f"More <{language}>", untitled="No title & co")

        post = render_post("2024", "", "https://ex.com/a", labels=odd)
        assert post.html.endswith('<a href="https://ex.com/a">More &lt;None&gt;</a>')
        untitled = render_post("", "", None, labels=odd)
        assert untitled.text == "No title & co"
        assert untitled.html == "<b>No title &amp; co</b>"
        draft = ArticleDraft("k", "भारत ने फाइनल जीता", "", link="https://ex.com/a")
        shown = render_article(draft, PostOptions(style="text", labels=odd))
        assert shown.text.endswith("More <hi>")
