"""detect_language: the language of a text by the script most of its letters are in."""

from __future__ import annotations

import pytest

from bot.formatting.language import detect_language


class TestDetectLanguage:
    """One language per script, decided by letter counts."""

    @pytest.mark.parametrize(
        ("text", "language"),
        [
            pytest.param("Storm closes the harbour", "en", id="english"),
            pytest.param("Ça coûte très cher", "en", id="latin-is-en"),
            pytest.param("भारत ने फाइनल जीता", "hi", id="hindi"),
            pytest.param("IPL 2024: मुंबई इंडियंस ने मैच जीता", "hi", id="hindi-with-latin"),
            pytest.param("لاہور میں شدید بارش", "ur", id="urdu"),
            pytest.param("BBC اردو", "ur", id="tie-goes-to-non-latin"),
            pytest.param("ঢাকায় ভারী বৃষ্টি", "bn", id="bengali"),
            pytest.param("北京今天下雨", "zh", id="chinese"),
            pytest.param("東京で大雨が降った", "ja", id="japanese-kana"),
            pytest.param("Новости дня", None, id="cyrillic-unknown"),
            pytest.param("2024 — 12:30", None, id="no-letters"),
            pytest.param("", None, id="empty"),
            pytest.param("१२३ abc", "en", id="digits-do-not-count"),
        ],
    )  # fmt: skip
    def test_detects(self, text: str, language: str | None) -> None:
        """Each text's language is the one of its letters' script."""
        assert detect_language(text) == language
