"""newsbot's core without Telegram: what handlers, jobs, the CLI and the console share.

::

    core = Core(settings)
    await core.open()                 # migrate; editions and feeds from the settings
    core.editions.default.channel     # editions, as configured
    async with core.db.session() as session, session.begin():
        ...                           # each use case opens its own transaction
    core.wake()                       # have the outbox send what was just queued
    await core.aclose()

:class:`bot.app.Newsbot` builds one and adds Telegram (PTB's ``Application``, the outbox's
sender, the jobs); ``wake`` is how it learns that deliveries are waiting. Nothing here imports
PTB.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.workers import ParserPool, default_workers
from bot.i18n import Translator, translator_for
from bot.services.editions import Editions, ensure_editions
from bot.services.feeds import ensure_feeds
from bot.storage.db import Database

log = logging.getLogger(__name__)


class Core:
    """Settings, database, fetcher, parsers, editions and the outbox's wake-up."""

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.db = database or Database(settings.database_url)
        self.fetcher = Fetcher(
            allow_private_networks=settings.allow_private_networks,
            timeout=settings.fetch_timeout,
            max_connections=max(settings.poll_concurrency * 2, 16),
        )
        workers = settings.parse_workers
        self.parser = ParserPool(workers=default_workers() if workers is None else workers)
        #: how articles become posts (POST_STYLE, HASHTAGS_MAX, UTM_SOURCE, POST_TEMPLATE).
        self.post_options = settings.post_options()
        self._wake = wake
        self._editions: Editions | None = None

    @property
    def editions(self) -> Editions:
        """The editions, as :meth:`open` made them from EDITIONS."""
        if self._editions is None:
            raise RuntimeError("Core.open() has not run")
        return self._editions

    def translator(self, language: str | None) -> Translator:
        """The translator for ``language``; for none, the default edition's language."""
        fallback = self._editions.default.language if self._editions else None
        return translator_for(language or fallback)

    def wake(self) -> None:
        """Tell the outbox that deliveries are waiting (nothing when no sender runs here)."""
        if self._wake is not None:
            self._wake()

    async def open(self) -> None:
        """Migrate the database; make the editions and FEEDS' feeds as configured."""
        await self.db.migrate()
        async with self.db.session() as session, session.begin():
            self._editions = await ensure_editions(session, self.settings.edition_configs())
            await ensure_feeds(session, self.settings.feed_entries(), self._editions)

    async def aclose(self) -> None:
        """Close the fetcher, the parsing processes and the database."""
        await self.fetcher.aclose()
        await self.parser.aclose()
        await self.db.dispose()
