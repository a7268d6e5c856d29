"""AiohttpRequest and NewsbotHTTPXRequest: PTB's types and errors, and RequestNotSent's contract."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import traceback
from collections.abc import AsyncIterator, Iterator

import pytest
from PIL import Image
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.request import BaseRequest

from bot.sandbox import SandboxClient, SandboxServer
from bot.telegram_request import AiohttpRequest, NewsbotHTTPXRequest, RequestNotSent

TOKEN = "123456:TEST-request_token"
CLASSES = [
    pytest.param(AiohttpRequest, id="aiohttp"),
    pytest.param(NewsbotHTTPXRequest, id="httpx"),
]


def png(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def shown(exc: BaseException) -> str:
    """Everything a log line with the traceback would show of ``exc``, causes included."""
    return "".join(traceback.format_exception(exc))


def free_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class LocalServer:
    """A TCP server that reads a request, then never answers (or hangs up, ``hang_up``)."""

    def __init__(self, *, hang_up: bool = False) -> None:
        self.hang_up = hang_up
        self.received = asyncio.Event()
        self._release = asyncio.Event()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            self.received.set()
            if not self.hang_up:
                await self._release.wait()
        writer.close()

    async def __aenter__(self) -> LocalServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


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
    async with Bot(TOKEN, base_url=f"{sandbox.url}/bot", request=AiohttpRequest()) as tg_bot:
        yield tg_bot


class TestAiohttpRequestAgainstTheSandbox:
    """AiohttpRequest speaks the Bot API as PTB's own request class does."""

    async def test_send_message_answers_a_message(self, bot: Bot, client: SandboxClient) -> None:
        """sendMessage (form parameters) answers PTB's Message, stored as sent."""
        sent = await bot.send_message("@news", "<b>Big</b> news", parse_mode=ParseMode.HTML)
        assert sent.text == "Big news"
        [stored] = await client.bot_messages("@news", wait_for=1)
        assert (stored["message_id"], stored["html"]) == (sent.message_id, "<b>Big</b> news")

    async def test_photo_upload_is_multipart(self, bot: Bot, client: SandboxClient) -> None:
        """sendPhoto with bytes uploads them (multipart) with a non-ASCII caption."""
        sent = await bot.send_photo(
            "@news", png(), caption="<i>Привет</i> मुंबई", parse_mode=ParseMode.HTML
        )
        assert sent.photo
        assert sent.caption == "Привет मुंबई"
        [stored] = await client.bot_messages("@news", wait_for=1)
        assert stored["photo"] == "uploaded"

    async def test_photo_upload_from_a_file_handle(self, bot: Bot, client: SandboxClient) -> None:
        """sendPhoto with an open file uploads its content."""
        sent = await bot.send_photo("@news", io.BytesIO(png(40, 30)))
        assert sent.photo
        [stored] = await client.bot_messages("@news", wait_for=1)
        assert stored["photo"] == "uploaded"

    async def test_bad_request_is_ptbs_error(self, bot: Bot) -> None:
        """Telegram's 400 answer raises PTB's BadRequest with its description."""
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
            await bot.send_message("@news", "<b>cut in half</", parse_mode=ParseMode.HTML)
        assert TOKEN not in shown(caught.value)

    async def test_forbidden_is_ptbs_error(self, bot: Bot, client: SandboxClient) -> None:
        """Telegram's 403 answer raises PTB's Forbidden."""
        await client.send(42, "/start")
        await client.block(42)
        with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
            await bot.send_message(42, "still there?")

    async def test_shutdown_then_initialize_opens_a_new_session(
        self, sandbox: SandboxServer
    ) -> None:
        """A request class shut down refuses requests until initialized again."""
        request = AiohttpRequest()
        bot = Bot(TOKEN, base_url=f"{sandbox.url}/bot", request=request)
        async with bot:
            pass
        with pytest.raises(RuntimeError, match="not initialized"):
            await request.do_request(f"{sandbox.url}/bot{TOKEN}/getMe", "POST")
        async with bot:
            assert (await bot.get_me()).id == 123456
        await request.shutdown()  # a second shutdown does nothing


@pytest.mark.parametrize("request_class", CLASSES)
class TestTheContract:
    """RequestNotSent only when the request certainly never reached the server."""

    async def test_connection_refused_is_not_sent(self, request_class: type[BaseRequest]) -> None:
        """Nothing listening on the port: RequestNotSent, without the token in it."""
        request = request_class()
        await request.initialize()
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", request=request)
        try:
            with pytest.raises(RequestNotSent) as caught:
                await bot.send_message(1, "hello")
        finally:
            await request.shutdown()
        assert TOKEN not in shown(caught.value)
        assert "not sent" in caught.value.message

    async def test_no_answer_is_timed_out(self, request_class: type[BaseRequest]) -> None:
        """A server that takes the request and never answers: TimedOut, not RequestNotSent."""
        request = request_class(read_timeout=0.2)  # type: ignore[call-arg]
        async with LocalServer() as server, request:
            bot = Bot(TOKEN, base_url=server.url, request=request)
            with pytest.raises(TimedOut) as caught:
                await bot.send_message(1, "hello")
            assert server.received.is_set()
        assert not isinstance(caught.value, RequestNotSent)
        assert TOKEN not in shown(caught.value)

    async def test_hang_up_mid_request_is_a_network_error(
        self, request_class: type[BaseRequest]
    ) -> None:
        """A server that takes the request and closes the connection: a NetworkError that is
        neither TimedOut nor RequestNotSent (the message may have arrived)."""
        request = request_class()
        async with LocalServer(hang_up=True) as server, request:
            bot = Bot(TOKEN, base_url=server.url, request=request)
            with pytest.raises(NetworkError) as caught:
                await bot.send_message(1, "hello")
        assert not isinstance(caught.value, TimedOut | RequestNotSent)
        assert TOKEN not in shown(caught.value)

    async def test_pool_wait_timeout_is_not_sent(self, request_class: type[BaseRequest]) -> None:
        """With the one pooled connection busy, the next request is RequestNotSent after
        the pool timeout, and the token is in no part of the error."""
        # aiohttp bounds pool wait and connect together: connect_timeout + pool_timeout.
        request = request_class(  # type: ignore[call-arg]
            connection_pool_size=1, pool_timeout=0.1, connect_timeout=0.1, read_timeout=30
        )
        async with LocalServer() as server, request:
            bot = Bot(TOKEN, base_url=server.url, request=request)
            busy = asyncio.create_task(bot.send_message(1, "first"))
            await server.received.wait()
            try:
                with pytest.raises(RequestNotSent) as caught:
                    await bot.send_message(2, "second")
            finally:
                busy.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await busy
        assert TOKEN not in shown(caught.value)
