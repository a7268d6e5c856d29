"""The console's dashboard (and /stats) count per day over ranges of indexes, never over
every row: readers' stints begun and ended, sign-ups and their campaigns, an edition's
follows, deliveries sent and failed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: dict[str, tuple[str, list[str]]] = {
    "ix_subscribers_subscribed_subscribed_at": (
        "subscribers",
        [
            "subscribed",
            "subscribed_at",
            "started_at",
            "active",
            "inactive_since",
            "unsubscribed_at",
        ],
    ),
    "ix_subscribers_subscribed_at_campaign": ("subscribers", ["subscribed_at", "campaign"]),
    "ix_subscribers_active_inactive_since": (
        "subscribers",
        ["active", "inactive_since", "subscribed", "subscribed_at", "started_at", "chat_id"],
    ),
    "ix_subscribers_subscribed_unsubscribed_at": (
        "subscribers",
        ["subscribed", "unsubscribed_at", "subscribed_at"],
    ),
    "ix_subscriptions_edition_id_exclude_section_id": (
        "subscriptions",
        ["edition_id", "exclude", "section_id", "created_at", "chat_id"],
    ),
    "ix_subscriptions_chat_id_edition_id": ("subscriptions", ["chat_id", "edition_id", "exclude"]),
    "ix_deliveries_status_sent_at": ("deliveries", ["status", "sent_at"]),
    "ix_deliveries_status_claimed_at": ("deliveries", ["status", "claimed_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    # (chat_id, edition_id, exclude) begins with it.
    op.drop_index("ix_subscriptions_chat_id", table_name="subscriptions")


def downgrade() -> None:
    op.create_index("ix_subscriptions_chat_id", "subscriptions", ["chat_id"])
    for name, (table, _) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
