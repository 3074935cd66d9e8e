"""Translation groups: an article names the article it translates (`translation_of`), and the
two, with every other translation of either, share `article.translation_group` (the id of the
group's first article). Details list the group's other public articles; the news sitemap links
them with hreflang alternates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from app.articles.errors import InvalidArticle
from app.articles.models import Article
from app.articles.visibility import is_public
from app.changelog import record as changes
from app.core.db import UTCDateTime
from app.core.prepared import Prepared

A = Article.__table__.c


def _refuse(message: str) -> InvalidArticle:
    return InvalidArticle(message, errors=[{"loc": ["body", "translation_of"], "msg": message}])


def group_for(session: Session, target_id: str, *, article_id: str | None,
              language: str) -> str:
    """The group an article in `language` joins by translating `target_id` (flushes the
    target's group when it starts one). 422: itself, a missing or deleted article, or a group
    that already has a live article in this language."""
    if target_id == article_id:
        raise _refuse("An article cannot be a translation of itself")
    target = session.get(Article, target_id)
    if target is None or target.deleted_at is not None:
        raise _refuse(f"No live article with id {target_id!r}")
    group = target.translation_group or target.id
    same = session.scalars(select(col(Article.id)).where(
        (col(Article.translation_group) == group) | (col(Article.id) == target.id),
        col(Article.deleted_at).is_(None), col(Article.language) == language,
        col(Article.id) != (article_id or ""))).first()
    if same is not None:
        raise _refuse(f"Article {same!r} of this group is already in {language!r}")
    if target.translation_group is None:
        target.translation_group = group
        session.add(target)
        session.flush()
    changes.article_changed(session, [target.id])  # its `translations` change
    return group


def _statement() -> Any:
    other = Article.__table__.alias("other")
    return (select(A.language, A.id, A.slug)
            .where(is_public(bindparam("now", type_=UTCDateTime())),
                   A.translation_group == select(other.c.translation_group)
                   .where(other.c.id == bindparam("id")).scalar_subquery(),
                   A.id != bindparam("id"))
            .order_by(A.language, A.id))


TRANSLATIONS = Prepared(_statement())


def _refs(rows: Sequence[Any]) -> list[dict[str, str]]:
    from app.articles.presenters import site_article_url

    return [{"language": language, "id": aid, "slug": slug, "url": site_article_url(slug)}
            for language, aid, slug in rows]


async def public_translations(engine: Any, article_id: str, now: datetime) -> list[dict[str, str]]:
    """The other public articles of `article_id`'s group (the row-based detail)."""
    return _refs(await TRANSLATIONS.fetch(engine, {"id": article_id, "now": now}))


def public_members(connection: Any, now: datetime,
                   groups: set[str]) -> dict[str, list[dict[str, str]]]:
    """The public members of each of these groups, in `translations` order, for pages of many
    articles (the sync): one statement. Each article lists its group's others."""
    if not groups:
        return {}
    out: dict[str, list[dict[str, str]]] = {}
    rows = connection.execute(select(A.translation_group, A.language, A.id, A.slug)
                              .where(A.translation_group.in_(sorted(groups)), is_public(now))
                              .order_by(A.language, A.id)).all()
    for group, *ref in rows:
        out.setdefault(group, []).extend(_refs([ref]))
    return out


def groups(session: Session, articles: Sequence[Article],
           now: datetime) -> dict[str, list[tuple[str, str]]]:
    """(language, canonical URL) of every public article in each given article's group, the
    article included, by article id (only articles that have translations)."""
    from app.articles.presenters import canonical_url

    wanted = {a.translation_group for a in articles if a.translation_group}
    if not wanted:
        return {}
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = session.scalars(select(Article).where(
        col(Article.translation_group).in_(wanted), is_public(now))
        .order_by(col(Article.language), col(Article.id))).all()
    for member in rows:
        members[member.translation_group or ""].append((member.language,
                                                       canonical_url(member)))
    return {a.id: members[a.translation_group] for a in articles
            if a.translation_group and len(members[a.translation_group]) > 1}
