"""`khabar db backup` / `restore`: a consistent copy taken while articles keep being written."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from typer.testing import CliRunner

from app.articles import service as articles_service
from app.articles.models import ArticleCreate
from app.cli import cli
from app.core.db import get_write_engine
from app.ops import backup as ops_backup


class Writer(threading.Thread):
    """Creates articles through the service, one transaction each, until stopped."""

    def __init__(self, author_slug: str) -> None:
        super().__init__(daemon=True)
        self.author_slug = author_slug
        self.committed: list[str] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Session(get_write_engine(), expire_on_commit=False) as session:
                while not self.stop.is_set():
                    data = ArticleCreate(title=f"Written during backup {uuid.uuid4().hex[:10]}",
                                         authors=[self.author_slug], body_text="Words.")
                    article = articles_service.create_article(session, data, by=None,
                                                              now=datetime.now(UTC))
                    self.committed.append(article.id)
        except BaseException as exc:
            self.error = exc


@pytest.fixture
def writer(make_author, session) -> Iterator[Writer]:  # type: ignore[no-untyped-def]
    slug = make_author("Backup Writer").slug
    session.rollback()  # hold no transaction (on SQLite a write lock) while the thread writes
    thread = Writer(slug)
    thread.start()
    yield thread
    thread.stop.set()
    thread.join(timeout=30)


def _wait_for(writer: Writer, count: int) -> None:
    deadline = datetime.now(UTC).timestamp() + 30
    while len(writer.committed) < count:
        assert writer.error is None, writer.error
        assert datetime.now(UTC).timestamp() < deadline, "the writer thread made no progress"
        writer.stop.wait(0.01)



def _article_ids(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT id FROM article"))}
    finally:
        engine.dispose()


class TestBackupWhileWriting:
    def test_restore_has_every_article_committed_before_the_backup(
            self, writer: Writer, database_url: str, scratch_url: str, tmp_path: Path) -> None:
        _wait_for(writer, 5)
        before = list(writer.committed)
        dump = tmp_path / "backups" / "khabar.backup"
        reports: list[tuple[int, int | None, str]] = []
        ops_backup.backup(database_url, dump, lambda *r: reports.append(r))
        _wait_for(writer, len(before) + 3)  # the writer kept going through the backup
        writer.stop.set()
        writer.join(timeout=30)
        assert writer.error is None

        assert dump.is_file()
        assert reports  # progress was reported
        ops_backup.restore(scratch_url, dump)

        restored = _article_ids(scratch_url)
        assert set(before) <= restored
        assert restored <= set(writer.committed)  # nothing invented, nothing half-written
        if scratch_url.startswith("sqlite"):
            path = make_url(scratch_url).database
            with sqlite3.connect(path) as conn:  # type: ignore[arg-type]
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    def test_restore_replaces_existing_contents(self, make_article, session, database_url: str,  # type: ignore[no-untyped-def]
                                                scratch_url: str, tmp_path: Path) -> None:
        kept = make_article("Kept by the backup").id
        session.rollback()
        dump = tmp_path / "first.backup"
        ops_backup.backup(database_url, dump)
        ops_backup.restore(scratch_url, dump)
        ops_backup.restore(scratch_url, dump)  # a second restore over the first is clean
        assert _article_ids(scratch_url) == {kept}


@pytest.mark.usefixtures("engine")
class TestCommandLine:
    runner = CliRunner()

    def _invoke(self, *args: str):  # type: ignore[no-untyped-def]
        return self.runner.invoke(cli, list(args))

    def test_backup_and_restore_commands(self, tmp_path: Path) -> None:
        dump = tmp_path / "cli.backup"
        result = self._invoke("db", "backup", str(dump))
        assert result.exit_code == 0, result.output
        assert "backup written" in result.output
        assert dump.stat().st_size > 0

    def test_missing_backup_is_one_clear_line(self, tmp_path: Path) -> None:
        result = self._invoke("db", "restore", str(tmp_path / "nope.backup"), "--yes")
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            f"error: no backup file at {tmp_path / 'nope.backup'}"]

    def test_not_a_backup_is_refused(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"this is not a database" * 100)
        result = self._invoke("db", "restore", str(junk), "--yes")
        assert result.exit_code == 1
        assert len(result.output.strip().splitlines()) == 1
        assert result.output.startswith("error: ")

    def test_unreachable_database_fails_cleanly(self, tmp_path: Path) -> None:
        report: Callable[[int, int | None, str], None] = lambda *_: None  # noqa: E731
        with pytest.raises(ops_backup.BackupError, match=r"pg_dump failed: .*(refused|failed)"):
            ops_backup.backup("postgresql+psycopg://nobody:pw@127.0.0.1:1/none",
                              tmp_path / "x.backup", report)
        with pytest.raises(ops_backup.BackupError, match="in-memory"):
            ops_backup.backup("sqlite://", tmp_path / "x.backup")
        assert not (tmp_path / "x.backup").exists()
        assert not (tmp_path / "x.backup.partial").exists()
