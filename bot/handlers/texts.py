"""What the bot says: every reply in one place, as Telegram HTML (escaped where it takes input),
in the reader's language (:mod:`bot.i18n`): each text takes the :class:`~bot.i18n.Translator`.

The English msgids are the catalogues' keys; ``make messages`` extracts them from here.
"""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.links import redact_url

SUBSCRIBE_CALLBACK = "subscribe"
#: The Undo button under "you are subscribed" after a /start from a campaign link.
UNDO_CALLBACK = "undo-subscribe"
#: ``language:<code>``: a button of the /language keyboard.
LANGUAGE_CALLBACK = "language"


def commands(t: Translator) -> tuple[tuple[str, str], ...]:
    """The command menu: (command, description)."""
    return (
        ("start", t.gettext("Welcome and what this bot does")),
        ("subscribe", t.gettext("Get each new article here")),
        ("unsubscribe", t.gettext("Stop getting articles")),
        ("latest", t.gettext("The last five articles")),
        ("language", t.gettext("Choose the bot's language")),
        ("help", t.gettext("What the bot can do")),
    )


def command_list(t: Translator) -> str:
    """The answer to a /command the bot does not know: the menu, in the reader's language."""
    lines = [f"/{name} - {escape(text)}" for name, text in commands(t)]
    return (
        t.gettext("I do not know that command. These are the ones I know:")
        + "\n\n"
        + ("\n".join(lines))
    )


def subscribe_button(t: Translator) -> str:
    return t.gettext("Subscribe")


def language_button(t: Translator) -> str:
    # TRANSLATORS: the button that opens the language choice; keep the globe.
    return t.gettext("🌐 Language")


def _name(first_name: str | None) -> str:
    return f", {escape(first_name)}" if first_name else ""


def welcome(t: Translator, first_name: str | None, subscribed: bool) -> str:
    # TRANSLATORS: {name} is empty or ", Asha" (a comma and the reader's first name).
    if subscribed:
        return t.gettext(
            "Welcome back{name}! You are subscribed: new articles arrive here.\n"
            "/unsubscribe stops them at any time.",
            name=_name(first_name),
        )
    return t.gettext(
        "Hello{name}! I bring you our newsroom's articles as they are published.\n\n"
        "Tap <b>Subscribe</b> or send /subscribe to get each new article here; "
        "/unsubscribe stops them at any time.",
        name=_name(first_name),
    )


def joined(t: Translator, first_name: str | None) -> str:
    """The answer to a /start from a campaign link, which subscribes at once."""
    # TRANSLATORS: {name} is empty or ", Asha" (a comma and the reader's first name).
    return t.gettext(
        "Welcome{name}! You are subscribed: each new article will arrive here.\n"
        "Did not mean to? Tap <b>Undo</b>; /unsubscribe stops them at any time.",
        name=_name(first_name),
    )


def undo_button(t: Translator) -> str:
    return t.gettext("Undo")


def unsubscribed_answer(t: Translator) -> str:
    """The short notice on the Undo button once pressed."""
    return t.gettext("Unsubscribed")


def subscribed(t: Translator) -> str:
    return t.gettext(
        "You are subscribed. Each new article will arrive here.\n"
        "/unsubscribe stops them at any time."
    )


def already_subscribed(t: Translator) -> str:
    return t.gettext("You are already subscribed. /unsubscribe stops the articles.")


def subscribed_answer(t: Translator, new: bool) -> str:
    """The short notice on the Subscribe button once pressed."""
    return t.gettext("Subscribed") if new else t.gettext("Already subscribed")


def unsubscribed(t: Translator) -> str:
    return t.gettext("Done: you will get no more articles. /subscribe brings them back.")


def not_subscribed(t: Translator) -> str:
    return t.gettext("You were not subscribed, so nothing changes. /subscribe starts the articles.")


def help_text(t: Translator, *, editor: bool = False) -> str:
    text = t.gettext(
        "<b>What I do</b>\n"
        "I send you each new article of our newsroom as soon as it is published.\n\n"
        "/subscribe - get each new article here\n"
        "/unsubscribe - stop getting articles\n"
        "/latest - the last five articles\n"
        "/language - choose the language I write to you in\n"
        "/help - this message"
    )
    if editor:
        text += "\n\n" + t.gettext(
            "<b>For editors</b>\n"
            "/preview URL - see the post the article at URL would make (sent to you only)\n"
            "/push URL - send the article at URL to the channel and every subscriber now"
        )
    return text


def unknown(t: Translator) -> str:
    return t.gettext("I only understand commands. /help lists them.")


def latest(t: Translator, articles: list[tuple[str, str | None]]) -> str:
    """/latest: the last articles as (title, link) pairs, each title linked to its article."""
    if not articles:
        return t.gettext("Nothing has been published yet. /subscribe to get the first article.")
    untitled = t.gettext("(untitled)")
    lines = []
    for number, (title, link) in enumerate(articles, 1):
        shown = escape(title.strip() or untitled)
        if link:
            shown = f'<a href="{escape(link, quote=True)}">{shown}</a>'
        lines.append(f"{number}. {shown}")
    return t.gettext("<b>Latest articles</b>") + "\n\n" + "\n".join(lines)


def choose_language(t: Translator) -> str:
    return t.gettext("Which language shall I write to you in?")


def language_set(t: Translator) -> str:
    """The confirmation, said in the language just chosen."""
    # TRANSLATORS: said in the language just chosen: name your own language, not English.
    return t.gettext("Done: I will write to you in English from now on.")


def language_answer(t: Translator) -> str:
    """The short notice on a language button once pressed."""
    return t.gettext("Language changed")


def unknown_language(t: Translator, asked: str) -> str:
    return t.gettext("I do not speak “{asked}” yet. Choose one of these:", asked=escape(asked[:32]))


def editors_only(t: Translator) -> str:
    return t.gettext("Sorry, only the newsroom's editors can do that.")


def error(t: Translator) -> str:
    return t.gettext("Sorry, something went wrong on our side. Please try again in a moment.")


def pushed(t: Translator, title: str, deliveries: int, channel: str | None) -> str:
    readers = deliveries - (1 if channel else 0)
    if channel:
        return t.ngettext(
            "Pushed <b>{title}</b> to {channel} and {count} reader.",
            "Pushed <b>{title}</b> to {channel} and {count} readers.",
            readers,
            title=escape(title),
            channel=escape(channel),
            count=readers,
        )
    return t.ngettext(
        "Pushed <b>{title}</b> to {count} reader.",
        "Pushed <b>{title}</b> to {count} readers.",
        readers,
        title=escape(title),
        count=readers,
    )


def usage(t: Translator, command: str) -> str:
    return t.gettext(
        "Usage: /{command} URL, e.g. /{command} https://example.com/news/article.html",
        command=command,
    )


def preview_failed(t: Translator, reason: str) -> str:
    return t.gettext("No preview: {reason}", reason=escape(reason))


def push_failed(t: Translator, reason: str) -> str:
    return t.gettext("Not pushed: {reason}", reason=escape(reason))


def feed_paused(
    t: Translator, feed_id: int, url: str, failures: int, kind: str | None, error: str | None
) -> str:
    """An editor's alert: a feed failed too often in a row and is paused."""
    unknown_reason = t.gettext("unknown")
    return t.ngettext(
        "⚠️ <b>Feed {feed_id} is paused</b> after {failures} failed poll in a row.\n"
        "{url}\n\n"
        "Last error ({kind}): {error}\n\n"
        "Once it is fixed, resume it with <code>newsbot feeds resume {feed_id}</code>.",
        "⚠️ <b>Feed {feed_id} is paused</b> after {failures} failed polls in a row.\n"
        "{url}\n\n"
        "Last error ({kind}): {error}\n\n"
        "Once it is fixed, resume it with <code>newsbot feeds resume {feed_id}</code>.",
        failures,
        feed_id=feed_id,
        failures=failures,
        url=escape(redact_url(url)),
        kind=escape(kind or unknown_reason),
        error=escape(error or unknown_reason),
    )
