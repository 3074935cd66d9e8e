"""Content API: the front page in one request, and related articles."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from app.articles import queries
from app.articles.models import ArticleCard
from app.articles.router import LanguageQ
from app.briefs.models import BriefPublic
from app.core.db import ReadSessionDep
from app.core.errors import NotFound, problem_responses
from app.core.http import Representation
from app.core.listing import JSON_OPTIONS, NowDep, answer, dump, list_representation
from app.core.pagination import Page
from app.discovery import service
from app.taxonomy.models import SectionRef

router = APIRouter(prefix="/v1", tags=["Content"])


class FrontSection(BaseModel):
    section: SectionRef
    articles: list[ArticleCard]


class FrontPage(BaseModel):
    """A home page's content: featured stories, the newest of each section (sections with
    published articles, in navigation order) and today's briefs."""

    featured: list[ArticleCard]
    sections: list[FrontSection]
    briefs: list[BriefPublic]


class RelatedList(Page[ArticleCard]):
    pass


@router.get("/front", response_model=FrontPage, operation_id="getFrontPage",
            summary="The front page in one request", responses=problem_responses(422, 429))
def front_page(request: Request, session: ReadSessionDep, now: NowDep,
               language: LanguageQ = None,
               featured: Annotated[int, Query(ge=0, le=20, description=(
                   "How many featured cards (newest first)"))] = 5,
               per_section: Annotated[int, Query(ge=1, le=20, description=(
                   "How many cards per section (newest first)"))] = 5) -> Response:
    """Everything a home page shows, in one cacheable read: `featured` (articles editors
    featured), `sections` (`{"section", "articles"}` for each section with published articles,
    in navigation order) and `briefs` (today's, in the publisher's timezone). `language`
    narrows the articles to one language."""
    page = service.front_page(session, now, language=language, featured=featured,
                              per_section=per_section)
    body = {
        "featured": page.featured,
        "sections": [{"section": dump(ref), "articles": cards} for ref, cards in page.sections],
        "briefs": [dump(b) for b in page.briefs],
    }
    ids = {c["id"] for c in page.featured} | {c["id"] for _, cards in page.sections
                                               for c in cards}
    keys = ["articles", "sections", "briefs", *(f"article:{i}" for i in sorted(ids))]
    return answer(request, Representation(
        orjson.dumps(body, option=JSON_OPTIONS), surrogate_keys=keys,
        last_modified=queries.last_change(session, now)))


@router.get("/articles/{slug}/related", response_model=RelatedList,
            operation_id="listRelatedArticles", summary="Articles related to one article",
            responses=problem_responses(404, 422, 429))
def related_articles(request: Request, slug: str, session: ReadSessionDep, now: NowDep,
                     limit: Annotated[int, Query(ge=1, le=20, description="How many")] = 5,
                     ) -> Response:
    """Published articles in the same language as the article, never the article itself,
    best first: shared tags count most, then the same section, then words in common in title
    and excerpt; ties go to the newer. The order is stable for the same content. An unknown
    (or unpublished) slug is a 404 problem."""
    article = queries.get_public(session, slug, now)
    if article is None:
        raise NotFound(f"No published article with slug {slug!r}")
    cards = service.related(session, article, now, limit=limit)
    keys = ["articles", f"article:{article.id}", *(f"article:{c['id']}" for c in cards)]
    return answer(request, list_representation(
        request, cards, limit=limit, next_cursor=None, fields=None, surrogate_keys=keys,
        last_modified=queries.last_change(session, now)))
