"""Sending and editing messages: the Bot API methods that take text, captions and keyboards.

``MessageMethods`` is a mixin of ``BotApi`` (``_api``): sendMessage, sendPhoto, the three
editMessage* methods and deleteMessage, with the checks Telegram makes on what they carry
(``parse_mode`` HTML via ``telegram_html``, length limits, inline keyboard buttons, "message
is not modified"). Sending options are kept with the stored message for tests to look at
(``options["allow_paid_broadcast"]`` says a message went by the paid lane, which has rate
limits of its own: ``Limits.paid_per_second``).

A text or caption is stored as Telegram keeps it (``telegram_shows``, tdlib's
``fix_formatted_text``): cleaned of what tdlib deletes (``\r``, U+2028 to U+202E...), control
characters made spaces, leading and trailing spaces and line breaks trimmed, entities moved with
the text. A message text that is then empty for tdlib (``is_empty_string``: nothing but spaces,
zero-width characters, LRM/RLM, NO-BREAK SPACE, U+2800...) is "message text is empty"; a caption
may be empty (tdlib allows it), and a photo whose caption is only spaces has none.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from bot.formatting.pictures import PhotoFault, photo_check
from bot.formatting.telegram_html import (
    ParsedText,
    TelegramHTMLError,
    is_empty_string,
    parse_telegram_html,
    telegram_shows,
)
from bot.sandbox._params import Params
from bot.sandbox.state import PHOTO_URL_ERRORS, ApiError, Chat, SandboxState, StoredMessage

__all__ = ["MessageMethods"]

JSON = dict[str, Any]

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
#: Telegram's answers to an uploaded photo it cannot use, by what is wrong with it.
_PHOTO_FAULTS: dict[PhotoFault, str] = {
    "bytes": "Bad Request: PHOTO_SAVE_FILE_INVALID",
    "format": "Bad Request: IMAGE_PROCESS_FAILED",
    "dimensions": "Bad Request: PHOTO_INVALID_DIMENSIONS",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class MessageMethods:
    """The sending and editing methods of ``BotApi``, over ``self.state``."""

    state: SandboxState
    strict_html: bool

    # -- sending ---------------------------------------------------------------------------

    def _render(self, raw: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSON]]:
        """The text and entities Telegram keeps of ``raw`` (parsed, cleaned and trimmed)."""
        if parse_mode is None:
            given = entities if isinstance(entities, list) else []
            if not all(_usable_entity(entity, raw) for entity in given):
                return raw, given  # the sandbox does not check entities sent as JSON
            parsed = ParsedText(text=raw, entities=given)
        else:
            try:
                parsed = parse_telegram_html(raw, strict=self.strict_html)
            except TelegramHTMLError as err:
                raise ApiError(400, err.description) from None
        shown = telegram_shows(parsed)
        return shown.text, shown.entities

    def _target(self, p: Params) -> Chat:
        chat = self.state.resolve_chat(p.chat_ref())
        self.state.check_can_send(chat)
        return chat

    def _text(self, p: Params) -> tuple[str, str, list[JSON], str | None]:
        raw = p.text("text")
        if not raw:
            raise ApiError(400, "Bad Request: message text is empty")
        parse_mode = _parse_mode(p)
        entities = p.json_value("entities", "Bad Request: can't parse entities JSON object")
        text, parsed = self._render(raw, parse_mode, entities)
        if is_empty_string(text):
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, text, parsed, parse_mode

    def _caption(self, p: Params) -> tuple[str | None, str | None, list[JSON], str | None]:
        raw = p.text("caption")
        parse_mode = _parse_mode(p)
        if not raw:
            return None, None, [], parse_mode
        entities = p.json_value(
            "caption_entities", "Bad Request: can't parse caption entities JSON object"
        )
        caption, parsed = self._render(raw, parse_mode, entities)
        if len(caption) > _MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        if not caption:  # only spaces and line breaks: tdlib allows an empty caption
            return raw, None, [], parse_mode
        return raw, caption, parsed, parse_mode

    async def send_message(self, p: Params) -> JSON:
        chat = self._target(p)
        raw, text, entities, parse_mode = self._text(p)
        markup = _reply_markup(p)
        self.state.check_rate(chat, paid=p.flag("allow_paid_broadcast"))
        msg = self.state.add_bot_message(
            chat,
            method="sendMessage",
            text=text,
            html=raw if parse_mode else None,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            options=_options(p),
        )
        return self.state.message_to_api(msg)

    async def send_photo(self, p: Params) -> JSON:
        chat = self._target(p)
        photo, size = self._photo(p)
        raw, caption, entities, parse_mode = self._caption(p)
        markup = _reply_markup(p)
        self.state.check_rate(chat, paid=p.flag("allow_paid_broadcast"))
        known = self.state.known_file_id(photo)
        msg = self.state.add_bot_message(
            chat,
            method="sendPhoto",
            photo=photo,
            photo_sizes=(
                self.state.photo_sizes_of(photo) if known else self.state.new_photo_sizes(size)
            ),
            caption=caption,
            html=raw if parse_mode else None,
            caption_entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            options=_options(p),
        )
        return self.state.message_to_api(msg)

    def _photo(self, p: Params) -> tuple[str, int | None]:
        """The photo as stored ("uploaded" or the URL / file id) and its size if uploaded.

        Uploaded bytes must be a photo Telegram takes (``IMAGE_PROCESS_FAILED`` otherwise); a
        URL is taken unless the control API said to refuse it (``refuse_photo_urls``); a file
        id must be one the sandbox issued.
        """
        value = p.get("photo")
        upload = p.files.get("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise ApiError(400, PHOTO_URL_ERRORS[0])
        if upload is not None:
            if not upload.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            fault = photo_check(upload.content)
            if fault is not None:
                raise ApiError(400, _PHOTO_FAULTS[fault[0]])
            return "uploaded", len(upload.content)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, "Bad Request: there is no photo in the request")
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.hostname:
            if self.state.photo_url_refused(value):
                raise ApiError(400, self.state.photo_url_error)
            return value, None
        if self.state.known_file_id(value):
            return value, None
        raise ApiError(400, PHOTO_URL_ERRORS[0])

    # -- editing ---------------------------------------------------------------------------

    def _editable(self, p: Params) -> StoredMessage:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: the sandbox does not support inline messages")
        chat = self.state.resolve_chat(p.chat_ref())
        message_id = p.integer("message_id", required="Bad Request: message identifier is empty")
        msg = self.state.bot_message(chat, message_id or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return msg

    def _edited(self, msg: StoredMessage) -> JSON:
        msg.edit_date = self.state.now()
        self.state.notify()
        return self.state.message_to_api(msg)

    async def edit_message_text(self, p: Params) -> JSON:
        msg = self._editable(p)
        if msg.text is None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        raw, text, entities, parse_mode = self._text(p)
        markup = _reply_markup(p)
        if (text, entities, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, markup
        msg.html, msg.parse_mode = (raw if parse_mode else None), parse_mode
        return self._edited(msg)

    async def edit_message_caption(self, p: Params) -> JSON:
        msg = self._editable(p)
        if msg.photo is None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        raw, caption, entities, parse_mode = self._caption(p)
        markup = _reply_markup(p)
        if (caption, entities, markup) == (msg.caption, msg.caption_entities, msg.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        msg.caption, msg.caption_entities, msg.reply_markup = caption, entities, markup
        msg.html, msg.parse_mode = (raw if parse_mode else None), parse_mode
        return self._edited(msg)

    async def edit_message_reply_markup(self, p: Params) -> JSON:
        msg = self._editable(p)
        markup = _reply_markup(p)
        if markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.reply_markup = markup
        return self._edited(msg)

    async def delete_message(self, p: Params) -> bool:
        chat = self.state.resolve_chat(p.chat_ref())
        message_id = p.integer("message_id", required="Bad Request: message identifier is empty")
        msg = self.state.bot_message(chat, message_id or 0)
        if msg is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self.state.notify()
        return True


def _usable_entity(entity: Any, text: str) -> bool:
    """Whether ``entity`` (sent as JSON) has a type and an offset and length inside ``text``."""
    if not isinstance(entity, dict) or not isinstance(entity.get("type"), str):
        return False
    offset, length = entity.get("offset"), entity.get("length")
    if not isinstance(offset, int) or not isinstance(length, int):
        return False
    return offset >= 0 and length >= 0 and offset + length <= len(text.encode("utf-16-le")) // 2


def _parse_mode(p: Params) -> str | None:
    mode = (p.text("parse_mode") or "").strip()
    if not mode:
        return None
    if mode.lower() != "html":
        raise ApiError(
            400, f"Bad Request: the sandbox implements parse_mode HTML only, not {mode!r}"
        )
    return "HTML"


def _options(p: Params) -> JSON:
    """Sending options kept with the message so that tests can look at them."""
    out: JSON = {}
    for key in ("disable_notification", "protect_content", "allow_paid_broadcast"):
        if p.get(key) is not None:
            out[key] = p.flag(key)
    for key in ("link_preview_options", "reply_parameters"):
        value = p.json_value(key, f"Bad Request: can't parse {key} JSON object")
        if value is not None:
            out[key] = value
    if p.get("disable_web_page_preview") is not None:
        out["link_preview_options"] = {"is_disabled": p.flag("disable_web_page_preview")}
    return out


def _reply_markup(p: Params) -> JSON | None:
    error = "Bad Request: can't parse reply keyboard markup JSON object"
    markup = p.json_value("reply_markup", error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, error)
    keyboard = markup.get("inline_keyboard")
    if keyboard is not None:
        if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array')
        for row in keyboard:
            for button in row:
                _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise ApiError(400, 'Bad Request: can\'t find field "text"')
    if "callback_data" in button:
        if not 1 <= len(str(button["callback_data"]).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif "url" in button:
        parts = urlsplit(str(button["url"]))
        if parts.scheme not in ("http", "https", "tg") or not (parts.netloc or parts.path):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    elif not any(
        key in button
        for key in (
            "login_url",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "copy_text",
            "web_app",
            "callback_game",
            "pay",
        )
    ):
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
