"""`khabar partner create` as docs/partners.md writes it: the venv's own script, and a bad
option named with what is wrong (never a pydantic URL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, text

KHABAR = Path(sys.executable).parent / "khabar"  # .venv/bin/khabar, as the docs say


def khabar(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KHABAR), *args], capture_output=True, text=True, timeout=120,
                          env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})


def test_create_prints_the_key(database_url: str, engine: Engine) -> None:
    done = khabar(database_url, "partner", "create", "Kantipur Daily", "--rate-limit",
                  "600/minute")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("partner Kantipur Daily (id ")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT rate_limit FROM partner")).scalar_one() == "600/minute"


def test_bad_rate_limit_says_what_is_wrong(database_url: str, engine: Engine) -> None:
    done = khabar(database_url, "partner", "create", "P", "--rate-limit", "600/fortnight")
    assert done.returncode != 0
    assert "--rate-limit: '600/fortnight' is not a count per second, minute, hour or day, " \
           "e.g. 600/minute" in done.stderr
    assert "pydantic" not in done.stderr
    assert "Traceback" not in done.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM partner")).scalar_one() == 0
