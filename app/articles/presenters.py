"""What the article renderer (`public_reads`, which renders every article from rows) shares
with other domains: article URLs, an author's public JSON and schema.org JSON-LD."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from app.articles.models import Article, CorrectionPublic
from app.authors.models import Author, AuthorPublic
from app.core.config import get_settings
from app.core.timestamps import modified_at, utc_iso
from app.media.images import author_avatar, image_json_ld

BODY_FORMATS = ("blocks", "html", "text")


def author_public(author: Author, article_count: int = 0) -> AuthorPublic:
    return AuthorPublic(id=author.id or 0, slug=author.slug, name=author.name, bio=author.bio,
                        title=author.title, avatar_url=author.avatar_url,
                        links=author.links or {}, article_count=article_count,
                        # a dumped ImageObject, validated back by the model
                        avatar=author_avatar(author.avatar,  # type: ignore[arg-type]
                                             author.avatar_url))


def site_article_url(slug: str) -> str:
    return f"{get_settings().site_url.rstrip('/')}/articles/{slug}"


def canonical_url(article: Article) -> str:
    return article.canonical_url or site_article_url(article.slug)


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
