"""The model-based presenters the row renderer (app/articles/public_reads.py) replaced, kept
as the tests' oracle: built from ORM objects and pydantic models, one query per concern, an
independent way to the same shapes. tests/articles/test_public_reads.py compares the bytes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.articles.blocks import stored_blocks
from app.articles.models import (
    Article,
    ArticleCard,
    ArticlePublic,
    CorrectionPublic,
    Rights,
    Source,
    TranslationRef,
)
from app.articles.presenters import author_public, canonical_url, structured_data_of
from app.authors import counts
from app.authors.models import ArticleAuthor, Author, AuthorRef
from app.core.config import get_settings
from app.core.db import utcnow
from app.corrections.models import ArticleCorrection
from app.i18n import bikram_sambat
from app.i18n.names import localized
from app.i18n.translations import TRANSLATIONS, _refs
from app.media.images import image_object
from app.taxonomy.models import ArticleTag, Section, SectionRef, Tag, TagRef


def section_refs(session: Session, section_ids: Iterable[int | None]) -> dict[int, SectionRef]:
    ids = {i for i in section_ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Section).where(col(Section.id).in_(ids))).all()
    return {s.id: _LocalizableRef(slug=s.slug, name=s.name, names=s.names)
            for s in rows if s.id is not None}


class _LocalizableRef(SectionRef):
    """A section as an article embeds it, with its names to pick the article's language from
    (`_section_ref`); only `slug` and `name` are ever shown."""

    names: dict[str, str] | None = None


def _section_ref(ref: SectionRef | None, language: str) -> SectionRef | None:
    if ref is None:
        return None
    names = ref.names if isinstance(ref, _LocalizableRef) else None
    return SectionRef(slug=ref.slug, name=localized(ref.name, names, language))


def body_fields(article: Article, formats: Iterable[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "blocks" in formats:
        fields["body"] = stored_blocks(article.body)
    if "html" in formats:
        fields["body_html"] = article.body_html
    if "text" in formats:
        fields["body_text"] = article.body_text
    return fields


def published_counts(session: Session, author_ids: Iterable[int | None]) -> dict[int, int]:
    """Each author's count of public articles, as `/v1/authors/{slug}` counts them, so an
    embedded author says what the author's own page says."""
    ids = sorted({i for i in author_ids if i is not None})
    if not ids:
        return {}
    rows = session.exec(select(col(Author.id), counts.public_count(utcnow()))
                        .where(col(Author.id).in_(ids))).all()
    return {author_id: n for author_id, n in rows if n and author_id is not None}


def _common(article: Article, sections: dict[int, SectionRef]) -> dict[str, Any]:
    return {
        "id": article.id,
        "slug": article.slug,
        "title": article.title,
        "subtitle": article.subtitle,
        "excerpt": article.excerpt,
        "section": (_section_ref(sections.get(article.section_id), article.language)
                    if article.section_id else None),
        "language": article.language,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "reading_time_minutes": article.reading_time_minutes,
        "image": image_object(article.image),
        "published_date_bs": bikram_sambat.from_instant(article.published_at,
                                                        get_settings().tz),
    }


def cards(session: Session, articles: Sequence[Article],
          formats: Iterable[str] = ()) -> list[ArticleCard]:
    ids = [a.id for a in articles]
    authors = bylines(session, ids)
    tags = tag_refs(session, ids)
    sections = section_refs(session, (a.section_id for a in articles))
    return [
        ArticleCard(
            **_common(a, sections),
            authors=[AuthorRef(id=au.id or 0, slug=au.slug, name=au.name) for au in authors[a.id]],
            tags=tags[a.id],
            **body_fields(a, formats),
        )
        for a in articles
    ]


def rights(article: Article) -> Rights:
    return Rights(copyright_holder=article.copyright_holder, syndication=article.syndication,
                  usage_terms=article.usage_terms)


def source(article: Article) -> Source | None:
    return Source(name=article.source_name, url=article.source_url) if article.source_name else None


def full(session: Session, article: Article, formats: Iterable[str] = ("blocks", "html"),
         *, with_structured_data: bool = True) -> ArticlePublic:
    authors = bylines(session, [article.id])[article.id]
    sections = section_refs(session, [article.section_id])
    counts = published_counts(session, (a.id for a in authors))
    public = ArticlePublic(
        **_common(article, sections),
        authors=[author_public(a, counts.get(a.id or 0, 0)) for a in authors],
        tags=tag_refs(session, [article.id])[article.id],
        word_count=article.word_count,
        source=source(article),
        rights=rights(article),
        canonical_url=canonical_url(article),
        **body_fields(article, formats),
    )
    public.corrections = corrections_for(session, [article.id])[article.id]
    if with_structured_data:
        public.structured_data = structured_data(public, authors)

    public.translations = [TranslationRef(**t)
                           for t in translations_of(session, article, utcnow())]
    return public


def structured_data(article: ArticlePublic, authors: Sequence[Author]) -> dict[str, Any]:
    return structured_data_of(
        title=article.title, canonical_url=article.canonical_url or "",
        language=article.language, word_count=article.word_count,
        published_at=article.published_at, updated_at=article.updated_at, excerpt=article.excerpt,
        section_name=article.section.name if article.section else None,
        tag_names=[t.name for t in article.tags],
        image=article.image.model_dump() if article.image else None,
        copyright_holder=article.rights.copyright_holder,
        source_name=article.source.name if article.source else None, authors=authors,
        corrections=article.corrections)



def translations_of(session: Session, article: Article, now: datetime) -> list[dict[str, str]]:
    """The same, in a session (the model presenters). An article in no group has none: no
    query (building and running it was a tenth of an editorial write's time)."""
    if not article.translation_group:
        return []
    return _refs(session.execute(TRANSLATIONS.stmt, {"id": article.id, "now": now}).all())


def corrections_for(session: Session,
                    article_ids: Sequence[str]) -> dict[str, list[CorrectionPublic]]:
    out: dict[str, list[CorrectionPublic]] = defaultdict(list)
    if not article_ids:
        return out
    rows = session.exec(select(ArticleCorrection)
                        .where(col(ArticleCorrection.article_id).in_(article_ids))
                        .order_by(col(ArticleCorrection.id))).all()
    for row in rows:
        out[row.article_id].append(CorrectionPublic(kind=row.kind, text=row.text,
                                                    at=row.created_at))
    return out


def bylines(session: Session, article_ids: Sequence[str]) -> dict[str, list[Author]]:
    out: dict[str, list[Author]] = defaultdict(list)
    if not article_ids:
        return out
    rows = session.exec(
        select(ArticleAuthor.article_id, Author)
        .join(Author, col(Author.id) == ArticleAuthor.author_id)
        .where(col(ArticleAuthor.article_id).in_(article_ids))
        .order_by(ArticleAuthor.article_id, col(ArticleAuthor.position))
    ).all()
    for article_id, author in rows:
        out[article_id].append(author)
    return out


def tag_refs(session: Session, article_ids: Sequence[str]) -> dict[str, list[TagRef]]:
    out: dict[str, list[TagRef]] = defaultdict(list)
    if not article_ids:
        return out
    rows = session.exec(
        # sqlmodel's select() is typed for at most four columns
        select(ArticleTag.article_id, Tag.slug, Tag.name, Tag.names,  # type: ignore[call-overload]
               Article.language)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(col(ArticleTag.article_id).in_(article_ids))
        .order_by(ArticleTag.article_id, Tag.slug)
    ).all()
    for article_id, slug, name, names, language in rows:
        out[article_id].append(TagRef(slug=slug, name=localized(name, names, language)))
    return out
