"""The console's Feeds page over real HTTP: the list shows each feed's health as the database
holds it; Pause and Resume change the feed (its row for htmx, a redirect back otherwise); a
feed is added from a real local feed server (a site's page: its feed is found) and every
refusal is one sentence with status 400 and nothing stored; an OPML file is imported and a
broken or empty one refused. A form without the CSRF token changes nothing."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode
from sqlalchemy import func, select

from bot.console.web import local_time
from bot.sandbox import FeedServer
from bot.storage.models import Article, Feed, utcnow
from tests.console.conftest import Console

HTMX = {"HX-Request": "true"}
NUMBERS = itertools.count(1)


def rss(title: str, *guids: str) -> str:
    """An RSS feed called ``title`` holding one item per guid."""
    items = "".join(
        f"<item><guid>{guid}</guid><title>Story {guid}</title>"
        f"<link>https://paper.example/{guid}</link><description>About {guid}.</description></item>"
        for guid in guids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://paper.example/</link>{items}</channel></rss>"
    )


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Exported from a feed reader</title></head>
  <body>
    <outline text="News">
      <outline type="rss" text="City desk" xmlUrl="https://city.example/rss.xml"/>
      <outline type="rss" text="Wire" xmlUrl="https://wire.example/feed?a=1&b=2"/>
    </outline>
    <outline type="rss" text="Already here" xmlUrl="https://old.example/rss.xml"/>
    <outline type="rss" text="Not the web" xmlUrl="ftp://files.example/rss.xml"/>
  </body>
</opml>
"""


@pytest.fixture
def site() -> Iterator[FeedServer]:
    """A real feed server: a feed, a site's page that links it, a page that links none."""
    with FeedServer() as server:
        server.put("/news.xml", rss("Valley News", "n1", "n2"))
        server.put(
            "/",
            '<html><head><title>Valley</title><link rel="alternate" '
            'type="application/rss+xml" title="News" href="/news.xml"></head>'
            "<body>The Valley Courier</body></html>",
            "text/html; charset=utf-8",
        )
        server.put(
            "/about.html", "<html><body>No feed here.</body></html>", "text/html; charset=utf-8"
        )
        yield server


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def insert(console: Console, **values: Any) -> int:
    """A feed row with ``values`` (edition ``en`` unless given); its id."""
    editions = console.core.editions.by_code
    edition = values.pop("edition", "en")
    async with console.db.writing() as session:
        feed = Feed(
            **{
                "url": f"https://paper.example/{next(NUMBERS)}.xml",
                "title": "A feed",
                "active": True,
                "primed": True,
                "error_count": 0,
                "edition_id": editions[edition].id,
                **values,
            }
        )
        session.add(feed)
        await session.flush()
        return feed.id


async def feed_row(console: Console, feed_id: int) -> Feed | None:
    async with console.db.session() as session:
        return await session.get(Feed, feed_id)


async def feed_count(console: Console) -> int:
    async with console.db.session() as session:
        return await session.scalar(select(func.count(Feed.id))) or 0


def row_of(html: str, feed_id: int) -> LexborNode:
    """The table row of feed ``feed_id`` in the page ``html``."""
    node = LexborHTMLParser(html).css_first(f"tr#feed-{feed_id}")
    assert node is not None, f"no row for feed {feed_id}"
    return node


def text_of(node: LexborNode) -> str:
    return " ".join(node.text(separator=" ").split())


def banner(html: str, kind: str) -> str:
    """The text of the page's notice (``notice``) or error (``error``) banner ("" for none)."""
    node = LexborHTMLParser(html).css_first(f"main > p.{kind}")
    return text_of(node) if node is not None else ""


class TestList:
    async def test_each_feed_shows_its_health_as_the_database_holds_it(
        self, console: Console
    ) -> None:
        """Title, URL, edition, state, last success, last error, next check in IST, articles
        and approval, for working, failing and paused feeds."""
        now = utcnow().replace(microsecond=0)
        later, earlier = now + timedelta(hours=5), now - timedelta(hours=2)
        working = await insert(
            console,
            url="https://valley.example/rss.xml",
            title="Valley News",
            last_success_at=earlier,
            next_poll_at=later,
        )
        failing = await insert(
            console,
            title="Wire",
            edition="hi",
            error_count=3,
            last_error="read timed out after 20 s",
            last_error_kind="timeout",
            last_error_at=earlier,
            approve=True,
        )
        by_editor = await insert(
            console, title="Sport", active=False, paused_reason="editor", next_poll_at=later
        )
        by_failures = await insert(
            console,
            title="Gone",
            active=False,
            paused_reason="failures",
            error_count=5,
            last_error="the server answered HTTP 410",
            last_error_kind="http_status",
            last_error_at=earlier,
        )
        async with console.db.writing() as session:
            session.add_all(
                Article(
                    feed_id=working,
                    identity=f"{working}-{n}",
                    key=str(n),
                    origin="feed",
                    title=f"Story {n}",
                )
                for n in range(3)
            )
        client = await console.login()
        page = await client.get("/feeds")
        assert page.status_code == 200
        assert "4 feeds" in page.text
        assert "Asia/Kolkata" in page.text

        row = text_of(row_of(page.text, working))
        assert f"{working}. Valley News" in row
        assert "https://valley.example/rss.xml" in row
        assert "Working" in row
        assert local_time(console.state, "en", earlier) in row
        assert local_time(console.state, "en", later) in row
        assert "Go out at once" in row
        assert row_of(page.text, working).css_first("td.num").text().strip() == "3"

        row = text_of(row_of(page.text, failing))
        assert " hi " in f" {row} "
        assert "Failing: 3 failed polls in a row" in row
        assert "The site took too long to answer." in row
        assert "timeout read timed out after 20 s" in row
        assert "Never" in row  # no success yet
        assert "In a moment" in row  # no next check set: it is due
        assert "Wait for an editor's approval" in row

        row = text_of(row_of(page.text, by_editor))
        assert "Paused by an editor" in row
        assert "Not while paused" in row
        assert "Resume" in row
        row = text_of(row_of(page.text, by_failures))
        assert "Paused by itself after 5 failed polls in a row" in row
        assert "The site answered with an error instead of the page." in row

    async def test_what_a_feed_holds_is_shown_safely(self, console: Console) -> None:
        """A password in a feed's URL never reaches the page; only http(s) URLs are links;
        a feed's own title and error are text, never markup."""
        secret = await insert(console, url="https://ann:s3cret@paper.example/private.xml")
        odd = await insert(
            console,
            url="javascript:alert(1)",
            title="<img src=x onerror=alert(1)>",
            last_error="<script>alert(2)</script>",
            last_error_kind="<b>",
        )
        page = await (await console.login()).get("/feeds")
        assert "s3cret" not in page.text
        assert "<img src=x" not in page.text
        assert "<script>alert" not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert "https://***@paper.example/private.xml" in text_of(row_of(page.text, secret))
        assert row_of(page.text, odd).css_first("a") is None

    async def test_no_feeds_says_how_to_add_one(self, console: Console) -> None:
        """An empty list says so, and the forms are there."""
        page = await (await console.login()).get("/feeds")
        assert "There are no feeds yet" in page.text
        assert 'action="/feeds"' in page.text
        assert 'enctype="multipart/form-data"' in page.text

    async def test_a_notice_is_only_one_the_page_knows(self, console: Console) -> None:
        """``?done=`` shows a known notice; anything else shows none and echoes nothing."""
        client = await console.login()
        page = await client.get("/feeds", params={"done": "paused", "feed": "7"})
        assert banner(page.text, "notice") == "Feed 7 paused."
        for params in (
            {"done": "<script>x</script>", "feed": "7"},
            {"done": "paused", "feed": "<b>7</b>"},
            {"done": "paused", "feed": "9" * 40},
        ):
            page = await client.get("/feeds", params=params)
            assert page.status_code == 200
            assert banner(page.text, "notice") == ""
            assert "<script>x" not in page.text


class TestPauseResume:
    async def test_pause_without_htmx_comes_back_to_the_list_with_a_notice(
        self, console: Console
    ) -> None:
        """A plain form: the feed is paused by an editor, and a 303 leads back to the list."""
        feed_id = await insert(console, title="City")
        client = await console.login()
        answer = await client.post(
            f"/feeds/{feed_id}/pause", data={"csrf": await console.csrf(client)}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/feeds?done=paused&feed={feed_id}#feed-{feed_id}"
        feed = await feed_row(console, feed_id)
        assert feed is not None
        assert (feed.active, feed.paused_reason) == (False, "editor")
        page = await client.get(answer.headers["location"])
        assert banner(page.text, "notice") == f"Feed {feed_id} paused."
        assert "Paused by an editor" in text_of(row_of(page.text, feed_id))

    async def test_resume_with_htmx_answers_the_row_alone(self, console: Console) -> None:
        """With HX-Request (the CSRF token in htmx's header) the answer is the feed's new row;
        the feed is read again at once, its failures forgotten."""
        feed_id = await insert(
            console,
            title="Gone",
            active=False,
            paused_reason="failures",
            error_count=5,
            next_poll_at=utcnow() + timedelta(days=1),
        )
        client = await console.login()
        headers = {**HTMX, "X-CSRF-Token": await console.csrf(client)}
        answer = await client.post(f"/feeds/{feed_id}/resume", headers=headers)
        assert answer.status_code == 200
        assert answer.text.lstrip().startswith("<tr")
        assert "<html" not in answer.text
        row = text_of(row_of(f"<table>{answer.text}</table>", feed_id))
        assert "Working" in row
        assert "Pause" in row
        assert f'hx-post="/feeds/{feed_id}/pause"' in answer.text
        feed = await feed_row(console, feed_id)
        assert feed is not None
        assert (feed.active, feed.paused_reason, feed.error_count) == (True, None, 0)
        assert feed.next_poll_at is None

        paused = await client.post(f"/feeds/{feed_id}/pause", headers=headers)
        assert "Paused by an editor" in paused.text
        assert f'hx-post="/feeds/{feed_id}/resume"' in paused.text

    @pytest.mark.parametrize("token", [None, "", "wrong"])
    async def test_without_the_csrf_token_nothing_changes(
        self, console: Console, token: str | None
    ) -> None:
        """A missing or wrong token is refused with 403, with htmx or without."""
        feed_id = await insert(console)
        client = await console.login()
        data = {} if token is None else {"csrf": token}
        for headers in ({}, HTMX):
            answer = await client.post(f"/feeds/{feed_id}/pause", data=data, headers=headers)
            assert answer.status_code == 403
            assert "The form has expired" in answer.text
        feed = await feed_row(console, feed_id)
        assert feed is not None
        assert feed.active is True

    @pytest.mark.parametrize("feed_id", ["999", "abc", "0", "-1", "1e3", "9" * 30, "١"])
    async def test_an_unknown_or_impossible_feed_is_not_found(
        self, console: Console, feed_id: str
    ) -> None:
        """An id no feed has, or that no feed could have, is the 404 page."""
        await insert(console)
        client = await console.login()
        answer = await client.post(
            f"/feeds/{feed_id}/pause", data={"csrf": await console.csrf(client)}
        )
        assert answer.status_code == 404
        assert "Page not found" in answer.text

    async def test_a_feed_gone_meanwhile_sends_htmx_to_the_list(self, console: Console) -> None:
        """A row whose feed was removed meanwhile: 404, and htmx reloads the list with a note."""
        client = await console.login()
        headers = {**HTMX, "X-CSRF-Token": await console.csrf(client)}
        answer = await client.post("/feeds/4242/resume", headers=headers)
        assert answer.status_code == 404
        assert answer.headers["hx-redirect"] == "/feeds?done=gone&feed=4242"
        page = await client.get(answer.headers["hx-redirect"])
        assert "no longer there" in banner(page.text, "notice")


class TestAdd:
    async def add(
        self, console: Console, client: httpx.AsyncClient, url: str, edition: str = "en"
    ) -> httpx.Response:
        data = {"csrf": await console.csrf(client), "url": url, "edition": edition}
        return await client.post("/feeds", data=data)

    async def test_a_feed_is_added_to_the_chosen_edition(
        self, console: Console, site: FeedServer
    ) -> None:
        """The feed's title in the notice; what it holds is marked seen; the list shows it."""
        client = await console.login()
        answer = await self.add(console, client, site.url_for("/news.xml"), "hi")
        assert answer.status_code == 200
        notice = banner(answer.text, "notice")
        assert "Added feed" in notice
        assert "Valley News" in notice
        assert "to the hi edition" in notice
        assert "The 2 articles it holds now are marked as seen" in notice
        async with console.db.session() as session:
            feed = await session.scalar(select(Feed).where(Feed.url == site.url_for("/news.xml")))
            assert feed is not None
            seen = await session.scalar(
                select(func.count(Article.id)).where(Article.feed_id == feed.id)
            )
        assert feed.edition_id == console.core.editions.by_code["hi"].id
        assert seen == 2
        row = text_of(row_of(answer.text, feed.id))
        assert "Valley News" in row
        assert "2" in row
        # The form is empty again for the next one.
        field = LexborHTMLParser(answer.text).css_first("#feed-url")
        assert field is not None
        assert field.attributes.get("value") == ""

    async def test_a_sites_page_leads_to_the_feed_it_links(
        self, console: Console, site: FeedServer
    ) -> None:
        """Discovery, as /addfeed does it: the page's <link rel=alternate> is the feed stored."""
        client = await console.login()
        answer = await self.add(console, client, site.url_for("/"))
        assert answer.status_code == 200
        notice = banner(answer.text, "notice")
        assert f"Found the feed on {site.url_for('/')}." in notice
        assert "Valley News" in notice
        async with console.db.session() as session:
            urls = list(await session.scalars(select(Feed.url)))
        assert urls == [site.url_for("/news.xml")]

    async def test_a_feed_already_there_is_not_added_again(
        self, console: Console, site: FeedServer
    ) -> None:
        """The second time: 400, the feed's id named, the URL still in the form."""
        client = await console.login()
        url = site.url_for("/news.xml")
        assert (await self.add(console, client, url)).status_code == 200
        again = await self.add(console, client, url, "hi")
        assert again.status_code == 400
        error = banner(again.text, "error")
        assert error.startswith("Not added.")
        assert "is already feed" in error
        assert url in error
        assert await feed_count(console) == 1
        parsed = LexborHTMLParser(again.text)
        field = parsed.css_first("#feed-url")
        assert field is not None
        assert field.attributes.get("value") == url
        assert field.attributes.get("aria-invalid") == "true"
        chosen = parsed.css_first("#feed-edition option[selected]")
        assert chosen is not None
        assert chosen.attributes.get("value") == "hi"

    async def test_a_page_without_a_feed_is_said_so(
        self, console: Console, site: FeedServer
    ) -> None:
        """A page that links no feed, with none at the usual addresses: one sentence, 400."""
        client = await console.login()
        url = site.url_for("/about.html")
        answer = await self.add(console, client, url)
        assert answer.status_code == 400
        error = banner(answer.text, "error")
        assert f"No feed found at {url}" in error
        assert "/feed, /rss" in error
        assert await feed_count(console) == 0

    async def test_an_unreachable_site_is_said_so(self, console: Console) -> None:
        """A site that refuses the connection: one sentence, 400, nothing stored."""
        client = await console.login()
        answer = await self.add(console, client, f"http://127.0.0.1:{closed_port()}/rss.xml")
        assert answer.status_code == 400
        assert "could not be reached" in banner(answer.text, "error")
        assert await feed_count(console) == 0

    @pytest.mark.parametrize(
        ("url", "said"),
        [
            ("ftp://files.example/rss.xml", "starts with http:// or https://"),
            ("not a url", "starts with http:// or https://"),
            ("https://example.com/" + "a" * 3000, "starts with http:// or https://"),
            ("", "Type the address"),
            ("   ", "Type the address"),
        ],
    )
    async def test_a_bad_address_is_refused(self, console: Console, url: str, said: str) -> None:
        """An address that cannot be a feed's: 400, a sentence, the form again, nothing stored."""
        client = await console.login()
        answer = await self.add(console, client, url)
        assert answer.status_code == 400
        assert said in banner(answer.text, "error")
        assert await feed_count(console) == 0

    async def test_an_unknown_edition_is_refused(self, console: Console, site: FeedServer) -> None:
        """An edition the select never offered: 400, the editions named, nothing fetched."""
        client = await console.login()
        answer = await self.add(console, client, site.url_for("/news.xml"), "<xx>")
        assert answer.status_code == 400
        error = banner(answer.text, "error")
        assert "There is no edition “<xx>”; the editions are en, hi." in error
        assert "<xx>" not in answer.text  # escaped
        assert site.hits("/news.xml") == 0
        assert await feed_count(console) == 0

    async def test_without_the_csrf_token_nothing_is_added(
        self, console: Console, site: FeedServer
    ) -> None:
        """A forged form: 403, the feed not even fetched."""
        client = await console.login()
        answer = await client.post("/feeds", data={"url": site.url_for("/news.xml")})
        assert answer.status_code == 403
        assert site.hits("/news.xml") == 0
        assert await feed_count(console) == 0


class TestImport:
    async def upload(
        self, console: Console, client: httpx.AsyncClient, content: bytes, name: str = "f.opml"
    ) -> httpx.Response:
        return await client.post(
            "/feeds/import",
            data={"csrf": await console.csrf(client)},
            files={"file": (name, content, "text/x-opml")},
        )

    async def test_a_file_of_too_many_feeds_imports_none(self, console: Console) -> None:
        outlines = "".join(
            f'<outline type="rss" xmlUrl="https://f{n}.example/rss.xml"/>' for n in range(2001)
        )
        opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'
        client = await console.login()
        answer = await self.upload(console, client, opml.encode())
        assert answer.status_code == 400
        assert "lists 2001 feeds; the console imports up to 2000" in answer.text
        assert await feed_count(console) == 0

    async def test_an_opml_file_adds_its_feeds_and_says_how_many(self, console: Console) -> None:
        """New feeds added to the default edition, one already there and one unusable URL
        counted apart, the unusable one listed with why."""
        await insert(console, url="https://old.example/rss.xml", title="Old")
        client = await console.login()
        answer = await self.upload(console, client, OPML.encode())
        assert answer.status_code == 200
        notice = banner(answer.text, "notice")
        assert notice.startswith("From the file: 2 added, 1 already here, 1 skipped.")
        assert "read on its next poll" in notice
        skipped = LexborHTMLParser(answer.text).css_first("details.skipped")
        assert skipped is not None
        assert "ftp://files.example/rss.xml" in text_of(skipped)
        async with console.db.session() as session:
            feeds = {f.url: f for f in await session.scalars(select(Feed))}
        assert set(feeds) == {
            "https://old.example/rss.xml",
            "https://city.example/rss.xml",
            "https://wire.example/feed?a=1&b=2",
        }
        city = feeds["https://city.example/rss.xml"]
        assert (city.title, city.primed, city.active) == ("City desk", False, True)
        assert city.edition_id == console.core.editions.default.id
        assert "City desk" in text_of(row_of(answer.text, city.id))

        again = await self.upload(console, client, OPML.encode())
        assert banner(again.text, "notice") == "From the file: 0 added, 3 already here, 1 skipped."
        assert await feed_count(console) == 3

    @pytest.mark.parametrize(
        ("content", "said"),
        [
            (b"<opml><body><outline xmlUrl='https://a.example/'>", "the XML is broken at line 1"),
            (b"\x00\xff\xfe garbage", "not an OPML file"),
            (rss("Not OPML", "x").encode(), "its root element is <rss>, not <opml>"),
            (
                b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><opml><body>'
                b'<outline xmlUrl="https://a.example/&b;"/></body></opml>',
                "refused for safety",
            ),
        ],
    )
    async def test_a_file_that_is_no_opml_is_refused(
        self, console: Console, content: bytes, said: str
    ) -> None:
        """Malformed or hostile XML: 400, one sentence that says why, nothing added."""
        client = await console.login()
        answer = await self.upload(console, client, content)
        assert answer.status_code == 400
        error = banner(answer.text, "error")
        assert error.startswith("Nothing was imported:")
        assert said in error
        assert await feed_count(console) == 0

    async def test_an_empty_upload_is_refused(self, console: Console) -> None:
        """No file chosen, an empty file, or an OPML without feeds: 400 and a sentence."""
        client = await console.login()
        csrf = await console.csrf(client)
        empty = await self.upload(console, client, b"", name="")
        assert empty.status_code == 400
        assert "Choose an OPML file" in banner(empty.text, "error")
        no_file = await client.post("/feeds/import", data={"csrf": csrf})
        assert no_file.status_code == 400
        assert "Choose an OPML file" in banner(no_file.text, "error")
        bare = b'<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>'
        none = await self.upload(console, client, bare)
        assert none.status_code == 400
        assert "lists no feeds" in banner(none.text, "error")
        assert await feed_count(console) == 0

    async def test_a_file_over_2_mb_is_refused(self, console: Console) -> None:
        """Past the console's 2 MB form limit: 413, nothing added."""
        client = await console.login()
        big = OPML.encode() + b"<!-- " + b"x" * (2 * 1024 * 1024) + b" -->"
        answer = await self.upload(console, client, big)
        assert answer.status_code == 413
        assert await feed_count(console) == 0

    async def test_without_the_csrf_token_nothing_is_imported(self, console: Console) -> None:
        """A forged upload: 403."""
        client = await console.login()
        answer = await client.post(
            "/feeds/import", files={"file": ("f.opml", OPML.encode(), "text/x-opml")}
        )
        assert answer.status_code == 403
        assert await feed_count(console) == 0
