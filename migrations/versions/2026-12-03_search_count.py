"""search's count from narrow indexes: the articles never public, SQLite's term list,
PostgreSQL's lexemes apart

`meta.total` is exact up to 10,000 (API 1.1). Counting a common word's matches article by
article (the visibility rule read from each wide row) cost 35-50 ms at 100k articles on SQLite,
25-110 ms on PostgreSQL. Both now count the full-text matches less the articles the rule leaves
out, listed from indexes alone: those never public (drafts, killed, deleted:
`ix_article_never_public`, this partial index) and those not yet published
(`ix_article_published_at_id`). SQLite counts its FTS5 index's matches. PostgreSQL must read
each match's row (MVCC), and an article row is a page or a quarter of one: it counts in
`article_lexemes`, the lexemes of each article without positions or weights
(`strip(search_vector)`, about 300 bytes, 20 to a page) and its language, with a GIN index of
its own, kept by a trigger as `article_fts` is on SQLite.

SQLite also gains `article_fts_vocab`, FTS5's list of the terms it indexes (it stores nothing
itself): a last word longer than the longest prefix index (10 characters, revision 0013) is
looked up there and searched as the few terms it begins, not as a prefix FTS5 would answer
by merging the doclists of every such term.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 22:15:00.000000
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_PUBLIC = "status NOT IN ('published', 'scheduled') OR deleted_at IS NOT NULL"
POSTGRES_LEXEMES = [
    """CREATE TABLE article_lexemes (
        article_id VARCHAR(32) PRIMARY KEY REFERENCES article (id) ON DELETE CASCADE,
        language VARCHAR(35) NOT NULL,
        lexemes tsvector NOT NULL)""",
    "INSERT INTO article_lexemes SELECT id, language, strip(search_vector) FROM article",
    "CREATE INDEX ix_article_lexemes ON article_lexemes USING gin (lexemes)",
    # search_vector is generated from these columns; an AFTER trigger sees its new value.
    """CREATE FUNCTION article_lexemes_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO article_lexemes (article_id, language, lexemes)
        VALUES (NEW.id, NEW.language, strip(NEW.search_vector))
        ON CONFLICT (article_id) DO UPDATE
        SET language = EXCLUDED.language, lexemes = EXCLUDED.lexemes;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER article_lexemes_sync AFTER INSERT OR UPDATE OF title, excerpt, body_text,
        language ON article FOR EACH ROW EXECUTE FUNCTION article_lexemes_sync()""",
]


def upgrade() -> None:
    op.create_index("ix_article_never_public", "article", ["published_at"],
                    sqlite_where=text(NEVER_PUBLIC), postgresql_where=text(NEVER_PUBLIC))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE article_fts_vocab USING fts5vocab(article_fts, row)")
    else:
        for sql in POSTGRES_LEXEMES:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE article_fts_vocab")
    else:
        op.execute("DROP TRIGGER article_lexemes_sync ON article")
        op.execute("DROP FUNCTION article_lexemes_sync()")
        op.execute("DROP TABLE article_lexemes")
    op.drop_index("ix_article_never_public", table_name="article")
