"""Editorial API for articles: drafts, edits, publishing, deletion and revisions.

Every change names the revision it was made from in `If-Match` (the `ETag` of the last read):
a stale one answers 412, a missing one 428, so two editors never silently overwrite each other.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField

from app.articles import editorial_queries, service
from app.articles.dependencies import (
    EditableArticle,
    ManagedArticle,
    ReadableArticle,
    RestorableArticle,
    is_writer,
)
from app.articles.editorial_presenters import (
    editorial,
    editorial_cards,
    revision_detail,
    revision_summary,
)
from app.articles.errors import InvalidArticle
from app.articles.models import (
    Article,
    ArticleCreate,
    ArticleEditorial,
    ArticleEditorialCard,
    ArticleRevision,
    ArticleUpdate,
    PublishRequest,
    RevisionDetail,
    RevisionSummary,
    Status,
)
from app.core.db import SessionDep
from app.core.editorial import QueryBool
from app.core.errors import Forbidden, NotFound, problem_responses
from app.core.listing import NowDep, utc
from app.core.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageLinks, PageMeta
from app.core.preconditions import IfMatch, expected_revision, revision_etag
from app.importer.service import PageParseError, import_page
from app.users.dependencies import CurrentUser, CurrentWriter, no_store
from app.users.models import Role

router = APIRouter(prefix="/v1/editorial", tags=["Editorial"], dependencies=[Depends(no_store)])

LimitQ = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size (1-100)")]
CursorQ = Annotated[str | None, Query(max_length=512, description=(
    "Opaque cursor from `meta.next_cursor` of the previous page"))]
RevisionNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="A stored revision number")]
AUTH = (401, 403)
WRITE = (*AUTH, 404, 409, 412, 422, 428)


class EditorialArticleList(Page[ArticleEditorialCard]):
    pass


class RevisionList(Page[RevisionSummary]):
    pass


class RevisionNotFound(NotFound):
    title = "Revision not found"


class ImportRequest(BaseModel):
    """A raw news page (like the seed document) as text, with where to file it."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON types exactly: 0 is no boolean
    text: str = PydanticField(min_length=1, max_length=900_000, description="The page, as text")
    section: str | None = PydanticField(default=None, max_length=100, description="Section slug")
    publish: bool = PydanticField(default=False, description=(
        "Publish at once (editors and admins only); otherwise a draft"))


def _with_etag(response: Response, article: Article, view: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = revision_etag(article.id, article.revision)
    return view


def _page_of(request: Request, response: Response, model: type[Page[Any]], items: list[Any],
             limit: int, next_cursor: str | None) -> Page[Any]:
    next_url = str(request.url.include_query_params(cursor=next_cursor)) if next_cursor else None
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return model(data=items, meta=PageMeta(limit=limit, next_cursor=next_cursor),
                 links=PageLinks(self=str(request.url), next=next_url))


def _created(request: Request, response: Response, article: Article) -> None:
    response.headers["Location"] = str(request.url_for("get_article", article_id=article.id))


def get_revision(article: ReadableArticle, n: RevisionNumber,
                 session: SessionDep) -> ArticleRevision:
    revision = editorial_queries.get_revision(session, article.id, n)
    if revision is None:
        raise RevisionNotFound(f"Article {article.id} has no stored revision {n}")
    return revision


RevisionDep = Annotated[ArticleRevision, Depends(get_revision)]


@router.get("/articles", response_model=EditorialArticleList, operation_id="listEditorialArticles",
            summary="List articles in every status", response_model_exclude_unset=True,
            responses=problem_responses(400, *AUTH, 422))
def list_articles(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, now: NowDep,
    status: Annotated[Status | None, Query(description=(
        "Only this status; `published` includes scheduled articles whose time has come"))] = None,
    author: Annotated[str | None, Query(max_length=200, description="Author slug")] = None,
    section: Annotated[str | None, Query(max_length=100, description="Section slug")] = None,
    deleted: Annotated[QueryBool, Query(description=(
        "Include deleted articles (editors and admins)"))] = False,
    limit: LimitQ = DEFAULT_LIMIT, cursor: CursorQ = None,
    slug: Annotated[str | None, Query(max_length=200, description=(
        "The article with this slug (its current one, or one it had)"))] = None,
) -> Page[Any]:
    """Articles newest change first (`updated_at`), keyset-paginated with `meta.next_cursor`.
    Writers see only the articles they created."""
    if deleted and is_writer(user):
        raise Forbidden("Only editors and admins can list deleted articles")
    filters = editorial_queries.EditorialFilters(
        status=status, author=author, section=section, include_deleted=deleted,
        created_by_id=user.id if is_writer(user) else None, slug=slug)
    ids, next_cursor = editorial_queries.page_ids(session, filters, now=now, limit=limit,
                                                  cursor=cursor)
    items = editorial_cards(session, ids, now)
    return _page_of(request, response, EditorialArticleList, items, limit, next_cursor)


@router.post("/articles", response_model=ArticleEditorial, status_code=201,
             operation_id="createArticle", summary="Create a draft article",
             response_model_exclude_unset=True, responses=problem_responses(*AUTH, 409, 422))
def create_article(data: ArticleCreate, request: Request, response: Response, session: SessionDep,
                   user: CurrentWriter, now: NowDep) -> dict[str, Any]:
    """A new draft. Only `title` is required. Name related things by slug (`section`, `tags`,
    `authors`); unknown tags are created, and with no `authors` the byline is the caller's own
    author profile. Give the body as `body` (blocks), `body_html` (sanitized, then turned into
    blocks) or `body_text` (paragraphs split on blank lines). The answer's `ETag` is what the
    next change sends in `If-Match`."""
    article = service.create_article(session, data, by=user, now=now)
    _created(request, response, article)
    return _with_etag(response, article, editorial(session, article, now))


@router.get("/articles/{article_id}", response_model=ArticleEditorial, operation_id="getArticle",
            summary="Get an article by id", response_model_exclude_unset=True,
            responses=problem_responses(*AUTH, 404, 422))
def get_article(article: ReadableArticle, response: Response, session: SessionDep,
                now: NowDep) -> dict[str, Any]:
    """The article in any status, deleted ones included (for editors). Keep the `ETag`: every
    change must send it back in `If-Match`."""
    return _with_etag(response, article, editorial(session, article, now))


@router.patch("/articles/{article_id}", response_model=ArticleEditorial,
              operation_id="updateArticle", summary="Change an article",
              response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def update_article(article: EditableArticle, data: ArticleUpdate, response: Response,
                   session: SessionDep, user: CurrentUser, now: NowDep,
                   if_match: IfMatch = None) -> dict[str, Any]:
    """Send only the fields to change, with `If-Match`. Nested objects (`rights`, `source`,
    `image`) merge as JSON Merge Patch (RFC 7396): fields left out keep their values and a field
    set to `null` is removed. The state before the change is kept as a
    revision. Server-owned fields (`id`, `status`, `revision`, timestamps, `word_count`) are
    refused with 422. Writers can change only their own drafts; `featured` is for editors."""
    if "featured" in data.model_fields_set and is_writer(user):
        raise Forbidden("Only editors and admins can feature an article")
    article = service.update_article(session, article, data, by=user, now=now,
                                     expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.delete("/articles/{article_id}", response_model=ArticleEditorial,
               operation_id="deleteArticle", summary="Delete an article (restorable)",
               response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def delete_article(article: ManagedArticle, response: Response, session: SessionDep,
                   user: CurrentUser, now: NowDep, if_match: IfMatch = None) -> dict[str, Any]:
    """A soft delete: the article leaves every public surface at once and partners get a
    `delete` tombstone, but an admin can restore it. Answers the deleted article with its new
    `ETag`. Editors and admins."""
    article = service.delete_article(session, article, by=user, now=now,
                                     expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.post("/articles/{article_id}/restore", response_model=ArticleEditorial,
             operation_id="restoreArticle", summary="Restore a deleted or killed article",
             response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def restore_article(article: RestorableArticle, response: Response, session: SessionDep,
                    user: CurrentUser, now: NowDep, if_match: IfMatch = None) -> dict[str, Any]:
    """Undo a delete (the article comes back in the status it had) or a kill (it comes back
    as a draft). Admins only."""
    article = service.restore_article(session, article, by=user, now=now,
                                      expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.post("/articles/{article_id}/publish", response_model=ArticleEditorial,
             operation_id="publishArticle", summary="Publish an article now or at a set time",
             response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def publish_article(article: ManagedArticle, response: Response,
                    session: SessionDep, user: CurrentUser, now: NowDep,
                    body: Annotated[PublishRequest | None, Body()] = None,
                    if_match: IfMatch = None) -> dict[str, Any]:
    """With no body (or no `publish_at`, or one in the past) the article is published now. A
    future `publish_at` schedules it: it appears on every public surface at that time, with no
    further call. Republishing a published article keeps its `published_at`. Admins may give
    `published_at` in the past to publish with that date (importing an archive); a future one is
    422 (use `publish_at`), and from anyone else 403. Timestamps without an offset are UTC.
    Editors and admins."""
    publish_at = utc(body.publish_at) if body else None
    published_at = utc(body.published_at) if body and body.published_at else None
    if published_at is not None and user.role != Role.admin:
        raise Forbidden("Only admins can set published_at; publish now or schedule")
    article = service.publish_article(session, article, publish_at=publish_at, by=user, now=now,
                                      published_at=published_at,
                                      expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.post("/articles/{article_id}/unpublish", response_model=ArticleEditorial,
             operation_id="unpublishArticle", summary="Take an article back to draft",
             response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def unpublish_article(article: ManagedArticle, response: Response, session: SessionDep,
                      user: CurrentUser, now: NowDep, if_match: IfMatch = None) -> dict[str, Any]:
    """A published or scheduled article becomes a draft again and leaves every public surface;
    partners get a `delete` tombstone. Editors and admins."""
    article = service.unpublish_article(session, article, by=user, now=now,
                                        expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


class KillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = PydanticField(min_length=1, max_length=1000, description=(
        "Why it is withdrawn (kept for the newsroom; never shown to readers)"),
        examples=["Court order: identifies a protected witness"])


@router.post("/articles/{article_id}/kill", response_model=ArticleEditorial,
             operation_id="killArticle", summary="Kill an article: withdraw it everywhere",
             response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def kill_article(article: ManagedArticle, body: KillRequest, response: Response,
                 session: SessionDep, user: CurrentUser, now: NowDep,
                 if_match: IfMatch = None) -> dict[str, Any]:
    """For legal or ethical reasons: the article leaves every public and partner surface at
    once; syncs and feeds carry a `delete` tombstone with reason `killed` (ninjs `pubStatus`
    `canceled`, where an unpublish is `withheld`). It cannot be published again; only an admin
    brings it back, as a draft, with `POST .../restore`. Only a published or scheduled article
    can be killed (409 otherwise: a draft was never out; delete it). Editors and admins;
    `If-Match`."""
    article = service.kill_article(session, article, reason=body.reason, by=user, now=now,
                                   expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.get("/articles/{article_id}/revisions", response_model=RevisionList,
            operation_id="listArticleRevisions", summary="List an article's stored revisions",
            responses=problem_responses(400, *AUTH, 404, 422))
def list_revisions(article: ReadableArticle, request: Request, response: Response,
                   session: SessionDep, limit: LimitQ = DEFAULT_LIMIT,
                   cursor: CursorQ = None) -> Page[Any]:
    """Earlier states of the article, newest first. Revision `n` is the article as it was at
    revision `n`; `created_at` and `created_by_id` say when and by whom it was replaced. The
    current state is the article itself."""
    revisions, next_cursor = editorial_queries.list_revisions(
        session, article.id, limit=limit, cursor=cursor)
    return _page_of(request, response, RevisionList, [revision_summary(r) for r in revisions],
                    limit, next_cursor)


@router.get("/articles/{article_id}/revisions/{n}", response_model=RevisionDetail,
            operation_id="getArticleRevision", summary="Get one stored revision",
            responses=problem_responses(*AUTH, 404, 422))
def read_revision(revision: RevisionDep, session: SessionDep) -> RevisionDetail:
    """The full stored state of revision `n`: text, body blocks, section, authors, tags, rights,
    status and slug as they were."""
    return revision_detail(revision, editorial_queries.revision_snapshot(session, revision))


@router.post("/articles/{article_id}/revisions/{n}/restore", response_model=ArticleEditorial,
             operation_id="restoreArticleRevision", summary="Bring back an earlier revision",
             response_model_exclude_unset=True, responses=problem_responses(*WRITE))
def restore_revision(article: EditableArticle, revision: RevisionDep, response: Response,
                     session: SessionDep, user: CurrentUser, now: NowDep,
                     if_match: IfMatch = None) -> dict[str, Any]:
    """Replace the article's content (text, body, slug, section, authors, tags, rights) with
    that of revision `n`, as a new revision: nothing is lost, and the state it replaces is
    stored too. Status and deletion stay as they are."""
    article = service.restore_revision(session, article, revision, by=user, now=now,
                                       expected_revision=expected_revision(if_match, article.id))
    return _with_etag(response, article, editorial(session, article, now))


@router.post("/import", response_model=ArticleEditorial, status_code=201,
             operation_id="importPage", summary="Import a raw news page as an article",
             response_model_exclude_unset=True, responses=problem_responses(*AUTH, 409, 422))
def import_article(data: ImportRequest, request: Request, response: Response, session: SessionDep,
                   user: CurrentWriter, now: NowDep) -> dict[str, Any]:
    """Turn a page like the seed document (title, body, the author's bio line in parentheses,
    `Copyright:`, `Publish Date :`, "Today's news in a nutshell") into one article with its
    author, source and rights, plus the page's briefs. Repeated pull quotes become `pullquote`
    blocks. A draft unless `publish` is true (editors and admins). A page that cannot be read
    answers 422 naming the line."""
    if data.publish and is_writer(user):
        raise Forbidden("Only editors and admins can publish; import as a draft")
    try:
        result = import_page(session, data.text, now=now, by=user, publish=data.publish,
                             section=data.section)
    except PageParseError as exc:
        raise InvalidArticle(f"The page could not be read: {exc}", errors=[
            {"loc": ["body", "text"], "msg": str(exc), "line": exc.line}]) from None
    except ValidationError as exc:  # e.g. a title line longer than an article title may be
        raise InvalidArticle("The page does not make a valid article", errors=[
            {"loc": ["body", "text", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]) from None
    _created(request, response, result.article)
    return _with_etag(response, result.article, editorial(session, result.article, now))
