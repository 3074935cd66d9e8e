"""WordPress import: posts already imported (wordpress_post) and old URLs (redirect)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.core.db  # noqa: F401  (UTCDateTime)

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redirect",
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_redirect_article_id_article"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_redirect")),
    )
    with op.batch_alter_table("redirect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redirect_article_id"), ["article_id"], unique=False)

    op.create_table(
        "wordpress_post",
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("wp_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("imported_at", app.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"],
                                name=op.f("fk_wordpress_post_article_id_article"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("site", "wp_id", name=op.f("pk_wordpress_post")),
    )
    with op.batch_alter_table("wordpress_post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wordpress_post_article_id"), ["article_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wordpress_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wordpress_post_article_id"))
    op.drop_table("wordpress_post")
    with op.batch_alter_table("redirect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_redirect_article_id"))
    op.drop_table("redirect")
