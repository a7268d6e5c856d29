"""parse_feed over feeds written for the tests, each reproducing a real-world quirk."""

from __future__ import annotations

import pickle
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ErrorKind, FeedParseError
from bot.feeds.parse import (
    SUMMARY_MAX_CHARS,
    DocumentKind,
    ParsedFeed,
    document_kind,
    parse_feed,
)
from bot.formatting import render_post
from bot.formatting.telegram_html import parse_telegram_html

ROOT = Path(__file__).parent.parent.parent
FEEDS = ROOT / "tests" / "fixtures" / "feeds"
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
                "summary": "Delegates met again after a pause of two months.\n\n• Trade\n\n• "
                           "Borders",
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

    def test_plain_text_with_references_is_decoded(self) -> None:
        """An Atom text construct whose text still holds references (escaped twice) is read
        as its author meant it: a headline and a summary show no '&amp;' or '&lt;'."""
        content = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
            <entry><id>x</id><title type="text">R&amp;amp;D</title>
            <summary type="text">Use &amp;lt;b&amp;gt; &amp; more</summary></entry></feed>"""
        entry = parse_feed(content, url=URL).entries[0]
        assert (entry.title, entry.summary) == ("R&D", "Use <b> & more")

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
                         "Storm hits the coast…", id="continue-reading-title"),
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

    NOT_A_FEED = ErrorKind.NOT_A_FEED
    UNPARSEABLE = ErrorKind.UNPARSEABLE

    @pytest.mark.parametrize(
        ("content", "content_type", "reason", "kind"),
        [
            pytest.param((FEEDS / "page.html").read_bytes(), "text/html; charset=utf-8",
                         "not an RSS or Atom feed (it looks like an HTML page)", NOT_A_FEED,
                         id="html-page"),
            pytest.param((FEEDS / "page.html").read_bytes(), None,
                         "not an RSS or Atom feed (it looks like an HTML page)", NOT_A_FEED,
                         id="html-page-no-type"),
            pytest.param((FEEDS / "not_a_feed.xml").read_bytes(), None,
                         "not an RSS or Atom feed (it is an XML document whose root element is "
                         "<note>)", NOT_A_FEED, id="other-xml"),
            pytest.param((FEEDS / "incomplete_cdata.xml").read_bytes(), None,
                         "XML error: unclosed token at line 6; no entry could be read",
                         UNPARSEABLE, id="incomplete-cdata"),
            pytest.param(b"", None, "the document is empty", NOT_A_FEED, id="empty"),
            pytest.param(b"  \n\t ", None, "the document is empty", NOT_A_FEED, id="blank"),
            pytest.param(b"\xef\xbb\xbf \n", None, "the document is empty", NOT_A_FEED,
                         id="byte-order-mark-only"),
            pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png",
                         "not an RSS or Atom feed (XML error: not well-formed (invalid token) at "
                         "line 1)", NOT_A_FEED, id="binary"),
            pytest.param(b"just some words", None, "not an RSS or Atom feed (XML error: syntax "
                         "error at line 1)", NOT_A_FEED, id="plain-text"),
            pytest.param(b"Dear reader,\n\nthe feed moved to our new site.\n", "text/plain",
                         "not an RSS or Atom feed (XML error: syntax error at line 1)",
                         NOT_A_FEED, id="text-plain-prose"),
            pytest.param(b"<rss version='2.0'><channel><item><title>x", None,
                         "XML error: no element found at line 1; no entry could be read",
                         UNPARSEABLE, id="truncated-before-first-entry"),
            pytest.param(b"<?xml version='1.0'?>\n<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/"
                         b"22-rdf-syntax-ns#'><channel><title>T</title></channel></rdf:RDF>", None,
                         "its <rdf:RDF> element holds no RSS channel or entry; no entry could be "
                         "read", UNPARSEABLE, id="rdf-without-rss-namespace"),
            pytest.param(b'{"version": "1.0", "items": []}', "application/json",
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", NOT_A_FEED, id="json-not-a-feed"),
        ],
    )  # fmt: skip
    def test_raises(
        self, content: bytes, content_type: str | None, reason: str, kind: ErrorKind
    ) -> None:
        """The error carries the feed's URL, says why it cannot be used, and has its kind."""
        with pytest.raises(FeedParseError) as caught:
            parse_feed(content, url=URL, content_type=content_type)
        assert (caught.value.source, caught.value.reason, caught.value.kind) == (
            URL,
            reason,
            kind,
        )

    def test_valid_feed_without_entries_is_not_an_error(self) -> None:
        """A well-formed feed with no items yet is a feed with no entries."""
        feed = parse_feed(
            rss("", channel="<title>Soon</title><link>https://soon.example/</link>"), url=URL
        )
        assert feed == ParsedFeed(
            title="Soon", link="https://soon.example/", entries=[], warning=None, ttl=None
        )

    def test_random_bytes_never_crash(self) -> None:
        """Whatever the bytes, parse_feed returns a feed or raises FeedParseError."""
        rng = random.Random(7)
        reasons: list[str] = []
        kinds: set[ErrorKind] = set()
        keys: list[str] = []
        for _ in range(300):
            noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            for content in (noise, rss(b"<item><title>".decode() + noise.decode("latin-1"))):
                content_type = rng.choice([None, "text/html"])
                try:
                    feed = parse_feed(content, url=URL, content_type=content_type)
                except FeedParseError as error:
                    reasons.append(error.reason)
                    kinds.add(error.kind)
                else:
                    keys.extend(entry.key for entry in feed.entries)
        assert all(reasons)
        assert kinds <= {ErrorKind.NOT_A_FEED, ErrorKind.UNPARSEABLE}
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


def news_feed(title: str, summary: str) -> str:
    """An RSS 2.0 feed as a news site writes it, with no encoding declared anywhere."""
    return (
        '<?xml version="1.0"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"<title>{title}</title><link>https://news.example/</link>"
        "<description>News</description><lastBuildDate>Tue, 05 Mar 2024 14:00:00 GMT"
        '</lastBuildDate>\n<atom:link href="https://news.example/feed.xml" rel="self" '
        'type="application/rss+xml"/>\n'
        f"<item><title>{title}</title><link>https://news.example/2024/03/05/story-1001.html"
        "</link><guid isPermaLink='false'>news-1001</guid><pubDate>Tue, 05 Mar 2024 13:30:00 "
        f"GMT</pubDate><category>news</category><description>{summary}</description></item>\n"
        "<item><title>Weather</title><link>https://news.example/2024/03/05/weather.html</link>"
        "<guid isPermaLink='false'>news-1002</guid><description>Sunny.</description></item>\n"
        "</channel>\n</rss>\n"
    )


class TestUndeclaredEncodings:
    """A feed that declares no charset and is not UTF-8 is read in the encoding it is in."""

    @pytest.mark.parametrize(
        ("encoding", "title", "summary"),
        [
            pytest.param("tis-620", "ฝนตกหนักทำให้น้ำท่วมหลายเขตในกรุงเทพฯ",
                         "กรุงเทพมหานครเผชิญฝนตกหนักตลอดคืนที่ผ่านมา ทำให้ถนนหลายสายมีน้ำท่วมขัง "
                         "การจราจรติดขัดอย่างหนักในช่วงเช้า "
                         "เจ้าหน้าที่ได้เร่งระบายน้ำและแนะนำให้ประชาชนหลีกเลี่ยงเส้นทางดังกล่าว",
                         id="thai-tis-620"),
            pytest.param("gb2312", "北京今日迎来今年首场大雪",
                         "北京今天早晨迎来今年入冬以来的第一场降雪。气象部门表示，降雪将持续到明天"
                         "下午，部分地区积雪深度可能超过十厘米。交通管理部门提醒市民出行注意安全，"
                         "尽量乘坐公共交通工具。", id="chinese-gb2312"),
            pytest.param("euc-kr", "서울에 올겨울 첫 한파주의보 발령",
                         "기상청은 오늘 서울과 경기 지역에 한파주의보를 발령했다. 내일 아침 최저 "
                         "기온은 영하 12도까지 떨어질 것으로 예상된다. 시민들은 외출할 때 옷을 "
                         "따뜻하게 입고 건강 관리에 유의해야 한다.", id="korean-euc-kr"),
            pytest.param("euc-jp", "東京で桜が満開に",
                         "東京都心では今日、桜が満開になったと気象庁が発表しました。平年より五日早く、"
                         "去年と比べても三日早い満開です。週末には多くの花見客が公園を訪れる見込み"
                         "です。", id="japanese-euc-jp"),
            pytest.param("shift_jis", "大阪に新しい美術館が開館",
                         "大阪市の中心部に新しい美術館が今日開館しました。開館を記念して、国内外の"
                         "有名な作品を集めた特別展が来月まで開かれています。初日から多くの人が訪れ、"
                         "入口には長い列ができました。", id="japanese-shift-jis"),
            pytest.param("koi8-r", "Москва готовится к зиме",
                         "Городские службы Москвы начали подготовку к зимнему сезону. На улицы "
                         "выйдут более десяти тысяч единиц снегоуборочной техники. Мэрия просит "
                         "водителей заранее сменить шины и не оставлять машины на обочинах.",
                         id="russian-koi8-r"),
            pytest.param("windows-1251", "В Петербурге открылся новый мост через Неву",
                         "В Санкт-Петербурге в субботу открыли движение по новому мосту через "
                         "Неву. Строительство продолжалось четыре года и обошлось городу дороже, "
                         "чем планировалось. Жители правого берега теперь смогут добираться до "
                         "центра вдвое быстрее.", id="russian-windows-1251"),
            pytest.param("latin-1", "La grève des transports se poursuit à Paris",
                         "Les syndicats ont annoncé que la grève se poursuivrait jusqu'à la fin de "
                         "la semaine. Les usagers du métro et des trains de banlieue doivent "
                         "s'attendre à de fortes perturbations. Le gouvernement appelle à la "
                         "reprise du dialogue.", id="french-latin-1"),
            pytest.param("latin-1", "El Gobierno aprueba los presupuestos del próximo año",
                         "El Gobierno aprobó el lunes el proyecto de presupuestos para el próximo "
                         "año. El déficit será de doscientos millones de euros. La oposición "
                         "critica el proyecto y pide más ahorro en la administración.",
                         id="spanish-latin-1"),
        ],
    )  # fmt: skip
    @pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml"])
    def test_title_and_summary_read_as_written(
        self, encoding: str, title: str, summary: str, content_type: str | None
    ) -> None:
        """The feed's title, the entry's title and its summary equal the text encoded."""
        feed = parse_feed(
            news_feed(title, summary).encode(encoding), url=URL, content_type=content_type
        )
        assert (feed.title, feed.entries[0].title, feed.entries[0].summary) == (
            title,
            title,
            summary,
        )

    def test_detected_encoding_is_named_in_the_warning(self) -> None:
        """The warning says the document declared nothing usable and how it was read."""
        feed = parse_feed(
            news_feed("Москва готовится к зиме", "Городские службы Москвы готовятся.").encode(
                "koi8-r"
            ),
            url=URL,
        )
        assert feed.warning == "no usable encoding is declared; read as koi8-r"


class TestHints:
    """The feed's own caching hints, in seconds, for the scheduler."""

    SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'

    @pytest.mark.parametrize(
        ("channel", "ttl"),
        [
            pytest.param("<ttl>60</ttl>", 3600, id="ttl-minutes"),
            pytest.param("<ttl> 15 </ttl>", 900, id="ttl-spaces"),
            pytest.param("<sy:updatePeriod>hourly</sy:updatePeriod>"
                         "<sy:updateFrequency>2</sy:updateFrequency>", 1800, id="sy-hourly-2"),
            pytest.param("<sy:updatePeriod>Daily</sy:updatePeriod>", 86400, id="sy-daily"),
            pytest.param("<sy:updatePeriod>weekly</sy:updatePeriod>"
                         "<sy:updateFrequency>7</sy:updateFrequency>", 86400, id="sy-weekly-7"),
            pytest.param("<sy:updatePeriod>monthly</sy:updatePeriod>", 2592000, id="sy-monthly"),
            pytest.param("<sy:updatePeriod>yearly</sy:updatePeriod>", 31536000, id="sy-yearly"),
            pytest.param("<sy:updateFrequency>4</sy:updateFrequency>", 21600,
                         id="sy-frequency-defaults-to-daily"),
            pytest.param("<ttl>30</ttl><sy:updatePeriod>daily</sy:updatePeriod>", 1800,
                         id="ttl-before-sy"),
            pytest.param("<ttl>soon</ttl><sy:updatePeriod>hourly</sy:updatePeriod>", 3600,
                         id="garbage-ttl-then-sy"),
            pytest.param("", None, id="absent"),
            pytest.param("<ttl>soon</ttl>", None, id="ttl-garbage"),
            pytest.param("<ttl>-5</ttl>", None, id="ttl-negative"),
            pytest.param("<ttl>0</ttl>", None, id="ttl-zero"),
            pytest.param("<ttl>1.5</ttl>", None, id="ttl-fraction"),
            pytest.param(f"<ttl>{'9' * 5000}</ttl>", None, id="ttl-huge"),
            pytest.param("<sy:updatePeriod>fortnightly</sy:updatePeriod>", None,
                         id="sy-unknown-period"),
            pytest.param("<sy:updatePeriod>daily</sy:updatePeriod>"
                         "<sy:updateFrequency>0</sy:updateFrequency>", None, id="sy-zero"),
            pytest.param("<sy:updatePeriod>hourly</sy:updatePeriod>"
                         "<sy:updateFrequency>7200</sy:updateFrequency>", 1,
                         id="sy-at-least-a-second"),
        ],
    )  # fmt: skip
    def test_ttl(self, channel: str, ttl: int | None) -> None:
        """ttl is <ttl> in seconds, else sy:updatePeriod / sy:updateFrequency, else None."""
        content = (
            f'<rss version="2.0" {self.SY}><channel><title>T</title>{channel}'
            "<item><title>A</title></item></channel></rss>"
        ).encode()
        assert parse_feed(content, url=URL).ttl == ttl

    def test_rss_1_0_syndication_hints(self) -> None:
        """An RDF feed's sy: hints are read like an RSS 2.0 feed's."""
        feed = read("rdf.xml")
        content = (FEEDS / "rdf.xml").read_bytes()
        hinted = content.replace(
            b"<channel", b'<channel xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"', 1
        ).replace(b"</title>", b"</title><sy:updatePeriod>hourly</sy:updatePeriod>", 1)
        assert (feed.ttl, parse_feed(hinted, url=URL).ttl) == (None, 3600)


class TestProcessPool:
    """parse_feed can run in a process pool: what goes in and out of it pickles."""

    @pytest.mark.parametrize(
        "name", ["rss_content_encoded.xml", "atom_relative_base.xml", "koi8r_undeclared.xml",
                 "jsonfeed_1_1.json"],
    )  # fmt: skip
    def test_result_survives_pickling(self, name: str) -> None:
        """A parsed feed, its drafts and their dates come back from pickle equal."""
        feed = read(name)
        assert feed.entries
        assert pickle.loads(pickle.dumps(feed)) == feed  # noqa: S301 - our own bytes

    @pytest.mark.parametrize(
        ("content", "kind"),
        [
            pytest.param(b"<note/>", ErrorKind.NOT_A_FEED, id="not-a-feed"),
            pytest.param(b"<rss version='2.0'><channel><item><title>x", ErrorKind.UNPARSEABLE,
                         id="unparseable"),
        ],
    )  # fmt: skip
    def test_error_survives_pickling(self, content: bytes, kind: ErrorKind) -> None:
        """The FeedParseError a worker raises comes back with its source, reason and kind."""
        with pytest.raises(FeedParseError) as caught:
            parse_feed(content, url=URL)
        error = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own bytes
        assert (type(error), str(error), error.source, error.reason, error.kind) == (
            FeedParseError,
            str(caught.value),
            URL,
            caught.value.reason,
            kind,
        )


#: Documents made to slow down or crash a naive HTML or XML parser.
HOSTILE = [
    pytest.param(b"<!--" * 51200, None, id="200KB-of-comment-openers"),
    pytest.param(b"<!--" * 51200, "text/html", id="200KB-of-comment-openers-as-html"),
    pytest.param(b"<![<![" * 34000, None, id="200KB-of-marked-sections"),
    pytest.param(b"<![<![", None, id="marked-section"),
    pytest.param(b"<!-- >" * 34000, None, id="unclosed-comments-with-brackets"),
    pytest.param(b"<?" * 100000, "text/xml", id="processing-instruction-openers"),
    pytest.param(b"<!DOCTYPE " * 20000, None, id="doctype-openers"),
]


class TestHostileMarkup:
    """Markup made to slow a parser down is refused quickly with one clear line."""

    @pytest.mark.parametrize(("content", "content_type"), HOSTILE)
    def test_refused_in_process(self, content: bytes, content_type: str | None) -> None:
        """Each hostile document is a FeedParseError with a one-line reason."""
        with pytest.raises(FeedParseError) as caught:
            parse_feed(content, url=URL, content_type=content_type)
        assert caught.value.reason
        assert "\n" not in str(caught.value)

    def test_200_kb_of_comment_openers_does_not_hang(self) -> None:
        """200 KB of '<!--' is refused within a generous bound (html.parser took minutes)."""
        code = (
            "from bot.errors import FeedParseError\n"
            "from bot.feeds.parse import parse_feed\n"
            "for content_type in (None, 'text/html', 'application/rss+xml'):\n"
            "    try:\n"
            "        parse_feed(b'<!--' * 51200, url='https://x.example/', "
            "content_type=content_type)\n"
            "    except FeedParseError as error:\n"
            "        print(error.kind)\n"
        )
        result = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.split() == ["not_a_feed"] * 3

    @pytest.mark.parametrize(
        ("content", "content_type", "kind"),
        [
            pytest.param((FEEDS / "page.html").read_bytes(), None, "html", id="page"),
            pytest.param(b"<!DOCTYPE html>\n<title>x</title>", "text/plain", "html",
                         id="doctype-beats-type"),
            pytest.param(b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML '
                         b'1.0 Strict//EN" "x.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">',
                         None, "html", id="xhtml"),
            pytest.param(b"<!-- generated --><html><body>", None, "html", id="comment-first"),
            pytest.param(b"<head><meta charset='utf-8'><title>x</title>", None, "html",
                         id="no-html-element"),
            pytest.param(b"<div>text</div>", "text/html; charset=utf-8", "html", id="by-type"),
            pytest.param(b"  plain words", "text/html", "html", id="text-served-as-html"),
            pytest.param(b"<rss version='2.0'><channel>", "text/html", "xml",
                         id="rss-served-as-html"),
            pytest.param(b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'>",
                         None, "xml", id="atom"),
            pytest.param(b"\xef\xbb\xbf\n<?xml version='1.0'?>\n<!-- c -->\n<rdf:RDF>", None,
                         "xml", id="rdf-after-bom-and-comment"),
            pytest.param(b"<?xml version='1.0'?><note><to>x</to></note>", "text/html", "xml",
                         id="xml-served-as-html"),
            pytest.param(b"<note><to>x</to></note>", None, "xml", id="xml-without-declaration"),
            pytest.param(b'{"version": "https://jsonfeed.org/version/1.1"}', "text/html", "json",
                         id="json-served-as-html"),
            pytest.param(b"just some words", None, "text", id="text"),
            pytest.param(b"\x00\x01garbage", None, "text", id="binary"),
            pytest.param(b"<!--" * 51200, None, "text", id="hostile"),
            pytest.param(b"<![<![" * 34000, "text/html", "html", id="hostile-as-html"),
            pytest.param(b"", None, "text", id="empty"),
        ],
    )  # fmt: skip
    def test_document_kind(
        self, content: bytes, content_type: str | None, kind: DocumentKind
    ) -> None:
        """A page is known by its doctype or root element first, then by its media type."""
        assert document_kind(content, content_type) == kind


def wordpress(content: str, *, title: str = "Storm closes the harbour") -> bytes:
    """A WordPress RSS feed with one item whose content:encoded is ``content``."""
    return (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>Ex News</title><link>https://ex.example/</link>"
        f"<item><title>{title}</title><link>https://ex.example/a</link>"
        "<category>Weather</category><category><![CDATA[Local News]]></category>"
        "<category>weather</category>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded></item></channel></rss>"
    ).encode()


def atom(entry: str) -> bytes:
    """An Atom feed titled "Valley Courier" with one entry."""
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Valley Courier</title>'
        f"<entry><id>x</id>{entry}</entry></feed>"
    ).encode()


class TestLeadsAndHeadlines:
    """End to end from feed XML: the headline and the lead a wire editor would keep."""

    @pytest.mark.parametrize(
        ("content", "summary"),
        [
            pytest.param("<p>The harbour closed.</p><p>The post <a href='https://ex.example/a'>"
                         "Storm</a> appeared first on <a href='https://ex.example'>Ex News</a>."
                         "</p>", "The harbour closed.", id="yoast-footer"),
            pytest.param("<p>The harbour closed.</p><div class='sharedaddy sd-sharing-enabled'>"
                         "<h3 class='sd-title'>Share this:</h3><ul><li><a href='?share=twitter'>"
                         "<span>Click to share on X</span><span class='sharing-screen-reader-text'>"
                         "(Opens in new window)</span></a></li></ul></div>", "The harbour closed.",
                         id="jetpack-share-classes"),
            pytest.param("<p>The harbour closed.</p><h3>Share this:</h3><ul><li><a href='#'>"
                         "Click to share on X (Opens in new window)</a></li><li>X</li></ul>"
                         "<h3>Like this:</h3><p>Like Loading...</p>", "The harbour closed.",
                         id="jetpack-share-text"),
            pytest.param("<p>…thinly disguised contempt</p><p>Donald Trump has promised more.</p>",
                         "…thinly disguised contempt\n\nDonald Trump has promised more.",
                         id="paragraphs-not-glued"),
            pytest.param("<p><strong>NEW DELHI, Dec 1 (Reuters) -</strong> India's economy grew."
                         "</p>", "India's economy grew.", id="reuters-dateline"),
            pytest.param("<p>MUMBAI (PTI): Shares rose.</p>", "Shares rose.", id="pti-dateline"),
            pytest.param("<p>(AP) — Shares rose.</p>", "Shares rose.", id="ap-dateline"),
            pytest.param("<p>WASHINGTON — Shares rose.</p>", "Shares rose.", id="caps-dateline"),
            pytest.param("<p>New Delhi: Shares rose.</p>", "Shares rose.", id="title-dateline"),
            pytest.param("<p>नई दिल्ली: शेयर चढ़े।</p>", "शेयर चढ़े।", id="hindi-dateline"),
            pytest.param("<p>मुंबई, 1 दिसंबर (भाषा) शेयर चढ़े।</p>", "शेयर चढ़े।", id="bhasha-dateline"),
            pytest.param("<p>By Jane Doe | Updated: Dec 1, 2023</p><figure><img src='a.jpg'>"
                         "<figcaption>Photo: Reuters</figcaption></figure><p>Shares rose.</p>",
                         "Shares rose.", id="byline-and-caption"),
            pytest.param("<div class='wp-caption'><img src='a.jpg'><p class='wp-caption-text'>"
                         "File photo</p></div><p>Shares rose.</p>", "Shares rose.",
                         id="wordpress-caption"),
            pytest.param("<h1>Storm closes the harbour</h1><p>Ferries stayed in port.</p>",
                         "Ferries stayed in port.", id="headline-repeated"),
            pytest.param("<p>Ferries stayed in port. Dr. Rao met U.S. officials at 10 a.m. "
                         "tomorrow.</p>", "Ferries stayed in port. Dr. Rao met U.S. officials at "
                         "10 a.m. tomorrow.", id="abbreviations"),
            pytest.param("<p>India win! 🎉🇮🇳</p><p>Fans 👨‍👩‍👧 cheered.</p>",
                         "India win! 🎉🇮🇳\n\nFans 👨‍👩‍👧 cheered.", id="emoji-and-flags"),
            pytest.param("<p>ঢাকায় বৃষ্টি হয়েছে। রাস্তা ডুবে গেছে।</p>",
                         "ঢাকায় বৃষ্টি হয়েছে। রাস্তা ডুবে গেছে।", id="bengali"),
            pytest.param("<p>لاہور میں بارش ہوئی۔</p><p>یہ بھی پڑھیں: دوسری خبر</p>",
                         "لاہور میں بارش ہوئی۔", id="urdu"),
            pytest.param("<p>北京今天下雪了。</p><p>分享到微信</p>",
                         "北京今天下雪了。\n\n分享到微信", id="chinese"),
            pytest.param("<p>東京で桜が満開になりました。週末には花見客が訪れます。</p>",
                         "東京で桜が満開になりました。週末には花見客が訪れます。", id="japanese"),
        ],
    )  # fmt: skip
    def test_wordpress_content(self, content: str, summary: str) -> None:
        """The content:encoded of a WordPress item becomes exactly this lead."""
        entry = parse_feed(wordpress(content), url=URL).entries[0]
        assert entry.summary == summary

    @pytest.mark.parametrize(
        ("entry", "title", "summary"),
        [
            pytest.param('<title>Dam opens</title><content type="xhtml"><div xmlns="http://www.w3'
                         '.org/1999/xhtml"><p>Water <b>flows</b>.</p><p>More soon.</p></div>'
                         "</content>", "Dam opens", "Water flows.\n\nMore soon.", id="xhtml"),
            pytest.param("<title>Dam opens</title><summary>&lt;p&gt;Water&amp;nbsp;flows.&lt;/p"
                         "&gt;</summary>", "Dam opens", "Water flows.", id="untyped-html-summary"),
            pytest.param("<title>Dam opens</title><summary>Water&amp;nbsp;flows.</summary>",
                         "Dam opens", "Water flows.", id="untyped-nbsp"),
            pytest.param('<title type="html">&amp;amp;#39;AT&amp;amp;amp;T&amp;amp;#39; wins'
                         "</title>", "'AT&T' wins", "", id="title-escaped-three-times"),
            pytest.param("<title>AT&amp;T wins – Valley Courier</title>", "AT&T wins", "",
                         id="site-name-and-literal-ampersand"),
            pytest.param("<title>Valley Courier | Dam opens</title>", "Dam opens", "",
                         id="leading-site-name"),
            pytest.param("<title>Valley Courier</title>", "Valley Courier", "",
                         id="only-site-name"),
        ],
    )  # fmt: skip
    def test_atom_entries(self, entry: str, title: str, summary: str) -> None:
        """Each Atom entry gives exactly this headline and lead."""
        draft = parse_feed(atom(entry), url=URL).entries[0]
        assert (draft.title, draft.summary) == (title, summary)

    @pytest.mark.parametrize(
        ("item", "title", "summary", "link"),
        [
            pytest.param("<title>Only a title</title>", "Only a title", "", None, id="title-only"),
            pytest.param("<link>https://ex.example/a</link>", "", "", "https://ex.example/a",
                         id="link-only"),
            pytest.param("<description>Storm hits. Ferries stay.</description>", "Storm hits",
                         "Storm hits. Ferries stay.", None, id="untitled"),
            pytest.param("<title>Tom &amp;amp Jerry</title>", "Tom & Jerry", "", None,
                         id="amp-without-semicolon"),
        ],
    )  # fmt: skip
    def test_sparse_items(self, item: str, title: str, summary: str, link: str | None) -> None:
        """Items with little in them give these drafts; an untitled one's headline is its
        first sentence (its summary stays whole, and the post drops the repeated sentence)."""
        draft = parse_feed(rss(f"<item>{item}</item>"), url=URL).entries[0]
        assert (draft.title, draft.summary, draft.link) == (title, summary, link)
        post = render_post(draft.title, draft.summary, draft.link)
        assert post.text.count("Storm hits.") <= 1

    def test_image_only_item_is_skipped(self) -> None:
        """An item with only a picture has nothing to post, and is counted as skipped."""
        item = '<item><enclosure url="https://ex.example/a.jpg" type="image/jpeg"/></item>'
        feed = parse_feed(rss(item + "<item><title>A</title></item>"), url=URL)
        assert [entry.title for entry in feed.entries] == ["A"]
        assert feed.warning == "1 entry was skipped (no title, summary or link)"

    def test_categories(self) -> None:
        """Tags become categories: cleaned, first spelling of each, in feed order."""
        entry = parse_feed(wordpress("<p>Text.</p>"), url=URL).entries[0]
        assert entry.categories == ("Weather", "Local News")

    def test_categories_are_capped(self) -> None:
        """At most twenty categories are kept; Atom's label is used without a term."""
        tags = "".join(f'<category term="t{i}"/>' for i in range(30))
        entry = parse_feed(atom(f"<title>T</title>{tags}"), url=URL).entries[0]
        assert entry.categories == tuple(f"t{i}" for i in range(20))
        labelled = parse_feed(atom('<title>T</title><category label="Sport"/>'), url=URL)
        assert labelled.entries[0].categories == ("Sport",)

    def test_summary_glued_to_content_is_said_once(self) -> None:
        """A long read whose content repeats its teaser and its paragraphs says each once."""
        teaser = "<p>The harbour closed on Tuesday as winds reached 120 km/h. Ferries…</p>"
        body = "<p>The harbour closed on Tuesday as winds reached 120 km/h. Ferries stayed.</p>"
        content = f"{teaser}{body}{body}<p>Officials met.</p>"
        entry = parse_feed(wordpress(content), url=URL).entries[0]
        assert entry.summary == (
            "The harbour closed on Tuesday as winds reached 120 km/h. Ferries stayed.\n\n"
            "Officials met."
        )

    def test_hundred_kb_article(self) -> None:
        """A 100 KB article gives a summary of whole paragraphs within SUMMARY_MAX_CHARS."""
        paragraphs = "".join(f"<p>Paragraph {i} of the long read goes on.</p>" for i in range(2500))
        assert len(paragraphs) > 100_000
        entry = parse_feed(wordpress(paragraphs), url=URL).entries[0]
        assert len(entry.summary) <= SUMMARY_MAX_CHARS
        assert entry.summary.startswith("Paragraph 0 of the long read goes on.\n\nParagraph 1 ")
        post = render_post(entry.title, entry.summary, entry.link)
        assert post.summary.endswith("goes on.")
        assert len(post.summary) <= 350
