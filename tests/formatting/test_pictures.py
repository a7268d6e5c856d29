"""bot.formatting.pictures: which picture a post shows, and which bytes are a photo, from tables."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.formatting.html_text import FRAGMENT_MAX_CHARS
from bot.formatting.pictures import (
    MAX_PHOTO_BYTES,
    Candidate,
    Source,
    choose,
    img_candidate,
    img_candidates,
    photo_problem,
    rejected,
    size_value,
)
from bot.pages import parse_page
from tests.conftest import bounded

BASE = "https://news.example/2024/05/story"
KB = 1024


def picture(kind: str, width: int = 320, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, kind)
    return out.getvalue()


class TestChoose:
    """choose: the first candidate worth showing, by source, made absolute."""

    @pytest.mark.parametrize(
        ("candidates", "expected"),
        [
            pytest.param([Candidate(Source.IMG, "/a.jpg")], "https://news.example/a.jpg",
                         id="root-relative"),
            pytest.param([Candidate(Source.OG_IMAGE, "../lead.jpg")],
                         "https://news.example/2024/lead.jpg", id="relative-og-image"),
            pytest.param([Candidate(Source.IMG, "data:image/gif;base64,R0lG")], None,
                         id="data-uri"),
            pytest.param([Candidate(Source.IMG, "http://localhost/a.jpg")], None,
                         id="host-without-dot"),
            pytest.param([Candidate(Source.IMG, None)], None, id="no-url"),
            pytest.param([], None, id="nothing"),
            # by source, whatever the order they were found in
            pytest.param([Candidate(Source.OG_IMAGE, "/og.jpg"), Candidate(Source.IMG, "/img.jpg"),
                          Candidate(Source.MEDIA_THUMBNAIL, "/thumb.jpg")],
                         "https://news.example/thumb.jpg", id="thumbnail-before-img-and-og"),
            pytest.param([Candidate(Source.ENCLOSURE, "/enc.jpg"),
                          Candidate(Source.MEDIA_CONTENT, "/media.jpg")],
                         "https://news.example/media.jpg", id="media-content-first"),
            # media:content: the largest declared, then the undeclared in order
            pytest.param([Candidate(Source.MEDIA_CONTENT, "/s.jpg", 400, 300),
                          Candidate(Source.MEDIA_CONTENT, "/l.jpg", 1600, 900),
                          Candidate(Source.MEDIA_CONTENT, "/m.jpg", 800, 600)],
                         "https://news.example/l.jpg", id="largest-media-content"),
            pytest.param([Candidate(Source.MEDIA_CONTENT, "/u.jpg"),
                          Candidate(Source.MEDIA_CONTENT, "/w.jpg", 1024)],
                         "https://news.example/w.jpg", id="declared-before-undeclared"),
            pytest.param([Candidate(Source.MEDIA_CONTENT, "/tiny.jpg", 150, 150),
                          Candidate(Source.IMG, "/body.jpg")],
                         "https://news.example/body.jpg", id="small-media-content-skipped"),
            # the first acceptable <img> in document order
            pytest.param([Candidate(Source.IMG, "/first.jpg"),
                          Candidate(Source.IMG, "/second.jpg")],
                         "https://news.example/first.jpg", id="document-order"),
        ],
    )  # fmt: skip
    def test_chooses(self, candidates: list[Candidate], expected: str | None) -> None:
        """Each set of candidates gives the picture a reader should see."""
        assert choose(candidates, BASE) == expected

    @pytest.mark.parametrize(
        ("candidate", "reason"),
        [
            pytest.param(Candidate(Source.IMG, "/p.gif", 1, 1), "small", id="tracking-pixel"),
            pytest.param(Candidate(Source.IMG, "/a.jpg", width=120), "small", id="narrow"),
            pytest.param(Candidate(Source.IMG, "/a.jpg", height=80), "small", id="low"),
            pytest.param(Candidate(Source.MEDIA_THUMBNAIL, "/t.jpg", 72, 72), "small",
                         id="small-thumbnail"),
            pytest.param(Candidate(Source.IMG, "/wp-content/uploads/a-150x150.jpg"), "small",
                         id="size-in-file-name"),
            pytest.param(Candidate(Source.IMG, "/banner.jpg", 4200, 200), "ratio", id="ratio"),
            pytest.param(Candidate(Source.IMG, "/img/site-logo.png"), "word logo", id="logo-file"),
            pytest.param(Candidate(Source.IMG, "/icons/share.png"), "word icons", id="icon-folder"),
            pytest.param(Candidate(Source.IMG, "/apple-touch-icon.png"), "word icon",
                         id="touch-icon"),
            pytest.param(Candidate(Source.IMG, "/favicon.ico"), "word favicon", id="favicon"),
            pytest.param(Candidate(Source.IMG, "/u/7.jpg", hints="avatar avatar-96 photo"),
                         "word avatar", id="avatar-class"),
            pytest.param(Candidate(Source.IMG, "/s.png", hints="wp-smiley"), "word smiley",
                         id="wp-smiley"),
            pytest.param(Candidate(Source.IMG, "/x.png", alt="Site logo"), "word logo",
                         id="short-alt"),
            pytest.param(Candidate(Source.IMG, "/images/core/emoji/15.0/72x72/1f600.png"),
                         "word emoji", id="emoji-folder"),
            pytest.param(Candidate(Source.IMG, "/ajax-loader.gif"), "word loader", id="loader"),
            pytest.param(Candidate(Source.IMG, "/img/spinner.gif"), "word spinner", id="spinner"),
            pytest.param(Candidate(Source.IMG, "/img/blank.gif"), "placeholder", id="blank-gif"),
            pytest.param(Candidate(Source.IMG, "https://secure.gravatar.com/avatar/ab?s=96"),
                         "tracker gravatar.com", id="gravatar"),
            pytest.param(Candidate(Source.IMG, "https://feeds.feedburner.com/~ff/news?d=yIl2AU"),
                         "tracker feedburner.com", id="feedburner"),
            pytest.param(Candidate(Source.IMG, "https://feeds.wordpress.com/1.0/comments/x.wp/1/"),
                         "tracker feeds.wordpress.com", id="wordpress-comments"),
            pytest.param(Candidate(Source.IMG, "https://pixel.wp.com/b.gif?v=noscript"),
                         "tracker pixel.wp.com", id="wp-stats-pixel"),
            pytest.param(Candidate(Source.IMG, "https://blogger.googleusercontent.com/tracker/1"),
                         "tracker blogger.googleusercontent.com", id="blogger-tracker"),
        ],
    )  # fmt: skip
    def test_skips(self, candidate: Candidate, reason: str) -> None:
        """Pictures that are not the article's are passed over, each for its reason."""
        assert choose([candidate], BASE) is None
        assert [why for _, why in rejected([candidate], BASE)] == [reason]

    @pytest.mark.parametrize(
        "candidate",
        [
            pytest.param(Candidate(Source.IMG, "/2024/silicon-valley.jpg"), id="icon-inside-word"),
            pytest.param(Candidate(Source.IMG, "/2024/fashion-icon-dies.jpg"), id="slug-word"),
            pytest.param(Candidate(Source.IMG, "/a.jpg", alt="The logo of the new party, "
                                   "unveiled on Monday"), id="long-alt-is-a-caption"),
            pytest.param(Candidate(Source.IMG, "/a.jpg", width=200, height=200), id="200-px"),
            pytest.param(Candidate(Source.IMG, "/a.jpg", hints="wp-image-12 size-full"),
                         id="wordpress-classes"),
            pytest.param(Candidate(Source.IMG, "/uploads/a-1024x683.jpg"), id="large-in-name"),
        ],
    )  # fmt: skip
    def test_keeps(self, candidate: Candidate) -> None:
        """Real article pictures whose words or sizes only look like a filter's are kept."""
        assert choose([candidate], BASE) is not None


class TestImg:
    """img_candidate and img_candidates: what an <img> offers."""

    @pytest.mark.parametrize(
        ("attributes", "url"),
        [
            pytest.param({"src": "/a.jpg"}, "/a.jpg", id="src"),
            pytest.param({"src": "data:,", "data-src": "/real.jpg"}, "/real.jpg",
                         id="lazy-data-src"),
            pytest.param({"src": "/blank.gif", "data-lazy-src": "/real.jpg"}, "/real.jpg",
                         id="data-lazy-src"),
            pytest.param({"srcset": "s.jpg 480w, l.jpg 1200w, m.jpg 800w"}, "l.jpg",
                         id="srcset-widest"),
            pytest.param({"srcset": "m.jpg 1600w, xl.jpg 4000w"}, "m.jpg",
                         id="srcset-not-huge"),
            pytest.param({"srcset": "xl.jpg 4000w, xxl.jpg 6000w"}, "xl.jpg",
                         id="srcset-all-huge-narrowest"),
            pytest.param({"srcset": "a.jpg 1x, b.jpg 2x"}, "b.jpg", id="srcset-density"),
            pytest.param({"srcset": "only.jpg"}, "only.jpg", id="srcset-plain"),
            pytest.param({"src": "/small.jpg", "srcset": "/big.jpg 1200w"}, "/big.jpg",
                         id="srcset-before-src"),
            pytest.param({"src": "data:,", "data-srcset": "/lazy.jpg 900w"}, "/lazy.jpg",
                         id="lazy-srcset"),
            pytest.param({"alt": "nothing"}, None, id="no-url"),
        ],
    )  # fmt: skip
    def test_url(self, attributes: dict[str, str | None], url: str | None) -> None:
        """The URL an <img> really shows: lazy-loading attributes, the best srcset, then src."""
        candidate = img_candidate(attributes)
        assert (candidate.url if candidate else None) == url

    def test_fragment(self) -> None:
        """A fragment gives one candidate per <img> with its sizes and words, in order."""
        fragment = (
            '<p><img class="avatar" src="/me.png" width="48" height="48">'
            '<img src="/story.jpg" width="100%" alt="Crowds"></p>'
        )
        assert img_candidates(fragment) == [
            Candidate(Source.IMG, "/me.png", 48, 48, hints="avatar"),
            Candidate(Source.IMG, "/story.jpg", None, None, alt="Crowds"),
        ]
        assert choose(img_candidates(fragment), BASE) == "https://news.example/story.jpg"

    def test_double_encoded(self) -> None:
        """HTML escaped once more is looked into."""
        found = img_candidates('&lt;img src="https://ex.com/de.jpg"&gt;')
        assert [candidate.url for candidate in found] == ["https://ex.com/de.jpg"]

    @pytest.mark.parametrize(
        ("fragment", "base", "expected"),
        [
            pytest.param('<img src="/a.jpg">', "https://ex.com/news/", "https://ex.com/a.jpg",
                         id="root-relative"),
            pytest.param('<img src="b.jpg">', "https://ex.com/news/", "https://ex.com/news/b.jpg",
                         id="relative"),
            pytest.param('<img src="//cdn.ex.com/c.jpg">', "https://ex.com/",
                         "https://cdn.ex.com/c.jpg", id="scheme-relative"),
            pytest.param('<img src="https://ex.com/d.jpg?a=1&amp;b=2">', None,
                         "https://ex.com/d.jpg?a=1&b=2", id="entity-in-attribute"),
            pytest.param('<img src="https://ex.com/d.jpg?a=1&copy=2&reg=3">', None,
                         "https://ex.com/d.jpg?a=1&copy=2&reg=3",
                         id="entity-name-without-semicolon-in-url-kept"),
            pytest.param('<img src="data:image/gif;base64,R0lG">', None, None, id="data-uri"),
            pytest.param('<img src="https://ex.com/blank.gif" data-src="https://ex.com/f.jpg">',
                         None, "https://ex.com/f.jpg", id="data-src-preferred"),
            pytest.param('<img src="https://t.ex.com/p.gif" width="1" height="1">'
                         '<img src="https://ex.com/g.jpg">', None, "https://ex.com/g.jpg",
                         id="tracking-pixel-skipped"),
            pytest.param('<img src="https://t.ex.com/p.gif" width="1px">', None, None,
                         id="pixel-width-only"),
            pytest.param('<img src="javascript:alert(1)"><img src="ftp://ex.com/x.jpg">', None,
                         None, id="other-schemes"),
            pytest.param('<img src="rel.jpg">', None, None, id="relative-without-base"),
            pytest.param('<p>x</p><img src="https://ex.com/1.jpg"><img src="https://ex.com/2.jpg">',
                         None, "https://ex.com/1.jpg", id="document-order"),
            pytest.param('<p>Write &lt;img src="https://ex.com/de.jpg"&gt;</p>', None, None,
                         id="escaped-beside-real-markup-is-text"),
            pytest.param('<img src="https://ex.com/a.jpg" alt="x"', None, None,
                         id="unfinished-tag"),
            pytest.param('<img src="http://localhost/a.jpg">', None, None, id="host-without-dot"),
            pytest.param("", None, None, id="empty"),
        ],
    )  # fmt: skip
    def test_fragment_picture(self, fragment: str, base: str | None, expected: str | None) -> None:
        """Each fragment gives the picture a post could use, made absolute, or none."""
        assert choose(img_candidates(fragment), base) == expected

    def test_garbage_after_an_image_keeps_the_image(self) -> None:
        """An unterminated flood of "<!--" after a picture leaves the picture found."""
        fragment = '<img src="https://ex.com/a.jpg">' + "<!--" * (50 * KB)
        found = bounded(lambda: img_candidates(fragment))
        assert [candidate.url for candidate in found] == ["https://ex.com/a.jpg"]

    def test_images_past_the_size_cap_are_not_read(self) -> None:
        """Only pictures within the first FRAGMENT_MAX_CHARS characters are found."""
        fragment = (
            '<img src="https://ex.com/early.jpg"><p>'
            + "x" * FRAGMENT_MAX_CHARS
            + '</p><img src="https://ex.com/late.jpg">'
        )
        found = bounded(lambda: img_candidates(fragment))
        assert [candidate.url for candidate in found] == ["https://ex.com/early.jpg"]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("640", 640), ("640px", 640), (" 64.5 ", 64), (640, 640), ("100%", None), ("auto", None),
         (None, None), (True, None), ("", None)],
    )  # fmt: skip
    def test_size_value(self, value: object, expected: int | None) -> None:
        """Declared sizes are whole pixels; percentages and words are not sizes."""
        assert size_value(value) == expected


class TestPages:
    """parse_page picks the page's picture through choose."""

    def test_relative_og_image_against_the_final_url(self) -> None:
        """A relative og:image is resolved against the URL the page was fetched from after
        redirects (what the push passes), not the one asked for."""
        html = '<title>T</title><meta property="og:image" content="img/lead.jpg">'
        meta = parse_page(html, "https://final.example/news/2024/story")
        assert meta.image == "https://final.example/news/2024/img/lead.jpg"

    def test_a_logo_og_image_falls_back(self) -> None:
        """A site logo as og:image gives way to twitter:image."""
        html = (
            '<title>T</title><meta property="og:image" content="/static/logo.png">'
            '<meta name="twitter:image" content="/media/story.jpg">'
        )
        assert parse_page(html, BASE).image == "https://news.example/media/story.jpg"

    def test_small_declared_og_image_is_skipped(self) -> None:
        """og:image:width/height under 200 px skip the picture."""
        html = (
            '<title>T</title><meta property="og:image" content="/a.jpg">'
            '<meta property="og:image:width" content="120">'
        )
        assert parse_page(html, BASE).image is None

    def test_secure_url_first(self) -> None:
        """An https og:image:secure_url is preferred to og:image."""
        html = (
            '<title>T</title><meta property="og:image" content="http://news.example/a.jpg">'
            '<meta property="og:image:secure_url" content="https://news.example/a.jpg">'
        )
        assert parse_page(html, BASE).image == "https://news.example/a.jpg"


class TestPhotoProblem:
    """photo_problem: the bytes Telegram takes as an uploaded photo."""

    @pytest.mark.parametrize("kind", ["JPEG", "PNG", "GIF", "WEBP"])
    def test_photos_pass(self, kind: str) -> None:
        """A JPEG, PNG, GIF or WebP of ordinary size is a photo."""
        assert photo_problem(picture(kind)) is None

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            pytest.param(b"", "empty", id="empty"),
            pytest.param(b"<!doctype html><p>Not found</p>", "not a JPEG", id="html"),
            pytest.param(b"\x89PNG\r\n\x1a\nbroken", "PNG", id="broken-png"),
            pytest.param(picture("PNG", 2100, 100), "20 times", id="ratio"),
            pytest.param(b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BYTES, "limit", id="too-large"),
        ],
    )  # fmt: skip
    def test_problems(self, data: bytes, words: str) -> None:
        """Bytes Telegram would refuse are named with the reason."""
        problem = photo_problem(data)
        assert problem is not None
        assert words in problem
