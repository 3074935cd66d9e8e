"""an index that answers "is this article public?" by id, without reading the article's row

Every article an API answer shows embeds its authors with `article_count`, each author's public
articles (`presenters.published_counts`): one lookup of `article` by id per article of the
author, to read `status`, `published_at` and `deleted_at`. On SQLite those columns come after
the body columns in a row of ~20 KB, so each lookup walked the row's overflow pages: 30-80 ms
for an author of 2,000 articles, on every editorial read and write. This index holds the
columns the visibility rule reads next to the id, so the lookup never touches the row
(8-16 ms for the same author on the same busy machine; ~0.8 MB at 10,000 articles).

SQLite only: PostgreSQL keeps the body out of the row (TOAST), so its lookups by id are cheap
already, and there the index only gave the planner a wrong choice for the public list (a scan
of it and a sort, on a small table). The models do not declare it (`migrate.DIALECT_INDEXES`).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 00:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "status", "published_at", "deleted_at"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_article_id_visibility", "article", COLUMNS, unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_article_id_visibility", table_name="article")
