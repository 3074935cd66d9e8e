"""Partner grants and embargo.

`partner_grant`: when each section entered a partner's allowlist; `partner_scope.granted` and
`.revoked`: when a former section was in it; `change_scope.seq` and `.first_seq`: the latest and
first seq each article was public in each scope. So a widened allowlist sends no tombstones for
articles that left the public before the partner could see them, and a narrowed one none for
articles published after (existing rows get spans that cover everything: as before).

Embargo: `partner.embargo_access`; `article_change.early` (scheduled, not yet public, as of the
change) and `change_scope.public` (false for a scope an article was only ever embargoed in).
Articles scheduled now are logged as embargoed, so partners given access receive them.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

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
        batch_op.add_column(sa.Column("first_seq", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table("partner_scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("granted", sa.Integer(), nullable=False,
                                      server_default=sa.text("0")))
        batch_op.add_column(sa.Column("revoked", sa.Integer(), nullable=False,
                                      server_default=sa.text(str(2**31 - 1))))
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
    with op.batch_alter_table("article_change", schema=None) as batch_op:
        batch_op.add_column(sa.Column("early", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Plain ALTER TABLE: a batch copy of `partner` would cascade-delete its usage and scopes.
    op.add_column("partner", sa.Column("embargo_access", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    _log_embargoed()


def _log_embargoed() -> None:
    """What `changes.article_changed` would have recorded for articles scheduled now."""
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(sa.text(
        "SELECT a.id, a.language, COALESCE(a.section_id, 0), a.syndication = 'allowed'"
        " FROM article a WHERE a.status IN ('published', 'scheduled') AND a.deleted_at IS NULL"
        " AND a.published_at > :now AND a.id NOT IN (SELECT article_id FROM article_change)"
        " ORDER BY a.id"), {"now": now}).all()
    if not rows:
        return
    last = bind.execute(sa.text(
        "UPDATE counter SET value = value + :n WHERE name = 'change_seq' RETURNING value"),
        {"n": len(rows)}).scalar_one()
    first = last - len(rows) + 1
    bind.execute(sa.text(
        "INSERT INTO article_change (article_id, seq, kind, at, public, early)"
        " VALUES (:id, :seq, 'embargoed', :now, :no, :yes)"),
        [{"id": r[0], "seq": first + i, "now": now, "no": False, "yes": True}
         for i, r in enumerate(rows)])
    bind.execute(sa.text(
        "INSERT INTO change_scope"
        " (article_id, language, section_id, syndicated, seq, first_seq, public)"
        " VALUES (:id, :language, :section, :syndicated, :seq, :seq, :no)"),
        [{"id": r[0], "language": r[1], "section": r[2], "syndicated": bool(r[3]),
          "seq": first + i, "no": False} for i, r in enumerate(rows)])


def downgrade() -> None:
    op.execute("DELETE FROM article_change WHERE kind = 'embargoed'")
    op.execute("ALTER TABLE partner DROP COLUMN embargo_access")
    with op.batch_alter_table("article_change", schema=None) as batch_op:
        batch_op.drop_column("early")
    op.drop_table("partner_grant")
    with op.batch_alter_table("partner_scope", schema=None) as batch_op:
        batch_op.drop_column("revoked")
        batch_op.drop_column("granted")
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.drop_column("public")
        batch_op.drop_column("first_seq")
        batch_op.drop_column("seq")
