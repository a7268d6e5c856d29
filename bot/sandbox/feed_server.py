"""A tiny real HTTP server for feeds and article pages, for tests and ``newsbot demo``.

Usage::

    with FeedServer() as feeds:                     # its own thread and event loop
        feeds.put("/rss.xml", rss_bytes)            # application/rss+xml by default
        feeds.put("/a/1.html", html, content_type="text/html; charset=utf-8")
        url = feeds.url_for("/rss.xml")             # http://127.0.0.1:PORT/rss.xml
        ...                                          # fetch it with httpx
        feeds.hits("/rss.xml")                      # how many requests it got
        feeds.fail("/rss.xml", 503)                 # now it answers 503 until put() again

It answers ``ETag`` (a hash of the body) and ``Last-Modified`` (when it was put) and honours
``If-None-Match`` / ``If-Modified-Since`` with 304, and 404 for unknown paths. ``put``, ``fail``
and ``hits`` may be called from any thread.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime

from aiohttp import web

from bot.sandbox._runner import BackgroundServer

__all__ = ["FeedServer"]

_RSS = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class _Document:
    body: bytes
    content_type: str
    etag: str
    modified: float
    fail_status: int | None = None


class FeedServer(BackgroundServer):
    """Serves in-memory documents over real HTTP on ``127.0.0.1``."""

    thread_name = "feed-server"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._lock = threading.Lock()
        self._documents: dict[str, _Document] = {}
        self._hits: dict[str, int] = {}

    def put(self, path: str, body: bytes | str, content_type: str = _RSS) -> None:
        """Serve ``body`` at ``path``, replacing any document or failure there."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        with self._lock:
            self._documents[_norm(path)] = _Document(data, content_type, etag, time.time())

    def fail(self, path: str, status: int) -> None:
        """From now on ``path`` answers ``status`` (e.g. 500, 503, 410) until ``put`` again."""
        key = _norm(path)
        with self._lock:
            doc = self._documents.get(key) or _Document(b"", "text/plain", '""', time.time())
            self._documents[key] = _Document(
                doc.body, doc.content_type, doc.etag, doc.modified, fail_status=status
            )

    def remove(self, path: str) -> None:
        with self._lock:
            self._documents.pop(_norm(path), None)

    def hits(self, path: str) -> int:
        """How many requests ``path`` received (whatever was answered)."""
        with self._lock:
            return self._hits.get(_norm(path), 0)

    def url_for(self, path: str) -> str:
        return self.url + _norm(path)

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._serve_document)
        app.router.add_route("HEAD", "/{tail:.*}", self._serve_document)
        return app

    async def _serve_document(self, request: web.Request) -> web.Response:
        path = request.path_qs
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            doc = self._documents.get(path)
        if doc is None:
            return web.Response(status=404, text="not found")
        if doc.fail_status is not None:
            return web.Response(status=doc.fail_status, text="failure injected by FeedServer")
        headers = {
            "ETag": doc.etag,
            "Last-Modified": formatdate(doc.modified, usegmt=True),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, doc):
            return web.Response(status=304, headers=headers)
        return web.Response(body=doc.body, headers={**headers, "Content-Type": doc.content_type})


def _norm(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _not_modified(request: web.Request, doc: _Document) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return doc.etag in tags or "*" in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(doc.modified) <= since
    return False
