"""Channel posts whose fate is unknown: the editors are told, with a Resend button.

The outbox marks a channel delivery ``unknown`` when newsbot stopped while sending it, or when
Telegram's answer to it was lost (:mod:`bot.outbox.answers`): it may be in the channel or not,
and sending it again by itself could post it twice for every reader to see. So
:func:`alert_unknown` (the outbox's ``on_unknown``) sends each editor, in their language, one
message per such post, with a button (:data:`RESEND`, ``rsnd:<delivery id>``)::

    ⚠️ The post “Dam inspection finds no damage” may not have reached @news: newsbot stopped
    while sending it.
    Look at the channel: if the post is not there, resend it.      [Resend to @news]

A press (:func:`resend_button`, an editor's only: checked on every press) moves the delivery
back to ``pending`` in one conditional UPDATE, only while it is still ``unknown``: of two
editors pressing at once one wins, and the other is told it was resent already. The outbox is
kicked, and the pressed alert says who resent it. The texts are at the top of this module
(``make messages`` extracts them with the rest).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.handlers.access import require_editor
from bot.handlers.callback_data import Callback
from bot.handlers.common import runtime, translator
from bot.i18n import Translator, translator_for
from bot.services import readers, roles
from bot.storage.db import Database
from bot.storage.models import Article, Delivery, DeliveryStatus, utcnow

__all__ = ["RESEND", "UnknownPost", "alert_unknown", "resend_button", "unknown_posts"]

log = logging.getLogger(__name__)

#: ``rsnd:<delivery id>``: the Resend button under an alert.
RESEND: Final = Callback("rsnd", int)
#: The longest title an alert shows, and the longest error a toast shows.
TITLE_LIMIT: Final = 120
ERROR_LIMIT: Final = 60
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True, slots=True)
class UnknownPost:
    """A channel delivery and what its alert names: the article's title and link, and why
    its fate is unknown (``interrupted``, ``answer_lost``)."""

    id: int
    chat: str
    reason: str | None
    title: str
    link: str | None
    status: str = DeliveryStatus.UNKNOWN
    error: str | None = None


# -- texts ------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title(post: UnknownPost) -> str:
    """The post's title in bold, a link to the article when it has one (escaped)."""
    title = f"<b>{escape(_clip(post.title, TITLE_LIMIT))}</b>"
    if post.link:
        return f'<a href="{escape(post.link, quote=True)}">{title}</a>'
    return title


def alert(t: Translator, post: UnknownPost) -> str:
    """An editor's alert: which post may be missing from which channel, why, what to do."""
    title, channel = _title(post), escape(post.chat)
    if post.reason == "interrupted":
        head = t.gettext(
            "⚠️ The post “{title}” may not have reached {channel}: newsbot stopped while "
            "sending it.",
            title=title,
            channel=channel,
        )
    elif post.reason == "answer_lost":
        head = t.gettext(
            "⚠️ The post “{title}” may not have reached {channel}: Telegram's answer to it "
            "was lost.",
            title=title,
            channel=channel,
        )
    else:
        head = t.gettext(
            "⚠️ The post “{title}” may not have reached {channel}: newsbot cannot tell "
            "whether it arrived.",
            title=title,
            channel=channel,
        )
    advice = t.gettext("Look at the channel: if the post is not there, resend it.")
    return f"{head}\n\n{advice}"


def resend_label(t: Translator, channel: str) -> str:
    # TRANSLATORS: a button under the alert: sends the post to the channel {channel} again.
    return t.gettext("Resend to {channel}", channel=channel)


def resent_by(t: Translator, post: UnknownPost, by: str) -> str:
    """The alert once an editor pressed Resend."""
    return t.gettext(
        "✅ <b>Resent</b> by {by}: “{title}” to {channel}.",
        by=escape(by),
        title=_title(post),
        channel=escape(post.chat),
    )


def resending_answer(t: Translator, channel: str) -> str:
    return t.gettext("Resending to {channel}: it goes out in a moment.", channel=channel)


def already_on_its_way(t: Translator, channel: str) -> str:
    return t.gettext("Already resent: it is on its way to {channel}.", channel=channel)


def already_delivered(t: Translator, channel: str) -> str:
    return t.gettext("Already resent: it has reached {channel}.", channel=channel)


def already_failed(t: Translator, channel: str, error: str) -> str:
    return t.gettext(
        "Already resent, but Telegram refused it for {channel}: {error}",
        channel=channel,
        error=_clip(error, ERROR_LIMIT),
    )


def post_gone(t: Translator) -> str:
    return t.gettext("That post is no longer on record. Look at the channel.")


def stale_button(t: Translator) -> str:
    return t.gettext("This button is no longer valid.")


# -- telling the editors ----------------------------------------------------------------------


async def unknown_posts(session: AsyncSession, ids: Sequence[int]) -> list[UnknownPost]:
    """The channel deliveries among ``ids`` still ``unknown``, with their article's title and
    link, by id (one query)."""
    if not ids:
        return []
    rows = await session.execute(
        select(Delivery.id, Delivery.chat, Delivery.reason, Article.title, Article.link)
        .join(Article, Article.id == Delivery.article_id)
        .where(
            Delivery.id.in_(list(ids)),
            Delivery.kind == "channel",
            Delivery.status == DeliveryStatus.UNKNOWN,
        )
        .order_by(Delivery.id)
    )
    return [UnknownPost(r.id, r.chat, r.reason, r.title or "", r.link) for r in rows]


def _keyboard(t: Translator, post: UnknownPost) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(resend_label(t, post.chat), callback_data=RESEND.encode(post.id))
    return InlineKeyboardMarkup([[button]])


async def alert_unknown(
    bot: Bot,
    db: Database,
    editor_ids: frozenset[int],
    default_language: str,
    ids: list[int],
) -> int:
    """Send every editor (EDITOR_IDS and the channels' administrators), in their language, an
    alert with a Resend button for each channel delivery of ``ids`` still unknown; how many
    editors were told. An editor Telegram refuses (never started the bot, blocked it) is
    logged and skipped."""
    async with db.session() as session:
        posts = await unknown_posts(session, ids)
        if not posts:
            return 0
        editors = await roles.editor_ids(session, editor_ids)
        languages = {
            editor: await readers.language_of(session, editor, default=default_language)
            for editor in editors
        }
    told = 0
    for editor in editors:
        t = translator_for(languages[editor])
        try:
            for post in posts:
                await bot.send_message(
                    editor,
                    alert(t, post),
                    parse_mode=ParseMode.HTML,
                    reply_markup=_keyboard(t, post),
                    link_preview_options=NO_PREVIEW,
                )
        except TelegramError as exc:  # an editor who never started the bot, or blocked it
            log.warning("editor not told of unknown posts chat_id=%s error=%r", editor, str(exc))
        else:
            told += 1
    log.info(
        "editors told of unknown channel posts delivery_ids=%s told=%d",
        [post.id for post in posts],
        told,
    )
    return told


# -- the button -------------------------------------------------------------------------------


async def _resend(session: AsyncSession, delivery_id: int) -> bool:
    """Move the channel delivery from ``unknown`` back to ``pending``, due now; False if it is
    no longer unknown (resent by another editor meanwhile, or gone)."""
    moved = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.kind == "channel",
            Delivery.status == DeliveryStatus.UNKNOWN,
        )
        .values(
            status=DeliveryStatus.PENDING,
            claim=None,
            next_attempt_at=utcnow(),
            reason="resent",
            error=None,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return moved.scalar_one_or_none() is not None


async def _post(session: AsyncSession, delivery_id: int) -> UnknownPost | None:
    row = (
        await session.execute(
            select(
                Delivery.id,
                Delivery.chat,
                Delivery.reason,
                Article.title,
                Article.link,
                Delivery.status,
                Delivery.error,
            )
            .join(Article, Article.id == Delivery.article_id)
            .where(Delivery.id == delivery_id, Delivery.kind == "channel")
        )
    ).first()
    if row is None:
        return None
    return UnknownPost(
        row.id, row.chat, row.reason, row.title or "", row.link, row.status, row.error
    )


def _refusal(t: Translator, post: UnknownPost) -> str:
    """What an editor is told who pressed Resend on a post no longer unknown."""
    if post.status == DeliveryStatus.SENT:
        return already_delivered(t, post.chat)
    if post.status == DeliveryStatus.FAILED:
        return already_failed(t, post.chat, post.error or "")
    return already_on_its_way(t, post.chat)


async def resend_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Resend: check the editor, move the post back to the outbox if it is still unknown,
    kick the outbox, say who resent it in the alert, answer the press."""
    query = update.callback_query
    assert query is not None
    if not await require_editor(update, context):
        return
    t = await translator(update, context)
    decoded = RESEND.decode_ints(query.data)
    if decoded is None:
        log.info("resend button refused user_id=%s data=%r", query.from_user.id, query.data)
        await query.answer(stale_button(t), show_alert=True)
        return
    (delivery_id,) = decoded
    newsbot = runtime(context)
    async with newsbot.db.writing() as session:
        won = await _resend(session, delivery_id)
        post = await _post(session, delivery_id)
    if post is None:
        await query.answer(post_gone(t), show_alert=True)
        return
    if not won:
        log.info(
            "resend pressed too late delivery_id=%s status=%s user_id=%s",
            delivery_id,
            post.status,
            query.from_user.id,
        )
        await _edit(query.edit_message_reply_markup(None))
        await query.answer(_refusal(t, post), show_alert=True)
        return
    log.info(
        "channel post resent delivery_id=%s chat=%s user_id=%s",
        delivery_id,
        post.chat,
        query.from_user.id,
    )
    newsbot.kick()
    await _edit(
        query.edit_message_text(
            resent_by(t, post, query.from_user.full_name),
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        )
    )
    await query.answer(resending_answer(t, post.chat))


async def _edit(editing: Awaitable[object]) -> None:
    """Await an edit of the pressed alert; an edit that changes nothing, or of a message too
    old to edit, is no error (the press is answered all the same)."""
    try:
        await editing
    except BadRequest as exc:
        log.info("resend alert not edited error=%r", exc.message)
