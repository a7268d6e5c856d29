"""Settings: read from the environment, validated, every key documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, env_example, load_settings
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
            pytest.param("POLL_INTERVAL", "0", "greater than or equal to 1", id="zero-interval"),
            pytest.param("POLL_INTERVAL", "soon", "integer", id="text-interval"),
            pytest.param("EDITOR_IDS", "11,bob", "not a numeric", id="editor-name"),
            pytest.param("FEEDS", "ftp://x.example/feed", "not an http", id="ftp-feed"),
            pytest.param("TELEGRAM_CHANNEL", "@a b", "channel", id="bad-channel"),
            pytest.param("TELEGRAM_API_URL", "api.telegram.org", "http(s) URL", id="api-no-scheme"),
            pytest.param("ALLOW_PRIVATE_NETWORKS", "perhaps", "boolean", id="bad-bool"),
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
            pytest.param({"hashtags_max": 11}, "HASHTAGS_MAX", "less than or equal", id="tags"),
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
