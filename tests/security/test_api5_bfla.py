"""OWASP API5:2023 Broken Function Level Authorization.

Asserted, for every route of the app (enumerated from `app.routes`: a route added without an
entry in tests/security/table.py fails `test_every_route_has_an_expectation`) and every
credential (none; a garbage, expired, unsigned `alg=none` or wrongly signed token; a valid token
of a disabled admin or of a deleted user; a revoked and a valid partner key; writer, editor and
admin tokens):

* the function answers as the contract says: 401 with a `WWW-Authenticate` challenge when the
  surface's credential is missing or not valid (a partner key is no newsroom token, and a
  newsroom token is no partner key), 403 when a newsroom user's role is below the function's
  (writers write drafts; editors publish, delete and run briefs, sections and tags; admins
  restore and run users, partners and deletions of authors, sections and tags), and the
  function's own answer to everyone it admits;
* every refusal is an RFC 9457 problem, and refused calls change nothing (every stored row of
  the world is the same after the matrix as before);
* answers to authenticated surfaces are `private, no-store`, never cacheable;
* public functions (Content API, operations, documentation) answer every credential alike: a
  newsroom token or a partner key never unlocks more there (no draft preview through a token).

Every credential meets every object state of every route, except the six tokens that fail
authentication itself (garbage, expired, `alg=none`, wrong key, disabled admin, deleted user):
they meet each route's first object, as nothing past authentication ever sees them.
Object-level answers (which article a writer may see) are judged in test_api1_bola.py.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from tests.security.runner import Exchange, MatrixRun
from tests.security.table import TABLE
from tests.security.world import CREDENTIALS

KEYS = sorted(TABLE)


def test_every_route_has_an_expectation(matrix: MatrixRun) -> None:
    unlisted = sorted(matrix.routes - set(TABLE))
    stale = sorted(set(TABLE) - matrix.routes)
    assert not unlisted, f"routes with no expectation in tests/security/table.py: {unlisted}"
    assert not stale, f"expectations for routes the app no longer has: {stale}"


def _function_level(exchange: Exchange) -> bool:
    return exchange.expected in (401, 403) or exchange.target == "-"


@pytest.mark.parametrize("key", KEYS)
def test_each_credential_gets_the_contract_status(matrix: MatrixRun, key: str) -> None:
    wrong = [f"{e}: {e.status}, expected {e.expected}: {e.text[:200]}"
             for e in matrix.of(key) if _function_level(e) and e.status != e.expected]
    assert not wrong, "\n".join(wrong)


def test_refusals_are_problems_with_a_challenge(matrix: MatrixRun) -> None:
    wrong = []
    for e in matrix.exchanges:
        if e.status >= 400 and not e.headers.get("content-type", "").startswith(
                "application/problem+json"):
            wrong.append(f"{e}: {e.status} as {e.headers.get('content-type')}")
        if e.status == 401 and not e.headers.get("www-authenticate", "").startswith("Bearer"):
            wrong.append(f"{e}: 401 without a Bearer challenge")
    assert not wrong, "\n".join(wrong)


def test_refused_calls_change_nothing(matrix: MatrixRun) -> None:
    assert matrix.fingerprint_after == matrix.fingerprint_before


def test_authenticated_surfaces_are_never_cacheable(matrix: MatrixRun) -> None:
    wrong = [f"{e}: Cache-Control {e.headers.get('cache-control')!r}"
             for e in matrix.exchanges
             if e.surface in ("editorial", "syndication")
             and "no-store" not in e.headers.get("cache-control", "")
             and "private" not in e.headers.get("cache-control", "")]
    assert not wrong, "\n".join(wrong)


def test_public_functions_answer_every_credential_alike(matrix: MatrixRun) -> None:
    answers: dict[tuple[str, str], set[tuple[int, bytes]]] = defaultdict(set)
    for e in matrix.exchanges:
        # /metrics counts the requests themselves, so no two answers are alike.
        if TABLE[e.key].gate == "public" and e.key != "GET /metrics":
            answers[(e.key, e.target)].add((e.status, e.body))
    differing = [f"{key} [{target}]" for (key, target), seen in answers.items() if len(seen) > 1]
    assert answers
    assert not differing, f"answers that depend on the caller's credential: {differing}"


def test_the_matrix_covers_every_route_credential_and_target(matrix: MatrixRun) -> None:
    """A guard on the suite itself: every table entry was called for every target."""
    seen = {(e.key, e.target) for e in matrix.exchanges}
    assert seen == {(key, target) for key, spec in TABLE.items() for target in spec.expect}
    assert len(matrix.exchanges) > 1800
    assert {e.credential for e in matrix.exchanges} == set(CREDENTIALS)
