"""What an editor reads while a send is delivered: the progress that replaces the editor's
message, the summary it ends with, and the alert when something failed, as Telegram HTML in
the editor's language (the :class:`~bot.i18n.Translator`), numbers grouped as the language
groups them (``12,34,567`` in Hindi)::

    delivering(t, "Snow in the valley", tally)  # "Delivering… 3,400 / 10,000 · 2 blocked · …"
    summary(t, "Snow in the valley", tally)     # "Delivered to 9,998 of 10,000 readers: …"
    troubles(t, [trouble, ...])                 # what failed, and what to do about it

Pure: a :class:`~bot.services.sends.Tally` in, text out. The English msgids are the
catalogues' keys; ``make messages`` extracts them from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Final

from babel.numbers import format_decimal

from bot.i18n import Translator
from bot.services.sends import ChannelPost, Progress, Tally, Trouble
from bot.storage.models import DeliveryStatus

#: The longest title shown above the figures, and the longest error of a channel post.
TITLE_LIMIT: Final = 120
ERROR_LIMIT: Final = 200
#: The publications named in one alert; the others are counted.
TROUBLES_LISTED: Final = 10


def number(t: Translator, n: int) -> str:
    """``n`` with the thousands grouped as ``t``'s language does (Babel's locale data)."""
    return format_decimal(n, locale=t.language)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title(title: str) -> str:
    return f"<b>{escape(_clip(title, TITLE_LIMIT))}</b>"


def channel_line(t: Translator, post: ChannelPost) -> str:
    """How the channel post stands: sent ✓, on its way, failed ✗ (with Telegram's reason), or
    not known (the sending process stopped)."""
    channel = escape(post.chat)
    if post.status == DeliveryStatus.SENT:
        return t.gettext("Channel: {channel} ✓", channel=channel)
    if post.waiting:
        return t.gettext("Channel: {channel} …", channel=channel)
    if post.failed:
        return t.gettext(
            "Channel: {channel} ✗ {error}",
            channel=channel,
            error=escape(_clip(post.error or "", ERROR_LIMIT)),
        ).rstrip()
    return t.gettext("Channel: {channel}: not known whether it arrived", channel=channel)


def _with_channel(t: Translator, figures: str, channel: ChannelPost | None) -> list[str]:
    return [figures] if channel is None else [figures, channel_line(t, channel)]


def delivering_lines(t: Translator, tally: Tally) -> list[str]:
    """The figures while the send is delivered: settled readers of all, blocked and failed
    so far; then the channel post."""
    readers = tally.readers
    figures = t.gettext(
        "Delivering… {settled} / {total} · {blocked} blocked · {failed} failed",
        settled=number(t, readers.settled),
        total=number(t, readers.total),
        blocked=number(t, readers.blocked),
        failed=number(t, readers.failed),
    )
    return _with_channel(t, figures, tally.channel)


def delivering(t: Translator, title: str, tally: Tally) -> str:
    """The editor's message while the send is delivered: its title, then
    :func:`delivering_lines`."""
    return "\n".join([_title(title), *delivering_lines(t, tally)])


def _details(t: Translator, readers: Progress) -> str:
    details = [
        t.gettext("{count} blocked", count=number(t, readers.blocked)),
        t.gettext("{count} failed", count=number(t, readers.failed)),
    ]
    if readers.held:
        details.append(t.gettext("{count} in digests", count=number(t, readers.held)))
    if readers.unknown:
        # TRANSLATORS: messages newsbot was sending when it stopped: they may have arrived.
        details.append(t.gettext("{count} not known", count=number(t, readers.unknown)))
    return ", ".join(details)


def summary_lines(t: Translator, tally: Tally) -> list[str]:
    """The figures once every delivery settled: readers reached of all (blocked, failed, in
    digests, not known); then the channel post. ``newsbot push`` prints them too."""
    readers = tally.readers
    if readers.total == 0:
        figures = t.gettext("Delivered: no reader follows this edition.")
    else:
        figures = t.ngettext(
            "Delivered to {sent} of {total} reader: {details}.",
            "Delivered to {sent} of {total} readers: {details}.",
            readers.total,
            sent=number(t, readers.sent),
            total=number(t, readers.total),
            details=_details(t, readers),
        )
    return _with_channel(t, figures, tally.channel)


def summary(t: Translator, title: str, tally: Tally) -> str:
    """The editor's message once every delivery settled: its title, then
    :func:`summary_lines`."""
    return "\n".join([_title(title), *summary_lines(t, tally)])


def _trouble(t: Translator, trouble: Trouble) -> str:
    parts = []
    if trouble.channel is not None:
        parts.append(
            t.gettext(
                "the post to {channel} failed ({error})",
                channel=escape(trouble.channel),
                error=escape(_clip(trouble.channel_error or "?", ERROR_LIMIT)),
            )
        )
    if trouble.failed:
        parts.append(
            t.ngettext(
                "{count} reader's message failed",
                "{count} readers' messages failed",
                trouble.failed,
                count=number(t, trouble.failed),
            )
        )
    return f"• {_title(trouble.title)}: " + "; ".join(parts)


def troubles(t: Translator, troubles: Sequence[Trouble]) -> str:
    """The alert for publications whose channel post or readers' messages failed (not
    blocked): each named (the first :data:`TROUBLES_LISTED`), then what to do."""
    lines = [
        t.ngettext(
            "⚠️ {count} publication did not reach everyone:",
            "⚠️ {count} publications did not reach everyone:",
            len(troubles),
            count=number(t, len(troubles)),
        )
    ]
    lines += [_trouble(t, trouble) for trouble in troubles[:TROUBLES_LISTED]]
    if len(troubles) > TROUBLES_LISTED:
        more = len(troubles) - TROUBLES_LISTED
        lines.append(t.gettext("…and {count} more.", count=number(t, more)))
    lines.append("")
    if any(trouble.channel is not None for trouble in troubles):
        lines.append(
            t.gettext(
                "Check that the bot is an administrator of the channel and may post messages; "
                "then push the article again."
            )
        )
    if any(trouble.failed for trouble in troubles):
        lines.append(
            t.gettext(
                "Failed messages are not retried: /stats counts the deliveries, the log names "
                "each error."
            )
        )
    return "\n".join(lines)
