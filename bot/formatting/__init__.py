"""Pure formatting: feed HTML to plain text, plain text to a short summary, article to post.

No I/O here: every function takes strings and returns values, and is tested from tables of
cases. ``html_text`` reads HTML with a real parser, ``condense`` picks whole sentences, and
``post`` builds Telegram-safe HTML within Telegram's length limits.
"""

from bot.formatting.condense import condense, split_sentences, truncate
from bot.formatting.html_text import (
    absolute_http_url,
    clean_line,
    html_to_text,
    image_urls,
    plain_text,
)
from bot.formatting.post import CAPTION_LIMIT, MESSAGE_LIMIT, Post, read_more_label, render_post

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "Post",
    "absolute_http_url",
    "clean_line",
    "condense",
    "html_to_text",
    "image_urls",
    "plain_text",
    "read_more_label",
    "render_post",
    "split_sentences",
    "truncate",
]
