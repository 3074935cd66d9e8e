"""Turning article rows into the shapes that leave the API, with one query per page for bylines
and tags (never one per article)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

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
from app.authors import counts
from app.authors.models import ArticleAuthor, Author, AuthorPublic, AuthorRef
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.timestamps import modified_at, utc_iso
from app.corrections.queries import corrections_for
from app.i18n import bikram_sambat
from app.i18n.names import localized
from app.media.images import author_avatar, image_json_ld, image_object
from app.taxonomy.models import ArticleTag, Section, SectionRef, Tag, TagRef

BODY_FORMATS = ("blocks", "html", "text")


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


def author_public(author: Author, article_count: int = 0) -> AuthorPublic:
    return AuthorPublic(id=author.id or 0, slug=author.slug, name=author.name, bio=author.bio,
                        title=author.title, avatar_url=author.avatar_url,
                        links=author.links or {}, article_count=article_count,
                        # a dumped ImageObject, validated back by the model
                        avatar=author_avatar(author.avatar,  # type: ignore[arg-type]
                                             author.avatar_url))


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


def site_article_url(slug: str) -> str:
    return f"{get_settings().site_url.rstrip('/')}/articles/{slug}"


def canonical_url(article: Article) -> str:
    return article.canonical_url or site_article_url(article.slug)


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
    from app.i18n.translations import translations_of  # it renders URLs with this module

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


class Byline(NamedTuple):
    """What JSON-LD says of an author (an `Author` row has these attributes too)."""

    name: str
    slug: str
    title: str | None


def structured_data_of(*, title: str, canonical_url: str, language: str, word_count: int,
                       published_at: datetime | None, updated_at: datetime,
                       excerpt: str | None, section_name: str | None, tag_names: list[str],
                       image: Mapping[str, Any] | None, copyright_holder: str | None,
                       source_name: str | None,
                       authors: Sequence[Byline | Author],
                       corrections: Sequence[CorrectionPublic] = ()) -> dict[str, Any]:
    """schema.org NewsArticle JSON-LD. Dates are UTC with `Z`, as everywhere in the API;
    `dateModified` is never before `datePublished` (a scheduled article is edited first)."""
    settings = get_settings()
    tz = settings.tz
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title[:110],
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical_url},
        "url": canonical_url,
        "inLanguage": language,
        "wordCount": word_count,
        "dateModified": utc_iso(modified_at(updated_at, published_at)),
        "author": [
            {"@type": "Person", "name": a.name,
             "url": f"{settings.site_url.rstrip('/')}/authors/{a.slug}",
             **({"jobTitle": a.title} if a.title else {})}
            for a in authors
        ],
        "publisher": {"@type": "Organization", "name": settings.publisher_name,
                      "url": settings.site_url},
    }
    if published_at:
        data["datePublished"] = utc_iso(published_at)
    if excerpt:
        data["description"] = excerpt
    if section_name:
        data["articleSection"] = section_name
    if tag_names:
        data["keywords"] = tag_names
    if image:
        data["image"] = [image_json_ld(image)]
    holder = copyright_holder or settings.publisher_name
    data["copyrightHolder"] = {"@type": "Organization", "name": holder}
    if published_at:
        data["copyrightYear"] = published_at.astimezone(tz).year
    if source_name:
        data["sourceOrganization"] = {"@type": "Organization", "name": source_name}
    if corrections:
        data["correction"] = [correction_comment(c) for c in corrections]
    return data


def correction_comment(correction: CorrectionPublic) -> dict[str, Any]:
    """schema.org `CorrectionComment`, the kind (correction, clarification, update) as its
    name."""
    return {"@type": "CorrectionComment", "name": correction.kind.title(),
            "text": correction.text, "datePublished": utc_iso(correction.at)}
