"""Pure: the one form of an article's link used to tell whether it was already published.

Two feeds, or a feed and an editor's push, often list the same article under slightly different
URLs: tracking parameters, a fragment, an upper-case host. :func:`canonical_link` removes what
does not change the page; :func:`link_key` is its hash, short enough for a unique index.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that only say where a click came from.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga"}
)


def _tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMETERS


def canonical_link(url: str) -> str:
    """``url`` without fragment, tracking parameters, default port or case in scheme and host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def link_key(url: str | None) -> str | None:
    """The hash of ``url``'s canonical form, or ``None`` for an article without a link."""
    if not url:
        return None
    return hashlib.sha256(canonical_link(url).encode()).hexdigest()
