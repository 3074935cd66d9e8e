"""OWASP API1:2023 Broken Object Level Authorization.

Asserted over the matrix of tests/security/table.py: every route x every credential x objects
in every state (articles: draft, revised draft, scheduled, published, deleted, unpublished,
published with syndication denied, published outside the partner's sections, another writer's
draft, a missing id; briefs published, unpublished, deleted and pointing at another writer's
draft; authors, sections, tags, users and partners of each kind):

* each object answers each caller with the table's status. The Content API shows only public
  articles (404 for the others, exactly as for a missing slug); a partner gets only what its
  rights and allowlist give it (404 otherwise, as for a missing id); a writer meets only their
  own, undeleted articles (404 for another writer's draft or their own deleted article, before
  any role check, so ids cannot be probed) and edits only their own drafts and author profile.
* no hidden object leaks into any response: the marker word, id and slug of every hidden
  article and the headline of every unpublished or deleted brief never appear in a Content,
  operations or documentation response, for any credential; Syndication responses also never
  show a rights-denied or out-of-allowlist article (change-feed tombstones name only the id to
  take down); a writer's Editorial responses never show another writer's draft or their own
  deleted article (briefs pointing at one included); callers the Editorial API refuses learn
  nothing at all.
* a hidden object and a missing one answer with the same problem, so a 404 reveals nothing.

The partner's usage report shows only its own counts: tests/syndication/test_router.py
(`TestUsage.test_counts_per_route_and_isolation`).
"""

from __future__ import annotations

import json

import pytest

from tests.security.leaks import leaked_objects
from tests.security.runner import Exchange, MatrixRun
from tests.security.table import MISSING, TABLE

KEYS = sorted(TABLE)
OBJECT_KEYS = sorted(k for k, spec in TABLE.items() if set(spec.expect) - {"-"})


def _object_level(exchange: Exchange) -> bool:
    return exchange.expected not in (401, 403) and exchange.target != "-"


@pytest.mark.parametrize("key", OBJECT_KEYS)
def test_each_object_answers_each_caller_as_the_table_says(matrix: MatrixRun, key: str) -> None:
    wrong = [f"{e}: {e.status}, expected {e.expected}: {e.text[:200]}"
             for e in matrix.of(key) if _object_level(e) and e.status != e.expected]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("key", KEYS)
def test_no_hidden_object_in_any_response(matrix: MatrixRun, key: str) -> None:
    leaks = [f"{e}: {found}" for e in matrix.of(key)
             if (found := leaked_objects(e, matrix.forbidden))]
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("key", [
    "GET /v1/articles/{slug}",
    "GET /v1/syndication/articles/{article_id}",
    "GET /v1/editorial/articles/{article_id}",
    "PATCH /v1/editorial/articles/{article_id}",
    "GET /v1/authors/{slug}",
])
def test_a_hidden_object_answers_like_a_missing_one(matrix: MatrixRun, key: str) -> None:
    def shape(e: Exchange) -> tuple[int, str, str]:
        doc = json.loads(e.body)
        return e.status, doc["type"], doc["title"]

    # Callers who asked for a missing object too (the forged tokens meet one object only).
    missing = {e.credential for e in matrix.of(key) if e.target == MISSING and e.status == 404}
    by_caller: dict[str, set[tuple[int, str, str]]] = {}
    for e in matrix.of(key):
        if e.status == 404 and e.credential in missing:
            by_caller.setdefault(e.credential, set()).add(shape(e))
    assert by_caller, key
    assert all(len(shapes) == 1 for shapes in by_caller.values()), by_caller
