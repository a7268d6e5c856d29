"""Check a directory of feeds: every entry's post valid, and no markup or entity left showing.

    .venv/bin/python scripts/check_corpus.py [DIR_OR_FILE ...]

With no argument it checks ``tests/fixtures/corpus`` and, when it exists,
``/work/shared/corpus/feeds``. Each file (``*.xml``, ``*.rss``, ``*.atom``, ``*.json``,
``*.html``…, every file but ``*.md`` and ``*.txt``) is read the way ``newsbot preview FILE``
reads it (``bot.preview.drafts_from`` and ``to_preview``), and each post is judged:

- Telegram accepts its HTML (``parse_telegram_html``, strict) and shows exactly ``post.text``;
- it fits Telegram's limit (1024 code points with a picture, 4096 without) and has visible text;
- its visible text shows no markup (``<p>``, ``</a>``, ``<br/>``…) and no character reference
  (``&amp;``, ``&lt;``, ``&nbsp;``, ``&quot;``, ``&#8217;``…);
- its title and summary carry no mark of mojibake (U+FFFD, UTF-8 read as windows-1252).

One line per file (its entries, or why it gives none), then one indented line per problem. A
file that is no feed is reported, not counted as a problem. The exit status is 1 when any post
has a problem, else 0.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from html.entities import html5
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file, from anywhere
    sys.path.insert(0, str(ROOT))

from bot.errors import FeedParseError, PageParseError  # noqa: E402
from bot.formatting.post import CAPTION_LIMIT, MESSAGE_LIMIT  # noqa: E402
from bot.formatting.telegram_html import TelegramHTMLError, parse_telegram_html  # noqa: E402
from bot.preview import PreviewPost, drafts_from, to_preview  # noqa: E402

DEFAULT_DIRS: Final = (ROOT / "tests" / "fixtures" / "corpus", Path("/work/shared/corpus/feeds"))
SKIPPED_SUFFIXES: Final = frozenset({".md", ".txt"})

#: The elements of HTML (and a few obsolete ones feeds still write).
ELEMENTS: Final = frozenset(
    {
        "a", "abbr", "address", "area", "article", "aside", "audio", "b", "base", "bdi", "bdo",
        "big", "blink", "blockquote", "body", "br", "button", "canvas", "caption", "center", "cite",
        "code", "col", "colgroup", "data", "datalist", "dd", "del", "details", "dfn", "dialog",
        "dir", "div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font",
        "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header",
        "hgroup", "hr", "html", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend",
        "li", "link", "main", "map", "mark", "marquee", "math", "menu", "meta", "meter", "nav",
        "nobr", "noembed", "noframes", "noscript", "object", "ol", "optgroup", "option", "output",
        "p", "param", "picture", "plaintext", "pre", "progress", "q", "rp", "rt", "ruby", "s",
        "samp", "script", "search", "section", "select", "slot", "small", "source", "span",
        "strike", "strong", "style", "sub", "summary", "sup", "svg", "table", "tbody", "td",
        "template", "textarea", "tfoot", "th", "thead", "time", "title", "tr", "track", "tt", "u",
        "ul", "var", "video", "wbr", "xmp",
    }
)  # fmt: skip
#: Something that reads as a tag of HTML: ``<p>``, ``</a>``, ``<br/>``, ``<img src=…``. Prose
#: with ``<`` ("a<b", "<3", an IRC nick "<Minoru>") does not.
TAG: Final = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s*/?>|\s+[A-Za-z-]+\s*=)")
#: A character reference: numeric, or one of the names HTML defines (``&amp;``, ``&nbsp;``).
REFERENCE: Final = re.compile(r"&(?:#[0-9]{1,8};?|#[xX][0-9A-Fa-f]{1,8};?|([A-Za-z][A-Za-z0-9]*;))")
#: Characters of windows-1252 that UTF-8 read as windows-1252 begins with ("Ã©", "â€™").
MOJIBAKE: Final = re.compile("[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                             "\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026"
                             "\u2030\u2039\u203a\u20ac\u2122]")  # fmt: skip


def shown_markup(text: str) -> list[str]:
    """The tags and character references that ``text`` (what a reader sees) shows as written."""
    found = [m for m in TAG.finditer(text) if m.group(1).lower() in ELEMENTS]
    found += [m for m in REFERENCE.finditer(text) if m.group(1) is None or m.group(1) in html5]
    return [match.group() for match in sorted(found, key=lambda match: match.start())]


def _excerpt(text: str, part: str) -> str:
    """``part`` with a little of the text around it, on one line."""
    at = text.find(part)
    start, end = max(0, at - 20), min(len(text), at + len(part) + 20)
    excerpt = " ".join(text[start:end].split())
    return ("…" if start else "") + excerpt + ("…" if end < len(text) else "")


def post_problems(post: PreviewPost, intended: Collection[str] = ()) -> list[str]:
    """What is wrong with ``post``, in words; ``[]`` for a post a reader can read as meant.

    ``intended`` are tags or references the source means to show as text (an article about
    the ``<meta>`` tag), checked by a person: they are no problem.
    """
    try:
        parsed = parse_telegram_html(post.html, strict=True)
    except TelegramHTMLError as error:
        return [f"Telegram refuses its HTML: {error.message}"]
    problems: list[str] = []
    if parsed.text != post.text:
        problems.append("Telegram would show other text than post.text")
    limit = CAPTION_LIMIT if post.image else MESSAGE_LIMIT
    if len(parsed.text) > limit:
        problems.append(f"{len(parsed.text)} characters, more than Telegram's {limit}")
    if not parsed.text.strip():
        problems.append("no visible text")
    for part in dict.fromkeys(shown_markup(parsed.text)):
        if part in intended:
            continue
        problems.append(f"shows {part!r}: {_excerpt(parsed.text, part)!r}")
    for name, value in (("title", post.title), ("summary", post.summary)):
        if "\ufffd" in value:
            problems.append(f"its {name} has U+FFFD: {_excerpt(value, chr(0xFFFD))!r}")
        if (match := MOJIBAKE.search(value)) is not None:
            problems.append(f"its {name} looks like mojibake: {_excerpt(value, match.group())!r}")
    return problems


@dataclass(frozen=True, slots=True)
class FileReport:
    """What one file gave: its posts' count, or why it gave none, and each post's problems."""

    path: Path
    entries: int = 0
    source: str = "feed"  # "feed" or "page"
    skipped: str | None = None  # why the file gives no posts (not a feed, unreadable)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (entry, title, what)


def check_file(path: Path, intended: Collection[str] = ()) -> FileReport:
    """Every post ``path`` makes, judged by :func:`post_problems`."""
    try:
        content = path.read_bytes()
    except OSError as error:
        return FileReport(path, skipped=f"cannot read it: {error.strerror}")
    try:
        drafts, source = drafts_from(content, path.resolve().as_uri(), None)
    except (FeedParseError, PageParseError) as error:
        return FileReport(path, skipped=f"{error.kind}: {error.reason}")
    problems: list[tuple[int, str, str]] = []
    for number, draft in enumerate(drafts, 1):
        try:
            post = to_preview(draft, source)
        except Exception as error:  # a crash is this file's problem, not the run's end
            problems.append((number, draft.title, f"formatting crashed: {error!r}"))
            continue
        problems.extend((number, draft.title, what) for what in post_problems(post, intended))
    return FileReport(path, entries=len(drafts), source=source, problems=problems)


def feed_files(places: Iterable[Path]) -> list[Path]:
    """The files to check: each file given, and the files of each directory given, sorted."""
    files: list[Path] = []
    for place in places:
        if place.is_dir():
            files += sorted(
                p for p in place.iterdir() if p.is_file() and p.suffix not in SKIPPED_SUFFIXES
            )
        else:
            files.append(place)
    return files


def format_report(reports: Sequence[FileReport]) -> str:
    """The reports as a person reads them: one line per file, one indented line per problem.

    The files of each directory come after its name.
    """
    width = max((len(report.path.name) for report in reports), default=0)
    lines: list[str] = []
    directory: Path | None = None
    for report in reports:
        if report.path.parent != directory:
            directory = report.path.parent
            lines.append(f"{directory}:")
        if report.skipped is not None:
            status = f"no posts: {report.skipped}"
        else:
            noun = "article page" if report.source == "page" else "entries"
            count = len(report.problems)
            verdict = "ok" if not count else f"{count} problem{'s' * (count != 1)}"
            status = f"{report.entries:>4} {noun}  {verdict}"
        lines.append(f"  {report.path.name:<{width}}  {status}")
        for number, title, what in report.problems:
            lines.append(f"      entry {number} ({title[:40]!r}): {what}")
    files = len(reports)
    posts = sum(report.entries for report in reports)
    bad = sum(len(report.problems) for report in reports)
    lines.append(f"{files} files, {posts} posts, {bad} problem{'s' * (bad != 1)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the files and directories given (else the corpus) and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("places", nargs="*", type=Path, help="feed files or directories of them")
    options = parser.parse_args(argv)
    places = options.places or [place for place in DEFAULT_DIRS if place.is_dir()]
    missing = [place for place in places if not place.exists()]
    if missing:
        parser.error(f"no such file or directory: {missing[0]}")
    reports = [check_file(path) for path in feed_files(places)]
    print(format_report(reports))
    return 1 if any(report.problems for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
