"""``newsbot sections …`` and ``newsbot editions list``: on each test database through the
command's own function, and as a real process for exit statuses and error lines."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import build_parser
from bot.cli_editions import cmd_editions
from bot.cli_sections import cmd_sections
from bot.config import load_settings
from bot.errors import EditionError, SectionError
from bot.services import readers, sections, subscriptions
from bot.services.articles import store_drafts
from bot.services.editions import Editions, ensure_editions
from bot.services.readers import Reader
from bot.storage.db import Database
from bot.storage.models import Feed
from tests.services.test_articles import draft
from tests.test_cli import newsbot

SETTINGS = load_settings(None, editions="en=@revoi_en,hi=@revoi_hi", feeds=[])
ASHA, RAVI, MEERA = 8101, 8102, 8103


async def prepare(db: Database, settings: Any = SETTINGS) -> tuple[Editions, int, int]:
    """The editions of ``settings``, a feed in English ("City desk") and one in Hindi."""
    async with db.session() as session, session.begin():
        editions = await ensure_editions(session, settings.edition_configs())
        city = Feed(
            url="https://news.example/city.xml",
            title="City desk",
            primed=True,
            edition_id=editions.by_code["en"].id,
        )
        hindi = Feed(
            url="https://news.example/hi.xml",
            title="रेवोई",
            primed=True,
            edition_id=editions.by_code["hi"].id,
        )
        session.add_all([city, hindi])
        await session.flush()
        return editions, city.id, hindi.id


async def run(db: Database, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``newsbot ARGV`` (sections or editions) on ``db``; what it printed."""
    args = build_parser().parse_args(argv)
    command = cmd_sections if args.command == "sections" else cmd_editions
    assert await command(SETTINGS, args, db) == 0
    return capsys.readouterr().out


async def publish(db: Database, feed_id: int, edition_id: int, n: int, *categories: str) -> None:
    async with db.session() as session, session.begin():
        await store_drafts(
            session,
            [draft(n, categories=categories)],
            source="feed",
            feed_id=feed_id,
            publish=True,
            edition_id=edition_id,
        )


class TestSections:
    async def test_add_list_rename_remove(
        self, db: Database, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A feed's and a category's sections are added, listed with what they hold and their
        readers, renamed and removed; a reader who chose only the removed one keeps the edition."""
        editions, city, _ = await prepare(db)
        en = editions.by_code["en"]
        added = await run(db, capsys, "sections", "add", "--feed", str(city))
        assert added.startswith("Added section 1 to edition en: City desk (feed ")
        added = await run(
            db,
            capsys,
            "sections",
            "add",
            "--edition",
            "EN",
            "--category",
            "Cricket",
            "--name",
            "Sport",
        )
        assert "Added section 2 to edition en: Sport (category cricket)" in added
        async with db.writing() as session:
            asha = await readers.touch(session, Reader(ASHA))
            await subscriptions.toggle_section(session, asha, en.id, 2)
            ravi = await readers.touch(session, Reader(RAVI))
            await subscriptions.follow(session, ravi, en.id)

        listed = await run(db, capsys, "sections", "list")
        lines = listed.splitlines()
        assert lines[0].split() == ["ID", "ED.", "READERS", "CHOSE", "NAME", "/", "WHAT"]
        assert lines[1].split() == ["1", "en", "1", "0", "City", "desk"]
        assert lines[2].strip() == f"feed {city}: City desk"
        assert lines[3].split() == ["2", "en", "2", "1", "Sport"]
        assert lines[4].strip() == "category 'cricket'"

        renamed = await run(db, capsys, "sections", "rename", "2", "  Cricket  and more ")
        assert renamed.strip() == "Section 2 is now called: Cricket and more"
        removed = await run(db, capsys, "sections", "remove", "2")
        assert removed.startswith("Removed section 2 of edition en: Cricket and more")
        async with db.session() as session:
            follows = await subscriptions.following(session, ASHA)
        assert follows[en.id].sections is None  # she chose only it: the whole edition now
        assert "Cricket" not in await run(db, capsys, "sections", "list", "--edition", "en")

    async def test_suggests_frequent_categories_not_sections_yet(
        self, db: Database, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """list suggests the categories of an edition's published articles that are no section,
        most frequent first, counted once per article and spelled as most articles spell it."""
        editions, city, hindi = await prepare(db)
        en, hi = editions.by_code["en"].id, editions.by_code["hi"].id
        await publish(db, city, en, 1, "Cricket", "Politics")
        await publish(db, city, en, 2, "cricket", "Cricket", "Weather")
        await publish(db, city, en, 3, "Cricket", "Politics")
        await publish(db, hindi, hi, 4, "खेल")
        await run(db, capsys, "sections", "add", "--edition", "en", "--category", "weather")

        listed = await run(db, capsys, "sections", "list")
        assert (
            "Categories of edition en's recent articles, not sections yet: "
            "Cricket (3), Politics (2)"
        ) in listed
        assert "Categories of edition hi's recent articles, not sections yet: खेल (1)" in listed
        only_hi = await run(db, capsys, "sections", "list", "--edition", "hi")
        assert "No sections yet" in only_hi
        assert "खेल (1)" in only_hi
        assert "Cricket" not in only_hi

    async def test_bad_input_is_a_section_or_edition_error(self, db: Database) -> None:
        """A missing feed or section, a section twice, an empty name, an unknown edition and
        an incomplete add each raise the error the command line prints as one line."""
        _, city, _ = await prepare(db)
        parse = build_parser().parse_args
        await cmd_sections(SETTINGS, parse(["sections", "add", "--feed", str(city)]), db)
        cases: list[tuple[list[str], type[Exception], str]] = [
            (["add", "--feed", "99"], SectionError, "there is no feed 99"),
            (["add", "--feed", str(city)], SectionError, "that is section 1 already (City desk)"),
            (["add", "--edition", "en"], SectionError, "give --feed ID, or --edition CODE"),
            (["add", "--feed", str(city), "--category", "x"], SectionError, "--feed alone"),
            (["add", "--edition", "xx", "--category", "x"], EditionError, "no edition 'xx'"),
            (["add", "--edition", "en", "--category", " "], SectionError, "category's name"),
            (["rename", "7", "News"], SectionError, "there is no section 7"),
            (["rename", "1", " \t "], SectionError, "a section needs a name"),
            (["rename", "1", "x" * 65], SectionError, "at most 64 characters"),
            (["remove", "7"], SectionError, "there is no section 7"),
            (["list", "--edition", "xx"], EditionError, "the editions are en, hi"),
        ]
        for argv, error, message in cases:
            with pytest.raises(error, match=re.escape(message)):
                await cmd_sections(SETTINGS, parse(["sections", *argv]), db)


class TestEditions:
    async def test_list_counts_feeds_sections_and_readers(
        self, db: Database, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """editions list shows code, language, channel, the default, and counts each edition's
        feeds, sections and distinct readers."""
        editions, city, _ = await prepare(db)
        en, hi = editions.by_code["en"].id, editions.by_code["hi"].id
        async with db.writing() as session:
            section = await sections.add_feed_section(session, city)
            await sections.add_category_section(session, en, "Cricket")
            for chat_id in (ASHA, RAVI):
                row = await readers.touch(session, Reader(chat_id))
                await subscriptions.toggle_section(session, row, en, section.id)
            await subscriptions.toggle_section(
                session, await readers.touch(session, Reader(ASHA)), en, section.id + 1
            )
            await subscriptions.follow(session, await readers.touch(session, Reader(MEERA)), hi)
        lines = (await run(db, capsys, "editions", "list")).splitlines()
        assert lines[0].split() == [
            "CODE",
            "LANG",
            "CHANNEL",
            "FEEDS",
            "SECTIONS",
            "READERS",
            "NOTE",
        ]
        assert lines[1].split() == ["en", "en", "@revoi_en", "1", "2", "2", "default"]
        assert lines[2].split() == ["hi", "hi", "@revoi_hi", "1", "0", "1"]


class TestProcess:
    def test_errors_are_one_line_and_exit_status_2(self, tmp_path: Path) -> None:
        """Bad input to sections is one error line and exit status 2, never a traceback."""
        env = {"EDITIONS": "en=@revoi_en,hi"}
        for argv, message in [
            (["add", "--feed", "99"], "newsbot: there is no feed 99"),
            (["list", "--edition", "xx"], "newsbot: there is no edition 'xx'"),
            (["rename", "abc", "News"], "newsbot: the section ID must be a whole number from 1 up"),
            (["remove", "0"], "newsbot: the section ID must be a whole number from 1 up"),
            (["add", "--feed", "-1"], "newsbot: --feed must be a whole number from 1 up"),
            (["remove"], "the following arguments are required: ID"),
        ]:
            result = newsbot("sections", *argv, cwd=tmp_path, **env)
            assert result.returncode == 2, (argv, result.stderr)
            assert message in result.stderr
            assert "Traceback" not in result.stderr
        result = newsbot("sections", "add", "--feed", "99", cwd=tmp_path, **env)
        assert [line for line in result.stderr.splitlines() if line.startswith("newsbot:")] == [
            "newsbot: there is no feed 99"
        ]

    async def test_editions_list_names_missing_channels_and_dropped_editions(
        self, tmp_path: Path
    ) -> None:
        """An edition without a channel says so; one EDITIONS no longer names is "not
        configured"."""
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
        await db.migrate()  # `editions list` reads a database; it makes none
        await db.dispose()
        listed = newsbot("editions", "list", cwd=tmp_path, EDITIONS="en=@revoi_en,hi")
        assert listed.returncode == 0, listed.stderr
        assert "no channel" in listed.stdout.splitlines()[2]
        listed = newsbot("editions", "list", cwd=tmp_path, EDITIONS="hi=@revoi_hi")
        assert listed.returncode == 0, listed.stderr
        [_, hindi, english] = listed.stdout.splitlines()
        assert hindi.split()[:3] == ["hi", "hi", "@revoi_hi"]
        assert hindi.endswith("default")
        assert english.split()[:3] == ["en", "en", "no"]
        assert "not configured" in english
        empty = newsbot("sections", "list", cwd=tmp_path, EDITIONS="hi=@revoi_hi")
        assert empty.returncode == 0, empty.stderr
        assert empty.stdout.startswith("No sections yet.")
