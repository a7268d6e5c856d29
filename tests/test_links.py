"""Canonical links: the same article under cosmetic URL differences has one key."""

from __future__ import annotations

import pytest

from bot.links import canonical_link, link_key


class TestCanonicalLink:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            pytest.param(
                "https://N.example/a?utm_source=rss&x=1",
                "https://n.example/a?x=1",
                id="tracking-and-case",
            ),
            pytest.param("https://n.example/a#comments", "https://n.example/a", id="fragment"),
            pytest.param("https://n.example:443/a", "https://n.example/a", id="default-port"),
            pytest.param("https://n.example", "https://n.example/", id="empty-path"),
            pytest.param("https://n.example/a?fbclid=XYZ", "https://n.example/a", id="fbclid"),
            pytest.param("http://n.example/a", "https://n.example/a", id="moved-to-https"),
            pytest.param("https://www.n.example/a", "https://n.example/a", id="www"),
            pytest.param("https://n.example/a/", "https://n.example/a", id="trailing-slash"),
        ],
    )
    def test_same_article_same_key(self, a: str, b: str) -> None:
        """URLs that differ only cosmetically have the same key."""
        assert link_key(a) == link_key(b)

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            pytest.param("https://n.example/a?id=1", "https://n.example/a?id=2", id="query"),
            pytest.param("https://n.example/A", "https://n.example/a", id="path-case"),
            pytest.param("http://n.example:8080/a", "http://n.example/a", id="other-port"),
            pytest.param("https://www2.n.example/a", "https://n.example/a", id="other-host"),
        ],
    )
    def test_different_articles_differ(self, a: str, b: str) -> None:
        """URLs that can name different pages keep different keys."""
        assert link_key(a) != link_key(b)

    def test_no_link_no_key(self) -> None:
        """An article without a link has no key (and so is never deduplicated by link)."""
        assert link_key(None) is None
        assert link_key("") is None

    def test_canonical_form(self) -> None:
        """The canonical form keeps the meaningful query in its order and drops the scheme."""
        assert canonical_link("HTTPS://WWW.Ex.AMPLE/p/?b=2&utm_medium=x&a=1#top") == (
            "//ex.ample/p?b=2&a=1"
        )
