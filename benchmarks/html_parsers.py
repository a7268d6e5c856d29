"""HTML parsers on hostile and ordinary input: stdlib html.parser, selectolax's lexbor, lxml.html.

Each cell is one parse of one input, run in a child process of its own under a time bound, so
a parser that never finishes shows up as ``>N s`` instead of hanging the table (and a crash or
an exception shows up as what it was). The last column is newsbot's own reader of that kind of
input (``bot.pages.parse_page`` for pages, ``bot.formatting.html_text.html_to_text`` for
fragments), size caps included.

    .venv/bin/python benchmarks/html_parsers.py [--bound SECONDS] [--only NAME ...]

Inputs are built here, deterministically; nothing is fetched. Run it on a quiet machine: the
cells run one after the other, and a slow one takes its whole bound.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

KB: Final = 1024


@dataclass(frozen=True, slots=True)
class Input:
    """One input: how to build it, and whether newsbot reads it as a page or a fragment."""

    build: Callable[[], str]
    page: bool = False
    repeat: int = 1  # parses per timing, for inputs too small to time once


def _repeat(unit: str, size: int) -> Callable[[], str]:
    """``unit`` repeated until the text is ``size`` characters long."""
    return lambda: (unit * (size // len(unit) + 1))[:size]


def _attribute_flood(count: int) -> Callable[[], str]:
    """One start tag with ``count`` distinct attributes (the duplicate check is per pair)."""
    return lambda: "<a " + "".join(f"a{i}=1 " for i in range(count)) + ">x</a>"


def _article_page() -> str:
    """A news article page as CMSs write them: a busy head, scripts, many paragraphs, a footer."""
    head = (
        '<meta charset="utf-8"><title>Monsoon reaches Kerala | The Daily Example</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta property="og:title" content="Monsoon reaches Kerala three days early">'
        '<meta property="og:description" content="The India Meteorological Department said the'
        ' south-west monsoon set in over Kerala on Thursday.">'
        '<meta property="og:image" content="https://cdn.example/img/monsoon.jpg">'
        '<meta property="og:url" content="https://news.example/india/monsoon-kerala">'
        '<link rel="canonical" href="https://news.example/india/monsoon-kerala">'
        + '<link rel="stylesheet" href="/static/site.css">' * 12
        + "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        + "var a=1;if(a<2&&a>0){gtag('js',new Date())}" * 200
        + "</script><style>"
        + ".c{margin:0 auto;max-width:40rem}" * 300
        + "</style>"
    )
    paragraph = (
        '<p class="story-text">Rain lashed <a href="/tag/kochi">Kochi</a> and'
        " <strong>Thiruvananthapuram</strong> on Thursday &mdash; &ldquo;earlier than usual&rdquo;,"
        ' the department said. <img src="/img/rain.jpg" alt="Rain" width="640" height="360"></p>'
    )
    nav = "<nav><ul>" + '<li><a href="/section">Section</a></li>' * 60 + "</ul></nav>"
    body = (
        f"<header>{nav}</header><main><article><h1>Monsoon reaches Kerala</h1>"
        + paragraph * 300
        + "</article><aside>"
        + '<div class="card"><a href="/more"><img src="/t.jpg"><span>More</span></a></div>' * 300
        + "</aside></main><footer>"
        + nav
        + "</footer>"
    )
    return f"<!doctype html><html lang=en><head>{head}</head><body>{body}</body></html>"


def _feed_summary() -> str:
    """An RSS item's description: a few paragraphs, a picture, entities, a read-more link."""
    return (
        '<p><img src="https://cdn.example/a.jpg" width="600"></p>'
        "<p>The India Meteorological Department said the south-west monsoon set in over Kerala"
        " on Thursday, three days ahead of its normal date &ndash; the earliest since 2009.</p>"
        "<p>&ldquo;Conditions are favourable,&rdquo; it said.</p>"
        * 6
        + '<p><a href="https://news.example/india/monsoon-kerala">Read more&hellip;</a></p>'
    )


INPUTS: Final[dict[str, Input]] = {
    # Hostile: what made the stdlib parser quadratic or crash (issue 5), then tree builders' traps.
    "'<!--' repeated, 64 KB": Input(_repeat("<!--", 64 * KB)),
    "'<!--' repeated, 128 KB": Input(_repeat("<!--", 128 * KB)),
    "'<!--' repeated, 200 KB": Input(_repeat("<!--", 200 * KB)),
    "'<!--' repeated, 2 MB, as a page": Input(_repeat("<!--", 2048 * KB), page=True),
    "'<![<![' repeated, 200 KB": Input(_repeat("<![<![", 200 * KB)),
    "'<!' repeated, 200 KB": Input(_repeat("<!", 200 * KB)),
    "'</' repeated, 200 KB": Input(_repeat("</", 200 * KB)),
    "'<a ' repeated, 200 KB": Input(_repeat("<a ", 200 * KB)),
    "'&#' repeated, 200 KB": Input(_repeat("&#", 200 * KB)),
    "'<div>' nested, 320 KB": Input(_repeat("<div>", 320 * KB)),
    "'<div>' nested, 2 MB, as a page": Input(_repeat("<div>", 2000 * KB), page=True),
    "'<ul><li>' nested, 256 KB": Input(_repeat("<ul><li>", 256 * KB)),
    "'<a><b><i><u><div>x</a>' repeated, 440 KB": Input(_repeat("<a><b><i><u><div>x</a>", 440 * KB)),
    "one tag, 10,000 attributes, 77 KB": Input(_attribute_flood(10_000)),
    "one tag, 40,000 attributes, 340 KB": Input(_attribute_flood(40_000)),
    # Ordinary.
    "article page, 120 KB": Input(_article_page, page=True),
    "article page, 120 KB, x20": Input(_article_page, page=True, repeat=20),
    "feed summary, 1.7 KB, x1000": Input(_feed_summary, repeat=1000),
}


def _stdlib(text: str) -> None:
    from html.parser import HTMLParser

    parser = HTMLParser(convert_charrefs=True)
    parser.feed(text)
    parser.close()


def _lexbor(text: str) -> None:
    from selectolax.lexbor import LexborHTMLParser

    LexborHTMLParser(text)


def _lxml(text: str) -> None:
    import lxml.etree
    import lxml.html

    with contextlib.suppress(lxml.etree.ParserError):  # "Document is empty": only comments
        lxml.html.document_fromstring(text)


def _newsbot(text: str, *, page: bool) -> None:
    from bot.errors import PageParseError
    from bot.formatting.html_text import html_to_text
    from bot.pages import parse_page

    if not page:
        html_to_text(text)
        return
    with contextlib.suppress(PageParseError):  # hostile pages have no title
        parse_page(text, "https://news.example/a/b")


PARSERS: Final = ("stdlib html.parser", "selectolax lexbor", "lxml.html", "newsbot reader")


def run_one(parser: str, name: str) -> float:
    """Seconds that ``parser`` takes on the input ``name`` (this is what a child process runs)."""
    spec = INPUTS[name]
    text = spec.build()
    if parser == "newsbot reader":
        _newsbot("<p>warm-up</p>", page=spec.page)  # imports are not the parse
    else:
        {"stdlib html.parser": _stdlib, "selectolax lexbor": _lexbor, "lxml.html": _lxml}[parser](
            "<p>warm-up</p>"
        )
    start = time.perf_counter()
    for _ in range(spec.repeat):
        if parser == "newsbot reader":
            _newsbot(text, page=spec.page)
        elif parser == "stdlib html.parser":
            _stdlib(text)
        elif parser == "selectolax lexbor":
            _lexbor(text)
        else:
            _lxml(text)
    return time.perf_counter() - start


def measure(parser: str, name: str, bound: float) -> str:
    """One table cell: seconds, ``>N s`` past the bound, or the error the parser raised."""
    command = [sys.executable, __file__, "--child", parser, name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=bound, check=False)
    except subprocess.TimeoutExpired:
        return f">{bound:g} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"error: {last.split(':')[0][:30]}"
    seconds = float(done.stdout.strip())
    if seconds < 0.01:
        return f"{seconds:.4f}"
    return f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def format_table(rows: list[tuple[str, list[str]]]) -> str:
    """A Markdown table of the cells, one row per input."""
    header = ["input", *PARSERS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join([name, *cells]) + " |" for name, cells in rows]
    return "\n".join(lines)


def main() -> None:
    """Measure every parser on every input (or on ``--only`` inputs) and print the table."""
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--bound", type=float, default=60.0, help="seconds per cell")
    arguments.add_argument("--only", nargs="*", help="input names (substrings) to run")
    arguments.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = arguments.parse_args()
    if options.child:
        print(run_one(*options.child))
        return
    names = [n for n in INPUTS if not options.only or any(o in n for o in options.only)]
    rows: list[tuple[str, list[str]]] = []
    for name in names:
        cells = [measure(parser, name, options.bound) for parser in PARSERS]
        rows.append((name, cells))
        print(f"{name}: {' | '.join(cells)}", file=sys.stderr, flush=True)
    print(f"seconds per parse (bound {options.bound:g} s per cell)\n")
    print(format_table(rows))


if __name__ == "__main__":
    main()
