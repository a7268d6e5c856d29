"""Pure: UTM parameters on the links newsbot posts, so the publisher's analytics see Telegram.

>>> add_utm("https://news.example/a?id=7#top", source="newsbot", campaign="revoi_en")
'https://news.example/a?id=7&utm_source=newsbot&utm_medium=telegram&utm_campaign=revoi_en#top'
>>> add_utm("https://news.example/a?utm_source=rss", source="newsbot", campaign="dm")
'https://news.example/a?utm_source=rss&utm_medium=telegram&utm_campaign=dm'

The link's own query is kept byte for byte, and a ``utm_*`` parameter it already has is never
overridden (the publisher put it there on purpose). The campaign is the channel's name without
``@`` for channel posts (:func:`channel_campaign`) and :data:`DM_CAMPAIGN` in readers' chats.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["DM_CAMPAIGN", "MEDIUM", "add_utm", "channel_campaign"]

#: The campaign of posts sent to readers' private chats.
DM_CAMPAIGN: Final = "dm"
MEDIUM: Final = "telegram"


def channel_campaign(channel: str | None) -> str:
    """The campaign of a channel's posts: ``@revoi_en`` → ``revoi_en``; no channel: ``dm``."""
    if not channel:
        return DM_CAMPAIGN
    return channel.removeprefix("@")


def add_utm(url: str, *, source: str, campaign: str, medium: str = MEDIUM) -> str:
    """``url`` with ``utm_source``, ``utm_medium`` and ``utm_campaign`` added where missing."""
    parts = urlsplit(url)
    present = {name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = [
        f"{name}={quote(value, safe='')}"
        for name, value in (
            ("utm_source", source),
            ("utm_medium", medium),
            ("utm_campaign", campaign),
        )
        if name not in present
    ]
    if not added:
        return url
    query = "&".join([parts.query, *added] if parts.query else added)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
