"""Every timestamp in every answer is UTC: `Z` in JSON (ninjs and JSON-LD included), RFC 822
`+0000` in RSS, a zero offset in Atom and sitemaps. The security suite's matrix has called every
route with every credential on a world with an object of every kind in every state; this walks
every successful GET answer it recorded, on the public, Editorial and Syndication APIs."""

from __future__ import annotations

import json
import re

from lxml import etree

from tests.interop.checks import UTC_Z, check_atom, check_rss, timestamps
from tests.security.runner import MatrixRun

W3C_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_every_timestamp_is_utc(matrix: MatrixRun) -> None:
    wrong: list[str] = []
    checked: dict[str, int] = {}
    for e in matrix.exchanges:
        if not e.key.startswith("GET ") or e.status != 200:
            continue
        media = e.headers.get("content-type", "")
        count = 0
        if "json" in media:
            for where, value in timestamps(json.loads(e.body)):
                count += 1
                if not UTC_Z.match(value):
                    wrong.append(f"{e.url} {where}: {value}")
        elif media.startswith("application/rss+xml"):
            count = len(check_rss(e.body)) + 1
        elif media.startswith("application/atom+xml"):
            count = len(check_atom(e.body)) + 1
        elif media.startswith("application/xml"):
            for element in etree.fromstring(e.body).iter():
                if isinstance(element.tag, str) and element.tag.endswith(
                        ("}lastmod", "}publication_date")):
                    count += 1
                    if not W3C_UTC.match(element.text or ""):
                        wrong.append(f"{e.url} {element.tag}: {element.text}")
        checked[e.key] = checked.get(e.key, 0) + count
    assert not wrong, "\n".join(wrong[:40])
    # The walk saw timestamps on every surface, ninjs and structured data included.
    for key in ("GET /v1/articles", "GET /v1/articles/{slug}", "GET /v1/editorial/articles",
                "GET /v1/syndication/articles", "GET /v1/syndication/changes",
                "GET /v1/feeds/latest.{kind}", "GET /v1/syndication/feed.{kind}",
                "GET /v1/sitemaps/articles.xml", "GET /v1/sitemaps/index.xml"):
        assert checked.get(key), key
    ninjs = [e for e in matrix.exchanges if e.status == 200 and "format=ninjs" in e.url]
    assert ninjs, "no ninjs answer was walked"
