"""Logging in to the console: a one-time link opens a session cookie; an expired, reused or
forged link, a non-editor, a missing session and a missing CSRF token are refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.console.web import COOKIE
from bot.services.console_auth import LINK_SECONDS, issue_login, session_id
from bot.storage.models import ConsoleSession, utcnow
from tests.console.conftest import EDITOR, READER, Console

PAGES = ["/", "/articles", "/feeds", "/campaigns"]


class TestLink:
    async def test_a_link_opens_a_session_for_the_configured_days(self, console: Console) -> None:
        client = console.client()
        token = await issue_login(console.db, EDITOR, "Priya")
        answer = await client.get(f"/login/{token}")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # served over http here
        assert f"Max-Age={7 * 86400}" in cookie
        async with console.db.session() as session:
            row = await session.scalar(
                select(ConsoleSession).where(
                    ConsoleSession.id == session_id(client.cookies[COOKIE])
                )
            )
        assert row is not None
        assert row.user_id == EDITOR
        assert row.name == "Priya"
        assert timedelta(days=6, hours=23) < row.expires_at - utcnow() <= timedelta(days=7)
        # The cookie's value is not what the table keeps.
        assert row.id != client.cookies[COOKIE]
        page = await client.get("/")
        assert page.status_code == 200
        assert "Priya" in page.text

    async def test_behind_an_https_proxy_the_cookie_is_secure(self, console: Console) -> None:
        """The publisher's web server on this machine says the browser came over https."""
        token = await issue_login(console.db, EDITOR)
        answer = await console.client().get(
            f"/login/{token}", headers={"X-Forwarded-Proto": "https"}
        )
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]

    async def test_a_link_works_once(self, console: Console) -> None:
        token = await issue_login(console.db, EDITOR)
        first, second = console.client(), console.client()
        assert (await first.get(f"/login/{token}")).status_code == 303
        again = await second.get(f"/login/{token}")
        assert again.status_code == 401
        assert "used already" in again.text
        assert COOKIE not in second.cookies

    async def test_two_browsers_racing_for_a_link_get_one_session(self, console: Console) -> None:
        token = await issue_login(console.db, EDITOR)
        answers = await asyncio.gather(
            *(client.get(f"/login/{token}") for client in [console.client() for _ in range(6)])
        )
        assert sorted(a.status_code for a in answers) == [303, 401, 401, 401, 401, 401]
        async with console.db.session() as session:
            assert await session.scalar(select(func.count()).select_from(ConsoleSession)) == 1

    async def test_an_expired_link_is_refused(self, console: Console) -> None:
        old = utcnow() - timedelta(seconds=LINK_SECONDS + 1)
        token = await issue_login(console.db, EDITOR, now=old)
        client = console.client()
        answer = await client.get(f"/login/{token}")
        assert answer.status_code == 401
        assert "expired" in answer.text
        assert COOKIE not in client.cookies
        fresh = await issue_login(
            console.db, EDITOR, now=utcnow() - timedelta(seconds=LINK_SECONDS - 30)
        )
        assert (await client.get(f"/login/{fresh}")).status_code == 303

    async def test_a_forged_link_is_refused(self, console: Console) -> None:
        token = await issue_login(console.db, EDITOR)
        client = console.client()
        answer = await client.get(f"/login/{token[:-2]}xx")
        assert answer.status_code == 401
        assert "not valid" in answer.text
        assert (await client.get("/login/nonsense")).status_code == 401
        assert (await client.get("/login/" + "a" * 2000)).status_code == 401

    async def test_a_reader_link_opens_nothing(self, console: Console) -> None:
        token = await issue_login(console.db, READER)
        answer = await console.client().get(f"/login/{token}")
        assert answer.status_code == 403
        assert "for editors" in answer.text


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # no query of its own
class TestSession:
    @pytest.mark.parametrize("path", [*PAGES, "/articles/1", "/campaigns/x", "/nowhere"])
    async def test_no_session_is_sent_to_the_login_page(self, console: Console, path: str) -> None:
        client = console.client()
        answer = await client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
        login = await client.get("/login")
        assert login.status_code == 401
        assert "/console" in login.text
        assert "@console_test_bot" in login.text

    async def test_an_htmx_request_without_a_session_redirects_the_whole_page(
        self, console: Console
    ) -> None:
        answer = await console.client().post("/logout", headers={"HX-Request": "true"})
        assert answer.status_code == 401
        assert answer.headers["hx-redirect"] == "/login"

    async def test_an_unknown_page_with_a_session_says_not_found(self, console: Console) -> None:
        answer = await (await console.login()).get("/nowhere")
        assert answer.status_code == 404
        assert "Page not found" in answer.text

    async def test_an_expired_session_is_sent_to_the_login_page(self, console: Console) -> None:
        client = await console.login()
        async with console.db.writing() as session:
            await session.execute(
                update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        answer = await client.get("/")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"

    async def test_an_editor_no_longer_is_logged_out(self, console: Console) -> None:
        client = await console.login()
        settings = console.core.settings
        console.core.settings = settings.model_copy(update={"editor_ids": frozenset()})
        assert (await client.get("/")).status_code == 303

    async def test_a_form_without_the_csrf_token_changes_nothing(self, console: Console) -> None:
        client = await console.login()
        refused = await client.post("/logout", data={})
        assert refused.status_code == 403
        assert "expired" in refused.text
        assert (await client.post("/logout", data={"csrf": "wrong"})).status_code == 403
        assert (await client.get("/")).status_code == 200  # still logged in
        done = await client.post("/logout", data={"csrf": await console.csrf(client)})
        assert done.status_code == 303
        assert (await client.get("/")).status_code == 303

    async def test_a_form_without_a_length_or_too_large_is_refused(self, console: Console) -> None:
        """A chunked body (no Content-Length) could be any size: refused before it is read."""
        client = await console.login()
        csrf = await console.csrf(client)

        async def chunks() -> AsyncIterator[bytes]:
            yield f"csrf={csrf}".encode()

        chunked = await client.post(
            "/logout",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert chunked.status_code == 411
        big = await client.post("/logout", data={"csrf": csrf, "x": "y" * (3 * 1024 * 1024)})
        assert big.status_code == 413
        assert (await client.get("/")).status_code == 200  # neither logged out

    async def test_a_bug_is_a_page_that_says_so(
        self, console: Console, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        from bot.services import newsroom

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        monkeypatch.setattr(newsroom, "recent_articles", broken)
        client = await console.login()
        answer = await client.get("/articles")
        assert answer.status_code == 500
        assert "Something went wrong on our side" in answer.text
        assert "content-security-policy" in answer.headers
        assert [r.getMessage() for r in caplog.records if r.exc_info] == [
            "console page failed path=/articles"
        ]

    async def test_pages_carry_the_security_headers(self, console: Console) -> None:
        client = await console.login()
        page = await client.get("/")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"
        assert (await client.get("/static/htmx.min.js")).status_code == 200
