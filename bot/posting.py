"""Sending one post to one chat (shared by the outbox and an editor's preview), and checking
that the bot may post to the channel (shared by ``newsbot run`` and ``newsbot push``).

A post goes out in the style it was rendered in (``articles.post_style``)::

    fetcher = picture_fetcher(allow_private_networks=False)  # one per process; closed by it
    pictures = Pictures(fetcher)                              # one per process, for every chat
    await send_post(bot, chat_id, html, image, pictures, style="photo")

* ``photo``: sendPhoto with the post as caption. Telegram fetches the picture by its URL; when
  it cannot (it remembers a URL it failed to fetch for days), newsbot downloads the picture
  itself (:class:`~bot.feeds.fetch.Fetcher`: its limits and address guard, a 10 MB cap),
  checks it is a photo Telegram takes (:func:`bot.formatting.pictures.photo_problem`), uploads
  it once and sends its ``file_id`` to every other chat. One download and one upload per
  picture, whatever the number of chats sending at once: the others wait for its ``file_id``.
  Only when the download, the check or the upload fails too does the post go out as text, with
  one log line for the picture (its URL redacted).
* ``preview``: sendMessage with the link's large preview.
* ``text``: sendMessage without a preview.
* ``None`` (posts rendered before styles existed): ``photo`` if there is a picture, else
  ``preview``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final

from telegram import Bot, ChatMemberAdministrator, InputFile, LinkPreviewOptions, Message
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.feeds.fetch import Fetcher
from bot.formatting.pictures import MAX_PHOTO_BYTES, image_format, photo_problem
from bot.links import redact_url

__all__ = [
    "PICTURE_ACCEPT",
    "Pictures",
    "channel_problem",
    "chat_id_for",
    "picture_fetcher",
    "send_post",
]

log = logging.getLogger(__name__)

#: Telegram's answers (lower case) that say the picture itself cannot be used: it could not be
#: fetched, is not an image, or has a size Telegram refuses. Telegram has no error codes for
#: these, and PTB no types, so the text is all there is. "http url" is also the answer to a
#: file id Telegram does not know ("wrong file identifier/HTTP URL specified").
_BAD_PICTURE = ("http url", "web page content", "image_process", "photo_invalid", "photo_save")
#: The chat may not get pictures (a group's permissions): text only for this chat.
_NO_PICTURES_HERE = "not enough rights to send photos"

#: The Accept header of a picture's download.
PICTURE_ACCEPT: Final = "image/jpeg,image/png,image/webp,image/gif;q=0.9,image/*;q=0.8"
#: Seconds a picture's download may take in all.
PICTURE_TIMEOUT: Final = 20.0
_FILENAMES: Final = {"JPEG": "picture.jpg", "PNG": "picture.png", "GIF": "picture.gif"}

#: Called with the file id of a picture newsbot uploaded (to store it with the article).
OnUpload = Callable[[str], Awaitable[None]]


def picture_fetcher(*, allow_private_networks: bool, max_connections: int = 8) -> Fetcher:
    """A :class:`Fetcher` for pictures: Telegram's upload limit (:data:`MAX_PHOTO_BYTES`, where
    a page or feed may be at most 5 MB) and :data:`PICTURE_TIMEOUT`; its caller closes it."""
    return Fetcher(
        allow_private_networks=allow_private_networks,
        timeout=PICTURE_TIMEOUT,
        max_bytes=MAX_PHOTO_BYTES,
        max_connections=max_connections,
    )


def _remember(table: dict[str, Any], key: str, value: Any, limit: int) -> None:
    """Set ``table[key]``, forgetting the oldest entries past ``limit``."""
    table.pop(key, None)
    table[key] = value
    while len(table) > limit:
        del table[next(iter(table))]


class Pictures:
    """What one process knows about pictures, shared by every chat it posts to.

    URLs Telegram would not fetch, file ids of pictures newsbot uploaded, pictures that cannot
    be sent at all, and the downloaded bytes waiting for their upload; a lock per URL makes one
    download and one upload of a picture however many chats ask at once. Bounded: the oldest
    of ``remember`` pictures are forgotten.

    ``fetcher`` downloads pictures when given (its caller closes it; a long-running process
    passes one of :func:`picture_fetcher`); else each download (rare: only for a URL Telegram
    refused, as in a one-off ``newsbot push``) opens a :class:`Fetcher` of its own with
    ``allow_private_networks``, ``timeout`` and a ``max_bytes`` cap.
    """

    def __init__(
        self,
        fetcher: Fetcher | None = None,
        *,
        allow_private_networks: bool = False,
        timeout: float = PICTURE_TIMEOUT,
        max_bytes: int = MAX_PHOTO_BYTES,
        remember: int = 4096,
    ) -> None:
        self._fetcher = fetcher
        self._allow_private_networks = allow_private_networks
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._limit = remember
        self._file_ids: dict[str, str] = {}
        self._refused: dict[str, None] = {}
        self._failed: dict[str, str] = {}
        self._bytes: dict[str, bytes] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def file_id(self, url: str) -> str | None:
        """The file id of ``url``'s picture as newsbot uploaded it, if known here."""
        return self._file_ids.get(url)

    def remember_file_id(self, url: str, file_id: str) -> None:
        _remember(self._file_ids, url, file_id, self._limit)

    def forget_file_id(self, url: str, file_id: str) -> None:
        """Telegram refused ``file_id`` for ``url``: upload the picture again next time."""
        if self._file_ids.get(url) == file_id:
            del self._file_ids[url]

    def failed(self, url: str) -> str | None:
        """Why ``url``'s picture cannot be sent at all (its posts go out as text), or None."""
        return self._failed.get(url)

    def refused(self, url: str) -> bool:
        """Whether Telegram refused to fetch ``url`` itself (newsbot uploads it instead)."""
        return url in self._refused

    def refuse(self, url: str, error: str) -> None:
        """Telegram would not fetch ``url``: upload the picture from now on."""
        if url not in self._refused:
            log.info(
                "picture url refused by telegram url=%s error=%r; uploading it",
                redact_url(url),
                error,
            )
        _remember(self._refused, url, None, self._limit)

    def _fail(self, url: str, reason: str) -> None:
        if url not in self._failed:
            log.warning(
                "picture not sent url=%s reason=%s; the post goes out as text",
                redact_url(url),
                reason,
            )
        _remember(self._failed, url, reason, self._limit)
        self._bytes.pop(url, None)

    def _lock(self, url: str) -> asyncio.Lock:
        lock = self._locks.get(url)
        if lock is None:
            lock = self._locks[url] = asyncio.Lock()
            idle = [key for key, held in self._locks.items() if not held.locked() and key != url]
            for key in idle[: max(0, len(self._locks) - self._limit)]:
                del self._locks[key]
        return lock

    async def _download(self, url: str) -> bytes | None:
        """The picture's bytes if they are a photo Telegram takes; else None (and it failed)."""
        data = self._bytes.get(url)
        if data is not None:
            return data
        try:
            if self._fetcher is not None:
                result = await self._fetcher.fetch(url, accept=PICTURE_ACCEPT)
            else:
                async with Fetcher(
                    allow_private_networks=self._allow_private_networks,
                    timeout=self._timeout,
                    max_bytes=self._max_bytes,
                ) as fetcher:
                    result = await fetcher.fetch(url, accept=PICTURE_ACCEPT)
            problem = await asyncio.to_thread(photo_problem, result.content)
        except Exception as exc:  # FetchError, or a bug: the post must still go out
            reason = getattr(exc, "reason", None) or repr(exc)
            self._fail(url, f"download failed: {reason}")
            return None
        if problem is not None:
            self._fail(url, problem)
            return None
        _remember(self._bytes, url, result.content, 4)  # only until uploaded
        return result.content

    async def upload(
        self,
        bot: ExtBot[Any],
        chat_id: int | str,
        html: str,
        url: str,
        *,
        on_upload: OnUpload | None,
        rate_limit_args: int | None,
        silent: bool = False,
        paid: bool = False,
    ) -> Message | str | None:
        """Post to ``chat_id`` with the picture uploaded, unless another chat did meanwhile:
        the posted message, else the picture's file id to send, else None (send text)."""
        async with self._lock(url):
            if url in self._failed:
                return None
            known = self._file_ids.get(url)
            if known is not None:
                return known
            data = await self._download(url)
            if data is None:
                return None
            name = _FILENAMES.get(image_format(data) or "", "picture.webp")
            try:
                message = await _photo(
                    bot,
                    chat_id,
                    InputFile(data, filename=name),
                    html,
                    rate_limit_args,
                    silent=silent,
                    paid=paid,
                )
            except BadRequest as exc:
                refusal = _refusal(exc)
                if refusal is None:
                    raise  # the chat's problem: another chat will upload it
                if refusal == "picture":
                    self._fail(url, f"telegram refused the upload: {exc.message}")
                return None
            if not message.photo:
                self._fail(url, "telegram answered the upload without a photo")
                return message
            file_id = max(message.photo, key=lambda size: size.width * size.height).file_id
            self.remember_file_id(url, file_id)
            self._bytes.pop(url, None)
            log.info(
                "picture uploaded url=%s bytes=%d chat_id=%s", redact_url(url), len(data), chat_id
            )
        if on_upload is not None:
            try:
                await on_upload(file_id)
            except Exception as exc:  # storing it is an optimisation; the post went out
                log.warning("picture file id not stored url=%s error=%r", redact_url(url), exc)
        return message


async def _photo(
    bot: ExtBot[Any],
    chat_id: int | str,
    photo: str | InputFile,
    html: str,
    rate_limit_args: int | None,
    *,
    silent: bool = False,
    paid: bool = False,
) -> Message:
    return await bot.send_photo(
        chat_id,
        photo=photo,
        caption=html,
        parse_mode=ParseMode.HTML,
        disable_notification=silent,
        allow_paid_broadcast=paid or None,
        rate_limit_args=rate_limit_args,
    )


def _refusal(exc: BadRequest) -> str | None:
    """``picture`` if Telegram refused the picture, ``chat`` if this chat may not get any;
    None for any other refusal (which concerns the chat or the post)."""
    reason = exc.message.lower()
    if any(problem in reason for problem in _BAD_PICTURE):
        return "picture"
    if _NO_PICTURES_HERE in reason:
        return "chat"
    return None


async def _send_picture(
    bot: ExtBot[Any],
    chat_id: int | str,
    html: str,
    url: str,
    pictures: Pictures,
    *,
    file_id: str | None,
    on_upload: OnUpload | None,
    rate_limit_args: int | None,
    silent: bool = False,
    paid: bool = False,
) -> Message | None:
    """The post as a photo, or None when it must go out as text (see the module docstring)."""
    if pictures.failed(url):
        return None
    known = pictures.file_id(url) or file_id
    if known is not None:
        try:
            message = await _photo(
                bot, chat_id, known, html, rate_limit_args, silent=silent, paid=paid
            )
        except BadRequest as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            if refusal == "chat":
                return None
            # A file id of another bot (the token changed) or one Telegram forgot: start over.
            log.info("picture file id refused url=%s error=%r", redact_url(url), exc.message)
            pictures.forget_file_id(url, known)
        else:
            pictures.remember_file_id(url, known)
            return message
    if not pictures.refused(url):
        try:
            return await _photo(bot, chat_id, url, html, rate_limit_args, silent=silent, paid=paid)
        except BadRequest as exc:
            refusal = _refusal(exc)
            if refusal is None:
                raise
            if refusal == "chat":
                return None
            pictures.refuse(url, exc.message)
    uploaded = await pictures.upload(
        bot,
        chat_id,
        html,
        url,
        on_upload=on_upload,
        rate_limit_args=rate_limit_args,
        silent=silent,
        paid=paid,
    )
    if not isinstance(uploaded, str):
        return uploaded
    try:
        return await _photo(bot, chat_id, uploaded, html, rate_limit_args, silent=silent, paid=paid)
    except BadRequest as exc:
        if _refusal(exc) is None:
            raise
        return None


#: Telegram objects are frozen: one of each serves every send.
_NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
_LARGE_PREVIEW: Final = LinkPreviewOptions(prefer_large_media=True)


async def send_post(
    bot: ExtBot[Any],
    chat_id: int | str,
    html: str,
    image: str | None,
    pictures: Pictures | None = None,
    *,
    style: str | None = None,
    file_id: str | None = None,
    on_upload: OnUpload | None = None,
    rate_limit_args: int | None = None,
    silent: bool = False,
    paid: bool = False,
) -> Message:
    """Send one post in its ``style`` (see the module docstring).

    ``pictures`` is the process's :class:`Pictures` (a fresh one if None); ``file_id`` is the
    picture's file id as stored with the article, and ``on_upload`` is called with the file id
    of a picture this call uploaded; ``silent`` sends it without a sound, ``paid`` as a paid
    broadcast (``allow_paid_broadcast``). A chat that may not get pictures gets text. Any
    other ``BadRequest`` (chat not found, a parse error) concerns this chat or post and is
    raised.
    """
    if style is None:
        style = "photo" if image else "preview"
    if style == "photo" and image:
        message = await _send_picture(
            bot,
            chat_id,
            html,
            image,
            pictures if pictures is not None else Pictures(),
            file_id=file_id,
            on_upload=on_upload,
            rate_limit_args=rate_limit_args,
            silent=silent,
            paid=paid,
        )
        if message is not None:
            return message
    preview = _NO_PREVIEW if style == "text" else _LARGE_PREVIEW
    return await bot.send_message(
        chat_id,
        html,
        parse_mode=ParseMode.HTML,
        link_preview_options=preview,
        disable_notification=silent,
        allow_paid_broadcast=paid or None,
        rate_limit_args=rate_limit_args,
    )


def chat_id_for(chat: str) -> int | str:
    """A chat as stored (text) as PTB wants it: an int id, or an ``@username``."""
    return int(chat) if chat.lstrip("-").isdigit() else chat


async def channel_problem(bot: Bot, channel: str) -> str | None:
    """Why the bot may not post to ``channel`` (``@name`` or ``-100…`` id), or None if it may."""
    try:
        member = await bot.get_chat_member(chat_id_for(channel), bot.id)
    except TelegramError as exc:
        return f"{exc.message}; add the bot to the channel as an administrator"
    if member.status == ChatMemberStatus.OWNER or (
        isinstance(member, ChatMemberAdministrator) and member.can_post_messages
    ):
        return None
    return f"the bot is {member.status}; make it an administrator allowed to post messages"
