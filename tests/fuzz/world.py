"""The data the fuzzer runs against: a small real newsroom (sections, tags, authors, users,
published, scheduled, draft, revised and deleted articles, briefs, partners) and the credentials
of an admin and of a partner, so generated requests reach the code behind authentication and
behind real ids instead of stopping at 401 and 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.articles import service as articles
from app.articles.models import Article, ArticleCreate, ArticleUpdate
from app.authors.models import Author
from app.briefs import service as briefs
from app.briefs.models import BriefCreate
from app.core.config import get_settings
from app.core.preconditions import revision_etag
from app.core.security import issue_token
from app.partners import service as partners
from app.partners.models import PartnerCreate
from app.taxonomy.models import Section
from app.users.models import Role, User
from tests.articles.newsroom import password_hash

# A budget no fuzz run reaches: a 429 is documented, but it would hide every later answer.
PARTNER_RATE_LIMIT = "1000000/minute"


@dataclass
class World:
    admin_id: int
    admin_headers: dict[str, str]
    partner_id: int
    partner_key_prefix: str
    partner_key_hash: str
    partner_headers: dict[str, str]
    # Real values per path parameter, by the path's first segment after /v1/[editorial/].
    path_values: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def values_for(self, path: str, name: str) -> list[Any]:
        return self.path_values.get((resource_of(path), name), [])


def resource_of(path: str) -> str:
    """`/v1/editorial/articles/{article_id}` -> `articles`; `/v1/feeds/sections/{slug}.{kind}`
    -> `feeds/sections`: which table a path parameter's value comes from."""
    parts = [p for p in path.split("/") if p and p not in ("v1", "editorial")]
    head = parts[0] if parts else ""
    if head == "feeds" and len(parts) > 1 and parts[1] == "sections":
        return "feeds/sections"
    return head


def current_etag(session: Session, article_id: str) -> str | None:
    """The `If-Match` value that names an article's current revision, read now (the fuzzer's
    own writes move it on)."""
    revision = session.execute(text("SELECT revision FROM article WHERE id = :id"),
                               {"id": article_id}).scalar()
    return None if revision is None else revision_etag(article_id, revision)


def restore_fuzzer(session: Session, world: World) -> None:
    """Undo what generated requests may have done to the fuzzer's own credentials (PATCH
    /v1/editorial/users/{id} demoting or disabling the admin; a partner's key rotated, revoked
    or narrowed), so the next case still runs as an admin and as a partner of every section."""
    session.execute(text('UPDATE "user" SET role = :role, disabled_at = NULL WHERE id = :id'),
                    {"role": Role.admin.value, "id": world.admin_id})
    session.execute(text("UPDATE partner SET key_prefix = :prefix, key_hash = :hash, "
                         "revoked_at = NULL, sections = '[]', rate_limit = :limit WHERE id = :id"),
                    {"prefix": world.partner_key_prefix, "hash": world.partner_key_hash,
                     "limit": PARTNER_RATE_LIMIT, "id": world.partner_id})
    session.commit()


def build_world(session: Session) -> World:
    now = datetime.now(UTC)
    users = [User(email=f"{role}@fuzz.example", role=role, password_hash=password_hash(),
                  created_at=now, name=f"Fuzz {role}")
             for role in ("writer", "editor", "admin")]
    session.add_all(users)
    sections = [Section(slug=slug, name=slug.title()) for slug in ("news", "opinion", "sport")]
    session.add_all(sections)
    session.commit()
    # The admin has an author profile, as newsroom staff do: articles it creates need no byline.
    admin = users[-1]
    authors = [Author(slug=slug, name=slug.replace("-", " ").title(), bio="Writes things.",
                      user_id=user_id, created_at=now, updated_at=now)
               for slug, user_id in (("asha-rai", users[0].id), ("bikash-thapa", None),
                                     ("fuzz-admin", admin.id))]
    session.add_all(authors)
    session.commit()

    made = _articles(session, admin, [a.slug for a in authors], now)
    today = now.astimezone(get_settings().tz).date()
    brief_ids = [
        briefs.create_brief(session, BriefCreate(date=day, headline=f"Brief {i}",
                                                 summary="In a nutshell.", dateline="Kathmandu",
                                                 article_id=made[0].id if i == 0 else None),
                            now=now).id
        for i, day in enumerate((today, today, today - timedelta(days=1)))
    ]
    partner, key = partners.create_partner(
        session, PartnerCreate(name="Fuzz partner", rate_limit=PARTNER_RATE_LIMIT), now=now)
    other, _ = partners.create_partner(
        session, PartnerCreate(name="Other partner", sections=["news"]), now=now)
    token, _ = issue_token(str(admin.id), admin.role, now)
    session.commit()

    world = World(admin_id=admin.id, admin_headers={"Authorization": f"Bearer {token}"},
                  partner_id=partner.id, partner_key_prefix=partner.key_prefix,
                  partner_key_hash=partner.key_hash, partner_headers={"X-API-Key": key})
    published = [a for a in made if a.status == "published"]
    section_slugs = [s.slug for s in sections]
    tag_slugs = list(session.execute(text("SELECT slug FROM tag ORDER BY id")).scalars())
    world.path_values = {
        ("articles", "slug"): [a.slug for a in published],
        ("articles", "article_id"): [a.id for a in made],
        ("articles", "n"): [1, 2],
        ("authors", "slug"): [a.slug for a in authors],
        ("authors", "author_id"): [a.id for a in authors],
        ("sections", "slug"): section_slugs,
        ("feeds/sections", "slug"): section_slugs,
        ("feeds/sections", "kind"): ["rss", "atom", "json"],
        ("tags", "slug"): tag_slugs,
        ("users", "user_id"): [u.id for u in users],
        ("briefs", "brief_id"): brief_ids,
        ("partners", "partner_id"): [partner.id, other.id],
        ("syndication", "article_id"): [a.id for a in published],
    }
    return world


def _articles(session: Session, admin: User, authors: list[str], now: datetime) -> list[Article]:
    """Four published articles, one scheduled, one draft, one draft with a revision, one
    deleted: every state the Editorial routes treat differently."""
    earlier = now - timedelta(hours=1)
    made = []
    for i, state in enumerate(("published",) * 4 + ("scheduled", "draft", "revised", "deleted")):
        data = ArticleCreate(
            title=f"Fuzz story {i} {state}", section=("news", "opinion")[i % 2],
            tags=["nepal", f"topic {i % 3}"], authors=[authors[i % 2]], excerpt="An excerpt.",
            body_text="First paragraph.\n\nSecond paragraph.",
            image={"url": "https://example.com/a.jpg", "caption": "A caption"})
        article = articles.create_article(session, data, by=admin, now=earlier)
        if state == "revised":
            article = articles.update_article(session, article, ArticleUpdate(title=f"{i} edited"),
                                              expected_revision=article.revision, by=admin,
                                              now=earlier)
        if state in ("published", "deleted", "scheduled"):
            at = now + timedelta(days=1) if state == "scheduled" else None
            article = articles.publish_article(session, article, publish_at=at,
                                               expected_revision=article.revision, by=admin,
                                               now=earlier - timedelta(minutes=i))
        if state == "deleted":
            article = articles.delete_article(session, article,
                                              expected_revision=article.revision, by=admin,
                                              now=earlier)
        made.append(article)
    return made
