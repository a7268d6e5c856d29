"""An editor's ``/console``: a one-time link that logs them in to the web console.

The link is sent without a link preview: Telegram's servers would open it to make one, and
a link works once (:mod:`bot.services.console_auth`).
"""

from __future__ import annotations

from html import escape

from telegram import LinkPreviewOptions, Update
from telegram.ext import ContextTypes

from bot.handlers.access import require_editor
from bot.handlers.common import reply, runtime, translator
from bot.i18n import Translator
from bot.services.console_auth import issue_login

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def console_link_text(t: Translator, link: str, console: str, days: int) -> str:
    """The answer to /console: the link (shown as the console's address), how long it works,
    how long the login lasts."""
    return t.gettext(
        "Your login link to the web console: {link}\n"
        "It works once, within 10 minutes, and keeps you logged in for {days} days in that"
        " browser. Do not forward it: whoever opens it is logged in as you.",
        link=f'<a href="{escape(link)}">{escape(console)}</a>',
        days=days,
    )


def console_off_text(t: Translator) -> str:
    """The answer to /console when CONSOLE_BIND is empty."""
    return t.gettext("The web console is turned off here (CONSOLE_BIND is empty).")


async def console_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send an editor a one-time console link; anyone else is refused."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None
    if not await require_editor(update, context) or user is None:
        return
    newsbot = runtime(context)
    t = await translator(update, context)
    settings = newsbot.settings
    if settings.console_address is None and settings.console_public_url is None:
        await reply(context, message, console_off_text(t))
        return
    token = await issue_login(newsbot.db, user.id, user.full_name[:128])
    base = newsbot.console.base_url
    await reply(
        context,
        message,
        console_link_text(t, f"{base}/login/{token}", base, settings.console_session_days),
        link_preview_options=_NO_PREVIEW,
    )
