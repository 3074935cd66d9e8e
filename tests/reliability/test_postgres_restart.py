"""PostgreSQL stops under live load and comes back: while it is down every request fails fast
with a 503 problem (never a hang, a 500 or a traceback), and once it is back the same server
answers with no error at all and every write it acknowledged is in the database.

It brings its own PostgreSQL cluster (it has to stop one), so it does not depend on the run's
database; it runs in the suite's PostgreSQL pass only, which keeps the SQLite pass short.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import ArticleCreate
from app.authors.models import Author
from app.core.migrate import upgrade
from app.core.security import issue_token
from app.users import service as users_service
from app.users.models import Role, UserCreate
from tests.conftest import BASE_URL
from tests.factories import PASSWORD
from tests.reliability.load import Load, Outcome, send, server_errors
from tests.reliability.servers import live_server, private_postgres, wait_until

pytestmark = [pytest.mark.database, pytest.mark.slow, pytest.mark.skipif(
    not BASE_URL.startswith("postgresql"),
    reason="starts and stops a private PostgreSQL; runs in the PostgreSQL pass of the suite")]

FAIL_FAST_SECONDS = 5.0  # generous: an outage answer needs no database round trip at all
DESK = "the-desk"
STANDING = [f"Standing story {n}" for n in range(5)]


def seed(url: str) -> dict[str, str]:
    """A few published articles and an editor; returns the editor's bearer header."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    try:
        with Session(engine, expire_on_commit=False) as session:
            session.add(Author(slug=DESK, name="The desk", created_at=now, updated_at=now))
            session.commit()
            for title in STANDING:
                article = articles_service.create_article(
                    session, ArticleCreate(title=title, body_text="Words.\n\nMore words.",
                                           authors=[DESK]), by=None, now=now)
                articles_service.publish_article(session, article, publish_at=None,
                                                 expected_revision=article.revision, by=None,
                                                 now=now)
            editor = users_service.create_user(session, UserCreate(
                email="editor@example.com", password=PASSWORD, role=Role.editor), now=now)
    finally:
        engine.dispose()
    token, _ = issue_token(str(editor.id), editor.role, now)
    return {"Authorization": f"Bearer {token}"}


def create(client: httpx.Client, editor: dict[str, str]) -> httpx.Response:
    return client.post("/v1/editorial/articles", headers=editor,
                       json={"title": f"Filed under load {uuid.uuid4().hex[:12]}",
                             "body_text": "A paragraph.", "authors": [DESK]})


def read(client: httpx.Client, n: int) -> httpx.Response:
    if n % 2:
        return client.get("/v1/articles", params={"limit": 5})
    return client.get(f"/v1/articles/standing-story-{n % len(STANDING)}")


def acknowledged(outcomes: list[Outcome]) -> dict[str, str]:
    """id -> title of every create the server answered 201."""
    return {str(o.json()["id"]): o.json()["title"] for o in outcomes if o.status == 201}


def assert_fast_outage_problem(outcome: Outcome) -> None:
    where = f"{outcome.action} {outcome.status or outcome.error}: {outcome.text[:300]}"
    assert outcome.status == 503, where
    assert outcome.headers["content-type"] == "application/problem+json", where
    assert int(outcome.headers["retry-after"]) > 0, where
    assert outcome.json()["status"] == 503, where
    assert "Traceback" not in outcome.text, where
    assert "psycopg" not in outcome.text, where
    assert outcome.seconds < FAIL_FAST_SECONDS, f"{where} took {outcome.seconds:.1f} s"


def ready(client: httpx.Client) -> bool:
    try:
        return client.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def test_a_postgresql_restart_under_load_fails_fast_then_recovers_losing_no_write() -> None:
    with private_postgres() as pg:
        url = pg.create_database("khabar")
        upgrade("head", url)
        editor = seed(url)
        with live_server(url) as server, \
                httpx.Client(base_url=server.base_url, timeout=30) as http:
            actions = {"read": read, "write": lambda client, _n: create(client, editor)}
            with Load(server.base_url, actions, threads_per_action=2) as load:
                wait_until(lambda: len(acknowledged(load.of("write"))) >= 5, 30,
                           "five acknowledged writes before the outage")
                pg.stop("fast")
                down_at = time.monotonic()
                probes = [send("readyz", lambda: http.get("/readyz")),
                          send("read", lambda: read(http, 1)),
                          send("read", lambda: read(http, 2)),
                          send("write", lambda: create(http, editor))]
                time.sleep(1.0)  # the load keeps running into the outage
                restart_at = time.monotonic()
                pg.start()
                up_at = time.monotonic()
                wait_until(lambda: ready(http), 30, "/readyz answering 200 after the restart")
                time.sleep(1.0)  # and keeps running once it is over
            with ThreadPoolExecutor(max_workers=8) as pool:
                burst = list(pool.map(
                    lambda n: send("write", lambda: create(http, editor)) if n % 4 == 0
                    else send("read", lambda: read(http, n)), range(80)))
            log = server.log()

        during = load.of(after=down_at, before=restart_at)
        after = load.of(after=up_at) + burst
        assert during, "the load sent nothing while PostgreSQL was down"
        for outcome in probes + during:
            assert_fast_outage_problem(outcome)
        # Anything in flight when PostgreSQL stopped may fail too, but only with that 503.
        odd = [f"{o.action} {o.status or o.error} {o.text[:200]}" for o in load.of(before=down_at)
               if o.status not in (200, 201, 503)]
        assert odd == []
        for outcome in load.of(before=down_at):
            if outcome.status == 503:
                assert_fast_outage_problem(outcome)
        assert server_errors(after) == [], "server errors after PostgreSQL came back"
        assert {o.status for o in after} <= {200, 201}

        acked = acknowledged(load.outcomes + burst)
        assert len(acked) >= 10
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                stored = dict(conn.execute(
                    text("SELECT CAST(id AS TEXT), title FROM article")).tuples().all())
        finally:
            engine.dispose()
        lost = {i: t for i, t in acked.items() if stored.get(i) != t}
        assert lost == {}, f"{len(lost)} of {len(acked)} acknowledged writes are not stored"
        assert "Traceback" not in log, log[-3000:]
