"""Issue 19, items 9 and 13: a password change ends older tokens, KHABAR_ENV takes exactly its
values, HEAD answers on every GET route, `gzip;q=0` is honoured, connections that never finish
their headers are closed, and a writer's import creates nothing a writer may not create."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import Session, func, select

from app.authors.models import Author
from app.briefs.models import Brief
from app.core.config import DEV_SECRET, Settings
from app.core.security import issue_token
from app.importer.service import import_page
from tests.clients.live import REPO
from tests.reliability.servers import live_server


def test_a_password_change_ends_older_tokens(client, make_user, auth_headers):
    user = make_user("editor")
    old = {"Authorization": "Bearer " + issue_token(
        str(user.id), user.role, datetime.now(UTC) - timedelta(seconds=5))[0]}
    assert client.get("/v1/editorial/articles", headers=old).status_code == 200
    admin = auth_headers("admin")
    r = client.patch(f"/v1/editorial/users/{user.id}", json={"password": "a-new-password-1"},
                     headers=admin)
    assert r.status_code == 200, r.text
    assert client.get("/v1/editorial/articles", headers=old).status_code == 401
    r = client.post("/v1/auth/token", data={"username": user.email,
                                            "password": "a-new-password-1"})
    assert r.status_code == 200
    new = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/v1/editorial/articles", headers=new).status_code == 200
    # Changing the name alone keeps tokens.
    client.patch(f"/v1/editorial/users/{user.id}", json={"name": "Renamed"}, headers=admin)
    assert client.get("/v1/editorial/articles", headers=new).status_code == 200


@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "staging", "", "dev"])
def test_khabar_env_refuses_unknown_values(value):
    with pytest.raises(ValidationError):
        Settings(KHABAR_ENV=value, KHABAR_SECRET_KEY="x" * 40)


def test_khabar_env_production_still_refuses_the_development_secret():
    with pytest.raises(ValidationError):
        Settings(KHABAR_ENV="production", KHABAR_SECRET_KEY=DEV_SECRET,
                 KHABAR_PASSWORD_HASH_COST="standard")
    assert Settings(KHABAR_ENV="production", KHABAR_SECRET_KEY="x" * 40,
                    KHABAR_PASSWORD_HASH_COST="standard").env == "production"


def test_khabar_serve_will_not_start_with_an_unknown_env():
    env = {**os.environ, "KHABAR_ENV": "prod"}
    done = subprocess.run([str(os.path.join(os.path.dirname(sys.executable), "khabar")), "serve",
                           "--port", "1"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "KHABAR_ENV" in done.stdout + done.stderr


def _get_routes(app) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(path for path, ops in app.openapi()["paths"].items()
                  if "get" in ops and "{" not in path)


def test_head_answers_like_get_on_every_get_route(app, client, make_article, auth_headers):
    make_article("Something to list")
    editor = auth_headers("editor")
    paths = _get_routes(app)
    assert len(paths) > 15
    for path in paths:
        headers = editor if path.startswith(("/v1/editorial", "/v1/users")) else {}
        got = client.get(path, headers=headers)
        head = client.head(path, headers=headers)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "etag", "cache-control"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/feeds/latest.rss", "/openapi.json"])
def test_gzip_q0_gets_no_gzip(client, make_article, path):
    for n in range(8):
        make_article(f"Article {n} with a long enough title to pass the gzip threshold")
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers.get("content-encoding") == "gzip", path
    for refusal in ("gzip;q=0", "gzip; q=0.000, identity", "br, gzip;q=0"):
        plain = client.get(path, headers={"Accept-Encoding": refusal})
        assert plain.status_code == 200
        assert "content-encoding" not in plain.headers, (path, refusal)


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response: the head and body may arrive in separate segments."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += _received(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += _received(sock)
    return head + b"\r\n\r\n" + body


def _received(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    assert chunk, "the server closed the connection mid-response"
    return chunk


def test_connections_that_never_finish_their_headers_are_closed(database_url: str):
    with live_server(database_url, KHABAR_HEADER_TIMEOUT="1") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            started = time.monotonic()
            assert slow.recv(1024) == b""  # closed by the server, not answered
            assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
            started = time.monotonic()
            assert silent.recv(1024) == b""
            assert time.monotonic() - started < 5
        # A request that sends its headers in time is answered, on a kept-alive connection too.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as ok:
            for _ in range(2):
                ok.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _read_response(ok).startswith(b"HTTP/1.1 200")
                time.sleep(1.5)  # idle between requests is the keep-alive timeout's business


def test_a_writers_import_creates_no_author_profile_and_no_brief(client, session: Session,
                                                                  seed_text, make_user,
                                                                  make_author, auth_headers):
    writer = make_user("writer")
    make_author("Writer Own", user_id=writer.id)
    before = session.exec(select(func.count()).select_from(Author)).one()
    r = client.post("/v1/editorial/import", json={"text": seed_text},
                    headers=auth_headers(user=writer))
    assert r.status_code == 201, r.text
    assert [a["slug"] for a in r.json()["authors"]] == ["writer-own"]
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Author)).one() == before
    assert session.exec(select(func.count()).select_from(Brief)).one() == 0


def test_importing_a_page_twice_never_duplicates_a_brief_position(session: Session, seed_text):
    import_page(session, seed_text, now=datetime.now(UTC), publish=True)
    import_page(session, seed_text, now=datetime.now(UTC), publish=True)
    rows = session.exec(select(Brief.date, Brief.position)).all()
    assert rows
    assert len(rows) == len(set(rows))

