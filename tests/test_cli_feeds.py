"""``newsbot feeds`` as a real process: discovery, list, set, remove by URL, OPML round trip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.feeds.opml import parse_opml
from bot.sandbox import FeedServer
from tests.conftest import FIXTURES
from tests.test_cli import newsbot

PRIVATE = {"ALLOW_PRIVATE_NETWORKS": "true"}


def errors(stderr: str) -> int:
    """How many error lines newsbot printed (log lines aside)."""
    return sum(line.startswith("newsbot: ") for line in stderr.splitlines())


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.put("/f.xml", (FIXTURES / "demo_like.xml").read_bytes(), "application/rss+xml")
        yield server


class TestAdd:
    def test_a_sites_page_adds_the_feed_it_links(self, tmp_path: Path, site: FeedServer) -> None:
        """Given a site's page, feeds add finds the feed its <link rel=alternate> names."""
        site.put(
            "/",
            '<html><head><link rel="alternate" type="application/rss+xml" href="/f.xml">'
            "</head><body>Home</body></html>",
            "text/html; charset=utf-8",
        )
        added = newsbot("feeds", "add", site.url_for("/"), cwd=tmp_path, **PRIVATE)
        assert added.returncode == 0, added.stderr
        assert f"Found the feed {site.url_for('/f.xml')}" in added.stdout
        assert "Added feed 1" in added.stdout

    def test_a_page_without_feeds_is_one_clear_line(self, tmp_path: Path, site: FeedServer) -> None:
        """A page that links no feed, on a site with none of the usual paths, says so."""
        site.put("/about", "<html><body>About us</body></html>", "text/html")
        site.remove("/f.xml")
        result = newsbot("feeds", "add", site.url_for("/about"), cwd=tmp_path, **PRIVATE)
        assert result.returncode == 1
        assert "no feed found" in result.stderr
        assert errors(result.stderr) == 1
        assert "Traceback" not in result.stderr

    def test_credentials_refused(self, tmp_path: Path, site: FeedServer) -> None:
        """A URL with a user name and password is refused, and the password is not echoed."""
        url = site.url_for("/f.xml").replace("http://", "http://editor:hunter2@")
        result = newsbot("feeds", "add", url, cwd=tmp_path, **PRIVATE)
        assert result.returncode == 1
        assert "user name or password" in result.stderr
        assert "hunter2" not in result.stderr + result.stdout


class TestManage:
    def test_list_set_and_remove_by_url(self, tmp_path: Path, site: FeedServer) -> None:
        """list shows title and health, set changes a feed's options, remove takes its URL and
        FEEDS does not bring it back."""
        url = site.url_for("/f.xml")
        assert newsbot("feeds", "add", url, cwd=tmp_path, **PRIVATE).returncode == 0
        listed = newsbot("feeds", "list", cwd=tmp_path).stdout
        assert "LAST SUCCESS" in listed
        assert "NEXT CHECK" in listed
        assert url in listed
        configured = newsbot(
            "feeds", "set", "1", "--interval", "900", "--full-text", "on", cwd=tmp_path
        )
        assert configured.returncode == 0, configured.stderr
        assert "every 900 s" in configured.stdout
        assert "full text on" in configured.stdout
        assert "every 900 s, full text" in newsbot("feeds", "list", cwd=tmp_path).stdout
        bad = newsbot("feeds", "set", "1", "--interval", "5", cwd=tmp_path)
        assert bad.returncode == 2
        assert bad.stderr.splitlines() == [
            "newsbot: --interval must be a whole number of seconds from 60 to 86400, or 'default'"
        ]
        assert newsbot("feeds", "set", "1", cwd=tmp_path).returncode == 1
        for odd in ("²", "99999999999999999999999", "0"):
            refused = newsbot("feeds", "pause", odd, cwd=tmp_path)
            assert refused.returncode == 1, odd
            assert errors(refused.stderr) == 1
            assert "no feed has the" in refused.stderr
            assert "Traceback" not in refused.stderr
        removed = newsbot("feeds", "remove", url, cwd=tmp_path)
        assert removed.returncode == 0, removed.stderr
        assert "No feeds yet" in newsbot("feeds", "list", cwd=tmp_path, FEEDS=url).stdout


class TestOPML:
    def test_import_then_export_keeps_urls_and_titles(
        self, tmp_path: Path, site: FeedServer
    ) -> None:
        """An OPML import adds each feed once, says what it skipped and why, and an export gives
        the same URLs and titles back."""
        opml = tmp_path / "in.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
            '<outline text="News"><outline text="Valley &amp; Hills" type="rss" '
            'xmlUrl="https://valley.example/feed?a=1&amp;b=2"/>'
            '<outline text="हिंदी समाचार" xmlUrl="https://hindi.example/rss"/></outline>'
            '<outline text="Again" xmlUrl="https://hindi.example/rss"/>'
            '<outline text="Mail" xmlUrl="mailto:x@example.com"/>'
            '<outline text="Spaces" xmlUrl="https://exa mple.com/rss"/>'
            '<outline text="No host" xmlUrl="https://"/>'
            "</body></opml>",
            encoding="utf-8",
        )
        imported = newsbot("feeds", "import", str(opml), cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr
        assert "Added 2 feed(s), skipped 3." in imported.stdout  # the repeat is read once
        assert "may not contain spaces" in imported.stdout
        assert "names no host" in imported.stdout
        assert "mailto:x@example.com: only http and https" in imported.stdout
        exported = newsbot("feeds", "export", cwd=tmp_path)
        assert exported.returncode == 0, exported.stderr
        feeds = parse_opml(exported.stdout.encode())
        assert {(f.xml_url, f.title) for f in feeds} == {
            ("https://valley.example/feed?a=1&b=2", "Valley & Hills"),
            ("https://hindi.example/rss", "हिंदी समाचार"),
        }
        again = newsbot("feeds", "import", str(opml), cwd=tmp_path)
        assert "Added 0 feed(s), skipped 5." in again.stdout
        assert "already feed 1" in again.stdout

    def test_not_opml_is_one_clear_line(self, tmp_path: Path) -> None:
        """A file that is no OPML is refused with one line, nothing added."""
        bad = tmp_path / "bad.opml"
        bad.write_text("<html><body>no</body></html>")
        result = newsbot("feeds", "import", str(bad), cwd=tmp_path)
        assert result.returncode == 1
        assert errors(result.stderr) == 1
        assert "Traceback" not in result.stderr
        missing = newsbot("feeds", "import", str(tmp_path / "nope.opml"), cwd=tmp_path)
        assert missing.returncode == 1
        assert "No such file" in missing.stderr


class TestTemplate:
    """``feeds set ID --template``: a good template is stored, a bad one refused in one line."""

    def test_set_refuse_and_clear(self, tmp_path: Path, site: FeedServer) -> None:
        """A bad template exits 1 with its line and reason; --no-template clears a good one."""
        import asyncio

        from bot.storage.db import Database
        from bot.storage.models import Feed

        async def add_feed() -> None:
            db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
            await db.migrate()
            async with db.session() as session, session.begin():
                session.add(Feed(url=site.url_for("/f.xml"), title="News", primed=True))
            await db.dispose()

        asyncio.run(add_feed())
        bad = tmp_path / "bad.j2"
        bad.write_text("<b>{{ title }}</b>\n\n{{ summary }")
        refused = newsbot("feeds", "set", "1", "--template", str(bad), cwd=tmp_path)
        assert refused.returncode == 1
        assert "line 3: unexpected '}'" in refused.stderr
        assert errors(refused.stderr) == 1
        assert "Traceback" not in refused.stderr
        good = tmp_path / "good.j2"
        good.write_text(
            '<b>{{ title }}</b>{% if link %}\n<a href="{{ link }}">{{ read_more }}</a>{% endif %}'
        )
        stored = newsbot("feeds", "set", "1", "--template", str(good), cwd=tmp_path)
        assert stored.returncode == 0, stored.stderr
        assert "template its own" in stored.stdout
        assert "own template" in newsbot("feeds", "list", cwd=tmp_path).stdout
        cleared = newsbot("feeds", "set", "1", "--no-template", cwd=tmp_path)
        assert cleared.returncode == 0
        assert "POST_TEMPLATE" in cleared.stdout
        nope = str(tmp_path / "nope")
        missing = newsbot("feeds", "set", "1", "--template", nope, cwd=tmp_path)
        assert missing.returncode == 1
        assert "cannot be read" in missing.stderr


class TestEditions:
    def test_add_to_an_edition_move_and_list(self, tmp_path: Path, site: FeedServer) -> None:
        """feeds add --edition puts the feed in that edition, set --edition moves it, list
        shows it; an edition EDITIONS does not name is one clear line."""
        env = {**PRIVATE, "EDITIONS": "en=@revoi_en,hi=@revoi_hi"}
        url = site.url_for("/f.xml")
        added = newsbot("feeds", "add", url, "--edition", "hi", cwd=tmp_path, **env)
        assert added.returncode == 0, added.stderr
        assert "Added feed 1 to edition hi" in added.stdout
        listed = newsbot("feeds", "list", cwd=tmp_path, **env).stdout
        assert "ED." in listed
        assert "   1  hi     active" in listed
        moved = newsbot("feeds", "set", "1", "--edition", "en", cwd=tmp_path, **env)
        assert moved.returncode == 0, moved.stderr
        assert "Feed 1: edition en" in moved.stdout
        for argv in (("feeds", "set", "1", "--edition", "ta"),
                     ("feeds", "add", site.url_for("/g.xml"), "--edition", "ta")):  # fmt: skip
            refused = newsbot(*argv, cwd=tmp_path, **env)
            assert refused.returncode == 1, argv
            assert "there is no edition 'ta'; the editions are en, hi" in refused.stderr
            assert errors(refused.stderr) == 1

    def test_a_shell_without_the_settings_changes_no_edition(
        self, tmp_path: Path, site: FeedServer
    ) -> None:
        """A command run from a shell that names no editions nor channel (not the bot's
        settings) neither drops a channel nor retires an edition."""
        env = {**PRIVATE, "EDITIONS": "en=@revoi_en,hi=@revoi_hi"}
        assert newsbot("feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, **env).returncode == 0
        assert newsbot("feeds", "list", cwd=tmp_path).returncode == 0  # no EDITIONS here
        listed = newsbot("editions", "list", cwd=tmp_path).stdout
        assert "@revoi_en" in listed
        assert "@revoi_hi" in listed
        assert "not configured" not in listed

    def test_a_feed_that_is_a_section_is_not_moved(self, tmp_path: Path, site: FeedServer) -> None:
        """A feed whose articles are a section of its edition stays there until the section is
        removed: its readers chose it in that edition."""
        env = {**PRIVATE, "EDITIONS": "en=@revoi_en,hi=@revoi_hi"}
        assert newsbot("feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, **env).returncode == 0
        made = newsbot("sections", "add", "--feed", "1", "--name", "City", cwd=tmp_path, **env)
        assert made.returncode == 0, made.stderr
        refused = newsbot("feeds", "set", "1", "--edition", "hi", cwd=tmp_path, **env)
        assert refused.returncode == 1
        assert "feed 1 is section 1 (City) of its edition; remove the section first" in (
            refused.stderr
        )
        assert newsbot("sections", "remove", "1", cwd=tmp_path, **env).returncode == 0
        moved = newsbot("feeds", "set", "1", "--edition", "hi", cwd=tmp_path, **env)
        assert moved.returncode == 0, moved.stderr


class TestRules:
    """``feeds set ID --include/--exclude/--approve``: editorial rules and approval."""

    def test_set_list_clear_and_refuse(self, tmp_path: Path, site: FeedServer) -> None:
        """Rules and approval are set, shown by set and compactly by list, cleared by '', and
        a rule out of bounds is one clear line that changes nothing."""
        assert (
            newsbot("feeds", "add", site.url_for("/f.xml"), cwd=tmp_path, **PRIVATE).returncode == 0
        )
        configured = newsbot(
            "feeds", "set", "1", "--include", "cricket, विश्व कप", "--exclude",
            "sponsored,advertorial", "--approve", "on", cwd=tmp_path,
        )  # fmt: skip
        assert configured.returncode == 0, configured.stderr
        assert "approval on" in configured.stdout
        assert "include: cricket, विश्व कप; exclude: sponsored, advertorial" in configured.stdout
        listed = newsbot("feeds", "list", cwd=tmp_path).stdout
        assert "[approval, include: cricket, विश्व कप; exclude: sponsored, advertorial]" in listed
        cleared = newsbot("feeds", "set", "1", "--include", "", "--approve", "off", cwd=tmp_path)
        assert cleared.returncode == 0, cleared.stderr
        assert "approval off, exclude: sponsored, advertorial" in cleared.stdout
        too_long = newsbot("feeds", "set", "1", "--exclude", "x" * 101, cwd=tmp_path)
        assert too_long.returncode == 1
        assert "exclude: a phrase may be at most 100 characters long" in too_long.stderr
        assert errors(too_long.stderr) == 1
        assert "Traceback" not in too_long.stderr
        unset = newsbot("feeds", "set", "1", "--exclude", "", cwd=tmp_path)
        assert "no rules" in unset.stdout
        assert "exclude:" not in newsbot("feeds", "list", cwd=tmp_path).stdout
        bad = newsbot("feeds", "set", "1", "--approve", "maybe", cwd=tmp_path)
        assert bad.returncode == 2
        assert "expected on or off" in bad.stderr
