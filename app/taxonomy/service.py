"""Section and tag use cases. Cards show a section's and tags' names, so renaming one announces
every article that carries it as changed."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.changelog import record as changes
from app.core.db import commit_or_conflict
from app.core.errors import Conflict, Unprocessable
from app.core.pagination import SortKey, fetch_page
from app.core.patch import merge_patch, refuse_nulls
from app.core.slugs import slugify
from app.taxonomy.models import (
    NAMES_MAX,
    ArticleTag,
    Section,
    SectionCreate,
    SectionEditorial,
    SectionUpdate,
    Tag,
    TagCreate,
    TagEditorial,
    TagUpdate,
)

SECTIONS_BY_SLUG = SortKey("slug", [(col(Section.slug), False), (col(Section.id), False)])
TAGS_BY_SLUG = SortKey("slug", [(col(Tag.slug), False), (col(Tag.id), False)])


# ---- sections -------------------------------------------------------------------------------


def _section_article_ids(session: Session, section_id: int) -> list[str]:
    return sorted(session.exec(select(Article.id).where(Article.section_id == section_id)).all())


def section_view(section: Section, article_count: int) -> SectionEditorial:
    return SectionEditorial.model_validate(section, update={"article_count": article_count,
                                                            "names": section.names or {}})


def get_section_view(session: Session, section: Section) -> SectionEditorial:
    return section_view(section, len(_section_article_ids(session, section.id or 0)))


def list_sections(session: Session, *, limit: int,
                  cursor: str | None) -> tuple[list[SectionEditorial], str | None]:
    counts = (select(Article.section_id, func.count().label("n"))
              .group_by(col(Article.section_id)).subquery())
    stmt = (select(Section, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.section_id == Section.id))
    rows, next_cursor = fetch_page(session, stmt, SECTIONS_BY_SLUG, limit=limit, cursor=cursor,
                                   cursor_of=lambda row: [row[0].slug, row[0].id])
    return [section_view(s, n) for s, n in rows], next_cursor


def create_section(session: Session, data: SectionCreate) -> Section:
    slug = slugify(data.slug or data.name)
    if session.exec(select(Section.id).where(Section.slug == slug)).first() is not None:
        raise Conflict(f"A section with slug {slug!r} exists")
    section = Section(slug=slug, name=data.name, description=data.description,
                      names=data.names, position=data.position)
    session.add(section)
    changes.content_changed(session, "sections", f"section:{slug}")
    commit_or_conflict(session, f"The slug {slug!r}")
    session.refresh(section)
    return section


def _merged_names(stored: dict[str, str] | None,
                  patch: dict[str, str | None] | None) -> dict[str, str] | None:
    """`names` after a PATCH (RFC 7396): null removes them all, a language given as null
    removes that one, the others are kept."""
    if patch is None:
        return None
    merged = merge_patch(stored or {}, patch)
    if len(merged) > NAMES_MAX:
        raise Unprocessable(f"At most {NAMES_MAX} names", errors=[
            {"loc": ["body", "names"], "msg": f"at most {NAMES_MAX} names"}])
    return merged or None


def update_section(session: Session, section: Section, data: SectionUpdate) -> Section:
    refuse_nulls(data, "name", "position")
    values = data.model_dump(exclude_unset=True)
    if "names" in values:
        values["names"] = _merged_names(section.names, values["names"])
    renamed = (values.get("name", section.name) != section.name
               or ("names" in values and values["names"] != section.names))
    stale = ("sections", f"section:{section.slug}")
    for name, value in values.items():
        setattr(section, name, value)
    session.add(section)
    if renamed:
        changes.article_changed(session, _section_article_ids(session, section.id or 0), *stale)
    else:
        changes.content_changed(session, *stale)
    session.commit()
    session.refresh(section)
    return section


def delete_section(session: Session, section: Section) -> None:
    """Refused while any article (any status, deleted ones too) is filed under it."""
    count = len(_section_article_ids(session, section.id or 0))
    if count:
        raise Conflict(f"{count} article(s) use section {section.slug!r}; move them first")
    session.delete(section)
    changes.content_changed(session, "sections", f"section:{section.slug}")
    session.commit()


# ---- tags -----------------------------------------------------------------------------------


def _tag_article_ids(session: Session, tag_id: int) -> list[str]:
    return sorted(session.exec(select(ArticleTag.article_id).where(
        ArticleTag.tag_id == tag_id)).all())


def tag_view(tag: Tag, article_count: int) -> TagEditorial:
    return TagEditorial.model_validate(tag, update={"article_count": article_count,
                                                    "names": tag.names or {}})


def get_tag_view(session: Session, tag: Tag) -> TagEditorial:
    return tag_view(tag, len(_tag_article_ids(session, tag.id or 0)))


def list_tags(session: Session, *, limit: int,
              cursor: str | None) -> tuple[list[TagEditorial], str | None]:
    counts = (select(ArticleTag.tag_id, func.count().label("n"))
              .group_by(col(ArticleTag.tag_id)).subquery())
    stmt = select(Tag, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.tag_id == Tag.id)
    rows, next_cursor = fetch_page(session, stmt, TAGS_BY_SLUG, limit=limit, cursor=cursor,
                                   cursor_of=lambda row: [row[0].slug, row[0].id])
    return [tag_view(t, n) for t, n in rows], next_cursor


def create_tag(session: Session, data: TagCreate) -> Tag:
    slug = slugify(data.slug or data.name)
    if session.exec(select(Tag.id).where(Tag.slug == slug)).first() is not None:
        raise Conflict(f"A tag with slug {slug!r} exists")
    tag = Tag(slug=slug, name=data.name, names=data.names)
    session.add(tag)
    changes.content_changed(session, "tags")
    commit_or_conflict(session, f"The slug {slug!r}")
    session.refresh(tag)
    return tag


def update_tag(session: Session, tag: Tag, data: TagUpdate) -> Tag:
    refuse_nulls(data, "name")
    values = data.model_dump(exclude_unset=True)
    renamed = data.name is not None and data.name != tag.name
    if renamed:
        tag.name = data.name  # type: ignore[assignment]  # renamed: not None
    if "names" in values:
        values["names"] = _merged_names(tag.names, values["names"])
    if "names" in values and values["names"] != tag.names:
        tag.names = values["names"]
        renamed = True
    if renamed:
        session.add(tag)
        changes.article_changed(session, _tag_article_ids(session, tag.id or 0), "tags")
    else:
        changes.content_changed(session, "tags")
    session.commit()
    session.refresh(tag)
    return tag


def delete_tag(session: Session, tag: Tag) -> None:
    """Removes the tag from every article that carries it, and announces those articles."""
    article_ids = _tag_article_ids(session, tag.id or 0)
    session.execute(delete(ArticleTag).where(col(ArticleTag.tag_id) == tag.id))
    session.delete(tag)
    changes.article_changed(session, article_ids, "tags")
    session.commit()
