"""render_post: Telegram-safe HTML within Telegram's limits, checked by the sandbox's parser."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from bot.formatting.condense import ELLIPSIS
from bot.formatting.html_text import clean_line
from bot.formatting.post import CAPTION_LIMIT, MESSAGE_LIMIT, Post, read_more_label, render_post
from bot.formatting.telegram_html import parse_telegram_html, telegram_shows

LINK = "https://news.example/a"


def assert_valid(post: Post) -> None:
    """``post`` parses as Telegram HTML, shows ``post.text`` and fits its limit."""
    assert parse_telegram_html(post.html).text == post.text
    assert post.text.strip()
    assert len(post.text) <= (CAPTION_LIMIT if post.image else MESSAGE_LIMIT)


class TestRenderPost:
    """The shape of a post: title, summary, link, escaping."""

    @pytest.mark.parametrize(
        ("title", "summary", "link", "html", "text"),
        [
            pytest.param(
                "Rain & wind", "Storms hit the coast. More tomorrow.", LINK,
                '<b>Rain &amp; wind</b>\n\nStorms hit the coast. More tomorrow.\n\n'
                '<a href="https://news.example/a">Read more</a>',
                "Rain & wind\n\nStorms hit the coast. More tomorrow.\n\nRead more",
                id="plain",
            ),
            pytest.param(
                "a < b > c", "x &amp; y <i>", None,
                "<b>a &lt; b &gt; c</b>\n\nx &amp;amp; y &lt;i&gt;",
                "a < b > c\n\nx &amp; y <i>",
                id="escaped-exactly-once",
            ),
            pytest.param(
                "Quotes", "", 'https://ex.com/?q="x"&r=\'y\'',
                '<b>Quotes</b>\n\n<a href="https://ex.com/?q=&quot;x&quot;&amp;r=&#x27;y&#x27;">'
                "Read more</a>",
                "Quotes\n\nRead more",
                id="href-quotes",
            ),
            pytest.param(
                "Title", "   \n\n  ", None, "<b>Title</b>", "Title", id="whitespace-summary",
            ),
            pytest.param(
                "Two\nlines", "Para one.\n\nPara two.", None,
                "<b>Two lines</b>\n\nPara one. Para two.", "Two lines\n\nPara one. Para two.",
                id="one-line-title-one-paragraph-summary",
            ),
        ],
    )  # fmt: skip
    def test_renders(
        self, title: str, summary: str, link: str | None, html: str, text: str
    ) -> None:
        """Each article becomes exactly this HTML and this visible text."""
        post = render_post(title, summary, link)
        assert (post.html, post.text) == (html, text)
        assert_valid(post)

    @pytest.mark.parametrize(
        "link",
        [
            pytest.param("javascript:alert(1)", id="javascript"),
            pytest.param("mailto:desk@news.example", id="mailto"),
            pytest.param("/relative/path", id="relative"),
            pytest.param("ftp://news.example/a", id="ftp"),
            pytest.param("", id="empty"),
            pytest.param(None, id="none"),
        ],
    )  # fmt: skip
    def test_only_http_links_make_an_anchor(self, link: str | None) -> None:
        """A link that is not absolute http(s) gives a post without an anchor."""
        post = render_post("Title", "Summary.", link)
        assert "<a " not in post.html
        assert post.text == "Title\n\nSummary."
        assert_valid(post)

    @pytest.mark.parametrize(
        ("link", "href"),
        [
            pytest.param("https://news.example/\ud800", "https://news.example/",
                         id="lone-surrogate"),
            pytest.param("https://news.example/a\udc80b", "https://news.example/ab",
                         id="low-surrogate-inside"),
        ],
    )  # fmt: skip
    def test_link_with_surrogates_loses_them(self, link: str, href: str) -> None:
        """Lone surrogates in a link are dropped instead of failing to percent-encode."""
        post = render_post("Title", "", link)
        assert f'<a href="{href}">' in post.html
        assert_valid(post)

    @pytest.mark.parametrize(
        "link",
        [
            pytest.param("http://localhost:8080/a", id="host-without-dot"),
            pytest.param('http://a"b.example/', id="quote-in-host"),
            pytest.param("http://news.example:99999/a", id="bad-port"),
        ],
    )  # fmt: skip
    def test_link_telegram_would_drop_makes_no_anchor(self, link: str) -> None:
        """A link Telegram would not make clickable gives no "Read more" at all."""
        post = render_post("Title", "Summary.", link)
        assert "<a " not in post.html
        assert post.text == "Title\n\nSummary."

    def test_link_with_spaces_is_percent_encoded(self) -> None:
        """Whitespace in a link is percent-encoded rather than breaking the anchor."""
        post = render_post("Title", "", "https://news.example/a b")
        assert '<a href="https://news.example/a%20b">' in post.html
        assert_valid(post)

    @pytest.mark.parametrize(
        ("title", "label"),
        [
            pytest.param("Storm closes the harbour", "Read more", id="english"),
            pytest.param("भारत ने फाइनल जीता", "पूरी खबर पढ़ें", id="hindi"),
            pytest.param("IPL 2024: मुंबई इंडियंस ने मैच जीता", "पूरी खबर पढ़ें", id="hindi-mixed"),
            pytest.param("لاہور میں شدید بارش", "مزید پڑھیں", id="urdu"),
            pytest.param("BBC اردو", "مزید پڑھیں", id="urdu-tie"),
            pytest.param("Новости дня", "Read more", id="cyrillic"),
        ],
    )  # fmt: skip
    def test_label_follows_the_title_script(self, title: str, label: str) -> None:
        """The anchor's label is in the script most of the title is written in."""
        post = render_post(title, "", LINK)
        assert post.text.endswith(f"\n\n{label}")
        assert read_more_label(title) == label
        assert_valid(post)

    def test_label_of_a_title_without_letters_follows_the_summary(self) -> None:
        """A title like "2024" leaves the label to the summary's script."""
        assert read_more_label("2024", "भारत ने फाइनल जीता") == "पूरी खबर पढ़ें"

    @pytest.mark.parametrize(
        ("title", "summary", "expected_summary"),
        [
            pytest.param("Storm hits", "Storm hits", "", id="same"),
            pytest.param("Storm hits", "storm HITS", "", id="same-ignoring-case"),
            pytest.param("Storm hits", "Storm hits: coast closed.", "coast closed.", id="colon"),
            pytest.param("Storm hits", "Storm hits — coast closed.", "coast closed.", id="dash"),
            pytest.param("Storm hits", "Storm hits. Coast closed.", "Coast closed.", id="stop"),
            pytest.param("भारत जीता", "भारत जीता। कप्तान चमके।", "कप्तान चमके।", id="danda"),
            pytest.param("Rain", "Rainbows appear.", "Rainbows appear.", id="not-a-word-prefix"),
            pytest.param("Storm", "Storm-5 arrives.", "Storm-5 arrives.", id="hyphenated"),
            pytest.param("Storm hits", "Storm hits.", "", id="same-with-stop"),
            pytest.param("Storm hits", "Storm hits | coast closed.", "coast closed.", id="bar"),
            pytest.param("What now?", "What now? Officials met.", "Officials met.",
                         id="title-ends-in-mark"),
            pytest.param("Storm Ciarán", "Storm Ciarán hit the coast on Thursday, cutting power…",
                         "Storm Ciarán hit the coast on Thursday, cutting power…",
                         id="sentence-starting-with-title"),
            pytest.param("Apple", "Apple, the iPhone maker, reported profits.",
                         "Apple, the iPhone maker, reported profits.", id="comma"),
            pytest.param("Storm hits", "Storm hits; coast closed.", "Storm hits; coast closed.",
                         id="semicolon"),
            pytest.param("Storm hits", "Storm hits\n\nThe coast closed.", "The coast closed.",
                         id="own-paragraph"),
            pytest.param("Storm hits", "Storm hits\nthe coast", "the coast", id="own-line"),
        ],
    )  # fmt: skip
    def test_repeated_title_is_dropped_from_the_summary(
        self, title: str, summary: str, expected_summary: str
    ) -> None:
        """A summary that repeats the title (equal, or it and a mark) loses the repetition."""
        post = render_post(title, summary, None)
        assert post.summary == expected_summary
        assert post.text == "\n\n".join(part for part in (title, expected_summary) if part)
        assert_valid(post)

    @pytest.mark.parametrize(
        ("summary", "link", "text"),
        [
            pytest.param("First sentence. Second one.", None, "First sentence\n\nSecond one.",
                         id="from-summary"),
            pytest.param("", "https://www.news.example/a", "www.news.example\n\nRead more",
                         id="from-link-host"),
            pytest.param("", "javascript:void(0)", "(untitled)", id="nothing-left"),
            pytest.param(" \u200b ", None, "(untitled)", id="invisible-only"),
            pytest.param("\u3164 \u2066\ufe0f", None, "(untitled)", id="ignorable-only"),
        ],
    )  # fmt: skip
    def test_empty_title_falls_back(self, summary: str, link: str | None, text: str) -> None:
        """Without a title the post starts with the summary, else the link's host."""
        post = render_post("  ", summary, link)
        assert post.text == text
        assert_valid(post)

    @pytest.mark.parametrize(
        "title",
        ["\u202e", "\u2066", "\u2069", "\u202a", "\u200e", "\u200f", "\u200c", "\u034f",
         "\ufe0f", "\uffff", "\u3164", "\u2800", "\u200e\u2069 \u3164"],
    )  # fmt: skip
    def test_invisible_title_falls_back(self, title: str) -> None:
        """A title of only characters Telegram deletes or draws as nothing is no title."""
        assert render_post(title, "", None).text == "(untitled)"
        post = render_post(title, "Storms hit. More tomorrow.", None)
        assert post.text == "Storms hit\n\nMore tomorrow."
        assert_valid(post)

    def test_invisible_summary_is_left_out(self) -> None:
        """A summary that shows nothing is no paragraph."""
        post = render_post("Rain", "\u3164\u2066 \ufe0f", "https://news.example/a")
        assert post.summary == ""
        assert post.text == "Rain\n\nRead more"

    def test_text_has_nothing_telegram_would_change(self) -> None:
        """Characters Telegram deletes or replaces are not in the post: it shows what it says."""
        post = render_post("Rain\u202e \u200e\u200b\u200ex", "Storms\u202a hit.", None,
                           hashtags=["\u202e", "#Wind\u2066"])  # fmt: skip
        assert post.text == "Rain \u200c\u200ex\n\nStorms hit.\n\n#Wind\u2066"
        assert telegram_shows(parse_telegram_html(post.html)).text == post.text

    @pytest.mark.parametrize(
        ("summary", "title", "expected_summary"),
        [
            pytest.param("A " + "long " * 30 + "sentence. Second one.",
                         "A " + "long " * 22 + "long…", "Second one.", id="cut-first-sentence"),
            pytest.param("Only one sentence here.", "Only one sentence here", "",
                         id="single-sentence"),
            pytest.param("भारत जीता। कप्तान चमके।", "भारत जीता", "कप्तान चमके।", id="danda"),
        ],
    )  # fmt: skip
    def test_title_from_the_summary_is_not_repeated(
        self, summary: str, title: str, expected_summary: str
    ) -> None:
        """A title made of the summary's first sentence is followed by the sentences after it."""
        post = render_post("", summary, None)
        assert post.text.split("\n\n")[0] == title
        assert post.summary == expected_summary
        assert_valid(post)

    def test_summary_is_condensed_to_summary_limit(self) -> None:
        """The summary holds whole sentences within summary_limit."""
        summary = "One short sentence. " * 10
        post = render_post("Title", summary, None, summary_limit=45)
        assert post.summary == "One short sentence. One short sentence."
        assert_valid(post)


class TestLimits:
    """Telegram's limits: 1024 for a caption, 4096 for a message, cut only between words."""

    @pytest.mark.parametrize(
        ("image", "limit"),
        [
            pytest.param("https://img.news.example/a.jpg", CAPTION_LIMIT, id="caption"),
            pytest.param(None, MESSAGE_LIMIT, id="message"),
        ],
    )  # fmt: skip
    def test_long_summary_shrinks_first(self, image: str | None, limit: int) -> None:
        """A summary too long for the limit is condensed further; the title stays whole."""
        title = "A headline of reasonable length"
        summary = "Words of a long sentence. " * 400
        post = render_post(title, summary, LINK, image, summary_limit=10_000)
        assert len(post.text) <= limit
        assert len(post.text) > limit - 40
        assert post.text.startswith(title + "\n\n")
        assert post.summary.endswith("sentence.")
        assert_valid(post)

    @pytest.mark.parametrize(
        ("image", "limit"),
        [
            pytest.param("https://img.news.example/a.jpg", CAPTION_LIMIT, id="caption"),
            pytest.param(None, MESSAGE_LIMIT, id="message"),
        ],
    )  # fmt: skip
    def test_long_title_is_cut_at_a_word(self, image: str | None, limit: int) -> None:
        """A title too long for the limit is cut between words with an ellipsis."""
        post = render_post("Endless headline & more " * 300, "Summary.", LINK, image)
        title = post.text.split("\n\n")[0]
        assert title.endswith("more…") or title.endswith("headline…") or title.endswith("&…")
        assert len(post.text) <= limit
        assert post.summary == ""
        assert_valid(post)

    def test_image_must_be_http(self) -> None:
        """A data: or relative image is dropped, and the post is then a text message."""
        assert render_post("T", "S.", None, "data:image/png;base64,AAA").image is None
        assert render_post("T", "S.", None, "/img.jpg").image is None
        assert render_post("T", "S.", None, "https://i.example/a.jpg").image == (
            "https://i.example/a.jpg"
        )

    def test_escaping_does_not_count_against_the_limit(self) -> None:
        """The limit counts visible characters, so '&' (five bytes of HTML) counts as one."""
        post = render_post("&" * 1000, "", None, "https://i.example/a.jpg")
        assert post.text == "&" * 1000
        assert post.html.count("&amp;") == 1000
        assert_valid(post)


ADVERSARIAL = [
    "word", "Word.", " ", "  ", "\n", "\n\n", "<", ">", "&", "&amp;", "&lt;b&gt;", '"', "'",
    ". ", "! ", "? ", "…", "।", "۔", "؟", "é", "ß", "İ", "भारत", "क्षत्रिय", "\u200d", "\u200b",
    "\u00a0", "😀", "👨\u200d👩\u200d👧", "🇮🇳", "مزید", "x" * 300, "e.g.", "U.S.", "Mr.", "3.5",
    "<b>", "</b>", "<a href='x'>", "&#39;", "&nbsp;", "\r", "\t", "\x00", "\x07", "\ud800",
    "\u2028", "\ufeff", "\u0301",
]  # fmt: skip
LINKS = [None, LINK, 'https://ex.com/?a=1&b="2"', "javascript:alert(1)", "/rel", "https://"]
IMAGES = [None, None, "https://img.example/x.jpg", "data:image/gif;base64,AA"]


def _random_text(rng: random.Random, length: int) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        if rng.random() < 0.5:
            parts.append(rng.choice(ADVERSARIAL))
        else:
            parts.append("".join(rng.choices("abcdefgh ", k=rng.randint(1, 12))))
        size += len(parts[-1])
    return "".join(parts)


def _words(text: str) -> set[str]:
    return set(clean_line(text).split())


class TestProperties:
    """Properties that hold for any title and summary."""

    def test_random_adversarial_posts_are_valid_fit_and_cut_only_with_ellipsis(self) -> None:
        """Any input gives valid Telegram HTML within the limit, words cut only before '…'."""
        rng = random.Random(1024)
        for _ in range(1500):
            title = _random_text(rng, rng.choice([0, 5, 60, 400, 5000]))
            summary = _random_text(rng, rng.choice([0, 30, 600, 5000]))
            link = rng.choice(LINKS)
            image = rng.choice(IMAGES)
            post = render_post(title, summary, link, image)
            assert_valid(post)
            source_words = _words(title) | _words(summary) | {"(untitled)"}
            if link and post.html.endswith("</a>"):
                source_words.add(urlsplit(link).hostname or "")
            shown = post.text.split("\n\n")
            if post.html.endswith("</a>"):
                shown = shown[:-1]
            for word in _words("\n\n".join(shown)):
                # A headline made of the first sentence drops its full stop.
                if word in source_words or any(word + stop in source_words for stop in ".।۔。"):
                    continue
                cut = word.removesuffix(ELLIPSIS)
                assert word.endswith(ELLIPSIS), (title, summary, post)
                assert any(source.startswith(cut) for source in source_words), (word, post)

    @pytest.mark.parametrize("size", [0, 1, 1023, 1024, 1025, 4096, 5000])
    def test_any_size_fits(self, size: int) -> None:
        """Titles and summaries of any size give a post within the limit."""
        for image in (None, "https://img.example/x.jpg"):
            post = render_post("t" * size, "s " * size, LINK, image)
            assert_valid(post)


class TestStyles:
    """POST_STYLE: what is asked for, and what the post actually is."""

    @pytest.mark.parametrize(
        ("style", "image", "link", "kind", "method", "limit"),
        [
            pytest.param("photo", "https://img.news.example/a.jpg", LINK, "photo", "sendPhoto",
                         CAPTION_LIMIT, id="photo"),
            pytest.param("photo", None, LINK, "preview", "sendMessage", MESSAGE_LIMIT,
                         id="photo-without-image-is-preview"),
            pytest.param("photo", "data:image/png;base64,AA", LINK, "preview", "sendMessage",
                         MESSAGE_LIMIT, id="photo-with-unusable-image"),
            pytest.param("photo", None, None, "text", "sendMessage", MESSAGE_LIMIT,
                         id="nothing-to-preview"),
            pytest.param("preview", "https://img.news.example/a.jpg", LINK, "preview",
                         "sendMessage", MESSAGE_LIMIT, id="preview"),
            pytest.param("text", "https://img.news.example/a.jpg", LINK, "text", "sendMessage",
                         MESSAGE_LIMIT, id="text"),
        ],
    )  # fmt: skip
    def test_style(
        self, style: str, image: str | None, link: str | None, kind: str, method: str, limit: int
    ) -> None:
        """A long summary is held to the limit of what the post is, not to a caption's."""
        post = render_post(
            "Title", "Words of a long sentence. " * 300, link, image,
            summary_limit=10_000, style=style,  # type: ignore[arg-type]
        )  # fmt: skip
        assert (post.style, post.method) == (kind, method)
        assert (post.image is not None) == (kind == "photo")
        assert limit - 60 < len(post.text) <= limit
        assert_valid(post)

    def test_unknown_style_is_refused(self) -> None:
        """A style that is not photo, preview or text is a programming error."""
        with pytest.raises(ValueError, match="style must be one of"):
            render_post("T", "S", None, style="video")  # type: ignore[arg-type]

    def test_default_summary_limit_is_350(self) -> None:
        """Without summary_limit the summary holds at most 350 code points."""
        post = render_post("Title", "This sentence has exactly forty letters. " * 20, None)
        assert 300 < len(post.summary) <= 350


class TestHashtagsInPosts:
    """Hashtags on their own line before the link."""

    @pytest.mark.parametrize(
        ("hashtags", "link", "text"),
        [
            pytest.param(["#Weather", "Coast"], LINK,
                         "Storm\n\nRain today.\n\n#Weather #Coast\n\nRead more", id="before-link"),
            pytest.param(["#Weather"], None, "Storm\n\nRain today.\n\n#Weather", id="no-link"),
            pytest.param([], LINK, "Storm\n\nRain today.\n\nRead more", id="none"),
        ],
    )  # fmt: skip
    def test_line(self, hashtags: list[str], link: str | None, text: str) -> None:
        """Tags are shown as '#tag #tag' on their own line, the link after them."""
        post = render_post("Storm", "Rain today.", link, hashtags=hashtags)
        assert post.text == text
        assert_valid(post)

    def test_hashtags_go_before_the_title_is_cut(self) -> None:
        """A title that fills the caption drops the hashtags rather than more of itself."""
        image = "https://img.news.example/a.jpg"
        post = render_post("word " * 210, "", LINK, image, hashtags=["#Weather"])
        assert "#Weather" not in post.text
        assert_valid(post)


class TestLabelByLanguage:
    """The label follows the article's language: the summary's, else the title's."""

    @pytest.mark.parametrize(
        ("title", "summary", "label", "language"),
        [
            pytest.param("Cricket: India win", "भारत ने फाइनल जीता और कप जीता।", "पूरी खबर पढ़ें", "hi",
                         id="hindi-summary-latin-headline"),
            pytest.param("भारत", "The team won the final.", "Read more", "en",
                         id="english-summary-hindi-headline"),
            pytest.param("ঢাকায় বৃষ্টি", "", "আরও পড়ুন", "bn", id="bengali"),
            pytest.param("北京下雨", "北京今天下大雨。", "阅读全文", "zh", id="chinese"),
            pytest.param("東京", "東京で大雨が降った。", "続きを読む", "ja", id="japanese"),
            pytest.param("لاہور", "لاہور میں شدید بارش", "مزید پڑھیں", "ur", id="urdu"),
            pytest.param("Новости", "Дождь.", "Read more", None, id="other-is-english"),
        ],
    )  # fmt: skip
    def test_label(self, title: str, summary: str, label: str, language: str | None) -> None:
        """Each article's link is labelled in its language."""
        post = render_post(title, summary, LINK)
        assert post.text.endswith(label)
        assert post.language == language
        assert_valid(post)


class TestRenderArticle:
    """render_article: the options of the settings applied to a draft."""

    def test_utm_hashtags_and_style(self) -> None:
        """UTM parameters on the link (channel campaign, or dm), hashtags from categories."""
        from bot.article import ArticleDraft
        from bot.formatting.post import PostOptions, render_article

        draft = ArticleDraft(
            key="k", title="Storm", summary="Rain today.", link=LINK + "?id=7",
            image="https://img.news.example/a.jpg", categories=("Weather", "2024"),
        )  # fmt: skip
        options = PostOptions(style="text", utm_source="newsbot", channel="@revoi_en")
        channel = render_article(draft, options)
        dm = render_article(draft, options, campaign="dm")
        assert channel.link == (
            LINK + "?id=7&utm_source=newsbot&utm_medium=telegram&utm_campaign=revoi_en"
        )
        assert dm.link is not None
        assert dm.link.endswith("utm_campaign=dm")
        assert channel.text == "Storm\n\nRain today.\n\n#Weather\n\nRead more"
        assert channel.style == "text"
        assert_valid(channel)
        assert_valid(dm)
        plain = render_article(draft, PostOptions(hashtags_max=0))
        assert plain.link == LINK + "?id=7"
        assert "#" not in plain.text
