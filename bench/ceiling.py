"""The framework's ceiling on this machine, served with the same uvicorn settings as `khabar serve`.

`/raw` answers pre-encoded bytes the size of the article list response (the most a FastAPI
route can do); `/encoded` answers 20 items through a pydantic response model, the way a plain
FastAPI app serializes a list. `BENCH_SAMPLE` names a JSON file holding a real list response.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.responses import Response


class Ref(BaseModel):
    slug: str
    name: str


class AuthorRef(Ref):
    id: int


class Card(BaseModel):
    id: str
    slug: str
    title: str
    subtitle: str | None
    excerpt: str | None
    section: Ref | None
    authors: list[AuthorRef]
    tags: list[Ref]
    language: str
    published_at: datetime | None
    updated_at: datetime
    reading_time_minutes: int
    image: dict[str, Any] | None


class Meta(BaseModel):
    limit: int
    next_cursor: str | None


class Links(BaseModel):
    self: str
    next: str | None


class CardPage(BaseModel):
    data: list[Card]
    meta: Meta
    links: Links


def _sample() -> dict[str, Any]:
    with open(os.environ["BENCH_SAMPLE"], encoding="utf-8") as f:
        return json.load(f)  # type: ignore[no-any-return]


SAMPLE = _sample()
RAW = json.dumps(SAMPLE, ensure_ascii=False, separators=(",", ":")).encode()
PAGE = CardPage.model_validate(SAMPLE)
app = FastAPI()


@app.get("/raw")
def raw() -> Response:
    return Response(RAW, media_type="application/json")


@app.get("/encoded", response_model=CardPage)
def encoded() -> CardPage:
    return CardPage(data=list(PAGE.data), meta=PAGE.meta, links=PAGE.links)


def main() -> None:
    port = int(os.environ["BENCH_PORT"])
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    # The settings of `khabar serve` (app/cli.py).
    uvicorn.run("bench.ceiling:app", host="127.0.0.1", port=port, workers=workers,
                proxy_headers=False, server_header=False, date_header=True,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
