"""The value that travels from a feed entry or an article page to storage: pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArticleDraft:
    """What one feed entry or one article page says about an article, before it is stored.

    ``key`` is the article's identity within its source: the entry's guid, else its link, else
    a hash of title and summary. Every text field is plain text (HTML already turned into text
    by a real HTML parser, entities decoded exactly once); ``link`` and ``image`` are absolute
    http(s) URLs or ``None``. ``urls`` are other URLs the article is known by (the URL an
    editor pushed, where it redirected to), beside ``link`` and a guid that is a URL.
    ``categories`` are the entry's categories (tags) as the feed wrote them, plain text.
    """

    key: str
    title: str
    summary: str
    link: str | None = None
    image: str | None = None
    published: datetime | None = None
    urls: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def known_urls(self) -> list[str]:
        """Every http(s) URL this draft is known by: its link, its guid if a URL, ``urls``."""
        candidates = [self.link, self.key, *self.urls]
        found = [u for u in candidates if u and u.lower().startswith(("http://", "https://"))]
        return list(dict.fromkeys(found))
