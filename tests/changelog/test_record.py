"""What the change log records: nothing for what the public cannot see; for what it can, one
sequence number per article and every Surrogate-Key that went stale (issue 19, items 11, 12)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import ArticleUpdate
from app.briefs.models import Brief
from app.core.config import get_settings
from app.core.counters import CHANGE_SEQ, CONTENT_VERSION, read
from tests.core.test_purge import Receiver


def utcnow() -> datetime:
    return datetime.now(UTC)


def _rev(article) -> dict:  # type: ignore[no-untyped-def]
    return {"expected_revision": article.revision, "by": None, "now": utcnow()}


def counters(session: Session) -> tuple[int, int]:
    session.rollback()
    return read(session, CHANGE_SEQ), read(session, CONTENT_VERSION)


class TestInvisibleWrites:
    def test_drafts_bump_nothing_move_nothing_purge_nothing(
            self, client, session, make_article, receiver: Receiver):
        make_article()
        listed = client.get("/v1/articles")
        before = counters(session)
        time.sleep(1.1)  # Last-Modified has a one-second resolution
        draft = make_article(status="draft")
        articles_service.update_article(session, draft, ArticleUpdate(title="Edited draft"),
                                        **_rev(draft))
        assert counters(session) == before
        again = client.get("/v1/articles")
        assert again.headers["last-modified"] == listed.headers["last-modified"]
        assert again.headers["etag"] == listed.headers["etag"]
        # A public change after it is purged; the draft's keys never were.
        public = make_article()
        receiver.wait_for(f"article:{public.id}")
        assert f"article:{draft.id}" not in receiver.purged()

    def test_a_draft_and_its_saves_read_and_write_none_of_the_change_log(
            self, session, make_article, make_author, make_section):
        """The bookkeeping is skipped, not merely found to be empty: no statement of a draft's
        creation or save (bylines, section, tags, body) touches the change log, the webhook
        outbox and viewers, or the authors' counts."""
        make_section("news")
        author, other = make_author(), make_author()
        seen: list[str] = []

        def record(_conn, _cursor, sql, *_) -> None:  # type: ignore[no-untyped-def]
            seen.append(sql.lower())

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            draft = make_article(status="draft", authors=[author.slug], section="news",
                                 tags=["budget"])
            articles_service.update_article(session, draft, ArticleUpdate(
                title="Saved", body_text="A new paragraph.", authors=[other.slug], tags=[]),
                **_rev(draft))
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert any("update article " in s for s in seen), seen
        bookkeeping = ("article_change", "change_scope", "counter", "stale_key", "webhook",
                       "live_articles")
        assert [s for s in seen if any(name in s for name in bookkeeping)] == []

    def test_a_published_edit_moves_last_modified(self, client, session, make_article):
        article = make_article()
        listed = client.get("/v1/articles")
        time.sleep(1.1)
        articles_service.update_article(session, article, ArticleUpdate(title="New"),
                                        **_rev(article))
        assert client.get("/v1/articles").headers["last-modified"] != \
            listed.headers["last-modified"]


class TestPurgeKeys:
    def test_publish_purges_author_lists_and_linked_briefs(
            self, session, make_article, make_author, make_section, receiver: Receiver):
        make_section("news")
        author = make_author()
        draft = make_article(status="draft", authors=[author.slug], section="news")
        now = utcnow()
        session.add(Brief(headline="H", summary="S", date=now.date(), position=1,
                          article_id=draft.id, published_at=now, created_at=now,
                          updated_at=now))
        session.commit()
        articles_service.publish_article(session, draft, publish_at=None, **_rev(draft))
        receiver.wait_for(f"article:{draft.id}")
        assert {"authors", "briefs", "articles", f"author:{author.id}",
                "section:news"} <= receiver.purged()

    def test_a_byline_change_purges_the_old_author(
            self, session, make_article, make_author, receiver: Receiver):
        old, new = make_author(), make_author()
        article = make_article(authors=[old.slug])
        receiver.calls.clear()
        articles_service.update_article(session, article, ArticleUpdate(authors=[new.slug]),
                                        **_rev(article))
        receiver.wait_for(f"author:{new.id}")
        assert f"author:{old.id}" in receiver.purged()

    def test_an_old_slug_redirect_is_cached_and_keyed(self, client, session, make_article):
        article = make_article(slug="first-slug")
        articles_service.update_article(session, article, ArticleUpdate(slug="second-slug"),
                                        **_rev(article))
        r = client.get("/v1/articles/first-slug", follow_redirects=False)
        assert r.status_code == 301
        assert r.headers["surrogate-key"] == f"article:{article.id}"
        assert f"max-age={get_settings().cache_max_age}" in r.headers["cache-control"]
        assert r.headers["cache-control"].startswith("public")
