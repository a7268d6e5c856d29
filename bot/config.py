"""One frozen settings object, read from the environment and ``.env``, validated at start-up.

Every key is one field of :class:`Settings` with its default and description;
``.env.example`` is rendered from them by :func:`env_example` (a test keeps the file equal)::

    settings = load_settings()            # raises ConfigError naming the key that is wrong
    settings.database_url                 # always an async SQLAlchemy URL
    settings.require_token()              # the token, or ConfigError if it is not set

The token is a :class:`pydantic.SecretStr`: its ``repr`` and ``str`` never show it.
``POST_TEMPLATE`` is checked at start-up like any other key (a bad template is a ConfigError
with its line and reason); :meth:`Settings.post_options` gives what the formatter needs.

A number or a switch that is wrong is said in words made of the field's own bounds and unit
(``POLL_INTERVAL: must be a whole number of seconds from 1 to 86400``), not in pydantic's.
The ``.env`` file is read by python-dotenv's own parser first (:func:`check_env_file`): a line
it cannot read is a ConfigError naming the line, where dotenv alone would skip it with a
warning, and a key that is no setting but close to one is reported with the setting it
resembles (``.env line 3: TELEGRAM_CHANEL is not a setting; did you mean TELEGRAM_CHANNEL?``).
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self, Union, get_args, get_origin
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import annotated_types
from dotenv.parser import parse_stream
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import ConfigError, TemplateError
from bot.links import has_credentials, redact_url
from bot.quiet_hours import QuietHours, parse_quiet_hours

if TYPE_CHECKING:
    from bot.formatting.post import PostOptions, PostStyle

TOKEN_PATTERN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,64}")
CHANNEL_PATTERN = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}|-100\d{5,16}")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///newsbot.sqlite3"
UTM_SOURCE_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,64}")

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


#: An edition's code: a language tag such as ``en``, ``hi`` or ``pt-br``.
EDITION_CODE_PATTERN = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")
_FEED_ENTRY = re.compile(r"([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)=(.*)", re.DOTALL)


def edition_code(text: str) -> str:
    """An edition's code as written anywhere (``HI``, `` pt_BR``) in its one spelling:
    ``hi``, ``pt-br``."""
    return text.strip().lower().replace("_", "-")


def find_zone(name: str) -> ZoneInfo | None:
    """The IANA time zone ``name`` (``Asia/Kolkata``), or None when this system has none such:
    an unknown name, a malformed one, or a folder of zones (``America``)."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: IsADirectoryError
        return None


@dataclass(frozen=True, slots=True)
class EditionConfig:
    """One edition as EDITIONS names it: its code (which is its language) and its channel."""

    code: str
    channel: str | None = None

    @classmethod
    def parse(cls, code: str, channel: str | None) -> EditionConfig:
        """An edition from ``code`` and ``channel`` as written; ValueError naming the fault."""
        code = edition_code(code)
        if not EDITION_CODE_PATTERN.fullmatch(code):
            raise ValueError(
                f"{code[:32]!r} is not an edition code; use a language code such as en or hi"
            )
        return cls(code, check_channel(channel))


def split_feed_entry(entry: str) -> tuple[str | None, str]:
    """A FEEDS entry as (edition code or ``None``, URL): ``hi=https://…`` or ``https://…``."""
    match = _FEED_ENTRY.fullmatch(entry.strip())
    if match is None:
        return None, entry.strip()
    return edition_code(match.group(1)), match.group(2)


def check_channel(value: Any) -> str | None:
    """A channel as Telegram takes it (``@name`` or ``-100…``), ``None`` for empty; else
    ValueError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not text.startswith(("@", "-")):
        text = "@" + text
    if not CHANNEL_PATTERN.fullmatch(text):
        raise ValueError("must be a channel @username (5-32 characters) or a -100… chat id")
    return text


#: Hosts a webhook may be plain http on (Telegram itself takes https only; tests, a sandbox).
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
#: Paths the console serves: WEBHOOK_URL's path must be none of them.
CONSOLE_PATHS = (
    "/login",
    "/logout",
    "/articles",
    "/feeds",
    "/campaigns",
    "/static",
    "/healthz",
    "/readyz",
    "/metrics",
)


def split_bind(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as a pair, or ``None`` when it is not one."""
    match = re.fullmatch(r"\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})\s*", text)
    if match is None or not 0 <= int(match[2]) <= 65535:
        return None
    return match[1].strip("[]"), int(match[2])


def local_url(host: str, port: int) -> str:
    """The http URL of a server listening on ``host``:``port`` (all interfaces: loopback)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a browser's address, not a bind
        host = "127.0.0.1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    return value


class Settings(BaseSettings):
    """newsbot's configuration; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, description="The bot's token from @BotFather. Needed by `run` and `push`."
    )
    telegram_channel: str | None = Field(
        default=None,
        description="Channel that gets every post: `@username` or `-100…` id. Empty: none.",
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        description="Bot API server; requests go to `{TELEGRAM_API_URL}/bot{token}/{method}`.",
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLite file, or `postgresql+asyncpg://user:password@host/dbname`.",
    )
    editions: Annotated[list[EditionConfig], NoDecode] = Field(
        default_factory=list,
        description="The publisher's editions as `code=@channel`, separated by commas, the"
        " default first: `en=@revoi_en,hi=@revoi_hi` (a code is its language; the channel may be"
        " left out). Empty: one edition, `en`, posting to TELEGRAM_CHANNEL.",
    )
    feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Feed URLs, separated by commas or spaces, added on start; `hi=URL` puts a"
        " feed in edition `hi` (else it is the default edition's).",
    )
    poll_interval: int = Field(
        default=300,
        ge=1,
        le=86400,
        description="Seconds between two polls of a feed (1-86400); `feeds set ID --interval`"
        " sets one feed's own.",
    )
    fetch_timeout: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="Seconds one fetch of a feed or page may take in all, redirects and body"
        " included.",
    )
    poll_concurrency: int = Field(
        default=32, ge=1, le=512, description="Feeds fetched at the same time (at most 2 per host)."
    )
    feed_pause_after: int = Field(
        default=10,
        ge=0,
        le=10000,
        description="Consecutive failures after which a feed is paused and editors are told"
        " (0: never).",
    )
    parse_workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="Processes that parse feeds; empty: one per core, 0: a thread of the bot.",
    )
    editor_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(),
        description="Telegram user ids allowed to `/push`, separated by commas.",
    )
    allow_private_networks: bool = Field(
        default=False, description="Allow feeds and pages on loopback/private addresses."
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: str = Field(
        default="text",
        description="`text` (a line of words and key=value) or `json` (one JSON object a line).",
    )
    timezone: str = Field(
        default="Asia/Kolkata",
        description="The publisher's time zone (IANA name): readers' digest hours are in it.",
    )
    quiet_hours: str = Field(
        default="",
        description="Quiet hours for the channels, in TIMEZONE (e.g. 23:00-07:00): posts go out"
        " without a sound, except those an editor marks Breaking. Empty: none.",
    )
    publisher_name: str | None = Field(
        default=None,
        description="The publisher's name, as readers are welcomed with it. Empty: the bot's"
        " own name.",
    )
    welcome_en: str | None = Field(
        default=None,
        description="Welcome text for readers in English, in place of newsbot's (plain text).",
    )
    welcome_hi: str | None = Field(
        default=None,
        description="Welcome text for readers in Hindi, in place of newsbot's (plain text).",
    )
    post_style: str = Field(
        default="photo",
        description="`photo` (the picture, the post as its caption), `preview` (a message with"
        " the link's large preview) or `text` (no picture, no preview).",
    )
    hashtags_max: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Hashtags made of an article's categories, at most (0-10; 0: none).",
    )
    utm_source: str | None = Field(
        default=None,
        description="When set, posted links get `utm_source=` it, `utm_medium=telegram` and"
        " `utm_campaign=` the channel's name (`dm` in readers' chats).",
    )
    post_template: str | None = Field(
        default=None,
        description="A post template (Jinja2, see Post templates): a file's path, or the"
        " template itself when it holds `{{`, `{%`, `<` or a line break. Empty: newsbot's layout.",
    )
    paid_broadcast: bool = Field(
        default=False,
        description="Send the outbox's messages as paid broadcasts (allow_paid_broadcast: Telegram"
        " charges Stars for messages past 30 a second), up to BROADCAST_RATE a second.",
    )
    broadcast_rate: int = Field(
        default=1000,
        ge=1,
        le=1000,
        description="Messages a second the outbox sends in all with PAID_BROADCAST (Telegram's"
        " paid lane takes up to 1000); each chat's own limit stays.",
    )
    send_concurrency: int = Field(
        default=0,
        ge=0,
        le=1024,
        description="Outbox messages in flight at once (0: 16, or 256 with PAID_BROADCAST). A"
        " crash may resend at most this many to readers.",
    )
    bundle_after: int = Field(
        default=0,
        ge=0,
        le=50,
        description="A reader with this many articles waiting at once gets one message listing"
        " them instead of one message each (0: never).",
    )
    edit_reader_copies: bool = Field(
        default=False,
        description="When the source corrects a published article, edit the readers' copies"
        " too, not only the channel's post.",
    )
    delivery_retention_days: int = Field(
        default=90,
        ge=0,
        le=3650,
        description="Days a finished delivery is kept (for statistics and corrections) before"
        " it is deleted (0: kept for ever).",
    )

    console_bind: str = Field(
        default="127.0.0.1:8080",
        description="HOST:PORT the web console listens on (`newsbot run` and `newsbot console`);"
        " empty: no console.",
    )
    console_public_url: str | None = Field(
        default=None,
        description="The console's address as editors' browsers reach it, for the links"
        " /console sends (https://console.example); empty: http://CONSOLE_BIND.",
    )
    console_session_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Days a console login lasts before the editor asks /console again.",
    )

    webhook_url: str | None = Field(
        default=None,
        description="Take Telegram's updates by webhook at this https URL (its path is served on"
        " CONSOLE_BIND) instead of long polling; empty: long polling.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="The secret Telegram sends with each webhook update (1-256 of A-Z a-z 0-9 _"
        " -); empty: one newsbot makes and keeps in the database. Never logged.",
    )

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not TOKEN_PATTERN.fullmatch(value.strip()):
            # Never echo the value: a malformed token is still someone's secret.
            raise ValueError(
                "is malformed: expected digits, a colon and 30-64 letters, digits, '_' or '-' "
                "(the form @BotFather gives)"
            )
        return value.strip()

    @field_validator("telegram_channel", mode="before")
    @classmethod
    def _check_channel(cls, value: Any) -> Any:
        return check_channel(value)

    @field_validator("parse_workers", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `PARSE_WORKERS=` (as .env.example has it) means "empty: one per core".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _check_webhook_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        url = value.strip() if isinstance(value, str) else ""
        found = re.fullmatch(r"(https?)://([^\s/?#@]+)(/[^\s?#]*)?", url)
        host = (urlsplit(url).hostname or "") if found else ""
        if found is None or (found[1] == "http" and host not in LOOPBACK_HOSTS):
            raise ValueError(
                "must be an https URL such as https://news.example/tg (http only on loopback)"
            )
        path = found[3] or "/"
        if path == "/" or any(path.startswith(p) for p in CONSOLE_PATHS):
            raise ValueError(
                f"its path {path} is the console's: choose one of its own, such as /tg"
            )
        return url

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _check_webhook_secret(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.strip()):
            raise ValueError("must be 1 to 256 of the characters A-Z, a-z, 0-9, _ and -")
        return value.strip()

    @model_validator(mode="after")
    def _check_webhook_needs_console(self) -> Self:
        if self.webhook_url and not self.console_bind:
            raise ValueError("WEBHOOK_URL: needs CONSOLE_BIND, whose server takes the updates")
        return self

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL, where this process takes updates."""
        return urlsplit(self.webhook_url or "").path or "/"

    @field_validator("console_bind", mode="before")
    @classmethod
    def _check_console_bind(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if not isinstance(value, str) or split_bind(value) is None:
            raise ValueError("must be HOST:PORT, such as 127.0.0.1:8080 (empty: no console)")
        return value.strip()

    @field_validator("console_public_url", mode="before")
    @classmethod
    def _check_console_public_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not re.fullmatch(
            r"https?://[^\s/?#@]+(/[^\s?#]*)?", value.strip()
        ):
            raise ValueError("must be an http(s) URL such as https://console.example")
        return value.strip().rstrip("/")

    @property
    def console_address(self) -> tuple[str, int] | None:
        """Where the console listens, or ``None`` when CONSOLE_BIND is empty."""
        return split_bind(self.console_bind) if self.console_bind else None

    @property
    def console_url(self) -> str:
        """The console's address in the links /console sends."""
        if self.console_public_url:
            return self.console_public_url
        return local_url(*(split_bind(self.console_bind) or ("127.0.0.1", 8080)))

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return normalize_database_url(value)

    @field_validator("editions", mode="before")
    @classmethod
    def _parse_editions(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        editions: list[EditionConfig] = []
        for part in _split(value):
            code, _, channel = part.partition("=")
            editions.append(EditionConfig.parse(code, channel))
        codes = [edition.code for edition in editions]
        if len(set(codes)) != len(codes):
            raise ValueError("names an edition twice")
        return editions

    @field_validator("feeds", mode="before")
    @classmethod
    def _split_feeds(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("feeds")
    @classmethod
    def _check_feeds(cls, value: list[str]) -> list[str]:
        for entry in value:
            _, url = split_feed_entry(entry)
            if not re.fullmatch(r"https?://\S+", url):
                raise ValueError(f"{redact_url(url)!r} is not an http(s) URL")
            if has_credentials(url):
                raise ValueError(
                    f"{redact_url(url)!r} contains a user name or password; newsbot does not "
                    "send credentials"
                )
            if len(url.encode()) > 2048:
                raise ValueError(f"{url[:60]!r}… is longer than 2048 bytes")
        return list(dict.fromkeys(value))

    @field_validator("editor_ids", mode="before")
    @classmethod
    def _split_editors(cls, value: Any) -> Any:
        parts = _split(value)
        if isinstance(parts, list):
            for part in parts:
                if not re.fullmatch(r"-?\d+", str(part)):
                    raise ValueError(f"{part!r} is not a numeric Telegram user id")
        return parts

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)  # its ValueError names the problem
        return value.strip()

    @property
    def quiet(self) -> QuietHours | None:
        """QUIET_HOURS, parsed."""
        return parse_quiet_hours(self.quiet_hours)

    @property
    def outbox_concurrency(self) -> int:
        """SEND_CONCURRENCY, or its default: enough in flight for the rate (30/s or paid)."""
        return self.send_concurrency or (256 if self.paid_broadcast else 16)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        name = value.strip()
        if find_zone(name) is None:
            raise ValueError(
                f"{name[:64]!r} is not a time zone; use an IANA name such as Asia/Kolkata"
            )
        return name

    @field_validator("publisher_name", "welcome_en", "welcome_hi", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if len(text) > 1000:
            raise ValueError("is longer than 1000 characters")
        return text

    @model_validator(mode="after")
    def _check_edition_feeds(self) -> Self:
        codes = {edition.code for edition in self.edition_configs()}
        for entry in self.feeds:
            code, url = split_feed_entry(entry)
            if code is not None and code not in codes:
                raise ValueError(
                    f"FEEDS: {redact_url(url)!r} names edition {code!r}, which EDITIONS does not"
                    f" have (it has {', '.join(sorted(codes))})"
                )
        if self.editions and self.telegram_channel:
            first = self.editions[0]
            if first.channel is None or first.channel != self.telegram_channel:
                raise ValueError(
                    "TELEGRAM_CHANNEL: is set beside EDITIONS; give each edition its channel in"
                    " EDITIONS and leave TELEGRAM_CHANNEL empty"
                )
        return self

    def edition_configs(self) -> list[EditionConfig]:
        """The editions configured, the default first: EDITIONS, else ``en`` posting to
        TELEGRAM_CHANNEL."""
        return list(self.editions) or [EditionConfig("en", self.telegram_channel)]

    def feed_entries(self) -> list[tuple[str | None, str]]:
        """FEEDS as (edition code or ``None`` for the default edition, URL) pairs."""
        return [split_feed_entry(entry) for entry in self.feeds]

    @property
    def zone(self) -> ZoneInfo:
        """TIMEZONE as a time zone."""
        return ZoneInfo(self.timezone)

    def welcome_text(self, language: str) -> str | None:
        """The operator's own welcome in ``language`` (WELCOME_EN, WELCOME_HI), if set."""
        return {"en": self.welcome_en, "hi": self.welcome_hi}.get(language)

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("log_format", mode="before")
    @classmethod
    def _check_log_format(cls, value: Any) -> Any:
        fmt = str(value).strip().lower()
        if fmt not in {"text", "json"}:
            raise ValueError("must be text or json")
        return fmt

    @field_validator("post_style", mode="before")
    @classmethod
    def _check_post_style(cls, value: Any) -> Any:
        style = str(value).strip().lower()
        if style not in {"photo", "preview", "text"}:
            raise ValueError("must be photo, preview or text")
        return style

    @field_validator("utm_source", mode="before")
    @classmethod
    def _check_utm_source(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        if not UTM_SOURCE_PATTERN.fullmatch(text):
            raise ValueError("must be 1-64 letters, digits, '.', '_', '~' or '-'")
        return text

    @field_validator("post_template", mode="before")
    @classmethod
    def _load_post_template(cls, value: Any) -> Any:
        """The template's text (read from the file ``value`` names), compiled once to check it."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value)
        if not any(mark in text for mark in ("{{", "{%", "<", "\n")):
            path = Path(text.strip()).expanduser()
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"{path} is not UTF-8 text") from None
            except OSError as exc:
                raise ValueError(
                    f"{path} cannot be read ({exc.strerror}); give a template file's path or "
                    "the template itself"
                ) from None
        from bot.formatting.template import PostTemplate

        try:
            PostTemplate.compile(text)
        except TemplateError as exc:
            raise ValueError(str(exc)) from None
        return text

    def post_options(self) -> PostOptions:
        """How articles become posts under these settings (POST_STYLE, HASHTAGS_MAX,
        UTM_SOURCE, POST_TEMPLATE, TELEGRAM_CHANNEL)."""
        from bot.formatting.post import PostOptions
        from bot.formatting.template import PostTemplate
        from bot.i18n import post_labels

        style: PostStyle = "photo"
        if self.post_style in ("preview", "text"):
            style = "preview" if self.post_style == "preview" else "text"
        return PostOptions(
            style=style,
            hashtags_max=self.hashtags_max,
            utm_source=self.utm_source,
            template=PostTemplate.compile(self.post_template) if self.post_template else None,
            channel=self.telegram_channel,
            labels=post_labels,
        )

    @property
    def token(self) -> str | None:
        """The bot token, or ``None`` when it is not configured."""
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    def require_token(self) -> str:
        """The bot token; raises :class:`ConfigError` when it is not configured."""
        if self.token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN",
                "is not set; create a bot with @BotFather and put its token in .env",
            )
        return self.token


def normalize_database_url(value: str) -> str:
    """Return ``value`` as an async SQLAlchemy URL (aiosqlite or asyncpg), or raise ValueError."""
    try:
        url: URL = make_url(value.strip())
    except ArgumentError:
        raise ValueError(
            "is not a database URL; use sqlite+aiosqlite:///path/to/file.sqlite3 or "
            "postgresql+asyncpg://user:password@host/dbname"
        ) from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"database {url.drivername!r} is not supported; use sqlite+aiosqlite:///file.sqlite3 "
            "or postgresql+asyncpg://user:password@host/dbname"
        )
    url = url.set(drivername=driver)
    if driver.startswith("sqlite") and url.database in (None, ""):
        raise ValueError("names no SQLite file; use sqlite+aiosqlite:///path/to/file.sqlite3")
    if driver.startswith("postgresql") and not url.host and not url.query.get("host"):
        raise ValueError("names no PostgreSQL host; use postgresql+asyncpg://user@host/dbname")
    return url.render_as_string(hide_password=False)


def _example_value(value: Any) -> str:
    if value is None or value == [] or value == frozenset():
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def env_example() -> str:
    """The text of ``.env.example``: every setting with its description and default."""
    lines = [
        "# newsbot settings. Copy to .env and fill in; each can also be an environment variable."
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        lines += ["", f"# {field.description}", f"{name.upper()}={_example_value(default)}"]
    return "\n".join(lines) + "\n"


#: pydantic's error types that mean "not the number this setting takes".
_NUMBER_ERRORS = frozenset(
    {
        "int_parsing", "int_type", "int_from_float", "float_parsing", "float_type",
        "finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
        "multiple_of",
    }
)  # fmt: skip
#: pydantic's error types that mean "not true or false".
_BOOL_ERRORS = frozenset({"bool_parsing", "bool_type"})


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _kinds(field: FieldInfo) -> tuple[set[type], bool]:
    """The types a field takes (``int | None`` → ``{int}``) and whether it may be empty."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        members = set(get_args(annotation))
    else:
        members = {annotation}
    optional = type(None) in members
    return {m for m in members if isinstance(m, type) and m is not type(None)}, optional


def setting_rule(name: str) -> str | None:
    """What the numeric or boolean setting ``name`` must be, in words made of its bounds and
    unit (``must be a whole number of seconds from 1 to 86400``); ``None`` for other settings."""
    field = Settings.model_fields.get(name)
    if field is None:
        return None
    kinds, optional = _kinds(field)
    if kinds == {bool}:
        return "must be true or false"
    if not kinds or not kinds <= {int, float}:
        return None
    bounds: dict[str, str] = {}
    for item in field.metadata:
        for bound in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, bound.capitalize())):
                bounds[bound] = _number(getattr(item, bound))
    ge, gt, le, lt = (bounds.get(bound) for bound in ("ge", "gt", "le", "lt"))
    lower = f"from {ge}" if ge else f"greater than {gt}" if gt else ""
    upper = f"at most {le}" if le else f"less than {lt}" if lt else ""
    if ge and le:
        span = f" from {ge} to {le}"
    elif lower and upper:
        span = f" {lower} and {upper}"
    elif ge:
        span = f" from {ge} up"
    else:
        span = f" {lower or upper}" if lower or upper else ""
    unit = ""
    if name.endswith(("_interval", "_timeout")):
        unit = " of seconds"
    elif name.endswith("_days"):
        unit = " of days"
    what = "a whole number" if kinds == {int} else "a number"
    return f"must be {what}{unit}{span}" + (", or empty" if optional else "")


def _problem(error: ErrorDetails) -> tuple[str, str]:
    """The key and the sentence a validation error is reported as."""
    name = str(error["loc"][0]) if error["loc"] else ""
    key = name.upper() if name else "configuration"
    if error["type"] in _NUMBER_ERRORS | _BOOL_ERRORS and (rule := setting_rule(name)):
        return key, rule
    message = str(error["msg"]).removeprefix("Value error, ")
    named, _, rest = message.partition(": ")
    if not error["loc"] and rest and re.fullmatch(r"[A-Z_]+", named):  # a check across keys
        return named, rest
    return key, message


def _statement_line(line: int, text: str) -> int:
    """The line a dotenv statement's own text starts on: dotenv counts from the blank lines
    before it."""
    leading = text[: len(text) - len(text.lstrip())]
    return line + len(re.findall(r"\r\n|\n|\r", leading))


def check_env_file(path: str | Path) -> list[str]:
    """Read the settings file at ``path`` with python-dotenv's parser (the one pydantic-settings
    reads it with) and return a warning for each key that is no setting but close to one.

    Raises :class:`ConfigError` (``.env line 4: expected KEY=VALUE``) for a line dotenv cannot
    read or a key without ``=`` (both of which dotenv would skip), ``is not UTF-8 text`` and
    ``cannot be read`` as :func:`load_settings` does. A key close to no setting is left alone:
    a ``.env`` is often shared with other programs (``POSTGRES_PASSWORD``, ``COMPOSE_*``).
    """
    names = [name.upper() for name in Settings.model_fields]
    with Path(path).open(encoding="utf-8") as stream:
        bindings = list(parse_stream(stream))
    warnings = []
    for binding in bindings:
        line = _statement_line(binding.original.line, binding.original.string)
        if binding.error or (binding.key is not None and binding.value is None):
            raise ConfigError(f"{path} line {line}", "expected KEY=VALUE")
        if binding.key is None or binding.key.upper() in names:
            continue
        if close := _closest(binding.key.upper(), names):
            warnings.append(
                f"{path} line {line}: {binding.key} is not a setting; did you mean"
                f" {' or '.join(close)}?"
            )
    return warnings


def _closest(key: str, names: list[str]) -> list[str]:
    """The settings ``key`` resembles most (difflib's ratio of 0.6 at least; all of those
    equally close: ``WELCOME`` is ``WELCOME_EN or WELCOME_HI``)."""
    scores = {
        name: difflib.SequenceMatcher(None, key, name).ratio()
        for name in difflib.get_close_matches(key, names, n=len(names))
    }
    best = max(scores.values(), default=0.0)
    return sorted(name for name, score in scores.items() if score == best)


def load_settings(
    env_file: str | Path | None = ".env",
    *,
    warn: Callable[[str], None] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from the environment, ``env_file`` and ``overrides``.

    Raises :class:`ConfigError` for the first invalid key, named as in the environment, or for
    a line of ``env_file`` that is not ``KEY=VALUE``; ``warn`` is given each warning about the
    file (a key that looks like a misspelt setting).
    """
    try:
        if env_file is not None and Path(env_file).is_file():
            for warning in check_env_file(env_file):
                if warn is not None:
                    warn(warning)
        return Settings(_env_file=env_file, **overrides)
    except UnicodeDecodeError:
        raise ConfigError(str(env_file), "is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(str(env_file), f"cannot be read: {exc.strerror}") from None
    except ValidationError as exc:
        raise ConfigError(*_problem(exc.errors()[0])) from None
