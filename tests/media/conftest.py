"""Media tests: every test gets a media store of its own (a real directory)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw


@pytest.fixture(autouse=True)
def media_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from app.core.config import get_settings

    root = tmp_path / "media"
    monkeypatch.setenv("KHABAR_MEDIA_STORE", str(root))
    get_settings.cache_clear()
    yield root
    monkeypatch.undo()
    get_settings.cache_clear()


def picture(width: int = 1600, height: int = 1000, fmt: str = "JPEG", *,
            mode: str = "RGB", **save: Any) -> bytes:
    """A real image: a gradient with a red square (so crops can be located)."""
    im = Image.linear_gradient("L").resize((width, height)).convert(mode)
    ImageDraw.Draw(im).rectangle((width * 0.1, height * 0.1, width * 0.2, height * 0.2),
                                 fill=(255, 0, 0) if mode.startswith("RGB") else 0)
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


@pytest.fixture
def upload(client: Any, auth_headers: Callable[..., dict[str, str]]) -> Callable[..., Any]:
    """upload(data, role="writer", **form) -> the response of POST /v1/editorial/media."""
    writer = auth_headers("writer")

    def send(data: bytes, filename: str = "photo.jpg", *, headers: dict[str, str] | None = None,
             **form: Any) -> Any:
        return client.post("/v1/editorial/media", headers=headers or writer,
                           files={"file": (filename, data, "application/octet-stream")},
                           data={k: str(v) for k, v in form.items()})

    return send
