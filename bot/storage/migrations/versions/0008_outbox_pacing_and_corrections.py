"""The outbox at Telegram's limits: per-chat pacing in the database (``chats``), a failure
reason on each delivery and on each unreachable reader, article revisions (a corrected article
edits the posts already sent), 64-bit delivery ids, and indexes for retention and statistics.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("chat", sa.String(64), nullable=False),
        sa.Column("next_at", TZ, nullable=False),
        sa.Column("tat", TZ, nullable=False),
        sa.Column("moved_to", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("chat", name="pk_chats"),
    )
    # Plain ADD COLUMNs: a batch on SQLite would copy the tables (and lose AUTOINCREMENT).
    op.add_column("deliveries", sa.Column("reason", sa.String(32), nullable=True))
    op.add_column(
        "deliveries",
        sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "articles",
        sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column("subscribers", sa.Column("inactive_reason", sa.String(32), nullable=True))
    op.create_index("ix_deliveries_created_at", "deliveries", ["created_at"])
    op.create_index("ix_deliveries_sent_at", "deliveries", ["sent_at"])
    if op.get_bind().dialect.name == "postgresql":
        # SQLite's INTEGER PRIMARY KEY is 64-bit already.
        op.alter_column("deliveries", "id", type_=sa.BigInteger(), existing_nullable=False)
        op.execute("ALTER SEQUENCE IF EXISTS deliveries_id_seq AS bigint")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE IF EXISTS deliveries_id_seq AS integer")
        op.alter_column("deliveries", "id", type_=sa.Integer(), existing_nullable=False)
    op.drop_index("ix_deliveries_sent_at", "deliveries")
    op.drop_index("ix_deliveries_created_at", "deliveries")
    op.drop_column("subscribers", "inactive_reason")
    op.drop_column("articles", "revision")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column of an indexed table in place on old versions: use a batch
        # (the outbox has no AUTOINCREMENT to lose).
        with op.batch_alter_table("deliveries") as batch:
            batch.drop_column("revision")
            batch.drop_column("reason")
    else:
        op.drop_column("deliveries", "revision")
        op.drop_column("deliveries", "reason")
    op.drop_table("chats")
