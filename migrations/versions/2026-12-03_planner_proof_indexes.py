"""drop the article status index the SQLite planner misused

Without statistics (a database filled through the API, where nobody ran ANALYZE), SQLite
assumes an equality on any indexed column picks about ten rows, so for the public list
(`status IN ('published', 'scheduled') AND published_at <= ? ORDER BY published_at DESC, id
DESC`) it took `ix_article_status`, read every live row and sorted them: 100 ms a query at 10,000
articles instead of 0.14 ms through `ix_article_published_at_id`. A two-valued status column
never narrows a newsroom's lists enough to be worth an index of its own; the editorial list by
status walks `ix_article_updated_at_id` instead.

Revision ID: 0011
Revises: 0002
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch_op:
        batch_op.drop_index("ix_article_status")


def downgrade() -> None:
    with op.batch_alter_table("article") as batch_op:
        batch_op.create_index("ix_article_status", ["status"], unique=False)
