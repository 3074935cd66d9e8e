"""change log: what became visible to whom, kills

`article_change` keeps each article's latest *public* change with its kind, time and whether
the article was public then; `change_scope` every (language, section, syndicated) scope an
article was ever public in, so tombstones reach only viewers that could have seen it;
`partner_scope` the sections of a partner's earlier allowlists; `article.kill_reason`.
Existing public articles are backfilled as published in their current scope.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import app.core.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLIC = ("a.status IN ('published', 'scheduled') AND a.published_at <= :now "
          "AND a.deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kill_reason", sqlmodel.sql.sqltypes.AutoString(length=1000),
                                      nullable=True))
    with op.batch_alter_table("article_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default="updated"))
        batch_op.add_column(sa.Column("at", app.core.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_article_change_at"), ["at"], unique=False)
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "change_scope",
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("syndicated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_change_scope_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "language", "section_id", "syndicated",
                                name=op.f("pk_change_scope")),
    )
    op.create_table(
        "partner_scope",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"],
                                name=op.f("fk_partner_scope_partner_id_partner"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("partner_id", "section_id", name=op.f("pk_partner_scope")),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE article_change SET public = :yes, kind = 'published', at = ("
        " SELECT a.published_at FROM article a WHERE a.id = article_change.article_id)"
        f" WHERE article_id IN (SELECT a.id FROM article a WHERE {PUBLIC})"),
        {"now": now, "yes": True})
    bind.execute(sa.text(
        "INSERT INTO change_scope (article_id, language, section_id, syndicated)"
        " SELECT a.id, a.language, COALESCE(a.section_id, 0), a.syndication = 'allowed'"
        f" FROM article a WHERE {PUBLIC}"), {"now": now})


def downgrade() -> None:
    op.drop_table("partner_scope")
    op.drop_table("change_scope")
    with op.batch_alter_table("article_change", schema=None) as batch_op:
        batch_op.drop_column("public")
        batch_op.drop_index(batch_op.f("ix_article_change_at"))
        batch_op.drop_column("at")
        batch_op.drop_column("kind")
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy of `article`: dropping the old table
    # would cascade to its bylines and tags.
    op.execute("ALTER TABLE article DROP COLUMN kill_reason")
