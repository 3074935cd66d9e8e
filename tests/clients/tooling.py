"""The pinned Node tools (tools/package.json) and the live OpenAPI document, for client tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
NODE_MODULES = TOOLS / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")


def require_tools() -> None:
    """Install the pinned tools if `make tools` has not (the stamp marks a finished `npm ci`)."""
    if not (NODE_MODULES / ".installed").exists():
        subprocess.run(["npm", "ci", "--prefix", str(TOOLS), "--no-audit", "--no-fund"],
                       check=True, capture_output=True, timeout=600)
        (NODE_MODULES / ".installed").touch()


def bin_path(name: str) -> str:
    require_tools()
    return str(NODE_MODULES / ".bin" / name)


def live_openapi() -> dict[str, Any]:
    from app.main import create_app

    return create_app().openapi()


def write_openapi(directory: Path) -> Path:
    # Indented, so linters' line numbers point somewhere readable.
    path = directory / "openapi.json"
    path.write_text(json.dumps(live_openapi(), indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 180,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool; a failure shows its whole output in the assertion message."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, (f"{' '.join(cmd)} exited {proc.returncode}\n"
                                  f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
    return proc
