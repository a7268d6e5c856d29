"""The feed server of ``benchmarks/poll.py``: many RSS 2.0 feeds, pre-rendered, in its own process.

    .venv/bin/python benchmarks/_poll_server.py --feeds 1000 --entries 20 --changed-fraction 0.1

prints ``URL=http://127.0.0.1:PORT`` once it listens, then serves until it is terminated. With
``--hosts N`` it listens on the same port of 127.0.0.1 … 127.0.0.N too (Linux routes all of
127/8 to the loopback), so that a client's limit per host can be seen; every address serves
every feed.

- ``GET /feeds/{i}.xml`` (``i`` in ``0..feeds-1``): the feed, with ``ETag`` and ``Last-Modified``;
  ``304 Not Modified`` when ``If-None-Match`` names its ETag or, without ``If-None-Match``,
  when ``If-Modified-Since`` is not older than its ``Last-Modified`` (RFC 9110 13.2.2).
  With ``--latency MS`` every feed request waits that long first, as a distant server would.
- ``POST /_advance``: the same chosen feeds (``changed-fraction`` of them, a seeded sample) each
  gain ``entries`` new items and a new ETag and Last-Modified; the request counters restart.
  Answers ``{"changed": [ids…], "items": n}``, ``n`` the items those feeds now list in all.
- ``POST /_reset``: every feed back to its first generation; the counters restart.
- ``GET /_stats``: ``{"ok": n, "not_modified": n, "other": n, "cpu_s": s}`` since the last
  advance or reset (``cpu_s`` is this server's own CPU time), so a client can be checked.

Every feed starts with :data:`BASE_ITEMS` items and lists at most ``BASE_ITEMS + entries`` of
its newest, so after an advance it holds the new items and items a poller already knows. Items
look like a news site's: title, link, guid, pubDate, and a description of about 300–600
characters of HTML with paragraphs and an ``<img>``. Bodies are rendered when the state changes,
never per request, so that the server costs little of the machine's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from xml.sax.saxutils import escape

from aiohttp import web

#: Items each feed has before any advance.
BASE_ITEMS = 20
#: When the first generation was published; generation g is published g hours later.
EPOCH = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)

_VOCABULARY = (
    "minister monsoon council budget river election court city farmers market railway "
    "startup cricket festival schools hospital metro police storm weather rupee exports "
    "ministry parliament district village temple university students traffic bridge power "
    "water health growth report survey rally opposition policy tax reform inflation bank "
    "coast harvest flights airport scientists satellite museum theatre film music league "
    "match captain series record rains flood relief heat wave protest talks summit trade"
)
_WORDS = _VOCABULARY.split()
_SECTIONS = ("india", "world", "business", "sport", "science", "culture", "cities", "opinion")


@dataclass(slots=True)
class _Feed:
    generation: int
    body: bytes
    etag: str
    modified: datetime
    last_modified: str


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _item(feed: int, n: int) -> str:
    """Item ``n`` of feed ``feed`` (n grows with time), always the same text."""
    rng = random.Random(feed * 1_000_003 + n)
    section = _SECTIONS[(feed + n) % len(_SECTIONS)]
    title = _sentence(rng, rng.randint(6, 11))[:-1]
    slug = "-".join(title.lower().split()[:6])
    link = f"https://news.example/{section}/{feed}-{n}-{slug}"
    image = f"https://cdn.news.example/img/{feed}/{n}/{rng.randrange(10**8):08d}.jpg"
    target = rng.randint(300, 600)
    paragraphs = [_sentence(rng, rng.randint(12, 20))]
    html = ""
    while len(html) < target:
        paragraphs.append(_sentence(rng, rng.randint(8, 18)))
        lead, rest = paragraphs[0], " ".join(paragraphs[1:])
        html = (
            f"<p>{lead}</p>"
            f'<p><img src="{image}" alt="{escape(title, {chr(34): "&quot;"})}" width="800" '
            f'height="450" /></p><p>{rest} <a href="{link}">Read more</a></p>'
        )
    published = EPOCH - timedelta(hours=BASE_ITEMS) + timedelta(hours=n, seconds=-feed)
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="false">tag:news.example,2025:{feed}:{n}</guid>'
        f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
        f"<category>{section}</category>"
        f"<description><![CDATA[{html}]]></description></item>\n"
    )


class FeedSet:
    """Every feed's current body and validators, and which ones an advance changes."""

    def __init__(self, feeds: int, entries: int, changed_fraction: float, seed: int) -> None:
        self.count = feeds
        self.entries = entries
        self.changed = sorted(
            random.Random(seed).sample(range(feeds), round(feeds * changed_fraction))
        )
        self.feeds = [self._render(i, 0) for i in range(feeds)]

    def _render(self, feed: int, generation: int) -> _Feed:
        newest = BASE_ITEMS + generation * self.entries  # items 0..newest-1 exist
        oldest = max(0, newest - (BASE_ITEMS + self.entries))
        modified = EPOCH + timedelta(hours=generation)
        items = "".join(_item(feed, n) for n in range(newest - 1, oldest - 1, -1))
        stamp = format_datetime(modified, usegmt=True)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>'
            f"<title>News Example: feed {feed}</title>"
            f"<link>https://news.example/feeds/{feed}</link>"
            f"<description>The latest stories of section {feed}</description>"
            f"<language>en-in</language><lastBuildDate>{stamp}</lastBuildDate>\n"
            f"{items}</channel>\n</rss>\n"
        ).encode()
        return _Feed(generation, body, f'"f{feed}-g{generation}"', modified, stamp)

    def advance(self) -> list[int]:
        for i in self.changed:
            self.feeds[i] = self._render(i, self.feeds[i].generation + 1)
        return self.changed

    def items(self, feeds: list[int]) -> int:
        """How many items ``feeds`` list now, all together."""
        return sum(self.feeds[i].body.count(b"<item>") for i in feeds)

    def reset(self) -> None:
        for i in self.changed:
            if self.feeds[i].generation:
                self.feeds[i] = self._render(i, 0)


def _not_modified(request: web.Request, feed: _Feed) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or feed.etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return parsedate_to_datetime(since) >= feed.modified
        except (TypeError, ValueError):
            return False
    return False


class Counters:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.ok = self.not_modified = self.other = 0
        self.cpu = time.process_time()


def build_app(feeds: FeedSet, *, latency: float = 0.0) -> web.Application:
    counters = Counters()

    async def feed(request: web.Request) -> web.Response:
        if latency:
            await asyncio.sleep(latency)
        name = request.match_info["name"]
        index = int(name) if name.isdigit() else -1
        if not 0 <= index < feeds.count:
            counters.other += 1
            raise web.HTTPNotFound()
        current = feeds.feeds[index]
        headers = {"ETag": current.etag, "Last-Modified": current.last_modified}
        if _not_modified(request, current):
            counters.not_modified += 1
            return web.Response(status=304, headers=headers)
        counters.ok += 1
        return web.Response(
            body=current.body, headers=headers, content_type="application/rss+xml", charset="utf-8"
        )

    async def advance(_request: web.Request) -> web.Response:
        changed = feeds.advance()
        counters.reset()
        return web.json_response({"changed": changed, "items": feeds.items(changed)})

    async def reset(_request: web.Request) -> web.Response:
        feeds.reset()
        counters.reset()
        return web.json_response({"changed": []})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "ok": counters.ok,
                "not_modified": counters.not_modified,
                "other": counters.other,
                "cpu_s": time.process_time() - counters.cpu,
            }
        )

    app = web.Application()
    app.router.add_get("/feeds/{name}.xml", feed)
    app.router.add_post("/_advance", advance)
    app.router.add_post("/_reset", reset)
    app.router.add_get("/_stats", stats)
    return app


async def serve(args: argparse.Namespace) -> None:
    feeds = FeedSet(args.feeds, args.entries, args.changed_fraction, args.seed)
    runner = web.AppRunner(build_app(feeds, latency=args.latency / 1000), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024).start()
    port = runner.addresses[0][1]
    for n in range(2, args.hosts + 1):  # the other loopback addresses, on the same port
        await web.TCPSite(runner, f"127.0.0.{n}", port, backlog=1024).start()
    print(f"URL=http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()  # until terminated
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--changed-fraction", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="ms before each feed answer")
    parser.add_argument("--hosts", type=int, default=1, help="listen on 127.0.0.1 … 127.0.0.N")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
