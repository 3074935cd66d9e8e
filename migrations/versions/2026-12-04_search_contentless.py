"""SQLite search: a contentless FTS5 index (the stems are indexed, no longer stored)

The FTS5 table kept a copy of what it indexes (the stems of each article's title, excerpt and
body) that nothing reads: search reads only the index (`MATCH`, `bm25()`), and highlights and
results come from `article`. The copy was a sixth of the database (7 KB an article of 47). A
contentless table (`content=''`) keeps the index alone. FTS5 removes a row from such an index
when given the values it was indexed with (the `delete` command), so the triggers compute the
old row's stems again with the same deterministic `khabar_search_text`; only changes of a
title, excerpt, body or language and deletes pay that. A change to how stems are made
(app/articles/search_text.py) therefore needs an index rebuild, as it already did for queries
to match. PostgreSQL is unaffected (its `tsvector` is a generated column).

Downgrade makes the stored copy again from `article`, with the same function.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 00:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIXES = "1 2 3 4 5 6 7 8 9 10"  # as revision 0013 made them
FTS_COLUMNS = "rowid, article_id, title, excerpt, body_text"


def _values(row: str) -> str:
    return (f"{row}.rowid, {row}.id, khabar_search_text({row}.language, {row}.title), "
            f"khabar_search_text({row}.language, coalesce({row}.excerpt, '')), "
            f"khabar_search_text({row}.language, {row}.body_text)")


STORED_TRIGGERS = {  # revision 0013's
    "article_fts_ai": f"""CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({_values("new")});
    END""",
    "article_fts_ad": """CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
    END""",
    "article_fts_au": f"""CREATE TRIGGER article_fts_au AFTER UPDATE OF title, excerpt, body_text,
        language ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({_values("new")});
    END""",
}
_DELETE_OLD = (f"INSERT INTO article_fts(article_fts, {FTS_COLUMNS}) "
               f"VALUES ('delete', {_values('old')});")
CONTENTLESS_TRIGGERS = {
    "article_fts_ai": STORED_TRIGGERS["article_fts_ai"],
    "article_fts_ad": f"""CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
        {_DELETE_OLD}
    END""",
    "article_fts_au": f"""CREATE TRIGGER article_fts_au AFTER UPDATE OF title, excerpt, body_text,
        language ON article BEGIN
        {_DELETE_OLD}
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({_values("new")});
    END""",
}


def _rebuild(*, contentless: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Tokenizer and prefixes as revisions 0006 and 0013 made them. `article_id` stays a column
    # (unindexed, so a contentless table stores nothing for it): `bm25()`'s weights and the
    # bulk loader name the columns by position.
    content = ", content = ''" if contentless else ""
    op.execute(f"""CREATE VIRTUAL TABLE article_fts_rebuilt USING fts5(
        article_id UNINDEXED, title, excerpt, body_text,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'",
        prefix = '{PREFIXES}'{content})""")
    if contentless:  # the stems stored by the table being replaced: no stemming again
        op.execute(f"INSERT INTO article_fts_rebuilt ({FTS_COLUMNS}) "
                   f"SELECT {FTS_COLUMNS} FROM article_fts")
    else:
        op.execute(f"INSERT INTO article_fts_rebuilt ({FTS_COLUMNS}) "
                   f"SELECT {_values('article')} FROM article")
    triggers = CONTENTLESS_TRIGGERS if contentless else STORED_TRIGGERS
    for name in triggers:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE article_fts")
    op.execute("ALTER TABLE article_fts_rebuilt RENAME TO article_fts")
    for sql in triggers.values():
        op.execute(sql)


def upgrade() -> None:
    _rebuild(contentless=True)


def downgrade() -> None:
    _rebuild(contentless=False)
