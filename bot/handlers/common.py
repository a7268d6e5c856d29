"""What every handler and job needs: the running :class:`~bot.app.Newsbot`."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from telegram.ext import ContextTypes

if TYPE_CHECKING:
    from bot.app import Newsbot


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Newsbot:
    """The :class:`~bot.app.Newsbot` a handler or job belongs to."""
    return cast("Newsbot", context.bot_data["newsbot"])
