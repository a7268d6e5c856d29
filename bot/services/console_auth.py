"""Console logins without passwords: /console gives an editor a one-time link, the link a
session.

::

    token = await issue_login(db, user_id, name)           # the link's last part, 10 minutes
    opened = await redeem(db, token, editor_ids=…)         # once: a session and its CSRF token
    user = await session_user(db, opened.cookie, editor_ids=…)  # each request; None: log in

The link is signed (itsdangerous) under a secret newsbot keeps in the database
(:func:`secret`), never the bot token, and names a nonce whose row says whether it was used:
a conditional update spends it, so two browsers racing for one link get one session. A
session's cookie is a random token; the table keeps its sha256 only. Every use checks that
the user is still an editor (an administrator removed from the channel is logged out).
"""

from __future__ import annotations

import hashlib
import logging
import secrets as random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import ConsoleLoginError
from bot.services.articles import insert_ignoring_duplicates
from bot.services.roles import is_editor
from bot.storage.db import Database
from bot.storage.models import ConsoleLogin, ConsoleSession, Secret, utcnow

log = logging.getLogger(__name__)

#: How long a /console link may wait to be opened.
LINK_SECONDS: Final = 600
_SALT: Final = "newsbot.console.login"


async def secret(session: AsyncSession, name: str) -> str:
    """The secret ``name``, made once for every process (the first to ask makes it)."""
    await session.execute(
        insert_ignoring_duplicates(session, Secret).values(
            name=name, value=random.token_urlsafe(48), created_at=utcnow()
        )
    )
    value = await session.scalar(select(Secret.value).where(Secret.name == name))
    assert value is not None
    return value


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_SALT)


def session_id(cookie: str) -> str:
    """The row id of the session whose cookie is ``cookie``."""
    return hashlib.sha256(cookie.encode()).hexdigest()


async def issue_login(
    db: Database, user_id: int, name: str | None = None, *, now: datetime | None = None
) -> str:
    """A one-time login token for ``user_id`` (the caller checked they are an editor), valid
    for :data:`LINK_SECONDS`; expired links and sessions are cleared on the way."""
    now = now or utcnow()
    nonce = random.token_urlsafe(32)
    async with db.writing() as session:
        await session.execute(
            delete(ConsoleLogin).where(ConsoleLogin.created_at < now - timedelta(days=1))
        )
        await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
        session.add(ConsoleLogin(nonce=nonce, user_id=user_id, name=name, created_at=now))
        key = await secret(session, "console")
    log.info("console link issued user_id=%s", user_id)
    return _serializer(key).dumps(nonce)


@dataclass(frozen=True, slots=True)
class Opened:
    """A session a login link opened: the cookie's value and the user's."""

    cookie: str
    user_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The editor a request comes from."""

    user_id: int
    name: str | None
    csrf: str
    session_id: str


async def redeem(
    db: Database,
    token: str,
    *,
    editor_ids: frozenset[int],
    session_days: int = 7,
    now: datetime | None = None,
) -> Opened:
    """Spend the login ``token`` and open a session of ``session_days``.

    Raises :class:`ConsoleLoginError`: ``invalid`` (forged or mangled), ``expired`` (older than
    :data:`LINK_SECONDS`), ``used`` (opened before) or ``not_editor`` (no longer one).
    """
    now = now or utcnow()
    async with db.session() as session:
        key = await session.scalar(select(Secret.value).where(Secret.name == "console"))
    if key is None or len(token) > 512:
        raise ConsoleLoginError("invalid")
    try:
        nonce = _serializer(key).loads(token, max_age=LINK_SECONDS)
    except SignatureExpired:
        raise ConsoleLoginError("expired") from None
    except BadSignature:
        raise ConsoleLoginError("invalid") from None
    if not isinstance(nonce, str):
        raise ConsoleLoginError("invalid")
    cookie = random.token_urlsafe(32)
    expires = now + timedelta(days=session_days)
    async with db.writing() as session:
        login = await session.scalar(select(ConsoleLogin).where(ConsoleLogin.nonce == nonce))
        if login is None or login.created_at < now - timedelta(seconds=LINK_SECONDS):
            raise ConsoleLoginError("expired")  # a row is cleared a day after it expired
        spent = await session.execute(
            update(ConsoleLogin)
            .where(ConsoleLogin.nonce == nonce, ConsoleLogin.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if (spent.rowcount or 0) == 0:  # type: ignore[attr-defined]
            raise ConsoleLoginError("used")
        if not await is_editor(session, login.user_id, editor_ids):
            raise ConsoleLoginError("not_editor")
        session.add(
            ConsoleSession(
                id=session_id(cookie),
                user_id=login.user_id,
                name=login.name,
                csrf=random.token_urlsafe(32),
                created_at=now,
                expires_at=expires,
            )
        )
        user_id = login.user_id
    log.info("console login user_id=%s", user_id)
    return Opened(cookie, user_id, expires)


async def session_user(
    db: Database, cookie: str | None, *, editor_ids: frozenset[int], now: datetime | None = None
) -> ConsoleUser | None:
    """The editor whose session ``cookie`` is, or ``None`` (no such session, expired, or no
    longer an editor)."""
    if not cookie or len(cookie) > 128:
        return None
    now = now or utcnow()
    async with db.session() as session:
        row = await session.scalar(
            select(ConsoleSession).where(
                ConsoleSession.id == session_id(cookie), ConsoleSession.expires_at > now
            )
        )
        if row is None or not await is_editor(session, row.user_id, editor_ids):
            return None
        return ConsoleUser(row.user_id, row.name, row.csrf, row.id)


async def log_out(db: Database, cookie: str) -> None:
    """End the session of ``cookie``."""
    async with db.writing() as session:
        await session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id(cookie)))
