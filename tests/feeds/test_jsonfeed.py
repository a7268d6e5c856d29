"""JSON Feed 1.0/1.1 read into the same drafts as RSS and Atom, through parse_feed."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ErrorKind, FeedParseError
from bot.feeds.jsonfeed import looks_like_json, parse_json_feed
from bot.feeds.parse import SUMMARY_MAX_CHARS, ParsedFeed, parse_feed

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
URL = "https://news.example/feed.json"
V11 = "https://jsonfeed.org/version/1.1"


def read(name: str, content_type: str | None = "application/feed+json") -> ParsedFeed:
    """Parse the fixture ``name`` as if fetched from :data:`URL`."""
    return parse_feed((FEEDS / name).read_bytes(), url=URL, content_type=content_type)


def feed(*items: object, **members: object) -> bytes:
    """A JSON Feed 1.1 document holding ``items``, with extra top-level ``members``."""
    return json.dumps({"version": V11, "title": "T", **members, "items": list(items)}).encode()


def first(*items: object) -> dict[str, Any]:
    """The fields of the first draft parse_feed reads from a feed of ``items``."""
    entry = parse_feed(feed(*items), url=URL).entries[0]
    return {
        "key": entry.key,
        "title": entry.title,
        "summary": entry.summary,
        "link": entry.link,
        "image": entry.image,
        "published": entry.published,
    }


class TestFixtures:
    """The fixtures' items, as a reader would see them."""

    @pytest.mark.parametrize(
        ("index", "expected"),
        [
            pytest.param(0, {
                "key": "https://news.example/2024/storm",
                "title": "Storm closes the harbour",
                "summary": "The harbour closed on Tuesday as winds reached 120 km/h. Ferries "
                           "stayed in port & flights were cancelled.\n\nOfficials expect it to "
                           "reopen on Thursday.",
                "link": "https://news.example/2024/storm",
                "image": "https://img.news.example/storm-large.jpg",
                "published": datetime(2024, 3, 5, 13, 30, tzinfo=UTC),
            }, id="content-html-and-image"),
            pytest.param(1, {
                "key": "1002",
                "title": "Council approves new bridge",
                "summary": "The council voted 7 to 2 for the bridge.\n\nWork starts in May.",
                "link": "https://news.example/2024/bridge",
                "image": "https://news.example/media/bridge-banner.png",
                "published": datetime(2024, 3, 4, 17, 0, tzinfo=UTC),
            }, id="numeric-id-relative-url-banner"),
            pytest.param(2, {
                "key": "link-1003",
                "summary": "A neighbouring paper reads the ferry report.",
                "link": "https://other.example/report",
                "image": "https://other.example/chart.png",
                "published": datetime(2024, 3, 3, 9, 15, tzinfo=UTC),
            }, id="external-url-image-attachment-modified-date"),
            pytest.param(3, {
                "key": "note-1004",
                "title": "Short note without a title or a link",
                "summary": "Short note without a title or a link.",
                "link": None,
                "image": "https://img.news.example/note.jpg",
                "published": None,
            }, id="untitled-note-lazy-image-not-pixel"),
        ],
    )  # fmt: skip
    def test_version_1_1_items(self, index: int, expected: dict[str, Any]) -> None:
        """Each item of the 1.1 fixture carries exactly these values."""
        entry = read("jsonfeed_1_1.json").entries[index]
        assert {field: getattr(entry, field) for field in expected} == expected

    def test_feed_title_link_and_skipped_item(self) -> None:
        """The feed's title and home page are read; an item with nothing usable is skipped."""
        parsed = read("jsonfeed_1_1.json")
        assert (parsed.title, parsed.link, len(parsed.entries), parsed.warning, parsed.ttl) == (
            "Harbour News & Views",
            "https://news.example/",
            4,
            "1 entry was skipped (no title, summary or link)",
            None,
        )

    def test_version_1_0_hindi(self) -> None:
        """A JSON Feed 1.0 in Hindi reads like the Hindi RSS fixture."""
        parsed = read("jsonfeed_1_0.json")
        entry = parsed.entries[0]
        assert (parsed.title, parsed.warning) == ("Revoi Hindi", None)
        assert (entry.title, entry.published) == (
            "भारत ने फाइनल में ऑस्ट्रेलिया को हराया",
            datetime(2023, 11, 19, 13, 15, tzinfo=UTC),
        )
        assert entry.summary.startswith("भारत ने रविवार को फाइनल में")


class TestDispatch:
    """parse_feed reads JSON Feed by its media type or by its first byte."""

    @pytest.mark.parametrize(
        ("content", "content_type", "json_document"),
        [
            pytest.param(feed(), "application/feed+json", True, id="feed-json"),
            pytest.param(feed(), "application/json; charset=utf-8", True, id="json"),
            pytest.param(feed(), "text/html", True, id="wrong-type-but-brace"),
            pytest.param(feed(), None, True, id="no-type"),
            pytest.param(b"\xef\xbb\xbf \n\t" + feed(), None, True, id="bom-and-whitespace"),
            pytest.param(b"[1, 2]", None, True, id="array"),
            pytest.param(b"garbage", "application/feed+json", True, id="garbage-as-json"),
            pytest.param(b"<rss version='2.0'/>", "application/json", False,
                         id="rss-served-as-json"),
            pytest.param(b"<rss version='2.0'/>", None, False, id="rss"),
            pytest.param(b"plain words", "text/plain", False, id="text"),
        ],
    )  # fmt: skip
    def test_looks_like_json(
        self, content: bytes, content_type: str | None, json_document: bool
    ) -> None:
        """A document is JSON when it starts with '{' or '[', or is served as JSON but is no XML."""
        assert looks_like_json(content, content_type) is json_document

    def test_rss_served_as_json_is_read_as_rss(self) -> None:
        """An RSS feed behind a wrong application/json type still gives its entries."""
        content = b"<rss version='2.0'><channel><item><title>A</title></item></channel></rss>"
        parsed = parse_feed(content, url=URL, content_type="application/json")
        assert [entry.title for entry in parsed.entries] == ["A"]

    def test_utf_16_with_byte_order_mark(self) -> None:
        """JSON in UTF-16 with its byte order mark is decoded by the JSON reader."""
        content = json.dumps({"version": V11, "items": [{"id": "1", "title": "Привет"}]})
        parsed = parse_feed(content.encode("utf-16"), url=URL, content_type="application/json")
        assert parsed.entries[0].title == "Привет"

    def test_declared_legacy_charset(self) -> None:
        """A charset the server declares decodes the JSON before it is read."""
        content = json.dumps(
            {"version": V11, "items": [{"id": "1", "title": "Café"}]}, ensure_ascii=False
        ).encode("latin-1")
        parsed = parse_feed(content, url=URL, content_type="application/json; charset=latin-1")
        assert parsed.entries[0].title == "Café"


class TestItems:
    """How each member of an item becomes a field of the draft."""

    @pytest.mark.parametrize(
        ("item", "expected"),
        [
            pytest.param({"id": "a", "content_html": "<p>Html</p>", "content_text": "Text",
                          "summary": "Summary"}, {"summary": "Html"}, id="html-first"),
            pytest.param({"id": "a", "content_text": "Text", "summary": "Summary"},
                         {"summary": "Text"}, id="then-text"),
            pytest.param({"id": "a", "summary": "Summary"}, {"summary": "Summary"},
                         id="then-summary"),
            pytest.param({"id": "a", "content_html": "<p> <img src='https://i.example/x.jpg'></p>",
                          "summary": "Summary"},
                         {"summary": "Summary", "image": "https://i.example/x.jpg"},
                         id="empty-html-falls-through"),
            pytest.param({"id": "a", "content_text": "Use <b> for bold & more"},
                         {"summary": "Use <b> for bold & more"}, id="content-text-is-not-html"),
            pytest.param({"id": "a", "title": "Tom &amp; Jerry&#8217;s <i>day</i>"},
                         {"title": "Tom & Jerry’s day"}, id="title-entities"),
            pytest.param({"id": "  spaced\n id ", "title": "T"}, {"key": "spaced id"},
                         id="id-cleaned"),
            pytest.param({"id": 42, "title": "T"}, {"key": "42"}, id="numeric-id"),
            pytest.param({"id": True, "url": "https://news.example/b", "title": "T"},
                         {"key": "https://news.example/b"}, id="boolean-id-ignored"),
            pytest.param({"url": "https://news.example/c", "title": "T"},
                         {"key": "https://news.example/c"}, id="key-from-url"),
            pytest.param({"url": "javascript:alert(1)", "external_url": "https://o.example/d",
                          "title": "T"}, {"link": "https://o.example/d"},
                         id="unsafe-url-then-external"),
            pytest.param({"id": "a", "url": "https://localhost/x", "title": "T"},
                         {"link": None}, id="link-telegram-refuses"),
            pytest.param({"id": "a", "title": "T", "image": "data:image/png;base64,xx",
                          "banner_image": "/banner.jpg"},
                         {"image": "https://news.example/banner.jpg"}, id="banner-after-bad-image"),
            pytest.param({"id": "a", "title": "T", "attachments": [
                             {"url": "https://a.example/x.mp3", "mime_type": "audio/mpeg"},
                             {"url": "https://a.example/x.webp", "mime_type": "IMAGE/webp"}]},
                         {"image": "https://a.example/x.webp"}, id="image-attachment"),
            pytest.param({"id": "a", "title": "T", "date_published": "2024-03-05t13:30:00z"},
                         {"published": datetime(2024, 3, 5, 13, 30, tzinfo=UTC)},
                         id="lower-case-rfc3339"),
            pytest.param({"id": "a", "title": "T",
                          "date_published": "2024-03-05T19:00:00.123456789+05:30"},
                         {"published": datetime(2024, 3, 5, 13, 30, 0, 123456, tzinfo=UTC)},
                         id="offset-and-nanoseconds"),
            pytest.param({"id": "a", "title": "T", "date_published": "2024-03-05T13:30:00"},
                         {"published": datetime(2024, 3, 5, 13, 30, tzinfo=UTC)},
                         id="no-offset-is-utc"),
            pytest.param({"id": "a", "title": "T", "date_published": "last Tuesday",
                          "date_modified": "2024-03-06T08:00:00Z"},
                         {"published": datetime(2024, 3, 6, 8, 0, tzinfo=UTC)},
                         id="garbage-date-then-modified"),
            pytest.param({"id": "a", "title": "T", "date_published": "0001-01-01T00:00:00+01:00"},
                         {"published": None}, id="date-out-of-range"),
        ],
    )  # fmt: skip
    def test_item(self, item: dict[str, Any], expected: dict[str, Any]) -> None:
        """The item's members give exactly these draft fields."""
        fields = first(item)
        assert {name: fields[name] for name in expected} == expected

    @pytest.mark.parametrize(
        "item",
        [
            pytest.param({"id": ["x"], "url": {"a": 1}, "external_url": 5,
                          "title": ["T"], "content_html": 3, "content_text": None,
                          "summary": {"x": "y"}, "image": [1], "banner_image": False,
                          "attachments": "x.png", "date_published": 20240305,
                          "date_modified": ["2024"]}, id="everything-wrong"),
            pytest.param({"id": None, "attachments": [None, 1, {"url": 5, "mime_type": []}]},
                         id="bad-attachments"),
        ],
    )  # fmt: skip
    def test_wrong_types_are_ignored(self, item: dict[str, Any]) -> None:
        """Members of the wrong type are ignored; with nothing left the item is skipped."""
        parsed = parse_feed(feed(item, {"title": "kept"}), url=URL)
        assert [entry.title for entry in parsed.entries] == ["kept"]
        assert parsed.warning == "1 entry was skipped (no title, summary or link)"

    @pytest.mark.parametrize(
        ("item", "expected"),
        [
            pytest.param({"image": "/lead.jpg", "banner_image": "/banner.jpg",
                          "content_html": '<img src="/body.jpg">'},
                         "https://news.example/lead.jpg", id="image-first-relative-resolved"),
            pytest.param({"banner_image": "media/banner.jpg", "attachments": [
                             {"url": "/a.png", "mime_type": "image/png"}],
                          "content_html": '<img src="/body.jpg">'},
                         "https://news.example/media/banner.jpg", id="banner-before-attachment"),
            pytest.param({"attachments": [{"url": "/a.png", "mime_type": "image/png"}],
                          "content_html": '<img src="/body.jpg">'},
                         "https://news.example/a.png", id="attachment-before-img"),
            pytest.param({"image": "https://secure.gravatar.com/avatar/ab?s=96",
                          "content_html": '<img src="/story.jpg">'},
                         "https://news.example/story.jpg", id="avatar-image-skipped"),
            pytest.param({"content_html": '<img class="avatar" src="/u/7.jpg">'
                                          '<img src="/p.gif" width="1" height="1">'
                                          '<img src="/static/site-logo.png">'
                                          '<img src="/2024/story.jpg">'},
                         "https://news.example/2024/story.jpg", id="avatar-pixel-logo-skipped"),
            pytest.param({"content_html": '<img src="/p.gif" width="1" height="1">'}, None,
                         id="only-a-pixel"),
        ],
    )  # fmt: skip
    def test_image(self, item: dict[str, Any], expected: str | None) -> None:
        """The picture is the first of image, banner_image, an image attachment and the
        content's <img> that is an article's picture, made absolute against the feed's URL."""
        assert first({"id": "a", "title": "T", **item})["image"] == expected

    def test_key_falls_back_to_a_hash(self) -> None:
        """An item without id or link is known by a hash of its title and summary."""
        key = first({"title": "T", "summary": "S"})["key"]
        assert key.startswith("sha256:")
        assert len(key) == len("sha256:") + 64

    def test_duplicate_ids_keep_the_first_item(self) -> None:
        """Two items with one id give one draft, the first."""
        parsed = parse_feed(
            feed({"id": "k", "title": "First"}, {"id": "k", "title": "Second"}), url=URL
        )
        assert [entry.title for entry in parsed.entries] == ["First"]

    def test_long_summary_is_capped(self) -> None:
        """A summary longer than SUMMARY_MAX_CHARS is cut at a word with '…'."""
        words = " ".join(f"word{i}" for i in range(1000))
        summary = first({"id": "a", "content_text": words})["summary"]
        assert len(summary) <= SUMMARY_MAX_CHARS
        assert summary.endswith("…")

    def test_summary_cap_is_the_callers(self) -> None:
        """parse_json_feed cuts summaries at the length it is given."""
        parsed = parse_json_feed(
            feed({"id": "a", "content_text": "one two three four"}), url=URL, summary_max_chars=9
        )
        assert parsed.entries[0].summary == "one two…"

    def test_items_in_feed_order(self) -> None:
        """Drafts come in the order of the items."""
        items = [{"id": str(i), "title": f"Item {i}"} for i in range(5)]
        assert [e.title for e in parse_feed(feed(*items), url=URL).entries] == [
            f"Item {i}" for i in range(5)
        ]


class TestNotAJsonFeed:
    """JSON that is not a usable JSON Feed is one FeedParseError of the right kind."""

    @pytest.mark.parametrize(
        ("content", "content_type", "kind", "reason"),
        [
            pytest.param(b'{"version": "https://example.com/feed", "items": []}', None,
                         ErrorKind.NOT_A_FEED,
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", id="other-version"),
            pytest.param(b'{"version": 1.1, "items": []}', "application/feed+json",
                         ErrorKind.NOT_A_FEED,
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", id="version-not-a-string"),
            pytest.param(b'[{"version": "https://jsonfeed.org/version/1.1"}]', None,
                         ErrorKind.NOT_A_FEED,
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", id="array"),
            pytest.param(b'{"name": "a config file"', "application/json",
                         ErrorKind.NOT_A_FEED,
                         "not a feed (JSON error: Expecting ',' delimiter at line 1)",
                         id="broken-json"),
            pytest.param(b"[" * 200000, None, ErrorKind.NOT_A_FEED,
                         "not a feed (the JSON is nested too deeply)", id="deep-array"),
            pytest.param(b'{"a": "\xc3\x28"}', "application/json", ErrorKind.NOT_A_FEED,
                         "not a feed (the JSON is not valid UTF-8)", id="not-utf-8"),
            pytest.param(b'{"n": ' + b"1" * 5000 + b"}", None, ErrorKind.NOT_A_FEED,
                         "not a feed (JSON error: Exceeds the limit (4300 digits) for integer "
                         "string conversion: value has 5000 digits; use "
                         "sys.set_int_max_str_digits() to increase the limit)",
                         id="huge-integer"),
            pytest.param(b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": ',
                         None, ErrorKind.UNPARSEABLE,
                         "JSON error: Expecting value at line 1; no item could be read",
                         id="truncated-json-feed"),
            pytest.param(b'{"version": "https://jsonfeed.org/version/1.1", "items": '
                         + b'{"a": ' * 100000, None, ErrorKind.UNPARSEABLE,
                         "the JSON is nested too deeply; no item could be read",
                         id="deep-json-feed"),
            pytest.param(b"{oops", "application/feed+json", ErrorKind.UNPARSEABLE,
                         "JSON error: Expecting property name enclosed in double quotes at "
                         "line 1; no item could be read", id="broken-served-as-json-feed"),
            pytest.param(b'{"version": "https://jsonfeed.org/version/1.1"}', None,
                         ErrorKind.UNPARSEABLE, "the JSON Feed has no list of items",
                         id="no-items"),
            pytest.param(b'{"version": "https://jsonfeed.org/version/1", "items": {"id": 1}}',
                         None, ErrorKind.UNPARSEABLE, "the JSON Feed has no list of items",
                         id="items-not-a-list"),
        ],
    )  # fmt: skip
    def test_raises(
        self, content: bytes, content_type: str | None, kind: ErrorKind, reason: str
    ) -> None:
        """The error names the source, says why in one line and has its kind."""
        with pytest.raises(FeedParseError) as caught:
            parse_feed(content, url=URL, content_type=content_type)
        assert (caught.value.source, caught.value.kind, caught.value.reason) == (URL, kind, reason)
        assert "\n" not in str(caught.value)

    def test_no_usable_items_is_an_empty_feed(self) -> None:
        """A JSON Feed whose items are all unusable has no entries and says so, like RSS."""
        parsed = parse_feed(feed({}, 7, None, {"id": "x"}), url=URL)
        assert (parsed.entries, parsed.warning) == (
            [],
            "4 entries were skipped (no title, summary or link)",
        )

    def test_random_json_never_crashes(self) -> None:
        """Items made of random JSON values give drafts or are skipped; nothing else escapes."""
        rng = random.Random(5)
        values: list[object] = [
            None,
            True,
            0,
            -1,
            1.5,
            "",
            "x",
            "https://a.example/",
            [],
            {},
            ["https://a.example/i.jpg"],
            {"url": 1},
            "<p>x</p>",
            "2024-01-01",
        ]
        members = ["id", "url", "external_url", "title", "content_html", "content_text",
                   "summary", "image", "banner_image", "attachments", "date_published",
                   "date_modified"]  # fmt: skip
        for _ in range(200):
            items = [
                {name: rng.choice(values) for name in rng.sample(members, rng.randint(0, 12))}
                for _ in range(rng.randint(0, 5))
            ]
            top = {name: rng.choice(values) for name in ("title", "home_page_url")}
            parsed = parse_feed(feed(*items, **top), url=URL)
            assert all(entry.key for entry in parsed.entries)
