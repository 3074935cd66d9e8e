"""The stale keys each content version made stale (`stale_key`): what the response caches of
every process read to drop only the pages a change shows up on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from app.articles import service as articles_service
from app.articles.models import Article, ArticleUpdate
from app.changelog import record as changes
from app.changelog.models import EVERYTHING, MAX_STALE_KEYS, STALE_KEYS_KEPT, StaleKey
from app.changelog.schedule import prune_stale_keys
from app.core.counters import CONTENT_VERSION, read


def keys_at(session: Session, version: int) -> set[str]:
    return set(session.exec(select(StaleKey.key).where(StaleKey.version == version)).all())


def test_each_version_has_the_keys_of_what_it_changed(
        session: Session, make_article: Callable[..., Article],
        make_author: Callable[..., Any]) -> None:
    author = make_author("Desk")
    article = make_article("Budget", authors=[author.slug])
    before = read(session, CONTENT_VERSION)
    session.rollback()
    articles_service.update_article(session, article, ArticleUpdate(title="Budget, edited"),
                                    expected_revision=article.revision, by=None,
                                    now=datetime.now(UTC))
    version = read(session, CONTENT_VERSION)
    assert version == before + 1
    assert keys_at(session, version) >= {"articles", f"article:{article.id}",
                                         f"author:{author.id}"}
    draft = make_article("Draft", status="draft")
    articles_service.update_article(session, draft, ArticleUpdate(title="Draft, saved"),
                                    expected_revision=draft.revision, by=None,
                                    now=datetime.now(UTC))
    assert read(session, CONTENT_VERSION) == version  # a draft is no change: no version, no key


def test_no_keys_or_too_many_mean_everything(session: Session) -> None:
    changes.content_changed(session)
    session.commit()
    assert keys_at(session, read(session, CONTENT_VERSION)) == {EVERYTHING}
    changes.content_changed(session, *(f"article:{i}" for i in range(MAX_STALE_KEYS + 1)))
    session.commit()
    assert keys_at(session, read(session, CONTENT_VERSION)) == {EVERYTHING}


def test_keys_older_than_the_kept_versions_are_pruned(session: Session) -> None:
    session.execute(text("UPDATE counter SET value = :v WHERE name = 'content_version'"),
                    {"v": STALE_KEYS_KEPT + 5})
    session.add_all([StaleKey(version=v, key="articles") for v in (4, 5, 6)])
    session.commit()
    prune_stale_keys(session)
    assert session.exec(select(StaleKey.version)).all() == [6]
