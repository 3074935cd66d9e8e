"""OWASP API10:2023 Unsafe Consumption of APIs.

The content Khabar takes from others is raw pages (syndicated columns, wire copy) through the
text importer: `POST /v1/editorial/import` and `khabar import`, both on `import_page`. Asserted,
for a corpus of hostile pages (huge, binary, control characters and NUL, invalid UTF-8 and
other encodings, deeply nested JSON and markup, script and event-handler HTML, regex-hostile
lines, thousands of briefs, over-long titles, datelines and author lines):

* every page answers a 2xx or a 4xx problem, never a 5xx, and within a generous bound (no
  catastrophic regex backtracking on a hostile line);
* a refused page writes nothing at all: no article, author, brief or tag row, no revision and no
  change-feed entry (the import is one transaction);
* an accepted page is rendered inert: no `<script`, event handler or `javascript:` URL reaches
  the stored HTML or any rendering of it (Content detail, RSS/Atom/JSON feeds, Syndication
  native and ninjs documents), and every XML rendering stays well-formed;
* the import service itself (`import_page`, as the CLI calls it) refuses the same hostile pages
  with `PageParseError` or a validation error, never another exception.

A CLI import of an unreadable file is one line on stderr and a non-zero exit, writing nothing:
tests/importer/test_service.py `test_cli_import_reports_bad_input_in_one_line`; the HTML
sanitizer's XSS corpus: tests/articles/test_html_input.py.

Found and fixed with this suite: a control character in a title (as a binary page brings) made
the RSS and Atom feeds a 500 for every reader (XML cannot carry it; feeds now drop such
characters); `khabar import` printed a traceback for a page whose title is too long, and wrote a
NUL to the database driver (now one line each).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from app.articles.errors import InvalidArticle
from app.articles.models import Article, ArticleRevision
from app.authors.models import Author
from app.briefs.models import Brief
from app.changelog.models import ArticleChange
from app.core.db import get_write_engine
from app.importer.page import PageParseError
from app.importer.service import import_page
from app.taxonomy.models import Tag
from app.users.models import User
from tests.articles.newsroom import Newsroom
from tests.syndication.conftest import PartnerMaker

IMPORT = "/v1/editorial/import"
SCRIPT = '<script>alert("x")</script>'
NUTSHELL = "Today's news in a nutshell"
FAST_ENOUGH = 15.0  # seconds: generous; a backtracking regex takes minutes on these lines


def hostile_pages() -> dict[str, str]:
    lede = "A paragraph of the page with enough words to read.\n\n"
    return {
        "over the length limit": "Title\n\n" + "word " * 180_001,
        "one huge line": "Title\n\n" + "a" * 800_000,
        "more paragraphs than an article holds": "Title\n\n" + "line of text\n" * 2_500,
        "title too long": "T" * 5_000 + "\n\n" + lede,
        "binary": "".join(chr(i % 256) for i in range(1, 20_000)),
        "control characters": "Title\x07\x1b[31m\n\n" + "\x0b\x0c\x1f text\x7f\n\n",
        "NUL": "Title\x00\n\nBody \x00 text.\n",
        "lone surrogates stripped by JSON": "Title\n\nBody \ufffd\ufffe\uffff text.\n",
        "right-to-left and zero-width": "Ti\u202etle\u200b\n\n" + lede,
        "nested markup": "Title\n\n" + "<div>" * 50_000 + "deep" + "</div>" * 50_000,
        "script and handlers": f"Title {SCRIPT}\n\n<p onclick=alert(1)>{SCRIPT}</p> "
                               '<img src=x onerror=alert(1)> <a href="javascript:alert(1)">'
                               "x</a>\n\n(Mal Lory is a reporter <script>x</script>.)\n"
                               "Copyright: <b onmouseover=alert(1)>Evil</b>\n",
        "regex-hostile author line": "Title\n\n" + lede + "(" + "a " * 40_000 + ")\n",
        "regex-hostile parens": "Title\n\n" + lede + "(" * 30_000 + ")" * 30_000 + "\n",
        "regex-hostile page date": "Monday, " * 20_000 + "\nTitle\n\n" + lede,
        "regex-hostile publish date": "Title\n\n" + lede + "Publish Date : " + "1 " * 40_000,
        "regex-hostile dateline": f"Title\n\n{lede}{NUTSHELL}\n" + "A " * 40_000 + ": x\n",
        "briefs, then a bad one": f"November 26, 2024\nTitle\n\n{lede}{NUTSHELL}\n"
                                  + "KATHMANDU: A headline. A lede\n" * 300 + "K" * 500 + ": x\n",
        "long dateline": f"November 26, 2024\nTitle\n\n{lede}{NUTSHELL}\n" + "K" * 500
                         + ": headline\n",
        "bad publish date": "Title\n\n" + lede + "Publish Date : 31 February 2021 08:58 AM\n",
        "only whitespace": " \n\t\n \u00a0\n",
    }


def counts(session: Session) -> dict[str, int]:
    session.commit()  # a fresh snapshot
    return {model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Article, Author, Brief, Tag, ArticleRevision, ArticleChange)}


@pytest.mark.parametrize("name", sorted(hostile_pages()))
def test_hostile_pages_are_refused_or_made_inert(client: TestClient, newsroom: Newsroom,
                                                 session: Session, make_partner: PartnerMaker,
                                                 name: str) -> None:
    before = counts(session)
    started = time.monotonic()
    response = client.post(IMPORT, json={"text": hostile_pages()[name], "publish": True},
                           headers=newsroom.headers["editor"])
    assert time.monotonic() - started < FAST_ENOUGH
    assert response.status_code in (201, 413, 422), response.text[:300]
    assert response.headers["content-type"].startswith(
        "application/problem+json" if response.status_code >= 400 else "application/json")
    if response.status_code >= 400:
        assert counts(session) == before
        return
    article = response.json()
    assert_inert(json.dumps(article))
    _, partner = make_partner()
    for url, headers in [(f"/v1/articles/{article['slug']}?formats=blocks,html,text", {}),
                         ("/v1/feeds/latest.rss", {}), ("/v1/feeds/latest.atom", {}),
                         ("/v1/feeds/latest.json", {}), ("/v1/sitemaps/news.xml", {}),
                         (f"/v1/syndication/articles/{article['id']}", partner),
                         (f"/v1/syndication/articles/{article['id']}?format=ninjs", partner),
                         ("/v1/syndication/feed.atom", partner)]:
        rendered = client.get(url, headers=headers)
        assert rendered.status_code in (200, 404), (url, rendered.status_code)
        if rendered.status_code == 200:
            assert_inert(rendered.text)
            if "xml" in rendered.headers["content-type"]:
                ElementTree.fromstring(rendered.content)  # well-formed


ACTIVE_MARKUP = re.compile(r"<script|<[a-z][^>]*\son[a-z]+\s*=|<[a-z][^>]*(?:href|src)\s*=\s*"
                           r"[\"']?\s*(?:javascript|data|vbscript):", re.IGNORECASE)


def assert_inert(text: str) -> None:
    """No markup a browser would run in any HTML the API hands out (body HTML, feed content,
    block text): what the page said is there only as escaped text (`&lt;script&gt;`). Plain
    text fields (titles, bios) are JSON strings or XML text, escaped by whoever renders them."""
    for html in _html_fields(text):
        assert not ACTIVE_MARKUP.search(html), html[:300]


def _html_fields(text: str) -> list[str]:
    try:
        doc = json.loads(text)
    except ValueError:  # a feed: the HTML is escaped inside the XML, unescaped by the parser
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            return [text]
        # RSS `description` and `content:encoded` are HTML; Atom text is HTML only when its
        # `type` says so (no type is plain text).
        return [el.text or "" for el in root.iter()
                if el.tag.endswith(("description", "encoded")) or (
                    el.tag.endswith(("content", "summary"))
                    and el.get("type") not in (None, "text"))]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("body_html", "content_html", "body_text_html") and isinstance(value,
                                                                                          str):
                    found.append(value)
                elif key == "body" and isinstance(value, list):
                    found.extend(json.dumps(block) for block in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return found


HOSTILE_BODIES = {
    "utf-16 with a BOM": b"\xff\xfe{\x00}\x00",
    "invalid utf-8": b'{"text": "\xff\xfe broken utf-8"}',
    "utf-16": '{"text": "x"}'.encode("utf-16"),
    "deeply nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "deeply nested text": b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "an operator for a string": b'{"text": {"$ne": null}}',
    "not JSON": b"not json at all",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_request_bodies(client: TestClient, newsroom: Newsroom, session: Session,
                                name: str) -> None:
    before = counts(session)
    response = client.post(IMPORT, content=HOSTILE_BODIES[name], headers={
        **newsroom.headers["editor"], "Content-Type": "application/json"})
    assert response.status_code in (400, 413, 422), response.status_code
    assert response.headers["content-type"] == "application/problem+json"
    assert counts(session) == before


@pytest.mark.parametrize("name", sorted(hostile_pages()))
def test_the_import_service_refuses_cleanly(session: Session, newsroom: Newsroom,
                                            name: str) -> None:
    """What `khabar import` calls: a refused page is a `PageParseError`, a validation error or
    an invalid article (each of which the CLI prints as one line), never any other exception,
    and leaves nothing behind."""
    before = counts(session)
    # A session like the CLI's: one transaction, rolled back when the import fails.
    with Session(get_write_engine()) as own:
        try:
            import_page(own, hostile_pages()[name], now=datetime.now(UTC),
                        by=own.get(User, newsroom.editor.id), publish=False)
        except (PageParseError, ValidationError, InvalidArticle):
            own.rollback()
            assert counts(session) == before
        else:
            own.rollback()


@pytest.mark.parametrize("name", ["title too long", "NUL"])
def test_the_cli_refuses_hostile_files_in_one_line(tmp_path: Path, database_url: str,
                                                   session: Session, name: str) -> None:
    page = tmp_path / "page.txt"
    page.write_text(hostile_pages()[name], encoding="utf-8", errors="surrogateescape")
    before = counts(session)
    result = subprocess.run([sys.executable, "-m", "app.cli", "import", str(page)],
                            capture_output=True, text=True, timeout=120,
                            env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert result.stderr.startswith("error:"), result.stderr[-500:]
    assert len(result.stderr.strip().splitlines()) == 1
    assert counts(session) == before
