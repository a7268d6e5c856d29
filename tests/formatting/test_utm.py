"""UTM parameters on posted links: newsbot's three replace the link's own, the rest is kept."""

from __future__ import annotations

import pytest

from bot.formatting.utm import DM_CAMPAIGN, add_utm, channel_campaign

OURS = "utm_source=newsbot&utm_medium=telegram&utm_campaign=revoi_en"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://n.example/a", f"https://n.example/a?{OURS}", id="bare"),
        pytest.param("https://n.example/a?id=7", f"https://n.example/a?id=7&{OURS}", id="query"),
        pytest.param("https://n.example/a#top", f"https://n.example/a?{OURS}#top", id="fragment"),
        pytest.param(
            "https://n.example/a?utm_source=rss&ref=feed",
            f"https://n.example/a?ref=feed&{OURS}",
            id="feed-tracking-replaced",
        ),
        pytest.param(
            "https://n.example/a?UTM_Medium=email&utm_content=top&utm_term=x",
            f"https://n.example/a?utm_content=top&utm_term=x&{OURS}",
            id="other-utm-kept-case-insensitive",
        ),
        pytest.param(
            "https://n.example/a?q=a%20b&&flag",
            f"https://n.example/a?q=a%20b&flag&{OURS}",
            id="kept-as-written",
        ),
        pytest.param(
            "https://n.example/a?utm%5Fsource=rss",
            f"https://n.example/a?{OURS}",
            id="encoded-name",
        ),
    ],
)
def test_add_utm(url: str, expected: str) -> None:
    assert add_utm(url, source="newsbot", campaign="revoi_en") == expected


def test_values_are_encoded() -> None:
    assert add_utm("https://n.example/", source="a b&c", campaign="x/y").endswith(
        "utm_source=a%20b%26c&utm_medium=telegram&utm_campaign=x%2Fy"
    )


@pytest.mark.parametrize(
    ("channel", "campaign"),
    [("@revoi_en", "revoi_en"), ("-1001234", "-1001234"), (None, DM_CAMPAIGN), ("", "dm")],
)
def test_channel_campaign(channel: str | None, campaign: str) -> None:
    assert channel_campaign(channel) == campaign
