"""Campaigns: the ones marketers make in the console, what each brought (sign-ups, readers still
subscribed, week by week), and the campaigns that invite people to a channel directly: one
named invite link per campaign and channel, and the joins that came through each.

A campaign is a name in the ``campaigns`` table (:func:`create_campaign`), or a ``/start``
payload readers arrived with that nobody made here; both are listed (:func:`list_campaigns`)
and looked up (:func:`find_campaign`) alike, from a few aggregate queries::

    async with db.writing() as session:
        made = await create_campaign(session, "metro-posters", "Scan for the news", editor_id)
    async with db.session() as session:
        listed = await list_campaigns(session)                # the newest first
        weeks = await weekly_sign_ups(session, "metro-posters", zone)

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
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select, type_coerce, union
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot

from bot.campaign_weeks import WEEKS, Week, first_monday
from bot.errors import InvalidCampaignError
from bot.qr import check_label, validate_campaign
from bot.services.articles import insert_ignoring_duplicates
from bot.storage.db import Database
from bot.storage.models import (
    Campaign,
    ChannelJoin,
    ForgottenReaders,
    InviteLink,
    Subscriber,
    UTCDateTime,
    utcnow,
)

__all__ = [
    "INVITE_NAME_LIMIT",
    "LABEL_LIMIT",
    "LIST_LIMIT",
    "CampaignList",
    "CampaignSummary",
    "Invite",
    "campaign_joins",
    "create_campaign",
    "find_campaign",
    "invite_link_for",
    "list_campaigns",
    "record_join",
    "weekly_sign_ups",
]

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


LABEL_LIMIT: Final = 120
"""The longest label a campaign keeps (``campaigns.label``), in characters."""
LIST_LIMIT: Final = 100
"""How many campaigns a list holds at most (anyone can open the bot with a made-up payload)."""


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """One campaign and what it brought.

    ``sign_ups``: readers who started the bot through it, those who since asked ``/forget``
    included (``forgotten`` of them, counted in no week); ``subscribed``: its readers who are
    subscribed and reachable now; ``joins``: people who joined a channel through its invite
    links (``None``: it has none).
    """

    name: str
    #: made in the console (a row of ``campaigns``), not only a payload readers brought.
    created: bool
    label: str | None
    created_by: int | None
    #: when it was made here, else when its first reader started (None: all of them forgotten).
    since: datetime | None
    sign_ups: int
    subscribed: int
    forgotten: int
    joins: int | None


@dataclass(frozen=True, slots=True)
class CampaignList:
    """The newest campaigns (at most the list's limit) and how many there are in all."""

    campaigns: list[CampaignSummary]
    total: int


async def create_campaign(
    session: AsyncSession,
    name: str,
    label: str | None,
    created_by: int | None,
    *,
    now: datetime | None = None,
) -> bool:
    """Make the campaign ``name`` with ``label`` (the poster's text under the code); False,
    changing nothing, when one of that name was made before. A name readers already brought
    as a payload may be made: its readers count for it as before.

    Raises InvalidCampaignError for a name Telegram would not carry, ValueError for a label
    that cannot be printed or is longer than :data:`LABEL_LIMIT`.
    """
    validate_campaign(name)
    text = check_label(label)
    if text is not None and len(text) > LABEL_LIMIT:
        raise ValueError(f"a label is at most {LABEL_LIMIT} characters, not {len(text)}")
    result = await session.execute(
        insert_ignoring_duplicates(session, Campaign).values(
            name=name, label=text, created_by=created_by, created_at=now or utcnow()
        )
    )
    made = bool(getattr(result, "rowcount", 0))
    if made:
        log.info("campaign made campaign=%s user_id=%s", name, created_by)
    return made


async def list_campaigns(session: AsyncSession, *, limit: int = LIST_LIMIT) -> CampaignList:
    """Every campaign, made here or brought by readers, the newest first (by when it was made,
    else its first reader's start; then by name), at most ``limit`` of them."""
    rows = (await session.execute(_summaries().limit(limit))).all()
    joins = await campaign_joins(session)
    total = int(rows[0].total) if rows else 0
    return CampaignList([_summary(row, joins) for row in rows], total)


async def find_campaign(session: AsyncSession, name: str) -> CampaignSummary | None:
    """The campaign ``name``, made here or brought by readers; None for a name that is
    neither (or is no campaign name at all)."""
    try:
        validate_campaign(name)
    except InvalidCampaignError:
        return None
    row = (await session.execute(_summaries(name))).first()
    if row is None:
        return None
    return _summary(row, await campaign_joins(session))


async def weekly_sign_ups(
    session: AsyncSession,
    name: str,
    zone: ZoneInfo,
    *,
    weeks: int = WEEKS,
    now: datetime | None = None,
) -> list[Week]:
    """``name``'s sign-ups and readers still subscribed per ISO week of ``zone``, the last
    ``weeks`` weeks up to ``now``'s (oldest first, empty weeks as zeros): one query over the
    campaign's readers, weeks cut with the zone's rules."""
    now = now or utcnow()
    today = now.astimezone(zone).date()
    mondays = [first_monday(today, weeks) + timedelta(weeks=n) for n in range(weeks)]
    # Where each week begins, by the zone's own rules (daylight saving included), and now.
    bounds = [datetime.combine(day, time(), tzinfo=zone).astimezone(UTC) for day in mondays]
    started = type_coerce(Subscriber.started_at, UTCDateTime)
    # One pass over the campaign's readers, each put in its week by comparisons with the
    # weeks' bounds (no function of a row's time: the same on SQLite and PostgreSQL).
    week = case(
        *((started < bound, n - 1) for n, bound in enumerate(bounds[1:], start=1)),
        else_=len(bounds) - 1,
    )
    rows = await session.execute(
        select(week, func.count(), func.sum(case((_still_subscribed(), 1), else_=0)))
        .where(Subscriber.campaign == name, started >= bounds[0], started < now)
        .group_by(week)
    )
    counts = {int(n): (int(signed), int(still or 0)) for n, signed, still in rows}
    return [Week(day, *counts.get(n, (0, 0))) for n, day in enumerate(mondays)]


def _still_subscribed() -> Any:
    return and_(Subscriber.subscribed.is_(True), Subscriber.active.is_(True))


def _summaries(name: str | None = None) -> Select[Any]:
    """The query of campaigns' summaries (one row each, the newest first, each with the count
    of all of them): every name in ``campaigns``, readers' payloads, invite links and
    forgotten readers' counts, with its figures joined on; only ``name``'s when given."""
    readers_q = select(
        Subscriber.campaign.label("name"),
        func.count().label("started"),
        func.sum(case((_still_subscribed(), 1), else_=0)).label("subscribed"),
        func.min(Subscriber.started_at).label("seen"),
    ).group_by(Subscriber.campaign)
    links_q = select(
        InviteLink.campaign.label("name"), func.min(InviteLink.created_at).label("seen")
    ).group_by(InviteLink.campaign)
    made_q = select(Campaign.name)
    forgotten_q = select(ForgottenReaders.campaign).where(ForgottenReaders.campaign != "")
    if name is None:
        readers_q = readers_q.where(Subscriber.campaign.is_not(None))
    else:
        readers_q = readers_q.where(Subscriber.campaign == name)
        links_q = links_q.where(InviteLink.campaign == name)
        made_q = made_q.where(Campaign.name == name)
        forgotten_q = forgotten_q.where(ForgottenReaders.campaign == name)
    readers = readers_q.cte("campaign_readers")
    links = links_q.cte("campaign_links")
    names = union(made_q, select(readers.c.name), select(links.c.name), forgotten_q).subquery(
        "campaign_names"
    )
    since = type_coerce(
        func.coalesce(Campaign.created_at, readers.c.seen, links.c.seen), UTCDateTime
    )
    return (
        select(
            names.c.name,
            Campaign.name.label("made"),
            Campaign.label,
            Campaign.created_by,
            since.label("since"),
            readers.c.started,
            readers.c.subscribed,
            ForgottenReaders.started.label("forgotten"),
            func.count().over().label("total"),  # before the LIMIT: every campaign
        )
        .select_from(names)
        .outerjoin(Campaign, Campaign.name == names.c.name)
        .outerjoin(readers, readers.c.name == names.c.name)
        .outerjoin(links, links.c.name == names.c.name)
        .outerjoin(ForgottenReaders, ForgottenReaders.campaign == names.c.name)
        .order_by(since.desc().nulls_last(), names.c.name)
    )


def _summary(row: Any, joins: dict[str, int]) -> CampaignSummary:
    forgotten = int(row.forgotten or 0)
    return CampaignSummary(
        name=row.name,
        created=row.made is not None,
        label=row.label,
        created_by=row.created_by,
        since=row.since,
        sign_ups=int(row.started or 0) + forgotten,
        subscribed=int(row.subscribed or 0),
        forgotten=forgotten,
        joins=joins.get(row.name),
    )
