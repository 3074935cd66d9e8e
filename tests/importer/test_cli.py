"""`khabar import` of several files and `khabar demo load`, run as an operator runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, text


def khabar(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
                          timeout=120)


def test_import_of_many_files_reports_each_on_stdout(
        tmp_path: Path, database_url: str, engine: Engine, seed_text: str) -> None:
    files = []
    for n in range(3):
        path = tmp_path / f"page-{n}.txt"
        path.write_text(seed_text.replace("Is Nuclear Peace", f"Is Nuclear Peace {n}"),
                        encoding="utf-8")
        files.append(str(path))
    done = khabar(database_url, "import", *files)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == files  # in order, one line each
    assert all("draft article is-nuclear-peace-" in line for line in lines)
    assert "Traceback" not in done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM article")).scalar_one() == 3


def test_demo_load_reports_its_rate(database_url: str,
                                    engine: Engine) -> None:  # noqa: ARG001  (empties it after)
    done = khabar(database_url, "demo", "load", "--articles", "40")
    assert done.returncode == 0, done.stderr
    assert re.search(r"40 generated articles, \d+ briefs in [\d.]+ s \([\d,]+ articles/s\)",
                     done.stdout), done.stdout
