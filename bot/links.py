"""Pure: the one form of an article's link used to tell whether it was already published.

Two feeds, or a feed and an editor's push, often list the same article under slightly different
URLs: http or https, ``www.`` or not, tracking parameters, a fragment, a trailing slash, an
upper-case host. :func:`canonical_link` removes what does not change the page; :func:`link_key`
is its hash, short enough for an index.
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
    """``url`` as ``//host/path?query``: no scheme (a site that moves to https keeps its
    articles' identity), no ``www.``, default port, fragment, tracking parameters or trailing
    slash, and the host in lower case."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", netloc, path, query, ""))


def redact_url(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, for messages and logs.

    Anything that is not a URL with credentials comes back unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1:
            end = min(end, found)
    authority = rest[:end]
    if "@" not in authority:
        return url
    return f"{scheme}://***@{authority.rpartition('@')[2]}{rest[end:]}"


def has_credentials(url: str) -> bool:
    """Whether ``url`` carries a ``user[:password]@`` part."""
    return redact_url(url) != url


def link_key(url: str | None) -> str | None:
    """The hash of ``url``'s canonical form, or ``None`` for an article without a link."""
    if not url:
        return None
    return hashlib.sha256(canonical_link(url).encode()).hexdigest()
