"""One article as one Telegram post: Telegram-safe HTML built from plain-text parts.

>>> post = render_post("Rain & wind", "Storms hit the coast. More tomorrow.", "https://ex.com/a")
>>> print(post.html)
<b>Rain &amp; wind</b>
<BLANKLINE>
Storms hit the coast. More tomorrow.
<BLANKLINE>
<a href="https://ex.com/a">Read more</a>

Every part is plain text until the very end, where it is escaped exactly once, so the HTML is
always valid for ``parse_mode=HTML`` and no cut can fall inside a tag or an entity. ``text`` is
what Telegram shows once it has parsed the HTML, and ``len(text)`` is what it counts against its
limits: 1024 code points for a photo caption, 4096 for a message.

A post has a style (:data:`PostStyle`, the ``POST_STYLE`` setting): ``photo`` sends the picture
with the post as its caption (1024), ``preview`` a message (4096) whose link Telegram shows with
its large preview, ``text`` a message without picture or preview. ``photo`` for an article
without a usable picture is a ``preview`` (``text`` without a link either). Hashtags come on
their own line before the link; the link's label is in the article's language
(:func:`bot.formatting.language.detect_language` of the summary, else the title), in the words
of :attr:`PostOptions.labels` (the gettext catalogues' ``posts`` domain when the settings make
the options, :func:`builtin_labels` otherwise: formatting itself reads no catalogue). An editor's
:class:`~bot.formatting.template.PostTemplate` replaces the layout; its post is checked and
fitted (a shorter summary, down to none), and newsbot's own layout stands in for a template
that fails for an article.

:func:`render_article` is the one way an article becomes its post (storage, ``newsbot preview``
and an editor's /preview use it): :class:`PostOptions` (from the settings) decide the style, the
hashtags, UTM parameters and the global template.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal, get_args
from urllib.parse import quote, urlsplit

from bot.article import ArticleDraft
from bot.errors import TemplateError
from bot.formatting.condense import ELLIPSIS, condense, truncate
from bot.formatting.hashtags import hashtags as make_hashtags
from bot.formatting.headline import split_headline
from bot.formatting.html_text import absolute_http_url, clean_line
from bot.formatting.language import detect_language
from bot.formatting.lead import drop_repeated_title
from bot.formatting.telegram_html import (
    TelegramHTMLError,
    clean_input_text,
    parse_telegram_html,
    shown_html,
    visible,
)
from bot.formatting.template import PostTemplate, TemplateFields
from bot.formatting.utm import add_utm, channel_campaign

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "POST_STYLES",
    "READ_MORE",
    "SUMMARY_LIMIT",
    "UNTITLED",
    "LabelsFor",
    "Post",
    "PostLabels",
    "PostOptions",
    "PostStyle",
    "builtin_labels",
    "read_more_label",
    "render_article",
    "render_post",
]

log = logging.getLogger(__name__)

#: How a post is sent: a photo with caption, a message with the link's large preview, or text.
PostStyle = Literal["photo", "preview", "text"]
POST_STYLES: Final[tuple[PostStyle, ...]] = get_args(PostStyle)

#: Telegram's limits, in code points of the visible text.
CAPTION_LIMIT: Final = 1024
MESSAGE_LIMIT: Final = 4096

#: The summary's length by default, in code points (whole sentences within it).
SUMMARY_LIMIT: Final = 350
#: Longest title made from the start of the summary when the article has none.
FALLBACK_TITLE_LIMIT: Final = 120
#: Below this much room a summary is not worth a paragraph, and is left out.
MIN_SUMMARY_ROOM: Final = 40
#: The title when an article has no title, no summary and no usable link (built-in wording;
#: the catalogues' ``posts`` domain has it too, and :attr:`PostOptions.labels` decides).
UNTITLED: Final = "(untitled)"

#: The link's label by language (:func:`bot.formatting.language.detect_language`); English for
#: any other. The built-in wordings, the same as the catalogues' ``posts`` domain
#: (``bot/i18n/locales/<lang>/LC_MESSAGES/posts.po``), which the running bot uses.
READ_MORE: Final[dict[str, str]] = {
    "en": "Read more",
    "hi": "पूरी खबर पढ़ें",
    "ur": "مزید پڑھیں",
    "bn": "আরও পড়ুন",
    "zh": "阅读全文",
    "ja": "続きを読む",
}
#: Tries of a template with a shorter summary before newsbot's own layout stands in.
_TEMPLATE_TRIES: Final = 8
_PARAGRAPH: Final = "\n\n"


@dataclass(frozen=True, slots=True)
class PostLabels:
    """The words newsbot itself puts in a post, in one language: the link's label and the
    title of an article that has none."""

    read_more: str
    untitled: str


#: The words of a post in a language (a code of :func:`detect_language`, or None: unknown).
LabelsFor = Callable[[str | None], PostLabels]


def builtin_labels(language: str | None) -> PostLabels:
    """The built-in words in ``language`` (:data:`READ_MORE`, :data:`UNTITLED`), English for
    any other; :func:`bot.i18n.post_labels` gives the catalogues' instead."""
    return PostLabels(read_more=label_in(language), untitled=UNTITLED)


@dataclass(frozen=True, slots=True)
class Post:
    """A rendered post.

    ``html`` is sent with ``parse_mode=HTML``; ``text`` is the visible text exactly as Telegram
    displays it (``len(text)`` is what Telegram counts); ``image`` is an absolute http(s) URL
    to send the post as a photo with ``html`` as its caption, or ``None`` for a text message.
    ``summary`` is the condensed summary as shown (plain text, ``""`` when there is none).
    """

    html: str
    text: str
    image: str | None
    summary: str = ""
    #: what the post is: ``photo`` (``image`` with ``html`` as caption), ``preview`` (a message
    #: whose ``link`` Telegram previews large) or ``text`` (no picture, no preview).
    style: PostStyle = "text"
    #: the link as posted (UTM parameters included), or None.
    link: str | None = None
    #: the article's language as detected (``en``, ``hi``…), or None.
    language: str | None = None
    #: the hashtags shown (``#Tag``).
    hashtags: tuple[str, ...] = ()

    @property
    def method(self) -> str:
        """The Bot API method that sends it: ``sendPhoto`` or ``sendMessage``."""
        return "sendPhoto" if self.image else "sendMessage"


def article_language(title: str, summary: str) -> str | None:
    """The article's language: its summary's (:func:`detect_language`), else its title's."""
    return detect_language(summary) or detect_language(title)


def read_more_label(text: str, fallback: str = "", labels: LabelsFor | None = None) -> str:
    """The link's label in the language of ``text``, else of ``fallback``, from ``labels``
    (:func:`builtin_labels` by default: :data:`READ_MORE`).

    Devanagari → "पूरी खबर पढ़ें", Arabic script (Urdu) → "مزید پڑھیں", Bengali → "আরও পড়ুন",
    Chinese → "阅读全文", Japanese → "続きを読む", anything else → "Read more". A text without
    letters (``"2024"``) is decided by ``fallback``.
    """
    language = detect_language(text) or detect_language(fallback)
    return (labels or builtin_labels)(language).read_more


def label_in(language: str | None) -> str:
    """The "Read more" label in ``language`` (:data:`READ_MORE`), English for any other."""
    return READ_MORE.get(language or "en", READ_MORE["en"])


def _safe_link(link: str | None) -> str | None:
    """``link`` if it is an absolute http(s) URL, with spaces and invisibles percent-encoded.

    Lone surrogates (no character, so no UTF-8 to encode) are dropped.
    """
    if not link:
        return None
    encoded = "".join(
        char if char.isprintable() and not char.isspace() else quote(char)
        for char in link.strip()
        if not "\ud800" <= char <= "\udfff"
    )
    return absolute_http_url(encoded)


def _drop_repeated_title(title: str, summary: str) -> str:
    """``summary`` without a leading repetition of ``title``.

    The title is repeated when the summary is the title, or starts with it followed by a
    sentence or clause mark (``Title: rest``, ``Title. Rest``) or a line break (``Title\\nRest``);
    after a title that ends in such a mark itself (``What now?``), a space is enough. A summary
    that merely starts with the title's words (``Apple, the iPhone maker, …``) is kept whole.
    A first line or sentence equal to the title ignoring case and punctuation is a repetition
    too (:func:`bot.formatting.lead.drop_repeated_title`). ``summary`` has its line breaks; the
    result keeps them, one line per non-blank line, so that :func:`condense` ends a sentence at
    each (a heading never runs into the paragraph after it).
    """
    lines = "\n".join(line for line in map(clean_line, summary.splitlines()) if line)
    if title.endswith(ELLIPSIS):  # a cut title is never taken for a repetition
        return lines
    return drop_repeated_title(lines, title)


def _fallback_title(summary: str, link: str | None, untitled: str) -> tuple[str, str]:
    """The title of an article without one, and what is left of the summary after it.

    The summary's first sentence as a headline (:func:`~bot.formatting.headline.split_headline`,
    cut to :data:`FALLBACK_TITLE_LIMIT`) and the rest of the summary; else the link's host,
    else ``untitled`` (:attr:`PostLabels.untitled`), and the summary unchanged. A summary with
    nothing visible in it (``"\u200c"``, ``"\u3164"``: see
    :func:`~bot.formatting.telegram_html.visible`) gives no title.
    """
    if visible(summary):
        return split_headline(summary, limit=FALLBACK_TITLE_LIMIT)
    if link:
        host = urlsplit(link).hostname
        if host:
            return host, summary
    return untitled, summary


def render_post(
    title: str,
    summary: str,
    link: str | None,
    image: str | None = None,
    *,
    summary_limit: int = SUMMARY_LIMIT,
    style: PostStyle = "photo",
    hashtags: Sequence[str] = (),
    template: PostTemplate | None = None,
    feed: str = "",
    section: str = "",
    published: datetime | None = None,
    labels: LabelsFor | None = None,
) -> Post:
    """The post for one article: bold title, condensed summary, hashtags, localized link.

    ``title`` and ``summary`` are plain text (not HTML). Only http(s) ``link`` and ``image``
    URLs are used. ``style`` is what is asked for; the post's own ``style`` says what it is
    (``photo`` needs a usable ``image``). The visible text fits Telegram's limit (1024 for a
    photo's caption, 4096 for a message): the summary is condensed further first, then the
    hashtags go, then the title is cut at a word boundary with ``…``. A summary that repeats the
    title loses the repetition; a title with nothing visible (empty, or only characters Telegram
    deletes or draws as nothing: :func:`~bot.formatting.telegram_html.visible`) falls back to the
    summary's first sentence (the summary then goes on after it), else the link's host; a summary
    with nothing visible is left out. ``hashtags`` are shown as they are
    (``#`` added when missing). With ``template`` the editor's layout is used (``feed``,
    ``section`` and ``published`` are its fields), fitted the same way, and newsbot's own
    layout when it fails for this article. ``labels`` gives the link's label in the article's
    language and the title of an article with nothing to make one from (the words of an
    unknown language: ``labels(None)``); :func:`builtin_labels` by default. The result always
    has visible text, and ``text`` is
    what Telegram shows: nothing that tdlib's cleaning changes, nothing for it to trim.
    """
    if style not in POST_STYLES:
        raise ValueError(f"style must be one of {', '.join(POST_STYLES)}, not {style!r}")
    words = labels or builtin_labels
    link = _safe_link(link)
    image = absolute_http_url(image)
    kind: PostStyle
    if style == "photo" and image:
        kind = "photo"
    elif style == "text" or link is None:
        kind = "text"
    else:
        kind = "preview"
    photo = image if kind == "photo" else None
    limit = CAPTION_LIMIT if photo else MESSAGE_LIMIT

    # Cleaned as Telegram cleans a message (clean_line first may join LRM marks into a run).
    title = clean_input_text(clean_line(title))
    if visible(title):
        summary = _drop_repeated_title(title, summary)
    else:
        title, summary = _fallback_title(clean_line(summary), link, words(None).untitled)
    summary = clean_input_text(summary) if visible(summary) else ""
    language = article_language(title, summary)
    label = words(language).read_more
    tags = tuple(
        dict.fromkeys(
            "#" + tag
            for tag in (clean_input_text(clean_line(tag)).removeprefix("#") for tag in hashtags)
            if visible(tag.strip("#"))
        )
    )
    post = Post(html="", text="", image=photo, style=kind, link=link, language=language)

    if template is not None:
        fields = TemplateFields(
            title=title,
            summary=summary,
            link=link,
            image=photo,
            feed=feed,
            section=section,
            hashtags=tags,
            published=published,
            read_more=label,
        )
        fitted = _fit_template(template, fields, post, limit=limit, summary_limit=summary_limit)
        if fitted is not None:
            return fitted

    tag_line = " ".join(tags)
    tail = (len(_PARAGRAPH + label) if link else 0) + (len(_PARAGRAPH + tag_line) if tags else 0)
    if tags and len(title) + tail > limit:
        tags, tag_line = (), ""
        tail = len(_PARAGRAPH + label) if link else 0
    if len(title) + tail > limit:
        title = truncate(title, limit - tail)
        summary = ""
    room = limit - tail - len(title) - len(_PARAGRAPH)
    if summary_limit < 1 or room < MIN_SUMMARY_ROOM:
        summary = ""
    elif summary:
        summary = condense(summary, min(summary_limit, room))

    text_parts = [title]
    html_parts = [f"<b>{html.escape(title, quote=False)}</b>"]
    if summary:
        text_parts.append(summary)
        html_parts.append(html.escape(summary, quote=False))
    if tags:
        text_parts.append(tag_line)
        html_parts.append(html.escape(tag_line, quote=False))
    if link:
        text_parts.append(label)
        html_parts.append(
            f'<a href="{html.escape(link, quote=True)}">{html.escape(label, quote=False)}</a>'
        )
    return replace(
        post,
        html=_PARAGRAPH.join(html_parts),
        text=_PARAGRAPH.join(text_parts),
        summary=summary,
        hashtags=tags,
    )


#: Template sources whose failure was logged (each is logged once).
_FAILED_TEMPLATES: set[str] = set()


def _template_failed(template: PostTemplate, reason: str) -> None:
    if template.source in _FAILED_TEMPLATES:
        return
    if len(_FAILED_TEMPLATES) > 1000:
        _FAILED_TEMPLATES.clear()
    _FAILED_TEMPLATES.add(template.source)
    log.warning(
        "post template failed; newsbot's own layout used template=%r error=%r",
        template.source[:80],
        reason,
    )


def _fit_template(
    template: PostTemplate, fields: TemplateFields, post: Post, *, limit: int, summary_limit: int
) -> Post | None:
    """The template's post for ``fields`` within ``limit`` (the summary shortened as needed,
    down to none), or None when it fails or cannot fit (logged once per template)."""
    summary = fields.summary
    summary = condense(summary, min(summary_limit, limit)) if summary_limit >= 1 else ""
    reason = ""
    for _ in range(_TEMPLATE_TRIES):
        try:
            markup = shown_html(template.render(replace(fields, summary=summary)).strip())
            text = parse_telegram_html(markup, strict=True).text
        except TemplateError as exc:
            reason = str(exc)
            break
        except TelegramHTMLError as exc:
            reason = f"the post is not valid Telegram HTML: {exc.message}"
            break
        if visible(text) and len(text) <= limit:
            return replace(post, html=markup, text=text, summary=summary, hashtags=fields.hashtags)
        if not visible(text):
            reason = "the post has no visible text"
            break
        reason = f"the post has {len(text)} characters, more than {limit}"
        if not summary:
            break
        shorter = len(summary) - (len(text) - limit) - 1
        if shorter < MIN_SUMMARY_ROOM:  # the summary is shown more than once: halve it
            shorter = len(summary) // 2
        shortened = condense(summary, shorter) if shorter >= MIN_SUMMARY_ROOM else ""
        summary = shortened if len(shortened) < len(summary) else ""
    _template_failed(template, reason)
    return None


@dataclass(frozen=True, slots=True)
class PostOptions:
    """How articles become posts, from the settings::

        PostOptions(style="preview", hashtags_max=3, utm_source="newsbot", channel="@revoi_en")

    ``style`` is POST_STYLE, ``hashtags_max`` HASHTAGS_MAX (0: none), ``utm_source`` UTM_SOURCE
    (None: links as they are), ``template`` POST_TEMPLATE compiled (a feed's own template comes
    first), ``channel`` TELEGRAM_CHANNEL (its name is the channel posts' UTM campaign).
    ``labels`` gives the words newsbot puts in a post by language: :func:`builtin_labels`
    unless the settings pass :func:`bot.i18n.post_labels` (the catalogues).
    """

    style: PostStyle = "photo"
    hashtags_max: int = 3
    utm_source: str | None = None
    template: PostTemplate | None = None
    channel: str | None = None
    summary_limit: int = SUMMARY_LIMIT
    labels: LabelsFor = builtin_labels


def render_article(
    draft: ArticleDraft,
    options: PostOptions | None = None,
    *,
    campaign: str | None = None,
    feed: str = "",
    section: str = "",
    template: PostTemplate | None = None,
) -> Post:
    """The post ``draft`` makes under ``options``: for the channel (``campaign`` None: the
    channel's name) or for readers' chats (``campaign="dm"``). ``template`` is the feed's own,
    else ``options.template``; ``feed`` and ``section`` are the feed's title and section."""
    options = options or PostOptions()
    link = draft.link
    if link and options.utm_source:
        link = add_utm(
            link,
            source=options.utm_source,
            campaign=campaign if campaign is not None else channel_campaign(options.channel),
        )
    return render_post(
        draft.title,
        draft.summary,
        link,
        draft.image,
        summary_limit=options.summary_limit,
        style=options.style,
        hashtags=make_hashtags(draft.categories, options.hashtags_max),
        template=template or options.template,
        feed=feed,
        section=section,
        published=draft.published,
        labels=options.labels,
    )
