"""media: uploaded images (their renditions live in the media store, not in the database),
and authors' uploaded avatars

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
from alembic import op

import app.core.db  # noqa: F401  (UTCDateTime)

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("master_format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("has_alpha", sa.Boolean(), nullable=False),
        sa.Column("alt", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("credit", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("focal_x", sa.Float(), nullable=False),
        sa.Column("focal_y", sa.Float(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"],
                                name=op.f("fk_media_created_by_id_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index(op.f("ix_media_updated_at"), "media", ["updated_at"], unique=False)
    op.create_index("ix_media_created_at_id", "media", ["created_at", "id"], unique=False)
    with op.batch_alter_table("author") as batch:
        batch.add_column(sa.Column("avatar", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("author") as batch:
        batch.drop_column("avatar")
    op.drop_index("ix_media_created_at_id", table_name="media")
    op.drop_index(op.f("ix_media_updated_at"), table_name="media")
    op.drop_table("media")
