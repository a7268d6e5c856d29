"""One article as one Telegram post: Telegram-safe HTML built from plain-text parts.

>>> post = render_post("Rain & wind", "Storms hit the coast. More tomorrow.", "https://ex.com/a")
>>> print(post.html)
<b>Rain &amp; wind</b>
<BLANKLINE>
Storms hit the coast. More tomorrow.
<BLANKLINE>
<a href="https://ex.com/a">Read more</a>

Every part is plain text until the very end, where it is escaped exactly once, so the HTML is
always valid for ``parse_mode=HTML`` and no cut can fall inside a tag or an entity. ``text`` is
what Telegram shows once it has parsed the HTML, and ``len(text)`` is what it counts against its
limits: 1024 code points for a photo caption, 4096 for a message.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

from bot.formatting.condense import ELLIPSIS, condense, split_sentences, truncate
from bot.formatting.html_text import absolute_http_url, clean_line

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "Post",
    "read_more_label",
    "render_post",
]

#: Telegram's limits, in code points of the visible text.
CAPTION_LIMIT: Final = 1024
MESSAGE_LIMIT: Final = 4096

#: Longest title made from the start of the summary when the article has none.
FALLBACK_TITLE_LIMIT: Final = 120
#: Below this much room a summary is not worth a paragraph, and is left out.
MIN_SUMMARY_ROOM: Final = 40
#: The title when an article has no title, no summary and no usable link.
UNTITLED: Final = "(untitled)"

_LABELS: Final = {"deva": "पूरा पढ़ें", "arab": "مزید پڑھیں", "other": "Read more"}
_PARAGRAPH: Final = "\n\n"
#: Sentence and clause marks that end a title repeated at the start of a summary.
_REPEAT_MARKS: Final = "-–—:|.!?…।॥۔؟"
#: What follows a repeated title: a mark, then a space or the end ("Title: rest", "Title — rest"),
#: or a line break (the title was the summary's first line). A comma or a space does not:
#: "Apple, the iPhone maker" goes on with the title's sentence.
_REPEAT_SEPARATOR: Final = re.compile(
    f"\\s*[{re.escape(_REPEAT_MARKS)}]+(?:\\s+|$)|[^\\S\\n]*\\n\\s*"
)


@dataclass(frozen=True, slots=True)
class Post:
    """A rendered post.

    ``html`` is sent with ``parse_mode=HTML``; ``text`` is the visible text exactly as Telegram
    displays it (``len(text)`` is what Telegram counts); ``image`` is an absolute http(s) URL
    to send the post as a photo with ``html`` as its caption, or ``None`` for a text message.
    ``summary`` is the condensed summary as shown (plain text, ``""`` when there is none).
    """

    html: str
    text: str
    image: str | None
    summary: str = ""


def _script_counts(text: str) -> dict[str, int]:
    counts = {"deva": 0, "arab": 0, "other": 0}
    for char in text:
        code = ord(char)
        if 0x0900 <= code <= 0x097F or 0xA8E0 <= code <= 0xA8FF:
            counts["deva"] += 1
        elif (
            0x0600 <= code <= 0x06FF
            or 0x0750 <= code <= 0x077F
            or 0x08A0 <= code <= 0x08FF
            or 0xFB50 <= code <= 0xFDFF
            or 0xFE70 <= code <= 0xFEFF
        ):
            counts["arab"] += 1
        elif char.isalpha():
            counts["other"] += 1
    return counts


def read_more_label(title: str, fallback: str = "") -> str:
    """The link's label in the script most of ``title``'s letters are written in.

    Devanagari → "पूरा पढ़ें", Arabic script (Urdu) → "مزید پڑھیں", anything else → "Read more".
    A title without letters (``"2024"``) is decided by ``fallback`` (the summary).
    """
    counts = _script_counts(title)
    if not any(counts.values()):
        counts = _script_counts(fallback)
    # Ties go to the non-Latin script: "BBC اردو" is an Urdu headline.
    best = max(("deva", "arab", "other"), key=lambda script: counts[script])
    return _LABELS[best]


def _safe_link(link: str | None) -> str | None:
    """``link`` if it is an absolute http(s) URL, with spaces and invisibles percent-encoded.

    Lone surrogates (no character, so no UTF-8 to encode) are dropped.
    """
    if not link:
        return None
    encoded = "".join(
        char if char.isprintable() and not char.isspace() else quote(char)
        for char in link.strip()
        if not "\ud800" <= char <= "\udfff"
    )
    return absolute_http_url(encoded)


def _drop_repeated_title(title: str, summary: str) -> str:
    """``summary`` without a leading repetition of ``title``.

    The title is repeated when the summary is the title, or starts with it followed by a
    sentence or clause mark (``Title: rest``, ``Title. Rest``) or a line break (``Title\\nRest``);
    after a title that ends in such a mark itself (``What now?``), a space is enough. A summary
    that merely starts with the title's words (``Apple, the iPhone maker, …``) is kept whole.
    ``summary`` has its line breaks; the result is one line.
    """
    lines = "\n".join(line for line in map(clean_line, summary.splitlines()) if line)
    summary = clean_line(lines)
    if not title or title.endswith(ELLIPSIS) or lines[: len(title)].casefold() != title.casefold():
        return summary
    rest = lines[len(title) :]
    if not rest:
        return ""
    separator = _REPEAT_SEPARATOR.match(rest)
    if separator is not None:
        return clean_line(rest[separator.end() :])
    if title[-1] in _REPEAT_MARKS and rest[0].isspace():
        return clean_line(rest)
    return summary  # "Rain" is not repeated in "Rainbows" nor "Storm" in "Storm-5"


def _fallback_title(summary: str, link: str | None) -> tuple[str, str]:
    """The title of an article without one, and what is left of the summary after it.

    The summary's first sentence (cut to :data:`FALLBACK_TITLE_LIMIT`) and the sentences after
    it; else the link's host, else :data:`UNTITLED`, and the summary unchanged.
    """
    if summary:
        first, *rest = split_sentences(summary)
        return truncate(first, FALLBACK_TITLE_LIMIT), " ".join(rest)
    if link:
        host = urlsplit(link).hostname
        if host:
            return host, summary
    return UNTITLED, summary


def render_post(
    title: str,
    summary: str,
    link: str | None,
    image: str | None = None,
    *,
    summary_limit: int = 320,
) -> Post:
    """The post for one article: bold title, condensed summary, localized "Read more" link.

    ``title`` and ``summary`` are plain text (not HTML). Only http(s) ``link`` and ``image``
    URLs are used. The visible text fits Telegram's limit (1024 with an image, 4096 without):
    the summary is condensed further first, then the title is cut at a word boundary with
    ``…``. A summary that repeats the title loses the repetition; an empty title falls back to
    the summary's first sentence (the summary then goes on after it), else the link's host.
    The result always has visible text.
    """
    link = _safe_link(link)
    image = absolute_http_url(image)
    limit = CAPTION_LIMIT if image else MESSAGE_LIMIT

    title = clean_line(title)
    if title:
        summary = _drop_repeated_title(title, summary)
    else:
        title, summary = _fallback_title(clean_line(summary), link)

    label = read_more_label(title, summary) if link else ""
    tail = len(_PARAGRAPH + label) if link else 0

    if len(title) + tail > limit:
        title = truncate(title, limit - tail)
        summary = ""
    room = limit - tail - len(title) - len(_PARAGRAPH)
    if summary_limit < 1 or room < MIN_SUMMARY_ROOM:
        summary = ""
    elif summary:
        summary = condense(summary, min(summary_limit, room))

    text_parts = [title]
    html_parts = [f"<b>{html.escape(title, quote=False)}</b>"]
    if summary:
        text_parts.append(summary)
        html_parts.append(html.escape(summary, quote=False))
    if link:
        text_parts.append(label)
        html_parts.append(f'<a href="{html.escape(link, quote=True)}">{label}</a>')
    return Post(
        html=_PARAGRAPH.join(html_parts),
        text=_PARAGRAPH.join(text_parts),
        image=image,
        summary=summary,
    )
