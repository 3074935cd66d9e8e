"""The front page in one request, the editor-set `featured` flag, and related articles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.articles.models import Article
from app.briefs.models import Brief
from app.core.config import get_settings
from app.core.db import get_read_engine
from tests.articles.newsroom import Newsroom, if_match
from tests.articles.test_content_api import assert_problem

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def front(make_section: Callable[..., Any], make_article: Callable[..., Article],
          session: Session) -> dict[str, Any]:
    for slug in ("sports", "news", "business"):
        make_section(slug, slug.title())
    made: dict[str, list[Article]] = {"news": [], "sports": [], "business": []}
    for i in range(7):
        made["news"].append(make_article(f"News {i}", section="news",
                                         published_at=NOW - dt.timedelta(hours=10 - i)))
    for i in range(2):
        made["sports"].append(make_article(f"Sports {i}", section="sports",
                                           published_at=NOW - dt.timedelta(hours=20 - i)))
    make_article("Nepali news", section="news", language="ne")
    make_article("A draft", section="business", status="draft")
    # The publisher's date now, not at collection: Kathmandu's midnight is 18:15 UTC.
    today = dt.datetime.now(dt.UTC).astimezone(get_settings().tz).date()
    session.add_all([
        Brief(date=today, position=0, headline="Today's brief", published_at=NOW,
              created_at=NOW, updated_at=NOW),
        Brief(date=today - dt.timedelta(days=1), position=0, headline="Yesterday's",
              published_at=NOW, created_at=NOW, updated_at=NOW)])
    session.commit()
    return made


def _set_featured(session: Session, article: Article, value: bool = True) -> None:
    article.featured = value
    session.add(article)
    session.commit()


@pytest.mark.usefixtures("front")
class TestFrontPage:
    def test_one_request_has_it_all(self, client: TestClient, front: dict[str, Any],
                                    session: Session) -> None:
        _set_featured(session, front["news"][0])
        r = client.get("/v1/front?language=en")
        assert r.status_code == 200, r.text
        body = r.json()
        assert [c["title"] for c in body["featured"]] == ["News 0"]
        # Sections in navigation order (slug), empty ones (business has only a draft) left out.
        assert [s["section"]["slug"] for s in body["sections"]] == ["news", "sports"]
        news = body["sections"][0]["articles"]
        assert [c["title"] for c in news] == ["News 6", "News 5", "News 4", "News 3", "News 2"]
        assert [c["title"] for c in body["sections"][1]["articles"]] == ["Sports 1", "Sports 0"]
        assert [b["headline"] for b in body["briefs"]] == ["Today's brief"]
        # Cards are the list's cards, byte for byte.
        listed = client.get("/v1/articles?section=news&language=en&limit=5").json()["data"]
        assert news == listed

    def test_language_and_sizes(self, client: TestClient) -> None:
        body = client.get("/v1/front?language=ne&per_section=1").json()
        assert [[c["title"] for c in s["articles"]] for s in body["sections"]] == [
            ["Nepali news"]]
        body = client.get("/v1/front?per_section=2&featured=0").json()
        assert [len(s["articles"]) for s in body["sections"]] == [2, 2]

    @pytest.mark.parametrize("query", ["per_section=0", "per_section=21", "featured=-1",
                                       "language=not a language", "per_section=x"])
    def test_bad_input_is_a_422_problem(self, client: TestClient,
                                        query: str) -> None:
        assert_problem(client.get(f"/v1/front?{query}"), 422)

    def test_a_bounded_number_of_queries(self, client: TestClient,
                                         make_section: Callable[..., Any],
                                         make_article: Callable[..., Article]) -> None:
        def statements(featured: int) -> list[str]:
            seen: list[str] = []

            def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
                seen.append(sql)

            event.listen(get_read_engine(), "before_cursor_execute", record)
            try:  # a query string of its own: a miss of the response cache
                assert client.get(f"/v1/front?featured={featured}").status_code == 200
            finally:
                event.remove(get_read_engine(), "before_cursor_execute", record)
            # Not the BEGINs, nor the response cache's state queries (the content version, and
            # the keys made stale since this worker last looked, once per version move).
            return [s for s in seen if s.startswith("SELECT") and "FROM counter" not in s
                    and "FROM stale_key" not in s]

        few = statements(1)
        for i in range(6):
            make_section(f"extra-{i}", f"Extra {i}")
            make_article(f"Extra {i}", section=f"extra-{i}")
        many = statements(2)
        assert len(many) == len(few) <= 5, many

    def test_cached_and_invalidated(self, client: TestClient, front: dict[str, Any],
                                    make_article: Callable[..., Article]) -> None:
        first = client.get("/v1/front")
        assert first.headers["cache-control"].startswith("public")
        keys = first.headers["surrogate-key"].split()
        assert {"articles", "sections", "briefs", f"article:{front['news'][6].id}"} <= set(keys)
        assert client.get("/v1/front", headers={"If-None-Match": first.headers["etag"]}
                          ).status_code == 304
        make_article("Breaking", section="sports")
        second = client.get("/v1/front")
        assert second.headers["etag"] != first.headers["etag"]
        assert second.json()["sections"][1]["articles"][0]["title"] == "Breaking"


class TestFeatured:
    def test_editors_feature_and_the_list_filters(self, client: TestClient,
                                                  newsroom: Newsroom) -> None:
        article = newsroom.article("Big story", state="published")
        newsroom.article("Small story", state="published")
        r = client.patch(f"/v1/editorial/articles/{article.id}", json={"featured": True},
                         headers=if_match(article, **newsroom.headers["editor"]))
        assert r.status_code == 200, r.text
        assert r.json()["featured"] is True
        assert [a["title"] for a in client.get("/v1/articles?featured=true").json()["data"]
                ] == ["Big story"]
        assert [a["title"] for a in client.get("/v1/articles?featured=false").json()["data"]
                ] == ["Small story"]
        assert [a["title"] for a in client.get("/v1/front").json()["featured"]] == ["Big story"]
        assert_problem(client.get("/v1/articles?featured=yes"), 422)

    def test_writers_cannot_feature(self, client: TestClient, newsroom: Newsroom,
                                    session: Session) -> None:
        article = newsroom.article("Own draft")
        r = client.patch(f"/v1/editorial/articles/{article.id}", json={"featured": True},
                         headers=if_match(article, **newsroom.headers["writer"]))
        assert_problem(r, 403)
        session.expire_all()
        assert session.get(Article, article.id).featured is False  # type: ignore[union-attr]

    def test_null_is_refused(self, client: TestClient, newsroom: Newsroom) -> None:
        article = newsroom.article("Story", state="published")
        r = client.patch(f"/v1/editorial/articles/{article.id}", json={"featured": None},
                         headers=if_match(article, **newsroom.headers["editor"]))
        assert_problem(r, 422)


class TestRelated:
    @pytest.fixture
    def graph(self, make_section: Callable[..., Any],
              make_article: Callable[..., Article]) -> dict[str, Article]:
        make_section("news", "News")
        make_section("sport", "Sport")
        t = NOW - dt.timedelta(days=1)
        return {
            "source": make_article("Monsoon floods hit Terai", section="news",
                                   tags=["monsoon", "floods"], published_at=t),
            "two_tags": make_article("Relief after floods", section="sport",
                                     tags=["monsoon", "floods"], published_at=t),
            "tag_section": make_article("Rain warnings", section="news", tags=["monsoon"],
                                        published_at=t),
            "section_words": make_article("Monsoon floods hit hills", section="news",
                                          published_at=t),
            "section_only": make_article("Budget speech", section="news", published_at=t),
            "other_language": make_article("Monsoon floods ne", section="news",
                                           tags=["monsoon", "floods"], language="ne",
                                           published_at=t),
            "unrelated": make_article("Cricket final", section="sport", published_at=t),
            "draft": make_article("Floods draft", section="news", tags=["monsoon", "floods"],
                                  status="draft"),
        }

    def test_best_first_same_language_never_itself(self, client: TestClient,
                                                    graph: dict[str, Article]) -> None:
        r = client.get(f"/v1/articles/{graph['source'].slug}/related")
        assert r.status_code == 200, r.text
        ids = [c["id"] for c in r.json()["data"]]
        assert ids == [graph[k].id for k in ("two_tags", "tag_section", "section_words",
                                             "section_only")]
        assert r.headers["cache-control"].startswith("public")
        assert f"article:{graph['source'].id}" in r.headers["surrogate-key"].split()
        assert client.get(f"/v1/articles/{graph['source'].slug}/related?limit=2"
                          ).json()["data"] == r.json()["data"][:2]

    def test_stable_order_on_ties(self, client: TestClient, make_section: Callable[..., Any],
                                  make_article: Callable[..., Article]) -> None:
        make_section("news", "News")
        same = NOW - dt.timedelta(hours=1)
        source = make_article("Alpha", section="news", published_at=same)
        others = [make_article(f"Item {i}", section="news", published_at=same) for i in range(4)]
        got = [c["id"] for c in client.get(f"/v1/articles/{source.slug}/related").json()["data"]]
        assert got == sorted((a.id for a in others), reverse=True)

    def test_unknown_and_unpublished_are_404(self, client: TestClient,
                                             graph: dict[str, Article]) -> None:
        assert_problem(client.get("/v1/articles/nope/related"), 404)
        assert_problem(client.get(f"/v1/articles/{graph['draft'].slug}/related"), 404)
        for bad in ("0", "21", "x"):
            assert_problem(client.get(f"/v1/articles/{graph['source'].slug}/related?limit={bad}"),
                           422)
