"""bot.editorial: parsing an editor's word lists and matching them on articles, from tables."""

from __future__ import annotations

import pytest

from bot.editorial import MAX_PHRASE_LENGTH, MAX_PHRASES, Rules, admits, normalise, parse_phrases
from bot.errors import FeedSettingError, RuleError

# (phrases, title, summary, categories, whether an exclude rule of them finds the article)
MATCHES: list[tuple[str, str, str, tuple[str, ...], bool]] = [
    # English, case, punctuation
    ("sponsored", "Sponsored: a new phone", "", (), True),
    ("sponsored", "SPONSORED", "", (), True),
    ("sponsored", "(sponsored) Travel deals", "", (), True),
    ("sponsored", "Sponsorship of the league", "", (), False),
    ("sale", "Wholesale prices fall", "", (), False),
    ("sale", "Prices fall", "Big sale, today only.", (), True),
    ("ad", "Ad: buy now", "", (), True),
    ("ad", "Adani shares rise", "", (), False),
    ("c++", "Learn C++ today", "", (), True),
    ("c++", "C is older than C#", "", (), False),
    ("u.s.", "U.S. markets open", "", (), True),
    ("a.b", "axb is not a.b's pattern", "", (), True),
    ("a.b", "axb only", "", (), False),  # a dot is a dot: the phrase is never a pattern
    ("(", "a ( b", "", (), True),
    ("[a-z]+", "nothing like that here", "", (), False),
    # phrases across whitespace, never across fields or hyphens
    ("paid post", "A paid\n   post about shoes", "", (), True),
    ("paid post", "paid-post", "", (), False),
    ("paid post", "A paid", "post", (), False),
    ("paid post", "unpaid posting", "", (), False),
    # categories
    ("cricket", "India win", "", ("Sport", "Cricket"), True),
    ("world cup", "India win", "", ("World  Cup",), True),
    ("sport", "India win", "", ("Sports",), False),
    # Unicode case and forms
    ("straße", "STRASSE gesperrt", "", (), True),
    ("café", "Cafe\u0301 opens", "", (), True),  # decomposed é matches composed
    ("İstanbul", "istanbul votes", "", (), False),  # casefold keeps the dot: not the same word
    ("ΣΟΦΙΑ", "σοφια speaks", "", (), True),
    # Hindi: whole words, vowel signs and virama part of the word
    ("खेल", "आज का खेल।", "", (), True),
    ("खेल", "बच्चे खेलना चाहते हैं", "", (), False),
    ("खेल", "वे खेला करते थे", "", (), False),
    ("खेल", "खेलों में भारत", "", (), False),
    ("क", "क्या हुआ", "", (), False),  # virama: क् continues the word
    ("क्रिकेट", "क्रिकेट मैच", "", (), True),
    ("भारत", "भारतीय टीम", "", (), False),
    ("विश्व कप", "भारत ने विश्व   कप जीता", "", (), True),
    ("विज्ञापन", "शेयर बाज़ार", "", ("विज्ञापन",), True),
    ("प्रायोजित", "(प्रायोजित) नया फ़ोन", "", (), True),
    # mixed scripts
    ("IPL", "IPL में आज", "", (), True),
    ("मैच", "Match report: मैच, final", "", (), True),
]


class TestMatching:
    @pytest.mark.parametrize(("phrases", "title", "summary", "categories", "found"), MATCHES)
    def test_exclude_table(
        self, phrases: str, title: str, summary: str, categories: tuple[str, ...], found: bool
    ) -> None:
        """An exclude phrase keeps out exactly the articles that hold it as whole words."""
        rules = Rules(exclude=tuple(parse_phrases(phrases)))
        assert rules.admits(title, summary, categories) is not found

    @pytest.mark.parametrize(("phrases", "title", "summary", "categories", "found"), MATCHES)
    def test_include_table(
        self, phrases: str, title: str, summary: str, categories: tuple[str, ...], found: bool
    ) -> None:
        """An include phrase lets in exactly the articles that hold it as whole words."""
        rules = Rules(include=tuple(parse_phrases(phrases)))
        assert rules.admits(title, summary, categories) is found

    def test_include_and_exclude(self) -> None:
        """With both, an article needs an include phrase and no exclude phrase; exclude wins."""
        rules = Rules(include=("cricket", "football"), exclude=("sponsored",))
        assert rules.admits("Cricket: India win", "", ())
        assert rules.admits("A match", "", ("Football",))
        assert not rules.admits("Tennis: a final", "", ())
        assert not rules.admits("Cricket bats on sale", "Sponsored.", ())
        assert rules.keeps_out("Cricket bats", "Sponsored.", ()) == "exclude: 'sponsored'"
        assert rules.keeps_out("Tennis", "", ()) == "include: none of cricket, football"

    def test_no_rules_admit_everything(self) -> None:
        """No rules, or empty ones, admit any article, even one with no text at all."""
        assert admits(None, "anything")
        assert Rules().admits(None, None, None)
        assert not Rules()
        assert Rules.stored(None, []) is None

    def test_the_phrase_is_reported_as_written(self) -> None:
        """The reason names the phrase as the editor wrote it, whatever case the article has."""
        rules = Rules(exclude=("Paid Post",))
        assert rules.keeps_out("a PAID  post", "", ()) == "exclude: 'Paid Post'"


class TestParsing:
    @pytest.mark.parametrize(
        ("text", "phrases"),
        [
            ("sponsored,advertorial, paid post", ["sponsored", "advertorial", "paid post"]),
            ("  paid \t  post  ,, ,", ["paid post"]),
            ("", []),
            (" , ", []),
            ("Sponsored, sponsored, SPONSORED", ["Sponsored"]),
            ("Cafe\u0301", ["Café"]),
            ("खेल, विश्व  कप", ["खेल", "विश्व कप"]),
            ("a.*b, [x]", ["a.*b", "[x]"]),
        ],
    )
    def test_lists(self, text: str, phrases: list[str]) -> None:
        """A comma-separated list becomes its phrases: NFC, spaces collapsed, empty and
        repeated ones dropped, the editor's case kept."""
        assert parse_phrases(text) == phrases

    def test_too_many(self) -> None:
        """More than MAX_PHRASES phrases is one clear error, a FeedSettingError."""
        with pytest.raises(RuleError, match=f"at most {MAX_PHRASES} phrases"):
            parse_phrases(",".join(f"w{i}" for i in range(MAX_PHRASES + 1)), what="exclude")
        assert issubclass(RuleError, FeedSettingError)
        assert len(parse_phrases(",".join(f"w{i}" for i in range(MAX_PHRASES)))) == MAX_PHRASES

    def test_too_long(self) -> None:
        """A phrase longer than MAX_PHRASE_LENGTH characters is refused, and named."""
        with pytest.raises(RuleError, match="include: a phrase may be at most"):
            parse_phrases("x" * (MAX_PHRASE_LENGTH + 1), what="include")

    def test_stored_rules_are_tolerated(self) -> None:
        """A stored list that is not a list of strings, or beyond the bounds, is used as far
        as it goes instead of failing a poll."""
        rules = Rules.stored(["ok", 3, None, "x" * 500], "not a list")
        assert rules is not None
        assert rules.include[0] == "ok"
        assert len(rules.include[1]) == MAX_PHRASE_LENGTH
        assert rules.exclude == ()
        many = Rules.stored(None, [f"w{i}" for i in range(500)])
        assert many is not None
        assert len(many.exclude) == MAX_PHRASES

    def test_normalise(self) -> None:
        """Text is compared casefolded, in NFC, with whitespace collapsed."""
        assert normalise("  STRASSE\n Straße ") == "strasse strasse"
        assert normalise("Cafe\u0301") == "café"
