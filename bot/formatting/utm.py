"""Pure: UTM parameters on the links newsbot posts, so the publisher's analytics see Telegram.

>>> add_utm("https://news.example/a?id=7#top", source="newsbot", campaign="revoi_en")
'https://news.example/a?id=7&utm_source=newsbot&utm_medium=telegram&utm_campaign=revoi_en#top'
>>> add_utm("https://news.example/a?utm_source=rss&utm_content=top", source="nb", campaign="dm")
'https://news.example/a?utm_content=top&utm_source=nb&utm_medium=telegram&utm_campaign=dm'

The link's own query is kept byte for byte, except its ``utm_source``, ``utm_medium`` and
``utm_campaign``: a feed often tags its links ``utm_source=rss``, and once the link is posted to
Telegram that would count Telegram's readers as the feed's, with a half-Telegram, half-RSS
attribution if only the missing ones were added. Its other ``utm_*`` (``utm_content``,
``utm_term``) are kept. The campaign is the channel's name without
``@`` for channel posts (:func:`channel_campaign`) and :data:`DM_CAMPAIGN` in readers' chats.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

__all__ = ["DM_CAMPAIGN", "MEDIUM", "add_utm", "channel_campaign"]

#: The campaign of posts sent to readers' private chats.
DM_CAMPAIGN: Final = "dm"
MEDIUM: Final = "telegram"
#: The parameters newsbot sets, replacing the link's own.
_OURS: Final = frozenset({"utm_source", "utm_medium", "utm_campaign"})


def channel_campaign(channel: str | None) -> str:
    """The campaign of a channel's posts: ``@revoi_en`` → ``revoi_en``; no channel: ``dm``."""
    if not channel:
        return DM_CAMPAIGN
    return channel.removeprefix("@")


def add_utm(url: str, *, source: str, campaign: str, medium: str = MEDIUM) -> str:
    """``url`` with newsbot's ``utm_source``, ``utm_medium`` and ``utm_campaign`` (replacing the
    link's own), its other parameters kept as written."""
    parts = urlsplit(url)
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and unquote_plus(pair.partition("=")[0]).lower() not in _OURS
    ]
    added = [
        f"{name}={quote(value, safe='')}"
        for name, value in (
            ("utm_source", source),
            ("utm_medium", medium),
            ("utm_campaign", campaign),
        )
    ]
    query = "&".join([*kept, *added])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
