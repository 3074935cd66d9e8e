"""Editorial use cases on articles. Each public function is one transaction and one commit.

Every change goes through `_apply`, which checks the caller's revision, stores the previous state
as a revision, and writes with `UPDATE ... WHERE id = :id AND revision = :expected`: the check and
the write are one statement, so of two concurrent saves from the same revision exactly one wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.articles import editorial_queries
from app.articles.blocks import (
    Block,
    BlockList,
    MarkupTooComplex,
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
    RightsInput,
    SlugHistory,
    SourceInput,
    Status,
    Syndication,
)
from app.authors.models import ArticleAuthor, Author
from app.changelog import record as changes
from app.changelog.models import Kind
from app.core.config import get_settings
from app.core.ids import new_id
from app.core.patch import given_fields, merged_object, refuse_nulls
from app.core.slugs import slugify, unique_slug
from app.i18n import translations
from app.media import images as media_images
from app.media.images import ImageInput
from app.taxonomy.models import ArticleTag, Section, Tag
from app.users.models import User
from app.webhooks import outbox as webhooks
from app.webhooks.models import EventType

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
    except MarkupTooComplex as exc:
        raise InvalidArticle(f"{field} is too complex: {exc}", errors=[
            {"loc": ["body", field], "msg": str(exc)}]) from None
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
    # ids read back are never None (SQLModel's `int | None` is for rows not yet flushed)
    found = cast(dict[str, int], dict(session.exec(select(Author.slug, Author.id).where(
        col(Author.slug).in_(slugs))).all()))
    missing = [s for s in slugs if s not in found]
    if missing:
        raise InvalidArticle(f"Unknown author(s): {', '.join(missing)}",
                             errors=[{"loc": ["body", "authors"], "msg": f"unknown author {m!r}"}
                                     for m in missing])
    return list(dict.fromkeys(found[s] for s in slugs))


def tag_ids(session: Session, names: Sequence[str]) -> list[int]:
    """Tags by slug or name; unknown ones are created."""
    wanted = {slugify(n): n.strip() for n in names if n.strip()}
    existing = cast(dict[str, int], dict(  # ids read back are never None
        session.exec(select(Tag.slug, Tag.id).where(col(Tag.slug).in_(wanted))).all()))
    for slug, name in wanted.items():
        if slug not in existing:
            tag = Tag(slug=slug, name=name)
            session.add(tag)
            session.flush()
            assert tag.id is not None  # flushed: the database has given it one
            existing[slug] = tag.id
    return [existing[s] for s in wanted]


def _set_links(session: Session, article_id: str, author_ids: list[int] | None,
               tag_id_list: list[int] | None, *, new: bool = False) -> None:
    """Replace the article's bylines and tags (None: keep them); a `new` article has none to
    delete."""
    if author_ids is not None:
        if not new:
            session.execute(delete(ArticleAuthor).where(
                col(ArticleAuthor.article_id) == article_id))
        session.add_all(ArticleAuthor(article_id=article_id, author_id=a, position=i)
                        for i, a in enumerate(author_ids))
    if tag_id_list is not None:
        if not new:
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


def _patched_rights(data: ArticleUpdate, article: Article) -> dict[str, Any]:
    """`source` and `rights` of a PATCH, merged into the stored ones (RFC 7396): a field left
    out keeps its value, so a partial `rights` never clears the holder or frees the text."""
    given = data.model_fields_set
    out: dict[str, Any] = {}
    if "source" in given:
        stored = {"name": article.source_name, "url": article.source_url}
        source = merged_object({k: v for k, v in stored.items() if v is not None}, data.source,
                               SourceInput, loc="source") or {}
        out["source_name"], out["source_url"] = source.get("name"), source.get("url")
    if "rights" in given:
        if data.rights is None:
            raise InvalidArticle("rights cannot be removed; set its fields instead", errors=[
                {"loc": ["body", "rights"], "msg": "must be an object"}])
        stored = {"copyright_holder": article.copyright_holder,
                  "syndication": article.syndication, "usage_terms": article.usage_terms}
        rights = merged_object({k: v for k, v in stored.items() if v is not None}, data.rights,
                               RightsInput, loc="rights") or {}
        patch = given_fields(data.rights) or {}
        holder = rights.get("copyright_holder")
        out["copyright_holder"], out["usage_terms"] = holder, rights.get("usage_terms")
        if patch.get("syndication") is not None:
            out["syndication"] = patch["syndication"]
        elif "syndication" in patch or "copyright_holder" in patch:
            # Cleared, or a new holder without a flag: the holder's default (third party: denied).
            out["syndication"] = default_syndication(holder)
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


def require_revision(article: Article, expected_revision: int) -> None:
    _require_revision(article, expected_revision)


def new_revision(session: Session, article: Article, *, expected_revision: int,
                 by: User | None, now: datetime,
                 event: EventType = EventType.article_updated) -> Article:
    """A new revision with no column changed, for what is attached to the article and shows in
    it (a correction added to the session, committed with this; `event` says what it was)."""
    return _apply(session, article, expected_revision, {}, by=by, now=now, staying=event)


def _require_revision(article: Article, expected_revision: int) -> None:
    # Checked before any state rule, so a stale writer always learns it is stale (412).
    if article.revision != expected_revision:
        raise StaleArticle(f"Article is at revision {article.revision}, not {expected_revision}")


def _require_not_killed(article: Article) -> None:
    if article.status == Status.killed:
        raise ArticleStateConflict("A killed article comes back only by an admin's restore")


def _require_live(article: Article, done: str) -> None:
    # A deleted article is frozen: only reads and restore touch it, so what an admin restores is
    # exactly what was deleted (and a trashed article never changes status behind the scenes).
    if article.deleted_at is not None:
        raise ArticleStateConflict(f"A deleted article cannot be {done}; restore it first")


def _apply(session: Session, article: Article, expected_revision: int, values: dict[str, Any], *,
           by: User | None, now: datetime, author_ids: list[int] | None = None,
           tag_id_list: list[int] | None = None,
           leaving: EventType = EventType.article_unpublished,
           staying: EventType = EventType.article_updated) -> Article:
    _require_revision(article, expected_revision)
    unseen = changes.unseen(article.status, values.get("status", article.status))
    seen_by = set() if unseen else webhooks.viewers(session, article.id, now)
    previous = snapshot(session, article)
    if values.get("body", article.body) == article.body:
        # Most changes (publishing, unpublishing, a new title) keep the body: the revision
        # stores it only when it changes, and a revision without one has the next one's
        # (`editorial_queries.revision_snapshot`). A full copy per publish was a third of the
        # database.
        del previous["body"]
    prior = None if unseen else changes.before(session, [article.id], now)
    new_slug = values.get("slug")
    result = session.exec(
        update(Article)
        .where(col(Article.id) == article.id, col(Article.revision) == expected_revision)
        .values(**values, revision=expected_revision + 1, updated_at=now)
    )
    if result.rowcount != 1:
        session.rollback()
        raise StaleArticle("Someone else saved this article first; reload and merge")
    session.add(ArticleRevision(article_id=article.id, revision=expected_revision,
                                snapshot=previous, created_by_id=by.id if by else None,
                                created_at=now))
    if new_slug and new_slug != previous["slug"]:
        session.execute(delete(SlugHistory).where(col(SlugHistory.slug) == new_slug))
        session.add(SlugHistory(slug=previous["slug"], article_id=article.id, created_at=now))
    _set_links(session, article.id, author_ids, tag_id_list)
    if not unseen:
        changes.article_changed(session, [article.id], prior=prior, now=now, kind=(
            Kind.corrected if staying == EventType.article_corrected else None))
        webhooks.article_written(session, article.id, before=seen_by, leaving=leaving,
                                 staying=staying, now=now)
    session.commit()
    # The row is what the UPDATE wrote: the object takes the same values instead of reading
    # the row (and parsing its body) again.
    for name, value in {**values, "revision": expected_revision + 1, "updated_at": now}.items():
        set_committed_value(article, name, value)
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
    group = (translations.group_for(session, data.translation_of, article_id=None,
                                    language=data.language or "en")
             if data.translation_of else None)
    article = Article(
        translation_group=group,
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
    _set_links(session, article.id, author_ids, tag_ids(session, data.tags or []), new=True)
    if not changes.unseen(None, article.status):
        changes.article_changed(session, [article.id], prior=changes.Before(), now=now)
        webhooks.article_written(session, article.id, before=set(), now=now)
    if commit:
        session.commit()  # every column was given here: nothing to read back
    return article


def _patched_image(article: Article, data: ArticleUpdate) -> ImageInput | None:
    """The image after a PATCH: the fields given merge into what was given before (RFC 7396)."""
    return media_images.patched_image(article.image, data.image, "image")


def update_article(session: Session, article: Article, data: ArticleUpdate, *,
                   expected_revision: int, by: User | None, now: datetime) -> Article:
    # The CPU work (sanitizing and rendering the body) comes before any statement, so the write
    # transaction is not open while it runs.
    blocks = _blocks(data)
    _require_revision(article, expected_revision)
    _require_live(article, "changed")
    given = data.model_fields_set
    refuse_nulls(data, "title")
    values: dict[str, Any] = {}
    for name in ("title", "subtitle", "excerpt", "canonical_url"):
        if name in given:
            values[name] = getattr(data, name)
    if "language" in given and data.language:
        values["language"] = data.language
    if "translation_of" in given:
        values["translation_group"] = (
            translations.group_for(session, data.translation_of, article_id=article.id,
                                   language=values.get("language", article.language))
            if data.translation_of else None)
    if "featured" in given:
        if data.featured is None:
            raise InvalidArticle("featured is true or false",
                                 errors=[{"loc": ["body", "featured"], "msg": "not a boolean"}])
        values["featured"] = data.featured
    if "image" in given:
        values["image"] = media_images.stored_image(session, _patched_image(article, data))
    if "section" in given:
        values["section_id"] = _section_id(session, data.section)
    if "slug" in given and data.slug:
        values["slug"] = _free_slug(session, data.slug, article.id)
    blocks = media_images.resolved_blocks(session, blocks)
    if blocks is not None:
        values.update(body_columns(blocks))
    values.update(_patched_rights(data, article))
    author_ids = _author_ids(session, data.authors, by) if data.authors is not None else None
    tags = tag_ids(session, data.tags) if data.tags is not None else None
    return _apply(session, article, expected_revision, values, by=by, now=now,
                  author_ids=author_ids, tag_id_list=tags)


def publish_article(session: Session, article: Article, *, publish_at: datetime | None,
                    expected_revision: int, by: User | None, now: datetime,
                    published_at: datetime | None = None) -> Article:
    """`published_at` (admins, checked by the route) backdates; otherwise republishing a live
    article keeps its publication time, so an archive's dates never jump to today."""
    _require_revision(article, expected_revision)
    _require_live(article, "published")
    _require_not_killed(article)
    if published_at is not None:
        if published_at > now:
            raise InvalidArticle("published_at is in the future; schedule with publish_at", errors=[
                {"loc": ["body", "published_at"], "msg": "must not be in the future"}])
        when = published_at
    elif (publish_at is None and article.status == Status.published
          and article.published_at is not None and article.published_at <= now):
        when = article.published_at
    else:
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
    return _apply(session, article, expected_revision, {"deleted_at": now}, by=by, now=now,
                  leaving=EventType.article_deleted)


def restore_article(session: Session, article: Article, *, expected_revision: int,
                    by: User | None, now: datetime) -> Article:
    """Undo a delete (the status it had comes back) or a kill (it comes back as a draft)."""
    _require_revision(article, expected_revision)
    if article.deleted_at is None and article.status != Status.killed:
        raise ArticleStateConflict("The article is neither deleted nor killed")
    values: dict[str, Any] = {"deleted_at": None}
    if article.status == Status.killed and article.deleted_at is None:
        values = {"status": Status.draft.value, "kill_reason": None}
    return _apply(session, article, expected_revision, values, by=by, now=now)


def kill_article(session: Session, article: Article, *, reason: str, expected_revision: int,
                 by: User | None, now: datetime) -> Article:
    """Withdraw an article from every surface at once (legal or ethical reasons): a `killed`
    tombstone everywhere; only an admin's restore brings it back (as a draft)."""
    _require_revision(article, expected_revision)
    _require_live(article, "killed")
    if article.status == Status.killed:
        raise ArticleStateConflict("The article is already killed")
    if article.status not in (Status.published, Status.scheduled):
        raise ArticleStateConflict(
            "Only a published or scheduled article can be killed; delete a draft instead")
    return _apply(session, article, expected_revision,
                  {"status": Status.killed.value, "kill_reason": reason}, by=by, now=now,
                  leaving=EventType.article_killed)


def restore_revision(session: Session, article: Article, revision: ArticleRevision, *,
                     expected_revision: int, by: User | None, now: datetime) -> Article:
    """Bring back the content of an old revision (status and deletion stay as they are now)."""
    _require_revision(article, expected_revision)
    _require_live(article, "taken back to an earlier revision")
    snap = editorial_queries.revision_snapshot(session, revision)
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
    # In the snapshot's byline order (an IN query answers in any order); authors since deleted
    # drop out.
    slugs = snap.get("authors") or []
    found = cast(dict[str, int], dict(session.exec(select(Author.slug, Author.id).where(
        col(Author.slug).in_(slugs))).all()))  # ids read back are never None
    authors = [found[s] for s in slugs if s in found] or None
    tags = tag_ids(session, snap.get("tags") or [])
    return _apply(session, article, expected_revision, values, by=by, now=now,
                  author_ids=authors, tag_id_list=tags)
