"""PostgreSQL announces every counter move itself: a trigger on `counter` sends `pg_notify`.

The change log bumps `change_seq` (a change recorded) and `content_version` (the public content
changed) inside the writing transaction. A notification sent by the database at that update
leaves at commit, never on rollback, and cannot be forgotten by a code path or a hand-written
`UPDATE`: each process's listener (app/changelog/signal.py) wakes its held long-polls on it, and
its response cache, which trusts the content state it last read until a notification comes
instead of asking the database before every hit. Replaces the `pg_notify` the change log sent
from Python. Nothing on SQLite (one file: `PRAGMA data_version` tells each process).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel of app/changelog/signal.py (CHANNEL), written out: migrations are frozen history.
FUNCTION = """
CREATE FUNCTION khabar_counter_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('khabar_changes', NEW.name || ':' || NEW.value);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("CREATE TRIGGER counter_notify AFTER UPDATE ON counter FOR EACH ROW"
               " EXECUTE FUNCTION khabar_counter_notify()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER counter_notify ON counter")
    op.execute("DROP FUNCTION khabar_counter_notify()")
