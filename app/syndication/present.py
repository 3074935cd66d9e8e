"""Articles as partners receive them: a fixed number of queries per page, never per article."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.articles import presenters
from app.articles.models import Article
from app.articles.visibility import is_embargoed_now
from app.corrections.queries import corrections_for
from app.syndication.models import SyndicatedArticle

BODY_FORMATS = ("blocks", "html", "text")


def native(session: Session, articles: Sequence[Article],
           now: datetime | None = None) -> list[SyndicatedArticle]:
    """With `now`, an article not yet public at `now` (only partners with embargo access get
    one) is marked `embargoed_until` its publication time."""
    cards = presenters.cards(session, articles, BODY_FORMATS)
    authors = presenters.bylines(session, [a.id for a in articles])
    corrections = corrections_for(session, [a.id for a in articles])
    counts = presenters.published_counts(
        session, (au.id for byline in authors.values() for au in byline))
    return [
        SyndicatedArticle(
            **{**dict(card), "authors": [
                presenters.author_public(au, counts.get(au.id or 0, 0)) for au in authors[a.id]]},
            word_count=a.word_count,
            source=presenters.source(a),
            rights=presenters.rights(a),
            canonical_url=presenters.canonical_url(a),
            revision=a.revision,
            corrections=corrections[a.id],
            **({"embargoed_until": a.published_at} if now and is_embargoed_now(
                a.status, a.published_at, a.deleted_at, now) else {}),
        )
        for a, card in zip(articles, cards, strict=True)
    ]
