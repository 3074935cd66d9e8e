"""Partner grants: when each section entered a partner's allowlist (`partner_grant`) and the
latest seq each article was public in each scope (`change_scope.seq`), so a widened allowlist
sends no tombstones for articles that left the public before the partner could see them.
Existing scopes get seq 0: as before, every partner may receive their tombstones.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
    op.create_table(
        "partner_grant",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partner.id"],
                                name=op.f("fk_partner_grant_partner_id_partner"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("partner_id", "section_id", name=op.f("pk_partner_grant")),
    )


def downgrade() -> None:
    op.drop_table("partner_grant")
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.drop_column("seq")
