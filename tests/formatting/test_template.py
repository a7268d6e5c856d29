"""Post templates: compiled in Jinja's sandbox, refused with line and reason, bounded, fitted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.errors import NewsbotError, TemplateError
from bot.formatting.post import CAPTION_LIMIT, MESSAGE_LIMIT, READ_MORE, Post, render_post
from bot.formatting.telegram_html import parse_telegram_html
from bot.formatting.template import PostTemplate, TemplateFields

LINK = "https://news.example/a"
IMAGE = "https://img.news.example/a.jpg"
SIMPLE = (
    "<b>{{ title }}</b>\n\n{{ summary }}\n"
    '{% if link %}\n<a href="{{ link }}">{{ read_more }}</a>{% endif %}'
)


def assert_valid(post: Post) -> None:
    """``post`` parses as Telegram HTML, shows ``post.text`` and fits its limit."""
    assert parse_telegram_html(post.html, strict=True).text == post.text
    assert post.text.strip()
    assert len(post.text) <= (CAPTION_LIMIT if post.image else MESSAGE_LIMIT)


class TestCompile:
    """Valid templates compile; each kind of bad one is refused with its line and reason."""

    @pytest.mark.parametrize(
        "source",
        [
            pytest.param(SIMPLE, id="simple"),
            pytest.param("<i>{{ feed }}</i> {{ title|upper }}", id="filters"),
            pytest.param("{{ title }}{% for tag in hashtags %} {{ tag }}{% endfor %}", id="loop"),
            pytest.param("{{ title }} {{ published|date('%d %b %Y') }}", id="date"),
            pytest.param("{{ title }}{% if image %} (photo){% endif %}", id="image-test"),
            pytest.param("<blockquote>{{ summary|truncate(80) }}</blockquote>{{ title }}",
                         id="blockquote"),
            pytest.param("{{ title }}{% for t in hashtags %}\n{{ loop.index }}/{{ loop.length }}"
                         "{{ loop.index0 }}{% if loop.first %}^{% endif %}{% if loop.last %}$"
                         "{% endif %} {{ t }}{% endfor %}", id="loop-attributes"),
            pytest.param("{% for t in hashtags %}{% for i in range(loop.index) %}{{ t }}"
                         "{% endfor %}{% endfor %}{{ title }}", id="loop-in-inner-iter"),
            pytest.param("{{ title }} {{ hashtags[0] }} {{ hashtags[-1] }}", id="hashtags-index"),
            pytest.param("{% for i in range(3) %}{{ i }}{% endfor %}{{ title }}", id="range"),
        ],
    )  # fmt: skip
    def test_valid(self, source: str) -> None:
        """A template within the rules compiles."""
        assert PostTemplate.compile(source).source == source

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            pytest.param("<b>{{ title }</b>", "line 1: unexpected '}'", id="syntax"),
            pytest.param("<b>{{ title }}</b>\n\n{% if link %}",
                         "line 3: Unexpected end of template", id="unclosed-block"),
            pytest.param("{{ title }}\n{{ titel }}", "line 2: unknown field 'titel'",
                         id="unknown-field"),
            pytest.param("{{ title|safe }}", "line 1: unknown filter 'safe'", id="safe-refused"),
            pytest.param("<p>{{ title }}</p>",
                         'line 1: the post is not valid Telegram HTML: Unsupported start tag "p" '
                         "at byte offset 0", id="not-telegram-html"),
            pytest.param("{{ title }}\n<b>{{ summary }}",
                         "line 2: the post is not valid Telegram HTML: Can't find end tag",
                         id="unclosed-tag"),
            pytest.param('<a href="{{ link }}">{{ title }}</a>', "(for without a link: link is "
                         "empty for an article without a link; wrap the tag in {% if link %}…"
                         "{% endif %})", id="fails-only-without-link"),
            pytest.param('{{ title }}<a href="{{ image }}">x</a>', "(for without a picture: "
                         "image is empty for an article without a picture; wrap the tag in "
                         "{% if image %}…{% endif %})", id="fails-only-without-picture"),
            pytest.param("{% set x = 1 %}{{ title }}", "line 1: {% set %} is not allowed",
                         id="set"),
            pytest.param("{% autoescape false %}{{ title }}{% endautoescape %}",
                         "line 1: {% autoescape %} is not allowed", id="autoescape"),
            pytest.param("{% include 'x' %}", "line 1: {% include %} is not allowed", id="include"),
            pytest.param("{{ title.upper() }}", "line 1: calling functions or methods",
                         id="method-call"),
            pytest.param("{{ title.__class__ }}", "line 1: attribute access ('.__class__') is "
                         "not allowed", id="dunder"),
            pytest.param("{{ title }}\n{{ self }}", "line 2: unknown field 'self'", id="self"),
            pytest.param("{{ varargs }}", "line 1: unknown field 'varargs'", id="varargs"),
            pytest.param("{{ kwargs }}", "line 1: unknown field 'kwargs'", id="kwargs"),
            pytest.param("{{ caller }}", "line 1: unknown field 'caller'", id="caller"),
            pytest.param("{{ title }}{{ range }}", "line 1: range is only usable called",
                         id="range-uncalled"),
            pytest.param("{{ title }}\n{{ loop.index }}",
                         "line 2: 'loop' is only usable inside {% for %}", id="loop-outside-for"),
            pytest.param("{% for t in hashtags %}{% else %}{{ loop.index }}{% endfor %}",
                         "'loop' is only usable inside {% for %}", id="loop-in-for-else"),
            pytest.param("{% for t in hashtags if loop.first %}{{ t }}{% endfor %}",
                         "'loop' is only usable inside {% for %}", id="loop-in-for-if"),
            pytest.param("{% for t in hashtags %}{{ loop }}{% endfor %}",
                         "line 1: of 'loop' a template may use only loop.index", id="bare-loop"),
            pytest.param("{% for t in hashtags %}{{ loop.cycle }}{% endfor %}",
                         "line 1: of 'loop' a template may use only", id="loop-other-attribute"),
            pytest.param("{% for loop in hashtags %}{% endfor %}",
                         "line 1: a {% for %} variable may not be called 'loop'",
                         id="loop-as-for-variable"),
            pytest.param("{% for title in hashtags %}{{ title }}{% endfor %}",
                         "a {% for %} variable may not be called 'title'", id="for-hides-field"),
            pytest.param("{{ title }}\n\n{{ title.format }}",
                         "line 3: attribute access ('.format') is not allowed", id="method-repr"),
            pytest.param("{% for t in hashtags %}{{ t.upper }}{% endfor %}",
                         "line 1: attribute access ('.upper')", id="for-variable-attribute"),
            pytest.param("{{ title }}{{ range(3).start }}", "attribute access ('.start')",
                         id="range-attribute"),
            pytest.param("{{ title['format'] }}", "line 1: item access ('[…]') is not allowed",
                         id="item-by-name"),
            pytest.param("{{ hashtags['pop'] }}", "item access", id="hashtags-by-name"),
            pytest.param("{{ title[0] }}", "item access", id="text-index"),
            pytest.param("{{ summary[:80] }}", "item access", id="slice"),
            pytest.param("{% for i in range(2) %}{{ hashtags[i] }}{% endfor %}", "item access",
                         id="hashtags-variable-index"),
            pytest.param("{{ 'x' * 10**9 }}", "line 1: '*' would make more than", id="big-string"),
            pytest.param("{% for i in range(10**9) %}x{% endfor %}",
                         "line 1: range() may give at most", id="big-range"),
            pytest.param("{{ title }}{% for i in range(1000) %}{% for j in range(1000) %}"
                         "{% endfor %}{% endfor %}", "too much work", id="nested-loops"),
            pytest.param("{{ '%999999999s' % title }}", "'%' is not allowed", id="percent-format"),
            pytest.param("{{ title|replace('', summary)|replace('', summary)|replace('', title) }}",
                         "replace() would make more than", id="replace-bomb"),
            pytest.param("{% for i in range(200) %}{{ summary }}{% endfor %}",
                         "the post of a short article has", id="too-long-for-short-article"),
            pytest.param("", "line 1: the post has no visible text", id="empty"),
            pytest.param("\u3164", "line 1: the post has no visible text (only U+3164, which "
                         "Telegram deletes or draws as nothing)", id="hangul-filler"),
            pytest.param("\u202e{% if link %}\u2066{% endif %}", "(only U+2066",
                         id="bidi-controls"),
            pytest.param("\ufe0f\u034f\u2800", "no visible text", id="ignorable-and-blank"),
            pytest.param("{{ title }} {{ published.year }}", "attribute access ('.year')",
                         id="published-attribute"),
            pytest.param("{{ title }}{{ hashtags[2] }}", "line 1: list object has no element 2",
                         id="index-past-the-hashtags"),
        ],
    )  # fmt: skip
    def test_refused(self, source: str, message: str) -> None:
        """Each bad template raises TemplateError whose message has the line and the reason."""
        with pytest.raises(TemplateError) as caught:
            PostTemplate.compile(source)
        assert message in str(caught.value)
        assert str(caught.value).startswith("line ")
        assert isinstance(caught.value, NewsbotError)


class TestRender:
    """Rendering escapes fields once and is bounded."""

    def test_loop_attributes(self) -> None:
        """loop.index and the like render their numbers and flags inside a for."""
        template = PostTemplate.compile(
            "{{ title }}{% for t in hashtags %} {{ loop.index }}/{{ loop.length }}"
            "{% if loop.last %}.{% endif %}{% endfor %} {{ hashtags[-1] }}"
        )
        fields = TemplateFields("T", "", None, None, hashtags=("#A", "#B"))
        assert template.render(fields) == "T 1/2 2/2. #B"

    def test_fields_are_escaped_once(self) -> None:
        """Plain-text fields are escaped by autoescape; the link's '&' becomes '&amp;'."""
        html = PostTemplate.compile(SIMPLE).render(
            TemplateFields(title="a < b & c", summary="x", link="https://e.x/?a=1&b=2", image=None)
        )
        assert "<b>a &lt; b &amp; c</b>" in html
        assert 'href="https://e.x/?a=1&amp;b=2"' in html

    def test_date_filter(self) -> None:
        """published|date formats the article's time; no date gives an empty string."""
        template = PostTemplate.compile("{{ title }} {{ published|date('%Y-%m-%d') }}")
        when = datetime(2024, 5, 1, tzinfo=UTC)
        fields = TemplateFields(title="T", summary="", link=None, image=None, published=when)
        assert template.render(fields) == "T 2024-05-01"
        assert template.render(TemplateFields("T", "", None, None)) == "T "


class TestRenderPostWithTemplate:
    """render_post with a template: checked, fitted, and never a broken post."""

    def test_template_replaces_the_layout(self) -> None:
        """The editor's layout is used, with the label in the article's language."""
        template = PostTemplate.compile("<i>{{ feed }}</i> {{ title }}\n{{ read_more }}")
        post = render_post("भारत जीता", "भारत ने फाइनल जीता।", LINK, template=template, feed="F")
        assert post.html == f"<i>F</i> भारत जीता\n{READ_MORE['hi']}"
        assert_valid(post)

    @pytest.mark.parametrize(
        ("image", "limit"),
        [pytest.param(IMAGE, CAPTION_LIMIT, id="caption"), pytest.param(None, MESSAGE_LIMIT,
                                                                        id="message")],
    )  # fmt: skip
    def test_long_summary_is_shortened_to_fit(self, image: str | None, limit: int) -> None:
        """A post too long for its limit is rendered again with a shorter summary."""
        template = PostTemplate.compile(SIMPLE + "\n{{ summary }}")  # the summary twice
        summary = "Words of a long sentence. " * 400
        post = render_post("Title", summary, LINK, image, summary_limit=10_000, template=template)
        assert len(post.text) <= limit
        assert post.summary
        assert post.text.count(post.summary) == 2
        assert_valid(post)

    def test_falls_back_to_own_layout_once_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """A template that cannot fit an article gives newsbot's own layout, logged once."""
        template = PostTemplate.compile("{{ title }} {{ title }} {{ title }} {{ title }}")
        title = "Endless headline " * 60
        with caplog.at_level(logging.WARNING, logger="bot.formatting.post"):
            first = render_post(title, "", LINK, IMAGE, template=template)
            second = render_post(title, "", LINK, IMAGE, template=template)
        assert first.html.startswith("<b>")
        assert first == second
        assert len([r for r in caplog.records if "post template failed" in r.message]) == 1
        assert_valid(first)

    @pytest.mark.parametrize(
        "source",
        [
            "<b>{{ title }}</b>\n<blockquote expandable>{{ summary }}</blockquote>",
            "<b>{{ title }}</b>\n\n{{ summary }}\n\n",
            "<i>{{ title }} \n</i>{{ summary }}\u202e",
        ],
    )
    def test_text_is_what_telegram_shows(self, source: str) -> None:
        """Whitespace at the ends, inside tags too, and what Telegram deletes leave the post."""
        post = render_post("Rain", "", None, template=PostTemplate.compile(source))
        assert post.text == "Rain"
        assert parse_telegram_html(post.html).text == "Rain"

    def test_render_error_falls_back(self) -> None:
        """A template that fails at render time for an article (StrictUndefined) falls back."""
        template = PostTemplate.compile("{{ title }}{{ hashtags[0] if hashtags else '' }}")
        post = render_post("Title", "Summary.", LINK, template=template, hashtags=["#A"])
        assert post.text == "Title#A"
        assert_valid(post)
