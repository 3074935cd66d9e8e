"""Change scopes: the latest seq an article was public in each scope (`public_seq`).

A partner without embargo access receives a tombstone for an article only if the article was
public in the partner's scope after the section was granted to it. That compared the grant
with `change_scope.seq`, which embargoed changes move too: an article public in a section
before the partner was given it, later unpublished and scheduled again, looked seen, and its
next change reached the partner as a tombstone for an id it never could see (found by the
convergence property). `public_seq` moves only with public changes.

Existing rows get the rule before: `seq` where the article was ever public in the scope.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_seq", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE change_scope SET public_seq = seq "
                       "WHERE first_public_seq IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("change_scope", schema=None) as batch_op:
        batch_op.drop_column("public_seq")
