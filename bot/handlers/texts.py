"""What the bot says: every reply in one place, as Telegram HTML (escaped where it takes input)."""

from __future__ import annotations

from html import escape

from bot.links import redact_url

COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Welcome and what this bot does"),
    ("subscribe", "Get each new article here"),
    ("unsubscribe", "Stop getting articles"),
    ("help", "What the bot can do"),
)

SUBSCRIBE_BUTTON = "Subscribe"
SUBSCRIBE_CALLBACK = "subscribe"


def welcome(first_name: str | None, subscribed: bool) -> str:
    name = f", {escape(first_name)}" if first_name else ""
    if subscribed:
        return (
            f"Welcome back{name}! You are subscribed: new articles arrive here.\n"
            "/unsubscribe stops them at any time."
        )
    return (
        f"Hello{name}! I bring you our newsroom's articles as they are published.\n\n"
        "Tap <b>Subscribe</b> or send /subscribe to get each new article here; "
        "/unsubscribe stops them at any time."
    )


SUBSCRIBED = (
    "You are subscribed. Each new article will arrive here.\n/unsubscribe stops them at any time."
)
ALREADY_SUBSCRIBED = "You are already subscribed. /unsubscribe stops the articles."
UNSUBSCRIBED = "Done: you will get no more articles. /subscribe brings them back."
NOT_SUBSCRIBED = "You were not subscribed, so nothing changes. /subscribe starts the articles."

HELP = (
    "<b>What I do</b>\n"
    "I send you each new article of our newsroom as soon as it is published.\n\n"
    "/subscribe - get each new article here\n"
    "/unsubscribe - stop getting articles\n"
    "/help - this message"
)
EDITOR_HELP = (
    "\n\n<b>For editors</b>\n"
    "/preview URL - see the post the article at URL would make (sent to you only)\n"
    "/push URL - send the article at URL to the channel and every subscriber now"
)
UNKNOWN = "I only understand commands. /help lists them."

EDITORS_ONLY = "Sorry, only the newsroom's editors can do that."
ERROR = "Sorry, something went wrong on our side. Please try again in a moment."


def pushed(title: str, deliveries: int, channel: str | None) -> str:
    where = f"{escape(channel)} and " if channel else ""
    readers = deliveries - (1 if channel else 0)
    return f"Pushed <b>{escape(title)}</b> to {where}{readers} reader(s)."


def usage(command: str) -> str:
    return f"Usage: /{command} URL, e.g. /{command} https://example.com/news/article.html"


def preview_failed(reason: str) -> str:
    return f"No preview: {escape(reason)}"


def push_failed(reason: str) -> str:
    return f"Not pushed: {escape(reason)}"


def feed_paused(feed_id: int, url: str, failures: int, kind: str | None, error: str | None) -> str:
    """An editor's alert: a feed failed too often in a row and is paused."""
    return (
        f"⚠️ <b>Feed {feed_id} is paused</b> after {failures} failed polls in a row.\n"
        f"{escape(redact_url(url))}\n\n"
        f"Last error ({escape(kind or 'unknown')}): {escape(error or 'unknown')}\n\n"
        f"Once it is fixed, resume it with <code>newsbot feeds resume {feed_id}</code>."
    )
