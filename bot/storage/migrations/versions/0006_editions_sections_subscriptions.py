"""Editions, sections and subscriptions; pause, digest and forget; digests in the outbox.

Every existing feed and article belongs to one edition, ``en`` (the single edition of the
release before; :func:`bot.services.editions.ensure_editions` renames it when EDITIONS names
another first), and every subscribed reader follows all of it, instantly.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def _add_edition_column(table: str) -> None:
    """``table.edition_id`` referencing ``editions``. A plain ADD COLUMN, as in 0002-0005: a
    batch on SQLite would lose the tables' AUTOINCREMENT. SQLite takes the REFERENCES clause
    inside ADD COLUMN but no constraint added after it, which is all Alembic's add_column does."""
    name = f"fk_{table}_edition_id_editions"
    if op.get_bind().dialect.name == "sqlite":
        columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)}
        if "edition_id" in columns:  # left, empty, by a downgrade (see there)
            return
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN edition_id INTEGER "
            f"CONSTRAINT {name} REFERENCES editions (id)"
        )
        return
    op.add_column(table, sa.Column("edition_id", sa.Integer(), nullable=True))
    op.create_foreign_key(name, table, "editions", ["edition_id"], ["id"])


def upgrade() -> None:
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_editions"),
        sa.UniqueConstraint("code", name="uq_editions_code"),
        sqlite_autoincrement=True,
    )
    _add_edition_column("feeds")
    op.create_index("ix_feeds_edition_id", "feeds", ["edition_id"])
    _add_edition_column("articles")
    op.create_index("ix_articles_edition_id", "articles", ["edition_id"])
    op.create_table(
        "sections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name="fk_sections_edition_id_editions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name="fk_sections_feed_id_feeds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sections"),
        sa.UniqueConstraint("edition_id", "key", name="uq_sections_edition_id_key"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "article_sections",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_sections_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name="fk_article_sections_section_id_sections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "section_id", name="pk_article_sections"),
    )
    op.create_index("ix_article_sections_section_id", "article_sections", ["section_id"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=True),
        sa.Column("exclude", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["subscribers.chat_id"],
            name="fk_subscriptions_chat_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name="fk_subscriptions_edition_id_editions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["sections.id"],
            name="fk_subscriptions_section_id_sections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_subscriptions_chat_id", "subscriptions", ["chat_id"])
    op.create_index("ix_subscriptions_edition_id_mode", "subscriptions", ["edition_id", "mode"])
    op.create_table(
        "forgotten_readers",
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("signed_up", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("campaign", name="pk_forgotten_readers"),
    )
    op.add_column("subscribers", sa.Column("paused_until", TZ, nullable=True))
    op.add_column("subscribers", sa.Column("digest_hour", sa.Integer(), nullable=True))
    op.add_column("subscribers", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column("subscribers", sa.Column("last_digest_at", TZ, nullable=True))
    # deliveries has no AUTOINCREMENT to lose: a batch (a copy on SQLite) lets article_id be
    # empty, for digests.
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("html", sa.Text(), nullable=True))
    op.create_index("ix_deliveries_chat_status", "deliveries", ["chat", "status"])

    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # naive UTC, as bot.storage.models.UTCDateTime stores it
    editions = sa.table(
        "editions",
        sa.column("id", sa.Integer()),
        sa.column("code", sa.String()),
        sa.column("language", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("created_at", TZ),
    )
    bind.execute(editions.insert().values(code="en", language="en", position=0, created_at=now))
    edition_id = bind.execute(sa.select(editions.c.id).where(editions.c.code == "en")).scalar_one()
    bind.execute(sa.text("UPDATE feeds SET edition_id = :e"), {"e": edition_id})
    bind.execute(sa.text("UPDATE articles SET edition_id = :e"), {"e": edition_id})
    bind.execute(
        sa.text(
            "INSERT INTO subscriptions (chat_id, edition_id, section_id, exclude, mode, "
            "created_at) SELECT chat_id, :e, NULL, false, 'instant', :now FROM subscribers "
            "WHERE subscribed ORDER BY chat_id"
        ),
        {"e": edition_id, "now": now},
    )


def downgrade() -> None:
    op.execute("DELETE FROM deliveries WHERE article_id IS NULL")
    op.drop_index("ix_deliveries_chat_status", "deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("html")
        batch.alter_column("article_id", existing_type=sa.Integer(), nullable=False)
    for column in ("last_digest_at", "timezone", "digest_hour", "paused_until"):
        op.drop_column("subscribers", column)
    op.drop_table("forgotten_readers")
    op.drop_index("ix_subscriptions_edition_id_mode", "subscriptions")
    op.drop_index("ix_subscriptions_chat_id", "subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_article_sections_section_id", "article_sections")
    op.drop_table("article_sections")
    op.drop_table("sections")
    op.drop_index("ix_articles_edition_id", "articles")
    op.drop_index("ix_feeds_edition_id", "feeds")
    if op.get_bind().dialect.name == "sqlite":
        # A batch would copy feeds and articles, and with foreign keys on, dropping the old
        # tables would delete their deliveries and URLs (and feeds' AUTOINCREMENT would go):
        # on SQLite the columns stay, empty, which older code does not read.
        op.execute("UPDATE feeds SET edition_id = NULL")
        op.execute("UPDATE articles SET edition_id = NULL")
    else:
        for table in ("articles", "feeds"):
            op.drop_constraint(f"fk_{table}_edition_id_editions", table, type_="foreignkey")
            op.drop_column(table, "edition_id")
    op.drop_table("editions")
