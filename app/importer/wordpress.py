"""`khabar import wordpress`: a WordPress export (WXR) as articles, with their original dates,
slugs, authors, sections, tags, images and old permalinks.

Mapping (the operator guide has the table): posts only; `publish` -> published with the post's
own GMT date, `future` -> scheduled, `draft`/`pending` -> draft (published with
`--publish-drafts`), password-protected posts -> draft, `private` and `trash` skipped. The first
category is the section, the other categories and the tags are tags. Content goes through
`wp_content` (what WordPress does before showing it) and then `blocks_from_html`, the
Editorial API's sanitizer. Images go through `wp_images`: with `--media-dir`, files become
media objects (through the media intake, while the post is converted, outside any transaction;
their rows are written with the posts showing them).

Every post is prepared (parsed, converted, sanitized, digested) before the transaction that
writes it opens; posts are written in batches, one transaction each. `wordpress_post` keeps each
post's article and the digest of what the import made of it: a rerun skips a post whose digest
is the same (no write, no revision, no change-feed entry) and updates one whose digest changed,
with a revision, as an editor's save would. A batch that fails is retried post by post, so one
bad post is reported and skipped, never the rest.
"""

from __future__ import annotations

import hashlib
import html
import pickle
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app.articles import service as articles_service
from app.articles.blocks import MAX_TEXT, ImageBlock, inline_to_text, sanitize_inline
from app.articles.bulk import SearchText, bulk_insert, insert_articles, search_text
from app.articles.html_input import blocks_from_html
from app.articles.models import Article, ArticleRevision, SlugHistory, Status, Syndication
from app.authors.models import ArticleAuthor, Author
from app.changelog import record as changes
from app.core.config import get_settings
from app.core.db import DEFERRED
from app.core.ids import ascii_int, new_id
from app.core.slugs import slugify, unique_slug
from app.importer import wp_content, wp_images, wxr
from app.importer.models import WordpressPost
from app.importer.wxr import MalformedItem, NotWxr, WxrItem
from app.media.models import Media
from app.redirects.models import Redirect
from app.redirects.service import normalize_path
from app.taxonomy.models import ArticleTag, Section, Tag

__all__ = ["Counts", "ImportRefused", "NotWxr", "Options", "import_wordpress"]

BATCH = 250
MAX_PATH = 2000  # the redirect table's column
# Bumped when the conversion changes, so a rerun converts every post again.
CONVERTER_VERSION = 1
_GALLERY_IDS = re.compile(r"\bids=[\"']?([\d,\s]+)")
NO_TITLE = "(no title)"
SKIPPED = {"private": "skipped_private", "trash": "skipped_trash"}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


class ImportRefused(Exception):
    """The import cannot start (a bad option); nothing was written."""


@dataclass
class Options:
    media_dir: Path | None = None
    # A category's nicename or name (casefolded) -> an existing section's slug.
    section_map: dict[str, str] = field(default_factory=dict)
    publish_drafts: bool = False
    # Processes that convert posts while this one writes; 1 converts in this process.
    jobs: int = 1


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_private: int = 0
    skipped_trash: int = 0
    drafts: int = 0
    scheduled: int = 0
    failed: int = 0
    # Images of the posts converted this time: from media objects (files of --media-dir),
    # kept as URLs (no file), kept as URLs because their file was refused.
    images_stored: int = 0
    images_external: int = 0
    images_refused: int = 0

    def line(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.skipped_private} skipped private, {self.skipped_trash} skipped trash, "
                f"{self.drafts} drafts, {self.scheduled} scheduled, {self.failed} failed; "
                f"images: {self.images_stored} stored, {self.images_external} external, "
                f"{self.images_refused} refused")


@dataclass
class Prepared:
    """A post as the article it becomes: everything computed, nothing written yet."""

    wp_id: int
    values: dict[str, Any]  # article columns
    slug: str
    section: tuple[str, str] | None  # (slug, name)
    authors: list[tuple[str, str]]  # (slug, name), byline order
    tags: list[tuple[str, str]]
    paths: list[str]
    digest: str
    search: SearchText | None = None  # the FTS5 lexemes, for SQLite (see app/articles/bulk.py)
    images: tuple[int, int, int] = (0, 0, 0)  # stored, external, refused (see wp_images.Tally)
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    media: list[dict[str, Any]] = field(default_factory=list)  # media rows this import made


Progress = Callable[[str, int, int], None]  # (phase, bytes read, file size)
Report = Callable[[str], None]


# ---- mapping (no database) --------------------------------------------------------------------


def _plain(value: str, limit: int) -> str:
    """Text of a WordPress HTML field (titles and excerpts may hold markup and entities)."""
    text = " ".join(inline_to_text(sanitize_inline(value)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


@lru_cache(maxsize=4096)
def _term(nicename: str, name: str) -> tuple[str, str]:
    """A category's or tag's (slug, name): a site has few terms, used by many posts."""
    shown = _plain(name, 100) or nicename[:100]
    return slugify(nicename or shown)[:100], shown


def _status(item: WxrItem, options: Options) -> Status:
    if item.password:
        return Status.draft  # WordPress shows it only to readers with the password
    if item.status == "publish":
        return Status.published
    if item.status == "future":
        return Status.scheduled
    if item.status in ("draft", "pending", "auto-draft", "inherit") and options.publish_drafts:
        return Status.published
    return Status.draft


class Mapper:
    """Turns export items into `Prepared` posts, with what the first pass learned."""

    def __init__(self, survey: wxr.Survey, options: Options, now: datetime, *,
                 search: bool = False, lookup: Engine | None = None) -> None:
        self.survey = survey
        self.options = options
        self.now = now
        self.search = search  # compute the search lexemes here (SQLite), not while writing
        self.offset = survey.offset
        if self.offset is None:
            self.offset = get_settings().tz.utcoffset(now.replace(tzinfo=None)) or timedelta()
        self.site_key = survey.site_url.rstrip("/")[:300] or survey.title[:300] or "wordpress"
        language = (survey.language or "").strip()
        self.language = language[:35] if _LANGUAGE.match(language) else "en"
        self.section_map = {k.casefold(): v for k, v in options.section_map.items()}
        self.images = wp_images.Images(options.media_dir, survey.attachments,
                                       base_url=survey.site_url, now=now, lookup=lookup)

    def digest(self, item: WxrItem) -> str:
        """What the article is made from: the post's fields, the attachments it shows, and the
        options. Equal digests make equal articles, so a rerun prepares nothing unchanged."""
        attachments = self.survey.attachments
        galleries = _GALLERY_IDS.findall(item.content) if "ids=" in item.content else ()
        shown = [item.meta.get("_thumbnail_id", ""), *self.survey.children.get(item.wp_id, ()),
                 *(i for ids in galleries for i in re.split(r"[,\s]+", ids))]
        used = {i: attachments[n] for i in map(str, shown)
                if (n := ascii_int(i)) is not None and n in attachments}
        # With --media-dir: the files the images come from (and what only media objects keep).
        files = [self.images.signature([*(a.url for a in used.values()),
                                        *wp_content.image_sources(item.content)]),
                 sorted((k, a.credit) for k, a in used.items())] if self.options.media_dir else []
        return hashlib.sha256(orjson.dumps([
            CONVERTER_VERSION, item.title, item.link, item.creator,
            self.survey.authors.get(item.creator.strip("<> \t\n")), item.content, item.excerpt,
            item.post_name, item.status, item.post_date, item.post_date_gmt, bool(item.password),
            [(t.domain, t.slug, t.name) for t in item.terms],
            sorted((k, a.url, a.alt, a.caption) for k, a in used.items()),
            self.site_key, self.survey.site_url, self.language,
            self.offset.total_seconds() if self.offset else None,
            sorted(self.section_map.items()), self.options.publish_drafts,
            str(self.options.media_dir or ""), *files,
        ])).hexdigest()

    def status(self, item: WxrItem) -> Status:
        return _status(item, self.options)

    def prepare(self, item: WxrItem, digest: str | None = None) -> Prepared:
        status = _status(item, self.options)
        date = wxr.published_at(item, self.offset)
        if status is Status.draft:
            date = None
        elif date is None:
            if status is Status.scheduled:
                raise MalformedItem(f"item {item.wp_id}: a scheduled post without a date")
            date = self.now.replace(microsecond=0)
        title = _plain(item.title, 300) or NO_TITLE
        slug = slugify(item.post_name or title)
        excerpt = _plain(item.excerpt, 2000) or None
        tally = wp_images.Tally()
        try:
            source = wp_content.to_html(
                item.content, attachments=self.survey.attachments, base_url=self.survey.site_url,
                children=self.survey.children.get(item.wp_id, ()))
            blocks = [self.images.inline(b, tally) if isinstance(b, ImageBlock) else b
                      for b in blocks_from_html(source)]
        except ValidationError as exc:
            kind = exc.title.removesuffix("Block").lower()
            raise MalformedItem(f"item {item.wp_id}: a {kind} block is over the limit "
                                f"({MAX_TEXT:,} characters for text)") from None
        section, tags = self._taxonomy(item)
        values: dict[str, Any] = {
            "title": title, "excerpt": excerpt, "language": self.language,
            "status": status.value, "published_at": date,
            "image": self._featured(item, tally), **articles_service.body_columns(blocks),
        }
        # WordPress logins never hold angle brackets (`sanitize_user`); exports sometimes do.
        login = item.creator.strip("<> \t\n") or "wordpress"
        shown = self.survey.authors.get(login) or self.survey.authors.get(item.creator) or login
        authors = [(slugify(login)[:200], _plain(shown, 200) or login[:200])]
        paths = list(dict.fromkeys(path for path in map(normalize_path, self._old_urls(item))
                                   if len(path) <= MAX_PATH))
        return Prepared(wp_id=item.wp_id, values=values, slug=slug, section=section,
                        authors=authors, tags=tags, paths=paths,
                        digest=digest or self.digest(item),
                        search=search_text(values) if self.search else None,
                        images=(tally.stored, tally.external, tally.refused),
                        refusals=tally.refusals, media=list(tally.media.values()))

    def _taxonomy(self, item: WxrItem) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
        categories = [t for t in item.terms if t.domain == "category"]
        section = None
        if categories:
            first = categories[0]
            mapped = (self.section_map.get(first.slug.casefold())
                      or self.section_map.get(html.unescape(first.name).casefold()))
            slug, name = _term(first.slug, first.name)
            section = (mapped, name) if mapped else (slug, name)
        tags: dict[str, str] = {}
        for term in [*categories[1:], *(t for t in item.terms if t.domain == "post_tag")]:
            slug, name = _term(term.slug, term.name)
            if name and (section is None or slug != section[0] or term.domain == "post_tag"):
                tags.setdefault(slug, name)
        return section, sorted(tags.items())

    def _featured(self, item: WxrItem, tally: wp_images.Tally) -> dict[str, Any] | None:
        raw = item.meta.get("_thumbnail_id", "")
        wp_id = ascii_int(raw)
        attachment = self.survey.attachments.get(wp_id) if wp_id is not None else None
        if attachment is None:
            return None
        return self.images.featured(attachment, tally)

    def _old_urls(self, item: WxrItem) -> Iterable[str]:
        if item.link:
            yield item.link
        yield f"/?p={item.wp_id}"


# ---- writing ---------------------------------------------------------------------------------


class Writer:
    """Writes batches of prepared posts, one transaction each; remembers the ids of the sections,
    tags and authors it has seen (forgotten when a transaction rolls back)."""

    def __init__(self, session: Session, site: str, now: datetime, report: Report) -> None:
        self.session = session
        self.site = site
        self.now = now
        self.report = report
        self.refused: set[str] = set()  # image files already reported as refused
        self._forget()

    def _forget(self) -> None:
        self.sections: dict[str, int] = {}
        self.tags: dict[str, int] = {}
        self.authors: dict[str, int] = {}

    def digests(self, wp_ids: Sequence[int]) -> dict[int, str]:
        """The stored digest of each of these posts already imported (a read, then closed)."""
        rows = self.session.exec(select(WordpressPost.wp_id, WordpressPost.digest).where(
            WordpressPost.site == self.site, col(WordpressPost.wp_id).in_(wp_ids))).all()
        self.session.rollback()
        return dict(rows)

    def write(self, batch: Sequence[Prepared], counts: Counts) -> None:
        try:
            outcome = self._write(batch)
        except SQLAlchemyError as exc:
            self.session.rollback()
            self._forget()
            if len(batch) == 1:
                counts.failed += 1
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
                self.report(f"item {batch[0].wp_id}: could not be written ({reason}); skipped")
                return
            for one in batch:  # find the post that failed; write the others
                self.write([one], counts)
            return
        for name, n in outcome.items():
            setattr(counts, name, getattr(counts, name) + n)

    def _write(self, batch: Sequence[Prepared]) -> dict[str, int]:
        session = self.session
        known = {row[0]: (row[1], row[2]) for row in session.exec(
            select(WordpressPost.wp_id, WordpressPost.article_id, WordpressPost.digest).where(
                WordpressPost.site == self.site,
                col(WordpressPost.wp_id).in_([p.wp_id for p in batch]))).all()}
        fresh = [p for p in batch if p.wp_id not in known]
        changed = [p for p in batch if p.wp_id in known and known[p.wp_id][1] != p.digest]
        outcome = {"created": len(fresh), "updated": 0,
                   "unchanged": len(batch) - len(fresh) - len(changed), "failed": 0}
        if not fresh and not changed:
            session.rollback()  # nothing to write: no transaction, no change-feed entry
            return outcome
        self._ensure_terms([*fresh, *changed])
        self._media([*fresh, *changed])
        # The bylines being replaced: their authors' pages and counts change too.
        prior = changes.before(session, [known[p.wp_id][0] for p in changed])
        written = self._create(fresh)
        for post in changed:
            article_id = known[post.wp_id][0]
            if self._update(post, article_id):
                written.append(article_id)
                outcome["updated"] += 1
            else:
                outcome["failed"] += 1
        changes.article_changed(session, written, prior=prior)
        session.commit()
        return outcome

    # -- taxonomy and authors, created when first needed

    def _ensure_terms(self, posts: Sequence[Prepared]) -> None:
        sections = {p.section[0]: p.section[1] for p in posts if p.section}
        tags = {slug: name for p in posts for slug, name in p.tags}
        authors = {slug: name for p in posts for slug, name in p.authors}
        new_sections = self._ensure(Section, self.sections, sections)
        new_tags = self._ensure(Tag, self.tags, tags)
        new_authors = self._ensure(Author, self.authors, authors)
        stale = [*(["sections"] if new_sections else []), *(["tags"] if new_tags else []),
                 *(["authors"] if new_authors else [])]
        if stale:
            changes.content_changed(self.session, *stale)

    def _ensure(self, model: Any, cache: dict[str, int], wanted: dict[str, str]) -> bool:
        missing = [s for s in wanted if s not in cache]
        if not missing:
            return False
        cache.update(self.session.exec(select(model.slug, model.id).where(
            col(model.slug).in_(missing))).all())
        created = [s for s in missing if s not in cache]
        for slug in created:
            extra = {"created_at": self.now, "updated_at": self.now} if model is Author else {}
            row = model(slug=slug, name=wanted[slug], **extra)
            self.session.add(row)
            self.session.flush()
            cache[slug] = row.id
        return bool(created)

    def _media(self, posts: Sequence[Prepared]) -> None:
        """The media objects these posts show that this import made (files of --media-dir),
        written with them; one another process or an earlier batch wrote is not written twice."""
        rows = {row["id"]: row for p in posts for row in p.media}
        if not rows:
            return
        have = set(self.session.exec(select(Media.id).where(col(Media.id).in_(list(rows)))).all())
        self._insert(Media, [row for media_id, row in rows.items() if media_id not in have])

    # -- articles

    def _free_slugs(self, posts: Sequence[Prepared]) -> dict[int, str]:
        wanted = {p.slug for p in posts}
        taken = set(self.session.exec(select(Article.slug).where(
            col(Article.slug).in_(wanted))).all())
        taken |= set(self.session.exec(select(SlugHistory.slug).where(
            col(SlugHistory.slug).in_(wanted))).all())
        out: dict[int, str] = {}
        for post in posts:
            slug = post.slug
            if slug in taken:
                slug = unique_slug(self.session, col(Article.slug), slug, taken=taken)
            taken.add(slug)
            out[post.wp_id] = slug
        return out

    def _create(self, posts: Sequence[Prepared]) -> list[str]:
        if not posts:
            return []
        now = self.now
        slugs = self._free_slugs(posts)
        ids = {p.wp_id: new_id() for p in posts}
        search = [p.search for p in posts]
        insert_articles(self.session, [{
            **p.values, "id": ids[p.wp_id], "slug": slugs[p.wp_id],
            "section_id": self.sections[p.section[0]] if p.section else None,
            "created_at": now, "updated_at": now, "revision": 1, "subtitle": None,
            "syndication": Syndication.allowed.value, "deleted_at": None, "featured": False,
        # (search has no None in it when passed)
        } for p in posts], None if None in search else search)  # type: ignore[arg-type]
        self._links([(ids[p.wp_id], p) for p in posts])
        self._redirects([(ids[p.wp_id], p) for p in posts])
        self._insert(WordpressPost, [
            {"site": self.site, "wp_id": p.wp_id, "article_id": ids[p.wp_id],
             "digest": p.digest, "imported_at": now} for p in posts])
        return list(ids.values())

    def _insert(self, model: Any, rows: list[dict[str, Any]]) -> None:
        # Driver executemany on the table: the ORM's bulk path, and even Core's per-row
        # bookkeeping, cost more than the insert itself.
        bulk_insert(self.session, model.__table__, rows)

    def _links(self, pairs: Sequence[tuple[str, Prepared]]) -> None:
        authors = [{"article_id": a, "author_id": self.authors[slug], "position": i}
                   for a, p in pairs for i, (slug, _) in enumerate(p.authors)]
        tags = [{"article_id": a, "tag_id": self.tags[slug]} for a, p in pairs
                for slug, _ in p.tags]
        if authors:
            self._insert(ArticleAuthor, authors)
        if tags:
            self._insert(ArticleTag, tags)

    def _redirects(self, pairs: Sequence[tuple[str, Prepared]]) -> None:
        rows = {path: article_id for article_id, p in pairs for path in p.paths}
        if not rows:
            return
        # A path another article held (an earlier import of another site) now names this one.
        self.session.execute(delete(Redirect).where(col(Redirect.path).in_(list(rows))))
        self._insert(Redirect, [
            {"path": path, "article_id": a, "created_at": self.now} for path, a in rows.items()])

    def _update(self, post: Prepared, article_id: str) -> bool:
        session = self.session
        article = session.get(Article, article_id)
        if article is None or article.deleted_at is not None:
            self.report(f"item {post.wp_id}: its article {article_id} is deleted in Khabar; "
                        "left as it is (restore it to take the export's changes)")
            return False
        previous = articles_service.snapshot(session, article)
        values = dict(post.values)
        if not _same_slug(article.slug, post.slug):
            values["slug"] = self._free_slugs([post])[post.wp_id]
        values["section_id"] = self.sections[post.section[0]] if post.section else None
        result = session.exec(
            update(Article).where(col(Article.id) == article_id,
                                  col(Article.revision) == article.revision)
            .values(**values, revision=article.revision + 1, updated_at=self.now))
        if result.rowcount != 1:
            raise _Conflict(article_id)
        session.add(ArticleRevision(article_id=article_id, revision=article.revision,
                                    snapshot=previous, created_by_id=None, created_at=self.now))
        if "slug" in values and values["slug"] != previous["slug"]:
            session.execute(delete(SlugHistory).where(col(SlugHistory.slug) == values["slug"]))
            session.add(SlugHistory(slug=previous["slug"], article_id=article_id,
                                    created_at=self.now))
        session.execute(delete(ArticleAuthor).where(col(ArticleAuthor.article_id) == article_id))
        session.execute(delete(ArticleTag).where(col(ArticleTag.article_id) == article_id))
        session.execute(delete(Redirect).where(col(Redirect.article_id) == article_id))
        self._links([(article_id, post)])
        self._redirects([(article_id, post)])
        session.execute(update(WordpressPost).where(
            col(WordpressPost.site) == self.site, col(WordpressPost.wp_id) == post.wp_id)
            .values(digest=post.digest, imported_at=self.now))
        session.expire(article)
        return True


def _same_slug(current: str, wanted: str) -> bool:
    """The article still has the slug the export asks for (or its `-2` form, given when the
    slug was taken at the first import)."""
    return current == wanted or re.fullmatch(re.escape(wanted) + r"-\d+", current) is not None


class _Conflict(SQLAlchemyError):
    """An editor saved the article while the import was updating it: that post is retried
    alone, and reported if it fails again."""


# ---- the use case ------------------------------------------------------------------------------


def check_section_map(session: Session, section_map: dict[str, str]) -> None:
    wanted = set(section_map.values())
    found = set(session.exec(select(Section.slug).where(col(Section.slug).in_(wanted))).all())
    missing = sorted(wanted - found)
    if missing:
        raise ImportRefused(f"--section-map names unknown section(s): {', '.join(missing)} "
                            "(create them first)")


def import_wordpress(engine: Engine, path: Path, options: Options, *, now: datetime,
                     progress: Progress | None = None,
                     report: Report | None = None) -> Counts:
    """Import the posts of a WXR file. Raises `NotWxr` (or `ImportRefused`) before writing
    anything when the file (or an option) is not usable."""
    size = path.stat().st_size
    say = report or (lambda _message: None)

    def phase(name: str) -> Callable[[int], None] | None:
        return (lambda done: progress(name, done, size)) if progress else None

    with _Converter(options.jobs) as convert:
        if size >= EARLY_START_BYTES and _first_import(engine):
            convert.start()
        survey = wxr.survey(path, phase("checking"))
        # Media objects imported before are looked up outside the writing transaction (and,
        # on SQLite, without its write lock).
        mapper = Mapper(survey, options, now, search=engine.dialect.name == "sqlite",
                        lookup=engine.execution_options(**{DEFERRED: True}))
        convert.use(mapper, parallel=survey.posts >= PARALLEL_FROM)
        return _import(engine, path, options, mapper, convert, phase, say)


def _first_import(engine: Engine) -> bool:
    """No WordPress post was ever imported here: every post of a large file is to convert."""
    with Session(engine.execution_options(**{DEFERRED: True})) as session:
        return session.exec(select(WordpressPost.wp_id).limit(1)).first() is None


def _import(engine: Engine, path: Path, options: Options, mapper: Mapper, convert: _Converter,
            phase: Callable[[str], Callable[[int], None] | None], say: Report) -> Counts:
    counts = Counts()
    with Session(engine, expire_on_commit=False) as session:
        check_section_map(session, options.section_map)
        session.rollback()
        writer = Writer(session, mapper.site_key, mapper.now, say)
        pending: deque[Future[list[Prepared | MalformedItem]]] = deque()
        batch: list[WxrItem] = []
        for item in wxr.items(path, phase("importing")):
            if isinstance(item, MalformedItem):
                counts.failed += 1
                say(str(item))
            elif item.status in SKIPPED:
                setattr(counts, SKIPPED[item.status], getattr(counts, SKIPPED[item.status]) + 1)
            else:
                batch.append(item)
            if len(batch) >= BATCH:
                # Batches are converted while the ones before them are written.
                pending.append(convert(_changed(batch, mapper, writer, counts, say)))
                batch = []
                if len(pending) > convert.ahead:
                    _write(pending.popleft(), writer, counts, say)
        if batch:
            pending.append(convert(_changed(batch, mapper, writer, counts, say)))
        while pending:
            _write(pending.popleft(), writer, counts, say)
    return counts


PARALLEL_FROM = 2_000  # posts; a smaller export is done before worker processes would start
# A file this large, imported for the first time, starts its worker processes while it is
# surveyed (their start-up, a CPU second each, overlaps the survey): it almost always holds
# PARALLEL_FROM posts, all to convert.
EARLY_START_BYTES = 8_000_000
_WORKER: tuple[str, Mapper] | None = None  # (the state file it was made from, the mapper)


def _ready() -> None:
    """A task that only makes the pool start its processes."""


def _prepare_all(todo: list[tuple[WxrItem, str | None]], state: str | None = None,
                 mapper: Mapper | None = None) -> list[Prepared | MalformedItem]:
    """Convert posts: with `mapper` (in this process), or in a worker with the mapper made from
    the `state` file (once per import)."""
    global _WORKER
    if mapper is None:
        assert state is not None
        if _WORKER is None or _WORKER[0] != state:
            with open(state, "rb") as handle:
                survey, options, now, search = pickle.load(handle)  # written by this import
            _WORKER = (state, Mapper(survey, options, now, search=search))
        mapper = _WORKER[1]
    out: list[Prepared | MalformedItem] = []
    for item, digest in todo:
        try:
            out.append(mapper.prepare(item, digest))
        except MalformedItem as exc:
            out.append(exc)
    return out


class _Converter:
    """Converts batches of posts: in this process, or in `jobs` worker processes (spawned, so
    they inherit no database connection and no thread) while this one writes.

    Workers may start before the survey (`start`), so their start-up overlaps it. What they
    need (the survey, with every attachment) then goes through a file, read by each worker at
    its first batch; given as the pool's initializer arguments, it made each spawn block this
    process until that worker had imported the application (larger than a pipe holds)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.mapper: Mapper | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.state: Path | None = None
        self.ahead = 1

    def start(self) -> None:
        """Start the worker processes now (they import the application meanwhile)."""
        if self.jobs > 1 and self.pool is None:
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=get_context("spawn"))
            for _ in range(self.jobs):
                self.pool.submit(_ready)

    def use(self, mapper: Mapper, *, parallel: bool) -> None:
        """Convert with `mapper`: in the workers when `parallel` (started with the first
        batch to convert if they were not: a rerun that changes nothing starts none), else in
        this process (workers started early are stopped)."""
        self.mapper = mapper
        if not parallel or self.jobs <= 1:
            self._stop()
            return
        with tempfile.NamedTemporaryFile("wb", prefix="khabar-wordpress-", suffix=".pickle",
                                         delete=False) as handle:
            pickle.dump((mapper.survey, mapper.options, mapper.now, mapper.search), handle,
                        protocol=pickle.HIGHEST_PROTOCOL)
        self.state = Path(handle.name)
        # Batches converting while one is written: enough that the workers never wait for
        # the writer (each holds a batch of posts in memory).
        self.ahead = 2

    def __enter__(self) -> _Converter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        if self.state is not None:
            self.state.unlink(missing_ok=True)
            self.state = None

    def __call__(self, todo: list[tuple[WxrItem, str | None]]
                 ) -> Future[list[Prepared | MalformedItem]]:
        assert self.mapper is not None
        if self.state is not None and todo:
            self.start()
        if self.pool is None or self.state is None:
            done: Future[list[Prepared | MalformedItem]] = Future()
            done.set_result(_prepare_all(todo, mapper=self.mapper))
            return done
        size = max(1, -(-len(todo) // self.jobs))
        parts = [self.pool.submit(_prepare_all, todo[i:i + size], str(self.state))
                 for i in range(0, len(todo), size)]
        joined: Future[list[Prepared | MalformedItem]] = Future()

        def finish(_: object) -> None:
            if all(p.done() for p in parts) and not joined.done():
                try:
                    joined.set_result([r for p in parts for r in p.result()])
                except Exception as exc:  # a worker died: surfaced where the batch is written
                    joined.set_exception(exc)

        for part in parts:
            part.add_done_callback(finish)
        if not parts:
            joined.set_result([])
        return joined


def _changed(batch: list[WxrItem], mapper: Mapper, writer: Writer, counts: Counts,
             say: Report) -> list[tuple[WxrItem, str | None]]:
    """The posts of a batch to convert and write: those whose digest is not the stored one.
    The others are unchanged and are not even converted. A post never imported has no digest
    to compare: its digest is computed where it is converted (None here)."""
    known = writer.digests([item.wp_id for item in batch])
    todo: list[tuple[WxrItem, str | None]] = []
    for item in _unique(batch, counts, say):
        if item.wp_id not in known:
            todo.append((item, None))
            continue
        digest = mapper.digest(item)
        if known[item.wp_id] == digest:
            counts.unchanged += 1
            _count_status(counts, mapper.status(item))
        else:
            todo.append((item, digest))
    return todo


def _write(converted: Future[list[Prepared | MalformedItem]] | None, writer: Writer,
           counts: Counts, say: Report) -> None:
    if converted is None:
        return
    ready: list[Prepared] = []
    for post in converted.result():
        if isinstance(post, MalformedItem):
            counts.failed += 1
            say(str(post))
            continue
        _count_status(counts, Status(post.values["status"]))
        stored, external, refused = post.images
        counts.images_stored += stored
        counts.images_external += external
        counts.images_refused += refused
        for name, reason in post.refusals:
            if name not in writer.refused:  # said once, however many posts show it
                writer.refused.add(name)
                say(f"image {name} (item {post.wp_id}): refused, its URL kept ({reason})")
        ready.append(post)
    if ready:
        writer.write(ready, counts)


def _count_status(counts: Counts, status: Status) -> None:
    if status is Status.draft:
        counts.drafts += 1
    elif status is Status.scheduled:
        counts.scheduled += 1


def _unique(batch: list[WxrItem], counts: Counts, say: Report) -> list[WxrItem]:
    """A post id given twice in one batch is a broken export: the later copy is reported."""
    seen: dict[int, WxrItem] = {}
    for item in batch:
        if item.wp_id in seen:
            counts.failed += 1
            say(f"item {item.wp_id}: the export has this post id twice; the second copy skipped")
            continue
        seen[item.wp_id] = item
    return list(seen.values())
