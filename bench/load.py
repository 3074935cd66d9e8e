"""`make load`: a bounded mixed read/write load against a live server on 127.0.0.1.

    python -m bench.load --base http://127.0.0.1:8000 --email E --password P [--duration 60]

Readers walk the Content API; writers create drafts through the Editorial API (an editor's
credentials). At the end it reports requests, errors (any 5xx fails the run) and checks that every
write the server acknowledged is stored, by reading each acknowledged id back.
"""

# ruff: noqa: T201  (a command-line report: printing is its output)
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

READ_PATHS = ["/v1/articles", "/v1/articles?limit=50", "/v1/briefs/today", "/v1/sections",
              "/v1/search?q=budget", "/v1/authors"]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: int = 0  # connection errors and timeouts
    acknowledged: list[str] = field(default_factory=list)


async def reader(client: httpx.AsyncClient, deadline: float, tally: Tally, rng: random.Random,
                 slugs: list[str]) -> None:
    while time.monotonic() < deadline:
        path = (f"/v1/articles/{rng.choice(slugs)}" if slugs and rng.random() < 0.3
                else rng.choice(READ_PATHS))
        try:
            tally.statuses[(await client.get(path)).status_code] += 1
        except httpx.HTTPError:
            tally.failures += 1


async def writer(client: httpx.AsyncClient, deadline: float, tally: Tally, n: int,
                 pause: float) -> None:
    i = 0
    while time.monotonic() < deadline:
        i += 1
        try:
            done = await client.post("/v1/editorial/articles", json={
                "title": f"Load test draft {n}-{i} {time.time_ns()}",
                "body_text": "Written by bench.load.\n\nA second paragraph."})
            tally.statuses[done.status_code] += 1
            if done.status_code == 201:
                tally.acknowledged.append(done.json()["id"])
        except httpx.HTTPError:
            tally.failures += 1
        await asyncio.sleep(pause)


async def run(args: argparse.Namespace) -> int:
    tally = Tally()
    limits = httpx.Limits(max_connections=args.readers + args.writers + 4)
    async with httpx.AsyncClient(base_url=args.base, timeout=30, limits=limits) as client:
        token = await client.post("/v1/auth/token", data={
            "grant_type": "password", "username": args.email, "password": args.password})
        if token.status_code != 200:
            print(f"login failed: {token.status_code} {token.text[:200]}", file=sys.stderr)
            return 2
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        slugs = [a["slug"] for a in (await client.get("/v1/articles?limit=100")).json()["data"]]
        deadline = time.monotonic() + args.duration
        rng = random.Random(1)
        async with httpx.AsyncClient(base_url=args.base, timeout=30, headers=auth,
                                     limits=limits) as editor:
            await asyncio.gather(
                *(reader(client, deadline, tally, random.Random(rng.random()), slugs)
                  for _ in range(args.readers)),
                *(writer(editor, deadline, tally, n, args.write_pause)
                  for n in range(args.writers)))
            missing = []
            for article_id in tally.acknowledged:
                if (await editor.get(f"/v1/editorial/articles/{article_id}")).status_code != 200:
                    missing.append(article_id)
    server_errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    total = sum(tally.statuses.values())
    print(f"{total} requests in {args.duration:g} s ({total / args.duration:,.0f}/s); "
          f"statuses {dict(sorted(tally.statuses.items()))}; {tally.failures} transport errors")
    print(f"{len(tally.acknowledged)} writes acknowledged, {len(missing)} of them not stored")
    ok = server_errors == 0 and not missing and tally.failures == 0
    print("OK" if ok else f"FAILED: {server_errors} 5xx, {len(missing)} lost writes")
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--base", default=os.environ.get("KHABAR_LOAD_BASE", "http://127.0.0.1:8000"))
    p.add_argument("--email", default=os.environ.get("KHABAR_LOAD_EMAIL"), required=False)
    p.add_argument("--password", default=os.environ.get("KHABAR_LOAD_PASSWORD"))
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--readers", type=int, default=32)
    p.add_argument("--writers", type=int, default=2)
    p.add_argument("--write-pause", type=float, default=0.1,
                   help="seconds between a writer's writes")
    args = p.parse_args()
    if not args.base.startswith(("http://127.0.0.1", "http://localhost")):
        p.error("--base must be a server on 127.0.0.1")
    if not (args.email and args.password):
        p.error("give an editor's --email and --password (or KHABAR_LOAD_EMAIL/PASSWORD)")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
