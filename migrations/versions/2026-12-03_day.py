"""Finer response-cache invalidation and stored author counts

`stale_key`: the Surrogate-Keys each content version made stale, so a response cache in any
process drops only the pages a change shows up on (app/core/cache.py) instead of all of them.

`author.live_articles`: each author's live (published or scheduled) articles that are not
deleted, so a byline's public count (`app/authors/counts.py`) costs no COUNT over the author's
articles; filled here from the rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stale_key",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("version", "key", name=op.f("pk_stale_key")),
    )
    # Plain ALTER TABLE: a batch copy of `author` would trip its foreign keys.
    op.add_column("author", sa.Column("live_articles", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
    op.execute(
        "UPDATE author SET live_articles = (SELECT count(*) FROM article_author b"
        " JOIN article a ON a.id = b.article_id WHERE b.author_id = author.id"
        " AND a.status IN ('published', 'scheduled') AND a.deleted_at IS NULL)")


def downgrade() -> None:
    with op.batch_alter_table("author", schema=None) as batch_op:
        batch_op.drop_column("live_articles")
    op.drop_table("stale_key")
