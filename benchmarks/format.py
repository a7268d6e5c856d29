"""Formatting beside parsing: feedparser alone, newsbot's parse_feed, newsbot's formatting.

    .venv/bin/python benchmarks/format.py [--rounds 7] [--corpus DIR] [--json]

Over every feed of the corpus (``tests/fixtures/corpus``: real feeds of 0.1 to 190 KB, RSS,
Atom and RDF, eight encodings, some broken), four steps are timed, each over all files in
one go, in this process:

- ``feedparser.parse(bytes)``: feedparser's own parse, the floor under any parse of a feed;
- ``parse_feed``: newsbot's whole parse (feedparser, encoding repairs, then formatting);
- ``entry → post``: formatting, judged against parsing: from feedparser's entries (parsed
  before the timing) to posts — HTML to text, the lead and headline cleaned, the picture
  chosen (``entry_drafts``), then ``render_post`` of each draft, with its defaults;
- ``render_post``: the last part of that alone, from the drafts.

A round runs the steps one after another; the figure of a step is its best round of
``--rounds`` (default 7), so that a round slowed by the rest of the machine does not count.
Rates are entries per second, each step counting what it handles: feedparser its entries,
newsbot the drafts it keeps (fewer: entries without title, summary or link are dropped). The
last lines say whether formatting costs less than parsing, per entry, against each parse: the
acceptance is that it does. ``--json`` prints the figures as JSON on stdout (the table then
goes to stderr). The exit status is 0 unless something crashed: this is a measurement, not a
test. The machine is shared; expect noise of 10–20 % between runs.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import feedparser

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file, from anywhere
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "fixtures" / "corpus"
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")

# --------------------------------------------------------------------------------------------
# The adapter: every call into newsbot is here, so that a new signature is changed once.
# --------------------------------------------------------------------------------------------


def newsbot_parse(content: bytes, url: str) -> list[Any]:
    """The drafts newsbot's poller gets of a feed's bytes; ``[]`` for a feed it refuses."""
    from bot.errors import FeedParseError
    from bot.feeds.parse import parse_feed

    try:
        return list(parse_feed(content, url=url).entries)
    except FeedParseError:
        return []


def newsbot_drafts(entries: Sequence[Any], url: str) -> list[Any]:
    """The drafts of feedparser's ``entries``: HTML to text, lead, headline, picture."""
    from bot.feeds.parse import entry_drafts

    return entry_drafts(entries, url)[0]


def newsbot_format(draft: Any) -> Any:
    """The post of one draft, with render_post's defaults."""
    from bot.formatting.post import render_post

    return render_post(draft.title, draft.summary, draft.link, draft.image)


# --------------------------------------------------------------------------------------------
# The measurement.
# --------------------------------------------------------------------------------------------

STEPS = (
    "feedparser.parse(bytes)",
    "newsbot parse_feed",
    "newsbot entry → post",
    "newsbot render_post",
)
#: The step judged against the parses: the whole of formatting.
FORMATTING = "newsbot entry → post"


@dataclass(frozen=True, slots=True)
class Figure:
    """One step's best round: what it handled, and how fast."""

    step: str
    files: int
    entries: int
    best_s: float
    rounds: int

    @property
    def per_second(self) -> float:
        return self.entries / self.best_s if self.best_s else 0.0

    @property
    def us_per_entry(self) -> float:
        return self.best_s / self.entries * 1e6 if self.entries else 0.0


def corpus_feeds(directory: Path) -> list[tuple[str, bytes, str]]:
    """``(name, bytes, url)`` of each feed file in ``directory``, sorted by name."""
    paths = sorted(p for p in directory.iterdir() if p.suffix in FEED_SUFFIXES and p.is_file())
    return [(p.name, p.read_bytes(), p.resolve().as_uri()) for p in paths]


def timed(work: Callable[[], int]) -> tuple[float, int]:
    """Seconds ``work`` takes (garbage collected before, not during), and what it returned."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        count = work()
        return time.perf_counter() - start, count
    finally:
        gc.enable()


def measure(feeds: Sequence[tuple[str, bytes, str]], rounds: int) -> list[Figure]:
    """The best of ``rounds`` rounds of each step over ``feeds``."""
    drafts = [draft for _, content, url in feeds for draft in newsbot_parse(content, url)]
    entries = [(feedparser.parse(content).entries, url) for _, content, url in feeds]

    def feedparser_step() -> int:
        return sum(len(feedparser.parse(content).entries) for _, content, _ in feeds)

    def parse_step() -> int:
        return sum(len(newsbot_parse(content, url)) for _, content, url in feeds)

    def format_step() -> int:
        for draft in drafts:
            newsbot_format(draft)
        return len(drafts)

    def entry_to_post_step() -> int:
        count = 0
        for raw, url in entries:
            for draft in newsbot_drafts(raw, url):
                newsbot_format(draft)
                count += 1
        return count

    steps = (feedparser_step, parse_step, entry_to_post_step, format_step)
    work = dict(zip(STEPS, steps, strict=True))
    best: dict[str, tuple[float, int]] = {}
    for _ in range(rounds):
        for step, run in work.items():
            seconds, count = timed(run)
            if step not in best or seconds < best[step][0]:
                best[step] = (seconds, count)
    return [Figure(step, len(feeds), best[step][1], best[step][0], rounds) for step in STEPS]


def verdicts(figures: Sequence[Figure]) -> list[dict[str, Any]]:
    """Formatting's cost per entry against each parse's: the acceptance is that it is less."""
    by_step = {figure.step: figure for figure in figures}
    formatting = by_step[FORMATTING]
    out = []
    for step in STEPS[:1]:
        parsing = by_step[step]
        ratio = formatting.us_per_entry / parsing.us_per_entry if parsing.us_per_entry else 0.0
        out.append({"against": step, "ratio": ratio, "cheaper": ratio < 1})
    return out


def format_table(figures: Sequence[Figure]) -> str:
    """A Markdown table of the figures, one row per step, and the verdict lines."""
    lines = [
        "| step | files | entries | best s | entries/s | µs/entry |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.step} | {f.files} | {f.entries} | {f.best_s:.4f} | {f.per_second:,.0f} "
        f"| {f.us_per_entry:,.1f} |"
        for f in figures
    ]
    lines.append("")
    for verdict in verdicts(figures):
        answer = "yes" if verdict["cheaper"] else "NO"
        lines.append(
            f"formatting costs less than parsing ({verdict['against']}): {answer}, "
            f"{verdict['ratio']:.2f}× its time per entry"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the three steps over the corpus and print the table (or JSON)."""
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--rounds", type=int, default=7, help="rounds; the best one counts")
    arguments.add_argument("--corpus", type=Path, default=CORPUS, help="a directory of feeds")
    arguments.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    options = arguments.parse_args(argv)
    if options.rounds < 1:
        arguments.error("--rounds must be at least 1")
    feeds = corpus_feeds(options.corpus)
    if not feeds:
        arguments.error(f"no feeds ({', '.join(FEED_SUFFIXES)}) in {options.corpus}")
    figures = measure(feeds, options.rounds)
    header = f"{len(feeds)} feeds of {options.corpus}, best of {options.rounds} rounds\n"
    table = header + "\n" + format_table(figures)
    if options.json:
        print(table, file=sys.stderr)
        rows = [{**asdict(f), "per_second": f.per_second, "us_per_entry": f.us_per_entry}
                for f in figures]  # fmt: skip
        print(json.dumps({"figures": rows, "verdicts": verdicts(figures)}, indent=2))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
