"""an index that answers "is this article public?" by id, without reading the article's row

Every article an API answer shows embeds its authors with `article_count`, each author's public
articles (`presenters.published_counts`): one lookup of `article` by id per article of the
author, to read `status`, `published_at` and `deleted_at`. On SQLite those columns come after
the body columns in a row of ~20 KB, so each lookup walked the row's overflow pages: 30-80 ms
for an author of 2,000 articles, on every editorial read and write. This index holds the
columns the visibility rule reads next to the id, so the lookup never touches the row
(8-16 ms for the same author on the same busy machine; ~0.8 MB at 10,000 articles).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 00:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["id", "status", "published_at", "deleted_at"]


def upgrade() -> None:
    with op.batch_alter_table("article") as batch_op:
        batch_op.create_index("ix_article_id_visibility", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("article") as batch_op:
        batch_op.drop_index("ix_article_id_visibility")
