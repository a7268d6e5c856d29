"""Hashtags: categories normalised, deduplicated, bounded, each one whole Telegram hashtag."""

from __future__ import annotations

import pytest

from bot.formatting.hashtags import MAX_TAG_LENGTH, hashtags, is_telegram_hashtag, normalize_tag


class TestNormalizeTag:
    """One category becomes one tag, or none."""

    @pytest.mark.parametrize(
        ("category", "tag"),
        [
            pytest.param("Politics", "Politics", id="word"),
            pytest.param("#Politics", "Politics", id="hash-stripped"),
            pytest.param("climate change", "ClimateChange", id="camel-cased"),
            pytest.param("COVID-19", "COVID_19", id="digits-joined-with-underscore"),
            pytest.param("Women's cricket", "WomensCricket", id="apostrophe-dropped"),
            pytest.param("U.S. politics", "USPolitics", id="dots"),
            pytest.param("क्रिकेट", "क्रिकेट", id="devanagari-marks-kept"),
            pytest.param("कोविड 19", "कोविड_19", id="caseless-words-underscored"),
            pytest.param("اردو خبریں", "اردو_خبریں", id="urdu"),
            pytest.param("東京", "東京", id="cjk"),
            pytest.param("snake_case", "snake_case", id="underscore-kept"),
            pytest.param("2024", None, id="all-digits"),
            pytest.param("#", None, id="only-hash"),
            pytest.param(" - ", None, id="only-punctuation"),
            pytest.param("x" * (MAX_TAG_LENGTH + 1), None, id="too-long"),
            pytest.param("x" * MAX_TAG_LENGTH, "x" * MAX_TAG_LENGTH, id="longest"),
            pytest.param("C++", None, id="plus-dropped-not-C"),
            pytest.param("#C++", None, id="hash-and-plus"),
            pytest.param("Disney+", None, id="trailing-plus"),
            pytest.param("C#", None, id="sharp"),
            pytest.param("F# programming", None, id="sharp-in-phrase"),
            pytest.param(".NET", None, id="leading-dot"),
            pytest.param("  .NET Core", None, id="leading-dot-after-space"),
            pytest.param("J&K", None, id="ampersand-between-letters"),
            pytest.param("AT&T", None, id="ampersand-in-name"),
            pytest.param("Arts & Culture", "ArtsCulture", id="spaced-ampersand-separates"),
            pytest.param("Sports + Fitness", "SportsFitness", id="spaced-plus-separates"),
            pytest.param("Node.js", "NodeJs", id="dot-inside-word-joins"),
            pytest.param("ASP.NET", "ASPNET", id="dot-inside-acronym-joins"),
            pytest.param("...and more", "AndMore", id="ellipsis-is-not-a-leading-dot"),
        ],
    )  # fmt: skip
    def test_normalizes(self, category: str, tag: str | None) -> None:
        """Letters, digits, marks and '_' stay; words are joined; unusable tags are None."""
        assert normalize_tag(category) == tag


class TestTelegramHashtag:
    """tdlib's rule: letters, decimal digits, '_', ZWNJ, '·' and Sinhala; at least one letter."""

    @pytest.mark.parametrize(
        ("tag", "whole"),
        [
            pytest.param("#Politics", True, id="latin"),
            pytest.param("COVID_19", True, id="underscore-digits"),
            pytest.param("東京", True, id="cjk"),
            pytest.param("اردو_خبریں", True, id="arabic-letters"),
            pytest.param("क्रिकेट", False, id="devanagari-vowel-sign-ends-it"),
            pytest.param("ශ්රී", True, id="sinhala-block"),
            pytest.param("2024", False, id="no-letter"),
            pytest.param("a-b", False, id="hyphen"),
            pytest.param("", False, id="empty"),
        ],
    )  # fmt: skip
    def test_whole(self, tag: str, whole: bool) -> None:
        """A tag with any character Telegram stops at is not one whole hashtag."""
        assert is_telegram_hashtag(tag) is whole


class TestHashtags:
    """The hashtags line of a post."""

    @pytest.mark.parametrize(
        ("categories", "limit", "tags"),
        [
            pytest.param(["World news", "#Climate change", "world-news"], 3,
                         ["#WorldNews", "#ClimateChange"], id="duplicates-case-insensitive"),
            pytest.param(["a1", "b2", "c3", "d4"], 3, ["#a1", "#b2", "#c3"], id="at-most-limit"),
            pytest.param(["a1", "b2"], 0, [], id="zero-turns-off"),
            pytest.param(["2024", "क्रिकेट", "Sport"], 3, ["#Sport"], id="unusable-skipped"),
            pytest.param([], 3, [], id="none"),
            pytest.param(["C++", "C", ".NET", "J&K", "Node.js"], 3, ["#C", "#NodeJs"],
                         id="symbol-names-skipped"),
        ],
    )  # fmt: skip
    def test_hashtags(self, categories: list[str], limit: int, tags: list[str]) -> None:
        """Tags keep the categories' order; each is one whole Telegram hashtag."""
        made = hashtags(categories, limit)
        assert made == tags
        assert all(is_telegram_hashtag(tag) for tag in made)
