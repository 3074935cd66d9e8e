"""SQLite: article bodies and revision snapshots deflated (zlib BLOBs)

An article stores its body three times (blocks, HTML, text), ~20 KB a row for a 6 KB body, and
each revision that changed the body keeps the body it replaced. PostgreSQL compresses such
values itself (TOAST); SQLite stored every byte: the same 10,000 articles took 274 MB on SQLite
against 151 MB on PostgreSQL. From this revision the app writes these columns deflated on SQLite
(`app.core.db.PackedText`, `PackedJSON`); this packs the rows already there. The columns keep
their declared types: SQLite stores a BLOB as given, whatever the column's type. The search
index does not change (its trigger function inflates what it is given), so the update trigger
is set aside meanwhile: packing is not an edit, and stemming every article again (twice) would
be most of the migration's time. The file keeps its size until a `VACUUM` (docs/operators.md).

Downgrade inflates them again. PostgreSQL: nothing to do.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 00:00:00.000000
"""

import zlib
from collections.abc import Callable, Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("body", "body_html", "body_text")
UPDATE_TRIGGER = "article_fts_au"  # revision 0016's


def _pack(value: str | bytes | None) -> str | bytes | None:
    return zlib.compress(value.encode(), 6) if isinstance(value, str) else value


def _unpack(value: str | bytes | None) -> str | bytes | None:
    return zlib.decompress(value).decode() if isinstance(value, bytes) else value


def _rewrite(function: Callable[[str | bytes | None], str | bytes | None]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.connection.driver_connection.create_function(  # type: ignore[union-attr]
        "khabar_migrate_body", 1, function, deterministic=True)
    trigger = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND name = :name"), {"name": UPDATE_TRIGGER}).scalar()
    if trigger is not None:
        op.execute(f"DROP TRIGGER {UPDATE_TRIGGER}")
    sets = ", ".join(f"{c} = khabar_migrate_body({c})" for c in COLUMNS)
    op.execute(f"UPDATE article SET {sets}")
    op.execute("UPDATE article_revision SET snapshot = khabar_migrate_body(snapshot)")
    if trigger is not None:
        op.execute(trigger)


def upgrade() -> None:
    _rewrite(_pack)


def downgrade() -> None:
    _rewrite(_unpack)
