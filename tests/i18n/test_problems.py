"""What editors read when something fails: one translated sentence per class of bot/errors.py
(its specifics kept), the kind of a paused feed's failure in words, and the statistics in
Hindi, in the chat's fixed-width block."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import (
    AlreadyPostedError,
    BlockedAddressError,
    ConfigError,
    ErrorKind,
    FeedExistsError,
    FeedNotFoundError,
    FeedParseError,
    FeedSettingError,
    FetchError,
    HTTPStatusError,
    InvalidCampaignError,
    NewsbotError,
    PageParseError,
    ParseError,
    ResponseTooLargeError,
    TemplateError,
)
from bot.handlers import texts
from bot.i18n import translator_for
from bot.services.stats import CampaignCount, FeedHealth, Stats, format_stats

EN, HI = translator_for("en"), translator_for("hi")
URL = "https://news.example/a?x=1&y=2"

ERRORS: list[tuple[NewsbotError, str, str]] = [
    (HTTPStatusError(URL, 404), "no such page (HTTP 404)", "(HTTP 404)"),
    (HTTPStatusError(URL, 403), "refused to show the page (HTTP 403)", "(HTTP 403)"),
    (HTTPStatusError(URL, 429), "too many requests (HTTP 429)", "(HTTP 429)"),
    (HTTPStatusError(URL, 503), "a problem of its own (HTTP 503)", "(HTTP 503)"),
    (HTTPStatusError(URL, 418), "answered with an error (HTTP 418)", "(HTTP 418)"),
    (
        BlockedAddressError(URL, "loopback"),
        "https://news.example/a?x=1&amp;y=2 points into a private",
        "https://news.example/a?x=1&amp;y=2",
    ),
    (ResponseTooLargeError(URL, "over 5 MB"), "too large", "https://news.example/a?x=1&amp;y=2"),
    (FetchError(URL, "no such host", kind=ErrorKind.DNS), "name could not be found", "नाम"),
    (FetchError(URL, "refused"), "could not be reached", "संपर्क"),
    (FetchError(URL, "slow", kind=ErrorKind.TIMEOUT), "too long to answer", "देर"),
    (FetchError(URL, "bad cert", kind=ErrorKind.TLS), "certificate", "सर्टिफ़िकेट"),
    (FetchError("ftp://x", "scheme", kind=ErrorKind.INVALID_URL), "https://", "https://"),
    (FetchError(URL, "loop", kind=ErrorKind.HTTP_STATUS), "an error instead of", "गड़बड़ी"),
    (FeedParseError(URL, "html", kind=ErrorKind.NOT_A_FEED), "not a feed", "फ़ीड"),
    (FeedParseError(URL, "broken"), "so broken", "खराब"),
    (PageParseError(URL, "no title"), "no article with a title", "शीर्षक"),
    (ParseError(URL, "odd", kind=ErrorKind.TOO_LARGE), "too large", "बड़ा"),
    (ParseError(URL, "odd", kind=ErrorKind.INTERNAL), "technical team", "तकनीकी टीम"),
    (AlreadyPostedError(URL, 42), "(article 42, https://news.example/a?x=1&amp;y=2)", "खबर 42"),
    (FeedNotFoundError(7), "no feed 7", "फ़ीड 7"),
    (FeedNotFoundError(URL), "no feed with the address https://", "पते वाली"),
    (FeedExistsError(URL, 3), "is already feed 3", "फ़ीड 3"),
    (FeedSettingError("interval 0 < 1"), "out of bounds", "सीमा"),
    (InvalidCampaignError("bad name!"), "bad name!", "bad name!"),
    (
        TemplateError("line 3: unexpected '}' <x>"),
        "<code>line 3: unexpected '}' &lt;x&gt;",
        "<code>",
    ),
    (ConfigError("EDITOR_IDS", "not numbers"), "EDITOR_IDS", "EDITOR_IDS"),
    (NewsbotError("anything"), "try again", "फिर कोशिश"),
]


class TestProblem:
    @pytest.mark.parametrize(
        ("error", "english", "hindi"), ERRORS, ids=[type(e).__name__ for e, _, _ in ERRORS]
    )
    def test_each_error_has_its_sentence(
        self, error: NewsbotError, english: str, hindi: str
    ) -> None:
        """Each error is one sentence in English and in Hindi, with its specifics escaped."""
        en, hi = texts.problem(EN, error), texts.problem(HI, error)
        assert english in en
        assert hindi in hi
        assert en != hi
        assert str(error) not in en or isinstance(error, TemplateError)

    def test_the_sentences_differ(self) -> None:
        """No two classes of failure (but one kind given twice) read the same."""
        shown = [texts.problem(EN, error) for error, _, _ in ERRORS]
        assert len(set(shown)) == len(shown)

    def test_push_and_preview_say_what_failed(self) -> None:
        """A failed /push or /preview says so, then why."""
        error = AlreadyPostedError(URL, 42)
        assert texts.push_failed(EN, error) == "Not pushed. " + texts.problem(EN, error)
        assert texts.preview_failed(HI, error).startswith("प्रीव्यू नहीं बन सका। यह खबर पहले")

    @pytest.mark.parametrize("kind", list(ErrorKind))
    def test_every_kind_in_words(self, kind: ErrorKind) -> None:
        """Each ErrorKind has a sentence of its own in both languages; an unknown kind a
        generic one."""
        generic = texts.kind_problem(EN, "no-such-kind")
        assert texts.kind_problem(EN, kind) != generic
        assert texts.kind_problem(HI, kind) != texts.kind_problem(HI, None)
        assert texts.kind_problem(EN, str(kind)) == texts.kind_problem(EN, kind)

    def test_paused_feed_says_the_kind_in_words(self) -> None:
        """The alert names the kind in words and keeps the stored error as an escaped detail."""
        alert = texts.feed_paused(
            HI, 3, URL, 2, "http_status", "cannot fetch: the server answered HTTP 503 <b>"
        )
        assert "⚠️ <b>फ़ीड 3 रोक दी गई है</b>" in alert
        assert texts.kind_problem(HI, "http_status") in alert
        assert (
            "<code>http_status: cannot fetch: the server answered HTTP 503 &lt;b&gt;</code>"
            in alert
        )
        assert "https://news.example/a?x=1&amp;y=2" in alert
        english = texts.feed_paused(EN, 3, URL, 1, None, None)
        assert "after 1 failed poll in a row" in english
        assert texts.kind_problem(EN, None) in english
        long = texts.feed_paused(EN, 3, URL, 5, "connect", "x" * 1000)
        assert "x" * 280 in long
        assert "x" * 400 not in long


READ_AT = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
STATS = Stats(
    readers=5,
    subscribed=3,
    inactive=1,
    campaigns=[CampaignCount("poster-a", 4, 2, 1), CampaignCount(None, 1, 1, 1)],
    articles_published=1,
    deliveries={"sent": 7, "failed": 1},
    feeds=[
        FeedHealth(1, "https://news.example/feed", "News", True, 12, READ_AT, 0, None),
        FeedHealth(2, "https://other.example/rss", "Other", False, 1, None, 1, "HTTP 503"),
    ],
)


class TestStats:
    def test_english_by_default(self) -> None:
        """Without a translator the numbers are in English, as `newsbot stats` prints them."""
        text = format_stats(STATS)
        assert text == format_stats(STATS, EN)
        assert text.startswith("5 readers: 3 subscribed, 1 unreachable\n1 article published\n")
        assert "Deliveries: failed 1, sent 7" in text
        assert "Sign-ups per campaign:" in text
        assert "(no campaign)" in text
        assert (
            "12 articles, last read 2026-12-02 05:00 UTC, 0 errors  https://news.example/feed"
            in text
        )
        assert "1 article, last read never, 1 error  https://other.example/rss" in text
        assert "      last error: HTTP 503" in text

    def test_hindi(self) -> None:
        """In Hindi every word is Hindi, the plural forms follow the counts."""
        text = format_stats(STATS, HI)
        lines = text.splitlines()
        assert lines[0] == "5 पाठक: 3 ने सब्सक्राइब किया है, 1 तक संदेश नहीं पहुँचते"
        assert lines[1] == "1 खबर प्रकाशित"
        assert lines[2] == "डिलीवरी: नाकाम 1, भेजी गई 7"
        assert "हर कैंपेन से साइन-अप:" in lines
        assert "(बिना कैंपेन)" in text
        assert "12 खबरें, आखिरी बार पढ़ी गई: 2026-12-02 05:00 UTC, 0 गड़बड़ी" in text
        assert "1 खबर, आखिरी बार पढ़ी गई: कभी नहीं, 1 गड़बड़ी" in text
        assert "   1 चालू     12 खबरें" in text
        assert "   2 रुकी हुई 1 खबर" in text
        assert "आखिरी गड़बड़ी: HTTP 503" in text
        assert not any(word in text for word in ("Readers", "articles", "active", "never"))
        many = format_stats(Stats(2, 0, 0, [], 3, {}, []), HI)
        assert many.splitlines()[:3] == [
            "2 पाठक: 0 ने सब्सक्राइब किया है, 0 तक संदेश नहीं पहुँचते",
            "3 खबरें प्रकाशित",
            "डिलीवरी: कोई नहीं",
        ]
        assert many.count("(अभी कोई नहीं)") == 2

    def test_chat_shows_an_escaped_block_cut_to_one_message(self) -> None:
        """/stats shows the table in <pre>, escaped, and cuts it at a line to fit a message."""
        shown = texts.stats(EN, "a < b\nc & d")
        assert shown == "<b>newsbot in numbers</b>\n<pre>a &lt; b\nc &amp; d</pre>"
        table = "\n".join(f"line {n} " + "x" * 50 for n in range(200))
        cut = texts.stats(HI, table)
        assert cut.startswith("<b>आँकड़ों में newsbot</b>\n<pre>line 0 ")
        assert "line 199" not in cut
        assert cut.endswith("<code>newsbot stats</code> चलाकर देखें।")
        assert len(cut) < 4096
