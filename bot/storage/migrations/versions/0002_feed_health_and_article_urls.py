"""Feed schedule and health (interval, full text, error kind, pause reason), removed feeds,
and every URL an article is known by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch (copy-and-move) on SQLite would lose the feeds table's
    # AUTOINCREMENT, which keeps a removed feed's id from being reused.
    op.add_column("feeds", sa.Column("last_error_kind", sa.String(length=16), nullable=True))
    op.add_column("feeds", sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("feeds", sa.Column("interval", sa.Integer(), nullable=True))
    op.add_column(
        "feeds", sa.Column("full_text", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("feeds", sa.Column("paused_reason", sa.String(length=16), nullable=True))
    op.execute("UPDATE feeds SET paused_reason = 'editor' WHERE NOT active")
    op.create_table(
        "removed_feeds",
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moved_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_removed_feeds")),
    )
    op.create_table(
        "article_urls",
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_urls_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("url_key", name=op.f("pk_article_urls")),
    )
    op.create_index(op.f("ix_article_urls_article_id"), "article_urls", ["article_id"])
    # Every stored article is known by its link; a link several articles share belongs to the
    # published one, else to the oldest.
    op.execute(
        "INSERT INTO article_urls (url_key, article_id, url) "
        "SELECT a.link_key, a.id, a.link FROM articles a "
        "WHERE a.link_key IS NOT NULL AND a.link IS NOT NULL AND a.id = ("
        "  SELECT b.id FROM articles b WHERE b.link_key = a.link_key AND b.link IS NOT NULL"
        "  ORDER BY CASE WHEN b.status = 'published' THEN 0 ELSE 1 END, b.id LIMIT 1)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_article_urls_article_id"), table_name="article_urls")
    op.drop_table("article_urls")
    op.drop_table("removed_feeds")
    # Plain DROP COLUMNs (SQLite 3.35+), for the same reason as in upgrade().
    for column in ("paused_reason", "full_text", "interval", "last_error_at", "last_error_kind"):
        op.drop_column("feeds", column)
