"""Editions from EDITIONS: made, updated, kept when no longer configured; feeds from FEEDS."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import EditionConfig, load_settings
from bot.errors import ConfigError
from bot.services.editions import ensure_editions, load_editions
from bot.services.feeds import ensure_feeds
from bot.storage.db import Database
from bot.storage.models import Feed
from tests.helpers import use_editions


class TestEnsureEditions:
    async def test_made_in_order_the_first_is_the_default(self, db: Database) -> None:
        editions = await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
        assert [(e.code, e.language, e.channel) for e in editions.all] == [
            ("en", "en", "@revoi_en"),
            ("hi", "hi", "@revoi_hi"),
        ]
        assert editions.default.code == "en"
        assert editions.for_language("hi-IN").code == "hi"
        assert editions.for_language("ta").code == "en"
        assert editions.get("HI") == editions.by_code["hi"]

    async def test_reordered_and_rechanneled(self, db: Database) -> None:
        first = await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
        again = await use_editions(db, ("hi", "@revoi_hindi"), ("en", "@revoi_en"))
        assert again.default.code == "hi"
        assert again.default.id == first.by_code["hi"].id  # the same row, not a new edition
        assert again.by_code["hi"].channel == "@revoi_hindi"

    async def test_an_edition_no_longer_configured_is_kept_and_posts_nowhere(
        self, db: Database
    ) -> None:
        await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
        editions = await use_editions(db, ("en", "@revoi_en"))
        hindi = editions.by_code["hi"]
        assert (hindi.configured, hindi.channel) == (False, None)
        assert [e.code for e in editions.configured] == ["en"]
        assert editions.for_language("hi").code == "en"  # a retired edition takes nobody new

    async def test_feeds_are_put_in_their_editions(self, db: Database) -> None:
        editions = await use_editions(db, ("en", "@revoi_en"), ("hi", "@revoi_hi"))
        settings = load_settings(
            None,
            editions="en=@revoi_en,hi=@revoi_hi",
            feeds="https://p.example/feed,hi=https://p.example/hindi/feed",
        )
        async with db.session() as session, session.begin():
            await ensure_feeds(session, settings.feed_entries(), editions)
        async with db.session() as session:
            rows = dict(list(await session.execute(select(Feed.url, Feed.edition_id))))
        assert rows == {
            "https://p.example/feed": editions.by_code["en"].id,
            "https://p.example/hindi/feed": editions.by_code["hi"].id,
        }

    async def test_feeds_of_no_edition_get_the_default(self, db: Database) -> None:
        async with db.session() as session, session.begin():
            session.add(Feed(url="https://p.example/old", title="", active=True, primed=False,
                             error_count=0))  # fmt: skip
        await use_editions(db, ("hi", "@revoi_hi"))
        async with db.session() as session:
            editions = await load_editions(session)
            edition_id = await session.scalar(select(Feed.edition_id))
        assert edition_id == editions.default.id

    async def test_none_is_refused(self, db: Database) -> None:
        async with db.session() as session:
            with pytest.raises(ValueError, match="at least one"):
                await ensure_editions(session, [])


class TestSettings:
    def test_one_channel_alone_is_edition_en(self) -> None:
        settings = load_settings(None, telegram_channel="@revoi")
        assert settings.edition_configs() == [EditionConfig("en", "@revoi")]

    def test_editions_parsed(self) -> None:
        settings = load_settings(None, editions="en=@revoi_en, hi=revoi_hi,ur")
        assert settings.edition_configs() == [
            EditionConfig("en", "@revoi_en"),
            EditionConfig("hi", "@revoi_hi"),
            EditionConfig("ur", None),
        ]

    def test_feed_entries_keep_query_strings(self) -> None:
        settings = load_settings(
            None, editions="en,hi", feeds="https://p.example/f?a=1&b=2,HI=https://p.example/h"
        )
        assert settings.feed_entries() == [
            (None, "https://p.example/f?a=1&b=2"),
            ("hi", "https://p.example/h"),
        ]

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"editions": "en=@revoi_en,en=@other"}, "EDITIONS: names an edition twice"),
            ({"editions": "english=@revoi"}, "EDITIONS: 'english' is not an edition code"),
            ({"editions": "en=@x"}, "EDITIONS: must be a channel @username"),
            ({"feeds": "hi=https://p.example/f"}, "FEEDS: 'https://p.example/f' names edition"),
            (
                {"editions": "en=@revoi_en", "telegram_channel": "@revoi_other"},
                "TELEGRAM_CHANNEL: is set beside EDITIONS",
            ),
            ({"timezone": "Asia/Nowhere"}, "TIMEZONE: 'Asia/Nowhere' is not a time zone"),
            ({"timezone": "America"}, "TIMEZONE: 'America' is not a time zone"),  # a folder
            ({"publisher_name": "x" * 1001}, "PUBLISHER_NAME: is longer than 1000 characters"),
        ],
    )
    def test_bad_values_name_their_key(self, values: dict[str, str], message: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, **values)
        assert str(caught.value).startswith(message)
