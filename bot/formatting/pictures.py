"""Which picture a post shows, and whether a picture's bytes are a photo Telegram takes (pure).

A feed entry or an article page offers several pictures; each becomes a :class:`Candidate`
(where it was found, its URL as written, the size the markup declares, the words around it),
and :func:`choose` returns the first one worth showing, made absolute::

    from bot.formatting.pictures import Candidate, Source, choose, img_candidates

    candidates = [
        Candidate(Source.MEDIA_CONTENT, "/big.jpg", width=1200, height=800),
        *img_candidates('<img class="avatar" src="/me.png"><img src="/story.jpg">'),
        Candidate(Source.OG_IMAGE, "../lead.jpg"),
    ]
    choose(candidates, "https://ex.com/news/a")      # 'https://ex.com/big.jpg'

Candidates are tried by :class:`Source` (media:content, the largest declared first, then
media:thumbnail, an image enclosure, the content's ``<img>`` in document order, ``og:image``,
the other page metadata), and skipped when they are not an article's picture: tracking pixels,
icons, avatars, logos, emoji, spinners and anything the markup says is under
:data:`MIN_SIDE` pixels (or stretched past Telegram's ratio). The filters are the tables below,
matched against whole words where they say what a picture is (see :data:`SKIP_WORDS`), so
neither "silicon-valley.jpg" nor "fashion-icon-dies.jpg" is an icon.

:func:`photo_problem` checks downloaded bytes the way Telegram checks an uploaded photo (a JPEG,
PNG, GIF or WebP of at most 10 MB whose width and height add up to at most 10000, at most 20
times as long as wide); the sandbox uses it to answer as Telegram does.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, Literal
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from bot.formatting.html_text import absolute_http_url, fragment_tree

__all__ = [
    "MAX_PHOTO_BYTES",
    "MIN_SIDE",
    "Candidate",
    "PhotoFault",
    "Source",
    "choose",
    "image_format",
    "img_candidate",
    "img_candidates",
    "photo_check",
    "photo_problem",
    "rejected",
    "size_value",
]

#: A picture the markup declares narrower or lower than this (in CSS pixels) is not shown.
MIN_SIDE: Final = 200
#: Telegram refuses a photo longer than this many times its width (or the other way round).
MAX_RATIO: Final = 20
#: Telegram's limits for an uploaded photo: bytes, and width + height.
MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
MAX_PHOTO_SIDES: Final = 10_000
#: srcset entries wider than this are passed over for a smaller one when there is one:
#: Telegram shows photos at most 1280 px wide, and a huge file may pass its size limit.
SRCSET_MAX_WIDTH: Final = 2048

#: Words that mark a picture that is not the article's, where they are written: in the URL's
#: host or a folder of its path, at the start or end of its file name ("site-logo.png", not
#: "fashion-icon-dies.jpg": a headline's slug), in ``class`` or ``id``, or in a short ``alt``.
SKIP_WORDS: Final = frozenset(
    {
        "avatar",
        "avatars",
        "icon",
        "icons",
        "favicon",
        "logo",
        "logos",
        "emoji",
        "emojis",
        "gravatar",
        "spinner",
        "loader",
        "spacer",
        "smiley",
        "smilies",
        "sprite",
    }
)
#: File names of placeholders and tracking images.
SKIP_FILES: Final = frozenset(
    {
        "blank.gif",
        "blank.png",
        "spacer.gif",
        "pixel.gif",
        "pixel.png",
        "1x1.gif",
        "1x1.png",
        "transparent.gif",
        "transparent.png",
        "clear.gif",
        "trans.gif",
    }
)
#: (host, path prefix): hosts (and their subdomains) that serve tracking images, share buttons
#: and comment counters rather than pictures, where the path starts so.
SKIP_PLACES: Final = (
    ("feedburner.com", "/"),
    ("feeds.wordpress.com", "/"),
    ("pixel.wp.com", "/"),
    ("stats.wp.com", "/"),
    ("stats.wordpress.com", "/"),
    ("gravatar.com", "/"),
    ("feedsportal.com", "/"),
    ("doubleclick.net", "/"),
    ("google-analytics.com", "/"),
    ("blogger.googleusercontent.com", "/tracker/"),
    ("s.w.org", "/images/core/emoji/"),
)

_WORD: Final = re.compile(r"[a-z0-9]+")
_NUMBER: Final = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$", re.IGNORECASE)
#: A size in a file name, as WordPress and others write their resized copies: "a-150x150.jpg".
_SIZE_IN_NAME: Final = re.compile(r"[-_](\d{2,4})x(\d{2,4})\.[a-z0-9]{3,4}$", re.IGNORECASE)
_LAZY_ATTRIBUTES: Final = ("data-src", "data-lazy-src", "data-original", "data-url")
_SRCSET_ATTRIBUTES: Final = ("data-srcset", "data-lazy-srcset", "srcset")
_HINT_ATTRIBUTES: Final = ("class", "id")
#: An ``alt`` of more words than this is a caption, whose words say nothing about the picture.
_SHORT_ALT: Final = 3


class Source(IntEnum):
    """Where a candidate was found; the lower, the sooner it is tried."""

    MEDIA_CONTENT = 0
    MEDIA_THUMBNAIL = 1
    ENCLOSURE = 2
    IMG = 3
    OG_IMAGE = 4
    META = 5  # twitter:image and the like
    LINK = 6  # <link rel="image_src">


@dataclass(frozen=True, slots=True)
class Candidate:
    """One picture on offer: its URL as written (relative or not), the size the markup declares
    (None: not declared), ``hints`` (its ``class`` and ``id``) and its ``alt`` text."""

    source: Source
    url: str | None
    width: int | None = None
    height: int | None = None
    hints: str = ""
    alt: str = ""


def size_value(value: object) -> int | None:
    """A declared size (``"640"``, ``"640px"``, ``640``) as whole pixels; None if unusable
    (missing, a percentage, a word)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _NUMBER.match(value)
    return int(float(match.group(1))) if match else None


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _marked(candidate: Candidate, host: str, path: str) -> set[str]:
    """The SKIP_WORDS written where they say what the picture is (see SKIP_WORDS)."""
    *folders, name = path.lower().split("/")
    stem = _WORD.findall(name.rsplit(".", 1)[0]) if name else []
    alt = _WORD.findall(candidate.alt.lower())
    words = _words(host) | _words(" ".join(folders)) | _words(candidate.hints)
    words |= set(stem[:1] + stem[-1:])
    if len(alt) <= _SHORT_ALT:
        words |= set(alt)
    return words & SKIP_WORDS


def _skip_reason(candidate: Candidate, url: str) -> str | None:
    """Why ``candidate`` (at the absolute ``url``) is not the article's picture, or None."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    for place, prefix in SKIP_PLACES:
        if (host == place or host.endswith("." + place)) and path.startswith(prefix):
            return f"tracker {place}"
    if path.rsplit("/", 1)[-1].lower() in SKIP_FILES:
        return "placeholder"
    found = _marked(candidate, host, path)
    if found:
        return f"word {min(found)}"
    width, height = candidate.width, candidate.height
    if width is None and height is None:
        named = _SIZE_IN_NAME.search(path)
        if named:
            width, height = int(named.group(1)), int(named.group(2))
    if (width is not None and width < MIN_SIDE) or (height is not None and height < MIN_SIDE):
        return "small"
    if width and height and max(width, height) > MAX_RATIO * min(width, height):
        return "ratio"
    return None


def _area(candidate: Candidate) -> int:
    """The declared area (a square of the one side declared); 0 when nothing is declared."""
    sides = [side for side in (candidate.width, candidate.height) if side]
    if len(sides) == 2:
        return sides[0] * sides[1]
    return sides[0] * sides[0] if sides else 0


def _order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """By source; media:content the largest declared first (undeclared after, as written)."""
    indexed = list(enumerate(candidates))

    def key(item: tuple[int, Candidate]) -> tuple[int, int, int]:
        index, candidate = item
        largest = -_area(candidate) if candidate.source is Source.MEDIA_CONTENT else 0
        return candidate.source, largest, index

    return [candidate for _, candidate in sorted(indexed, key=key)]


def choose(candidates: Iterable[Candidate], base: str | None) -> str | None:
    """The absolute http(s) URL of the first candidate worth showing, else None.

    Relative URLs are resolved against ``base``: the page's (or feed's) final URL after
    redirects, or its ``<base href>``.
    """
    for candidate in _order(candidates):
        url = absolute_http_url(candidate.url, base)
        if url is not None and _skip_reason(candidate, url) is None:
            return url
    return None


def rejected(candidates: Iterable[Candidate], base: str | None) -> list[tuple[str, str]]:
    """(URL, why) of every candidate :func:`choose` passes over, for tests and diagnostics."""
    out: list[tuple[str, str]] = []
    for candidate in _order(candidates):
        url = absolute_http_url(candidate.url, base)
        reason = "not an http(s) URL" if url is None else _skip_reason(candidate, url)
        if reason is not None:
            out.append((url or str(candidate.url), reason))
    return out


def _srcset_best(srcset: str) -> str | None:
    """The srcset entry to show: the widest up to SRCSET_MAX_WIDTH (else the narrowest), or
    the highest density; the first when there are no descriptors."""
    entries: list[tuple[str, str]] = []
    for item in srcset.split(","):
        fields = item.split()
        if fields:
            entries.append((fields[0], fields[1].lower() if len(fields) > 1 else ""))
    if not entries:
        return None
    widths = [(size_value(d[:-1]) or 0, url) for url, d in entries if d.endswith("w")]
    if widths:
        fitting = [entry for entry in widths if entry[0] <= SRCSET_MAX_WIDTH]
        return max(fitting)[1] if fitting else min(widths)[1]
    densities = []
    for url, descriptor in entries:
        try:
            densities.append((float(descriptor[:-1]) if descriptor.endswith("x") else 1.0, url))
        except ValueError:
            continue
    return max(densities, key=lambda entry: entry[0])[1] if densities else entries[0][0]


def img_candidate(attributes: Mapping[str, str | None]) -> Candidate | None:
    """The candidate of one ``<img>``: a lazy-loading attribute (the real picture behind a
    placeholder), else the best of its srcset, else ``src``; None without any."""
    values = {name.lower(): (value or "").strip() for name, value in attributes.items()}
    url = next((values[name] for name in _LAZY_ATTRIBUTES if values.get(name)), None)
    if url is None:
        srcsets = (values[name] for name in _SRCSET_ATTRIBUTES if values.get(name))
        url = next(filter(None, (_srcset_best(srcset) for srcset in srcsets)), None)
    if url is None or url.lower().startswith("data:"):
        url = values.get("src") or url
    if not url:
        return None
    return Candidate(
        Source.IMG,
        url,
        width=size_value(values.get("width")),
        height=size_value(values.get("height")),
        hints=" ".join(filter(None, (values.get(name) for name in _HINT_ATTRIBUTES))),
        alt=values.get("alt", ""),
    )


def img_candidates(fragment: str) -> list[Candidate]:
    """The candidates of a feed's HTML fragment, one per ``<img>``, in document order.

    HTML escaped once more (``&lt;img src=…&gt;`` with no element at all) is looked into, as
    :func:`bot.formatting.html_text.html_to_text` reads its text; only the first
    :data:`~bot.formatting.html_text.FRAGMENT_MAX_CHARS` characters are read.
    """
    if not fragment:
        return []
    found = (img_candidate(image.attributes) for image in fragment_tree(fragment).css("img"))
    return [candidate for candidate in found if candidate is not None]


# -- the bytes of a photo ------------------------------------------------------------------

_MAGIC: Final[Sequence[tuple[bytes, str]]] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


def image_format(data: bytes) -> str | None:
    """``JPEG``, ``PNG``, ``GIF`` or ``WEBP`` by the first bytes of ``data``; None otherwise."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


#: What :func:`photo_check` finds wrong: the size of the file, its format, or its dimensions.
PhotoFault = Literal["bytes", "format", "dimensions"]


def photo_problem(data: bytes) -> str | None:
    """Why Telegram would refuse ``data`` as an uploaded photo, or None if it takes it.

    A photo is a JPEG, PNG, GIF or WebP (by its first bytes, and as Pillow reads it) of at most
    :data:`MAX_PHOTO_BYTES`, whose width and height add up to at most
    :data:`MAX_PHOTO_SIDES`, neither more than :data:`MAX_RATIO` times the other.
    """
    found = photo_check(data)
    return None if found is None else found[1]


def photo_check(data: bytes) -> tuple[PhotoFault, str] | None:
    """What is wrong with ``data`` as a photo, and why (see :func:`photo_problem`); or None."""
    if not data:
        return "bytes", "empty"
    if len(data) > MAX_PHOTO_BYTES:
        return "bytes", f"{len(data)} bytes; the limit is {MAX_PHOTO_BYTES}"
    kind = image_format(data)
    if kind is None:
        return "format", "not a JPEG, PNG, GIF or WebP image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "format", f"not a readable {kind} image"
    except (OSError, ValueError, SyntaxError, EOFError):  # what Pillow raises for broken files
        return "format", f"a broken {kind} image"
    if width < 1 or height < 1 or width + height > MAX_PHOTO_SIDES:
        sides = f"width + height may be at most {MAX_PHOTO_SIDES}"
        return "dimensions", f"{width}x{height} pixels; {sides}"
    if max(width, height) > MAX_RATIO * min(width, height):
        ratio = f"one side is more than {MAX_RATIO} times the other"
        return "dimensions", f"{width}x{height} pixels; {ratio}"
    return None
