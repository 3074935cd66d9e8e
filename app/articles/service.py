"""Editorial use cases on articles. Each public function is one transaction and one commit.

Every change goes through `_apply`, which checks the caller's revision, stores the previous state
as a revision, and writes with `UPDATE ... WHERE id = :id AND revision = :expected`: the check and
the write are one statement, so of two concurrent saves from the same revision exactly one wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.articles.blocks import (
    Block,
    BlockList,
    paragraphs_from_text,
    reading_time_minutes,
    render_html,
    render_text,
    word_count,
)
from app.articles.errors import ArticleStateConflict, InvalidArticle, StaleArticle
from app.articles.html_input import blocks_from_html
from app.articles.models import (
    Article,
    ArticleCreate,
    ArticleRevision,
    ArticleUpdate,
    SlugHistory,
    Status,
    Syndication,
)
from app.authors.models import ArticleAuthor, Author
from app.core.config import get_settings
from app.core.ids import new_id
from app.core.slugs import slugify, unique_slug
from app.media import images as media_images
from app.syndication import changes
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User

SNAPSHOT_FIELDS = (
    "slug", "title", "subtitle", "excerpt", "body", "language", "status", "published_at",
    "deleted_at", "source_name", "source_url", "copyright_holder", "syndication", "usage_terms",
    "canonical_url", "image",
)


# ---- helpers (flush, never commit) ------------------------------------------------------------


def _blocks(data: ArticleCreate | ArticleUpdate) -> list[Block] | None:
    if data.body is not None:
        return list(data.body)
    if data.body_html is not None:
        return _converted("body_html", blocks_from_html, data.body_html)
    if data.body_text is not None:
        return _converted("body_text", paragraphs_from_text, data.body_text)
    return None


def _converted(field: str, convert: Callable[[str], list[Block]], source: str) -> list[Block]:
    try:
        return convert(source)
    except ValidationError as exc:  # a block over a length limit, e.g. a paragraph over 20,000
        kind = exc.title.removesuffix("Block").lower()  # the model's name: ParagraphBlock
        raise InvalidArticle(f"A {kind} block of {field} is too long", errors=[
            {"loc": ["body", field], "msg": f"{kind} block: {e['msg']}"}
            for e in exc.errors()]) from None


def body_columns(blocks: Sequence[Block]) -> dict[str, Any]:
    """The stored body and everything derived from it (never typed in by a client)."""
    text = render_text(list(blocks))
    words = word_count(text)
    return {
        "body": BlockList.dump_python(list(blocks), mode="json"),
        "body_html": render_html(list(blocks)),
        "body_text": text,
        "word_count": words,
        "reading_time_minutes": reading_time_minutes(words),
    }


def _section_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    section_id = session.exec(select(Section.id).where(Section.slug == slug)).first()
    if section_id is None:
        raise InvalidArticle(f"No section with slug {slug!r}",
                             errors=[{"loc": ["body", "section"], "msg": "unknown section"}])
    return section_id


def _author_ids(session: Session, slugs: Sequence[str] | None, by: User | None) -> list[int]:
    if slugs is None:
        linked = by and session.exec(select(Author.id).where(Author.user_id == by.id)).first()
        if not linked:
            raise InvalidArticle(
                "Name the authors: the calling user has no author profile",
                errors=[{"loc": ["body", "authors"], "msg": "required (no linked author profile)"}])
        return [linked]
    found = dict(session.exec(select(Author.slug, Author.id).where(
        col(Author.slug).in_(slugs))).all())
    missing = [s for s in slugs if s not in found]
    if missing:
        raise InvalidArticle(f"Unknown author(s): {', '.join(missing)}",
                             errors=[{"loc": ["body", "authors"], "msg": f"unknown author {m!r}"}
                                     for m in missing])
    return list(dict.fromkeys(found[s] for s in slugs))


def tag_ids(session: Session, names: Sequence[str]) -> list[int]:
    """Tags by slug or name; unknown ones are created."""
    wanted = {slugify(n): n.strip() for n in names if n.strip()}
    existing = dict(session.exec(select(Tag.slug, Tag.id).where(col(Tag.slug).in_(wanted))).all())
    for slug, name in wanted.items():
        if slug not in existing:
            tag = Tag(slug=slug, name=name)
            session.add(tag)
            session.flush()
            existing[slug] = tag.id
    return [existing[s] for s in wanted]


def _set_links(session: Session, article_id: str, author_ids: list[int] | None,
               tag_id_list: list[int] | None) -> None:
    if author_ids is not None:
        session.execute(delete(ArticleAuthor).where(col(ArticleAuthor.article_id) == article_id))
        session.add_all(ArticleAuthor(article_id=article_id, author_id=a, position=i)
                        for i, a in enumerate(author_ids))
    if tag_id_list is not None:
        session.execute(delete(ArticleTag).where(col(ArticleTag.article_id) == article_id))
        session.add_all(ArticleTag(article_id=article_id, tag_id=t) for t in tag_id_list)
    session.flush()


def _rights_columns(data: ArticleCreate | ArticleUpdate, current: Article | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.source is not None:
        out["source_name"], out["source_url"] = data.source.name, data.source.url
    if data.rights is not None:
        holder = data.rights.copyright_holder
        out["copyright_holder"] = holder
        out["usage_terms"] = data.rights.usage_terms
        if data.rights.syndication is not None:
            out["syndication"] = data.rights.syndication.value
        else:
            out["syndication"] = default_syndication(holder)
    elif current is None:
        out["syndication"] = Syndication.allowed.value
    return out


def default_syndication(copyright_holder: str | None) -> str:
    """The publisher's own work may be syndicated; third-party copyright may not, by default."""
    own = get_settings().publisher_name.casefold()
    if copyright_holder and copyright_holder.casefold() != own:
        return Syndication.denied.value
    return Syndication.allowed.value


def snapshot(session: Session, article: Article) -> dict[str, Any]:
    """Everything an editor could want back, in a JSON-safe form."""
    data: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(article, name)
        data[name] = value.isoformat() if isinstance(value, datetime) else value
    data["section"] = session.exec(select(Section.slug).where(Section.id == article.section_id)
                                   ).first() if article.section_id else None
    data["authors"] = list(session.exec(
        select(Author.slug).join(ArticleAuthor, col(ArticleAuthor.author_id) == Author.id)
        .where(ArticleAuthor.article_id == article.id).order_by(col(ArticleAuthor.position))).all())
    data["tags"] = list(session.exec(
        select(Tag.slug).join(ArticleTag, col(ArticleTag.tag_id) == Tag.id)
        .where(ArticleTag.article_id == article.id).order_by(col(Tag.slug))).all())
    return data


def _require_revision(article: Article, expected_revision: int) -> None:
    # Checked before any state rule, so a stale writer always learns it is stale (412).
    if article.revision != expected_revision:
        raise StaleArticle(f"Article is at revision {article.revision}, not {expected_revision}")


def _require_live(article: Article, done: str) -> None:
    # A deleted article is frozen: only reads and restore touch it, so what an admin restores is
    # exactly what was deleted (and a trashed article never changes status behind the scenes).
    if article.deleted_at is not None:
        raise ArticleStateConflict(f"A deleted article cannot be {done}; restore it first")


def _apply(session: Session, article: Article, expected_revision: int, values: dict[str, Any], *,
           by: User | None, now: datetime, author_ids: list[int] | None = None,
           tag_id_list: list[int] | None = None) -> Article:
    _require_revision(article, expected_revision)
    previous = snapshot(session, article)
    new_slug = values.get("slug")
    result = session.execute(
        update(Article)
        .where(col(Article.id) == article.id, col(Article.revision) == expected_revision)
        .values(**values, revision=expected_revision + 1, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise StaleArticle("Someone else saved this article first; reload and merge")
    session.add(ArticleRevision(article_id=article.id, revision=expected_revision,
                                snapshot=previous, created_by_id=by.id if by else None,
                                created_at=now))
    if new_slug and new_slug != previous["slug"]:
        session.execute(delete(SlugHistory).where(col(SlugHistory.slug) == new_slug))
        session.add(SlugHistory(slug=previous["slug"], article_id=article.id, created_at=now))
    _set_links(session, article.id, author_ids, tag_id_list)
    changes.article_changed(session, [article.id])
    session.commit()
    session.refresh(article)
    return article


def _free_slug(session: Session, wanted: str, article_id: str | None) -> str:
    slug = slugify(wanted)
    owner = session.exec(select(Article.id).where(Article.slug == slug)).first()
    if owner is None or owner == article_id:
        history_owner = session.exec(select(SlugHistory.article_id).where(
            SlugHistory.slug == slug)).first()
        if history_owner in (None, article_id):
            return slug
    return unique_slug(session, col(Article.slug), slug)


# ---- use cases ------------------------------------------------------------------------------


def create_article(session: Session, data: ArticleCreate, *, by: User | None, now: datetime,
                   status: Status = Status.draft, published_at: datetime | None = None,
                   commit: bool = True) -> Article:
    """A new draft (the importer may create it published)."""
    blocks = media_images.resolved_blocks(session, _blocks(data)) or []
    article = Article(
        id=new_id(),
        slug=_free_slug(session, data.slug or data.title, None),
        title=data.title,
        subtitle=data.subtitle,
        excerpt=data.excerpt,
        section_id=_section_id(session, data.section),
        language=data.language or "en",
        status=status.value,
        published_at=published_at,
        created_at=now,
        updated_at=now,
        canonical_url=data.canonical_url,
        image=media_images.stored_image(session, data.image),
        created_by_id=by.id if by else None,
        **body_columns(blocks),
        **_rights_columns(data, None),
    )
    author_ids = _author_ids(session, data.authors, by)
    session.add(article)
    session.flush()
    _set_links(session, article.id, author_ids, tag_ids(session, data.tags or []))
    changes.article_changed(session, [article.id])
    if commit:
        session.commit()
        session.refresh(article)
    return article


def update_article(session: Session, article: Article, data: ArticleUpdate, *,
                   expected_revision: int, by: User | None, now: datetime) -> Article:
    _require_revision(article, expected_revision)
    _require_live(article, "changed")
    given = data.model_fields_set
    values: dict[str, Any] = {}
    for name in ("title", "subtitle", "excerpt", "canonical_url"):
        if name in given:
            if name == "title" and data.title is None:
                raise InvalidArticle("title cannot be null",
                                     errors=[{"loc": ["body", "title"], "msg": "required"}])
            values[name] = getattr(data, name)
    if "language" in given and data.language:
        values["language"] = data.language
    if "image" in given:
        values["image"] = media_images.stored_image(session, data.image)
    if "section" in given:
        values["section_id"] = _section_id(session, data.section)
    if "slug" in given and data.slug:
        values["slug"] = _free_slug(session, data.slug, article.id)
    blocks = media_images.resolved_blocks(session, _blocks(data))
    if blocks is not None:
        values.update(body_columns(blocks))
    values.update(_rights_columns(data, article))
    if "source" in given and data.source is None:
        values["source_name"] = values["source_url"] = None
    author_ids = _author_ids(session, data.authors, by) if data.authors is not None else None
    tags = tag_ids(session, data.tags) if data.tags is not None else None
    return _apply(session, article, expected_revision, values, by=by, now=now,
                  author_ids=author_ids, tag_id_list=tags)


def publish_article(session: Session, article: Article, *, publish_at: datetime | None,
                    expected_revision: int, by: User | None, now: datetime) -> Article:
    _require_revision(article, expected_revision)
    _require_live(article, "published")
    when = publish_at if publish_at and publish_at > now else now
    status = Status.scheduled if when > now else Status.published
    return _apply(session, article, expected_revision,
                  {"status": status.value, "published_at": when}, by=by, now=now)


def unpublish_article(session: Session, article: Article, *, expected_revision: int,
                      by: User | None, now: datetime) -> Article:
    _require_revision(article, expected_revision)
    _require_live(article, "unpublished")
    if article.status not in (Status.published, Status.scheduled):
        raise ArticleStateConflict("Only a published or scheduled article can be unpublished")
    return _apply(session, article, expected_revision, {"status": Status.draft.value},
                  by=by, now=now)


def delete_article(session: Session, article: Article, *, expected_revision: int,
                   by: User | None, now: datetime) -> Article:
    _require_revision(article, expected_revision)
    if article.deleted_at is not None:
        raise ArticleStateConflict("The article is already deleted")
    return _apply(session, article, expected_revision, {"deleted_at": now}, by=by, now=now)


def restore_article(session: Session, article: Article, *, expected_revision: int,
                    by: User | None, now: datetime) -> Article:
    _require_revision(article, expected_revision)
    if article.deleted_at is None:
        raise ArticleStateConflict("The article is not deleted")
    return _apply(session, article, expected_revision, {"deleted_at": None}, by=by, now=now)


def restore_revision(session: Session, article: Article, revision: ArticleRevision, *,
                     expected_revision: int, by: User | None, now: datetime) -> Article:
    """Bring back the content of an old revision (status and deletion stay as they are now)."""
    _require_revision(article, expected_revision)
    _require_live(article, "taken back to an earlier revision")
    snap = revision.snapshot
    values = {name: snap.get(name) for name in ("title", "subtitle", "excerpt", "language",
                                                "source_name", "source_url", "copyright_holder",
                                                "syndication", "usage_terms", "canonical_url",
                                                "image")}
    values.update(body_columns(BlockList.validate_python(snap.get("body") or [])))
    if snap.get("slug") and snap["slug"] != article.slug:
        values["slug"] = _free_slug(session, snap["slug"], article.id)
    try:
        values["section_id"] = _section_id(session, snap.get("section"))
    except InvalidArticle:
        values["section_id"] = None  # the section has since been deleted
    authors = list(session.exec(select(Author.id).where(
        col(Author.slug).in_(snap.get("authors") or []))).all()) or None
    tags = tag_ids(session, snap.get("tags") or [])
    return _apply(session, article, expected_revision, values, by=by, now=now,
                  author_ids=authors, tag_id_list=tags)
