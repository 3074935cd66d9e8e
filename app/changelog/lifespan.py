"""The change log's background work inside `khabar serve`: the scheduled-publication sweep."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from app.changelog.schedule import run_sweeper
from app.changelog.signal import listener
from app.core.config import get_settings


@contextlib.asynccontextmanager
async def changelog_lifespan(_app: Any) -> AsyncIterator[None]:
    """Runs the sweep every `KHABAR_SWEEP_SECONDS` (0: off) while the app serves; on shutdown
    stops it after its current round, and stops the long-poll listener."""
    interval = get_settings().sweep_seconds
    stop = asyncio.Event()
    task = asyncio.create_task(run_sweeper(stop, interval)) if interval > 0 else None
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=30)
        listener.stop()
