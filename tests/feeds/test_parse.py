"""parse_feed over feeds written for the tests, each reproducing a real-world quirk."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import FeedParseError
from bot.feeds.parse import SUMMARY_MAX_CHARS, ParsedFeed, parse_feed
from bot.formatting import render_post
from bot.sandbox.telegram_html import parse_telegram_html

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
URL = "https://news.example/feed.xml"
FEED_FILES = sorted(path.name for path in FEEDS.iterdir())
MOJIBAKE = ("Ã", "Â", "â€", "Ð", "Ñ", "\ufffd")


def read(name: str, content_type: str | None = None) -> ParsedFeed:
    """Parse the fixture ``name`` as if fetched from :data:`URL`."""
    return parse_feed((FEEDS / name).read_bytes(), url=URL, content_type=content_type)


def rss(items: str, *, channel: str = "<title>T</title>") -> bytes:
    """A minimal RSS 2.0 document around ``items``."""
    return f'<rss version="2.0"><channel>{channel}{items}</channel></rss>'.encode()


class TestEntries:
    """What each fixture's first entry says."""

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            pytest.param("rss_content_encoded.xml", {
                "key": "news-1001",
                "title": "Storm closes the harbour",
                "summary": "The harbour closed on Tuesday as winds reached 120 km/h. Ferries "
                           "stayed in port & flights were cancelled.\n\nOfficials expect it to "
                           "reopen on Thursday.",
                "link": "https://news.example/2024/storm",
                "image": "https://img.news.example/storm.jpg",
                "published": datetime(2024, 3, 5, 13, 30, tzinfo=UTC),
            }, id="rss-content-encoded"),
            pytest.param("atom_relative_base.xml", {
                "key": "tag:news.example,2024:talks",
                "title": "Talks resume in Geneva",
                "summary": "Delegates met again after a pause.",
                "link": "https://news.example/2024/03/talks-resume.html",
                "image": "https://news.example/2024/03/img/geneva.jpg",
                "published": datetime(2024, 3, 5, 7, 15, tzinfo=UTC),
            }, id="atom-xml-base"),
            pytest.param("hindi.xml", {
                "key": "https://hindi.news.example/khel/final",
                "title": "भारत ने फाइनल में ऑस्ट्रेलिया को हराया",
                "summary": "भारत ने रविवार को फाइनल में ऑस्ट्रेलिया को छह विकेट से हराया। कप्तान ने "
                           "शानदार शतक बनाया। दर्शकों ने जश्न मनाया।",
                "image": "https://img.hindi.news.example/final.jpg",
                "published": datetime(2023, 11, 19, 13, 15, tzinfo=UTC),
            }, id="hindi"),
            pytest.param("urdu.xml", {
                "title": "لاہور میں شدید بارش کے بعد سیلاب",
                "summary": "لاہور میں کل رات شدید بارش ہوئی۔ کئی سڑکیں پانی میں ڈوب گئیں؟ حکام نے "
                           "امدادی کارروائیاں شروع کر دیں۔",
                "link": "https://urdu.news.example/pakistan-1",
                "image": "https://img.urdu.news.example/flood.jpg",
            }, id="urdu-video-is-not-the-picture"),
            pytest.param("double_encoded.xml", {
                "title": "Tom & Jerry return",
                "summary": "Tom & Jerry are back.\n\nSeason two.",
                "link": "https://double.example/a?x=1&y=2",
                "image": "https://double.example/tj.jpg",
            }, id="double-encoded"),
            pytest.param("koi8r_undeclared.xml", {
                "title": "Как пережить новогоднюю ночь",
                "link": "http://ru.news.example/1",
            }, id="koi8r-undeclared"),
            pytest.param("windows1251.xml", {"title": "Как пережить новогоднюю ночь"},
                         id="windows-1251"),
            pytest.param("latin1_undeclared.xml", {
                "summary": "Nombre d'études montrent qu'ils pourraient être à l'origine de "
                           "troubles.",
            }, id="latin1-undeclared"),
            pytest.param("utf8_declared_latin1.xml", {"title": "Euro € and café"},
                         id="utf8-declared-latin1"),
            pytest.param("rdf.xml", {
                "key": "https://heise.example/meldung/1",
                "title": "Mega-Deal: IBM übernimmt Red Hat",
                "published": datetime(2018, 10, 28, 19, 30, tzinfo=UTC),
            }, id="rdf"),
            pytest.param("corrupted_ampersands.xml", {
                "key": "http://link.example/get?a=1&b=2",
                "title": "Query links",
                "link": "http://link.example/get?a=1&b=2",
            }, id="corrupted-ampersands"),
        ],
    )  # fmt: skip
    def test_first_entry(self, name: str, expected: dict[str, Any]) -> None:
        """The first entry carries exactly these values."""
        entry = read(name).entries[0]
        assert {field: getattr(entry, field) for field in expected} == expected

    def test_entries_keep_feed_order_and_key_fallbacks(self) -> None:
        """Entries come in feed order; keys fall back from guid to link to a hash."""
        feed = read("rss_content_encoded.xml")
        assert [entry.title for entry in feed.entries] == [
            "Storm closes the harbour",
            "Council approves new bridge",
            "Weather, briefly",
        ]
        keys = [entry.key for entry in feed.entries]
        assert keys[:2] == ["news-1001", "https://news.example/2024/bridge"]
        assert keys[2].startswith("sha256:")
        assert len(keys[2]) == len("sha256:") + 64

    @pytest.mark.parametrize(
        ("index", "image"),
        [
            pytest.param(0, "https://img.news.example/storm.jpg", id="media-thumbnail"),
            pytest.param(1, "https://news.example/media/bridge.png", id="first-img-in-content"),
            pytest.param(2, "https://img.news.example/sun.jpg", id="image-enclosure"),
        ],
    )  # fmt: skip
    def test_image_sources(self, index: int, image: str) -> None:
        """The picture comes from media tags, then image enclosures, then the first <img>."""
        assert read("rss_content_encoded.xml").entries[index].image == image

    def test_summary_prefers_summary_unless_it_is_truncated(self) -> None:
        """A full description wins over content; a truncated one ("[…]") gives way to it."""
        feed = read("rss_content_encoded.xml")
        assert feed.entries[0].summary.endswith("reopen on Thursday.")
        assert (
            feed.entries[1].summary
            == "The council voted 7 to 2 for the bridge. Work starts in May."
        )

    def test_prose_with_angle_brackets_is_kept(self) -> None:
        """A description that only mentions '<' and tags is not mistaken for markup."""
        entry = read("double_encoded.xml").entries[1]
        assert entry.summary == "if a < b and c > d then use <b> for bold"

    @pytest.mark.parametrize(
        ("content", "title", "summary"),
        [
            pytest.param(rss("<item><title>It&amp;amp;#8217;s back</title><description><![CDATA["
                             "It&amp;#8217;s here &amp;amp; now&amp;nbsp;today.]]></description>"
                             "</item>"),
                         "It’s back", "It’s here & now today.", id="rss"),
            pytest.param(b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry>
                <id>x</id><title type="html">Tom &amp;amp;amp; Jerry</title>
                <summary type="html">Caf&amp;amp;eacute; &amp;amp;#8364;5</summary>
                </entry></feed>""",
                         "Tom & Jerry", "Café €5", id="atom-html"),
        ],
    )  # fmt: skip
    def test_double_escaped_entities_are_decoded(
        self, content: bytes, title: str, summary: str
    ) -> None:
        """Entities a feed escaped twice in an HTML title or summary reach the reader decoded."""
        entry = parse_feed(content, url=URL).entries[0]
        assert (entry.title, entry.summary) == (title, summary)

    def test_plain_text_summary_is_not_decoded_twice(self) -> None:
        """An Atom text construct keeps a literal '&amp;' that its XML escaped."""
        content = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
            <entry><id>x</id><title type="text">R&amp;amp;D</title>
            <summary type="text">Use &amp;lt;b&amp;gt; &amp; more</summary></entry></feed>"""
        entry = parse_feed(content, url=URL).entries[0]
        assert (entry.title, entry.summary) == ("R&amp;D", "Use &lt;b&gt; & more")

    @pytest.mark.parametrize(
        ("description", "summary"),
        [
            pytest.param("<p>Storm hits.</p><p>The post <a href='https://ex.example/a'>Storm "
                         "hits</a> appeared first on <a href='https://ex.example'>Ex News</a>.</p>",
                         "Storm hits.", id="appeared-first-on"),
            pytest.param("<p>Storm hits the coast. Continue reading "
                         "<span class='meta-nav'>&#8594;</span></p>",
                         "Storm hits the coast.", id="continue-reading-arrow"),
            pytest.param("<p>Storm hits the coast […]</p><p><a href='https://ex.example/a'>"
                         "Continue reading<span> “Storm hits”</span></a></p>",
                         "Storm hits the coast […]", id="continue-reading-title"),
            pytest.param("Storm hits the coast. <a href='https://ex.example/a'>Read more "
                         "&raquo;</a>", "Storm hits the coast.", id="read-more"),
            pytest.param("Storm hits. Continue reading →<p>The post Storm appeared first on "
                         "Ex.</p>", "Storm hits.", id="both"),
            pytest.param("Readers continue reading the report.",
                         "Readers continue reading the report.", id="prose-kept"),
            pytest.param("The post office closed. It appeared first on Monday.",
                         "The post office closed. It appeared first on Monday.",
                         id="sentences-kept"),
            pytest.param("Read more about the plan below. It is long.",
                         "Read more about the plan below. It is long.", id="read-more-prose"),
        ],
    )  # fmt: skip
    def test_blog_boilerplate_is_stripped_from_the_end(
        self, description: str, summary: str
    ) -> None:
        """Link phrases a blog engine appends to a description are not part of the summary."""
        item = f"<item><title>T</title><description><![CDATA[{description}]]></description></item>"
        assert parse_feed(rss(item), url=URL).entries[0].summary == summary

    def test_long_summary_is_capped_at_a_word(self) -> None:
        """A summary longer than SUMMARY_MAX_CHARS is cut at a word boundary with '…'."""
        words = " ".join(f"word{i}" for i in range(1000))
        entry = parse_feed(
            rss(f"<item><title>Long</title><description>{words}</description></item>"), url=URL
        ).entries[0]
        assert len(entry.summary) <= SUMMARY_MAX_CHARS
        assert entry.summary.endswith("…")
        assert entry.summary[:-1].split()[-1] in words.split()

    def test_duplicate_keys_keep_the_first_entry(self) -> None:
        """Two entries with the same guid give one draft, the first."""
        items = (
            "<item><guid>k</guid><title>First</title></item>"
            "<item><guid>k</guid><title>Second</title></item>"
        )
        assert [e.title for e in parse_feed(rss(items), url=URL).entries] == ["First"]

    def test_relative_link_resolves_against_the_feed_url(self) -> None:
        """A relative RSS link is made absolute against the feed's URL; others are dropped."""
        items = (
            "<item><title>A</title><link>/a</link></item>"
            "<item><title>B</title><link>javascript:alert(1)</link></item>"
        )
        links = [e.link for e in parse_feed(rss(items), url=URL).entries]
        assert links == ["https://news.example/a", None]

    def test_updated_date_is_used_without_published(self) -> None:
        """An Atom entry with only <updated> is dated by it, as an aware UTC datetime."""
        entry = read("atom_relative_base.xml").entries[1]
        assert entry.published == datetime(2024, 3, 4, 18, 0, tzinfo=UTC)

    def test_feed_title_and_link(self) -> None:
        """The feed's own title is plain text and its link is absolute."""
        feed = read("atom_relative_base.xml")
        assert (feed.title, feed.link) == ("World & Region", "https://news.example/world/")


class TestWarnings:
    """Feeds that can be read but were not right say so in one line."""

    @pytest.mark.parametrize(
        ("name", "warning"),
        [
            pytest.param("rss_content_encoded.xml",
                         "1 entry was skipped (no title, summary or link)", id="skipped-entry"),
            pytest.param("koi8r_undeclared.xml", "no usable encoding is declared; read as koi8-r",
                         id="koi8r-guessed"),
            pytest.param("utf8_declared_latin1.xml",
                         "the document is declared as iso-8859-1 but is UTF-8; read as UTF-8",
                         id="wrong-declaration"),
            pytest.param("latin1_undeclared.xml",
                         "encoding: document declared as utf-8, but parsed as windows-1252",
                         id="latin1-fallback"),
            pytest.param("corrupted_ampersands.xml",
                         "XML error: not well-formed (invalid token) at line 5", id="xml-error"),
            pytest.param("atom_relative_base.xml", None, id="clean"),
            pytest.param("hindi.xml", None, id="clean-hindi"),
        ],
    )  # fmt: skip
    def test_warning(self, name: str, warning: str | None) -> None:
        """The warning names what was wrong, or is None for a clean feed."""
        assert read(name).warning == warning

    @pytest.mark.parametrize("content_type", ["text/xml", "text/html", "text/plain", None])
    def test_media_type_without_charset_is_not_a_warning(self, content_type: str | None) -> None:
        """A UTF-8 feed served as text/xml (or wrongly) is read as UTF-8 without a warning."""
        feed = read("hindi.xml", content_type)
        assert feed.warning is None
        assert feed.entries[0].title == "भारत ने फाइनल में ऑस्ट्रेलिया को हराया"

    def test_server_charset_is_honoured(self) -> None:
        """A charset from the server decides the encoding of an undeclared document."""
        content = "<rss version='2.0'><channel><item><title>Привет</title></item></channel></rss>"
        feed = parse_feed(
            content.encode("cp1251"), url=URL, content_type="text/xml; charset=cp1251"
        )
        assert feed.entries[0].title == "Привет"

    @pytest.mark.parametrize("server", ["ISO-8859-1", "windows-1252", "us-ascii"])
    def test_declaration_outranks_a_server_default(self, server: str) -> None:
        """A windows-1251 feed that says so, served with a server's default charset, reads
        as windows-1251 and the warning says why."""
        feed = read("windows1251.xml", f"text/xml; charset={server}")
        assert feed.entries[0].title == read("windows1251.xml").entries[0].title
        assert feed.warning is not None
        assert "the document says cp1251" in feed.warning

    def test_wrong_server_charset_is_corrected(self) -> None:
        """A server claiming UTF-8 for KOI8-R bytes does not produce mojibake."""
        feed = read("koi8r_undeclared.xml", "application/rss+xml; charset=utf-8")
        assert feed.entries[0].title == "Как пережить новогоднюю ночь"


class TestNotAFeed:
    """Documents that are not feeds raise FeedParseError with a reason a person understands."""

    @pytest.mark.parametrize(
        ("content", "content_type", "reason"),
        [
            pytest.param((FEEDS / "page.html").read_bytes(), "text/html; charset=utf-8",
                         "not an RSS or Atom feed (it looks like an HTML page)", id="html-page"),
            pytest.param((FEEDS / "page.html").read_bytes(), None,
                         "not an RSS or Atom feed (it looks like an HTML page)",
                         id="html-page-no-type"),
            pytest.param((FEEDS / "not_a_feed.xml").read_bytes(), None,
                         "not an RSS or Atom feed (it is an XML document whose root element is "
                         "<note>)", id="other-xml"),
            pytest.param((FEEDS / "incomplete_cdata.xml").read_bytes(), None,
                         "XML error: unclosed token at line 6; no entry could be read",
                         id="incomplete-cdata"),
            pytest.param(b"", None, "the document is empty", id="empty"),
            pytest.param(b"  \n\t ", None, "the document is empty", id="blank"),
            pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png",
                         "not an RSS or Atom feed (XML error: not well-formed (invalid token) at "
                         "line 1)", id="binary"),
            pytest.param(b"just some words", None, "not an RSS or Atom feed (XML error: syntax "
                         "error at line 1)", id="plain-text"),
            pytest.param(b"<rss version='2.0'><channel><item><title>x", None,
                         "XML error: no element found at line 1; no entry could be read",
                         id="truncated-before-first-entry"),
        ],
    )  # fmt: skip
    def test_raises(self, content: bytes, content_type: str | None, reason: str) -> None:
        """The error carries the feed's URL and says why it cannot be used."""
        with pytest.raises(FeedParseError) as caught:
            parse_feed(content, url=URL, content_type=content_type)
        assert (caught.value.source, caught.value.reason) == (URL, reason)

    def test_valid_feed_without_entries_is_not_an_error(self) -> None:
        """A well-formed feed with no items yet is a feed with no entries."""
        feed = parse_feed(
            rss("", channel="<title>Soon</title><link>https://soon.example/</link>"), url=URL
        )
        assert feed == ParsedFeed(
            title="Soon", link="https://soon.example/", entries=[], warning=None
        )

    def test_random_bytes_never_crash(self) -> None:
        """Whatever the bytes, parse_feed returns a feed or raises FeedParseError."""
        rng = random.Random(7)
        reasons: list[str] = []
        keys: list[str] = []
        for _ in range(300):
            noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            for content in (noise, rss(b"<item><title>".decode() + noise.decode("latin-1"))):
                content_type = rng.choice([None, "text/html"])
                try:
                    feed = parse_feed(content, url=URL, content_type=content_type)
                except FeedParseError as error:
                    reasons.append(error.reason)
                else:
                    keys.extend(entry.key for entry in feed.entries)
        assert all(reasons)
        assert all(keys)


class TestPosts:
    """Every fixture entry renders into a valid post without mojibake or double escapes."""

    @pytest.mark.parametrize("name", [n for n in FEED_FILES if n not in {
        "page.html", "not_a_feed.xml", "incomplete_cdata.xml"}])  # fmt: skip
    def test_entries_render_cleanly(self, name: str) -> None:
        """Each entry's post is valid Telegram HTML with no mojibake and no '&amp;amp;'."""
        for entry in read(name).entries:
            for image in (None, entry.image, "https://img.example/x.jpg"):
                post = render_post(entry.title, entry.summary, entry.link, image)
                assert parse_telegram_html(post.html).text == post.text
                assert "&amp;amp;" not in post.html
                assert "&amp;lt;" not in post.html
                for text in (entry.title, entry.summary, post.text):
                    assert not any(mark in text for mark in MOJIBAKE), text
