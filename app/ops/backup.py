"""Online backups and restores of the configured database.

SQLite: the online backup API copies pages from one read transaction, so the copy is a consistent
snapshot while the app keeps writing (WAL readers never block writers); `PRAGMA integrity_check`
then vets the copy before it replaces the destination file. PostgreSQL: `pg_dump -Fc` (a
snapshot too) and `pg_restore --clean --if-exists`, from the machine's postgresql-client. The
password travels in `PGPASSWORD`, never on a command line that `ps` shows.

Every failure is a `BackupError` whose message is one line for the operator.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections import deque
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

# report(done, total, note): pages copied of total (SQLite), or objects handled so far with
# total None (PostgreSQL, whose tools announce each table but not how many remain).
Report = Callable[[int, int | None, str], None]
PAGES_PER_STEP = 1024  # 4 MiB at the default page size: fine-grained progress, few lock trips


class BackupError(Exception):
    """A backup or restore failed; the message is meant for the operator as is."""


def _quiet(_done: int, _total: int | None, _note: str) -> None:
    return None


def backup(url: str, dest: Path, report: Report = _quiet) -> Path:
    """Write a backup of the database at `url` to `dest` (replaced only once the copy is good)."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_file(parsed, must_exist=True), dest, report)
    else:
        _pg_backup(parsed, dest, report)
    return dest


def restore(url: str, src: Path, report: Report = _quiet) -> None:
    """Replace the contents of the database at `url` with the backup in `src`."""
    if not src.is_file():
        raise BackupError(f"no backup file at {src}")
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_restore(src, _sqlite_file(parsed, must_exist=False), report)
    else:
        _pg_restore(parsed, src, report)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BackupError("DATABASE_URL is not a valid database URL") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {parsed.get_backend_name()}")
    return parsed


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_file(url: URL, *, must_exist: bool) -> Path:
    if url.database in (None, "", ":memory:") or (url.query.get("mode") == "memory"):
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    return path


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _check_integrity(conn: sqlite3.Connection, what: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} failed PRAGMA integrity_check: {problems[0]}")


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, report: Report) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        report(total - remaining, total, "copying pages")

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def _sqlite_backup(source_path: Path, dest: Path, report: Report) -> None:
    partial = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        source, target = _connect(source_path), _connect(partial)
        try:
            # One read transaction for every step: the copy is the snapshot taken here, and
            # writers committing meanwhile neither block nor restart it.
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
            _copy(source, target, report)
            source.execute("COMMIT")
            report(1, 1, "checking integrity")
            _check_integrity(target, "the backup")
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            source.close()
            target.close()
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_restore(src: Path, target_path: Path, report: Report) -> None:
    try:
        source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
        try:
            _check_integrity(source, f"the backup {src}")
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise BackupError(f"{src} is not a Khabar database backup")
            target_path.parent.mkdir(parents=True, exist_ok=True)
            target = _connect(target_path)
            try:
                _copy(source, target, report)
                report(1, 1, "checking integrity")
                _check_integrity(target, "the restored database")
                target.execute("PRAGMA journal_mode=WAL")  # what the app expects
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{src} is not a usable SQLite database: {exc}") from None
    except OSError as exc:
        raise BackupError(f"cannot write {target_path}: {exc.strerror or exc}") from None


# --- PostgreSQL -----------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` from PATH, else the newest /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> int:
        match = re.search(r"/postgresql/(\d+)/", path)
        return int(match.group(1)) if match else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return candidates[-1]


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq URL (`postgresql://`, no SQLAlchemy driver, no password) and the environment
    carrying the password."""
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], report: Report) -> None:
    tool = Path(args[0]).name
    tail: deque[str] = deque(maxlen=20)
    handled = 0
    try:
        process = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {exc.strerror or exc}") from None
    assert process.stderr is not None
    for raw in process.stderr:  # --verbose announces each object as it goes
        line = raw.strip().removeprefix(f"{tool}: ")
        if line:
            tail.append(line)
            handled += 1
            report(handled, None, line)
    if process.wait() != 0:
        errors = [line for line in tail if "error:" in line] or list(tail) or ["no output"]
        raise BackupError(f"{tool} failed: {errors[-1].removeprefix('error: ')}")


def _pg_backup(url: URL, dest: Path, report: Report) -> None:
    target, env = libpq_target(url)
    partial = dest.with_name(dest.name + ".partial")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _run([pg_tool("pg_dump"), "--format=custom", "--verbose", f"--file={partial}",
              f"--dbname={target}"], env, report)
        # Read the archive's table of contents back: a truncated file fails here, not at restore.
        _run([pg_tool("pg_restore"), "--list", str(partial)], env, _quiet)
        os.replace(partial, dest)
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(url: URL, src: Path, report: Report) -> None:
    target, env = libpq_target(url)
    # One transaction: a failed restore leaves the database as it was.
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--verbose", f"--dbname={target}", str(src)],
         env, report)
