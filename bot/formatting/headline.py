"""A headline as a wire editor writes it: decoded once, on one line, without the site's name.

>>> clean_headline("&amp;#39;AT&amp;amp;T&amp;#39; wins – Valley Courier",
...                site_names=["Valley Courier"])
"'AT&T' wins"
>>> split_headline("Storm hits the coast. Ferries stay in port.")
('Storm hits the coast.', 'Ferries stay in port.')

What :func:`clean_headline` does, in order:

1. **Character references are decoded until none is left**, however often the source escaped
   them (``&amp;#39;AT&amp;amp;T&amp;#39;`` is ``'AT&T'``), at most :data:`MAX_DECODE_ROUNDS`
   times. Only real references count: numeric ones, named ones HTML defines with their ``;``,
   and ``&amp`` ``&lt`` ``&gt`` ``&quot`` ``&nbsp`` without one when no letter or digit
   follows (``Tom &amp Jerry``). A literal ``AT&T``, ``Q&A`` or ``&notice`` stays as written.
2. **Markup left after decoding** (a title escaped twice: ``&lt;b&gt;Bold&lt;/b&gt;``) is read
   as HTML, as :func:`~bot.formatting.html_text.html_to_text` reads double-encoded fragments;
   prose that only mentions a tag (``Vector<int>``) stays.
3. **One line**: invisible and control characters go, whitespace is collapsed.
4. **The site's name goes** when it ends the title after a separator (`` – Valley Courier``,
   `` | Revoi``, `` - The Hindu``, `` :: Site``) or starts it before one (``Site | …``), and
   it is one of ``site_names`` (a page's ``og:site_name``, the feed's title) or one of their
   parts between such separators (the feed "Latest News - The Hindu" names "The Hindu"). Names
   are compared ignoring case and spaces. The title is never left empty: a title that is only
   the site's name stays as it is.

An untitled entry's headline is its text's first sentence (:func:`split_headline`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from html.entities import html5
from typing import Final

from bot.formatting.condense import split_first_sentence, truncate
from bot.formatting.html_text import clean_line, html_to_text, looks_like_markup

__all__ = ["HEADLINE_MAX_CHARS", "MAX_DECODE_ROUNDS", "clean_headline", "split_headline"]

#: The longest headline made from the start of a text, in code points.
HEADLINE_MAX_CHARS: Final = 120
#: How many times a title is decoded at most (a source that escaped it more is broken).
MAX_DECODE_ROUNDS: Final = 5

#: A character reference: numeric, named with ``;``, or a common one without ``;`` that no
#: letter or digit follows ("Tom &amp Jerry", not "&ampersand").
_REFERENCE: Final = re.compile(
    r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};"
    r"|(?:amp|lt|gt|quot|nbsp)(?![A-Za-z0-9]))"
)
#: What separates a site's name from a headline: a bar, a dash, "::", a dot or a guillemet,
#: with spaces on both sides (so "Wi-Fi" and "3-2" are not separators).
_SEPARATOR: Final = r"\s+(?:\||-|–|—|::|·|•|»|/)\s+"
_TRAILING: Final = re.compile(_SEPARATOR + r"(?P<name>(?:(?!" + _SEPARATOR + r").)+?)\s*\Z")
_LEADING: Final = re.compile(r"\A\s*(?P<name>(?:(?!" + _SEPARATOR + r").)+?)" + _SEPARATOR)
_SPLIT: Final = re.compile(_SEPARATOR)


def _decode(match: re.Match[str]) -> str:
    reference = match.group()
    if reference[1] != "#" and reference.endswith(";") and reference[1:] not in html5:
        return reference  # "&foo;" is no reference
    return html.unescape(reference)


def _decode_all(title: str) -> str:
    """``title`` with its character references decoded until none is left (bounded)."""
    for _ in range(MAX_DECODE_ROUNDS):
        decoded = _REFERENCE.sub(_decode, title)
        if decoded == title:
            break
        title = decoded
    return title


def _name_key(name: str) -> str:
    """A site's name compared ignoring case and spaces."""
    return "".join(name.casefold().split())


def _site_keys(site_names: Iterable[str]) -> frozenset[str]:
    """The keys of the site names and of their parts between separators."""
    keys: set[str] = set()
    for name in site_names:
        line = clean_line(_decode_all(name))
        for part in (line, *_SPLIT.split(line)):
            key = _name_key(part)
            if len(key) >= 2:
                keys.add(key)
    return frozenset(keys)


def _without_site_name(title: str, keys: frozenset[str]) -> str:
    """``title`` without the site names (``keys``) that end or start it, never empty."""
    changed = True
    while changed and keys:
        changed = False
        for pattern, keep in ((_TRAILING, "before"), (_LEADING, "after")):
            match = pattern.search(title)
            if match is None or _name_key(match.group("name")) not in keys:
                continue
            rest = title[: match.start()] if keep == "before" else title[match.end() :]
            rest = rest.strip()
            if any(char.isalnum() for char in rest):
                title, changed = rest, True
    return title


def clean_headline(title: str, *, site_names: Sequence[str] = ()) -> str:
    """The headline ``title`` (plain text, perhaps still escaped) as a reader should see it.

    See the module docstring for what is decoded and removed. Empty in, empty out.
    """
    title = unicodedata.normalize("NFC", _decode_all(title))  # as clean_lead does
    if "<" in title and looks_like_markup(title):
        title = html_to_text(title)
    title = clean_line(title)
    return _without_site_name(title, _site_keys(site_names))


def split_headline(text: str, *, limit: int = HEADLINE_MAX_CHARS) -> tuple[str, str]:
    """The headline of an untitled text and what is left of the text after it.

    The headline is the text's first sentence, cut at a word boundary to ``limit`` code points
    with ``…`` (:func:`~bot.formatting.condense.truncate`); the rest keeps its paragraphs.
    ``("", "")`` for an empty text.
    """
    first, rest = split_first_sentence(text)
    if not first:
        return "", rest
    return truncate(_without_full_stop(first), limit), rest


#: Full stops a headline does not end with (a question or exclamation mark it keeps).
_FULL_STOPS: Final = ".।۔。"
_INITIALISM_END: Final = re.compile(r"(?:^|\s)(?:[^\W\d_]\.){2,}$")


def _without_full_stop(sentence: str) -> str:
    """``sentence`` as a headline: without its one final full stop, as headlines are written
    ("Council met on Monday." → "Council met on Monday"), but an ellipsis and an initialism
    ("… in the U.S.") keep theirs."""
    if (
        len(sentence) > 1
        and any(char.isalnum() for char in sentence[:-1])  # the stop may be all that shows
        and sentence[-1] in _FULL_STOPS
        and sentence[-2] not in _FULL_STOPS
        and _INITIALISM_END.search(sentence) is None
    ):
        return sentence[:-1].rstrip()
    return sentence
