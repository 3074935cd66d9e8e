"""A partial index of the scheduled articles by time.

"Is a scheduled article due?" runs before every public sync and partner change-feed request and
each sweep round; the response cache asks when the next one is due. Since revision 0011 dropped
the index on `status` (the planner misused it for every list), both walked
`ix_article_published_at_id` over every article published before now and read each row for its
status: 12 ms a request at 10,000 articles on SQLite, growing with the archive. A newsroom has a
handful of scheduled articles; this index holds only them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 12:30:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED = "status = 'scheduled' AND deleted_at IS NULL"  # app/articles/models.py, as of 0019


def upgrade() -> None:
    op.create_index("ix_article_scheduled", "article", ["published_at"],
                    sqlite_where=text(SCHEDULED), postgresql_where=text(SCHEDULED))


def downgrade() -> None:
    op.drop_index("ix_article_scheduled", table_name="article")
