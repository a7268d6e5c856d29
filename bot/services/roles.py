"""Who is an editor: the users in ``EDITOR_IDS`` and the administrators of every edition's
channel, as Telegram last said (table ``channel_admins``).

The administrators are asked from Telegram (``getChatAdministrators``) at start and every
:data:`ADMINS_MAX_AGE`, and changed at once by ``chat_member`` updates of the channels; every
process and the console read the same table, so they agree on who may do what.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ChannelAdmin

ADMINS_MAX_AGE: Final = timedelta(minutes=10)
"""How long a channel's administrators, as Telegram listed them, are trusted."""


@dataclass(frozen=True, slots=True)
class Admin:
    """A channel administrator: their Telegram user id and name."""

    user_id: int
    name: str | None = None


async def is_editor(session: AsyncSession, user_id: int, editor_ids: Iterable[int]) -> bool:
    """Whether ``user_id`` is an editor: in ``editor_ids`` (EDITOR_IDS) or an administrator of
    an edition's channel."""
    if user_id in set(editor_ids):
        return True
    found = await session.scalar(
        select(ChannelAdmin.user_id).where(ChannelAdmin.user_id == user_id).limit(1)
    )
    return found is not None


async def editor_ids(session: AsyncSession, configured: Iterable[int]) -> list[int]:
    """Every editor's user id, sorted: EDITOR_IDS and the channels' administrators."""
    admins = set(await session.scalars(select(ChannelAdmin.user_id)))
    return sorted(admins | set(configured))


async def replace_admins(
    session: AsyncSession, channel: str, admins: Sequence[Admin], now: datetime
) -> None:
    """Make ``admins`` the administrators of ``channel`` (as its edition names it). Written as
    upserts, then the others deleted: two processes refreshing at once both succeed."""
    unique = list({a.user_id: a for a in admins}.values())
    for admin in unique:
        await _upsert(session, channel, admin, now)
    await session.execute(
        delete(ChannelAdmin).where(
            ChannelAdmin.channel == channel,
            ChannelAdmin.user_id.not_in([a.user_id for a in unique]),
        )
    )


async def _upsert(session: AsyncSession, channel: str, admin: Admin, now: datetime) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ChannelAdmin).values(
        channel=channel, user_id=admin.user_id, name=admin.name, refreshed_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ChannelAdmin.channel, ChannelAdmin.user_id],
            set_={"name": statement.excluded.name, "refreshed_at": statement.excluded.refreshed_at},
        )
    )


async def set_admin(
    session: AsyncSession, channel: str, admin: Admin, *, is_admin: bool, now: datetime
) -> None:
    """Record that ``admin`` became (or stopped being) an administrator of ``channel``."""
    if is_admin:
        await _upsert(session, channel, admin, now)
        return
    await session.execute(
        delete(ChannelAdmin).where(
            ChannelAdmin.channel == channel, ChannelAdmin.user_id == admin.user_id
        )
    )


async def forget_channels_except(session: AsyncSession, channels: Iterable[str]) -> None:
    """Drop the administrators of channels no edition posts to any more."""
    await session.execute(delete(ChannelAdmin).where(ChannelAdmin.channel.not_in(list(channels))))
