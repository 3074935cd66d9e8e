"""OWASP API7:2023 Server Side Request Forgery.

Khabar fetches no URL on anyone's behalf: URLs in articles (image, canonical, source, image and
embed blocks, links in text), author profiles (avatar, links) and imported pages are stored and
rendered as data, never requested. Asserted:

* No code under app/ imports an HTTP, FTP, mail or raw socket client; the only network clients
  are the database driver, the operator-configured Redis of the rate limiter, the CDN purge hook
  (the operator's URL) and the webhook sender, which calls only URLs that pass its own SSRF
  rules, checked again on the resolved addresses at send time (tests/webhooks/test_live.py).
* URL fields refuse what is not an absolute http(s) URL (images: or a path on the publisher's
  own site) with a 422 naming the field: `javascript:`, `data:`, `file:`, `gopher:`, `ftp:`,
  `vbscript:`, scheme-relative `//host` and `/\\host`, UNC `\\\\host`, scheme tricks
  (`JaVaScRiPt:`, a tab inside the scheme, leading spaces, `http:host`). The URL fields are
  found in the OpenAPI document, so a new one must be listed here to be built.
* Internal addresses (`127.0.0.1` with a listener on its port, `[::ffff:127.0.0.1]`, `localhost`,
  the cloud metadata address `169.254.169.254`) submitted in every URL field of articles and
  authors, in HTML links and images and in an imported page are stored, published and read back
  through every surface (Content detail, lists with bodies, RSS/Atom/JSON feeds, the news
  sitemap, Syndication native and ninjs documents, feeds and change feed, the Editorial API)
  without one outbound connection: the listener accepts nothing, and Python's audit hook sees no
  `socket.connect` while the app serves those requests.

Sanitizing links in body HTML (`javascript:` hrefs, `file:` images dropped):
tests/articles/test_html_input.py `test_xss_through_html_input` and
`test_images_without_absolute_http_src_are_dropped`.
"""

from __future__ import annotations

import ast
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from app.partners import service as partners_service
from app.partners.models import PartnerCreate
from tests.articles.newsroom import Newsroom, if_match
from tests.security.runner import request_bodies, schema_nodes
from tests.syndication.conftest import PartnerMaker

APP = Path(__file__).resolve().parents[2] / "app"
NETWORK_CLIENTS = {"httpx", "requests", "urllib.request", "urllib3", "aiohttp", "http.client",
                   "socket", "ftplib", "smtplib", "telnetlib", "xmlrpc.client", "pycurl",
                   "asyncio.open_connection", "websockets", "paramiko", "imaplib", "poplib"}
BAD_URLS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "  javascript:x",
    "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "gopher://127.0.0.1:6379/_x",
    "ftp://127.0.0.1/x", "vbscript:msgbox(1)", "//127.0.0.1/x", "http:127.0.0.1/x",
    "/\\127.0.0.1/x", "\\\\127.0.0.1\\x", "127.0.0.1", "",
]
# How to build a body holding a URL at each URL field of the write schemas.
URL_FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "canonical_url": lambda url: {"canonical_url": url},
    "image.url": lambda url: {"image": {"url": url, "caption": "A picture"}},
    "source.url": lambda url: {"source": {"name": "A source", "url": url}},
    "body[].url": lambda url: {"body": [{"type": "paragraph", "text": "Words."},
                                        {"type": "image", "url": url},
                                        {"type": "embed", "url": url}]},
    # Rendition URLs are the server's: filled in from the media object for an uploaded image
    # (values sent are replaced) and refused on an external one, so none sent is ever stored.
    "body[].renditions[].url": lambda url: {"body": [
        {"type": "paragraph", "text": "Words."},
        {"type": "image", "url": "https://example.com/a.jpg",
         "renditions": [{"width": 320, "height": 200, "url": url, "type": "image/webp"}]}]},
    "avatar_url": lambda url: {"avatar_url": url},
    "avatar.url": lambda url: {"avatar": {"url": url}},
    "links{}": lambda url: {"links": {"website": url}},
    "url": lambda url: {"url": url, "events": ["ping"]},
}


def test_the_app_opens_no_network_client() -> None:
    found = []
    for path in APP.rglob("*.py"):
        if path == APP / "core" / "purge.py":  # calls only the operator's KHABAR_PURGE_URL
            continue
        if path in (APP / "webhooks" / "sender.py", APP / "webhooks" / "urls.py"):
            continue  # endpoint URLs, behind app/webhooks/urls.py's checks
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            found += [f"{path.relative_to(APP.parent)}: {name}" for name in names
                      if name in NETWORK_CLIENTS]
    assert not found, found


def url_fields(app: Any) -> dict[str, list[str]]:
    """Route -> paths of the URL fields in its JSON body."""
    schemas = app.openapi()["components"]["schemas"]
    out: dict[str, list[str]] = {}
    for key, schema in request_bodies(app):
        paths = sorted({path for path, node in schema_nodes(schema, schemas, "")
                        if node.get("type") == "string" and (
                            path.rsplit(".", 1)[-1].endswith("url") or path.endswith("links{}"))})
        if paths:
            out[key] = paths
    return out


def test_every_url_field_is_known(app: Any) -> None:
    fields = url_fields(app)
    assert set(fields) == {
        "POST /v1/editorial/articles", "PATCH /v1/editorial/articles/{article_id}",
        "POST /v1/editorial/authors", "PATCH /v1/editorial/authors/{author_id}",
        "POST /v1/editorial/webhooks", "PATCH /v1/editorial/webhooks/{endpoint_id}",
        "POST /v1/syndication/webhooks", "PATCH /v1/syndication/webhooks/{endpoint_id}"}
    unknown = {path for paths in fields.values() for path in paths} - set(URL_FIELDS)
    assert not unknown, f"URL fields with no body builder in URL_FIELDS: {unknown}"


def _write(client: TestClient, room: Newsroom, key: str, body: dict[str, Any]) -> Any:
    method, template = key.split(" ", 1)
    headers = dict(room.headers["editor"])
    if "/webhooks" in template:
        headers = _webhook_owner(room, template)
        if "{endpoint_id}" in template:
            prefix = template.split("/{", 1)[0]
            if (id(room), prefix) not in _endpoints:  # one per owner: the limit is 10
                created = client.post(prefix, json={"url": "https://hooks.example.org/x",
                                                    "events": ["ping"]}, headers=headers)
                assert created.status_code == 201, created.text
                _endpoints[id(room), prefix] = created.json()["id"]
            template = f"{prefix}/{_endpoints[id(room), prefix]}"
    elif "{article_id}" in template:
        article = room.article()
        template = template.replace("{article_id}", article.id)
        headers.update(if_match(article))
    elif "{author_id}" in template:
        created = client.post("/v1/editorial/authors", json={"name": "Patched"}, headers=headers)
        template = template.replace("{author_id}", str(created.json()["id"]))
    elif key == "POST /v1/editorial/articles":
        body = {"title": "A story", **body}
    elif key == "POST /v1/editorial/authors":
        body = {"name": "An author", **body}
    return client.request(method, template, json=body, headers=headers)


_partner_keys: dict[int, dict[str, str]] = {}
_endpoints: dict[tuple[int, str], str] = {}


def _webhook_owner(room: Newsroom, template: str) -> dict[str, str]:
    if template.startswith("/v1/editorial/"):
        return dict(room.headers["admin"])
    if id(room) not in _partner_keys:
        _, key = partners_service.create_partner(room.session, PartnerCreate(
            name=f"SSRF probe {id(room)}"), now=datetime.now(UTC))
        room.release()
        _partner_keys[id(room)] = {"Authorization": f"Bearer {key}"}
    return _partner_keys[id(room)]


def test_url_fields_refuse_what_is_not_http(client: TestClient, app: Any,
                                            newsroom: Newsroom) -> None:
    wrong, probed = [], 0
    for key, paths in url_fields(app).items():
        for path in paths:
            for url in BAD_URLS:
                response = _write(client, newsroom, key, URL_FIELDS[path](url))
                probed += 1
                named = any(path.split("[")[0].split(".")[0].split("{")[0] in map(str, e["loc"])
                            for e in response.json().get("errors") or [])
                if response.status_code != 422 or not named:
                    wrong.append(f"{key} {path}={url!r}: {response.status_code}")
    assert probed > 150
    assert not wrong, "\n".join(wrong)


# ---- internal addresses are stored, never fetched -------------------------------------------


class ConnectionAudit:
    """Records `socket.connect` audit events while `recording` (audit hooks cannot be removed,
    so one hook serves the whole run and is idle otherwise)."""

    recording = False
    seen: ClassVar[list[Any]] = []

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if cls.recording and event in ("socket.connect", "socket.getaddrinfo"):
            cls.seen.append((event, args[1:]))


_installed: list[bool] = []


@pytest.fixture
def connections() -> Iterator[list[Any]]:
    if not _installed:
        sys.addaudithook(ConnectionAudit.hook)
        _installed.append(True)
    ConnectionAudit.seen.clear()
    ConnectionAudit.recording = True
    try:
        yield ConnectionAudit.seen
    finally:
        ConnectionAudit.recording = False


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def internal_urls(port: int) -> list[str]:
    return [f"http://127.0.0.1:{port}/ssrf.jpg", f"http://[::ffff:127.0.0.1]:{port}/ssrf",
            f"http://localhost:{port}/ssrf", "http://169.254.169.254/latest/meta-data/iam/",
            f"https://127.0.0.1:{port}/embed"]


def _publish(client: TestClient, room: Newsroom, article_id: str, etag: str) -> None:
    published = client.post(f"/v1/editorial/articles/{article_id}/publish",
                            headers={**room.headers["editor"], "If-Match": etag})
    assert published.status_code == 200, published.text


def test_internal_addresses_are_stored_but_never_fetched(
        client: TestClient, newsroom: Newsroom, make_partner: PartnerMaker,
        listener: socket.socket, connections: list[Any]) -> None:
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)):  # the audit does see a connection
        pass
    assert connections
    connections.clear()
    listener.accept()[0].close()
    editor = newsroom.headers["editor"]
    slugs, ids = [], []
    for i, url in enumerate(internal_urls(port)):
        html = (f'<p>See <a href="{url}">this</a>.</p><figure><img src="{url}">'
                f"<figcaption>Inside</figcaption></figure>")
        body = {"title": f"Internal {i}", "canonical_url": url, "body_html": html,
                "image": {"url": url}, "source": {"name": "Wire", "url": url}}
        created = client.post("/v1/editorial/articles", json=body, headers=editor)
        assert created.status_code == 201, created.text
        _publish(client, newsroom, created.json()["id"], created.headers["etag"])
        slugs.append(created.json()["slug"])
        ids.append(created.json()["id"])
        author = client.post("/v1/editorial/authors", headers=editor, json={
            "name": f"Linked {i}", "avatar_url": url, "links": {"website": url}})
        assert author.status_code == 201, author.text
    page = (f"Imported page\n\nA paragraph linking http://127.0.0.1:{port}/x and "
            f"file:///etc/passwd.\n\n(Anne Author is a reporter, http://169.254.169.254/.)\n")
    imported = client.post("/v1/editorial/import", headers=editor,
                           json={"text": page, "publish": True})
    assert imported.status_code == 201, imported.text
    _, partner = make_partner()
    reads = [*(f"/v1/articles/{slug}?formats=blocks,html,text" for slug in slugs),
             "/v1/articles?include=body&formats=blocks,html,text&limit=100",
             "/v1/feeds/latest.rss", "/v1/feeds/latest.atom", "/v1/feeds/latest.json",
             "/v1/sitemaps/news.xml", "/v1/authors?limit=100", "/v1/search?q=internal"]
    partner_reads = ["/v1/syndication/articles?limit=100",
                     "/v1/syndication/articles?limit=100&format=ninjs",
                     "/v1/syndication/feed.atom", "/v1/syndication/feed.json",
                     "/v1/syndication/changes", *(f"/v1/syndication/articles/{i}" for i in ids)]
    editorial_reads = [*(f"/v1/editorial/articles/{i}" for i in ids), "/v1/editorial/authors"]
    for url, headers in ([(u, {}) for u in reads] + [(u, partner) for u in partner_reads]
                         + [(u, editor) for u in editorial_reads]):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text[:200])
    # The URLs were kept as given (they are data), and nothing was asked of them.
    detail = client.get(f"/v1/articles/{slugs[0]}").json()
    assert detail["image"]["url"] == internal_urls(port)[0]
    assert connections == []
    with pytest.raises(BlockingIOError):
        listener.accept()
