"""Scale-out: two live `uvicorn` instances on one database and one Redis behave as one API.

Each instance is a separate process with its own response cache, so these tests prove that no
process-local state survives a write: a write acknowledged by instance A is what instance B
answers on its very next request on SQLite (`PRAGMA data_version`), and as soon as the commit's
notification reaches B on PostgreSQL (allowed 1 s here; it takes well under a millisecond), even
when B had the old list and detail cached; and a partner's rate limit is one budget counted
across both instances through Redis.

The database is the run's own (a private PostgreSQL database in the PostgreSQL pass, which is
what the scale-out topology uses; in the SQLite pass the two processes share one SQLite file,
which is how `khabar serve --workers N` runs there). Redis is the real one on 127.0.0.1:6379,
under a key prefix of this test's own, so parallel runs never share counters.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pytest
import redis
from sqlalchemy import Engine, text

from app.articles.models import Article
from app.authors.models import Author
from tests.clients.live import live_api
from tests.syndication.conftest import PartnerMaker, make_partner  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow  # `make test` runs it; `make test-quick` does not

T = TypeVar("T")
REDIS_URL = "redis://127.0.0.1:6379/11"
EDITORIAL = "/v1/editorial/articles"


@dataclass
class Pair:
    a: httpx.Client
    b: httpx.Client


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.RedisError as exc:  # the suite's machine runs Redis; say so plainly if not
        pytest.fail(f"Redis at {REDIS_URL} is unreachable: {exc}")
    prefix = f"khabar-test-{uuid.uuid4().hex}"
    yield prefix
    keys = list(store.scan_iter(match=f"{prefix}*"))
    if keys:
        store.delete(*keys)
    store.close()


@pytest.fixture
def pair(database_url: str, engine: Engine,  # noqa: ARG001  (empties the database afterwards)
         redis_prefix: str) -> Iterator[Pair]:
    """Instances A and B with the response cache on, sharing the database and Redis."""
    env = {"KHABAR_RESPONSE_CACHE": "true", "KHABAR_RATE_LIMIT_KEY_PREFIX": redis_prefix}
    with ExitStack() as stack:
        bases = [stack.enter_context(live_api(database_url, redis_url=REDIS_URL, **env))
                 for _ in range(2)]
        a, b = (stack.enter_context(httpx.Client(base_url=base, timeout=30)) for base in bases)
        yield Pair(a, b)


def titles(client: httpx.Client) -> list[str]:
    response = client.get("/v1/articles")
    assert response.status_code == 200, response.text
    return [card["title"] for card in response.json()["data"]]


def served(read: Callable[[], T], expected: T, engine: Engine) -> bool:
    """Whether `read()` answers `expected`: on its first call on SQLite, within the second a
    PostgreSQL notification may take to reach the other process."""
    deadline = time.monotonic() + (1.0 if engine.dialect.name == "postgresql" else 0.0)
    while read() != expected:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_write_through_one_instance_is_served_by_the_other_at_once(
        pair: Pair, engine: Engine, make_article: Callable[..., Article],
        make_author: Callable[..., Author], auth_headers: Callable[..., dict[str, str]]) -> None:
    editor = auth_headers("editor")
    desk = make_author("Desk Reporter")
    story = make_article("First story", authors=[desk.slug])
    detail = f"/v1/articles/{story.slug}"

    # Warm B's cache with the list and the detail...
    assert titles(pair.b) == ["First story"]
    warmed = pair.b.get(detail)
    assert warmed.status_code == 200
    # ...and prove B answers from it: a change made behind the API's back (no content version
    # bump, as no real write path does) stays invisible to B.
    with engine.begin() as conn:
        conn.execute(text("UPDATE article SET title = 'Changed behind the API' WHERE id = :id"),
                     {"id": story.id})
    assert titles(pair.b) == ["First story"]
    assert pair.b.get(detail).json()["title"] == "First story"

    # A PATCH through A: B's next list, detail and revalidation show it.
    current = pair.a.get(f"{EDITORIAL}/{story.id}", headers=editor)
    patched = pair.a.patch(f"{EDITORIAL}/{story.id}", headers={
        **editor, "If-Match": current.headers["etag"]}, json={"title": "First story, updated"})
    assert patched.status_code == 200, patched.text
    assert served(lambda: titles(pair.b), ["First story, updated"], engine)
    assert pair.b.get(detail).json()["title"] == "First story, updated"
    revalidated = pair.b.get(detail, headers={"If-None-Match": warmed.headers["etag"]})
    assert revalidated.status_code == 200
    assert revalidated.headers["etag"] != warmed.headers["etag"]

    # A new article created and published through A: first in B's list on the next request.
    created = pair.a.post(EDITORIAL, headers=editor,
                          json={"title": "Breaking story", "body_text": "It just happened.",
                                "authors": [desk.slug]})
    assert created.status_code == 201, created.text
    published = pair.a.post(f"{EDITORIAL}/{created.json()['id']}/publish",
                            headers={**editor, "If-Match": created.headers["etag"]})
    assert published.status_code == 200, published.text
    assert served(lambda: titles(pair.b), ["Breaking story", "First story, updated"], engine)
    fresh = pair.b.get(f"/v1/articles/{published.json()['slug']}")
    assert fresh.status_code == 200
    assert fresh.json()["title"] == "Breaking story"

    # And unpublishing through B takes it off A's cached list.
    assert titles(pair.a) == ["Breaking story", "First story, updated"]
    unpublished = pair.b.post(f"{EDITORIAL}/{created.json()['id']}/unpublish",
                              headers={**editor, "If-Match": published.headers["etag"]})
    assert unpublished.status_code == 200, unpublished.text
    assert served(lambda: titles(pair.a), ["First story, updated"], engine)


def test_a_partners_rate_limit_is_one_budget_across_instances(
        pair: Pair, make_partner: PartnerMaker) -> None:  # noqa: F811  (the fixture)
    _, headers = make_partner(rate_limit="5/hour")
    codes = []
    for client in (pair.a, pair.b, pair.a, pair.b, pair.a, pair.b):
        response = client.get("/v1/syndication/changes", headers=headers)
        codes.append(response.status_code)
    assert codes == [200, 200, 200, 200, 200, 429]
    assert response.headers["ratelimit-remaining"] == "0"
    assert int(response.headers["retry-after"]) > 0
    # The budget is the partner's, not the instance's: A refuses too.
    assert pair.a.get("/v1/syndication/changes", headers=headers).status_code == 429
