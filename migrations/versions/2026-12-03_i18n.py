"""Nepali and English search, briefs' language, localized taxonomy, translation groups

Search: each article is indexed in its language's configuration (app/articles/search_text.py).
PostgreSQL: the generated tsvector takes `nepali`, `english` or `simple` by the article's
language, with zero-width joiners removed; re-adding the column recomputes it for every row.
SQLite: the FTS5 table now holds stemmed words (the SQL function `khabar_search_text`, which
the app registers on every connection) under a tokenizer that keeps combining marks inside a
word (`unicode61` split Devanagari words at their vowel signs); it is rebuilt from `article`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_COLUMNS = "rowid, article_id, title, excerpt, body_text"
FTS_VALUES = ("new.rowid, new.id, khabar_search_text(new.language, new.title), "
              "khabar_search_text(new.language, coalesce(new.excerpt, '')), "
              "khabar_search_text(new.language, new.body_text)")
SQLITE_SEARCH = [
    # Letters, digits, marks (Mn Mc Me: Devanagari vowel signs, virama) and private-use
    # characters are word characters; no diacritic folding, as PostgreSQL.
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        article_id UNINDEXED, title, excerpt, body_text,
        tokenize = "unicode61 remove_diacritics 0 categories 'L* N* M* Co'",
        prefix = '2 3')""",
    f"""CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({FTS_VALUES});
    END""",
    """CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
    END""",
    f"""CREATE TRIGGER article_fts_au AFTER UPDATE OF title, excerpt, body_text, language
        ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
        INSERT INTO article_fts({FTS_COLUMNS}) VALUES ({FTS_VALUES});
    END""",
    f"""INSERT INTO article_fts({FTS_COLUMNS})
        SELECT {FTS_VALUES.replace("new.", "")} FROM article""",
]
OLD_SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        article_id UNINDEXED, title, excerpt, body_text,
        tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER article_fts_ai AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, article_id, title, excerpt, body_text)
        VALUES (new.rowid, new.id, new.title, coalesce(new.excerpt, ''), new.body_text);
    END""",
    """CREATE TRIGGER article_fts_ad AFTER DELETE ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
    END""",
    """CREATE TRIGGER article_fts_au AFTER UPDATE OF title, excerpt, body_text ON article BEGIN
        DELETE FROM article_fts WHERE rowid = old.rowid;
        INSERT INTO article_fts(rowid, article_id, title, excerpt, body_text)
        VALUES (new.rowid, new.id, new.title, coalesce(new.excerpt, ''), new.body_text);
    END""",
    """INSERT INTO article_fts(rowid, article_id, title, excerpt, body_text)
        SELECT rowid, id, title, coalesce(excerpt, ''), body_text FROM article""",
]

# Must stay equal to app/articles/search_text.config_for.
PG_CONFIG = """CASE
    WHEN lower(language) = 'ne' OR lower(language) LIKE 'ne-%' THEN 'nepali'::regconfig
    WHEN lower(language) = 'en' OR lower(language) LIKE 'en-%' THEN 'english'::regconfig
    ELSE 'simple'::regconfig END"""


# Must stay equal to app/articles/search_text.POSTPOSITIONS and its pattern: postpositions the
# Snowball Nepali stemmer leaves on a word are split off where they end one.
POSTPOSITIONS = ("बाट", "बीच", "सम्म", "भित्र", "तिर", "प्रति", "बारे")
WORD_CHARS = (f"{chr(0x900)}-{chr(0x963)}{chr(0x966)}-{chr(0x96F)}{chr(0x971)}-{chr(0x97F)}"
              "A-Za-z0-9")
POSTPOSITION_PATTERN = f"({'|'.join(POSTPOSITIONS)})(?=[^{WORD_CHARS}]|$)"


def _pg_field(name: str, weight: str) -> str:
    # Zero-width (non-)joiners removed, postpositions split off, then the language's config.
    text = f"translate(coalesce({name}, ''), U&'\\200C\\200D', '')"
    text = f"regexp_replace({text}, '{POSTPOSITION_PATTERN}', ' \\1', 'g')"
    return f"setweight(to_tsvector({PG_CONFIG}, {text}), '{weight}')"


POSTGRES_SEARCH = [
    f"""ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        {_pg_field('title', 'A')} || {_pg_field('excerpt', 'B')}
        || {_pg_field('body_text', 'C')}) STORED""",
]
OLD_POSTGRES_SEARCH = [
    """ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(title, '')), 'A')
        || setweight(to_tsvector('simple', coalesce(excerpt, '')), 'B')
        || setweight(to_tsvector('simple', coalesce(body_text, '')), 'C')) STORED""",
]
PG_INDEX = [
    # As in revision 0002: the tsvector stays in the row.
    "ALTER TABLE article ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)",
]


def _drop_search(dialect: str) -> None:
    if dialect == "sqlite":
        for trigger in ("article_fts_ai", "article_fts_ad", "article_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS article_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_search(dialect)
    for statement in SQLITE_SEARCH if dialect == "sqlite" else POSTGRES_SEARCH + PG_INDEX:
        op.execute(statement)
    with op.batch_alter_table("brief") as batch:
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=False,
                                   server_default="en"))
        batch.create_index("ix_brief_language_date_position", ["language", "date", "position"])
    with op.batch_alter_table("section") as batch:
        batch.add_column(sa.Column("names", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_section_position", ["position"])
    with op.batch_alter_table("tag") as batch:
        batch.add_column(sa.Column("names", sa.JSON(), nullable=True))
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("translation_group", sa.String(length=32), nullable=True))
        batch.create_index("ix_article_translation_group", ["translation_group"])


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Plain DROP COLUMN (SQLite 3.35+), not a batch table copy: copying `section` drops the
    # old table, which articles reference, and SQLite refuses that with foreign keys on.
    op.drop_index("ix_section_position", table_name="section")
    op.drop_index("ix_article_translation_group", table_name="article")
    for table, column in (("article", "translation_group"), ("tag", "names"),
                          ("section", "position"), ("section", "names")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    with op.batch_alter_table("brief") as batch:
        batch.drop_index("ix_brief_language_date_position")
        batch.drop_column("language")
    _drop_search(dialect)
    for statement in OLD_SQLITE_SEARCH if dialect == "sqlite" else OLD_POSTGRES_SEARCH + PG_INDEX:
        op.execute(statement)
