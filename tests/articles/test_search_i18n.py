"""`GET /v1/search` in Nepali and English: highlights, totals, prefixes and bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.articles import search, search_text
from app.articles.models import Article

ZWJ, ZWNJ = "\u200d", "\u200c"


def test_highlight_marks_matches_and_escapes_the_rest(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    article = make_article("नेपालको <b>राजनीति</b> & ministers", language="ne",
                           excerpt="संसदमा नेपालमा बहस", body_text="Body.")
    body = client.get("/v1/search", params={"q": "नेपाल"}).json()
    [hit] = body["data"]
    assert hit["id"] == article.id
    assert hit["highlight"] == {
        "title": "<mark>नेपालको</mark> &lt;b&gt;राजनीति&lt;/b&gt; &amp; ministers",
        "snippet": "संसदमा <mark>नेपालमा</mark> बहस"}
    assert body["meta"]["total"] == 1
    assert body["meta"]["total_relation"] == "eq"


def test_snippet_comes_from_the_body_when_the_excerpt_does_not_match(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    words = " ".join(["filler"] * 60)
    make_article("Budget day", language="en", excerpt="An excerpt without it.",
                 body_text=f"{words} the ministers <agreed> on hydropower. {words}")
    [hit] = client.get("/v1/search", params={"q": "hydro"}).json()["data"]
    snippet = hit["highlight"]["snippet"]
    assert "<mark>hydropower</mark>" in snippet
    assert "&lt;agreed&gt;" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert hit["highlight"]["title"] == "Budget day"


def test_total_counts_past_the_page_and_says_gte_past_the_cap(
        client: TestClient, make_article: Callable[..., Article],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(4):
        make_article(f"Monsoon update {n}", language="en")
    body = client.get("/v1/search", params={"q": "monsoon", "limit": 1}).json()
    assert body["meta"]["total"] == 4
    assert body["meta"]["total_relation"] == "eq"
    monkeypatch.setattr(search, "TOTAL_CAP", 3)
    body = client.get("/v1/search", params={"q": "monsoon", "limit": 2}).json()  # not cached
    assert body["meta"]["total"] == 3
    assert body["meta"]["total_relation"] == "gte"


def test_a_word_with_joiners_matches_it_without(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    with_joiner = make_article(f"आयोगले निर्णय गर{ZWJ}्यो", language="ne")
    assert [h["id"] for h in client.get("/v1/search", params={"q": "गर्यो"}).json()["data"]] \
        == [with_joiner.id]
    hit = client.get("/v1/search", params={"q": f"गर्{ZWNJ}यो"}).json()["data"]
    assert [h["id"] for h in hit] == [with_joiner.id]
    assert f"<mark>गर{ZWJ}्यो</mark>" in hit[0]["highlight"]["title"]


def test_language_filter_applies(client: TestClient,
                                 make_article: Callable[..., Article]) -> None:
    make_article("Hydropower in Nepal", language="en")
    nepali = make_article("Hydropower मा लगानी", language="ne")
    found = client.get("/v1/search", params={"q": "hydropower", "language": "ne"}).json()
    assert [h["id"] for h in found["data"]] == [nepali.id]
    assert found["meta"]["total"] == 1


BAD = [
    "the of and",                 # stopwords only
    "र को मा",                   # Nepali stopwords only
    "!!! ... ।।",                 # punctuation only
    '"unbalanced quote',
    "NEAR(a b) AND -c OR title:x", # FTS5 operators
    "a & b | !c <-> d:*",          # tsquery operators
    "'':* \\ %_ ^",
    "नेपाल cricket ministers",     # mixed scripts
    f"{ZWJ}{ZWNJ}{ZWJ}",           # joiners only
    f"ने{ZWJ}पा{ZWNJ}ल",
    "क" * 200,                     # 200 Devanagari characters, one word
    "कि " * 66,                    # many words
    "ॐ २०८१ ०",
    "\u0301\u094d",                # combining marks alone
]


@pytest.mark.parametrize("q", BAD)
@pytest.mark.parametrize("sort", ["-relevance", "-published_at"])
def test_bad_input_is_never_a_500(client: TestClient, make_article: Callable[..., Article],
                                  q: str, sort: str) -> None:
    make_article("नेपालको राजनीति", language="ne", body_text="Cricket ministers.")
    response = client.get("/v1/search", params={"q": q, "sort": sort})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        body = response.json()
        assert body["meta"]["total"] == len(body["data"])
        assert body["meta"]["total_relation"] == "eq"


@pytest.mark.parametrize(("q", "asked"), [
    # The unstemmed variant's prefix `minis` implies the stemmed one's `mini`: one is asked.
    ("school health minis", [("school", "health", "mini")]),
    ("सरकार बजेट विका", [("सरकार", "बजेट", "वि")]),
    ("the budget", [("budget",)]),  # a stopword in one configuration only
    # Different whole words: neither implies the other, both are asked.
    ("government budget pol", [("government", "budget", "pol"), ("govern", "budget", "pol")]),
    ("नेपालको राजनीति", [("नेपाल", "राजनीति"), ("नेपालको", "राजनीति")]),
])
def test_a_variant_another_implies_is_not_asked(q: str, asked: list[tuple[str, ...]]) -> None:
    terms = search_text.parse(q)
    assert [lexemes for _, lexemes in terms.matching()] == asked
    assert {lexemes for _, lexemes in terms.variants} >= set(asked)


def test_dropping_an_implied_variant_finds_the_same(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    # `ministers` in an article of no stemmed language is indexed whole: the dropped variant's
    # prefix (`minis`) and the kept one's (`mini`) both find it; `minimum` only the kept one,
    # exactly as asking both would.
    other = make_article("School health ministers", language="fr")
    english = make_article("School health ministry", language="en")
    also = make_article("School health minimum", language="de")
    ids = {h["id"] for h in client.get("/v1/search", params={"q": "school health minis"})
           .json()["data"]}
    assert ids == {other.id, english.id, also.id}


def test_the_documented_caps_are_the_code_s(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    meta = schema["components"]["schemas"]["SearchMeta"]["properties"]
    assert f"up to {search.TOTAL_CAP:,}" in meta["total"]["description"]
    assert f"more than {search.TOTAL_CAP:,} match" in meta["total_relation"]["description"]
    description = " ".join(schema["paths"]["/v1/search"]["get"]["description"].split())
    assert f"exact up to {search.TOTAL_CAP:,}" in description
    assert f"**{search.CANDIDATES:,} newest matches**" in description
