"""keep the search tsvector in the row (PostgreSQL)

Relevance search checks `search_vector @@ query` row by row while it walks
`ix_article_published_at_id` for the newest matches (app/articles/search.py). With the default
EXTENDED storage the toaster moved the tsvector, the row's largest value, out of line, and each
check read about five buffers (heap, TOAST index, TOAST pages): 36,830 buffers and 53 ms for one
common word at 100k articles. MAIN keeps it in the row and moves the bodies out first: 2,800
buffers for the same query. Rows written before this revision keep their layout until rewritten
(any edit rewrites the row). SQLite's FTS5 table is unaffected.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE article ALTER COLUMN search_vector SET STORAGE MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE article ALTER COLUMN search_vector SET STORAGE EXTENDED")
