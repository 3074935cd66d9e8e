"""Importing a raw page: one article (draft or published), its author, and the page's briefs,
all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.models import Article, ArticleCreate, RightsInput, SourceInput, Status
from app.authors import service as authors_service
from app.briefs import service as briefs_service
from app.briefs.models import Brief, BriefCreate
from app.core.config import get_settings
from app.importer.page import PageParseError, ParsedPage, parse_page
from app.users.models import Role, User

__all__ = ["ImportResult", "PageParseError", "import_page"]


@dataclass
class ImportResult:
    article: Article
    briefs: list[Brief]
    page: ParsedPage


def import_page(session: Session, text: str, *, now: datetime, by: User | None = None,
                publish: bool = False, section: str | None = None) -> ImportResult:
    page = parse_page(text, timezone=get_settings().tz)
    # Built (and its blocks sanitized) before the first statement opens the write transaction.
    data = ArticleCreate(
        title=page.title,
        body=page.blocks,
        section=section,
        source=SourceInput(name=page.source_name) if page.source_name else None,
        rights=(RightsInput(copyright_holder=page.copyright_holder)
                if page.copyright_holder else None),
    )
    # A writer may not create author profiles or briefs directly, so an import does not either:
    # an unknown author leaves the writer's own byline, and the page's briefs are left out.
    writer = by is not None and by.role == Role.writer
    if page.author is not None:
        author = (authors_service.find(session, page.author.name) if writer else
                  authors_service.find_or_add(session, page.author.name, bio=page.author.bio,
                                              now=now))
        if author is not None:
            data = data.model_copy(update={"authors": [author.slug]})
    published_at = page.published_at or now
    article = articles_service.create_article(
        session, data, by=by, now=now, commit=False,
        status=Status.published if publish else Status.draft,
        published_at=published_at if publish else page.published_at)
    briefs = []
    if page.page_date is not None and not writer:
        # After the day's briefs already there: a second import never duplicates a position.
        first = briefs_service.next_position(session, page.page_date)
        # A brief is published on its page's day (local midnight), not when it was imported.
        day = datetime.combine(page.page_date, time(), tzinfo=get_settings().tz).astimezone(UTC)
        for parsed in page.briefs:
            brief = briefs_service.add_brief(session, BriefCreate(
                dateline=parsed.dateline, headline=parsed.headline, summary=parsed.summary,
                date=page.page_date, position=first + parsed.position, published=publish),
                now=now)
            if brief.published_at is not None:
                brief.published_at = min(day, now)
            briefs.append(brief)
    session.commit()
    session.refresh(article)
    return ImportResult(article=article, briefs=briefs, page=page)
