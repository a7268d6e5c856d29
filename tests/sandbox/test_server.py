"""The Bot API sandbox, driven by the real PTB ``Bot`` and ``Application`` over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from PIL import Image
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.sandbox import SandboxClient, SandboxServer

TOKEN = "123456:TEST-sandbox_token"


def png(width: int, height: int) -> bytes:
    """A real PNG picture of ``width`` x ``height`` pixels."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(channels=("news",)) as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.url) as control:
        await control.reset()
        yield control


@pytest.fixture
async def bot(sandbox: SandboxServer, client: SandboxClient) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{sandbox.url}/bot") as tg_bot:
        yield tg_bot


async def test_get_me_answers_the_bot_of_the_token(bot: Bot) -> None:
    """getMe answers a bot user whose id is the token's numeric prefix."""
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "newsbot_sandbox_bot")


async def test_html_message_is_stored_and_readable(bot: Bot, client: SandboxClient) -> None:
    """A valid HTML message is answered as a Message and stored with text, html and entities."""
    sent = await bot.send_message("@news", "<b>Big</b> news", parse_mode=ParseMode.HTML)
    assert sent.text == "Big news"
    assert sent.sender_chat is not None
    assert sent.sender_chat.username == "news"
    [stored] = await client.bot_messages("@news", wait_for=1)
    assert stored["message_id"] == sent.message_id
    assert stored["html"] == "<b>Big</b> news"
    assert stored["entities"] == [{"type": "bold", "offset": 0, "length": 3}]


async def test_invalid_html_is_a_bad_request(bot: Bot, client: SandboxClient) -> None:
    """Unbalanced markup raises BadRequest "can't parse entities" and nothing is stored."""
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message("@news", "<b>cut in half</", parse_mode=ParseMode.HTML)
    assert await client.bot_messages("@news") == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(" \n ", id="spaces"),
        pytest.param("<b> </b>\n", id="whitespace-in-tags"),
        pytest.param("\u202e", id="rtlo-deleted-by-clean_input_string"),
        pytest.param("\u200b\u200d\ufeff\u00a0", id="zero-width-strip_empty_characters"),
        pytest.param("\u2800\u3000", id="blank-characters-strip_empty_characters"),
        pytest.param("\r\x01", id="controls"),
    ],
)
async def test_text_that_telegram_empties_is_refused(
    bot: Bot, client: SandboxClient, text: str
) -> None:
    """A text tdlib cleans and strips to nothing is "message text is empty", nothing stored."""
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message("@news", text, parse_mode=ParseMode.HTML)
    assert await client.bot_messages("@news") == []


async def test_text_is_stored_as_telegram_cleans_and_trims_it(
    bot: Bot, client: SandboxClient
) -> None:
    """Deleted characters go, the ends are trimmed, and the entities move with the text."""
    sent = await bot.send_message(
        "@news", "\n <b>Rain\u202e</b> &amp;\r\n<i>wind</i>\n\n", parse_mode=ParseMode.HTML
    )
    assert sent.text == "Rain &\nwind"
    [stored] = await client.bot_messages("@news", wait_for=1)
    assert stored["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 7, "length": 4},
    ]


async def test_invisible_but_not_empty_text_is_accepted(bot: Bot) -> None:
    """HANGUL FILLER is no "empty character" for tdlib: Telegram sends it (and shows nothing)."""
    sent = await bot.send_message("@news", "\u3164")
    assert sent.text == "\u3164"


async def test_blank_caption_is_no_caption(bot: Bot, client: SandboxClient) -> None:
    """tdlib allows an empty caption: a photo whose caption trims to nothing has none."""
    sent = await bot.send_photo(
        "@news", "https://pics.example/a.jpg", caption="<b> </b>\n", parse_mode=ParseMode.HTML
    )
    assert sent.caption is None
    [stored] = await client.bot_messages("@news", wait_for=1)
    assert stored.get("caption") is None


async def test_text_limit_counts_visible_characters(bot: Bot) -> None:
    """4096 visible characters pass whatever the markup; 4097 are "message is too long"."""
    await bot.send_message("@news", "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message("@news", "x" * 4097)


async def test_unknown_chat_is_chat_not_found(bot: Bot) -> None:
    """An unknown chat id or @username raises BadRequest "chat not found"."""
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999_999, "hello")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message("@nosuchchannel", "hello")


async def test_blocked_user_is_forbidden(bot: Bot, client: SandboxClient) -> None:
    """Sending to a reader who blocked the bot raises Forbidden."""
    await client.send(42, "/start")
    await client.block(42)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(42, "still there?")


async def test_injected_429_raises_retry_after(
    bot: Bot, client: SandboxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 429 fault raises RetryAfter carrying the injected retry_after, once."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await client.faults(method="sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message("@news", "first")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    await bot.send_message("@news", "second")


async def test_injected_5xx_raises_network_error(bot: Bot, client: SandboxClient) -> None:
    """A 502 fault on any method raises NetworkError."""
    await client.faults(status=502)
    with pytest.raises(NetworkError):
        await bot.get_me()


async def test_channel_rate_is_twenty_per_minute(bot: Bot, client: SandboxClient) -> None:
    """The 21st message to a channel within a minute is answered 429 with retry_after."""
    for n in range(20):
        await bot.send_message("@news", f"post {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message("@news", "one too many")
    [rejected] = [r for r in await client.requests("sendMessage") if r["status"] == 429]
    assert rejected["chat_id"] == "@news"


async def test_private_chat_rate_allows_a_burst_of_three(
    bot: Bot, client: SandboxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's chat takes a burst of 3 messages, then 429 asks to wait a second."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await client.send(7, "/start")
    for n in range(3):
        await bot.send_message(7, f"message {n}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(7, "fourth")
    assert caught.value.retry_after == dtm.timedelta(seconds=1)


async def test_get_updates_long_poll_wakes_on_a_new_message(
    bot: Bot, client: SandboxClient
) -> None:
    """A waiting getUpdates returns as soon as a reader writes, with a bot_command entity."""
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    assert await client.wait_polling(timeout=5)
    assert not poll.done()
    sent = await client.send(42, "/start poster-a", first_name="Ann", username="ann")
    [update] = await asyncio.wait_for(poll, timeout=5)
    assert update.update_id == sent["update_id"]
    assert update.message is not None
    assert update.message.text == "/start poster-a"
    assert update.message.from_user is not None
    assert update.message.from_user.username == "ann"
    [command] = update.message.entities
    assert (command.type, command.offset, command.length) == ("bot_command", 0, 6)


async def test_offset_confirms_updates(bot: Bot, client: SandboxClient) -> None:
    """getUpdates with an offset past an update forgets it."""
    first = await client.send(1, "one")
    second = await client.send(1, "two")
    updates = await bot.get_updates(offset=first["update_id"] + 1)
    assert [u.update_id for u in updates] == [second["update_id"]]


async def test_send_photo_by_url_with_caption(bot: Bot, client: SandboxClient) -> None:
    """sendPhoto with a URL and an HTML caption answers photo sizes and caption entities."""
    sent = await bot.send_photo(
        "@news", "https://example.com/a.jpg", caption="<i>Pic</i>", parse_mode=ParseMode.HTML
    )
    assert sent.photo
    assert sent.caption == "Pic"
    assert sent.caption_entities[0].type == "italic"
    [stored] = await client.bot_messages("@news")
    assert (stored["photo"], stored["caption"]) == ("https://example.com/a.jpg", "Pic")


async def test_uploaded_photo_and_long_caption(bot: Bot, client: SandboxClient) -> None:
    """An uploaded photo is stored as "uploaded"; a caption over 1024 characters is refused."""
    await bot.send_photo("@news", png(320, 200), caption="up")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo("@news", "https://example.com/a.jpg", caption="c" * 1025)
    [stored] = await client.bot_messages("@news")
    assert stored["photo"] == "uploaded"


async def test_set_my_commands_is_visible(bot: Bot, client: SandboxClient) -> None:
    """Commands set through setMyCommands are readable through the control API."""
    await bot.set_my_commands([BotCommand("start", "Subscribe"), BotCommand("stop", "Leave")])
    assert await client.commands() == [
        {"command": "start", "description": "Subscribe"},
        {"command": "stop", "description": "Leave"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "stop"]


async def test_button_press_and_answer(bot: Bot, client: SandboxClient) -> None:
    """Pressing a button yields a callback_query; answering it is recorded."""
    await client.send(5, "/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Subscribe", callback_data="sub")]])
    sent = await bot.send_message(5, "Join?", reply_markup=markup)
    await client.press(5, sent.message_id, "sub")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "sub"
    await bot.answer_callback_query(query.id, text="Done")
    [record] = await client.callbacks()
    assert record["answered"]
    assert record["answer"]["text"] == "Done"


async def test_edit_with_same_content_is_not_modified(bot: Bot) -> None:
    """Editing a message to the same text is refused as "message is not modified"."""
    sent = await bot.send_message("@news", "same")
    await bot.edit_message_text("changed", chat_id="@news", message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("changed", chat_id="@news", message_id=sent.message_id)


async def test_migrated_group_answers_its_new_id(bot: Bot, client: SandboxClient) -> None:
    """Sending to a group that became a supergroup raises ChatMigrated with the new id."""
    group = await client.add_channel("club", "Club", chat_type="group")
    new_id = await client.migrate(group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group, "hello")
    assert caught.value.new_chat_id == new_id


async def test_raw_http_json_query_token_and_method(sandbox: SandboxServer) -> None:
    """JSON bodies and query strings work; bad tokens are 401, unknown methods 404."""
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        markup = {"inline_keyboard": [[{"text": "Read", "url": "https://example.com"}]]}
        body = {"chat_id": "@news", "text": "json", "reply_markup": markup}
        sent = (await http.post(f"/bot{TOKEN}/SENDMESSAGE", json=body)).json()
        assert sent["ok"]
        assert sent["result"]["reply_markup"] == markup
        me = (await http.get(f"/bot{TOKEN}/getMe", params={"x": "1"})).json()
        assert me["result"]["id"] == 123456
        bad = await http.get("/botnot-a-token/getMe")
        assert (bad.status_code, bad.json()["description"]) == (401, "Unauthorized")
        missing = await http.post(f"/bot{TOKEN}/noSuchMethod")
        assert missing.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }


async def test_application_long_polling_answers_a_reader(
    sandbox: SandboxServer, client: SandboxClient
) -> None:
    """The real PTB Application polls the sandbox, and its handlers' replies arrive."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reply to /start with a button."""
        assert update.effective_message is not None
        button = InlineKeyboardButton("More", callback_data="more")
        await update.effective_message.reply_html(
            "<b>Welcome</b>", reply_markup=InlineKeyboardMarkup([[button]])
        )

    async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the button press."""
        assert update.callback_query is not None
        await update.callback_query.answer("more coming")

    app = Application.builder().token(TOKEN).base_url(f"{sandbox.url}/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(more))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5, poll_interval=0)
        await client.send(11, "/start")
        [welcome] = await client.bot_messages(11, wait_for=1)
        assert welcome["text"] == "Welcome"
        await client.press(11, welcome["message_id"], "more")
        [record] = await client.callbacks(wait_answered=1)
        await app.updater.stop()
        await app.stop()
    assert record["answer"]["text"] == "more coming"


class TestPhotos:
    """sendPhoto as Telegram answers it: URLs it cannot fetch, uploads, file ids."""

    async def test_refused_urls_answer_as_telegram(self, bot: Bot, client: SandboxClient) -> None:
        """With refuse_photo_urls(True) a photo URL is "wrong file identifier/HTTP URL
        specified" and nothing is posted; False takes URLs again."""
        await client.refuse_photo_urls(True)
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/HTTP URL specified"):
            await bot.send_photo("@news", "https://example.com/a.jpg", caption="x")
        assert await client.bot_messages("@news") == []
        [request] = await client.requests("sendPhoto")
        assert request["status"] == 400
        await client.refuse_photo_urls(False)
        sent = await bot.send_photo("@news", "https://example.com/a.jpg")
        assert sent.photo

    async def test_a_pattern_refuses_only_matching_urls(
        self, bot: Bot, client: SandboxClient
    ) -> None:
        """A regular expression refuses only the URLs it finds, with the description given."""
        answer = await client.refuse_photo_urls(
            r"broken\.example", description="Bad Request: failed to get HTTP URL content"
        )
        assert answer["refuse_urls"] == r"broken\.example"
        with pytest.raises(BadRequest, match=r"(?i)failed to get HTTP URL content"):
            await bot.send_photo("@news", "https://broken.example/a.jpg")
        assert (await bot.send_photo("@news", "https://fine.example/a.jpg")).photo

    async def test_uploads_are_taken_while_urls_are_refused(
        self, bot: Bot, client: SandboxClient
    ) -> None:
        """An uploaded picture is taken and its file id then works for every chat; the message
        sent by file id answers the same photo."""
        await client.refuse_photo_urls(True)
        await client.send(31, "/start")
        uploaded = await bot.send_photo("@news", png(320, 200), caption="up")
        file_id = uploaded.photo[-1].file_id
        again = await bot.send_photo(31, file_id, caption="again")
        assert again.photo[-1].file_id == file_id
        [first] = await client.bot_messages("@news")
        [second] = await client.bot_messages(31)
        assert (first["photo"], second["photo"]) == ("uploaded", file_id)
        assert first["photo_file_id"] == second["photo_file_id"] == file_id

    @pytest.mark.parametrize(
        ("content", "error"),
        [
            pytest.param(b"<html>not a picture</html>", "IMAGE_PROCESS_FAILED", id="html"),
            pytest.param(b"\x89PNG\r\n\x1a\n not really", "IMAGE_PROCESS_FAILED", id="fake-png"),
            pytest.param(png(2100, 100), "PHOTO_INVALID_DIMENSIONS", id="ratio-over-20"),
        ],
    )
    async def test_unusable_uploads_are_refused(
        self, bot: Bot, client: SandboxClient, content: bytes, error: str
    ) -> None:
        """Uploaded bytes that are no photo Telegram takes are refused as Telegram does."""
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.send_photo("@news", content)
        assert await client.bot_messages("@news") == []

    async def test_unknown_file_id_is_refused(self, bot: Bot) -> None:
        """A file id the sandbox never issued is "wrong file identifier/HTTP URL specified"."""
        with pytest.raises(BadRequest, match=r"(?i)wrong file identifier/HTTP URL specified"):
            await bot.send_photo("@news", "AgACAgNeverIssued")

    async def test_reset_forgets_the_rule(self, bot: Bot, client: SandboxClient) -> None:
        """A reset takes photo URLs again."""
        await client.refuse_photo_urls(True)
        await client.reset()
        assert (await bot.send_photo("@news", "https://example.com/a.jpg")).photo
