"""Change scopes: the first seq an article was public in each scope, instead of a flag.

`change_scope.first_seq` is the first change recorded in a scope, an embargoed one included,
which is when a partner with embargo access first saw the article there. A partner without
that access first saw it only once it was public: `first_public_seq`. A narrowed allowlist
compares the revocation with it, so an article scheduled under the old allowlist and published
after the narrowing sends that partner no tombstone. It replaces `public` (whether the article
was ever public in the scope), which is now `first_public_seq IS NOT NULL`.

Existing public rows get their `first_seq`, the rule before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_public_seq", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE change_scope SET first_public_seq = first_seq WHERE public"))
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.drop_column("public")


def downgrade() -> None:
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.execute(sa.text("UPDATE change_scope SET public = first_public_seq IS NOT NULL"))
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.drop_column("first_public_seq")
