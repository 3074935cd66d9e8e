"""The row renderer (app/articles/public_reads.py) answers exactly what the model-based
presenters (tests/articles/reference_presenters.py) answer: the same bytes, for every kind of
field a card or an article has, on every surface (list, detail, sync, partners, the newsroom,
previews)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import public_reads, queries
from app.articles.models import Article
from app.core.listing import JSON_OPTIONS, dump
from app.core.pagination import encode_cursor
from tests.articles import reference_presenters as presenters

BLOCKS: list[dict[str, Any]] = [
    {"type": "paragraph", "text": "Kathmandu <strong>rises</strong> — काठमाडौं &amp; more"},
    {"type": "heading", "text": "A heading", "level": 3},
    {"type": "pullquote", "text": "Quoted words"},
    {"type": "blockquote", "text": "Said once", "cite": "A <b>source</b>"},
    {"type": "list", "ordered": True, "items": ["one", "<em>two</em>"]},
    {"type": "image", "url": "https://example.com/a.jpg", "caption": "Caption", "credit": None},
    {"type": "embed", "url": "https://example.com/v", "provider": "Video"},
]
FORMATS = [(), ("blocks", "html"), ("text",), ("blocks", "html", "text")]


@pytest.fixture
def varied(make_article: Callable[..., Article], make_section: Callable[..., Any],
           make_author: Callable[..., Any]) -> list[Article]:
    make_section("news", "News")
    bio = make_author("Asha Reporter", bio="Writes about rivers.", title="Correspondent",
                      avatar_url="https://example.com/asha.png")
    plain = make_author("Bikash Plain")
    # Microseconds on purpose: they must come out as pydantic writes them.
    when = datetime(2026, 3, 14, 3, 13, 0, 123456, tzinfo=UTC)
    return [
        make_article("Full", section="news", tags=["weather", "Kathmandu Valley"],
                     authors=[plain.slug, bio.slug], subtitle="Sub", excerpt="Short",
                     body=BLOCKS, image={"url": "https://example.com/i.jpg", "width": 800,
                                         "caption": "Rain"},
                     source={"name": "Project Syndicate", "url": "https://ps.example"},
                     rights={"copyright_holder": "Project Syndicate", "syndication": "denied",
                             "usage_terms": "No reuse"},
                     canonical_url="https://example.com/full", language="en",
                     published_at=when),
        make_article("Bare", published_at=when - timedelta(hours=1)),
        make_article("नेपाली शीर्षक", language="ne", body_text="पहिलो अनुच्छेद।",
                     published_at=when.replace(microsecond=0) - timedelta(hours=2)),
    ]


def _model_cards(session: Session, formats: tuple[str, ...]) -> bytes:
    now = datetime.now(UTC)
    ids, cursor = queries.page_ids(session, queries.ArticleFilters(), now=now,
                                   sort="-published_at", limit=2, cursor=None)
    items = presenters.cards(session, [session.get_one(Article, i) for i in ids], formats)
    return orjson.dumps([dump(i) for i in items], option=JSON_OPTIONS) + (cursor or "").encode()


def _row_cards(session: Session, formats: tuple[str, ...]) -> bytes:
    page = asyncio.run(public_reads.card_page(
        session.get_bind(), queries.ArticleFilters(), now=datetime.now(UTC),
        sort="-published_at", limit=2, cursor=None, formats=formats))
    assert page.last_change == queries.last_change(session, datetime.now(UTC))
    return (orjson.dumps([dump(i) for i in page.cards], option=JSON_OPTIONS)
            + (page.next_cursor or "").encode())


@pytest.mark.usefixtures("varied")
@pytest.mark.parametrize("formats", FORMATS)
def test_cards_are_the_models_bytes(session: Session, formats: tuple[str, ...]) -> None:
    assert _row_cards(session, formats) == _model_cards(session, formats)


@pytest.mark.parametrize("formats", FORMATS[1:])
def test_detail_is_the_models_bytes(session: Session, varied: list[Article],
                                    formats: tuple[str, ...]) -> None:
    now = datetime.now(UTC)
    for article in varied:
        found = asyncio.run(public_reads.public_article(session.get_bind(), article.slug, now,
                                                        formats))
        assert found is not None
        item, author_ids = found
        model = presenters.full(session, queries.get_public(session, article.slug, now), formats)
        assert orjson.dumps(item, option=JSON_OPTIONS) == orjson.dumps(dump(model))
        assert author_ids == [a.id for a in model.authors]


def test_sparse_fields_keep_field_order(client: TestClient, varied: list[Article]) -> None:
    listed = client.get("/v1/articles?fields=title,id,updated_at").json()["data"]
    assert [list(item) for item in listed] == [["id", "title", "updated_at"]] * len(varied)
    detail = client.get(f"/v1/articles/{varied[0].slug}?fields=rights,slug").json()
    assert list(detail) == ["slug", "rights"]


def test_a_cursor_from_the_future_reveals_nothing_scheduled(
        client: TestClient, make_article: Callable[..., Article]) -> None:
    # The list asks the visibility rule at the earlier of now and the cursor's time (an index
    # bound for SQLite); a crafted cursor after now must not move the rule's clock forward.
    make_article("Out now")
    make_article("Embargoed", status="scheduled",
                 published_at=datetime.now(UTC) + timedelta(days=2))
    future = encode_cursor("-published_at", [datetime.now(UTC) + timedelta(days=3), "z" * 32])
    listed = client.get("/v1/articles", params={"cursor": future})
    assert listed.status_code == 200
    assert [a["title"] for a in listed.json()["data"]] == ["Out now"]


@pytest.mark.parametrize("full", [False, True])
def test_pages_by_id_are_the_models_bytes(session: Session, varied: list[Article],
                                          make_article: Callable[..., Article],
                                          full: bool) -> None:
    """The public sync's pages (`public_by_id`): cards, or details with blocks and HTML; an
    article not public is left out."""
    hidden = make_article("Draft", status="draft")
    now = datetime.now(UTC)
    ids = [hidden.id] + [a.id for a in reversed(varied)]
    found = public_reads.public_by_id(session.connection(), now, ids, full=full)
    assert set(found) == {a.id for a in varied}
    for article in varied:
        model = (presenters.full(session, article) if full
                 else presenters.cards(session, [article])[0])
        assert (orjson.dumps(dump(found[article.id]), option=JSON_OPTIONS)
                == orjson.dumps(dump(model)))


def test_syndicated_articles_are_the_models_bytes(session: Session, varied: list[Article],
                                                  make_article: Callable[..., Article]) -> None:
    """What partners receive (`syndicated_by_id`): the detail with every body format, without
    structured data and translations, plus `revision`; `embargoed_until` only for an article
    not yet public (chosen by the caller: there is no visibility rule in this read)."""
    later = datetime.now(UTC) + timedelta(days=1)
    early = make_article("Embargoed", status="scheduled", published_at=later)
    now = datetime.now(UTC)
    found = public_reads.syndicated_by_id(session.connection(), now,
                                          [a.id for a in [*varied, early]])
    for article in [*varied, early]:
        model = presenters.full(session, article, ("blocks", "html", "text"),
                                with_structured_data=False)
        expected = {k: v for k, v in dump(model).items() if k != "translations"}
        expected["revision"] = article.revision
        if article is early:
            expected["embargoed_until"] = orjson.loads(orjson.dumps(later, option=JSON_OPTIONS))
        assert orjson.dumps(found[article.id], option=JSON_OPTIONS) == orjson.dumps(expected)


@pytest.mark.parametrize("full", [False, True])
def test_the_newsrooms_articles_are_the_models_with_bookkeeping(
        session: Session, varied: list[Article], make_article: Callable[..., Article],
        full: bool) -> None:
    """`editorial_by_id`: every status, the public shape (the detail without JSON-LD, or the
    card) plus status, revision and the rest; a scheduled article whose time has come reads as
    published."""
    draft = make_article("Draft", status="draft")
    due = make_article("Due", status="scheduled",
                       published_at=datetime.now(UTC) - timedelta(minutes=1))
    articles = [*varied, draft, due]
    now = datetime.now(UTC)
    found = public_reads.editorial_by_id(session.connection(), now, [a.id for a in articles],
                                         full=full)
    for article in articles:
        model = (presenters.full(session, article, with_structured_data=False) if full
                 else presenters.cards(session, [article])[0])
        expected = {**dump(model), "status": "published" if article is due else article.status,
                    "revision": article.revision, "created_at": article.created_at,
                    "deleted_at": None, "created_by_id": article.created_by_id,
                    "featured": article.featured}
        assert (orjson.dumps(found[article.id], option=JSON_OPTIONS)
                == orjson.dumps(expected, option=JSON_OPTIONS))


def test_a_preview_is_the_detail_to_come(session: Session, varied: list[Article],
                                         make_article: Callable[..., Article]) -> None:
    """`preview`: any status, exactly as the public detail will show it."""
    draft = make_article("Draft", status="draft", body=BLOCKS)
    now = datetime.now(UTC)
    for article in [*varied, draft]:
        found = public_reads.preview(session.connection(), now, article.id)
        assert orjson.dumps(found, option=JSON_OPTIONS) == orjson.dumps(
            dump(presenters.full(session, article)))
    assert public_reads.preview(session.connection(), now, "0" * 32) is None
