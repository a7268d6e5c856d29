"""drafts_from: a feed's entries, an HTML page's article, and never a page made of a feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.errors import ErrorKind, FeedParseError, PageParseError
from bot.preview import drafts_from, format_previews

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://news.example/source"
ARTICLE = (FIXTURES / "pages" / "article.html").read_bytes()

EMPTY_RSS = b"<rss version='2.0'><channel><title>Channel title</title></channel></rss>"
EMPTY_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Channel title</title>
<link href="https://news.example/"/></feed>"""
BROKEN_RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Channel title</title><link>https://news.example/</link>
<item><title><![CD"""
BROKEN_RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel><title>Channel title</title><link>https://news.example/</link></channel><item><title>"""
OTHER_XML = b"<?xml version='1.0'?><note><title>Channel title</title><to>Ana</to></note>"
JSON_FEED = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Channel title",
        "items": [{"id": "1", "url": "https://news.example/1", "title": "First"}],
    }
).encode()
EMPTY_JSON_FEED = (
    b'{"version": "https://jsonfeed.org/version/1", "title": "Channel title", "items": []}'
)
BROKEN_JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "Channel title"'
OTHER_JSON = b'{"title": "Channel title", "status": "ok"}'
UNTITLED_PAGE = b"<!DOCTYPE html><html><body><p>No title here.</p></body></html>"


class TestDraftsFrom:
    """What each kind of document gives, as newsbot preview reads it."""

    @pytest.mark.parametrize(
        ("content", "content_type", "titles", "source"),
        [
            pytest.param((FIXTURES / "feeds" / "rss_content_encoded.xml").read_bytes(), None,
                         ["Storm closes the harbour", "Council approves new bridge",
                          "Weather, briefly"], "feed", id="rss"),
            pytest.param(JSON_FEED, "application/feed+json", ["First"], "feed", id="json-feed"),
            pytest.param(EMPTY_RSS, "application/rss+xml", [], "feed", id="rss-without-items"),
            pytest.param(EMPTY_RSS, "text/html", [], "feed", id="rss-without-items-as-html"),
            pytest.param(EMPTY_ATOM, None, [], "feed", id="atom-without-entries"),
            pytest.param(EMPTY_JSON_FEED, "text/html", [], "feed", id="json-feed-without-items"),
            pytest.param(ARTICLE, "text/html; charset=utf-8", ["Storm warning for Friday night"],
                         "page", id="article-page"),
            pytest.param(ARTICLE, None, ["Storm warning for Friday night"], "page",
                         id="article-page-without-type"),
            pytest.param(ARTICLE, "application/octet-stream", ["Storm warning for Friday night"],
                         "page", id="article-page-by-its-doctype"),
        ],
    )  # fmt: skip
    def test_posts(
        self, content: bytes, content_type: str | None, titles: list[str], source: str
    ) -> None:
        """A feed gives its entries (none for an empty feed); only an HTML page gives a page."""
        drafts, kind = drafts_from(content, URL, content_type)
        assert ([draft.title for draft in drafts], kind) == (titles, source)

    @pytest.mark.parametrize(
        ("content", "content_type", "kind", "reason"),
        [
            pytest.param(BROKEN_RSS, None, ErrorKind.UNPARSEABLE,
                         "XML error: unclosed token at line 3; no entry could be read",
                         id="broken-rss"),
            pytest.param(BROKEN_RSS, "text/html; charset=utf-8", ErrorKind.UNPARSEABLE,
                         "XML error: unclosed token at line 3; no entry could be read",
                         id="broken-rss-served-as-html"),
            pytest.param(BROKEN_RDF, None, ErrorKind.UNPARSEABLE,
                         "XML error: no element found at line 3; no entry could be read",
                         id="broken-rdf"),
            pytest.param(OTHER_XML, None, ErrorKind.NOT_A_FEED,
                         "not an RSS or Atom feed (it is an XML document whose root element is "
                         "<note>)", id="other-xml"),
            pytest.param(OTHER_XML, "text/html", ErrorKind.NOT_A_FEED,
                         "not an RSS or Atom feed (it is an XML document whose root element is "
                         "<note>)", id="other-xml-served-as-html"),
            pytest.param(BROKEN_JSON_FEED, None, ErrorKind.UNPARSEABLE,
                         "JSON error: Expecting ',' delimiter at line 1; no item could be read",
                         id="broken-json-feed"),
            pytest.param(OTHER_JSON, "application/json", ErrorKind.NOT_A_FEED,
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", id="other-json"),
            pytest.param(OTHER_JSON, "text/html", ErrorKind.NOT_A_FEED,
                         "not a feed (a JSON document without a version starting "
                         "https://jsonfeed.org/version/)", id="other-json-served-as-html"),
            pytest.param(b"The feed moved.\n\nSee our site.", "text/plain", ErrorKind.NOT_A_FEED,
                         "neither a feed nor an article page (not an RSS or Atom feed (XML "
                         "error: syntax error at line 1))", id="text-plain"),
            pytest.param(b"\x00\x01garbage", None, ErrorKind.NOT_A_FEED,
                         "neither a feed nor an article page (not an RSS or Atom feed (XML "
                         "error: not well-formed (invalid token) at line 1))", id="binary"),
            pytest.param(b"", None, ErrorKind.NOT_A_FEED,
                         "neither a feed nor an article page (the document is empty)",
                         id="empty"),
        ],
    )  # fmt: skip
    def test_no_page_is_made_of_a_feed_or_document(
        self, content: bytes, content_type: str | None, kind: ErrorKind, reason: str
    ) -> None:
        """XML, JSON, text and broken feeds raise a FeedParseError, never give a page post."""
        with pytest.raises(FeedParseError) as caught:
            drafts_from(content, URL, content_type)
        assert (caught.value.kind, caught.value.reason) == (kind, reason)
        assert "\n" not in str(caught.value)

    @pytest.mark.parametrize("content_type", ["text/html", None])
    def test_html_page_without_an_article(self, content_type: str | None) -> None:
        """An HTML page the page reader cannot use is one line naming both readers' reasons."""
        with pytest.raises(PageParseError) as caught:
            drafts_from(UNTITLED_PAGE, URL, content_type)
        assert caught.value.kind is ErrorKind.NOT_A_FEED
        assert caught.value.reason.startswith("neither a feed nor an article page (")
        assert "\n" not in str(caught.value)

    def test_empty_feed_prints_no_posts(self) -> None:
        """A feed without entries prints the no-posts line that newsbot preview exits 0 with."""
        drafts, _ = drafts_from(EMPTY_RSS, URL, "text/html")
        assert drafts == []
        assert format_previews([]) == "The feed has no entries: no posts."


class TestPreviewJSON:
    """What ``preview --json`` prints for each post: the keys, and the method that sends it."""

    @pytest.mark.parametrize(
        ("image", "style", "method"),
        [
            pytest.param("https://img.news.example/a.jpg", "photo", "sendPhoto", id="photo"),
            pytest.param(None, "photo", "sendMessage", id="no-image"),
            pytest.param("https://img.news.example/a.jpg", "text", "sendMessage", id="text"),
        ],
    )  # fmt: skip
    def test_keys_and_method(self, image: str | None, style: str, method: str) -> None:
        """Every key of the interface is there, and method says sendPhoto or sendMessage."""
        from bot.article import ArticleDraft
        from bot.formatting.post import PostOptions
        from bot.formatting.telegram_html import parse_telegram_html
        from bot.preview import to_preview

        draft = ArticleDraft(key="k", title="T", summary="S.", link="https://news.example/a",
                             image=image, categories=("Sport",))  # fmt: skip
        options = PostOptions(style=style, utm_source="nb", channel="@news_en")  # type: ignore[arg-type]
        shown = to_preview(draft, "feed", options).as_dict()
        assert {"title", "summary", "link", "image", "html", "text", "method"} <= set(shown)
        assert shown["method"] == method
        assert str(shown["link"]).endswith("utm_campaign=news_en")
        assert "#Sport" in str(shown["text"])
        assert parse_telegram_html(str(shown["html"])).text == shown["text"]
        assert shown["dm_html"] is not None
        assert "utm_campaign=dm" in str(shown["dm_html"])
