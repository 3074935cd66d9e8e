"""`article_count` of the authors embedded in every article answer counts an author's public
articles: exact, and on SQLite without reading the articles' rows (each ~20 KB, the visibility
columns after the body), which made every editorial read and write slower as an author's
archive grew."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from app.articles.models import Article
from app.articles.presenters import published_counts
from app.authors.models import Author
from tests.articles.test_query_plans import sqlite_plan


def test_counts_are_exact_and_read_no_article_row(
        engine: Engine, session: Session, make_author: Callable[..., Author],
        make_article: Callable[..., Article]) -> None:
    author = make_author()
    for status in ("published", "published", "draft", "scheduled", "deleted"):
        make_article(status=status, authors=[author.slug])
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    bind = session.get_bind()
    event.listen(bind, "before_cursor_execute", seen)
    try:
        assert published_counts(session, [author.id or 0]) == {author.id: 2}
    finally:
        event.remove(bind, "before_cursor_execute", seen)
    if engine.dialect.name == "sqlite":
        [(sql, params)] = [s for s in statements if "count(" in s[0]]
        plan = sqlite_plan(engine, sql, list(params))
        article_steps = [step for step in plan if " article " in f"{step} "]
        assert article_steps == [
            "SEARCH article USING COVERING INDEX ix_article_id_visibility (id=? AND status=? "
            "AND published_at<?)"], plan
