"""Editors' commands: /push URL [edition] sends an article page to its edition's channel and
readers (the edition in the page's language unless one is named); /preview URL shows the
editor, and only the editor, the post it would make."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.errors import NewsbotError
from bot.formatting import render_article
from bot.handlers import texts
from bot.handlers.common import REPLY_RETRIES, reply, runtime, translator
from bot.posting import send_post
from bot.services.push import push_url, read_page

log = logging.getLogger(__name__)


async def _editor_url(
    update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, *, extra: int = 0
) -> tuple[Message, str] | None:
    """The message and the URL of an editor's command (followed by at most ``extra`` more
    words); refuse anyone else, explain bad usage."""
    user = update.effective_user
    message = update.effective_message
    assert message is not None
    if user is None or user.id not in runtime(context).settings.editor_ids:
        log.info("%s refused user_id=%s", command, user.id if user else None)
        await reply(context, message, texts.editors_only(await translator(update, context)))
        return None
    if not 1 <= len(context.args or []) <= 1 + extra:
        t = await translator(update, context)
        codes = [edition.code for edition in runtime(context).editions.configured]
        usage = texts.push_usage(t, codes) if extra else texts.usage(t, command)
        await reply(context, message, usage)
        return None
    return message, (context.args or [""])[0]


async def push(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Push the article at the given URL now; anyone not in EDITOR_IDS is refused politely."""
    asked = await _editor_url(update, context, "push", extra=1)
    if asked is None:
        return
    message, url = asked
    edition = (context.args or [])[1] if len(context.args or []) > 1 else None
    newsbot = runtime(context)
    try:
        pushed = await push_url(
            newsbot.db,
            newsbot.fetcher,
            url,
            edition=edition,
            parser=newsbot.parser,
            options=newsbot.post_options,
        )
    except NewsbotError as exc:
        log.info("push failed chat_id=%s url=%s error=%r", message.chat_id, url, str(exc))
        await reply(context, message, texts.push_failed(await translator(update, context), exc))
        return
    newsbot.kick()
    t = await translator(update, context)
    chosen = newsbot.editions.by_id.get(pushed.article.edition_id or 0)
    channel = chosen.channel if chosen else None
    await reply(context, message, texts.pushed(t, pushed.article.title, pushed.deliveries, channel))


async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the editor the post the page at URL would make; nothing is stored or sent elsewhere."""
    asked = await _editor_url(update, context, "preview")
    if asked is None:
        return
    message, url = asked
    try:
        newsbot = runtime(context)
        draft, _links = await read_page(newsbot.fetcher, url, parser=newsbot.parser)
    except NewsbotError as exc:
        log.info("preview failed chat_id=%s url=%s error=%r", message.chat_id, url, str(exc))
        t = await translator(update, context)
        await reply(context, message, texts.preview_failed(t, exc))
        return
    post = render_article(draft, newsbot.post_options)
    await send_post(
        context.bot,
        message.chat_id,
        post.html,
        post.image,
        newsbot.pictures,
        style=post.style,
        rate_limit_args=REPLY_RETRIES,
    )
