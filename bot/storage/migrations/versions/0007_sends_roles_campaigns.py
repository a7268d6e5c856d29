"""Sends (one publication of an article: review, schedule, approval, progress), channel
administrators, feeds' approval mode and rules, campaign invite links and their joins,
reactions on channel posts.

Articles already published keep their deliveries, which belong to no send.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("not_before", TZ, nullable=True),
        sa.Column("requested_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", sa.String(128), nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("breaking", sa.Boolean(), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("chat", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("queued_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_sends_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name="fk_sends_edition_id_editions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sends"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sends_article_id", "sends", ["article_id"])
    op.create_index("ix_sends_status_not_before", "sends", ["status", "not_before"])
    op.create_table(
        "review_messages",
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("chat", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["send_id"], ["sends.id"], name="fk_review_messages_send_id_sends", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("send_id", "chat", name="pk_review_messages"),
    )
    op.create_table(
        "editor_prompts",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["send_id"], ["sends.id"], name="fk_editor_prompts_send_id_sends", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_editor_prompts"),
    )
    op.create_table(
        "channel_admins",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(128), nullable=True),
        sa.Column("refreshed_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("channel", "user_id", name="pk_channel_admins"),
    )
    op.create_table(
        "invite_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("invite_link", sa.String(256), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invite_links"),
        sa.UniqueConstraint("invite_link", name="uq_invite_links_invite_link"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_invite_links_campaign", "invite_links", ["campaign"])
    op.create_table(
        "channel_joins",
        sa.Column("invite_link_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("joined_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_link_id"],
            ["invite_links.id"],
            name="fk_channel_joins_invite_link_id_invite_links",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invite_link_id", "user_id", name="pk_channel_joins"),
    )
    op.create_table(
        "post_reactions",
        sa.Column("chat", sa.String(64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_post_reactions_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat", "message_id", name="pk_post_reactions"),
    )
    op.create_index("ix_post_reactions_article_id", "post_reactions", ["article_id"])
    # Plain ADD COLUMNs, as before: a batch on SQLite would lose feeds' AUTOINCREMENT.
    op.add_column(
        "feeds", sa.Column("approve", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("feeds", sa.Column("include_words", sa.JSON(), nullable=True))
    op.add_column("feeds", sa.Column("exclude_words", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE deliveries ADD COLUMN send_id INTEGER "
            "CONSTRAINT fk_deliveries_send_id_sends REFERENCES sends (id)"
        )
    else:
        op.add_column("deliveries", sa.Column("send_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_deliveries_send_id_sends",
            "deliveries",
            "sends",
            ["send_id"],
            ["id"],
        )
    op.create_index("ix_deliveries_send_id_status", "deliveries", ["send_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_send_id_status", "deliveries")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column a foreign key uses: copy the outbox (no table refers to it,
        # and it has no AUTOINCREMENT to lose).
        with op.batch_alter_table("deliveries") as batch:
            batch.drop_column("send_id")
    else:
        op.drop_constraint("fk_deliveries_send_id_sends", "deliveries", type_="foreignkey")
        op.drop_column("deliveries", "send_id")
    # Articles waiting for an editor were never published: older code knows them as seen.
    op.execute("UPDATE articles SET status = 'seen' WHERE status = 'draft'")
    for column in ("exclude_words", "include_words", "approve"):
        op.drop_column("feeds", column)
    op.drop_index("ix_post_reactions_article_id", "post_reactions")
    op.drop_table("post_reactions")
    op.drop_table("channel_joins")
    op.drop_index("ix_invite_links_campaign", "invite_links")
    op.drop_table("invite_links")
    op.drop_table("channel_admins")
    op.drop_table("editor_prompts")
    op.drop_table("review_messages")
    op.drop_index("ix_sends_status_not_before", "sends")
    op.drop_index("ix_sends_article_id", "sends")
    op.drop_table("sends")
