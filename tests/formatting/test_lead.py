"""clean_lead and drop_repeated_title, from tables of cases: the story's own text, nothing else."""

from __future__ import annotations

import pytest

from bot.formatting.lead import clean_lead, drop_repeated_title


class TestDatelines:
    """A dateline at the lead's start goes, in its common forms; other starts stay."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("New Delhi: The government said.", "The government said.",
                         id="title-colon"),
            pytest.param("NEW DELHI, Dec 1 (Reuters) - India's economy grew.",
                         "India's economy grew.", id="reuters-hyphen"),
            pytest.param("LONDON, Dec 1 (Reuters) – Britain said.", "Britain said.",
                         id="reuters-en-dash"),
            pytest.param("MUMBAI (PTI): Shares rose.", "Shares rose.", id="pti-colon"),
            pytest.param("NEW DELHI, Dec 1 (PTI) The cabinet met.", "The cabinet met.",
                         id="pti-no-mark"),
            pytest.param("(AP) — The storm hit.", "The storm hit.", id="agency-only"),
            pytest.param("WASHINGTON — The Senate voted.", "The Senate voted.", id="caps-em-dash"),
            pytest.param("WASHINGTON (AP) — The Senate voted.", "The Senate voted.",
                         id="caps-agency-em-dash"),
            pytest.param("नई दिल्ली: सरकार ने कहा।", "सरकार ने कहा।", id="hindi-colon"),
            pytest.param("मुंबई, 1 दिसंबर (भाषा) महाराष्ट्र सरकार ने कहा।", "महाराष्ट्र सरकार ने कहा।",
                         id="bhasha"),
            pytest.param("श्रीनगर, 25 नवंबर (भाषा)। घाटी में बर्फ़ गिरी।", "घाटी में बर्फ़ गिरी।",
                         id="bhasha-danda"),
            pytest.param("लाहौर, 25 नवंबर (भाषा)। गाड़ियाँ चलीं।", "गाड़ियाँ चलीं।", id="bhasha-danda-2"),
            pytest.param("पहली बर्फ़ गिरी। स्कूल बंद।", "पहली बर्फ़ गिरी। स्कूल बंद।",
                         id="danda-without-agency-kept"),
            pytest.param("اسلام آباد: حکومت نے کہا۔", "حکومت نے کہا۔", id="urdu-colon"),
            pytest.param("Breaking: Storm hits.", "Breaking: Storm hits.", id="label-kept"),
            pytest.param("Nadal – who won – retired.", "Nadal – who won – retired.",
                         id="title-case-dash-kept"),
            pytest.param("Key points: rain.", "Key points: rain.", id="not-a-place"),
            pytest.param("NEW DELHI:", "NEW DELHI:", id="nothing-after"),
            pytest.param("Storm hits.\n\nNEW DELHI: Later.", "Storm hits.\n\nNEW DELHI: Later.",
                         id="only-at-the-start"),
            # A name followed by a colon only is a speaker unless it is a known place.
            pytest.param("Trump: I will win again.", "Trump: I will win again.", id="speaker"),
            pytest.param("Rahul Gandhi: BJP lied.", "Rahul Gandhi: BJP lied.", id="speaker-2"),
            pytest.param("Modi: India will grow fastest.", "Modi: India will grow fastest.",
                         id="speaker-3"),
            pytest.param("Elon Musk: Twitter is for sale.", "Elon Musk: Twitter is for sale.",
                         id="speaker-4"),
            pytest.param("Delhi Police: A man was arrested.", "Delhi Police: A man was arrested.",
                         id="speaker-place-and-word"),
            pytest.param("Police: Man arrested after chase.", "Police: Man arrested after chase.",
                         id="speaker-word"),
            pytest.param("NASA: Probe lands.", "NASA: Probe lands.", id="speaker-caps"),
            pytest.param("BJP: We will win.", "BJP: We will win.", id="speaker-caps-2"),
            pytest.param("मोदी: भारत आगे बढ़ेगा।", "मोदी: भारत आगे बढ़ेगा।", id="speaker-hindi"),
            pytest.param("शेयर बाजार: सेंसेक्स गिरा।", "शेयर बाजार: सेंसेक्स गिरा।",
                         id="topic-hindi"),
            pytest.param("New Delhi: The United States has once again asked…",
                         "The United States has once again asked…", id="gazetteer-title"),
            pytest.param("MUMBAI: Shares rose.", "Shares rose.", id="gazetteer-caps"),
            pytest.param("Kolkata/New Delhi: Rain.", "Rain.", id="gazetteer-slash"),
            pytest.param("Kolkata/Modi: Rain.", "Kolkata/Modi: Rain.", id="slash-not-places"),
            pytest.param("NASA, Dec 1 (Reuters) - Probe lands.", "Probe lands.",
                         id="date-proves-dateline"),
            # Hindi datelines closed by a danda or a bar, after a bureau or agency.
            pytest.param("नई दिल्ली। सरकार ने कहा।", "सरकार ने कहा।", id="hindi-danda"),
            pytest.param("नई दिल्ली, एजेंसी। सरकार ने कहा।", "सरकार ने कहा।", id="hindi-agency-danda"),
            pytest.param("नई दिल्ली, जागरण ब्यूरो। सरकार ने कहा।", "सरकार ने कहा।",
                         id="hindi-bureau-danda"),
            pytest.param("मुंबई, (एजेंसी)। शेयर चढ़े।", "शेयर चढ़े।", id="hindi-bracket-danda"),
            pytest.param("नई दिल्ली | सरकार ने कहा।", "सरकार ने कहा।", id="hindi-bar"),
            pytest.param("मोदी, भाजपा नेता। भारत जीता।", "मोदी, भाजपा नेता। भारत जीता।",
                         id="hindi-danda-not-place"),
            pytest.param("কলকাতা, ১ ডিসেম্বর: বৃষ্টি হয়েছে।", "বৃষ্টি হয়েছে।", id="bengali-date"),
            pytest.param("ঢাকা: বৃষ্টি হয়েছে।", "বৃষ্টি হয়েছে।", id="bengali-colon"),
            pytest.param("لاہور: بارش ہوئی۔", "بارش ہوئی۔", id="urdu-gazetteer"),
            pytest.param("北京12月1日电 记者报道。", "记者报道。", id="xinhua"),
            pytest.param("【北京】记者报道。", "记者报道。", id="cjk-bracket"),
            pytest.param("【東京＝共同】政府は発表した。", "政府は発表した。", id="kyodo"),
            pytest.param("【独家】记者报道。", "【独家】记者报道。", id="cjk-bracket-not-place"),
            # The story's first word is capitalised once the dateline is gone.
            pytest.param("CHENNAI — heavy rain.", "Heavy rain.", id="capitalised"),
            pytest.param("MUMBAI — eBay grew.", "eBay grew.", id="camel-case-kept"),
        ],
    )  # fmt: skip
    def test_dateline(self, text: str, expected: str) -> None:
        """Each dateline form is removed; a label, a name or a later line is not."""
        assert clean_lead(text) == expected


class TestBoilerplate:
    """Bylines, captions, calls to action, blog endings, cookies and scripts go."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("By Jane Doe\n\nStorm hits.", "Storm hits.", id="byline"),
            pytest.param("By Jane Doe | Updated: Dec 1, 2023 10:05 IST\n\nStorm hits.",
                         "Storm hits.", id="byline-updated"),
            pytest.param("Written by Jane Doe and John Roe\n\nStorm hits.", "Storm hits.",
                         id="written-by"),
            pytest.param("Reported by Ravi Kumar, PTI\nStorm hits.", "Storm hits.",
                         id="reported-by"),
            pytest.param("Updated: Dec 1, 2023\n\nStorm hits.", "Storm hits.", id="updated"),
            pytest.param("By the end of the year, prices rose.",
                         "By the end of the year, prices rose.", id="by-in-prose"),
            pytest.param("राजेश कुमार द्वारा\n\nभारत जीता।", "भारत जीता।", id="hindi-byline"),
            pytest.param("लेखक: राजेश कुमार\n\nभारत जीता।", "भारत जीता।", id="hindi-author"),
            pytest.param("Photo: Reuters\n\nStorm hits.", "Storm hits.", id="photo-credit"),
            pytest.param("Storm hits. (Image credit: Getty Images) More later.",
                         "Storm hits. More later.", id="image-credit-inline"),
            pytest.param("Police said (File photo) the road was closed.",
                         "Police said the road was closed.", id="file-photo-inline"),
            pytest.param("File photo. Police said.", "Police said.", id="file-photo-start"),
            pytest.param("Representational image\n\nPolice said.", "Police said.",
                         id="representational"),
            pytest.param("फाइल फोटो\n\nपुलिस ने कहा।", "पुलिस ने कहा।", id="hindi-file-photo"),
            pytest.param("पुलिस ने कहा (फोटो: पीटीआई) कि सड़क बंद है।", "पुलिस ने कहा कि सड़क बंद है।",
                         id="hindi-photo-inline"),
            pytest.param("Storm hits.\n\nShare this:\n\n• Click to share on Twitter (Opens in new "
                         "window)\n\n• Facebook\n\nLike this:\n\nLike Loading...", "Storm hits.",
                         id="jetpack-blocks"),
            pytest.param("Storm hits. Share this: Click to share on Twitter (Opens in new window) "
                         "Click to share on Facebook (Opens in new window) Like this: Like "
                         "Loading...", "Storm hits.", id="jetpack-one-line"),
            pytest.param("Storm hits.\n\nThe post Storm hits appeared first on Ex News.",
                         "Storm hits.", id="appeared-first-on"),
            pytest.param("Storm hits. Continue reading →", "Storm hits.", id="continue-reading"),
            pytest.param("Storm hits. Read more »", "Storm hits.", id="read-more"),
            pytest.param("Storm hits the coast. Continue reading…", "Storm hits the coast.",
                         id="continue-reading-ellipsis"),
            pytest.param("Storm hits the coast. Continue reading...", "Storm hits the coast.",
                         id="continue-reading-dots"),
            pytest.param("Storm hits the coast. [Read more]", "Storm hits the coast.",
                         id="read-more-bracketed"),
            pytest.param("Storm hits the coast. Read the full story", "Storm hits the coast.",
                         id="read-full-story"),
            pytest.param("Storm hits the coast. Click here to read more.", "Storm hits the coast.",
                         id="click-here-to-read-more"),
            pytest.param("He asked us to read more.", "He asked us to read more.",
                         id="read-more-in-prose"),
            pytest.param("भारत जीता।\n\nसौजन्य: एएनआई", "भारत जीता।", id="hindi-courtesy"),
            pytest.param("भारत जीता।\n\nइनपुट: भाषा", "भारत जीता।", id="hindi-input"),
            pytest.param("भारत जीता। (इनपुट: एजेंसी)", "भारत जीता।", id="hindi-input-inline"),
            pytest.param("भारत जीता।\n\n(इनपुट: एजेंसी)", "भारत जीता।", id="hindi-input-line"),
            pytest.param("भारत जीता।\n\nपढ़ें: अन्य खबर", "भारत जीता।", id="hindi-read"),
            pytest.param("भारत जीता।\n\nएजेंसी", "भारत जीता।", id="hindi-agency-alone"),
            pytest.param("Storm hits.\n\nAlso read: Other story\n\nALSO READ | Another\n\n"
                         "More rain.", "Storm hits.\n\nMore rain.", id="also-read"),
            pytest.param("Storm hits.\n\nSign up for our newsletter to get the news.\n\nFollow "
                         "us on Twitter and Facebook\n\nJoin our WhatsApp channel for updates",
                         "Storm hits.", id="newsletter-follow-join"),
            pytest.param("Storm hits.\n\nAdvertisement\n\nMore rain.", "Storm hits.\n\nMore rain.",
                         id="advertisement"),
            pytest.param("यह भी पढ़ें: दूसरी खबर\n\nभारत जीता।", "भारत जीता।", id="hindi-also-read"),
            pytest.param("भारत जीता।\n\nहमारे व्हाट्सऐप चैनल से जुड़ें", "भारत जीता।",
                         id="hindi-channel"),
            pytest.param("بارش ہوئی۔\n\nیہ بھی پڑھیں: دوسری خبر", "بارش ہوئی۔",
                         id="urdu-also-read"),
            pytest.param("We use cookies to improve your experience.\n\nStorm hits.",
                         "Storm hits.", id="cookie-notice"),
            pytest.param("(adsbygoogle = window.adsbygoogle || []).push({});\n\nStorm hits.",
                         "Storm hits.", id="script-text"),
            pytest.param("Storm hits the coast […]", "Storm hits the coast…",
                         id="bracketed-ellipsis"),
            pytest.param("Readers continue reading the report.",
                         "Readers continue reading the report.", id="prose-kept"),
            pytest.param("…", "…", id="marks-only-kept-when-alone"),
            pytest.param("Storm hits.\n\n* * *\n\nMore rain.", "Storm hits.\n\nMore rain.",
                         id="section-break"),
            pytest.param("", "", id="empty"),
        ],
    )  # fmt: skip
    def test_boilerplate(self, text: str, expected: str) -> None:
        """Each phrase a reader of a post should not see is gone; the story stays."""
        assert clean_lead(text) == expected


class TestRepetition:
    """A lead says each thing once: repeated lines, sentences and teasers go."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("Storm hits. Ferries stay in port. Storm hits. Ferries stay in port. "
                         "Officials met.", "Storm hits. Ferries stay in port. Officials met.",
                         id="glued-in-one-line"),
            pytest.param("The harbour closed on Tuesday. Ferries…\n\nThe harbour closed on "
                         "Tuesday. Ferries stayed in port.",
                         "The harbour closed on Tuesday. Ferries stayed in port.",
                         id="teaser-then-content"),
            pytest.param("The council voted for the bridge.\n\nThe council voted for the bridge."
                         "\n\nWork starts in May.",
                         "The council voted for the bridge.\n\nWork starts in May.",
                         id="paragraph-twice"),
            pytest.param("Yes. No. Maybe.", "Yes. No. Maybe.", id="short-sentences-kept"),
        ],
    )  # fmt: skip
    def test_repetition(self, text: str, expected: str) -> None:
        """What was said before is not said again."""
        assert clean_lead(text) == expected


class TestRepeatedTitle:
    """The headline is not repeated as the lead's first line or sentence."""

    @pytest.mark.parametrize(
        ("title", "text", "expected"),
        [
            pytest.param("Storm closes the harbour", "Storm closes the harbour. Ferries stay.",
                         "Ferries stay.", id="first-sentence"),
            pytest.param("Storm closes the harbour", "STORM CLOSES THE HARBOUR!\n\nFerries stay.",
                         "Ferries stay.", id="first-line-case-and-mark"),
            pytest.param("Storm hits", "Storm hits: coast closed.", "coast closed.", id="colon"),
            pytest.param("Storm hits", "Storm hits — coast closed.", "coast closed.", id="dash"),
            pytest.param("Apple", "Apple, the iPhone maker, grew.",
                         "Apple, the iPhone maker, grew.", id="comma-kept"),
            pytest.param("Rain", "Rainbows appear.", "Rainbows appear.", id="word-prefix-kept"),
            pytest.param("Storm hits the…", "Storm hits the coast.", "Storm hits the coast.",
                         id="cut-title"),
            pytest.param("Storm closes the harbour", "NEW DELHI: Storm closes the harbour. Ferries "
                         "stay.", "Ferries stay.", id="after-dateline"),
        ],
    )  # fmt: skip
    def test_repeated_title(self, title: str, text: str, expected: str) -> None:
        """A first line or sentence equal to the title (or it and a mark) goes."""
        assert clean_lead(text, title=title) == expected

    def test_lines_are_kept(self) -> None:
        """drop_repeated_title keeps the rest's line breaks."""
        assert drop_repeated_title("Title\nOne.\n\nTwo.", "Title") == "One.\n\nTwo."


class TestLongText:
    """A 100 KB article is cleaned whole, quickly."""

    def test_hundred_kb(self) -> None:
        """Every distinct paragraph of a 100 KB text stays, in order."""
        paragraphs = [f"Paragraph {i} tells part {i} of the long story." for i in range(2200)]
        text = "\n\n".join(paragraphs)
        assert len(text) > 100_000
        assert clean_lead(text) == text


@pytest.mark.parametrize(
    "line",
    [
        "A" * 100_000 + ":",
        "New " * 25_000,
        "नई " * 25_000 + "।",
        "Storm hits. " + "Continue reading " * 6_000,
        "Storm hits. " + "[Read more " * 9_000,
        "【" + "北" * 100_000,
        "北京" + "1" * 100_000,
        "(इनपुट: " * 12_000,
        "Kolkata/" * 12_000 + ":",
    ],
    ids=["caps", "title", "danda", "continue", "bracket", "cjk", "xinhua", "input", "slash"],
)
def test_adversarial_line_is_fast(line: str) -> None:
    """A 100 KB line made to trip the patterns is cleaned in well under a second."""
    import time

    start = time.perf_counter()
    clean_lead(line)
    assert time.perf_counter() - start < 1.0


def test_every_inline_phrase_holds_a_hint() -> None:
    """Lines are searched for inline phrases only when they hold a hint: each phrase must."""
    from bot.formatting.lead import INLINE_HINTS, PHRASES

    # In a pattern's source a literal "(" is written "\(" (a bare one opens a group).
    written = {"(": "\\(", **{hint: hint for hint in INLINE_HINTS if hint != "("}}
    assert set(written) == set(INLINE_HINTS)
    for phrases in PHRASES.values():
        for pattern in phrases.inline:
            assert any(form in pattern for form in written.values()), pattern


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "यह भी पढ़ें" with the precomposed ढ़ (U+095D) is the same phrase as with ड + nukta.
        pytest.param("बारिश हुई।\nयह भी प\u095dें: और खबर", "बारिश हुई।", id="precomposed-nukta"),
        pytest.param("A\u030angström won.", "\u00c5ngström won.", id="decomposed-ring-kept"),
        pytest.param("बारिश हुई।\nपूरी ख\u093cबर पढ़ें", "बारिश हुई।", id="read-more-with-nukta"),
        pytest.param("बारिश हुई। पूरी \u0959बर पढ़ें", "बारिश हुई।", id="read-more-precomposed"),
        pytest.param("बारिश हुई।\nएजेंसियाँ", "बारिश हुई।", id="agencies-chandrabindu"),
    ],
)
def test_text_is_read_in_nfc(text: str, expected: str) -> None:
    assert clean_lead(text) == expected
