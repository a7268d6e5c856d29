"""Pure formatting: feed HTML to plain text, plain text to a short summary, article to post.

No I/O here: every function takes strings and returns values, and is tested from tables of
cases. ``html_text`` reads HTML with a real parser, ``condense`` picks whole sentences, and
``post`` builds Telegram-safe HTML within Telegram's length limits.
"""

from bot.formatting.condense import condense, split_sentences, truncate
from bot.formatting.hashtags import hashtags, normalize_tag
from bot.formatting.headline import clean_headline, split_headline
from bot.formatting.html_text import (
    absolute_http_url,
    clean_line,
    html_to_text,
    lenient_plain_text,
    plain_text,
)
from bot.formatting.language import detect_language
from bot.formatting.lead import clean_lead, drop_repeated_title
from bot.formatting.post import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    POST_STYLES,
    Post,
    PostOptions,
    PostStyle,
    read_more_label,
    render_article,
    render_post,
)
from bot.formatting.template import PostTemplate, TemplateFields
from bot.formatting.utm import add_utm

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "POST_STYLES",
    "Post",
    "PostOptions",
    "PostStyle",
    "PostTemplate",
    "TemplateFields",
    "absolute_http_url",
    "add_utm",
    "clean_headline",
    "clean_lead",
    "clean_line",
    "condense",
    "detect_language",
    "drop_repeated_title",
    "hashtags",
    "html_to_text",
    "lenient_plain_text",
    "normalize_tag",
    "plain_text",
    "read_more_label",
    "render_article",
    "render_post",
    "split_headline",
    "split_sentences",
    "truncate",
]
