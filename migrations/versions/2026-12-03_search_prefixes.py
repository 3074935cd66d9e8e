"""SQLite search: prefix indexes for last words of 1 to 10 characters

The last word of a search is also a prefix (`budget` finds `budgets`, `hydro` finds
`hydropower`), so nearly every query ends in one. FTS5 answers a prefix it has no prefix index
for by reading and merging the whole doclist of every matching term, twice (the match, then
`bm25()`'s document frequency): 17 ms for `budget` at 100k articles, against 3 ms with a
prefix index of its length, which FTS5 reads like a single term. Revision 0006 indexed
prefixes of 2 and 3 characters; this indexes 1 to 10 (a stem of that length covers most
English words and most Nepali ones; a longer prefix matches few terms). The index's data grows
from 94 to 200 MB at 100k articles (the stored text, 195 MB, is unchanged) and filling it takes
twice as long.

FTS5 options cannot be altered: the table is rebuilt from the stems it already stores (no
stemming again) under a new name, then renamed; the triggers, which name it, are dropped and
made again around the swap. PostgreSQL is unaffected: its GIN index answers a prefix by itself.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIXES = "1 2 3 4 5 6 7 8 9 10"
OLD_PREFIXES = "2 3"
FTS_COLUMNS = "rowid, article_id, title, excerpt, body_text"
FTS_VALUES = ("new.rowid, new.id, khabar_search_text(new.language, new.title), "
              "khabar_search_text(new.language, coalesce(new.excerpt, '')), "
              "khabar_search_text(new.language, new.body_text)")
# As revision 0006 made them.
TRIGGERS = {
    "article_fts_ai": f"""CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({FTS_VALUES});
    END""",
    "article_fts_ad": """CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
    END""",
    "article_fts_au": f"""CREATE TRIGGER article_fts_au AFTER UPDATE OF title, excerpt, body_text,
        language ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({FTS_VALUES});
    END""",
}


def _rebuild(prefixes: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Letters, digits, marks and private-use characters are word characters (revision 0006).
    op.execute(f"""CREATE VIRTUAL TABLE article_fts_rebuilt USING fts5(
        article_id UNINDEXED, title, excerpt, body_text,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'",
        prefix = '{prefixes}')""")
    op.execute(f"INSERT INTO article_fts_rebuilt ({FTS_COLUMNS}) "
               f"SELECT {FTS_COLUMNS} FROM article_fts")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE article_fts")
    op.execute("ALTER TABLE article_fts_rebuilt RENAME TO article_fts")
    for sql in TRIGGERS.values():
        op.execute(sql)


def upgrade() -> None:
    _rebuild(PREFIXES)


def downgrade() -> None:
    _rebuild(OLD_PREFIXES)
