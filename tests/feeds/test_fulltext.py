"""Tests for bot.feeds.fulltext: an article's main text from realistic pages, and over HTTP
with its picture."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.errors import HTTPStatusError
from bot.feeds.fetch import Fetcher
from bot.feeds.fulltext import MAX_HTML_BYTES, ArticlePage, extract_article_text, fetch_article
from bot.sandbox.feed_server import FeedServer

URL = "https://news.example/2024/03/solar-library"

PARAGRAPHS = [
    "The city council opened its first fully solar-powered public library on Tuesday, a "
    "two-storey building in the old market district that will produce more electricity than "
    "it uses over a year.",
    "The library's roof carries 420 panels, and a battery room in the basement keeps the "
    "reading rooms lit after sunset. Officials said the surplus would be sold to the grid and "
    "the money spent on new books.",
    '"People asked for a quiet place to study that stays open late," said the head librarian, '
    'Meera Kulkarni. "Now the sun pays for the evenings."',
    "Construction took eighteen months and cost less than the council had budgeted, partly "
    "because the building reuses the frame of a disused grain warehouse.",
    "The library opens daily from eight in the morning until ten at night, and membership is "
    "free for residents.",
]

# Everything around the article that must stay out of its text.
BOILERPLATE = [
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Politics",
    "Subscribe now",
    "Most read",
    "Flood warnings issued for the river valley",
    "Sign up for our morning newsletter",
    "All rights reserved",
    "Privacy policy",
    "Terms of use",
]

ARTICLE_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>City opens its first solar-powered library | The Daily Example</title>
<meta property="og:title" content="City opens its first solar-powered library">
<script>window.dataLayer = []; function track() {{ return "Accept all cookies"; }}</script>
<style>.cookie-consent {{ position: fixed; }}</style>
</head><body>
<div id="cookie-banner" class="cookie-consent">
  <p>We use cookies to improve your experience. By continuing you accept our cookie policy.</p>
  <button>Accept all cookies</button>
</div>
<header class="site-header"><a href="/" class="logo">The Daily Example</a>
  <nav class="main-nav"><ul>
    <li><a href="/world">World</a></li><li><a href="/politics">Politics</a></li>
    <li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li>
    <li><a href="/subscribe">Subscribe now</a></li>
  </ul></nav>
</header>
<main>
  <article class="story">
    <h1>City opens its first solar-powered library</h1>
    <p class="byline">By Asha Rao · 12 March 2024</p>
    {"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
  </article>
  <aside class="sidebar"><h3>Most read</h3><ul>
    <li><a href="/a/1">Flood warnings issued for the river valley</a></li>
    <li><a href="/a/2">Cricket: local club wins the regional cup</a></li>
  </ul>
  <div class="newsletter"><p>Sign up for our morning newsletter</p>
    <form><input type="email"><button>Sign up</button></form></div>
  </aside>
</main>
<footer class="site-footer"><p>© 2024 The Daily Example. All rights reserved.</p>
  <ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
</footer>
</body></html>"""

HINDI_PARAGRAPHS = [
    "नगर परिषद ने मंगलवार को शहर का पहला पूरी तरह सौर ऊर्जा से चलने वाला सार्वजनिक पुस्तकालय "
    "खोला। पुराने बाज़ार इलाके में बनी यह दो मंज़िला इमारत साल भर में जितनी बिजली खर्च करेगी, "
    "उससे ज़्यादा बनाएगी।",
    "पुस्तकालय की छत पर 420 पैनल लगे हैं और तहखाने में रखी बैटरियाँ सूरज ढलने के बाद भी पढ़ने "
    "के कमरों को रोशन रखती हैं। अधिकारियों ने बताया कि बची हुई बिजली ग्रिड को बेची जाएगी।",
    'मुख्य पुस्तकालयाध्यक्ष मीरा कुलकर्णी ने कहा, "लोग पढ़ने के लिए ऐसी शांत जगह चाहते थे जो देर '
    'रात तक खुली रहे। अब शाम का खर्च सूरज उठाता है।"',
]

HINDI_PAGE = f"""<!DOCTYPE html>
<html lang="hi"><head><meta charset="utf-8"><title>शहर में पहला सौर पुस्तकालय खुला</title></head>
<body>
<header><nav><a href="/">मुखपृष्ठ</a> <a href="/desh">देश</a> <a href="/videsh">विदेश</a>
  <a href="/khel">खेल</a></nav></header>
<article><h1>शहर में पहला सौर पुस्तकालय खुला</h1>
  {"".join(f"<p>{p}</p>" for p in HINDI_PARAGRAPHS)}
</article>
<footer><p>© 2024 उदाहरण समाचार। सर्वाधिकार सुरक्षित।</p></footer>
</body></html>"""

NAVIGATION_PAGE = (
    "<!DOCTYPE html><html><head><title>Sections</title></head><body><header><nav><ul>"
    + "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(25))
    + '</ul></nav></header><footer><p>© 2024 Example</p><a href="/privacy">Privacy</a></footer>'
    "</body></html>"
)


class TestExtractArticleText:
    """extract_article_text keeps an article's paragraphs and nothing around them."""

    def test_article_page(self) -> None:
        """The article's paragraphs come out, in order, without nav, sidebar, footer or banner."""
        text = extract_article_text(ARTICLE_PAGE, URL)
        assert text is not None
        positions = [text.index(paragraph) for paragraph in PARAGRAPHS]
        assert positions == sorted(positions)
        for boilerplate in BOILERPLATE:
            assert boilerplate not in text

    def test_hindi_article_page(self) -> None:
        """A Hindi article's text comes out whole, and its nav and footer stay out."""
        text = extract_article_text(HINDI_PAGE, "https://hindi.news.example/a/1")
        assert text is not None
        for paragraph in HINDI_PARAGRAPHS:
            assert paragraph in text
        for boilerplate in ("विदेश", "सर्वाधिकार सुरक्षित"):
            assert boilerplate not in text

    def test_bytes(self) -> None:
        """A page given as UTF-8 bytes reads like the same page as text."""
        assert extract_article_text(HINDI_PAGE.encode(), URL) == extract_article_text(
            HINDI_PAGE, URL
        )

    @pytest.mark.parametrize(
        "html",
        [
            pytest.param(NAVIGATION_PAGE, id="navigation-only"),
            pytest.param("", id="empty"),
            pytest.param("   \n ", id="blank"),
            pytest.param(b"", id="empty-bytes"),
            pytest.param(
                "<html><head><title>Nothing</title></head><body></body></html>", id="no-body"
            ),
            pytest.param('{"not": "html"}', id="json"),
            pytest.param("Just a line of plain text, no markup at all.", id="plain-text"),
            pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="binary"),
        ],
    )
    def test_no_article(self, html: str | bytes) -> None:
        """A page that holds no article gives None."""
        assert extract_article_text(html, URL) is None

    @pytest.mark.parametrize(
        "hostile",
        [
            pytest.param("<!--" * 50_000, id="comments"),
            pytest.param("<![<![" * 35_000, id="declarations"),
            pytest.param("<div>" * 40_000 + "deep", id="deep-nesting"),
            pytest.param("<p " + 'a="b" ' * 35_000 + ">x</p>", id="attributes"),
        ],
    )
    def test_hostile_input(self, hostile: str) -> None:
        """200 KB of hostile markup gives None or some text, never an exception."""
        text = extract_article_text(hostile, URL)
        assert text is None or isinstance(text, str)

    @pytest.mark.parametrize("max_chars", [1, 60, 200, 500])
    def test_cut_at_a_word_boundary(self, max_chars: int) -> None:
        """A text longer than max_chars is cut after a whole word and marked with an ellipsis."""
        full = extract_article_text(ARTICLE_PAGE, URL)
        text = extract_article_text(ARTICLE_PAGE, URL, max_chars=max_chars)
        assert full is not None
        assert text is not None
        assert len(text) <= max_chars
        assert text.endswith("…")
        kept = text.removesuffix("…")
        assert full.startswith(kept)
        if kept:
            assert full[len(kept)].isspace() or full[len(kept)] in ",.;:!?"

    def test_short_text_is_whole(self) -> None:
        """A text within max_chars comes back whole, without an ellipsis."""
        text = extract_article_text(ARTICLE_PAGE, URL)
        assert text is not None
        assert extract_article_text(ARTICLE_PAGE, URL, max_chars=len(text)) == text
        assert not text.endswith("…")

    def test_max_chars_must_be_positive(self) -> None:
        """A max_chars below 1 is a programming error."""
        with pytest.raises(ValueError, match="max_chars"):
            extract_article_text(ARTICLE_PAGE, URL, max_chars=0)

    def test_only_a_prefix_is_read(self) -> None:
        """An article that starts past MAX_HTML_BYTES is not read."""
        padding = "<!-- " + "x" * MAX_HTML_BYTES + " -->"
        assert extract_article_text(padding + ARTICLE_PAGE, URL) is None

    def test_trafilatura_stays_quiet(self, caplog: pytest.LogCaptureFixture) -> None:
        """Rejected pages add no trafilatura line to the logs, even at DEBUG."""
        with caplog.at_level(logging.DEBUG):
            extract_article_text(NAVIGATION_PAGE, URL)
            extract_article_text("<!--" * 1000, URL)
            extract_article_text(ARTICLE_PAGE, URL)
        noisy = [r.name for r in caplog.records if r.name.split(".")[0] != "bot"]
        assert noisy == []


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    """A real local HTTP server for article pages."""
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A Fetcher allowed to reach the loopback server."""
    async with Fetcher(allow_private_networks=True, timeout=10) as client:
        yield client


class TestFetchArticle:
    """fetch_article fetches a page over HTTP and extracts its article and picture in a thread."""

    async def test_article_over_http(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """An article page served over HTTP gives its paragraphs, and the fetch is logged."""
        feeds.put("/2024/03/solar-library", ARTICLE_PAGE, "text/html; charset=utf-8")
        page = await fetch_article(fetcher, feeds.url_for("/2024/03/solar-library"))
        assert page.text is not None
        assert PARAGRAPHS[0] in page.text
        assert "Privacy policy" not in page.text
        assert page.image is None  # the page declares no picture

    async def test_page_is_decoded_by_its_charset(
        self, feeds: FeedServer, fetcher: Fetcher
    ) -> None:
        """A page in windows-1252, declared only in a <meta>, is decoded before extraction."""
        page = ARTICLE_PAGE.replace('<meta charset="utf-8">', '<meta charset="windows-1252">')
        page = page.replace("Meera Kulkarni", "Renée Côté")
        feeds.put("/latin.html", page.encode("cp1252"), "text/html")
        text = (await fetch_article(fetcher, feeds.url_for("/latin.html"))).text
        assert text is not None
        assert "said the head librarian, Renée Côté." in text

    async def test_not_a_page(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A link to a PDF gives neither text nor picture."""
        feeds.put("/report.pdf", b"%PDF-1.7\n" + ARTICLE_PAGE.encode(), "application/pdf")
        assert await fetch_article(fetcher, feeds.url_for("/report.pdf")) == ArticlePage()

    async def test_fetch_error_propagates(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A page that cannot be fetched raises its FetchError for the caller to decide."""
        feeds.fail("/gone.html", 410)
        with pytest.raises(HTTPStatusError) as caught:
            await fetch_article(fetcher, feeds.url_for("/gone.html"))
        assert caught.value.status == 410

    async def test_picture_resolved_against_the_final_url(self) -> None:
        """The page's og:image (a logo passed over for twitter:image), relative, is made absolute
        against the URL the page was redirected to, not the entry's link."""
        page = ARTICLE_PAGE.replace(
            "</head>",
            '<meta property="og:image" content="/static/site-logo.png">'
            '<meta name="twitter:image" content="media/library.jpg"></head>',
        )

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.host == "feeds.example":
                return httpx.Response(301, headers={"Location": URL})
            body = httpx.ByteStream(page.encode())  # a stream, as the fetcher reads it raw
            return httpx.Response(200, stream=body, headers={"Content-Type": "text/html"})

        transport = httpx.MockTransport(answer)
        async with Fetcher(allow_private_networks=True, transport=transport) as client:
            found = await fetch_article(client, "https://feeds.example/r/123")
        assert found.text is not None
        assert found.image == "https://news.example/2024/03/media/library.jpg"
