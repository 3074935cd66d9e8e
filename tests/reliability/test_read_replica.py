"""Public reads on a real streaming replica (`DATABASE_READ_URL`), with the response cache on.

While the replica's replay is paused, an edit acknowledged by the primary is invisible to public
readers (they read the replica) and visible to the newsroom (the Editorial API reads the
primary). Once replay resumes, public readers see the edit within moments and keep seeing it:
the cache reads its content version from the replica too, so a page the replica rendered before
it had the edit is never stored under the edit's version.

It brings its own primary and replica, so it runs in the suite's PostgreSQL pass only.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from app.core.migrate import upgrade
from tests.conftest import BASE_URL
from tests.reliability.servers import (
    PrivatePostgres,
    live_server,
    private_postgres,
    private_replica,
    wait_until,
)
from tests.reliability.test_postgres_restart import DESK, seed

pytestmark = [pytest.mark.database, pytest.mark.slow, pytest.mark.skipif(
    not BASE_URL.startswith("postgresql"),
    reason="starts a private PostgreSQL primary and replica; runs in the PostgreSQL pass")]

EDITORIAL = "/v1/editorial/articles"
OLD_TITLE = "Budget passes on first reading"
NEW_TITLE = "Budget passes on second reading"


def superuser(server: PrivatePostgres) -> Engine:
    return create_engine(server.url(), isolation_level="AUTOCOMMIT")


def scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def replayed_everything(primary: Engine, replica: Engine) -> bool:
    lsn = scalar(primary, "SELECT pg_current_wal_lsn()")
    return bool(scalar(replica, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"))


def list_titles(http: httpx.Client) -> list[str]:
    response = http.get("/v1/articles")
    assert response.status_code == 200, response.text
    return [card["title"] for card in response.json()["data"]]


def detail_title(http: httpx.Client, slug: str) -> str:
    response = http.get(f"/v1/articles/{slug}")
    assert response.status_code == 200, response.text
    return str(response.json()["title"])


def test_public_reads_lag_with_the_replica_and_catch_up_once_it_replays() -> None:
    statuses: list[tuple[str, int]] = []

    def record(response: httpx.Response) -> None:
        statuses.append((f"{response.request.method} {response.request.url.path}",
                         response.status_code))

    with private_postgres() as primary, private_replica(primary) as replica:
        url = primary.create_database("khabar")
        upgrade("head", url)  # on the primary; the replica follows
        editor = seed(url)
        primary_admin, replica_admin = superuser(primary), superuser(replica)
        try:
            wait_until(lambda: replayed_everything(primary_admin, replica_admin), 10,
                       "the replica replaying the migration")
            env = {"DATABASE_READ_URL": replica.url("khabar"), "KHABAR_RESPONSE_CACHE": "true"}
            with live_server(url, **env) as server, httpx.Client(
                    base_url=server.base_url, timeout=30,
                    event_hooks={"response": [record]}) as http:
                # 1. Created and published on the primary; public once the replica has it.
                created = http.post(EDITORIAL, headers=editor, json={
                    "title": OLD_TITLE, "body_text": "A paragraph.", "authors": [DESK]})
                assert created.status_code == 201, created.text
                article_id = created.json()["id"]
                published = http.post(f"{EDITORIAL}/{article_id}/publish",
                                      headers={**editor, "If-Match": created.headers["etag"]})
                assert published.status_code == 200, published.text
                slug = published.json()["slug"]
                wait_until(lambda: OLD_TITLE in list_titles(http), 5,
                           "the published article in the public list")
                assert detail_title(http, slug) == OLD_TITLE

                # 2. Replay paused: the edit is on the primary only.
                scalar(replica_admin, "SELECT pg_wal_replay_pause()")
                wait_until(lambda: scalar(replica_admin,
                                          "SELECT pg_get_wal_replay_pause_state()") == "paused",
                           5, "the replica pausing replay")
                edited = http.patch(f"{EDITORIAL}/{article_id}", json={"title": NEW_TITLE},
                                    headers={**editor, "If-Match": published.headers["etag"]})
                assert edited.status_code == 200, edited.text
                assert edited.json()["slug"] == slug
                assert not replayed_everything(primary_admin, replica_admin)
                for _ in range(3):  # cached by now, under whatever state the cache read
                    assert OLD_TITLE in list_titles(http)
                    assert NEW_TITLE not in list_titles(http)
                    assert detail_title(http, slug) == OLD_TITLE
                newsroom = http.get(f"{EDITORIAL}/{article_id}", headers=editor)
                assert newsroom.status_code == 200, newsroom.text
                assert newsroom.json()["title"] == NEW_TITLE

                # 3. Replay resumed: public reads catch up, and stay caught up.
                scalar(replica_admin, "SELECT pg_wal_replay_resume()")
                wait_until(lambda: NEW_TITLE in list_titles(http)
                           and detail_title(http, slug) == NEW_TITLE, 10,
                           "the edit in the public list and detail after replay resumed")
                assert replayed_everything(primary_admin, replica_admin)
                for _ in range(5):
                    titles = list_titles(http)
                    assert NEW_TITLE in titles
                    assert OLD_TITLE not in titles
                    assert detail_title(http, slug) == NEW_TITLE
                log = server.log()
        finally:
            primary_admin.dispose()
            replica_admin.dispose()

    # 4. No request failed, and nothing went wrong behind the answers.
    failed = [(request, status) for request, status in statuses if not 200 <= status < 300]
    assert failed == []
    assert len(statuses) > 20
    assert "Traceback" not in log, log[-3000:]
