"""The tables: editions, feeds, sections, articles, subscribers, their subscriptions and
deliveries (the outbox).

Every step after "store" is driven by these rows, so a crash or restart resumes where it
stopped: an article row says whether it was published, and each (article, chat) pair has at
most one delivery row, whose status moves ``pending → sending → sent | failed``.
The schema itself is made by the Alembic migrations in ``bot/storage/migrations``; a test checks
that they and these models agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    PostgreSQL keeps the time zone (``timestamptz``); SQLite keeps none, so values are stored as
    naive UTC and made aware again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class ArticleStatus(StrEnum):
    """``seen``: known but never sent (a feed's backlog, or kept out by its feed's rules);
    ``draft``: its post is made and waits for an editor (a push under review, a feed's article
    waiting for approval, a scheduled push); ``published``: deliveries were queued."""

    SEEN = "seen"
    DRAFT = "draft"
    PUBLISHED = "published"


class SendStatus(StrEnum):
    """Where one publication of an article (a :class:`Send`) stands."""

    DRAFT = "draft"  # an editor's preview: Publish, Edit summary, Schedule or Cancel
    AWAITING = "awaiting"  # a feed's article in approval mode: the first editor decides
    SCHEDULED = "scheduled"  # published by the schedule job at ``not_before``
    QUEUED = "queued"  # its deliveries are in the outbox
    DONE = "done"  # every delivery settled; the progress message shows the summary
    CANCELLED = "cancelled"  # an editor cancelled the preview or the schedule
    SKIPPED = "skipped"  # an editor skipped an article awaiting approval


class DeliveryStatus(StrEnum):
    """Where one (article, chat) delivery stands."""

    PENDING = "pending"  # waiting for its turn (or for next_attempt_at)
    SENDING = "sending"  # claimed by a sender; not known to have arrived yet
    SENT = "sent"
    FAILED = "failed"  # gave up: blocked, chat gone, or too many errors
    HELD = "held"  # a digest reader's article, waiting for their next digest
    DIGESTED = "digested"  # put in a digest (the row of kind ``digest``, sent on its own)
    CANCELLED = "cancelled"  # the reader unsubscribed before it went out
    #: a channel post whose fate is not known (the process stopped, or the answer was lost
    #: while sending it): never resent by itself, since every reader would see a duplicate; the
    #: editors are told and may resend it.
    UNKNOWN = "unknown"


class DeliveryMode(StrEnum):
    """How a subscription's articles reach the reader."""

    INSTANT = "instant"  # each article as it is published
    DIGEST = "digest"  # one message of links a day, at the reader's hour


class Edition(Base):
    """One edition of the publisher: a language and the channel its articles go to.

    Made from ``EDITIONS`` at start (:func:`bot.services.editions.ensure_editions`); an edition
    no longer configured is kept, with its feeds and readers, and posts to no channel.
    """

    __tablename__ = "editions"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it once

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``en``, ``hi``: the code EDITIONS and ``--edition`` name it by, and its language.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(64))
    #: the order EDITIONS lists it in (0: the default edition); ``None``: not configured.
    position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Feed(Base):
    """A feed newsbot polls, with its own schedule and health."""

    __tablename__ = "feeds"
    #: A feed's id is part of its articles' identity: SQLite must never hand a removed feed's id
    #: to a new one (PostgreSQL's sequences never do), or the new feed's entries would be "known".
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it once

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    primed: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: :class:`bot.errors.ErrorKind` of the last failure, and when it happened.
    last_error_kind: Mapped[str | None] = mapped_column(String(16))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: seconds between two polls of this feed; ``None``: the global POLL_INTERVAL.
    interval: Mapped[int | None] = mapped_column(Integer)
    #: fetch each new article's page and take its main text as the summary (teaser feeds).
    full_text: Mapped[bool] = mapped_column(Boolean, default=False)
    #: why an inactive feed is paused: ``editor`` or ``failures`` (paused by itself).
    paused_reason: Mapped[str | None] = mapped_column(String(16))
    #: the feed's own post template (Jinja2, see :mod:`bot.formatting.template`); ``None``:
    #: the global POST_TEMPLATE, else newsbot's layout.
    template: Mapped[str | None] = mapped_column(Text)
    #: the edition the feed's articles belong to.
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), index=True)
    #: approval mode: each new article waits for an editor's Publish or Skip.
    approve: Mapped[bool] = mapped_column(Boolean, default=False)
    #: editorial rules: an article is published only if it has one of ``include_words`` (when
    #: set) and none of ``exclude_words``: plain words and phrases (:mod:`bot.editorial`).
    include_words: Mapped[list[str] | None] = mapped_column(JSON)
    exclude_words: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Section(Base):
    """A part of an edition a reader can follow: one feed's articles, or one category's.

    Editors make them (``newsbot sections add``); ``key`` is ``feed:<id>`` or
    ``category:<name>`` (the category casefolded), unique within the edition.
    """

    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("edition_id", "key", name="uq_sections_edition_id_key"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160))
    #: what readers see on the /sections keyboard.
    name: Mapped[str] = mapped_column(String(64))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemovedFeed(Base):
    """A feed URL that is no feed's any more: ``FEEDS`` does not bring it back on the next
    start. An operator removed it, or the feed moved for good (301/308) to feed ``moved_to``."""

    __tablename__ = "removed_feeds"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    removed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moved_to: Mapped[int | None] = mapped_column(Integer)


class Article(Base):
    """One article, from a feed entry or an editor's push, and the post made of it."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    #: sha256 of (source, entry key): the identity that makes "noticed once" a unique index.
    identity: Mapped[str] = mapped_column(String(64), unique=True)
    key: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))  # "feed" or "push"
    status: Mapped[str] = mapped_column(String(16), default=ArticleStatus.SEEN)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(Text)
    #: sha256 of the canonical link (:func:`bot.links.link_key`), for every stored article: an
    #: entry whose link its feed already listed is not new, even under a new guid.
    link_key: Mapped[str | None] = mapped_column(String(64), index=True)
    #: sha256 of the canonical link, set only once the article is published: the unique index
    #: that keeps two feeds (or a feed and a push) from publishing one article twice.
    published_link: Mapped[str | None] = mapped_column(String(64), unique=True)
    image: Mapped[str | None] = mapped_column(Text)
    post_html: Mapped[str | None] = mapped_column(Text)
    #: the post for a reader's private chat when it differs from ``post_html`` (the channel's):
    #: its links carry ``utm_campaign=dm``.
    post_dm_html: Mapped[str | None] = mapped_column(Text)
    #: how the post was rendered: ``photo`` (``image`` with the post as caption), ``preview``
    #: (text with the link's large preview) or ``text`` (no picture, no preview).
    post_style: Mapped[str | None] = mapped_column(String(8))
    #: Telegram's file id of ``image`` once newsbot uploaded it itself (Telegram refused the URL).
    image_file_id: Mapped[str | None] = mapped_column(Text)
    #: raised each time the source corrects the title or summary of the published article: the
    #: posts already sent are edited to it (:mod:`jobs.corrections`).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the entry's categories as the feed wrote them (hashtags are made of them).
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    #: the article's language as detected from its text (``en``, ``hi``, ``ur``…), if known.
    language: Mapped[str | None] = mapped_column(String(16))
    #: the edition whose channel and readers get the article.
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleSection(Base):
    """An article is in a section (its feed's, or one of its categories'): written when the
    article is published, read by the routing of its deliveries and by digests."""

    __tablename__ = "article_sections"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ArticleURL(Base):
    """One URL an article was seen under (feed link, guid, og:url, pushed URL, redirects).

    ``url_key`` is :func:`bot.links.link_key` of the URL: the first article seen under a URL
    owns it, so a push followed by the feed listing it under another of its URLs is one article.
    """

    __tablename__ = "article_urls"

    url_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(Text)


class Subscriber(Base):
    """A reader who talked to the bot in a private chat."""

    __tablename__ = "subscribers"
    __table_args__ = (
        # The dashboard's and /stats' counts per day, each a range of one of these, read from
        # the index alone (0011): stints begun (and whether they still last), sign-ups, their
        # campaigns, stints ended by Telegram's refusal (an edition's unreachable followers
        # too) or by leaving.
        Index(
            "ix_subscribers_subscribed_subscribed_at",
            "subscribed",
            "subscribed_at",
            "started_at",
            "active",
            "inactive_since",
            "unsubscribed_at",
        ),
        Index("ix_subscribers_subscribed_at_campaign", "subscribed_at", "campaign"),
        Index(
            "ix_subscribers_active_inactive_since",
            "active",
            "inactive_since",
            "subscribed",
            "subscribed_at",
            "started_at",
            "chat_id",
        ),
        Index(
            "ix_subscribers_subscribed_unsubscribed_at",
            "subscribed",
            "unsubscribed_at",
            "subscribed_at",
        ),
    )

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    #: Telegram's ``language_code`` as of the reader's last message (refreshed on each one).
    language: Mapped[str | None] = mapped_column(String(16))
    #: the language the reader chose with /language (``en``, ``hi``); Telegram never changes it.
    chosen_language: Mapped[str | None] = mapped_column(String(16))
    #: the /start payload that brought the reader (first touch wins).
    campaign: Mapped[str | None] = mapped_column(String(64), index=True)
    #: whether the reader has any :class:`Subscription` (kept with them by
    #: :mod:`bot.services.subscriptions`): counted in stats, checked before each send.
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    #: False once Telegram says the chat is unreachable (blocked, deleted); True again on contact.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    subscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    inactive_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why Telegram refused the chat: "blocked", "deactivated", "kicked", "chat_not_found".
    inactive_reason: Mapped[str | None] = mapped_column(String(32))
    #: when free text last earned the reader the "commands only" hint (once an hour at most).
    hinted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: nothing is sent before this (``/pause``); far in the future: until ``/resume``.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the hour (0-23, in ``timezone``) of the reader's daily digest.
    digest_hour: Mapped[int | None] = mapped_column(Integer)
    #: the reader's time zone (IANA); ``None``: the publisher's TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: when the last digest was queued: the next one holds what was published since.
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subscription(Base):
    """A reader follows an edition: all of it (``section_id`` ``None``) or one section, each
    instantly or in the daily digest. A reader with no row is not subscribed. A row with
    ``exclude`` mutes one section of an edition followed as a whole: its articles do not come
    (an article in no section, or in another, still does)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_edition_id_mode", "edition_id", "mode"),
        # An edition's follows per day, and its followers now (0011); a reader's rows, and
        # whether they follow an edition, from the index alone.
        Index(
            "ix_subscriptions_edition_id_exclude_section_id",
            "edition_id",
            "exclude",
            "section_id",
            "created_at",
            "chat_id",
        ),
        Index("ix_subscriptions_chat_id_edition_id", "chat_id", "edition_id", "exclude"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("subscribers.chat_id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    exclude: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(8), default=DeliveryMode.INSTANT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ForgottenReaders(Base):
    """Readers who asked to be forgotten (``/forget``), counted per campaign and nothing else:
    a campaign's sign-ups still count after its readers are gone (``""``: no campaign)."""

    __tablename__ = "forgotten_readers"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    started: Mapped[int] = mapped_column(Integer, default=0)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)


class Send(Base):
    """One publication of an article to its edition: who asked and when, how it rings, and the
    editor's message that shows it (the preview, then the delivery's progress). Its deliveries
    point to it, so its progress is a count of theirs. A feed's article published by itself has
    one too (``requested_by`` ``None``); a schedule is a row (``scheduled``, ``not_before``),
    so it survives restarts."""

    __tablename__ = "sends"
    __table_args__ = (
        Index("ix_sends_status_not_before", "status", "not_before"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"))
    status: Mapped[str] = mapped_column(String(16), default=SendStatus.DRAFT)
    #: a scheduled send is published at this time, not before.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the editor who pushed it (Telegram user id); ``None``: its feed.
    requested_by: Mapped[int | None] = mapped_column(BigInteger)
    #: the editor who published, scheduled, skipped or cancelled it, and their name as shown.
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_by_name: Mapped[str | None] = mapped_column(String(128))
    #: Telegram's paid broadcast (``allow_paid_broadcast``) for its deliveries.
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    #: marked Breaking by an editor: the channel post rings even in quiet hours.
    breaking: Mapped[bool] = mapped_column(Boolean, default=False)
    #: decided when it is queued: the channel post goes out with ``disable_notification``.
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the editor's chat and message that show the send (preview, then progress and summary).
    chat: Mapped[int | None] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    #: when the progress message was last edited (at most one edit every few seconds).
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when its deliveries were queued, and when the last of them settled.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewMessage(Base):
    """A preview of a send awaiting approval, as one editor received it: edited for every
    editor once one of them decides."""

    __tablename__ = "review_messages"

    send_id: Mapped[int] = mapped_column(
        ForeignKey("sends.id", ondelete="CASCADE"), primary_key=True
    )
    chat: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger)


class EditorPrompt(Base):
    """An editor was asked for a text (Edit summary): their next message is the answer."""

    __tablename__ = "editor_prompts"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    send_id: Mapped[int] = mapped_column(ForeignKey("sends.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelAdmin(Base):
    """An administrator of an edition's channel, as Telegram last said
    (``getChatAdministrators``, refreshed by a job and on ``chat_member`` updates): an editor,
    for every process and the console alike."""

    __tablename__ = "channel_admins"

    #: the channel as the edition names it ("@revoi_en" or "-100…").
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InviteLink(Base):
    """A named invite link of an edition's channel, made for a campaign
    (``createChatInviteLink``): people who join through it are counted (:class:`ChannelJoin`)."""

    __tablename__ = "invite_links"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it once

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    invite_link: Mapped[str] = mapped_column(String(256), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelJoin(Base):
    """Someone joined a channel through a campaign's invite link (a ``chat_member`` update)."""

    __tablename__ = "channel_joins"

    invite_link_id: Mapped[int] = mapped_column(
        ForeignKey("invite_links.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostReaction(Base):
    """The reactions on one channel post, as the last ``message_reaction_count`` update said."""

    __tablename__ = "post_reactions"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: the article the post was, when newsbot knows it (from its delivery).
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: each reaction's count, e.g. ``{"👍": 12, "custom:5368…": 2}``.
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One article to one chat: the outbox row that makes "never sent twice" hold."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("article_id", "chat", name="uq_deliveries_article_id_chat"),
        Index("ix_deliveries_status_next_attempt_at_id", "status", "next_attempt_at", "id"),
        # One reader's rows: their digest's held articles, cancelling on /unsubscribe, /forget.
        Index("ix_deliveries_chat_status", "chat", "status"),
        # A send's progress: its deliveries counted by status.
        Index("ix_deliveries_send_id_status", "send_id", "status"),
        # Retention (old rows pruned) and statistics (deliveries per day).
        Index("ix_deliveries_created_at", "created_at"),
        Index("ix_deliveries_sent_at", "sent_at"),
        # Deliveries sent, and failed, per day (0011).
        Index("ix_deliveries_status_sent_at", "status", "sent_at"),
        Index("ix_deliveries_status_claimed_at", "status", "claimed_at"),
    )

    #: 64-bit on PostgreSQL (50,000 readers × 100 articles a day pass 2³¹ in about 14 months);
    #: SQLite's INTEGER PRIMARY KEY is 64-bit already.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    #: the article sent; ``None`` for a digest, whose text is ``html``.
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: the publication it belongs to (``None``: a digest, or a row older than sends).
    #: Sends go only with their article, which takes its deliveries along (no ON DELETE here).
    send_id: Mapped[int | None] = mapped_column(ForeignKey("sends.id"))
    #: "@channel", "-100…" or a reader's numeric chat id, as text.
    chat: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "channel", "reader" or "digest"
    #: the message itself when it is no article's post (a digest), Telegram HTML.
    html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    claim: Mapped[str | None] = mapped_column(String(32))
    #: when the row was last claimed: a claim older than any send is left over from a crash.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it failed, was retried or is unknown, in a word (:mod:`bot.outbox.answers`):
    #: "blocked", "deactivated", "kicked", "chat_not_found", "parse", "network", …
    reason: Mapped[str | None] = mapped_column(String(32))
    #: the article's revision the chat's message shows (a correction edits older ones).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Chat(Base):
    """Pacing per chat, shared by every process: when the chat may get its next message.

    Telegram takes about one message a second in a private chat and 20 a minute in a group
    or channel (in a burst, then one every 3 s): a generic cell rate algorithm, whose
    theoretical arrival time is ``tat`` and which may send again from ``next_at``
    (:mod:`bot.outbox.pacing`). A flood wait pauses the chat it was for. ``moved_to`` is the
    supergroup a group became (``ChatMigrated``): its messages go there.
    """

    __tablename__ = "chats"

    chat: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tat: Mapped[datetime] = mapped_column(UTCDateTime)
    moved_to: Mapped[str | None] = mapped_column(String(64))


class Secret(Base):
    """A secret newsbot made for itself and keeps for every process: ``console`` signs the
    console's login links (never the bot token)."""

    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Campaign(Base):
    """A sign-up campaign a marketer made (its deep link ``?start=<name>``, its QR code).

    Readers carry the campaign that brought them (:attr:`Subscriber.campaign`); a payload
    nobody made here still counts, and shows among the campaigns."""

    __tablename__ = "campaigns"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: what the posters say under the code, kept as the QR download's default label.
    label: Mapped[str | None] = mapped_column(String(120))
    #: the editor who made it (Telegram user id).
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsoleLogin(Base):
    """A one-time login link /console gave an editor: ``used_at`` once it was opened."""

    __tablename__ = "console_logins"

    nonce: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    #: the editor's name as Telegram gave it, shown on what they decide in the console.
    name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ConsoleSession(Base):
    """An editor's console session: the cookie holds a random token, this row its sha256
    (a copy of the table logs nobody in) and the session's CSRF token."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str | None] = mapped_column(String(128))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
