"""The Python receiver of docs/partners.md, run as written (uvicorn in a subprocess): it accepts
Khabar's signed messages and refuses a forged one."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.articles.models import Article
from tests.clients.live import REPO, free_port, serving

MARKER = "<!-- webhook-receiver:"


def _receiver_source() -> str:
    text = (REPO / "docs" / "partners.md").read_text(encoding="utf-8")
    after = text[text.index(MARKER):]
    found = re.search(r"```python\n(.*?)```", after, re.S)
    assert found, "the receiver block follows its marker"
    return found.group(1)


def test_the_documented_receiver_verifies_real_messages(
        sending_app: Callable[..., FastAPI], tmp_path: Path, make_partner: Callable[..., Any],
        make_article: Callable[..., Article], make_section: Callable[..., Any]) -> None:
    (tmp_path / "receiver_app.py").write_text(_receiver_source(), encoding="utf-8")
    make_section("news")
    _, key = make_partner(sections=["news"])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TestClient(sending_app()) as client:
        created = client.post("/v1/syndication/webhooks", headers=key, json={
            "url": f"{base}/hooks/khabar", "events": ["article.published"]})
        assert created.status_code == 201, created.text
        endpoint = created.json()
        log = tmp_path / "out.txt"
        with log.open("wb") as out, serving(
                [sys.executable, "-m", "uvicorn", "receiver_app:app", "--port", str(port),
                 "--log-level", "warning"], base, "/docs", cwd=tmp_path, stdout=out,
                env={"KHABAR_WEBHOOK_SECRET": endpoint["secret"], "PATH": "/usr/bin:/bin"}):
            article = make_article(section="news")
            deadline = time.monotonic() + 15
            while f"article.published {article.id}" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            forged = httpx.post(f"{base}/hooks/khabar", content=b'{"type":"ping"}', headers={
                "webhook-id": "msg_forged", "webhook-timestamp": str(int(time.time())),
                "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
        deliveries = client.get(f"/v1/syndication/webhooks/{endpoint['id']}/deliveries",
                                headers=key).json()["data"]
    assert forged.status_code == 400
    assert deliveries[0]["attempt_log"][0]["response_status"] == 200
