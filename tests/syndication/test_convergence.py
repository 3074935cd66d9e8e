"""Property: a partner replaying the change feed ends with exactly the articles it may see.

Random editorial operations go through the services; between them the partner polls
`/v1/syndication/changes` (a few pages at a time, resuming from its stored cursor) into a dict
mirror. After a final poll the mirror must equal the entitled set, revision for revision.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from app.articles import service as articles_service
from app.articles.models import Article, ArticleCreate, ArticleUpdate, RightsInput
from app.authors.models import Author
from app.partners import service as partners_service
from app.partners.models import Partner, PartnerCreate, PartnerUpdate
from app.syndication.entitlement import visible_to
from app.taxonomy.models import Section

SECTIONS = ("news", "opinion")
ALLOWLISTS = ([], ["news"], ["opinion"], ["news", "opinion"])
slot = st.integers(min_value=0, max_value=5)
operations = st.lists(st.one_of(
    st.tuples(st.just("create"), st.sampled_from(SECTIONS), st.booleans()),
    st.tuples(st.just("edit"), slot),
    st.tuples(st.just("unpublish"), slot),
    st.tuples(st.just("publish"), slot),
    st.tuples(st.just("delete"), slot),
    st.tuples(st.just("restore"), slot),
    st.tuples(st.just("rights"), slot, st.sampled_from(["allowed", "denied"])),
    st.tuples(st.just("section"), slot, st.sampled_from(SECTIONS)),
    st.tuples(st.just("allowlist"), st.sampled_from(ALLOWLISTS)),
    st.tuples(st.just("poll"), st.integers(min_value=1, max_value=3)),
), min_size=1, max_size=12)


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    """Empty every table with DELETE: on these few rows it is far cheaper than PostgreSQL's
    TRUNCATE, which the 200 examples would otherwise spend most of their time in."""
    import app.models  # noqa: F401

    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(text("INSERT INTO counter (name, value) VALUES ('change_seq', 0), "
                          "('content_version', 0)"))


class Mirror:
    def __init__(self, client, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
        self.client, self.headers = client, headers
        self.cursor: str | None = None
        self.articles: dict[str, int] = {}

    def poll(self, pages: int | None = None, limit: int = 2) -> None:
        while pages is None or pages > 0:
            params: dict[str, str | int] = {"limit": limit}
            if self.cursor:
                params["since"] = self.cursor
            body = self.client.get("/v1/syndication/changes", headers=self.headers,
                                   params=params).json()
            for change in body["data"]:
                if change["op"] == "upsert":
                    self.articles[change["id"]] = change["article"]["revision"]
                else:
                    self.articles.pop(change["id"], None)
            self.cursor = body["meta"]["next_cursor"]
            if not body["data"]:
                return
            if pages is not None:
                pages -= 1


def apply(session: Session, partner: Partner, author: str, op: tuple) -> None:  # type: ignore[type-arg]
    now = datetime.now(UTC)
    kind = op[0]
    if kind == "create":
        article = articles_service.create_article(
            session, ArticleCreate(title="T", section=op[1], authors=[author], body_text="Words."),
            by=None, now=now)
        if op[2]:
            articles_service.publish_article(session, article, publish_at=None,
                                             expected_revision=article.revision, by=None, now=now)
        return
    if kind == "allowlist":
        partners_service.update_partner(session, partner, PartnerUpdate(sections=op[1]))
        return
    existing = session.exec(select(Article).order_by(Article.created_at, Article.id)).all()
    if not existing:
        return
    article = existing[op[1] % len(existing)]
    rev = article.revision
    deleted = article.deleted_at is not None
    live = article.status in ("published", "scheduled")
    if deleted and kind not in ("restore", "delete"):
        return  # a trashed article refuses every change but restore (409)
    if kind == "edit":
        articles_service.update_article(session, article, ArticleUpdate(title=f"T{rev}"),
                                        expected_revision=rev, by=None, now=now)
    elif kind == "unpublish" and live:
        articles_service.unpublish_article(session, article, expected_revision=rev, by=None,
                                           now=now)
    elif kind == "publish" and not deleted:
        articles_service.publish_article(session, article, publish_at=None, expected_revision=rev,
                                         by=None, now=now)
    elif kind == "delete" and not deleted:
        articles_service.delete_article(session, article, expected_revision=rev, by=None, now=now)
    elif kind == "restore" and deleted:
        articles_service.restore_article(session, article, expected_revision=rev, by=None, now=now)
    elif kind == "rights":
        articles_service.update_article(
            session, article, ArticleUpdate(rights=RightsInput(syndication=op[2])),
            expected_revision=rev, by=None, now=now)
    elif kind == "section":
        articles_service.update_article(session, article, ArticleUpdate(section=op[2]),
                                        expected_revision=rev, by=None, now=now)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=operations, allowlist=st.sampled_from(ALLOWLISTS))
def test_mirror_converges(engine, session: Session, client, ops, allowlist) -> None:  # type: ignore[no-untyped-def]
    session.rollback()  # an open transaction would block PostgreSQL's TRUNCATE
    session.expunge_all()
    reset(engine)
    now = datetime.now(UTC)
    session.add_all([Section(slug=s, name=s.title()) for s in SECTIONS])
    session.add(Author(slug="a", name="A", created_at=now, updated_at=now))
    session.commit()
    partner, key = partners_service.create_partner(
        session, PartnerCreate(name="P", sections=allowlist), now=now)
    mirror = Mirror(client, {"X-API-Key": key})

    for op in ops:
        if op[0] == "poll":
            mirror.poll(pages=op[1])
        else:
            apply(session, partner, "a", op)
    mirror.poll(limit=100)

    session.expire_all()
    session.refresh(partner)
    expected = dict(session.exec(select(Article.id, Article.revision).where(
        visible_to(partner, datetime.now(UTC)))).all())
    session.rollback()
    assert mirror.articles == expected
