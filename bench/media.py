"""Media figures: rendition cost, upload-to-first-rendition, first vs stored rendition latency,
stored-rendition throughput next to a raw-bytes ceiling, and a worker's peak memory while
four 50-megapixel uploads run.

    python -m bench.media [--runs 10] [--out bench/results/<date>-media.json]

In process: one 1280-wide WebP from a 12-megapixel JPEG (p50/p95). Through `khabar serve`
(1 worker, SQLite, a fresh directory store): the rest, from one client (httpx), so latency
is the server's, not a queue's.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from PIL import Image, ImageDraw
from starlette.responses import Response

from bench.procs import worker_rss
from bench.servers import free_port, khabar, khabar_server

RESULTS = Path(__file__).with_name("results")


def photo(width: int, height: int, seed: int = 1) -> bytes:
    """A JPEG with detail everywhere (gradients and shapes), like a photo to a codec."""
    im = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    pen = ImageDraw.Draw(im)
    step = max(width // 40, 8)
    for i, x in enumerate(range(0, width, step)):
        pen.line((x, 0, (x * 7 + seed * 31) % width, height),
                 fill=((i * 37) % 255, (i * 91) % 255, (i * 53) % 255), width=3)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=88)
    return out.getvalue()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_process(runs: int) -> dict[str, Any]:
    from app.media.intake import ingest
    from app.media.renditions import render
    from app.media.variants import parse

    source = photo(4000, 3000)
    started = time.perf_counter()
    master = ingest(source)
    ingest_ms = (time.perf_counter() - started) * 1000
    variant = parse("w1280")
    assert variant is not None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        render(master.data, variant, "webp", (0.5, 0.5))
        times.append((time.perf_counter() - t) * 1000)
    return {"source": "4000x3000 JPEG (12 MP)", "ingest_ms": round(ingest_ms, 1),
            "w1280_webp_p50_ms": round(pct(times, 50), 1),
            "w1280_webp_p95_ms": round(pct(times, 95), 1)}


def ceiling(size: int, duration: float) -> float:
    """Requests/s of a bare FastAPI route answering `size` pre-made bytes (one client)."""
    app = FastAPI()
    body = secrets.token_bytes(size)

    @app.get("/raw")
    def raw() -> Response:
        return Response(body, media_type="image/webp")

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        return rate(f"http://127.0.0.1:{port}/raw", duration)
    finally:
        server.should_exit = True
        thread.join(10)


def rate(url: str, duration: float) -> float:
    with httpx.Client() as client:
        count, end = 0, time.perf_counter() + duration
        while time.perf_counter() < end:
            client.get(url).raise_for_status()
            count += 1
    return count / duration


def through_server(runs: int, duration: float) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="khabar-media-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHABAR_")}
    env.update(DATABASE_URL=f"sqlite:///{root / 'bench.db'}", KHABAR_MEDIA_STORE=str(root / "m"),
               KHABAR_LOG_LEVEL="warning", KHABAR_SECRET_KEY=secrets.token_hex(32),
               KHABAR_RATE_LIMIT_PUBLIC="0")
    password = secrets.token_urlsafe(12)
    khabar(env, "db", "upgrade")
    khabar({**env, "KHABAR_PASSWORD": password}, "user", "create", "bench@example.com",
           "--role", "editor")
    out: dict[str, Any] = {}
    twelve = photo(4000, 3000)
    fifty = [photo(8000, 6200, seed) for seed in range(4)]
    with khabar_server("khabar", env, 1, cache=True) as server, httpx.Client(
            base_url=server.base, timeout=120) as client:
        token = client.post("/v1/auth/token", data={"username": "bench@example.com",
                                                    "password": password}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        to_first, first, stored = [], [], []
        urls = []
        for i in range(runs):
            t = time.perf_counter()
            r = client.post("/v1/editorial/media", headers=auth,
                            files={"file": (f"p{i}.jpg", twelve, "image/jpeg")})
            r.raise_for_status()
            url = urlsplit(next(x["url"] for x in r.json()["renditions"] if "/w640." in x["url"]))
            url = f"{url.path}?{url.query}"
            t1 = time.perf_counter()
            client.get(url).raise_for_status()
            t2 = time.perf_counter()
            client.get(url).raise_for_status()
            t3 = time.perf_counter()
            to_first.append((t2 - t) * 1000)
            first.append((t2 - t1) * 1000)
            stored.append((t3 - t2) * 1000)
            urls.append(url)
        out["upload_12mp_to_first_w640_p50_ms"] = round(pct(to_first, 50), 1)
        out["upload_12mp_to_first_w640_p95_ms"] = round(pct(to_first, 95), 1)
        out["first_request_w640_p50_ms"] = round(pct(first, 50), 1)
        out["stored_request_w640_p50_ms"] = round(pct(stored, 50), 2)
        size = len(client.get(urls[0]).content)
        out["stored_w640_bytes"] = size
        parts = urlsplit(urls[0])
        out["stored_rendition_req_s_one_client"] = round(rate(
            f"{server.base}{parts.path}?{parts.query}", duration), 1)
        # Peak RSS of the worker while four 50-megapixel uploads run at once.
        before = max(worker_rss(server.process.pid) or [0.0])
        peak = [before]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak.append(max(worker_rss(server.process.pid) or [0.0]))
                time.sleep(0.05)

        def send(data: bytes) -> None:
            with httpx.Client(base_url=server.base, timeout=300) as c:
                c.post("/v1/editorial/media", headers=auth,
                       files={"file": ("big.jpg", data, "image/jpeg")}).raise_for_status()

        watcher = threading.Thread(target=watch)
        watcher.start()
        t = time.perf_counter()
        senders = [threading.Thread(target=send, args=(d,)) for d in fifty]
        for s in senders:
            s.start()
        for s in senders:
            s.join()
        done.set()
        watcher.join()
        out["four_50mp_uploads_seconds"] = round(time.perf_counter() - t, 1)
        out["worker_rss_before_mb"] = before
        out["worker_rss_peak_mb"] = max(peak)
    out["ceiling_same_size_req_s_one_client"] = round(ceiling(size, duration), 1)
    out["stored_vs_ceiling"] = round(out["stored_rendition_req_s_one_client"]
                                     / out["ceiling_same_size_req_s_one_client"], 2)
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
              "in_process": in_process(args.runs), "server": through_server(args.runs,
                                                                           args.duration)}
    print(json.dumps(report, indent=2))
    out = args.out or RESULTS / f"{datetime.now(UTC):%Y-%m-%dT%H%M}-media.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
