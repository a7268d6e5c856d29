"""The reader's own choice of language (/language), kept apart from Telegram's
``language_code``, which is refreshed on every message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, as in 0002 and 0003: a batch on SQLite would lose AUTOINCREMENT.
    op.add_column("subscribers", sa.Column("chosen_language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("subscribers", "chosen_language")
