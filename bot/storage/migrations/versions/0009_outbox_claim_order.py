"""The outbox's claim reads due deliveries in an index's order: ``(status, next_attempt_at,
id)`` replaces ``(status, next_attempt_at)``, so a claim reads its few rows from the index
instead of sorting every due row (on PostgreSQL; SQLite's index already ended with the rowid).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_status_next_attempt_at_id",
        "deliveries",
        ["status", "next_attempt_at", "id"],
    )
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")


def downgrade() -> None:
    op.create_index(
        "ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"]
    )
    op.drop_index("ix_deliveries_status_next_attempt_at_id", table_name="deliveries")
