"""Tests for bot.feeds.opml: reading real readers' exports, refusing hostile files, round trips."""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import pytest
from lxml import etree

from bot.errors import ErrorKind, ParseError
from bot.feeds.opml import MAX_OPML_BYTES, OpmlFeed, parse_opml, render_opml
from bot.sandbox.feed_server import FeedServer

# Shaped like Feedly's export: folders of feeds, both text and title, type="rss".
FEEDLY = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
    <head>
        <title>Sarah subscriptions in feedly Cloud</title>
    </head>
    <body>
        <outline text="Tech" title="Tech">
            <outline type="rss" text="Ars Technica" title="Ars Technica"
                xmlUrl="https://feeds.arstechnica.com/arstechnica/index"
                htmlUrl="https://arstechnica.com"/>
            <outline type="rss" text="LWN.net" title="LWN.net"
                xmlUrl="https://lwn.net/headlines/rss" htmlUrl="https://lwn.net"/>
        </outline>
        <outline text="समाचार" title="समाचार">
            <outline type="rss" text="बीबीसी हिंदी" title="बीबीसी हिंदी"
                xmlUrl="https://feeds.bbci.co.uk/hindi/rss.xml" htmlUrl="https://www.bbc.com/hindi"/>
        </outline>
    </body>
</opml>
""".encode()

# Shaped like Inoreader's export: nested folders, a note without xmlUrl, a folder-less feed,
# attribute names in other cases, and a bare & left in a query string.
INOREADER = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions from Inoreader [https://www.inoreader.com]</title></head>
  <body>
    <outline text="Top level feed" title="Top level feed" type="rss"
      xmlUrl="https://example.org/top.xml" htmlUrl="https://example.org/"/>
    <outline text="News" title="News">
      <outline text="World" title="World">
        <outline text="Reuters &amp; Co" title="Reuters &amp; Co" type="rss"
          XMLURL="https://example.com/feed?section=world&format=rss" HTMLURL="https://example.com/"/>
      </outline>
      <outline text="Local" title="Local" type="rss" xmlurl="https://local.example/rss"/>
      <outline text="Just a note, no feed"/>
    </outline>
  </body>
</opml>
"""

# Shaped like Miniflux's OPML 2.0 export: everything under "All", title before text, no type.
MINIFLUX = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>Miniflux</title>
    <dateCreated>Mon, 15 Apr 2024 09:12:44 UTC</dateCreated>
  </head>
  <body>
    <outline text="All">
      <outline title="Julia Evans" text="Julia Evans" xmlUrl="https://jvns.ca/atom.xml"
        htmlUrl="https://jvns.ca/" description=""></outline>
      <outline title="" text="" xmlUrl="https://untitled.example/feed.json"></outline>
    </outline>
  </body>
</opml>
"""


def laughs(levels: int = 9) -> str:
    """The "billion laughs" entity bomb, as an OPML document."""
    lines = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels + 1):
        lines.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [{"".join(lines)}]>\n'
        f'<opml version="2.0"><head><title>&lol{levels};</title></head><body>'
        f'<outline text="&lol{levels};" xmlUrl="https://example.org/&lol{levels};"/></body></opml>'
    )


class TestParseOpml:
    """parse_opml reads what real feed readers export."""

    def test_feedly(self) -> None:
        """A Feedly-style export gives each feed with its folder as category, Hindi included."""
        assert parse_opml(FEEDLY) == [
            OpmlFeed(
                "https://feeds.arstechnica.com/arstechnica/index",
                "Ars Technica",
                "https://arstechnica.com",
                "Tech",
            ),
            OpmlFeed("https://lwn.net/headlines/rss", "LWN.net", "https://lwn.net", "Tech"),
            OpmlFeed(
                "https://feeds.bbci.co.uk/hindi/rss.xml",
                "बीबीसी हिंदी",
                "https://www.bbc.com/hindi",
                "समाचार",
            ),
        ]

    def test_inoreader(self) -> None:
        """Nested folders, any attribute case and a bare & are read; a note without a feed not."""
        assert parse_opml(INOREADER) == [
            OpmlFeed("https://example.org/top.xml", "Top level feed", "https://example.org/", None),
            OpmlFeed(
                "https://example.com/feed?section=world&format=rss",
                "Reuters & Co",
                "https://example.com/",
                "World",
            ),
            OpmlFeed("https://local.example/rss", "Local", None, "News"),
        ]

    def test_miniflux(self) -> None:
        """A Miniflux-style OPML 2.0 export keeps its "All" folder and an untitled feed."""
        assert parse_opml(MINIFLUX) == [
            OpmlFeed("https://jvns.ca/atom.xml", "Julia Evans", "https://jvns.ca/", "All"),
            OpmlFeed("https://untitled.example/feed.json", "", None, "All"),
        ]

    @pytest.mark.parametrize(
        ("outline", "expected"),
        [
            pytest.param(
                '<outline title="Only title" xmlUrl="https://a.example/rss"/>',
                OpmlFeed("https://a.example/rss", "Only title"),
                id="title-without-text",
            ),
            pytest.param(
                '<outline text="  Spaced\n  out  " xmlUrl="  https://a.example/rss  "/>',
                OpmlFeed("https://a.example/rss", "Spaced out"),
                id="whitespace",
            ),
            pytest.param(
                '<outline text="A" type="atom" xmlUrl="https://a.example/atom"/>',
                OpmlFeed("https://a.example/atom", "A"),
                id="other-type",
            ),
            pytest.param(
                '<outline text="A" category="/Tech/Python,/Misc" xmlUrl="https://a.example/"/>',
                OpmlFeed("https://a.example/", "A", category="Python"),
                id="category-attribute",
            ),
            pytest.param(
                '<outline text="Tom &amp;amp; Jerry &#x2014; &#8212;" xmlUrl="https://a.example/"/>',
                OpmlFeed("https://a.example/", "Tom &amp; Jerry — —"),
                id="references",
            ),
            pytest.param(
                '<outline text="Tom&nbsp;Jerry" xmlUrl="https://a.example/"/>',
                OpmlFeed("https://a.example/", "Tom&nbsp;Jerry"),
                id="undeclared-entity-is-text",
            ),
        ],
    )
    def test_outline_shapes(self, outline: str, expected: OpmlFeed) -> None:
        """Each shape of outline gives the feed a person would expect."""
        document = f'<opml version="2.0"><body>{outline}</body></opml>'.encode()
        assert parse_opml(document) == [expected]

    def test_duplicates_and_empty_urls_are_skipped(self) -> None:
        """A feed listed twice comes once, and an outline with an empty xmlUrl not at all."""
        document = b"""<opml version="2.0"><body>
            <outline text="A" xmlUrl="https://a.example/rss"/>
            <outline text="Folder"><outline text="A again" xmlUrl="https://a.example/rss"/></outline>
            <outline text="Empty" xmlUrl=""/>
        </body></opml>"""
        assert parse_opml(document) == [OpmlFeed("https://a.example/rss", "A")]

    def test_windows_1252_without_declaration(self) -> None:
        """A file in windows-1252 that declares no encoding is still read."""
        document = (
            '<opml><body><outline text="Café “Noir”" xmlUrl="https://c.example/"/></body></opml>'
        )
        assert parse_opml(document.encode("cp1252")) == [
            OpmlFeed("https://c.example/", "Café “Noir”")
        ]

    @pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16"])
    def test_byte_order_marks(self, bom: str) -> None:
        """A file with a byte-order mark is read in its encoding."""
        document = '<?xml version="1.0"?><opml><body><outline text="हिन्दी" xmlUrl="https://h.example/"/></body></opml>'
        assert parse_opml(document.encode(bom)) == [OpmlFeed("https://h.example/", "हिन्दी")]

    def test_opml_without_feeds(self) -> None:
        """An OPML file with an empty body gives no feeds, not an error."""
        assert parse_opml(b'<opml version="2.0"><head/><body/></opml>') == []

    def test_deep_nesting(self) -> None:
        """Two hundred nested folders cost no recursion, and the innermost one is the category."""
        depth = 200
        document = (
            "<opml><body>"
            + "".join(f'<outline text="f{i}">' for i in range(depth))
            + '<outline text="Deep" xmlUrl="https://deep.example/"/>'
            + "</outline>" * depth
            + "</body></opml>"
        )
        assert parse_opml(document.encode()) == [
            OpmlFeed("https://deep.example/", "Deep", category=f"f{depth - 1}")
        ]


class TestRefused:
    """parse_opml refuses files that are not OPML, or hostile, with one clear line."""

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            pytest.param(b"", "the file is empty", id="empty"),
            pytest.param(b"  \n", "the file is empty", id="blank"),
            pytest.param(
                b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
                "not an OPML file (its root element is <rss>, not <opml>)",
                id="rss",
            ),
            pytest.param(
                b'<?xml version="1.0"?><x:opml xmlns:x="urn:x"><head/></x:opml>',
                "not an OPML file (it has no <body>)",
                id="no-body",
            ),
            pytest.param(
                b"<!DOCTYPE html><html><body><p>Hello</body></html>",
                "not an OPML file: the XML is broken at line 1",
                id="html",
            ),
            pytest.param(
                b'{"version": "https://jsonfeed.org/version/1.1"}',
                "not an OPML file: the XML is broken at line 1",
                id="json",
            ),
            pytest.param(
                b'<opml version="2.0">\n<body>\n<outline text="cut',
                "not an OPML file: the XML is broken at line 3",
                id="truncated",
            ),
            pytest.param(
                b"\x00\x01\x02\xff\xfe garbage",
                "not an OPML file: the XML is broken",
                id="garbage",
            ),
            pytest.param(
                laughs().encode(),
                "the file declares XML entities, which OPML never needs; refused for safety",
                id="billion-laughs",
            ),
            pytest.param(
                laughs().encode("utf-16"),
                "the file declares XML entities, which OPML never needs; refused for safety",
                id="billion-laughs-utf16",
            ),
            pytest.param(
                b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>',
                "the file declares XML entities, which OPML never needs; refused for safety",
                id="external-entity",
            ),
            pytest.param(
                b"<opml><body>" + b"<outline>" * 1000 + b"</outline>" * 1000 + b"</body></opml>",
                "not an OPML file: the XML is broken at line 1 (Excessive depth",
                id="too-deep",
            ),
            pytest.param(
                b"<opml><body>" + b" " * MAX_OPML_BYTES + b"</body></opml>",
                "the file is larger than 10 MB",
                id="too-large",
            ),
        ],
    )
    def test_refused(self, content: bytes, reason: str) -> None:
        """Each file is refused as not_a_feed with a one-line reason that names the file."""
        with pytest.raises(ParseError) as caught:
            parse_opml(content, source="feeds.opml")
        assert caught.value.kind is ErrorKind.NOT_A_FEED
        assert caught.value.reason.startswith(reason)
        assert "\n" not in str(caught.value)
        assert "feeds.opml" in str(caught.value)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A local HTTP server that counts requests, standing in for an attacker's host."""
    with FeedServer() as server:
        yield server


class TestNoNetwork:
    """parse_opml never fetches a DTD or an entity, even when the file names one."""

    def test_external_dtd_is_not_fetched(self, feeds: FeedServer) -> None:
        """A DOCTYPE naming an external DTD is read without that DTD ever being requested."""
        feeds.put("/evil.dtd", '<!ENTITY title "pwned">', "application/xml-dtd")
        document = (
            f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{feeds.url_for("/evil.dtd")}">'
            '<opml><body><outline text="A" xmlUrl="https://a.example/"/></body></opml>'
        ).encode()
        assert parse_opml(document) == [OpmlFeed("https://a.example/", "A")]
        assert feeds.hits("/evil.dtd") == 0

    def test_external_dtd_entity_is_not_resolved(self, feeds: FeedServer) -> None:
        """An entity only an external DTD would define stays text, and nothing is fetched."""
        feeds.put("/evil.dtd", '<!ENTITY title "pwned">', "application/xml-dtd")
        document = (
            f'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "{feeds.url_for("/evil.dtd")}">'
            '<opml><body><outline text="&title;" xmlUrl="https://a.example/"/></body></opml>'
        ).encode()
        assert parse_opml(document) == [OpmlFeed("https://a.example/", "&title;")]
        assert feeds.hits("/evil.dtd") == 0


ROUND_TRIP = [
    pytest.param([], id="empty"),
    pytest.param(
        [OpmlFeed("https://example.org/rss.xml", "Example", "https://example.org/")],
        id="plain",
    ),
    pytest.param(
        [
            OpmlFeed("https://hindi.example/rss", "ताज़ा ख़बरें", "https://hindi.example/", "हिन्दी"),
            OpmlFeed("https://hindi.example/sport", "खेल — क्रिकेट", None, "हिन्दी"),
            OpmlFeed("https://en.example/rss", "Latest", None, "English"),
        ],
        id="hindi",
    ),
    pytest.param(
        [
            OpmlFeed("https://a.example/feed?cat=1&format=rss&lang=hi", "Q & A", None, "R&D"),
            OpmlFeed('https://a.example/f?x=<y>&z="w"', "<b>Bold</b> \"quoted\" 'single'"),
        ],
        id="escaping",
    ),
    pytest.param(
        [
            OpmlFeed("https://a.example/1", ""),
            OpmlFeed("https://a.example/2", "😀 emoji 🇮🇳", category="🎉"),
        ],
        id="untitled-and-emoji",
    ),
]


class TestRenderOpml:
    """render_opml writes OPML 2.0 that parse_opml (and any XML parser) reads back."""

    @pytest.mark.parametrize("feeds", ROUND_TRIP)
    def test_round_trip(self, feeds: list[OpmlFeed]) -> None:
        """Every feed's URL, title, site URL and category survive export and import."""
        back = parse_opml(render_opml(feeds, title="newsbot"))
        assert sorted(back, key=repr) == sorted(feeds, key=repr)

    def test_document_shape(self) -> None:
        """The export is UTF-8 OPML 2.0 with its title, folders per category and type="rss"."""
        data = render_opml(
            [
                OpmlFeed("https://a.example/rss", "A", category="News"),
                OpmlFeed("https://b.example/rss", "B"),
                OpmlFeed("https://c.example/rss", "C", category="News"),
            ],
            title='Revoi & "friends" <feeds> — हिन्दी',
        )
        assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
        root = etree.fromstring(data)  # strict: the whole document is well-formed
        assert root.findtext("head/title") == 'Revoi & "friends" <feeds> — हिन्दी'
        top = root.findall("body/outline")
        assert [outline.get("text") for outline in top] == ["B", "News"]
        assert top[0].get("type") == "rss"
        assert [outline.get("xmlUrl") for outline in top[1]] == [
            "https://a.example/rss",
            "https://c.example/rss",
        ]
        assert "हिन्दी".encode() in data

    def test_characters_xml_cannot_hold(self) -> None:
        """Control characters are left out rather than making the export unreadable."""
        data = render_opml([OpmlFeed("https://a.example/", "Bell\x07 and\x00 null")], title="t\x1b")
        assert parse_opml(data) == [OpmlFeed("https://a.example/", "Bell and null")]
        assert codecs.decode(data, "utf-8")
