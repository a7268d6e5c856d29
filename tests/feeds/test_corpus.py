"""The real-world corpus (tests/fixtures/corpus, see its SOURCES.md): posts or one clear line.

Each file goes through ``bot.preview.drafts_from`` (what ``newsbot preview FILE`` does) and
through ``parse_feed`` (what the poller does), bare and with the media type a server would send.
Every entry of every file, of the fixtures and of the shared corpus when this machine has it
(``/work/shared/corpus/feeds``, of which the fixtures are a copy), makes a post that shows no
markup and no character reference, as judged by ``scripts/check_corpus.py``.
"""

from __future__ import annotations

import importlib.util
import sys
import unicodedata
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bot.errors import ErrorKind, FeedParseError, PageParseError, ParseError
from bot.feeds.parse import ParsedFeed, parse_feed
from bot.formatting.telegram_html import parse_telegram_html
from bot.preview import drafts_from, to_preview

CORPUS = Path(__file__).parent.parent / "fixtures" / "corpus"
SHARED_CORPUS = Path("/work/shared/corpus/feeds")
CHECKER = Path(__file__).parents[2] / "scripts" / "check_corpus.py"
FILES = sorted(path.name for path in CORPUS.iterdir() if path.suffix in (".xml", ".html"))
MOJIBAKE = ("Ã", "Â", "â€", "Ð", "Ñ", "\ufffd", "&amp;", "&lt;", "&#")
SERVED_AS = {".xml": "application/xml", ".html": "text/html"}

NOT_A_FEED = ErrorKind.NOT_A_FEED
UNPARSEABLE = ErrorKind.UNPARSEABLE

#: What each file gives through drafts_from: a number of posts, "page" (one article page), or
#: the kind of the one error it raises.
OUTCOMES: dict[str, int | str | ErrorKind] = {
    "feedparser__bozo_double-encoded-html.xml": 1,
    "feedparser__bozo_http_text_plain.xml": 0,
    "feedparser__demoronize-1.xml": 1,
    "feedparser__double-encoded-html.xml": 1,
    "feedparser__item_content_encoded.xml": 1,
    "feedparser__koi8r.xml": 1,
    "feedparser__media_thumbnail.xml": 1,
    "feedparser__relative_xml_base.xml": 1,
    "feedparser__rss_incomplete_cdata.xml": UNPARSEABLE,
    # Its one item's only field is a link to the host "link", which Telegram would not link.
    "feedparser__rss_item_link_corrupted_ampersands.xml": UNPARSEABLE,
    "miniflux__encoding__invalid-prolog.xml": 1,
    "miniflux__encoding__iso-8859-1-meta-after-1024.html": "page",
    "miniflux__encoding__iso-8859-1.html": "page",
    "miniflux__encoding__iso-8859-1.xml": 0,
    "miniflux__encoding__koi8r.xml": 2,
    "miniflux__encoding__utf8-incorrect-prolog.xml": 1,
    "miniflux__encoding__utf8-meta-after-1024.html": "page",
    "miniflux__encoding__utf8.html": "page",
    "miniflux__encoding__utf8.xml": 1,
    "miniflux__encoding__windows-1252-incorrect-prolog.xml": 0,
    "miniflux__encoding__windows-1252.xml": 0,
    "miniflux__parser__encoding_ISO-8859-1.xml": 40,
    "miniflux__parser__encoding_WINDOWS-1251.xml": 50,
    "miniflux__parser__large_atom.xml": 25,
    "miniflux__parser__large_rss.xml": 25,
    "miniflux__parser__no_encoding_ISO-8859-1.xml": 9,
    "miniflux__parser__rdf_UTF8.xml": 60,
    "miniflux__parser__small_atom.xml": 20,
    "miniflux__parser__urdu_UTF8.xml": 26,
    "miniflux__xml__iso88591.xml": NOT_A_FEED,
    "miniflux__xml__iso88591_utf8_mismatch.xml": NOT_A_FEED,
    "miniflux__xml__koi8r.xml": 2,
}


def content_of(name: str) -> tuple[bytes, str]:
    """The bytes of corpus file ``name`` and the URL ``newsbot preview`` reads it under."""
    path = CORPUS / name
    return path.read_bytes(), path.resolve().as_uri()


def feed(name: str) -> ParsedFeed:
    content, url = content_of(name)
    return parse_feed(content, url=url)


def one_line(error: Exception) -> bool:
    return bool(str(error)) and len(str(error).splitlines()) == 1


def clean(text: str) -> bool:
    """Whether ``text`` has none of the marks of mojibake or of entities left undecoded."""
    return not any(mark in text for mark in MOJIBAKE)


def test_every_corpus_file_has_an_expected_outcome() -> None:
    """The table above covers the 32 feeds and pages of the corpus, no more, no fewer."""
    assert sorted(OUTCOMES) == FILES
    assert len(FILES) == 32
    assert (CORPUS / "SOURCES.md").is_file()


@pytest.mark.parametrize("served", [False, True], ids=["bare", "served"])
@pytest.mark.parametrize("name", FILES)
def test_preview_gives_posts_or_one_clear_line(name: str, served: bool) -> None:
    """Through drafts_from each file gives valid posts, or one Feed/PageParseError line."""
    content, url = content_of(name)
    content_type = SERVED_AS[Path(name).suffix] if served else None
    expected = OUTCOMES[name]
    error: ParseError | None = None
    try:
        drafts, source = drafts_from(content, url, content_type)
    except (FeedParseError, PageParseError) as caught:
        error = caught
    if error is not None:
        assert one_line(error)
        assert error.kind == expected
        return
    if expected == "page":
        assert (source, len(drafts)) == ("page", 1)
    else:
        assert (source, len(drafts)) == ("feed", expected)
    for draft in drafts:
        post = to_preview(draft, source)
        assert parse_telegram_html(post.html).text == post.text
        assert clean(draft.title), draft.title
        assert clean(draft.summary), draft.summary


@pytest.mark.parametrize("name", FILES)
def test_parse_feed_gives_a_feed_or_one_feed_parse_error(name: str) -> None:
    """Through parse_feed each file gives a feed or one FeedParseError line, never a page."""
    content, url = content_of(name)
    error: FeedParseError | None = None
    try:
        parsed = parse_feed(content, url=url)
    except FeedParseError as caught:
        error = caught
    if error is not None:
        assert one_line(error)
        expected = OUTCOMES[name]
        assert error.kind == (NOT_A_FEED if expected == "page" else expected)
        return
    assert len(parsed.entries) == OUTCOMES[name]
    assert clean(parsed.title)


def is_cyrillic(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all("CYRILLIC" in unicodedata.name(char) for char in letters)


def is_arabic_script(text: str) -> bool:
    letters = [char for char in text if char.isalpha()]
    return bool(letters) and all("ARABIC" in unicodedata.name(char) for char in letters)


class TestRightResults:
    """What a reader must see from particular corpus files."""

    @pytest.mark.parametrize(
        ("name", "title"),
        [
            pytest.param("feedparser__koi8r.xml", "Как пережить новогоднюю ночь",
                         id="feedparser-koi8r-undeclared"),
            pytest.param("miniflux__encoding__koi8r.xml", "Первая новость", id="miniflux-koi8r"),
            pytest.param("miniflux__xml__koi8r.xml", "Первая новость", id="miniflux-xml-koi8r"),
            pytest.param("miniflux__parser__encoding_WINDOWS-1251.xml", "Цитата #17703",
                         id="windows-1251"),
        ],
    )  # fmt: skip
    def test_cyrillic_feeds_decode_to_cyrillic(self, name: str, title: str) -> None:
        """KOI8-R and windows-1251 feeds give Cyrillic titles and summaries."""
        entries = feed(name).entries
        assert entries[0].title == title
        for entry in entries:
            assert is_cyrillic("".join(c for c in entry.title if not c.isascii())) or (
                entry.title.isascii()
            )
            assert any(is_cyrillic(word) for word in entry.summary.split())

    def test_koi8r_summary(self) -> None:
        """The undeclared KOI8-R feed's summary is the Russian text it holds."""
        summary = feed("feedparser__koi8r.xml").entries[0].summary
        assert summary.startswith("Наверное, единственное, во что сегодня можно верить")

    def test_urdu_feed_decodes_to_urdu(self) -> None:
        """The Urdu feed gives Urdu titles (Arabic script), with the BBC's pictures."""
        entries = feed("miniflux__parser__urdu_UTF8.xml").entries
        assert entries[0].title.startswith("امریکی عسکری امداد کی بندش کی وجوہات")
        assert all(is_arabic_script(entry.title.replace("2018", "")) for entry in entries[:5])
        assert entries[0].image is not None
        assert entries[0].image.startswith("http://c.files.bbci.co.uk/")

    @pytest.mark.parametrize(
        ("name", "minimum"),
        [
            pytest.param("miniflux__parser__large_rss.xml", 25, id="large-rss"),
            pytest.param("miniflux__parser__large_atom.xml", 25, id="large-atom"),
            pytest.param("miniflux__parser__rdf_UTF8.xml", 60, id="rdf"),
            pytest.param("miniflux__parser__encoding_WINDOWS-1251.xml", 50, id="windows-1251"),
            pytest.param("miniflux__parser__encoding_ISO-8859-1.xml", 40, id="iso-8859-1"),
        ],
    )  # fmt: skip
    def test_large_feeds_give_many_entries(self, name: str, minimum: int) -> None:
        """The large feeds give all their entries, each with a title and a link."""
        entries = feed(name).entries
        assert len(entries) >= minimum
        assert all(entry.title and entry.link for entry in entries)
        assert len({entry.key for entry in entries}) == len(entries)

    @pytest.mark.parametrize(
        ("name", "words"),
        [
            pytest.param("miniflux__parser__encoding_ISO-8859-1.xml", ["wünschen", "für"],
                         id="german-declared-iso-8859-1"),
            pytest.param("miniflux__parser__no_encoding_ISO-8859-1.xml", ["études"],
                         id="french-undeclared"),
            pytest.param("miniflux__parser__rdf_UTF8.xml", ["Vorsichtsmaßnahmen"],
                         id="german-rdf"),
        ],
    )  # fmt: skip
    def test_latin_feeds_keep_their_accents(self, name: str, words: list[str]) -> None:
        """Accented words of Latin-script feeds are read as written."""
        text = " ".join(f"{entry.title} {entry.summary}" for entry in feed(name).entries)
        assert all(word in text for word in words)

    @pytest.mark.parametrize(
        ("name", "title", "entry_title"),
        [
            pytest.param("miniflux__encoding__utf8-incorrect-prolog.xml", "테스트 피드", "Café",
                         id="utf8-declared-iso-8859-1"),
            pytest.param("miniflux__encoding__invalid-prolog.xml", "테스트 피드", "Café",
                         id="unknown-declared-encoding"),
            pytest.param("miniflux__encoding__utf8.xml", "테스트 피드", "Café", id="utf8"),
        ],
    )  # fmt: skip
    def test_wrong_prologs(self, name: str, title: str, entry_title: str) -> None:
        """A prolog that names a wrong or unknown encoding does not garble UTF-8 text."""
        parsed = feed(name)
        assert (parsed.title, parsed.entries[0].title) == (title, entry_title)

    @pytest.mark.parametrize(
        ("name", "title"),
        [
            pytest.param("miniflux__encoding__windows-1252.xml", "Euro €", id="windows-1252"),
            pytest.param("miniflux__encoding__windows-1252-incorrect-prolog.xml", "Euro €",
                         id="windows-1252-prolog-utf8-bytes"),
            pytest.param("miniflux__encoding__iso-8859-1.xml", "Café", id="iso-8859-1"),
        ],
    )  # fmt: skip
    def test_channel_only_feeds(self, name: str, title: str) -> None:
        """A feed with a channel and no items is a titled feed with no entries, not an error."""
        parsed = feed(name)
        assert (parsed.title, parsed.entries) == (title, [])

    @pytest.mark.parametrize(
        ("name", "summary"),
        [
            pytest.param("feedparser__demoronize-1.xml", "don’t", id="windows-1252-quote"),
            pytest.param("feedparser__double-encoded-html.xml", "…", id="double-encoded"),
            pytest.param("feedparser__bozo_double-encoded-html.xml", "…",
                         id="double-encoded-entities"),
            pytest.param("feedparser__item_content_encoded.xml", "Example content",
                         id="escaped-content-encoded"),
        ],
    )  # fmt: skip
    def test_feedparser_expectations(self, name: str, summary: str) -> None:
        """The summaries feedparser's own tests expect, as plain text."""
        assert feed(name).entries[0].summary == summary

    def test_media_thumbnail_is_read_and_judged_by_its_size(self) -> None:
        """An Atom 0.3 entry's media:thumbnail is read; declared 72x72 px, it is too small to
        be a post's picture (bot.formatting.pictures.MIN_SIDE)."""
        entry = feed("feedparser__media_thumbnail.xml").entries[0]
        assert (entry.title, entry.image) == ("Example Atom", None)

    def test_broken_feed_is_not_a_page(self) -> None:
        """The feed cut inside a CDATA section is an error, not a post of its channel's title."""
        content, url = content_of("feedparser__rss_incomplete_cdata.xml")
        with pytest.raises(FeedParseError) as caught:
            drafts_from(content, url, "text/html")
        assert caught.value.kind is UNPARSEABLE
        assert "can feedparser read this xml" not in str(caught.value)


# --------------------------------------------------------------------------------------------
# No markup nor entity left showing, in any entry of any corpus file.
# --------------------------------------------------------------------------------------------


def corpus_files() -> list[Any]:
    """Every file of the fixture corpus, and of the shared corpus when this machine has it."""
    files = [pytest.param(CORPUS / name, id=f"fixtures/{name}") for name in FILES]
    if SHARED_CORPUS.is_dir():
        files += [
            pytest.param(path, id=f"shared/{path.name}")
            for path in sorted(SHARED_CORPUS.iterdir())
            if path.is_file() and path.suffix != ".md"
        ]
    return files


#: Tags the corpus means as text, read by a person: shown, they are what the author wrote.
INTENDED_MARKUP: dict[str, frozenset[str]] = {
    # "report-only mode via `<meta>` tags": the feed escapes the HTML of the tag's name twice.
    "miniflux__parser__small_atom.xml": frozenset({"<meta>"}),
}


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    """scripts/check_corpus.py, imported."""
    spec = importlib.util.spec_from_file_location("check_corpus", CHECKER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", corpus_files())
def test_every_entry_shows_no_markup(path: Path, checker: ModuleType) -> None:
    """Every entry's post is valid Telegram HTML within the limit, with no tag or entity shown."""
    report = checker.check_file(path, INTENDED_MARKUP.get(path.name, frozenset()))
    assert report.problems == []


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="no shared corpus on this machine")
def test_fixtures_are_a_copy_of_the_shared_corpus() -> None:
    """Each feed of the shared corpus is in tests/fixtures/corpus, byte for byte."""
    shared = sorted(path for path in SHARED_CORPUS.iterdir() if path.is_file())
    different = [
        path.name
        for path in shared
        if not (CORPUS / path.name).is_file()
        or (CORPUS / path.name).read_bytes() != path.read_bytes()
    ]
    assert different == []


class TestCheckCorpusScript:
    """scripts/check_corpus.py: a line per file, a line per problem, exit status 1 on any."""

    RSS = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        "<link>https://news.example/</link>{items}</channel></rss>"
    )
    ITEM = "<item><title>{title}</title><link>https://news.example/{n}</link>"
    ITEM += "<description>{summary}</description></item>"

    def write_feed(self, path: Path, *items: tuple[str, str]) -> Path:
        entries = "".join(
            self.ITEM.format(title=title, summary=summary, n=n)
            for n, (title, summary) in enumerate(items)
        )
        path.write_text(self.RSS.format(items=entries), encoding="utf-8")
        return path

    def test_report_of_a_directory(
        self, checker: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each file gets a line, each shown tag or entity a line under it; the status is 1."""
        self.write_feed(tmp_path / "good.xml", ("Rain", "Storms &amp;lt;3 hit the coast."))
        self.write_feed(
            tmp_path / "shows.xml",
            ("Fine", "Nothing wrong."),
            # Escaped four times: after the XML, the HTML and the decoding of HTML escaped twice,
            # the text still reads &nbsp; and <p>.
            ("Bad", "A &amp;amp;amp;nbsp; and a &amp;amp;lt;p&amp;amp;gt; tag."),
        )
        (tmp_path / "page.txt").write_text("skipped: not a feed suffix")
        (tmp_path / "note.xml").write_text("<note>not a feed</note>")
        status = checker.main([str(tmp_path)])
        out = capsys.readouterr().out.splitlines()
        assert status == 1
        assert out[0] == f"{tmp_path}:"
        assert [line.split()[0] for line in out[1:-1] if not line.startswith("      ")] == [
            "good.xml",
            "note.xml",
            "shows.xml",
        ]
        assert out[1].endswith("1 entries  ok")
        assert "no posts: not_a_feed:" in out[2]
        assert out[3].endswith("2 entries  2 problems")
        assert out[4].startswith("      entry 2 ('Bad'): shows '&nbsp;': 'Bad A &nbsp; and a")
        assert out[5].startswith("      entry 2 ('Bad'): shows '<p>'")
        assert out[-1] == "3 files, 3 posts, 2 problems"

    def test_clean_corpus_exits_0(
        self, checker: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file whose posts are all fine is one "ok" line, and the status is 0."""
        feed_file = self.write_feed(tmp_path / "good.xml", ("Tom &amp; Jerry", "A &lt;3 B."))
        assert checker.main([str(feed_file)]) == 0
        assert capsys.readouterr().out.splitlines()[1:] == [
            "  good.xml     1 entries  ok",
            "1 files, 1 posts, 0 problems",
        ]

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            pytest.param("Tom & Jerry, AT&T, a<b, <3, x < y", [], id="prose"),
            pytest.param("<Minoru> hi", [], id="irc-nick"),
            pytest.param("a <p> b </DIV> <br/> &amp; <img src=x>",
                         ["<p>", "</DIV>", "<br/>", "&amp;", "<img src="], id="tags"),
            pytest.param("&amp; &lt; &nbsp; &quot; &#8217; &#x2014; &eacute;",
                         ["&amp;", "&lt;", "&nbsp;", "&quot;", "&#8217;", "&#x2014;", "&eacute;"],
                         id="references"),
            pytest.param("&foo; &T; AT&T;", [], id="not-references"),
        ],
    )  # fmt: skip
    def test_shown_markup(self, checker: ModuleType, text: str, shown: list[str]) -> None:
        """Tags of HTML and character references count; prose with < and & does not."""
        assert checker.shown_markup(text) == shown
