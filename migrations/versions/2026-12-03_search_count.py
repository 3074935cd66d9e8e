"""search's count from the index: the articles never public, and SQLite's term list

`meta.total` is exact up to 10,000 (API 1.1). Counting a common word's matches article by
article (the visibility rule read from each row) cost 20-50 ms at 100k articles. SQLite now
counts the full-text index's matches less the articles the rule leaves out, listed from indexes
alone: those never public (drafts, killed, deleted: `ix_article_never_public`, this partial
index) and those not yet published (`ix_article_published_at_id`).

SQLite also gains `article_fts_vocab`, FTS5's list of the terms it indexes (it stores nothing
itself): a last word longer than the longest prefix index (10 characters, revision 0013) is
looked up there and searched as the few terms it begins, not as a prefix FTS5 would answer
by merging the doclists of every such term.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 22:15:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_PUBLIC = "status NOT IN ('published', 'scheduled') OR deleted_at IS NOT NULL"


def upgrade() -> None:
    op.create_index("ix_article_never_public", "article", ["published_at"],
                    sqlite_where=text(NEVER_PUBLIC), postgresql_where=text(NEVER_PUBLIC))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE article_fts_vocab USING fts5vocab(article_fts, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE article_fts_vocab")
    op.drop_index("ix_article_never_public", table_name="article")
