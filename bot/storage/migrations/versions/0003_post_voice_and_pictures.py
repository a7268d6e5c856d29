"""What a post is made of beyond its text: the entry's categories and language, the post for
direct messages (its own UTM campaign), the style it was rendered in, the Telegram file id of a
picture newsbot uploaded itself, and a feed's own post template.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ARTICLE_COLUMNS = ("categories", "language", "post_dm_html", "post_style", "image_file_id")


def upgrade() -> None:
    # Plain ADD COLUMNs, as in 0002: a batch on SQLite would lose AUTOINCREMENT.
    op.add_column("articles", sa.Column("categories", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("language", sa.String(length=16), nullable=True))
    op.add_column("articles", sa.Column("post_dm_html", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("post_style", sa.String(length=8), nullable=True))
    op.add_column("articles", sa.Column("image_file_id", sa.Text(), nullable=True))
    op.add_column("feeds", sa.Column("template", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("feeds", "template")
    for column in reversed(_ARTICLE_COLUMNS):
        op.drop_column("articles", column)
