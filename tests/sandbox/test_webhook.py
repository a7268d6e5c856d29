"""The sandbox's webhooks: setWebhook checked as Telegram checks it, and updates POSTed to a real
receiver on 127.0.0.1 the way Telegram delivers them (secret header, retries, order per chat)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import BadRequest, Conflict
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.sandbox import SandboxClient, SandboxServer, WebhookTiming

TOKEN = "123456:TEST-webhook_token"
SECRET = "s3cret_-Token"

JSON = dict[str, Any]


@dataclass
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: JSON

    @property
    def update_id(self) -> int:
        return int(self.body["update_id"])

    @property
    def chat_id(self) -> int:
        return int(self.body["message"]["chat"]["id"])


@dataclass
class Receiver:
    """A webhook endpoint: records each POST, answers ``statuses`` in turn (then 200), and
    holds a chat's deliveries while its gate is closed."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    gates: dict[int, asyncio.Event] = field(default_factory=dict)
    in_flight: dict[int, int] = field(default_factory=dict)
    most_in_flight: dict[int, int] = field(default_factory=dict)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        got = Received(dict(request.headers), body)
        async with self.arrived:
            self.received.append(got)
            self.arrived.notify_all()
        chat = chat_of(body)
        self.in_flight[chat] = self.in_flight.get(chat, 0) + 1
        self.most_in_flight[chat] = max(self.most_in_flight.get(chat, 0), self.in_flight[chat])
        try:
            gate = self.gates.get(chat)
            if gate is not None:
                await gate.wait()
        finally:
            self.in_flight[chat] -= 1
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def wait_received(self, count: int) -> None:
        """Until ``count`` POSTs have arrived (whatever they will be answered)."""
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.received) >= count), 10)

    def open_all(self) -> None:
        for gate in self.gates.values():
            gate.set()


def chat_of(update: JSON) -> int:
    for key, payload in update.items():
        if key != "update_id":
            return int(payload["chat"]["id"] if "chat" in payload else payload["from"]["id"])
    raise AssertionError(f"an empty update {update}")


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    timing = WebhookTiming(retry_initial=0.05, retry_max=0.2, timeout=5.0)
    with SandboxServer(channels=("news",), webhook_timing=timing) as server:
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


async def serve(handler: Any) -> tuple[web.AppRunner, str]:
    """Serve ``handler`` for POST /hook on 127.0.0.1 (a free port); the runner and its URL."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    return runner, f"http://127.0.0.1:{port}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner, hook.url = await serve(hook.handle)
    try:
        yield hook
    finally:
        hook.open_all()
        await runner.cleanup()


async def raw_call(sandbox: SandboxServer, method: str, **params: Any) -> httpx.Response:
    """A Bot API call as any HTTP client sends it, bypassing PTB's typing."""
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sandbox.url}/bot{TOKEN}/{method}", data=params)


# -- setWebhook's checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://example.com/tg", id="https"),
        pytest.param("https://example.com:8443/tg", id="https-port-8443"),
        pytest.param("http://127.0.0.1:8080/tg", id="http-loopback"),
        pytest.param("http://localhost:1234/tg", id="http-localhost"),
        pytest.param("http://[::1]:8080/tg", id="http-ipv6-loopback"),
    ],
)
async def test_set_webhook_accepts(bot: Bot, url: str) -> None:
    """https anywhere (on Telegram's ports), and plain http to a loopback host."""
    assert await bot.set_webhook(url) is True
    info = await bot.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.max_connections) == (url, False, 40)
    assert info.ip_address is None


@pytest.mark.parametrize(
    ("url", "secret", "error"),
    [
        pytest.param(
            "http://example.com/tg", None, "An HTTPS URL must be provided for webhook", id="http"
        ),
        pytest.param(
            "http://10.0.0.5/tg", None, "An HTTPS URL must be provided for webhook", id="http-lan"
        ),
        pytest.param(
            "https://example.com:8080/tg",
            None,
            "Webhook can be set up only on ports 80, 88, 443 or 8443",
            id="port",
        ),
        pytest.param("ftp://example.com/tg", None, "invalid webhook URL specified", id="ftp"),
        pytest.param(
            "https://example.com/tg",
            "not secret!",
            "secret token contains unallowed characters",
            id="secret-chars",
        ),
        pytest.param(
            "https://example.com/tg", "c2VjcmV0==", "unallowed characters", id="secret-base64"
        ),
        pytest.param("https://example.com/tg", "a" * 257, "secret token is too long", id="long"),
    ],
)
async def test_set_webhook_refuses(bot: Bot, url: str, secret: str | None, error: str) -> None:
    """What Telegram refuses is refused with its words, and no webhook is set."""
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await bot.set_webhook(url, secret_token=secret)
    assert (await bot.get_webhook_info()).url == ""


async def test_set_webhook_secret_and_max_connections(
    bot: Bot, client: SandboxClient, sandbox: SandboxServer
) -> None:
    """A 256-character secret is taken; max_connections is clamped to 1..100 as Telegram
    clamps it, and something that is not a number is refused."""
    assert await bot.set_webhook("https://example.com/tg", secret_token="A-z_09" + "x" * 250)
    assert (await client.webhook())["secret_token"] == "A-z_09" + "x" * 250
    for given, kept in ((0, 1), (1, 1), (100, 100), (1000, 100), (7, 7)):
        await bot.set_webhook("https://example.com/tg", max_connections=given)
        assert (await bot.get_webhook_info()).max_connections == kept
    answer = await raw_call(
        sandbox, "setWebhook", url="https://example.com/tg", max_connections="many"
    )
    assert answer.status_code == 400
    assert answer.json()["description"] == "Bad Request: invalid max_connections specified"


# -- getUpdates while a webhook is set -------------------------------------------------------


async def test_get_updates_is_refused_while_a_webhook_is_set(
    bot: Bot, client: SandboxClient
) -> None:
    """409 while the webhook is set; a long poll waiting when it is set ends with 409 too."""
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    assert await client.wait_polling()
    await bot.set_webhook("https://example.com/tg")
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await poll
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_a_webhook_elsewhere_is_never_reached(bot: Bot, client: SandboxClient) -> None:
    """No test reaches the internet: a webhook on a public host fails to resolve, and its
    updates stay pending."""
    await bot.set_webhook("https://example.com/tg")
    sent = await client.send(42, "hello")
    state = await client.webhook(wait_attempts=1)
    [attempt] = state["deliveries"][:1]
    assert attempt["update_id"] == sent["update_id"]
    assert attempt["status"] is None
    assert attempt["error"] == "Failed to resolve host: Name or service not known"
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Failed to resolve host: Name or service not known"


# -- delivery --------------------------------------------------------------------------------


async def test_a_message_reaches_the_webhook_as_get_updates_gives_it(
    bot: Bot, client: SandboxClient, sandbox: SandboxServer, receiver: Receiver
) -> None:
    """An update that came while no webhook was set waits for it; it is POSTed as the JSON
    getUpdates answers, with the secret header, and is then no longer pending."""
    sent = await client.send(42, "/start campaign", first_name="Ann", language_code="hi")
    polled = (await raw_call(sandbox, "getUpdates", timeout="0")).json()["result"]
    assert [u["update_id"] for u in polled] == [sent["update_id"]]

    await bot.set_webhook(receiver.url, secret_token=SECRET)
    state = await client.webhook(wait_for=1)
    assert state["pending"] == 0
    [got] = receiver.received
    assert got.body == polled[0]
    assert got.headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert got.headers["Content-Type"] == "application/json"
    assert got.body["message"]["text"] == "/start campaign"
    [delivery] = state["deliveries"]
    assert delivery["update_id"] == sent["update_id"]
    assert delivery["status"] == 200
    assert delivery["url"] == receiver.url
    assert delivery["error"] is None
    assert state["url"] == receiver.url
    info = await bot.get_webhook_info()
    assert (info.pending_update_count, info.last_error_date) == (0, None)
    assert await client.updates() == []


async def test_no_secret_no_header(bot: Bot, client: SandboxClient, receiver: Receiver) -> None:
    await bot.set_webhook(receiver.url)
    await client.send(42, "hi")
    await client.webhook(wait_for=1)
    [got] = receiver.received
    assert "X-Telegram-Bot-Api-Secret-Token" not in got.headers


async def test_a_refused_update_is_retried_until_accepted(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    """401 keeps the update and is the webhook's last error; the retry's 200 delivers it."""
    receiver.statuses = [401, 502]
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    sent = await client.send(42, "hello")
    deliveries = await client.webhook_deliveries(wait_for=1)
    assert [(d["update_id"], d["status"]) for d in deliveries] == [
        (sent["update_id"], 401),
        (sent["update_id"], 502),
        (sent["update_id"], 200),
    ]
    assert deliveries[0]["error"] == "Wrong response from the webhook: 401 Unauthorized"
    assert [r.body for r in receiver.received] == [receiver.received[0].body] * 3
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert info.last_error_date is not None


async def test_connection_refused_then_a_webhook_that_answers(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    """Nothing listening: "Connection refused", the update stays; a new webhook gets it."""
    dead = f"http://127.0.0.1:{closed_port()}/hook"
    await bot.set_webhook(dead)
    sent = await client.send(42, "hello")
    state = await client.webhook(wait_attempts=2)
    assert state["deliveries"][0]["error"] == "Connection refused"
    assert state["deliveries"][0]["url"] == dead
    info = await bot.get_webhook_info()
    assert (info.pending_update_count, info.last_error_message) == (1, "Connection refused")

    await bot.set_webhook(receiver.url)
    state = await client.webhook(wait_for=1)
    assert [r.update_id for r in receiver.received] == [sent["update_id"]]
    assert state["deliveries"][-1]["url"] == receiver.url
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_one_chat_in_order_while_another_proceeds(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    """A chat's next update waits for its previous one; another chat's do not wait."""
    slow, fast = 7, 8
    receiver.gates[slow] = asyncio.Event()
    await bot.set_webhook(receiver.url)
    slow_ids = [(await client.send(slow, f"slow {n}"))["update_id"] for n in range(3)]
    await receiver.wait_received(1)
    fast_ids = [(await client.send(fast, f"fast {n}"))["update_id"] for n in range(3)]

    state = await client.webhook(wait_for=3)
    assert [d["update_id"] for d in state["deliveries"]] == fast_ids
    assert state["pending"] == 3
    assert state["in_flight"] == 1
    assert [r.update_id for r in receiver.received if r.chat_id == slow] == slow_ids[:1]

    receiver.gates[slow].set()
    state = await client.webhook(wait_for=6, wait_idle=True)
    assert state["pending"] == 0
    assert [r.update_id for r in receiver.received if r.chat_id == slow] == slow_ids
    assert [r.update_id for r in receiver.received if r.chat_id == fast] == fast_ids
    assert receiver.most_in_flight == {slow: 1, fast: 1}


async def test_max_connections_bounds_requests_in_flight(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    """With max_connections=1 a held delivery holds every chat."""
    receiver.gates[7] = asyncio.Event()
    await bot.set_webhook(receiver.url, max_connections=1)
    await client.send(7, "first")
    await receiver.wait_received(1)
    other = await client.send(8, "second")
    state = await client.webhook(wait_for=1, timeout=0.5)
    assert (state["delivered"], state["in_flight"], state["pending"]) == (0, 1, 2)
    receiver.gates[7].set()
    state = await client.webhook(wait_for=2)
    assert state["deliveries"][-1]["update_id"] == other["update_id"]


async def test_delete_webhook_keeps_or_drops_pending_updates(
    bot: Bot, client: SandboxClient
) -> None:
    """Undelivered updates go back to getUpdates, unless dropped."""
    await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/hook")
    sent = await client.send(42, "kept")
    await client.webhook(wait_attempts=1)
    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert [u.update_id for u in await bot.get_updates()] == [sent["update_id"]]
    assert await bot.get_updates(offset=sent["update_id"] + 1) == ()
    assert (await client.webhook())["url"] == ""

    await bot.set_webhook(f"http://127.0.0.1:{closed_port()}/hook")
    attempts = (await client.webhook())["attempts"]
    await client.send(42, "dropped")
    await client.webhook(wait_attempts=attempts + 1)
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert await client.updates() == []
    assert await bot.get_updates() == ()


async def test_set_webhook_can_drop_pending_updates(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    await client.send(42, "old")
    await bot.set_webhook(receiver.url, drop_pending_updates=True)
    sent = await client.send(42, "new")
    await client.webhook(wait_for=1)
    assert [r.update_id for r in receiver.received] == [sent["update_id"]]


async def test_allowed_updates_are_respected(
    bot: Bot, client: SandboxClient, receiver: Receiver
) -> None:
    """By default a channel member's join is not sent; once asked for, it is."""
    joined = await client.join_channel(77, "@news")
    message = await client.send(42, "hello")
    await bot.set_webhook(receiver.url)
    state = await client.webhook(wait_idle=True)
    assert [r.update_id for r in receiver.received] == [message["update_id"]]
    assert state["pending"] == 0
    assert (await bot.get_webhook_info()).allowed_updates == ()

    await bot.set_webhook(receiver.url, allowed_updates=["chat_member"])
    await client.webhook(wait_for=2)
    assert [r.update_id for r in receiver.received] == [message["update_id"], joined]
    assert "chat_member" in receiver.received[1].body
    assert (await bot.get_webhook_info()).allowed_updates == ("chat_member",)
    await client.send(42, "not asked for")
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_timing_can_be_changed_through_the_control_api(client: SandboxClient) -> None:
    timing = await client.webhook_timing(retry_initial=0.5)
    assert timing == {"retry_initial": 0.5, "retry_max": 0.2, "timeout": 5.0}
    timing = await client.webhook_timing(retry_initial=0.05)
    assert timing["retry_initial"] == 0.05


# -- the real python-telegram-bot -------------------------------------------------------------


async def test_ptb_application_answers_start_delivered_by_webhook(
    sandbox: SandboxServer, client: SandboxClient
) -> None:
    """An Application without an Updater, fed by a webhook endpoint that checks the secret as
    PTB's own webhook server does, answers a /start the sandbox POSTed to it."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Hello {update.effective_user.first_name}")

    application = Application.builder().token(TOKEN).base_url(f"{sandbox.url}/bot").updater(None)
    app = application.build()
    app.add_handler(CommandHandler("start", start))

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret":
            return web.Response(status=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return web.Response()

    runner, url = await serve(webhook)
    try:
        async with app:
            await app.start()
            await app.bot.set_webhook(url, secret_token="s3cret", allowed_updates=Update.ALL_TYPES)
            sent = await client.send(42, "/start", first_name="Ann")
            [reply] = await client.bot_messages(42, wait_for=1, timeout=10)
            await app.stop()
    finally:
        await runner.cleanup()
    assert reply["text"] == "Hello Ann"
    [delivery] = await client.webhook_deliveries()
    assert (delivery["update_id"], delivery["status"], delivery["url"]) == (
        sent["update_id"],
        200,
        url,
    )
