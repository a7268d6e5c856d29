"""condense, split_sentences and truncate, from tables of cases and random texts."""

from __future__ import annotations

import random

import pytest

from bot.formatting.condense import DEFAULT_LIMIT, ELLIPSIS, condense, split_sentences, truncate
from tests.conftest import bounded


class TestSplitSentences:
    """split_sentences: where sentences end, in English, Hindi and Urdu."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("One. Two! Three? Four… Five", ["One.", "Two!", "Three?", "Four…", "Five"],
                         id="marks"),
            pytest.param("Wait... What now?", ["Wait...", "What now?"], id="three-dots"),
            pytest.param('He said "Go." Then left.', ['He said "Go."', "Then left."],
                         id="closing-quote"),
            pytest.param("(It rained.) We stayed.", ["(It rained.)", "We stayed."],
                         id="closing-bracket"),
            pytest.param("Mr. Smith met Dr. Jones.", ["Mr. Smith met Dr. Jones."], id="titles"),
            pytest.param("It grew 3.5 percent. Fine.", ["It grew 3.5 percent.", "Fine."],
                         id="decimal"),
            pytest.param("Use tools, e.g. this one. Next.", ["Use tools, e.g. this one.", "Next."],
                         id="eg"),
            pytest.param("U.S. officials met. Talks ended.",
                         ["U.S. officials met.", "Talks ended."], id="initialism-start"),
            pytest.param("He met the U.S. Senate today.", ["He met the U.S. Senate today."],
                         id="initialism-before-capital"),
            pytest.param("By J. K. Rowling. Out now.", ["By J. K. Rowling.", "Out now."],
                         id="initials"),
            pytest.param("See No. 5 and Fig. 2 now.", ["See No. 5 and Fig. 2 now."],
                         id="abbreviation-before-number"),
            pytest.param("Yahoo! is a company.", ["Yahoo! is a company."], id="lowercase-follows"),
            pytest.param("भारत जीता। कप्तान ने शतक बनाया। अब फाइनल",
                         ["भारत जीता।", "कप्तान ने शतक बनाया।", "अब फाइनल"], id="danda"),
            pytest.param("पहला॥ दूसरा", ["पहला॥", "दूसरा"], id="double-danda"),
            pytest.param("بارش ہوئی۔ کیا سڑکیں ڈوب گئیں؟ ہاں",
                         ["بارش ہوئی۔", "کیا سڑکیں ڈوب گئیں؟", "ہاں"], id="urdu"),
            pytest.param("No end mark", ["No end mark"], id="no-terminator"),
            pytest.param("End.", ["End."], id="terminator-at-end"),
            pytest.param("", [], id="empty"),
        ],
    )  # fmt: skip
    def test_splits(self, text: str, expected: list[str]) -> None:
        """Sentences end after their terminators only where a person would end them."""
        assert split_sentences(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("Voters said no. Turnout was low.",
                         ["Voters said no.", "Turnout was low."], id="no"),
            pytest.param("They met in Dec. The deal followed.",
                         ["They met in Dec.", "The deal followed."], id="month"),
            pytest.param("It was art. Critics agreed.", ["It was art.", "Critics agreed."],
                         id="art"),
            pytest.param("It took a sec. Then it failed.", ["It took a sec.", "Then it failed."],
                         id="sec"),
            pytest.param("Levels of CO. They rose.", ["Levels of CO.", "They rose."],
                         id="upper-case-co"),
            pytest.param("He thanked Al. Then he left.", ["He thanked Al.", "Then he left."],
                         id="al-without-et"),
            pytest.param("It opened Dec. 5 and No. 7 won. Art. 12 applies.",
                         ["It opened Dec. 5 and No. 7 won.", "Art. 12 applies."],
                         id="before-numbers"),
            pytest.param("Smith et al. Found it.", ["Smith et al. Found it."], id="et-al"),
            pytest.param("Ford Motor Co. Chief Jim spoke.", ["Ford Motor Co. Chief Jim spoke."],
                         id="company"),
            pytest.param("The U.S. Senate met Mr. Jones. It grew 3.5 percent.",
                         ["The U.S. Senate met Mr. Jones.", "It grew 3.5 percent."],
                         id="initialism-title-decimal"),
        ],
    )  # fmt: skip
    def test_words_that_are_also_abbreviations(self, text: str, expected: list[str]) -> None:
        """Words like "no", "art" and month names end a sentence unless a number follows."""
        assert split_sentences(text) == expected


class TestCondense:
    """condense: whole sentences from the start, within the limit, in one paragraph."""

    @pytest.mark.parametrize(
        ("text", "limit", "expected"),
        [
            pytest.param("", 320, "", id="empty"),
            pytest.param("   \n\n ", 320, "", id="whitespace-only"),
            pytest.param("Short text", 320, "Short text", id="fits-whole"),
            pytest.param("One.\n\nTwo.", 320, "One. Two.", id="one-paragraph"),
            pytest.param("First one. Second one. Third one.", 25, "First one. Second one.",
                         id="two-of-three"),
            pytest.param("First one. Second one. Third one.", 22, "First one. Second one.",
                         id="exact-fit"),
            pytest.param("First one. Second one. Third one.", 21, "First one.", id="one-fits"),
            pytest.param("A sentence far too long for the limit", 20, "A sentence far too…",
                         id="cut-at-word"),
            pytest.param("Twelve chars here", 13, "Twelve chars…", id="space-at-limit-minus-one"),
            pytest.param("Hello, world of wonders", 14, "Hello, world…", id="comma-dropped"),
            pytest.param("Ends with, comma here", 12, "Ends with…", id="dangling-comma"),
            pytest.param("x" * 50, 10, "x" * 9 + ELLIPSIS, id="no-whitespace"),
            pytest.param("Pneumonoultramicroscopic word", 10, "Pneumonou…", id="long-first-word"),
            pytest.param("abc", 1, ELLIPSIS, id="limit-one"),
            pytest.param("भारत ने मैच जीता। कप्तान ने शतक बनाया।", 20, "भारत ने मैच जीता।",
                         id="hindi"),
            pytest.param("بارش ہوئی۔ کئی سڑکیں ڈوب گئیں۔", 12, "بارش ہوئی۔", id="urdu"),
            pytest.param("Mr. Smith went to Washington. He met U.S. officials there.", 40,
                         "Mr. Smith went to Washington.", id="abbreviations"),
        ],
    )  # fmt: skip
    def test_condenses(self, text: str, limit: int, expected: str) -> None:
        """Each text gives the summary a person would write within the limit."""
        assert condense(text, limit) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("It passed after a long debate. Critics said it was rushed […]",
                         "It passed after a long debate.", id="bracketed-ellipsis"),
            pytest.param("One. Two [...]", "One.", id="bracketed-dots"),
            pytest.param("One. Two and…", "One.", id="ellipsis"),
            pytest.param("One. Two and...", "One.", id="three-dots"),
            pytest.param("Only a cut sentence […]", "Only a cut sentence […]", id="nothing-before"),
            pytest.param("He paused… Then he spoke.", "He paused… Then he spoke.",
                         id="ellipsis-inside"),
        ],
    )  # fmt: skip
    def test_cut_off_last_sentence_is_left_out(self, text: str, expected: str) -> None:
        """A last sentence the feed cut off goes when a whole sentence comes before it."""
        assert condense(text) == expected

    def test_default_limit_is_350(self) -> None:
        """Without a limit the summary holds at most 350 code points."""
        text = "This sentence has exactly forty letters. " * 20
        assert len(condense(text)) <= 350
        assert condense(text).endswith("letters.")

    def test_combining_marks_stay_with_their_letter(self) -> None:
        """A cut in text without spaces does not separate a letter from its vowel sign."""
        text = "कि" * 20  # consonant + vowel sign, no whitespace
        result = condense(text, 10)
        assert result.endswith(ELLIPSIS)
        assert len(result) <= 10
        assert not result[:-1].endswith("क")

    @pytest.mark.parametrize("limit", [0, -5])
    def test_rejects_a_limit_below_one(self, limit: int) -> None:
        """A limit below one code point is a programming error."""
        with pytest.raises(ValueError, match="limit"):
            condense("text", limit)

    def test_random_texts_fit_and_never_cut_a_word(self) -> None:
        """For random texts the summary fits, and a cut word only ever ends with an ellipsis."""
        rng = random.Random(20240305)
        pieces = ["word", "Longerword", "e.g.", "U.S.", "3.5", "।", "۔", "भारत", "😀", "x" * 40]
        pieces += [". ", "! ", "? ", " ", "\n\n", ", "]
        for _ in range(2000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))
            limit = rng.randint(1, 200)
            summary = condense(text, limit)
            assert len(summary) <= limit
            assert "\n\n" not in summary
            words = set(" ".join(text.split()).split())
            for word in summary.split():
                assert word in words or (
                    word.endswith(ELLIPSIS) and any(w.startswith(word[:-1]) for w in words)
                ), (text, limit, summary)


class TestTruncate:
    """truncate: the word-boundary cut used for titles and stored summaries."""

    @pytest.mark.parametrize(
        ("text", "limit", "expected"),
        [
            pytest.param("fits", 10, "fits", id="fits"),
            pytest.param("one two three", 9, "one two…", id="word-boundary"),
            pytest.param("para one\n\npara two words", 17, "para one\n\npara…", id="keeps-breaks"),
            pytest.param("abcdef", 4, "abc…", id="no-whitespace"),
        ],
    )  # fmt: skip
    def test_truncates(self, text: str, limit: int, expected: str) -> None:
        """A text longer than the limit is cut between words and marked with an ellipsis."""
        assert truncate(text, limit) == expected

    @pytest.mark.parametrize(
        ("text", "limit", "expected"),
        [
            pytest.param("क्षक्षक्ष", 3, "…", id="devanagari-conjunct-too-long"),
            pytest.param("क्षक्षक्ष", 5, "क्ष…", id="devanagari-conjunct"),
            pytest.param("e\u0301" * 4, 6, "e\u0301e\u0301…", id="combining-accents"),
            pytest.param("1️⃣2️⃣", 4, "1️⃣…", id="keycap"),
            pytest.param("🇺🇸🇺🇸", 2, "…", id="flag-too-long"),
            pytest.param("🇺🇸🇺🇸🇺🇸", 5, "🇺🇸🇺🇸…", id="flags-paired"),
            pytest.param("👨\u200d👩\u200d👧" * 2, 6, "👨\u200d👩\u200d👧…", id="zwj-sequence"),
            pytest.param("👍🏽👍🏽", 3, "👍🏽…", id="skin-tone"),
            pytest.param("\u1100\u1161\u11a8\u1100\u1161", 4, "\u1100\u1161\u11a8…",
                         id="hangul-jamo"),
        ],
    )  # fmt: skip
    def test_cuts_only_between_grapheme_clusters(
        self, text: str, limit: int, expected: str
    ) -> None:
        """Text without spaces is cut at the last grapheme cluster boundary within the limit."""
        assert truncate(text, limit) == expected


class TestParagraphsAndScripts:
    """Line breaks end sentences; abbreviations, other scripts' marks and emoji are known."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("…thinly disguised contempt\n\nDonald Trump has promised more.",
                         ["…thinly disguised contempt", "Donald Trump has promised more."],
                         id="paragraph-ends-a-sentence"),
            pytest.param("Dr.\nJones spoke.", ["Dr.", "Jones spoke."], id="line-break-wins"),
            pytest.param("Dr. Rao met U.S. and U.K. officials. Rs. 5 was paid at No. 5 road.",
                         ["Dr. Rao met U.S. and U.K. officials.", "Rs. 5 was paid at No. 5 road."],
                         id="abbreviations"),
            pytest.param("He arrived at 10 a.m. The meeting began.",
                         ["He arrived at 10 a.m.", "The meeting began."], id="am-before-capital"),
            pytest.param("It starts at 9 a.m. tomorrow.", ["It starts at 9 a.m. tomorrow."],
                         id="am-before-lower-case"),
            pytest.param("It starts at 9 a.m. Monday.", ["It starts at 9 a.m. Monday."],
                         id="am-before-weekday"),
            pytest.param("Polls close at 6 p.m. IST today.", ["Polls close at 6 p.m. IST today."],
                         id="pm-before-zone"),
            pytest.param("डॉ. शर्मा ने कहा। बैठक हुई।", ["डॉ. शर्मा ने कहा।", "बैठक हुई।"],
                         id="hindi-abbreviation"),
            pytest.param("খেলা শেষ। ভারত জিতেছে।", ["খেলা শেষ।", "ভারত জিতেছে।"], id="bengali"),
            pytest.param("北京下雪了。明天更冷！真的吗？是的",
                         ["北京下雪了。", "明天更冷！", "真的吗？", "是的"], id="chinese"),
            pytest.param("「桜が満開だ。」と彼は言った。", ["「桜が満開だ。」", "と彼は言った。"],
                         id="japanese-closing-bracket"),
            pytest.param("Big win! 🎉🇮🇳 Fans cheered.", ["Big win! 🎉🇮🇳", "Fans cheered."],
                         id="emoji-stay-with-their-sentence"),
        ],
    )  # fmt: skip
    def test_splits(self, text: str, expected: list[str]) -> None:
        """Each text splits where a reader would end a sentence."""
        assert split_sentences(text) == expected

    @pytest.mark.parametrize(
        ("text", "limit", "expected"),
        [
            pytest.param("Heading\n\nThe harbour closed. Ferries stayed.", 350,
                         "Heading\nThe harbour closed. Ferries stayed.", id="heading-own-line"),
            pytest.param("• one\n\n• two\n\nBody.", 350, "• one\n• two\nBody.", id="list-items"),
            pytest.param("One.\n\nTwo.", 350, "One. Two.", id="marked-paragraphs-run-on"),
            pytest.param("北京下雪了。明天更冷！真的吗？", 11, "北京下雪了。明天更冷！",
                         id="chinese-no-spaces"),
            pytest.param("東京で桜が満開に。週末には花見客が訪れる見込みです。", 12,
                         "東京で桜が満開に。", id="japanese"),
            pytest.param("Big win! 🎉🇮🇳 Fans cheered all night long.", 16, "Big win! 🎉🇮🇳",
                         id="emoji-kept"),
            pytest.param("🇮🇳🇮🇳🇮🇳🇮🇳", 5, "🇮🇳🇮🇳…", id="flags-not-split"),
        ],
    )  # fmt: skip
    def test_condenses(self, text: str, limit: int, expected: str) -> None:
        """Sentences join with a space, none after a CJK mark, a line break after no mark."""
        assert condense(text, limit) == expected


class TestHostileRuns:
    """Runs of marks no whitespace follows are read once, not once per mark (which took 120 s
    for 100,000 dots, and a feed with one such entry timed out whole)."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("." * 100_000, id="dots"),
            pytest.param("?." * 50_000, id="question-dots"),
            pytest.param("।" * 100_000, id="dandas"),
            pytest.param("。" * 100_000, id="cjk"),
            pytest.param('."' * 50_000, id="dot-quote"),
            pytest.param("Storm. " + "." * 100_000 + " Next one.", id="inside-prose"),
            pytest.param(". " * 50_000, id="dot-space"),
        ],
    )
    def test_runs_of_marks_are_read_in_bounded_time(self, text: str) -> None:
        sentences = bounded(lambda: split_sentences(text), seconds=5)
        assert sentences
        assert len(bounded(lambda: condense(text), seconds=5)) <= DEFAULT_LIMIT
