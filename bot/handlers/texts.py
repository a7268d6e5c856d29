"""What the bot says: every reply in one place, as Telegram HTML (escaped where it takes input),
in the reader's language (:mod:`bot.i18n`): each text takes the :class:`~bot.i18n.Translator`.

The English msgids are the catalogues' keys; ``make messages`` extracts them from here.
"""

from __future__ import annotations

from html import escape
from typing import Final

from bot.errors import (
    AlreadyPostedError,
    BlockedAddressError,
    ConfigError,
    EditionError,
    ErrorKind,
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    FeedSettingError,
    FetchError,
    HTTPStatusError,
    InvalidCampaignError,
    NewsbotError,
    PageParseError,
    ParseError,
    ResponseTooLargeError,
    TemplateError,
)
from bot.i18n import Translator
from bot.links import redact_url

SUBSCRIBE_CALLBACK = "subscribe"
#: The Undo button under "you are subscribed" after a /start from a campaign link.
UNDO_CALLBACK = "undo-subscribe"
#: ``language:<code>``: a button of the /language keyboard.
LANGUAGE_CALLBACK = "language"
#: The welcome's Sections button: opens the /sections keyboard.
SECTIONS_CALLBACK = "sections"


def commands(t: Translator) -> tuple[tuple[str, str], ...]:
    """The command menu: (command, description)."""
    return (
        ("start", t.gettext("Welcome and what this bot does")),
        ("subscribe", t.gettext("Get each new article here")),
        ("sections", t.gettext("Choose editions and sections")),
        ("latest", t.gettext("The last five articles")),
        ("digest", t.gettext("One daily digest instead of each article")),
        ("pause", t.gettext("Pause articles for a while")),
        ("resume", t.gettext("Get articles again after a pause")),
        ("language", t.gettext("Choose the bot's language")),
        ("unsubscribe", t.gettext("Stop getting articles")),
        ("forget", t.gettext("Delete everything stored about you")),
        ("help", t.gettext("What the bot can do")),
    )


def editor_commands(t: Translator) -> tuple[tuple[str, str], ...]:
    """What an editor's menu adds to a reader's: (command, description)."""
    return (
        ("push", t.gettext("Preview an article by URL, then publish or schedule it")),
        ("scheduled", t.gettext("What is scheduled to go out")),
        ("feeds", t.gettext("The feeds and their health")),
        ("addfeed", t.gettext("Add a feed by URL")),
        ("stats", t.gettext("Readers, sign-ups and deliveries, with a chart")),
        ("qr", t.gettext("A poster's QR code for a campaign")),
        ("console", t.gettext("A link that logs you in to the web console")),
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


def sections_button(t: Translator) -> str:
    # TRANSLATORS: the welcome's button that opens the choice of editions and sections.
    return t.gettext("📰 Sections")


def language_button(t: Translator) -> str:
    # TRANSLATORS: the button that opens the language choice; keep the globe.
    return t.gettext("🌐 Language")


def _name(first_name: str | None) -> str:
    return f", {escape(first_name)}" if first_name else ""


def welcome(
    t: Translator,
    first_name: str | None,
    subscribed: bool,
    *,
    publisher: str | None = None,
    custom: str | None = None,
) -> str:
    """/start: a greeting, what the bot does (the operator's own ``custom`` text, plain, when
    WELCOME_EN/WELCOME_HI set one; else the ``publisher``'s name, PUBLISHER_NAME) and what to
    tap next."""
    # TRANSLATORS: {name} is empty or ", Asha" (a comma and the reader's first name).
    if subscribed:
        return t.gettext(
            "Welcome back{name}! You are subscribed: new articles arrive here.\n"
            "/sections chooses what you get; /unsubscribe stops them at any time.",
            name=_name(first_name),
        )
    if custom:
        about = escape(custom)
    elif publisher:
        # TRANSLATORS: {publisher} is the publisher's name, e.g. "The Valley Courier".
        about = t.gettext(
            "I bring you the articles of {publisher} as they are published.",
            publisher=f"<b>{escape(publisher)}</b>",
        )
    else:
        about = t.gettext("I bring you our newsroom's articles as they are published.")
    # TRANSLATORS: {name} is empty or ", Asha" (a comma and the reader's first name).
    greeting = t.gettext("Hello{name}!", name=_name(first_name))
    return f"{greeting} {about}\n\n" + t.gettext(
        "Tap <b>Subscribe</b> or send /subscribe to get each new article here; "
        "/unsubscribe stops them at any time."
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
        "/sections chooses what you get; /unsubscribe stops them at any time."
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


def help_text(t: Translator, *, editor: bool = False, publisher: str | None = None) -> str:
    """/help: what the bot does for ``publisher`` (PUBLISHER_NAME; else "our newsroom") and
    the commands."""
    # TRANSLATORS: {publisher} is the publisher's name, or the text "our newsroom".
    text = t.gettext(
        "<b>What I do</b>\n"
        "I send you each new article of {publisher} as soon as it is published.\n\n"
        "/subscribe - get each new article here\n"
        "/sections - choose editions and sections\n"
        "/latest - the last five articles\n"
        "/digest - one digest a day at an hour you choose, instead of each article\n"
        "/pause - no articles for a day, a week or until /resume\n"
        "/resume - articles again after a pause\n"
        "/language - choose the language I write to you in\n"
        "/unsubscribe - stop getting articles\n"
        "/forget - delete everything stored about you\n"
        "/help - this message",
        publisher=escape(publisher) if publisher else t.gettext("our newsroom"),
    )
    if editor:
        text += "\n\n" + t.gettext(
            "<b>For editors</b>\n"
            "/push URL - the post the article at URL makes, with Publish, Schedule and the rest"
            " (/push URL hi: for the hi edition; /push URL at 18:00: scheduled)\n"
            "/scheduled - what is scheduled, with Cancel buttons\n"
            "/preview URL - see the post the article at URL would make (sent to you only)\n"
            "/feeds - the feeds, their health, Pause, Resume, Remove and Approval\n"
            "/addfeed URL - add a feed (a site's page will do); /removefeed ID - remove one\n"
            "/stats - readers, sign-ups per campaign and deliveries, with a chart\n"
            "/qr CAMPAIGN - a poster's QR code for a campaign\n"
            "/console - a link that logs you in to the web console"
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


def push_usage(t: Translator, editions: list[str]) -> str:
    """How /push is used, with the editions an article can be pushed to."""
    return t.gettext(
        "Usage: /push URL, e.g. /push https://example.com/news/article.html\n"
        "The article goes to the edition in its language; to choose one, add its code: "
        "/push URL {example} (editions: {editions}).",
        example=escape(editions[-1] if editions else "en"),
        editions=escape(", ".join(editions)),
    )


def usage(t: Translator, command: str) -> str:
    return t.gettext(
        "Usage: /{command} URL, e.g. /{command} https://example.com/news/article.html",
        command=command,
    )


def preview_failed(t: Translator, exc: NewsbotError) -> str:
    """An editor's /preview that failed: why, in words (:func:`problem`)."""
    return t.gettext("No preview. {problem}", problem=problem(t, exc))


def push_failed(t: Translator, exc: NewsbotError) -> str:
    """An editor's /push that failed: why, in words (:func:`problem`)."""
    return t.gettext("Not pushed. {problem}", problem=problem(t, exc))


#: How much of a feed's last error an alert quotes, as a detail for the technical team.
ERROR_DETAIL_LIMIT: Final = 300


def feed_paused(
    t: Translator, feed_id: int, url: str, failures: int, kind: str | None, error: str | None
) -> str:
    """An editor's alert: a feed failed too often in a row and is paused.

    ``kind`` (an :class:`~bot.errors.ErrorKind` value) is said in words (:func:`kind_problem`);
    ``error``, the stored message, is quoted after it as a detail for whoever fixes the feed.
    """
    detail = f"{kind or 'unknown'}: {error or '-'}"
    if len(detail) > ERROR_DETAIL_LIMIT:
        detail = detail[: ERROR_DETAIL_LIMIT - 1] + "…"
    return t.ngettext(
        "⚠️ <b>Feed {feed_id} is paused</b> after {failures} failed poll in a row.\n"
        "{url}\n\n"
        "{problem}\n"
        "Details: <code>{detail}</code>\n\n"
        "Once it is fixed, resume it here from /feeds, or in the shell with "
        "<code>newsbot feeds resume {feed_id}</code>.",
        "⚠️ <b>Feed {feed_id} is paused</b> after {failures} failed polls in a row.\n"
        "{url}\n\n"
        "{problem}\n"
        "Details: <code>{detail}</code>\n\n"
        "Once it is fixed, resume it here from /feeds, or in the shell with "
        "<code>newsbot feeds resume {feed_id}</code>.",
        failures,
        feed_id=feed_id,
        failures=failures,
        url=escape(redact_url(url)),
        problem=kind_problem(t, kind),
        detail=escape(detail, quote=False),
    )


# What went wrong, said to editors in their language (issue 7, "Texts"): one sentence per
# class of bot/errors.py, specifics (status, URL, article id) as placeholders, Telegram HTML.


def kind_problem(t: Translator, kind: str | None) -> str:
    """What an ingest failure of ``kind`` (:class:`~bot.errors.ErrorKind`) means, in one
    sentence; a generic one for an unknown kind."""
    if kind == ErrorKind.DNS:
        return t.gettext("The site's name could not be found: check the address for typos.")
    if kind == ErrorKind.CONNECT:
        return t.gettext("The site could not be reached: it refused or dropped the connection.")
    if kind == ErrorKind.TIMEOUT:
        return t.gettext("The site took too long to answer.")
    if kind == ErrorKind.TLS:
        return t.gettext("The site's secure connection (its certificate) could not be verified.")
    if kind == ErrorKind.HTTP_STATUS:
        return t.gettext("The site answered with an error instead of the page.")
    if kind == ErrorKind.TOO_LARGE:
        return t.gettext("The page is too large for newsbot to read.")
    if kind == ErrorKind.BLOCKED:
        return t.gettext(
            "The address points into a private or internal network, which newsbot does not visit."
        )
    if kind == ErrorKind.INVALID_URL:
        return t.gettext(
            "That address cannot be opened: give a full link that starts with http:// or https://."
        )
    if kind == ErrorKind.NOT_A_FEED:
        return t.gettext("What the address gave is not a feed or an article that newsbot can read.")
    if kind == ErrorKind.UNPARSEABLE:
        return t.gettext("The feed is so broken that not a single article could be read from it.")
    if kind == ErrorKind.INTERNAL:
        return t.gettext("newsbot itself failed here; the technical team can see why in its log.")
    return t.gettext("The last attempt failed for a reason newsbot does not know.")


def _status_problem(t: Translator, status: int) -> str:
    """What the site meant by answering HTTP ``status``."""
    if status in (404, 410):
        return t.gettext(
            "The site says there is no such page (HTTP {status}): check the link.", status=status
        )
    if status in (401, 403, 451):
        return t.gettext("The site refused to show the page (HTTP {status}).", status=status)
    if status == 429:
        return t.gettext(
            "The site is getting too many requests (HTTP {status}): try again in a few minutes.",
            status=status,
        )
    if 500 <= status <= 599:
        return t.gettext(
            "The site has a problem of its own (HTTP {status}): try again later.", status=status
        )
    return t.gettext("The site answered with an error (HTTP {status}).", status=status)


def problem(t: Translator, exc: NewsbotError) -> str:
    """What went wrong, for an editor: one sentence in ``t``'s language (Telegram HTML, its
    specifics escaped) for each class of :mod:`bot.errors`; a generic one for any other."""
    if isinstance(exc, HTTPStatusError):
        return _status_problem(t, exc.status)
    if isinstance(exc, BlockedAddressError):
        return t.gettext(
            "{url} points into a private or internal network, which newsbot does not visit.",
            url=escape(exc.url),
        )
    if isinstance(exc, ResponseTooLargeError):
        return t.gettext("The page at {url} is too large for newsbot to read.", url=escape(exc.url))
    if isinstance(exc, EditionError):
        return t.gettext(
            "There is no edition “{code}”; the editions are {editions}.",
            code=escape(exc.code[:32]),
            editions=escape(", ".join(exc.known)),
        )
    if isinstance(exc, PageParseError):
        return t.gettext("The page was fetched, but it holds no article with a title.")
    if isinstance(exc, FetchError | ParseError):
        return kind_problem(t, exc.kind)
    if isinstance(exc, AlreadyPostedError):
        return t.gettext(
            "This article was posted before (article {article_id}, {link}), so it is not sent "
            "again.",
            article_id=exc.article_id,
            link=escape(redact_url(exc.link)),
        )
    if isinstance(exc, FeedNotFoundError):
        if isinstance(exc.feed_id, int):
            return t.gettext("There is no feed {feed_id}.", feed_id=exc.feed_id)
        return t.gettext(
            "There is no feed with the address {url}.", url=escape(redact_url(exc.feed_id))
        )
    if isinstance(exc, FeedExistsError):
        return t.gettext(
            "{url} is already feed {feed_id}.", url=escape(redact_url(exc.url)), feed_id=exc.feed_id
        )
    if isinstance(exc, FeedSettingError):
        return t.gettext("That feed setting is out of bounds.")
    if isinstance(exc, FeedError):
        return t.gettext("That feed cannot be used this way.")
    if isinstance(exc, InvalidCampaignError):
        return t.gettext(
            "The campaign name {campaign} is not allowed: use 1 to 64 characters from A-Z, "
            "a-z, 0-9, _ and -.",
            campaign=escape(exc.campaign[:64]),
        )
    if isinstance(exc, TemplateError):
        # TRANSLATORS: {reason} is in English, e.g. "line 3: unexpected '}'".
        return t.gettext(
            "The post template cannot be used: <code>{reason}</code>",
            reason=escape(str(exc), quote=False),
        )
    if isinstance(exc, ConfigError):
        return t.gettext("The setting {key} is missing or invalid.", key=escape(exc.key))
    return t.gettext("Something went wrong, and it was not done. Please try again in a moment.")


#: The longest statistics table an editor's /stats shows (a message holds 4096 characters).
STATS_LIMIT: Final = 3800


def stats(t: Translator, table: str) -> str:
    """An editor's /stats: ``table`` (:func:`bot.services.stats.format_stats`, plain text) in a
    fixed-width block, cut at a line to fit one message (and then said so)."""
    lines = table.splitlines()
    shown: list[str] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > STATS_LIMIT:
            break
        shown.append(line)
    text = t.gettext("<b>newsbot in numbers</b>") + "\n<pre>" + escape("\n".join(shown)) + "</pre>"
    if len(shown) < len(lines):
        text += "\n" + t.gettext(
            "Cut to fit one message: <code>newsbot stats</code> in the shell shows everything."
        )
    return text
