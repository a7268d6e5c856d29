"""The feed server: real HTTP, conditional GET, request counts and injected failures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.sandbox import FeedServer

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


@pytest.fixture(scope="module")
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def test_serves_a_document_with_validators(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    """A document put at a path is served with its content type, ETag and Last-Modified."""
    feeds.put("/served.xml", RSS)
    response = await http.get(feeds.url_for("/served.xml"))
    assert response.status_code == 200
    assert response.content == RSS
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers


async def test_if_none_match_gives_304(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    """A request with the current ETag is answered 304 Not Modified, without a body."""
    feeds.put("/etag.xml", RSS)
    first = await http.get(feeds.url_for("/etag.xml"))
    again = await http.get(
        feeds.url_for("/etag.xml"), headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


async def test_changed_body_changes_the_etag(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    """After a new put, the old ETag no longer matches and the new body is served."""
    feeds.put("/changing.xml", RSS)
    old = (await http.get(feeds.url_for("/changing.xml"))).headers["etag"]
    feeds.put("/changing.xml", RSS.replace(b"<title>t</title>", b"<title>new</title>"))
    response = await http.get(feeds.url_for("/changing.xml"), headers={"If-None-Match": old})
    assert response.status_code == 200
    assert b"new" in response.content


async def test_if_modified_since_gives_304(feeds: FeedServer, http: httpx.AsyncClient) -> None:
    """A request with the document's Last-Modified date is answered 304."""
    feeds.put("/dated.xml", RSS)
    first = await http.get(feeds.url_for("/dated.xml"))
    since = {"If-Modified-Since": first.headers["last-modified"]}
    again = await http.get(feeds.url_for("/dated.xml"), headers=since)
    assert again.status_code == 304


async def test_unknown_path_is_404_and_hits_are_counted(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    """Unknown paths answer 404, and every request to a path is counted."""
    assert (await http.get(feeds.url_for("/nothing-here"))).status_code == 404
    feeds.put("counted.xml", "text body", content_type="text/plain")
    for _ in range(3):
        await http.get(feeds.url_for("/counted.xml"))
    assert feeds.hits("/counted.xml") == 3
    assert feeds.hits("/nothing-here") == 1


async def test_fail_injects_a_status_until_put_again(
    feeds: FeedServer, http: httpx.AsyncClient
) -> None:
    """fail() makes a path answer the given status; a new put() serves it again."""
    feeds.put("/flaky.xml", RSS)
    feeds.fail("/flaky.xml", 503)
    assert (await http.get(feeds.url_for("/flaky.xml"))).status_code == 503
    feeds.put("/flaky.xml", RSS)
    assert (await http.get(feeds.url_for("/flaky.xml"))).status_code == 200


def test_stopped_server_has_no_url() -> None:
    """A FeedServer that is not running refuses to make URLs rather than invent a port."""
    server = FeedServer()
    with pytest.raises(RuntimeError, match="not running"):
        server.url_for("/x")
