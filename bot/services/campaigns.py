"""Campaigns that invite people to a channel directly: one named invite link per campaign and
channel, and the joins that came through each.

``newsbot qr --invite`` asks for the link (:func:`invite_link_for`) and prints it as a QR code;
when someone joins the channel through it, the ``chat_member`` update's invite link is recorded
(:func:`record_join`), and :func:`campaign_joins` gives the joins per campaign for the stats::

    link = await invite_link_for(db, app.bot, "metro-posters", "@revoi_en")
    async with db.writing() as session:
        await record_join(session, chat.id, member.invite_link.invite_link, member.user.id)
    async with db.session() as session:
        joins = await campaign_joins(session)  # {"metro-posters": 12}
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.qr import validate_campaign
from bot.services.articles import insert_ignoring_duplicates
from bot.storage.db import Database
from bot.storage.models import ChannelJoin, InviteLink

__all__ = ["INVITE_NAME_LIMIT", "Invite", "campaign_joins", "invite_link_for", "record_join"]

log = logging.getLogger(__name__)

INVITE_NAME_LIMIT = 32
"""Telegram's limit on an invite link's name; a longer campaign name is cut for it (the table
keeps the whole name, which is what the joins are counted by)."""


@dataclass(frozen=True, slots=True)
class Invite:
    """A campaign's invite link to a channel; ``created``: made now, not found in the table."""

    campaign: str
    channel: str
    url: str
    created: bool


async def find_invite_link(session: AsyncSession, campaign: str, channel: str) -> str | None:
    """The invite link made for ``campaign`` in ``channel`` before (the oldest), or None."""
    return await session.scalar(
        select(InviteLink.invite_link)
        .where(InviteLink.campaign == campaign, InviteLink.channel == channel)
        .order_by(InviteLink.id)
        .limit(1)
    )


async def invite_link_for(db: Database, bot: Bot, campaign: str, channel: str) -> Invite:
    """``campaign``'s invite link to ``channel``: the one made before, else a new one named
    after the campaign (``createChatInviteLink``), stored.

    Telegram is asked outside any transaction, so that no writer waits for it; when another
    process stored a link for the same campaign meanwhile, that one is kept and returned.
    Telegram's errors (``BadRequest``: no such chat, ``Forbidden``: not an administrator who
    may invite) are raised as they are.
    """
    validate_campaign(campaign)
    async with db.session() as session:
        known = await find_invite_link(session, campaign, channel)
    if known is not None:
        return Invite(campaign, channel, known, created=False)
    made = await bot.create_chat_invite_link(channel, name=campaign[:INVITE_NAME_LIMIT])
    async with db.writing() as session:
        known = await find_invite_link(session, campaign, channel)
        if known is not None:
            return Invite(campaign, channel, known, created=False)
        session.add(InviteLink(campaign=campaign, channel=channel, invite_link=made.invite_link))
    log.info("invite link made campaign=%s channel=%s", campaign, channel)
    return Invite(campaign, channel, made.invite_link, created=True)


async def record_join(
    session: AsyncSession, channel: str | int, invite_link: str, user_id: int
) -> bool:
    """Count ``user_id``'s join through ``invite_link``; True when it is a new join.

    The link is matched by its URL alone (Telegram's links are unique, and an update names the
    channel by its id where the table has the name EDITIONS gives); ``channel`` is logged. A
    link newsbot did not make is not counted (False), nor is a second join of the same person
    through the same link (after leaving and coming back).
    """
    link_id = await session.scalar(
        select(InviteLink.id).where(InviteLink.invite_link == invite_link.strip())
    )
    if link_id is None:
        return False
    result = await session.execute(
        insert_ignoring_duplicates(session, ChannelJoin).values(
            invite_link_id=link_id, user_id=user_id
        )
    )
    added = bool(getattr(result, "rowcount", 0))
    if added:
        log.info("channel join counted channel=%s invite_link_id=%s", channel, link_id)
    return added


async def campaign_joins(session: AsyncSession) -> dict[str, int]:
    """The joins counted per campaign, over all its channels' links; a campaign with a link
    and no join yet is 0."""
    rows = await session.execute(
        select(InviteLink.campaign, func.count(ChannelJoin.user_id))
        .outerjoin(ChannelJoin, ChannelJoin.invite_link_id == InviteLink.id)
        .group_by(InviteLink.campaign)
        .order_by(InviteLink.campaign)
    )
    return {campaign: int(joins) for campaign, joins in rows}
