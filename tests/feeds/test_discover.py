"""Tests for bot.feeds.discover: feed links read from pages (pure), and discovery over real HTTP.

The I/O tests serve pages and feeds from a :class:`FeedServer` of their own (a real HTTP server
on 127.0.0.1 in its own thread), because the common paths (``/feed``, ``/rss``…) are per origin.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.errors import ErrorKind, FeedParseError, HTTPStatusError
from bot.feeds.discover import (
    COMMON_PATHS,
    MAX_FETCHES,
    Attempt,
    DiscoveredFeed,
    discover,
    find_feed_links,
)
from bot.feeds.fetch import Fetcher
from bot.sandbox.feed_server import FeedServer

BASE = "https://example.org/blog/post.html"
HTML = "text/html; charset=utf-8"


def rss(title: str) -> str:
    """A small valid RSS 2.0 feed called ``title`` with one entry."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://example.org/</link>
<description>News</description>
<item><title>First story</title><link>https://example.org/a/1</link>
<description>The first story of {title}.</description><guid>a-1</guid></item>
</channel></rss>"""


def page(head: str = "", body: str = "<p>Welcome to the site.</p>") -> str:
    """An HTML page with ``head`` inside its <head>."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Site</title>"
        f"{head}</head><body><h1>Site</h1>{body}</body></html>"
    )


def link(
    href: str, type_: str = "application/rss+xml", title: str = "", rel: str = "alternate"
) -> str:
    """A <link> tag."""
    return f'<link rel="{rel}" type="{type_}" title="{title}" href="{href}">'


class TestFindFeedLinks:
    """find_feed_links reads a page's feed links in document order, absolute and once each."""

    @pytest.mark.parametrize(
        ("html", "expected"),
        [
            pytest.param(
                page(link("https://example.org/feed.xml", title="Example  News")),
                [
                    DiscoveredFeed(
                        "https://example.org/feed.xml", "Example News", "application/rss+xml"
                    )
                ],
                id="rss-absolute",
            ),
            pytest.param(
                page(
                    link("/atom.xml", "application/atom+xml", "Atom")
                    + link("/rss.xml", "application/rss+xml", "RSS")
                ),
                [
                    DiscoveredFeed("https://example.org/atom.xml", "Atom", "application/atom+xml"),
                    DiscoveredFeed("https://example.org/rss.xml", "RSS", "application/rss+xml"),
                ],
                id="document-order",
            ),
            pytest.param(
                page('<LINK REL="Alternate" TYPE="Application/RSS+XML; charset=UTF-8" HREF="f">'),
                [DiscoveredFeed("https://example.org/blog/f", "", "application/rss+xml")],
                id="case-and-parameters",
            ),
            pytest.param(
                page(link("/f.xml", rel="home  alternate\tfeed")),
                [DiscoveredFeed("https://example.org/f.xml", "", "application/rss+xml")],
                id="rel-is-a-token-list",
            ),
            pytest.param(
                page(link("/f.xml", rel="stylesheet") + link("/f.xml", rel="alternates")),
                [],
                id="rel-without-alternate",
            ),
            pytest.param(
                page(link("/hi/", "text/html") + link("/oembed", "application/json+oembed")),
                [],
                id="other-types",
            ),
            pytest.param(
                page(link("rss.xml")),
                [DiscoveredFeed("https://example.org/blog/rss.xml", "", "application/rss+xml")],
                id="relative-to-page",
            ),
            pytest.param(
                page('<base href="/news/">' + link("rss.xml")),
                [DiscoveredFeed("https://example.org/news/rss.xml", "", "application/rss+xml")],
                id="relative-to-base",
            ),
            pytest.param(
                page('<base href="https://cdn.example.net/x/">' + link("../rss.xml")),
                [DiscoveredFeed("https://cdn.example.net/rss.xml", "", "application/rss+xml")],
                id="absolute-base",
            ),
            pytest.param(
                page('<base href="javascript:alert(1)">' + link("rss.xml")),
                [DiscoveredFeed("https://example.org/blog/rss.xml", "", "application/rss+xml")],
                id="non-http-base-ignored",
            ),
            pytest.param(
                page(link("/feed.json", "application/feed+json", "JSON Feed")),
                [
                    DiscoveredFeed(
                        "https://example.org/feed.json", "JSON Feed", "application/feed+json"
                    )
                ],
                id="json-feed",
            ),
            pytest.param(
                page(
                    link("/j", "application/json")
                    + link("/r", "application/rdf+xml")
                    + link("/t", "text/xml")
                ),
                [
                    DiscoveredFeed("https://example.org/j", "", "application/json"),
                    DiscoveredFeed("https://example.org/r", "", "application/rdf+xml"),
                    DiscoveredFeed("https://example.org/t", "", "text/xml"),
                ],
                id="generic-types",
            ),
            pytest.param(
                page(link("/f.xml", title="A") + link("https://example.org/f.xml", title="B")),
                [DiscoveredFeed("https://example.org/f.xml", "A", "application/rss+xml")],
                id="duplicates-dropped",
            ),
            pytest.param(
                page(
                    link("javascript:alert(1)")
                    + link("feed://example.org/rss")
                    + link("data:text/xml,<rss/>")
                    + link("")
                ),
                [],
                id="only-http",
            ),
            pytest.param(
                page(link("/feed?a=1&amp;b=2", title="Tom &amp; Jerry")),
                [
                    DiscoveredFeed(
                        "https://example.org/feed?a=1&b=2", "Tom & Jerry", "application/rss+xml"
                    )
                ],
                id="entities-decoded",
            ),
            pytest.param(page(), [], id="no-links"),
            pytest.param("", [], id="empty"),
            pytest.param("<!--" * 50_000, [], id="hostile-comments"),
            pytest.param("<![<![" * 40_000, [], id="hostile-declarations"),
        ],
    )
    def test_links(self, html: str, expected: list[DiscoveredFeed]) -> None:
        """Each page gives exactly the feeds it links."""
        assert find_feed_links(html, BASE) == expected

    def test_bytes_are_read_as_utf8(self) -> None:
        """A page given as bytes keeps its Hindi link title."""
        html = page(link("/hi/rss.xml", title="समाचार — मुख्य")).encode()
        assert find_feed_links(html, BASE) == [
            DiscoveredFeed("https://example.org/hi/rss.xml", "समाचार — मुख्य", "application/rss+xml")
        ]

    @pytest.mark.parametrize("hostile", ["<!--", "<![<![", "<a "], ids=["comments", "decl", "attr"])
    def test_hostile_input_is_linear(self, hostile: str) -> None:
        """200 KB of a pathological prefix followed by a link is read in well under a second."""
        html = hostile * (200_000 // len(hostile)) + link("/late.xml")
        started = time.perf_counter()
        find_feed_links(html, BASE)
        assert time.perf_counter() - started < 2.0

    def test_only_a_prefix_is_read(self) -> None:
        """A link after the first megabyte is not looked for."""
        html = page(body="<p>" + "x" * 1_100_000 + "</p>" + link("/late.xml"))
        assert find_feed_links(html, BASE) == []


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    """A feed server of this test's own, so that its common paths are its own too."""
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A Fetcher allowed to reach the loopback server."""
    async with Fetcher(allow_private_networks=True, timeout=10) as client:
        yield client


def total_hits(feeds: FeedServer, paths: list[str]) -> int:
    """The requests ``feeds`` received on ``paths`` together."""
    return sum(feeds.hits(path) for path in paths)


class TestDiscover:
    """discover finds the feed behind a URL over real HTTP, or says clearly that there is none."""

    async def test_url_that_is_a_feed(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A feed URL is its own discovery, after one fetch."""
        feeds.put("/news.xml", rss("Daily News"))
        found = await discover(fetcher, feeds.url_for("/news.xml"))
        assert found.url == feeds.url_for("/news.xml")
        assert found.title == "Daily News"
        assert [entry.title for entry in found.feed.entries] == ["First story"]
        assert found.tried == (Attempt(feeds.url_for("/news.xml"), "asked", None),)
        assert total_hits(feeds, list(COMMON_PATHS)) == 0

    async def test_page_with_link_tags(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A page's first linked feed that parses is chosen, with its own title."""
        feeds.put(
            "/",
            page(link("/comments.xml", title="Comments") + link("/blog/rss.xml", title="Blog")),
            HTML,
        )
        feeds.put("/comments.xml", "not found", "text/plain")  # served, but not a feed
        feeds.put("/blog/rss.xml", rss("The Blog"))
        found = await discover(fetcher, feeds.url_for("/"))
        assert found.url == feeds.url_for("/blog/rss.xml")
        assert found.title == "The Blog"
        assert [link.title for link in found.links] == ["Comments", "Blog"]
        assert [(a.url, a.source) for a in found.tried] == [
            (feeds.url_for("/"), "asked"),
            (feeds.url_for("/comments.xml"), "link"),
            (feeds.url_for("/blog/rss.xml"), "link"),
        ]
        assert [a.error is None for a in found.tried] == [False, False, True]
        assert total_hits(feeds, list(COMMON_PATHS)) == 0

    async def test_broken_link_is_recorded(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A linked feed that answers 404 is skipped, and the reason kept."""
        feeds.put("/", page(link("/gone.xml") + link("/rss.xml")), HTML)
        feeds.put("/rss.xml", rss("Site"))
        found = await discover(fetcher, feeds.url_for("/"))
        assert found.url == feeds.url_for("/rss.xml")
        assert found.tried[1] == Attempt(
            feeds.url_for("/gone.xml"), "link", "the server answered HTTP 404"
        )

    async def test_specific_types_before_generic(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A WordPress REST link (application/json) before the RSS link is not fetched first."""
        feeds.put(
            "/",
            page(link("/wp-json/wp/v2/pages/2", "application/json") + link("/feed/")),
            HTML,
        )
        feeds.put("/feed/", rss("WordPress Site"))
        found = await discover(fetcher, feeds.url_for("/"))
        assert found.url == feeds.url_for("/feed/")
        assert feeds.hits("/wp-json/wp/v2/pages/2") == 0

    async def test_page_without_links_but_common_path(
        self, feeds: FeedServer, fetcher: Fetcher
    ) -> None:
        """Without links, the common paths are tried in order until one is a feed."""
        feeds.put("/", page(), HTML)
        feeds.put("/feed", page(), HTML)  # a site that answers every path with its home page
        feeds.put("/atom.xml", rss("Atom Site"))
        found = await discover(fetcher, feeds.url_for("/"))
        assert found.url == feeds.url_for("/atom.xml")
        assert found.title == "Atom Site"
        assert found.links == ()
        assert [a.url for a in found.tried[1:]] == [
            feeds.url_for(path) for path in ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml")
        ]
        assert feeds.hits("/index.xml") == 0

    async def test_common_paths_on_the_origin(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """The common paths of a page deep in a site are tried at the site's root."""
        feeds.put("/section/story.html", page(), HTML)
        feeds.put("/feed", rss("Root Feed"))
        found = await discover(fetcher, feeds.url_for("/section/story.html"))
        assert found.url == feeds.url_for("/feed")

    async def test_nothing_found(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A page with no links and no common path gives one clear not_a_feed line."""
        feeds.put("/", page(), HTML)
        with pytest.raises(FeedParseError) as caught:
            await discover(fetcher, feeds.url_for("/"))
        assert caught.value.kind is ErrorKind.NOT_A_FEED
        assert caught.value.reason == (
            "no feed found: the page links none and none of /feed, /rss, /feed.xml, /rss.xml, "
            "/atom.xml, /index.xml, /feed.json is a feed"
        )
        assert [feeds.hits(path) for path in COMMON_PATHS] == [1] * len(COMMON_PATHS)

    async def test_fetches_are_bounded(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A page with many broken feed links costs at most MAX_FETCHES fetches."""
        paths = [f"/broken-{i}.xml" for i in range(12)]
        feeds.put("/", page("".join(link(path) for path in paths)), HTML)
        with pytest.raises(FeedParseError) as caught:
            await discover(fetcher, feeds.url_for("/"))
        assert (
            caught.value.reason == "no feed found: none of the page's 12 feed links leads to a feed"
        )
        assert feeds.hits("/") + total_hits(feeds, paths + list(COMMON_PATHS)) == MAX_FETCHES

    async def test_broken_link_then_paths(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """When the page's one feed link is broken, the common paths still get their turn."""
        feeds.put("/", page(link("/old-rss")), HTML)
        feeds.put("/rss", rss("Moved Feed"))
        found = await discover(fetcher, feeds.url_for("/"))
        assert found.url == feeds.url_for("/rss")
        assert [a.source for a in found.tried] == ["asked", "link", "path", "path"]

    async def test_xml_that_is_no_feed(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """An XML document that is not a feed gives its own error, and nothing else is fetched."""
        feeds.put("/sitemap.xml", "<?xml version='1.0'?><urlset><url/></urlset>", "application/xml")
        with pytest.raises(FeedParseError) as caught:
            await discover(fetcher, feeds.url_for("/sitemap.xml"))
        assert "no feed found" not in caught.value.reason
        assert total_hits(feeds, list(COMMON_PATHS)) == 0

    async def test_url_that_fails(self, feeds: FeedServer, fetcher: Fetcher) -> None:
        """A URL that cannot be fetched raises its FetchError for the caller to report."""
        with pytest.raises(HTTPStatusError) as caught:
            await discover(fetcher, feeds.url_for("/missing"))
        assert caught.value.status == 404
