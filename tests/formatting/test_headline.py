"""clean_headline and split_headline, from tables of cases."""

from __future__ import annotations

import pytest

from bot.formatting.headline import HEADLINE_MAX_CHARS, clean_headline, split_headline


class TestDecoding:
    """A headline is decoded until no character reference is left, and only real ones."""

    @pytest.mark.parametrize(
        ("title", "expected"),
        [
            pytest.param("&amp;#39;AT&amp;amp;T&amp;#39;", "'AT&T'", id="escaped-three-times"),
            pytest.param("It&amp;#8217;s back", "It’s back", id="escaped-twice"),
            pytest.param("AT&T", "AT&T", id="literal-ampersand"),
            pytest.param("Tom &amp Jerry", "Tom & Jerry", id="amp-without-semicolon"),
            pytest.param("R&amp;D", "R&D", id="once"),
            pytest.param("Q&A &notice &foo;", "Q&A &notice &foo;", id="not-references"),
            pytest.param("&lt;b&gt;Bold&lt;/b&gt; news", "Bold news", id="escaped-markup"),
            pytest.param("Vector<int> in C++", "Vector<int> in C++", id="prose-with-brackets"),
            pytest.param("  Two\nlines\u200b ", "Two lines", id="one-line"),
            pytest.param("", "", id="empty"),
        ],
    )  # fmt: skip
    def test_decodes(self, title: str, expected: str) -> None:
        """Each title reads as its author wrote it."""
        assert clean_headline(title) == expected


class TestSiteName:
    """The site's name goes from either end of a headline, never leaving it empty."""

    @pytest.mark.parametrize(
        ("title", "site_names", "expected"),
        [
            pytest.param("Dam opens – Valley Courier", ["Valley Courier"], "Dam opens",
                         id="en-dash"),
            pytest.param("Dam opens | Revoi", ["revoi"], "Dam opens", id="bar-case"),
            pytest.param("Dam opens - The Hindu", ["Latest News - The Hindu"], "Dam opens",
                         id="part-of-feed-title"),
            pytest.param("Dam opens :: Site", ["Site"], "Dam opens", id="double-colon"),
            pytest.param("Dam opens - TheHindu", ["The Hindu"], "Dam opens", id="spaces-ignored"),
            pytest.param("Revoi | Dam opens", ["Revoi"], "Dam opens", id="leading"),
            pytest.param("Dam opens | Section | Revoi", ["Revoi"], "Dam opens | Section",
                         id="only-the-name"),
            pytest.param("Revoi", ["Revoi"], "Revoi", id="never-empty"),
            pytest.param("Revoi | Revoi", ["Revoi"], "Revoi", id="name-twice"),
            pytest.param("Dam opens - Other Site", ["Revoi"], "Dam opens - Other Site",
                         id="other-name-kept"),
            pytest.param("Wi-Fi for Revoi", ["Revoi"], "Wi-Fi for Revoi", id="no-separator"),
            pytest.param("भारत जीता | समाचार", ["समाचार"], "भारत जीता", id="hindi"),
        ],
    )  # fmt: skip
    def test_site_name(self, title: str, site_names: list[str], expected: str) -> None:
        """Only a separator and one of the site names go."""
        assert clean_headline(title, site_names=site_names) == expected


class TestSplitHeadline:
    """An untitled text's headline is its first sentence."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("Storm hits. Ferries stay.\n\nMore.",
                         ("Storm hits", "Ferries stay.\n\nMore."), id="first-sentence"),
            pytest.param("Heading\n\nBody text.", ("Heading", "Body text."), id="first-line"),
            pytest.param("北京下雪了。明天更冷。", ("北京下雪了", "明天更冷。"), id="chinese"),
            pytest.param("Talks end in the U.S.", ("Talks end in the U.S.", ""),
                         id="initialism-keeps-its-stop"),
            pytest.param("Who won? Nobody.", ("Who won?", "Nobody."), id="question-kept"),
            pytest.param("Wait for it... More.", ("Wait for it...", "More."), id="ellipsis-kept"),
            pytest.param("घाटी में बर्फ़ गिरी। स्कूल बंद।", ("घाटी में बर्फ़ गिरी", "स्कूल बंद।"),
                         id="danda-dropped"),
            pytest.param("\uffff। Rest.", ("\uffff।", "Rest."), id="stop-all-that-shows"),
            pytest.param("", ("", ""), id="empty"),
        ],
    )  # fmt: skip
    def test_split(self, text: str, expected: tuple[str, str]) -> None:
        """The first sentence, and the rest with its paragraphs."""
        assert split_headline(text) == expected

    def test_long_first_sentence_is_cut(self) -> None:
        """A first sentence longer than the limit is cut at a word with an ellipsis."""
        title, rest = split_headline("word " * 60 + "end. Next.")
        assert len(title) <= HEADLINE_MAX_CHARS
        assert title.endswith("word…")
        assert rest == "Next."
