"""Settings: read from the environment, validated, every key documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, check_env_file, env_example, load_settings
from bot.errors import ConfigError

TOKEN = "123456789:AAexample-token-with-enough-length01"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


class TestLoadSettings:
    def test_defaults(self) -> None:
        """With nothing configured the defaults are an SQLite file and the real Bot API."""
        settings = load_settings(None)
        assert settings.database_url.startswith("sqlite+aiosqlite:///")
        assert settings.telegram_api_url == "https://api.telegram.org"
        assert settings.poll_interval == 300
        assert settings.allow_private_networks is False

    def test_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Lists are split on commas or spaces; URLs are normalised."""
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_CHANNEL", "mynews")
        monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
        monkeypatch.setenv(
            "FEEDS", "https://a.example/rss, https://b.example/atom https://a.example/rss"
        )
        monkeypatch.setenv("EDITOR_IDS", "11, 22")
        monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example/news")
        settings = load_settings(None)
        assert settings.token == TOKEN
        assert settings.telegram_channel == "@mynews"
        assert settings.telegram_api_url == "http://127.0.0.1:8081"
        assert settings.feeds == ["https://a.example/rss", "https://b.example/atom"]
        assert settings.editor_ids == frozenset({11, 22})
        assert settings.database_url == "postgresql+asyncpg://u:p@db.example/news"

    def test_env_file_is_read(self, tmp_path: Path) -> None:
        """A .env file supplies values like the environment does."""
        env = tmp_path / ".env"
        env.write_text("POLL_INTERVAL=60\nALLOW_PRIVATE_NETWORKS=true\n")
        settings = load_settings(env)
        assert (settings.poll_interval, settings.allow_private_networks) == (60, True)

    @pytest.mark.parametrize(
        ("key", "value", "fragment"),
        [
            pytest.param("TELEGRAM_BOT_TOKEN", "12345", "malformed", id="short-token"),
            pytest.param("TELEGRAM_BOT_TOKEN", "abc:" + "x" * 35, "malformed", id="no-digits"),
            pytest.param("DATABASE_URL", "mysql://u@h/db", "not supported", id="mysql"),
            pytest.param("DATABASE_URL", "not a url", "not a database URL", id="garbage"),
            pytest.param(
                "DATABASE_URL", "postgresql+asyncpg:///db", "no PostgreSQL host", id="nohost"
            ),
            pytest.param(
                "POLL_INTERVAL",
                "0",
                "must be a whole number of seconds from 1 to 86400",
                id="zero-interval",
            ),
            pytest.param(
                "POLL_INTERVAL",
                "soon",
                "must be a whole number of seconds from 1 to 86400",
                id="text-interval",
            ),
            pytest.param("EDITOR_IDS", "11,bob", "not a numeric", id="editor-name"),
            pytest.param("FEEDS", "ftp://x.example/feed", "not an http", id="ftp-feed"),
            pytest.param("TELEGRAM_CHANNEL", "@a b", "channel", id="bad-channel"),
            pytest.param("TELEGRAM_API_URL", "api.telegram.org", "http(s) URL", id="api-no-scheme"),
            pytest.param(
                "ALLOW_PRIVATE_NETWORKS", "perhaps", "must be true or false", id="bad-bool"
            ),
        ],
    )
    def test_invalid_value_names_the_key(
        self, monkeypatch: pytest.MonkeyPatch, key: str, value: str, fragment: str
    ) -> None:
        """An invalid value raises ConfigError naming the key and what is wrong."""
        monkeypatch.setenv(key, value)
        with pytest.raises(ConfigError) as caught:
            load_settings(None)
        assert caught.value.key == key
        assert fragment in caught.value.problem
        if key == "TELEGRAM_BOT_TOKEN":
            assert value not in str(caught.value)

    def test_token_is_required_only_when_needed(self) -> None:
        """Without a token settings load, and require_token says where to get one."""
        settings = load_settings(None)
        with pytest.raises(ConfigError, match="BotFather"):
            settings.require_token()

    def test_token_is_hidden_in_repr(self) -> None:
        """The settings' repr never shows the token."""
        assert TOKEN not in repr(load_settings(None, telegram_bot_token=TOKEN))

    def test_settings_are_frozen(self) -> None:
        """Settings cannot be changed after start-up."""
        settings = load_settings(None)
        with pytest.raises(ValueError, match="frozen"):
            settings.poll_interval = 5  # type: ignore[misc]


class TestDocumentation:
    def test_env_example_is_rendered_from_the_settings(self) -> None:
        """.env.example is exactly what the settings' fields say: every key, default, meaning."""
        example = (Path(__file__).parents[1] / ".env.example").read_text()
        assert example == env_example()
        for name in Settings.model_fields:
            assert f"\n{name.upper()}=" in example

    def test_every_setting_is_in_readme(self) -> None:
        """The README's configuration table names every key."""
        readme = (Path(__file__).parents[1] / "README.md").read_text()
        for name in Settings.model_fields:
            assert f"`{name.upper()}`" in readme


class TestPostSettings:
    """POST_STYLE, HASHTAGS_MAX, UTM_SOURCE and POST_TEMPLATE: validated at start."""

    @pytest.mark.parametrize(
        ("overrides", "key", "problem"),
        [
            pytest.param({"post_style": "video"}, "POST_STYLE", "photo, preview or text",
                         id="style"),
            pytest.param({"hashtags_max": 11}, "HASHTAGS_MAX",
                         "must be a whole number from 0 to 10", id="tags"),
            pytest.param({"utm_source": "a b"}, "UTM_SOURCE", "letters, digits", id="utm"),
            pytest.param({"post_template": "<b>{{ title }</b>"}, "POST_TEMPLATE",
                         "line 1: unexpected '}'", id="template-syntax"),
            pytest.param({"post_template": "/no/such/template.j2"}, "POST_TEMPLATE",
                         "cannot be read", id="template-file"),
        ],
    )  # fmt: skip
    def test_invalid(self, overrides: dict[str, object], key: str, problem: str) -> None:
        """An invalid value is a ConfigError naming the key and the reason."""
        with pytest.raises(ConfigError) as caught:
            load_settings(None, **overrides)
        assert caught.value.key == key
        assert problem in caught.value.problem

    def test_options(self, tmp_path: Path) -> None:
        """post_options() carries the settings; a template file's text is read and compiled."""
        path = tmp_path / "post.j2"
        path.write_text("<b>{{ title }}</b>")
        settings = load_settings(
            None, post_style="Preview", hashtags_max=0, utm_source="newsbot",
            post_template=str(path), telegram_channel="@revoi_en",
        )  # fmt: skip
        options = settings.post_options()
        assert (options.style, options.hashtags_max, options.utm_source, options.channel) == (
            "preview", 0, "newsbot", "@revoi_en",
        )  # fmt: skip
        assert options.template is not None
        assert options.template.source == "<b>{{ title }}</b>"
        assert load_settings(None).post_options().template is None


class TestConsoleSettings:
    @pytest.mark.parametrize(
        ("bind", "address", "url"),
        [
            ("127.0.0.1:8080", ("127.0.0.1", 8080), "http://127.0.0.1:8080"),
            ("0.0.0.0:9000", ("0.0.0.0", 9000), "http://127.0.0.1:9000"),  # noqa: S104
            ("[::1]:8081", ("::1", 8081), "http://[::1]:8081"),
            ("localhost:0", ("localhost", 0), "http://localhost:0"),
            ("", None, "http://127.0.0.1:8080"),
        ],
    )
    def test_bind(self, bind: str, address: tuple[str, int] | None, url: str) -> None:
        settings = load_settings(None, console_bind=bind)
        assert settings.console_address == address
        assert settings.console_url == url

    @pytest.mark.parametrize("bind", ["8080", "host", "1.2.3.4:99999", "a b:80", "http://x:80"])
    def test_a_bad_bind_names_the_key(self, bind: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, console_bind=bind)
        assert "CONSOLE_BIND" in str(caught.value)
        assert "HOST:PORT" in str(caught.value)

    def test_the_public_url_wins_in_links(self) -> None:
        settings = load_settings(None, console_public_url="https://console.example/")
        assert settings.console_url == "https://console.example"

    @pytest.mark.parametrize("url", ["console.example", "ftp://x", "https://u:p@x", "https://x?q"])
    def test_a_bad_public_url_is_refused(self, url: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, console_public_url=url)
        assert "CONSOLE_PUBLIC_URL" in str(caught.value)


#: Every numeric and boolean setting, and what its error says it must be.
RULES = {
    "POLL_INTERVAL": "must be a whole number of seconds from 1 to 86400",
    "FETCH_TIMEOUT": "must be a number of seconds greater than 0 and at most 300",
    "POLL_CONCURRENCY": "must be a whole number from 1 to 512",
    "FEED_PAUSE_AFTER": "must be a whole number from 0 to 10000",
    "PARSE_WORKERS": "must be a whole number from 0 to 64, or empty",
    "ALLOW_PRIVATE_NETWORKS": "must be true or false",
    "HASHTAGS_MAX": "must be a whole number from 0 to 10",
    "PAID_BROADCAST": "must be true or false",
    "BROADCAST_RATE": "must be a whole number from 1 to 1000",
    "SEND_CONCURRENCY": "must be a whole number from 0 to 1024",
    "BUNDLE_AFTER": "must be a whole number from 0 to 50",
    "EDIT_READER_COPIES": "must be true or false",
    "DELIVERY_RETENTION_DAYS": "must be a whole number of days from 0 to 3650",
    "CONSOLE_SESSION_DAYS": "must be a whole number of days from 1 to 365",
}


def _bad_values(key: str) -> list[str]:
    """Values of ``key`` that are wrong: not a number (or switch), and out of its bounds."""
    if RULES[key] == "must be true or false":
        return ["perhaps", "2", ""]
    field = Settings.model_fields[key.lower()]
    values = ["many", "1e999x", "[1]"]
    for item in field.metadata:
        for name, step in (("ge", -1), ("gt", 0), ("le", 1), ("lt", 0)):
            if hasattr(item, name):
                values.append(str(getattr(item, name) + step))
    if field.annotation is int:
        values.append("2.5")
    return values


class TestPlainRules:
    """Numbers and switches are refused in words made of the field's bounds and unit."""

    def test_every_numeric_and_boolean_setting_has_its_rule(self) -> None:
        numeric = {
            name.upper()
            for name, field in Settings.model_fields.items()
            if field.annotation in (int, float, bool, int | None, float | None)
        }
        assert numeric == set(RULES)

    @pytest.mark.parametrize("key", sorted(RULES))
    def test_the_rule_in_words(self, monkeypatch: pytest.MonkeyPatch, key: str) -> None:
        for value in _bad_values(key):
            monkeypatch.setenv(key, value)
            with pytest.raises(ConfigError) as caught:
                load_settings(None)
            assert (caught.value.key, caught.value.problem) == (key, RULES[key]), value
        monkeypatch.delenv(key)
        with pytest.raises(ConfigError) as caught:
            load_settings(None, **{key.lower(): "many"})
        assert str(caught.value) == f"{key}: {RULES[key]}"

    def test_the_two_a_newcomer_meets_first(self, tmp_path: Path) -> None:
        env = tmp_path / ".env"
        env.write_text("POLL_INTERVAL=5m\n")
        with pytest.raises(ConfigError) as caught:
            load_settings(env)
        assert (
            str(caught.value) == "POLL_INTERVAL: must be a whole number of seconds from 1 to 86400"
        )
        env.write_text("ALLOW_PRIVATE_NETWORKS=yes please\n")
        with pytest.raises(ConfigError) as caught:
            load_settings(env)
        assert str(caught.value) == "ALLOW_PRIVATE_NETWORKS: must be true or false"

    @pytest.mark.parametrize(
        ("key", "value", "problem"),
        [
            ("LOG_LEVEL", "loud", "must be DEBUG, INFO, WARNING or ERROR"),
            ("LOG_FORMAT", "yaml", "must be text or json"),
            ("POST_STYLE", "video", "must be photo, preview or text"),
            ("EDITOR_IDS", "11,bob", "'bob' is not a numeric Telegram user id"),
        ],
    )
    def test_validators_keep_their_own_words(
        self, monkeypatch: pytest.MonkeyPatch, key: str, value: str, problem: str
    ) -> None:
        monkeypatch.setenv(key, value)
        with pytest.raises(ConfigError) as caught:
            load_settings(None)
        assert (caught.value.key, caught.value.problem) == (key, problem)

    def test_log_format(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """LOG_FORMAT is text unless set; JSON in any case is json."""
        assert load_settings(None).log_format == "text"
        monkeypatch.setenv("LOG_FORMAT", " JSON ")
        assert load_settings(None).log_format == "json"

    def test_good_values_still_load(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for key, value in [("POLL_INTERVAL", "86400"), ("FETCH_TIMEOUT", "0.5"),
                           ("PAID_BROADCAST", "on"), ("PARSE_WORKERS", "")]:  # fmt: skip
            monkeypatch.setenv(key, value)
        settings = load_settings(None)
        assert settings.poll_interval == 86400
        assert settings.fetch_timeout == 0.5
        assert settings.paid_broadcast is True
        assert settings.parse_workers is None  # empty: one per core

    def test_env_example_as_env_loads(self) -> None:
        """`cp .env.example .env` is a working start (PARSE_WORKERS= is empty there)."""
        settings = load_settings(Path(__file__).parents[1] / ".env.example")
        assert settings.parse_workers is None
        assert settings.poll_interval == 300


class TestEnvFileCheck:
    def test_keys_close_to_a_setting_are_named_with_it(self, tmp_path: Path) -> None:
        env = tmp_path / ".env"
        env.write_text(
            "# settings\n\nTELEGRAM_CHANEL=@news\nexport poll_intervall=60\n"
            "telegram_channel=@news\nPOSTGRES_PASSWORD=x\nCOMPOSE_PROJECT_NAME=n\n"
            'WELCOME="Hello\nthere"\nFEED=https://a.example/rss\n'
        )
        assert check_env_file(env) == [
            f"{env} line 3: TELEGRAM_CHANEL is not a setting; did you mean TELEGRAM_CHANNEL?",
            f"{env} line 4: poll_intervall is not a setting; did you mean POLL_INTERVAL?",
            f"{env} line 8: WELCOME is not a setting; did you mean WELCOME_EN or WELCOME_HI?",
            f"{env} line 10: FEED is not a setting; did you mean FEEDS?",
        ]
        warned: list[str] = []
        settings = load_settings(env, warn=warned.append)
        assert warned == check_env_file(env)
        assert settings.telegram_channel == "@news"

    def test_only_the_file_is_checked(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The environment holds every program's keys: they are not newsbot's to judge."""
        monkeypatch.setenv("TELEGRAM_CHANEL", "@news")
        warned: list[str] = []
        load_settings(None, warn=warned.append)
        assert warned == []

    def test_every_form_dotenv_reads_is_accepted(self, tmp_path: Path) -> None:
        env = tmp_path / ".env"
        env.write_text(
            "\n# a comment\n   \nexport POLL_INTERVAL=60\nPUBLISHER_NAME='The Courier'\n"
            'WELCOME_EN="Hello,\n\nreader"  # the welcome\nUTM_SOURCE=newsbot # a comment\n'
            "TELEGRAM_CHANNEL=\nHASHTAGS_MAX = 2\n"
        )
        assert check_env_file(env) == []
        settings = load_settings(env)
        assert settings.poll_interval == 60
        assert settings.publisher_name == "The Courier"
        assert settings.welcome_en == "Hello,\n\nreader"
        assert settings.utm_source == "newsbot"
        assert settings.hashtags_max == 2

    @pytest.mark.parametrize(
        ("text", "line"),
        [
            ("POLL_INTERVAL=60\nthis is not a setting\n", 2),
            ("\n\n\nTELEGRAM_CHANNEL @news\n", 4),
            ("TELEGRAM_CHANNEL\n", 1),
            ("A='unclosed\nB=2\n", 1),
            ('WELCOME_EN="a\nb"\nx y\n', 3),
            ("KEY: value\n", 1),
        ],
    )
    def test_a_line_dotenv_would_skip_is_an_error(
        self, tmp_path: Path, text: str, line: int
    ) -> None:
        env = tmp_path / ".env"
        env.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_settings(env)
        assert str(caught.value) == f"{env} line {line}: expected KEY=VALUE"


class TestWebhookSettings:
    @pytest.mark.parametrize(
        "url",
        [
            "https://news.example/tg",
            "https://news.example:8443/hooks/telegram",
            "http://127.0.0.1:8080/tg",
            "http://localhost:9000/tg",
        ],
    )
    def test_a_webhook_url(self, url: str) -> None:
        settings = load_settings(None, webhook_url=url)
        assert settings.webhook_url == url
        assert settings.webhook_path == "/" + url.split("/", 3)[3]

    @pytest.mark.parametrize(
        ("url", "says"),
        [
            ("http://news.example/tg", "http only on loopback"),
            ("news.example/tg", "must be an https URL"),
            ("https://news.example", "is the console's"),
            ("https://news.example/", "is the console's"),
            ("https://news.example/campaigns/x", "is the console's"),
            ("https://news.example/metrics", "is the console's"),
        ],
    )
    def test_a_bad_webhook_url_is_refused(self, url: str, says: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, webhook_url=url)
        assert "WEBHOOK_URL" in str(caught.value)
        assert says in str(caught.value)

    def test_a_webhook_needs_the_console_server(self) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, webhook_url="https://news.example/tg", console_bind="")
        assert "WEBHOOK_URL" in str(caught.value)
        assert "CONSOLE_BIND" in str(caught.value)

    @pytest.mark.parametrize("secret", ["has space", "é", "x" * 257])
    def test_a_bad_secret_is_refused_without_being_shown(self, secret: str) -> None:
        with pytest.raises(ConfigError) as caught:
            load_settings(None, webhook_secret=secret)
        assert "WEBHOOK_SECRET" in str(caught.value)
        assert secret not in str(caught.value)
