"""The running bot: PTB ``Application`` (rate limiter, handlers, jobs) around newsbot's core.

::

    async with Newsbot(settings) as newsbot:   # migrate, getMe, commands, long polling, jobs
        await stop_event.wait()

:func:`build_application` builds the PTB side and nothing else; :class:`Newsbot` adds it to
the PTB-free :class:`~bot.core.Core` (database, fetcher, editions), with the outbox and its
pictures, and is what handlers and jobs reach through ``context.bot_data["newsbot"]``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast

from sqlalchemy import select
from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    ExtBot,
    JobQueue,
)

from bot.config import Settings
from bot.console.app import console_app
from bot.console.server import ConsoleServer
from bot.console.web import ConsoleState
from bot.core import Core
from bot.errors import AlreadyPostedError, SendStateError
from bot.feeds.fulltext import fetch_article
from bot.handlers import register_handlers, resend, review, texts
from bot.handlers.common import runtime
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, translator_for
from bot.logs import redact_also
from bot.posting import Pictures, channel_problem, chat_id_for, picture_fetcher
from bot.rate_limits import NewsbotRateLimiter
from bot.services import digests, readers, roles, sends
from bot.services.console_auth import secret as stored_secret
from bot.services.editions import Editions
from bot.storage.db import Database
from bot.storage.leases import Leader
from bot.storage.models import ReviewMessage, SendStatus, utcnow
from bot.telegram_request import AiohttpRequest, NewsbotHTTPXRequest
from bot.update_order import UPDATE_CONCURRENCY, PerChatUpdateProcessor
from bot.webhook import WebhookReceiver
from jobs.admins import schedule_admins
from jobs.corrections import apply_corrections, schedule_corrections
from jobs.deliver import DrainReport, Outbox
from jobs.digest import schedule_digests
from jobs.leader import Polling
from jobs.poll import Poller, PollOptions, PollResult
from jobs.progress import ProgressReporter, schedule_progress
from jobs.repeating import run_now_and_every
from jobs.retention import schedule_retention
from jobs.schedule import schedule_sends

log = logging.getLogger(__name__)

NewsbotApplication = Application[
    ExtBot[None], CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]],
    dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Any],
]  # fmt: skip

#: The update types newsbot handles; Telegram sends no others.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHAT_MEMBER,  # the channels' administrators, and joins through invite links
    Update.MESSAGE_REACTION_COUNT,  # reactions on the channels' posts
]
DELIVERY_INTERVAL = 2.0  # seconds between two sweeps of the outbox (retries, missed kicks)
#: What newsbot sends at most without paid broadcasts: a margin under Telegram's 30 a second
#: (and its burst of 30), since a request's arrival at Telegram is not its departure from
#: here: at exactly 30 two messages sent 1/30 s apart can arrive closer and meet a 429.
OVERALL_RATE = 29.5
OVERALL_BURST = 25
#: The paid lane likewise: BROADCAST_RATE less 2%, in bursts of 250 at most (a claim sends up
#: to a quarter of its 256 slots at once: a smaller burst would make them wait).
PAID_MARGIN = 0.98
PAID_BURST = 250
#: Connections to the Bot API for everything but the long poll (the outbox's senders).
REQUEST_POOL = 256
#: Seconds between two looks for due feeds (each feed is due on its own clock).
POLL_TICK = 10


def build_application(settings: Settings) -> NewsbotApplication:
    """A PTB Application for ``settings``: Bot API URL, ``AIORateLimiter``, handlers."""
    api = settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        # Replies retry a flood wait themselves (rate_limit_args), pausing only themselves; the
        # outbox retries none: it reschedules a RetryAfter row and pauses only its chat.
        .rate_limiter(
            NewsbotRateLimiter(
                # aiolimiter's bucket holds max_rate and drains it in time_period.
                overall_max_rate=OVERALL_BURST,
                overall_time_period=OVERALL_BURST / OVERALL_RATE,
                paid_max_rate=min(PAID_BURST, settings.broadcast_rate),
                paid_time_period=min(PAID_BURST, settings.broadcast_rate)
                / (settings.broadcast_rate * PAID_MARGIN),
                max_retries=0,
            )
        )
        # aiohttp for sending (httpx caps the outbox near 100 messages/s), httpx for the long
        # poll; both tell a request that never left (RequestNotSent) from a lost answer.
        .request(AiohttpRequest(connection_pool_size=REQUEST_POOL))
        .get_updates_request(NewsbotHTTPXRequest(connection_pool_size=1))
        # Readers' updates concurrently (bounded), each chat's own in order: see bot.update_order.
        .concurrent_updates(PerChatUpdateProcessor(UPDATE_CONCURRENCY))
        .build()
    )
    register_handlers(application)
    return cast(NewsbotApplication, application)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Poll the feeds that are due; hand new deliveries to the outbox at once."""
    await runtime(context).poll_due()


async def deliver_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send what is due in the outbox."""
    await runtime(context).outbox.drain(context.bot)


class Newsbot:
    """newsbot running: database, fetchers, outbox, and the PTB application polling Telegram."""

    def __init__(self, settings: Settings, *, database: Database | None = None) -> None:
        self.settings = settings
        #: what handlers, jobs and the CLI share, without Telegram (database, fetcher, editions).
        self.core = Core(settings, database=database, wake=self.kick)
        self.db = self.core.db
        self.fetcher = self.core.fetcher
        self.parser = self.core.parser
        self.post_options = self.core.post_options
        self.poller = Poller(
            self.db,
            self.fetcher,
            PollOptions(
                interval=settings.poll_interval,
                concurrency=settings.poll_concurrency,
                pause_after=settings.feed_pause_after,
                post=self.post_options,
                quiet=settings.quiet,
                zone=settings.zone,
            ),
            parser=self.parser,
            full_text=functools.partial(fetch_article, parser=self.parser),
        )
        #: the pictures Telegram will not fetch itself, downloaded by newsbot (one per process:
        #: each picture downloaded and uploaded once, whichever chats and previews ask for it).
        self.picture_fetcher = picture_fetcher(
            allow_private_networks=settings.allow_private_networks
        )
        self.pictures = Pictures(self.picture_fetcher)
        self.outbox = Outbox(
            self.db,
            concurrency=settings.outbox_concurrency,
            pictures=self.pictures,
            allow_private_networks=settings.allow_private_networks,
            paid=settings.paid_broadcast,
            on_unknown=self.tell_unknown_posts,
            bundle_after=settings.bundle_after,
        )
        #: edits the editors' progress messages and finishes the sends (jobs.progress).
        self.progress = ProgressReporter(self.db)
        self.application = build_application(settings)
        self.application.bot_data["newsbot"] = self
        self.username: str | None = None
        self._poll_lock = asyncio.Lock()
        #: long-polls getUpdates in the one process leading those on the database (jobs.leader).
        self.polling: Polling | None = None
        #: what time it is for digests (their hour, "today"); a test sets its own.
        self.clock: Callable[[], datetime] = utcnow
        #: the web console, served on CONSOLE_BIND by this process (None when it is empty).
        self.console = ConsoleState(self.core, hooks=_ConsoleHooks(self))
        self.console_server: ConsoleServer | None = None

    @property
    def editions(self) -> Editions:
        return self.core.editions

    async def start(self) -> None:
        """Migrate, make editions and feeds, greet Telegram, register commands, check the
        channels, start polling and the jobs."""
        await self.core.open()  # the outbox takes back dead processes' claims at each drain
        self.outbox.default_language = self.editions.default.language  # of bundles
        app = self.application
        await app.initialize()  # getMe: a rejected token fails here
        self.username = app.bot.username
        await self.set_commands()
        await self.check_channels()
        await self.refresh_admins()
        await self.set_editor_commands()
        await self.review_unreviewed()  # approvals a stop left unseen
        self.console.bot_username = self.username
        receiver = await self._webhook_receiver()
        address = self.settings.console_address
        if address is not None:
            extra = [receiver.route()] if receiver is not None else []
            self.console_server = ConsoleServer(console_app(self.console, extra_routes=extra))
            await self.console_server.start(*address)
            self.console.served_at = (address[0], self.console_server.port)
        jobs = app.job_queue
        assert jobs is not None, "python-telegram-bot[job-queue] is a dependency"
        job_kwargs = {"max_instances": 1, "coalesce": True}
        tick = min(self.settings.poll_interval, POLL_TICK)
        jobs.run_repeating(poll_job, tick, first=0, name="poll", job_kwargs=job_kwargs)
        # At once: what a crash left in the outbox goes out now, not one interval later.
        run_now_and_every(jobs, deliver_job, DELIVERY_INTERVAL, name="deliver")
        schedule_digests(jobs)
        schedule_admins(jobs)
        schedule_progress(jobs)
        schedule_sends(jobs)
        schedule_corrections(jobs)
        schedule_retention(jobs)
        await app.start()
        if receiver is not None and self.settings.webhook_url:
            # Every process registers the same URL: updates kept meanwhile are delivered.
            await receiver.register(self.settings.webhook_url, allowed_updates=ALLOWED_UPDATES)
        else:
            assert app.updater is not None
            self.polling = Polling(Leader(self.db), allowed_updates=ALLOWED_UPDATES)
            await self.polling.start(app.updater, jobs)  # or later, when this process leads
        log.info(
            "newsbot started bot=@%s mode=%s editions=%s feeds=%d poll_interval=%ds",
            self.username,
            "webhook" if receiver is not None else "polling",
            ",".join(f"{e.code}:{e.channel or '-'}" for e in self.editions.configured),
            len(self.settings.feeds),
            self.settings.poll_interval,
        )

    async def _webhook_receiver(self) -> WebhookReceiver | None:
        """In webhook mode (WEBHOOK_URL), the route that takes the updates, with its secret:
        WEBHOOK_SECRET, else the one kept in the database for every process."""
        if not self.settings.webhook_url:
            return None
        given = self.settings.webhook_secret
        if given is not None:
            secret = given.get_secret_value()
        else:
            async with self.db.writing() as session:
                secret = (await stored_secret(session, "webhook"))[:64]
        redact_also(secret)  # PTB logs setWebhook's parameters at DEBUG
        return WebhookReceiver(self.application, secret=secret, path=self.settings.webhook_path)

    async def set_commands(self) -> None:
        """Register the command menu in every language newsbot speaks; Telegram shows each user
        the one for their ``language_code``, and the default language's to everyone else."""
        bot = self.application.bot

        def menu(language: str) -> list[BotCommand]:
            return [
                BotCommand(name, text) for name, text in texts.commands(translator_for(language))
            ]

        await bot.set_my_commands(menu(DEFAULT_LANGUAGE))
        for language in LANGUAGES:
            await bot.set_my_commands(menu(language), language_code=language)

    async def set_editor_commands(self) -> int:
        """Give each editor (EDITOR_IDS, the channels' administrators) a menu with the
        editors' commands too: in each language newsbot speaks (Telegram shows the one of the
        editor's app), else in the language they chose; how many editors got it (an editor
        who never started the bot has no chat to give it in)."""
        bot = self.application.bot
        async with self.db.session() as session:
            editors = await roles.editor_ids(session, self.settings.editor_ids)

        def menu(t: Translator) -> list[BotCommand]:
            return [
                BotCommand(name, text)
                for name, text in (*texts.commands(t), *texts.editor_commands(t))
            ]

        given = 0
        for editor in editors:
            scope = BotCommandScopeChat(editor)
            try:
                await bot.set_my_commands(menu(await self._editor_translator(editor)), scope=scope)
                for language in LANGUAGES:
                    await bot.set_my_commands(
                        menu(translator_for(language)), scope=scope, language_code=language
                    )
            except TelegramError as exc:
                log.info("editor menu not set chat_id=%s error=%r", editor, str(exc))
                continue
            given += 1
        return given

    async def check_channels(self) -> dict[str, str]:
        """Whether the bot may post to each edition's channel; each problem is said once, at
        start-up. The problems, by channel."""
        problems = {}
        for edition in self.editions.configured:
            if edition.channel is None:
                continue
            problem = await channel_problem(self.application.bot, edition.channel)
            if problem is not None:
                log.warning(
                    "channel unusable edition=%s channel=%s problem=%r",
                    edition.code,
                    edition.channel,
                    problem,
                )
                problems[edition.channel] = problem
        return problems

    async def publish_due(self) -> int:
        """Publish the scheduled sends whose time (by :attr:`clock`) has come; each editor's
        control message then shows the delivery. How many were published."""
        now = self.clock()
        async with self.db.session() as session:
            due = await sends.due(session, now)
        published = 0
        for send_id in due:
            try:
                async with self.db.writing() as session:
                    await sends.publish(
                        session,
                        send_id,
                        by=sends.Decider(None),
                        now=now,
                        quiet=self.settings.quiet,
                        zone=self.settings.zone,
                        due_by=now,
                    )
            except SendStateError as exc:
                # Moved, cancelled or published meanwhile (an editor, another process): whoever
                # did it has said so in the send's message.
                log.info("scheduled send not published send_id=%s error=%r", send_id, str(exc))
                continue
            except AlreadyPostedError as exc:  # the article went out another way meanwhile
                log.info("scheduled send not published send_id=%s error=%r", send_id, str(exc))
                try:
                    async with self.db.writing() as session:
                        await sends.cancel(session, send_id, by=sends.Decider(None))
                except SendStateError:
                    continue
                await self.show_decision(send_id, exc)
                continue
            published += 1
            await self.show_decision(send_id)
        if published:
            self.kick()
        return published

    async def _editor_translator(self, chat: int) -> Translator:
        async with self.db.session() as session:
            language = await readers.language_of(
                session, chat, default=self.editions.default.language
            )
        return translator_for(language)

    async def show_decision(
        self, send_id: int, problem: SendStateError | AlreadyPostedError | None = None
    ) -> None:
        """Edit the send's control message to say what became of it (published: the
        delivery's progress follows there)."""
        async with self.db.session() as session:
            found = await sends.get(session, send_id)
        if found is None or found[0].chat is None or found[0].message_id is None:
            return
        send, article = found
        t = await self._editor_translator(send.chat or 0)
        now = self.clock()
        if problem is not None:
            text = review.refusal(t, problem, now, self.settings.zone)
        elif send.status in (SendStatus.QUEUED, SendStatus.DONE):
            async with self.db.session() as session:
                progress = await sends.progress_of(session, send_id)
            edition = self.editions.by_id.get(send.edition_id or 0)
            channel = edition.channel if edition else None
            readers = progress.total - (1 if channel else 0)
            text = review.delivering_text(t, article, readers, channel)
        else:
            text = review.decided_text(t, send, article, now, self.settings.zone)
        try:
            await self.application.bot.edit_message_text(
                text, chat_id=send.chat, message_id=send.message_id, parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:
            log.info("control message not edited send_id=%s error=%r", send_id, str(exc))

    async def review_awaiting(self, send_ids: Sequence[int]) -> int:
        """Send every editor each article awaiting approval: its post and Publish / Skip;
        the messages are kept (``review_messages``) so that all of them show who decided.
        How many previews were sent."""
        if not send_ids:
            return 0
        async with self.db.session() as session:
            editors = await roles.editor_ids(session, self.settings.editor_ids)
        bot = self.application.bot
        sent = 0
        for send_id in send_ids:
            async with self.db.session() as session:
                found = await sends.get(session, send_id)
            if found is None:
                continue
            send, article = found
            edition = self.editions.by_id.get(send.edition_id or 0)
            for editor in editors:
                t = await self._editor_translator(editor)
                try:
                    await review.send_preview(bot, editor, article, self.pictures)
                    control = await review.send_control(
                        bot,
                        editor,
                        review.control_text(
                            t,
                            send,
                            article,
                            edition,
                            now=self.clock(),
                            zone=self.settings.zone,
                            quiet=self.settings.quiet,
                        ),
                        review.draft_keyboard(t, send, self.editions),
                    )
                except TelegramError as exc:  # an editor who never started the bot
                    log.warning("approval not shown chat_id=%s error=%r", editor, str(exc))
                    continue
                async with self.db.writing() as session:
                    session.add(
                        ReviewMessage(send_id=send_id, chat=editor, message_id=control.message_id)
                    )
                sent += 1
        return sent

    async def review_unreviewed(self) -> int:
        """Show the editors the articles awaiting approval that none of them was shown."""
        async with self.db.session() as session:
            waiting = await sends.unreviewed(session)
        return await self.review_awaiting(waiting)

    async def close_reviews(self, send_id: int, *, keep_chat: int | None = None) -> None:
        """Edit every editor's approval message of the send to say who decided what (the one
        in ``keep_chat``, which shows the delivery's progress, excepted)."""
        async with self.db.session() as session:
            found = await sends.get(session, send_id)
            messages = list(
                await session.scalars(select(ReviewMessage).where(ReviewMessage.send_id == send_id))
            )
        if found is None:
            return
        send, article = found
        for review_message in messages:
            if review_message.chat == keep_chat:
                continue
            t = await self._editor_translator(review_message.chat)
            try:
                await self.application.bot.edit_message_text(
                    review.decided_text(t, send, article, self.clock(), self.settings.zone),
                    chat_id=review_message.chat,
                    message_id=review_message.message_id,
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError as exc:
                log.info(
                    "approval message not edited chat_id=%s error=%r",
                    review_message.chat,
                    str(exc),
                )

    async def refresh_admins(self) -> int:
        """Ask Telegram for each edition's channel's administrators and keep them as editors
        (:mod:`bot.services.roles`); a channel Telegram will not list keeps what was known.
        How many administrators there are in all."""
        bot = self.application.bot
        channels = [e.channel for e in self.editions.configured if e.channel]
        listed: dict[str, list[roles.Admin]] = {}
        for channel in channels:
            try:
                members = await bot.get_chat_administrators(chat_id_for(channel))
            except TelegramError as exc:
                log.warning("channel administrators unknown channel=%s error=%r", channel, str(exc))
                continue
            listed[channel] = [
                roles.Admin(m.user.id, m.user.full_name) for m in members if not m.user.is_bot
            ]
        now = utcnow()
        async with self.db.writing() as session:
            await roles.forget_channels_except(session, channels)
            for channel, admins in listed.items():
                await roles.replace_admins(session, channel, admins, now)
        return sum(len(admins) for admins in listed.values())

    async def stop(self) -> None:
        """Stop polling and the jobs, let running work finish, close everything."""
        app = self.application
        self.outbox.stop()  # a long queue must not hold up the shutdown
        try:
            if self.console_server is not None:
                await self.console_server.stop()
            if self.polling is not None:
                await self.polling.stop()  # the updater stopped, the lead is released
            if app.running:
                await app.stop()
            await app.shutdown()
        finally:
            await self.picture_fetcher.aclose()
            await self.core.aclose()
            if self.username is not None:
                log.info("newsbot stopped bot=@%s", self.username)

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def poll_due(self) -> list[PollResult]:
        """Poll the feeds that are due; new deliveries go to the outbox at once."""
        async with self._poll_lock:  # the poll job and an explicit poll never overlap
            results = await self.poller.poll_due()
        await self._after_poll(results)
        return results

    async def poll_now(self) -> list[PollResult]:
        """Poll every active feed now, whatever its schedule."""
        async with self._poll_lock:
            results = await self.poller.poll_all()
        await self._after_poll(results)
        return results

    async def _after_poll(self, results: list[PollResult]) -> None:
        """Kick the outbox if anything was queued; tell the editors of each feed just paused."""
        if any(result.deliveries for result in results):
            self.kick()
        await self.review_awaiting([send for result in results for send in result.awaiting])
        for result in results:
            if result.paused:
                await self.tell_editors(
                    functools.partial(
                        texts.feed_paused,
                        feed_id=result.feed_id,
                        url=result.url,
                        failures=result.failures,
                        kind=result.error_kind,
                        error=result.error,
                    )
                )

    async def tell_editors(self, say: str | Callable[[Translator], str]) -> int:
        """Send a text (Telegram HTML) to every editor (EDITOR_IDS, the channels'
        administrators), each in their language
        when ``say`` makes it from a translator; how many got it."""
        told = 0
        async with self.db.session() as session:
            editors = await roles.editor_ids(session, self.settings.editor_ids)
        for editor in editors:
            if isinstance(say, str):
                text = say
            else:
                async with self.db.session() as session:
                    language = await readers.language_of(
                        session, editor, default=self.editions.default.language
                    )
                    text = say(translator_for(language))
            try:
                await self.application.bot.send_message(editor, text, parse_mode="HTML")
            except TelegramError as exc:  # an editor who never started the bot, or blocked it
                log.warning("editor not told chat_id=%s error=%r", editor, str(exc))
            else:
                told += 1
        return told

    async def queue_digests(self) -> int:
        """Queue the daily digests due at :attr:`clock`'s time, in batches of transactions of
        their own; kick the outbox if any was. How many were queued."""
        queued = await digests.queue_digests(
            self.db,
            self.clock(),
            default_zone=self.settings.zone,
            default_language=self.editions.default.language,
        )
        if queued:
            self.kick()
        return queued

    async def report_progress(self) -> int:
        """Edit each published send's progress message when due, finish the sends whose
        deliveries settled and tell of their failures once (:mod:`jobs.progress`). How many
        sends were finished."""
        return await self.progress.report(
            self.application.bot,
            default_language=self.editions.default.language,
            tell=self.tell_editors,
        )

    async def tell_unknown_posts(self, ids: list[int]) -> None:
        """Tell the editors of channel posts that may not have gone out, with a Resend button."""
        await resend.alert_unknown(
            self.application.bot,
            self.db,
            self.settings.editor_ids,
            self.editions.default.language,
            ids,
        )

    async def apply_corrections(self) -> int:
        """Edit the sent posts of articles their source corrected (:mod:`jobs.corrections`):
        the channels', and readers' copies with EDIT_READER_COPIES. How many were edited."""
        return await apply_corrections(
            self.db, self.application.bot, readers=self.settings.edit_reader_copies
        )

    def kick(self) -> None:
        """Have the outbox send what is due now rather than at its next sweep."""
        jobs = self.application.job_queue
        assert jobs is not None
        jobs.run_once(deliver_job, 0, name="deliver-now")

    async def decided_in_console(self, send_id: int) -> None:
        """An editor decided a send in the console: its control message and every editor's
        approval message in Telegram say so; the outbox sends what it queued."""
        self.kick()
        await self.show_decision(send_id)
        await self.close_reviews(send_id)

    async def drain_now(self) -> DrainReport:
        """Send what is due in the outbox and wait until it is done."""
        return await self.outbox.drain(self.application.bot)


class _ConsoleHooks:
    """What the console served by a running bot asks of it (its ``ConsoleHooks``)."""

    def __init__(self, newsbot: Newsbot) -> None:
        self._newsbot = newsbot

    async def decided(self, send_id: int) -> None:
        await self._newsbot.decided_in_console(send_id)

    async def bot_api_problem(self) -> str | None:
        try:
            await self._newsbot.application.bot.get_me()
        except TelegramError as exc:
            return f"the Bot API refused: {exc}"
        except Exception as exc:  # the network, whatever PTB's request class raised
            return f"the Bot API is unreachable: {type(exc).__name__}"
        return None
