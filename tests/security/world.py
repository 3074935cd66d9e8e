"""The security suite's world: one newsroom with an object of every kind in every state, the
credentials of everyone who may call the API (and of many who may not), and the secrets that no
response may ever contain.

Every hidden object carries a marker word (`zq<state><token>`) in its title and so in its slug;
a response that contains the marker, the object's id or its slug has leaked it. Every user's
email is at `EMAIL_DOMAIN`, so one search finds any email in any response.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from app.articles import service as articles
from app.articles.models import Article, ArticleCreate, ArticleUpdate, RightsInput
from app.authors import service as authors
from app.authors.models import Author, AuthorCreate
from app.briefs import service as briefs
from app.briefs.models import Brief, BriefCreate
from app.core.config import get_settings
from app.core.ids import new_id
from app.core.security import JWT_ALGORITHM, issue_token
from app.media import renditions
from app.media import service as media_service
from app.media.intake import ingest
from app.media.models import FocalPoint, Media
from app.media.storage import get_store
from app.partners import service as partners
from app.partners.models import Partner, PartnerCreate
from app.previews import service as previews
from app.previews.models import PreviewLinkCreate
from app.redirects.models import Redirect
from app.taxonomy import service as taxonomy
from app.taxonomy.models import Section, SectionCreate, Tag, TagCreate
from app.users.models import User
from app.webhooks import outbox
from app.webhooks import service as webhooks
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import PASSWORD

EMAIL_DOMAIN = "users.khabar-sec.example.com"
EVIL_ORIGIN = "https://evil.example"
ROLES = ("writer", "editor", "admin")

# Article states, each with who created it and how it got there.
# `scheduled` is also what an embargo partner gets early (tests/syndication/test_embargo.py): the
# world's partner has no embargo access, so it is hidden from every public and partner route.
# `killed` was published, then killed; `previewed` is a draft with a live preview link.
ARTICLE_STATES = ("draft", "revised", "scheduled", "published", "deleted", "unpublished",
                  "denied", "other_section", "other_draft", "killed", "previewed")
PUBLIC_ARTICLES = frozenset({"published", "denied", "other_section"})
PARTNER_ARTICLES = frozenset({"published"})  # the partner's allowlist is `news`; `denied` is not
WRITER_HIDDEN_ARTICLES = frozenset({"deleted", "other_draft"})  # writers see their own, undeleted
BRIEF_STATES = ("published", "unpublished", "deleted", "linked")  # linked -> the other draft
PUBLIC_BRIEFS = frozenset({"published", "linked"})
AUTHOR_KINDS = ("own", "other", "unused")
SECTION_KINDS = ("news", "opinion", "empty")
TAG_KINDS = ("public", "hidden")
USER_KINDS = ("writer", "other", "editor", "admin", "disabled")
PARTNER_KINDS = ("active", "revoked")
# Webhook endpoints: the newsroom's and the active partner's; `_doomed` ones are for DELETE.
WEBHOOK_KINDS = ("newsroom", "newsroom_doomed", "partner", "partner_doomed")
# Media objects: uploaded by the writer (`own`) or by the editor (`other`).
MEDIA_KINDS = ("own", "other")
# Credentials that must never open a door: a wrong, expired, unsigned or orphaned token, or a
# revoked key. `disabled` and `deleted_user` are valid tokens of admins who no longer may log in.
BAD_CREDENTIALS = ("garbage", "expired", "alg_none", "wrong_key", "disabled", "deleted_user",
                   "revoked")
CREDENTIALS = ("none", *BAD_CREDENTIALS, "partner", *ROLES)
# Tokens that fail authentication itself; the matrix tries them on one object per route.
SAMPLED_CREDENTIALS = frozenset(BAD_CREDENTIALS) - {"revoked"}


@lru_cache
def password_hash() -> str:
    """The hash of every world user's password: the suite's cheap Argon2 cost, but the salt and
    digest lengths of production (16 and 32 bytes). The CHEAPEST profile's digest is 4 bytes,
    6 characters that any response could contain by chance: too short to scan for."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32,
                          salt_len=16).hash(PASSWORD)


@dataclass
class World:
    engine: Engine
    token: str = field(default_factory=lambda: secrets.token_hex(3))
    now: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(seconds=5))
    users: dict[str, User] = field(default_factory=dict)
    authors: dict[str, Author] = field(default_factory=dict)
    sections: dict[str, Section] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    briefs: dict[str, Brief] = field(default_factory=dict)
    partners: dict[str, Partner] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict)
    deliveries: dict[str, WebhookDelivery] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    made: int = 0  # fresh objects built so far (writes need their own)

    # ---- markers ------------------------------------------------------------------------

    def marker(self, kind: str, state: str) -> str:
        return f"zq{kind[0]}{state.replace('_', '')}{self.token}"

    def article_marks(self, states: frozenset[str] | set[str]) -> set[str]:
        """Marker words, ids and slugs of the world's articles in `states`."""
        out: set[str] = set()
        for state in states:
            article = self.articles[state]
            out |= {self.marker("article", state), article.id, article.slug}
        return out

    def brief_marks(self, states: frozenset[str] | set[str]) -> set[str]:
        return {self.marker("brief", state) for state in states}

    @property
    def today(self) -> Any:
        return self.now.astimezone(get_settings().tz).date()

    # ---- secrets ------------------------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        """Label -> a value that no response of any route may contain. (Emails are checked
        apart: admins read them on the user administration routes.)"""
        pw_hash = password_hash()
        out = {"password": PASSWORD, "password hash": pw_hash,
               "password hash digest": pw_hash.rsplit("$", 1)[-1],
               "signing key": get_settings().secret_key}
        for name, key in self.keys.items():
            partner = self.partners[name]
            out[f"{name} partner key"] = key
            out[f"{name} partner key secret"] = key.split("_", 2)[2]  # khb_<prefix>_<secret>
            out[f"{name} partner key hash"] = partner.key_hash
        for name, headers in self.credentials.items():
            value = headers.get("Authorization", "").removeprefix("Bearer ")
            if name not in ("none", "garbage") and value:
                out[f"{name} credential"] = value
        return out

    # ---- building -----------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        # Short sessions, each committed and closed before the app runs: on SQLite the write
        # engine begins IMMEDIATE, and an open transaction here would block the app.
        with Session(self.engine, expire_on_commit=False) as s:
            yield s
            s.commit()

    def build(self) -> World:
        with self.session() as s:
            for kind in USER_KINDS:
                role = {"other": "writer", "disabled": "admin"}.get(kind, kind)
                user = User(email=f"{kind}-{self.token}@{EMAIL_DOMAIN}", role=role,
                            password_hash=password_hash(), created_at=self.now,
                            disabled_at=self.now if kind == "disabled" else None)
                s.add(user)
                self.users[kind] = user
            s.commit()
        with self.session() as s:
            for kind, user_kind in (("own", "writer"), ("other", "other"), ("editor", "editor"),
                                    ("admin", "admin"), ("unused", None)):
                user_id = self.users[user_kind].id if user_kind else None
                self.authors[kind] = authors.create_author(s, AuthorCreate(
                    name=f"Author {kind.title()} {self.token}", user_id=user_id), now=self.now)
            for kind in SECTION_KINDS:
                self.sections[kind] = taxonomy.create_section(s, SectionCreate(name=kind.title(),
                                                                               slug=kind))
            for kind in TAG_KINDS:
                self.tags[kind] = taxonomy.create_tag(s, TagCreate(name=f"{kind} tag",
                                                                   slug=f"{kind}-tag"))
        for state in ARTICLE_STATES:
            self.articles[state] = self.article(state)
        for state in BRIEF_STATES:
            self.briefs[state] = self.brief(state)
        for kind in PARTNER_KINDS:
            self.partners[kind], self.keys[kind] = self.partner(kind)
        for kind in WEBHOOK_KINDS:
            self.webhooks[kind], self.deliveries[kind] = self.webhook(kind)
        for kind in MEDIA_KINDS:
            self.media[kind] = self.medium(kind)
        self._redirects()
        self.credentials = self._credentials()
        return self

    def fresh_name(self) -> str:
        self.made += 1
        return f"{self.token}n{self.made}"

    def article(self, state: str, word: str | None = None) -> Article:
        """A new article brought to `state` the way the newsroom would."""
        word = word or self.marker("article", state)
        owner = self.users["other" if state == "other_draft" else "writer"]
        editor = self.users["editor"]
        rights = RightsInput(copyright_holder="Project Syndicate") if state == "denied" else None
        section = "opinion" if state == "other_section" else "news"
        tags = ["hidden-tag"] if state == "draft" else ["public-tag"]
        if state == "other_draft":
            tags = []
        with self.session() as s:
            article = articles.create_article(s, ArticleCreate(
                title=f"Story {word}", section=section, tags=tags, rights=rights,
                excerpt=f"Excerpt of {word}", body_text=f"The story {word} in words.\n\nMore."),
                by=owner, now=self.now)
            rev = article.revision
            if state == "revised":
                article = articles.update_article(
                    s, article, ArticleUpdate(title=f"Story {word} edited"),
                    expected_revision=rev, by=owner, now=self.now)
            elif state in ("published", "deleted", "unpublished", "denied", "other_section",
                           "killed"):
                article = articles.publish_article(s, article, publish_at=None,
                                                   expected_revision=rev, by=editor, now=self.now)
            elif state == "scheduled":
                article = articles.publish_article(s, article, publish_at=self.now + timedelta(
                    days=1), expected_revision=rev, by=editor, now=self.now)
            if state == "deleted":
                article = articles.delete_article(s, article, expected_revision=article.revision,
                                                  by=editor, now=self.now)
            elif state == "unpublished":
                article = articles.unpublish_article(
                    s, article, expected_revision=article.revision, by=editor, now=self.now)
            elif state == "killed":
                article = articles.kill_article(s, article, reason="Legal",
                                                expected_revision=article.revision, by=editor,
                                                now=self.now)
            elif state == "previewed":
                previews.create_link(s, article, PreviewLinkCreate(), by=owner, now=self.now)
                s.refresh(article)
            return article

    def brief(self, state: str, word: str | None = None) -> Brief:
        word = word or self.marker("brief", state)
        with self.session() as s:
            brief = briefs.create_brief(s, BriefCreate(
                date=self.today, dateline="KATHMANDU", headline=f"Brief {word}",
                summary=f"Summary of {word}.", published=state != "unpublished",
                article_id=self.articles["other_draft"].id if state == "linked" else None),
                now=self.now)
            if state == "deleted":
                briefs.delete_brief(s, brief, now=self.now)
                s.refresh(brief)
            return brief

    def author(self, kind: str) -> Author:
        """A fresh author like `kind`: linked to the writer (own) or the other writer (other),
        with an article of theirs (so it cannot be deleted), or unused."""
        if kind == "own":  # one profile per user: the writer's own is the world's
            return self.authors["own"]
        name = self.fresh_name()
        with self.session() as s:
            user_id = None
            if kind == "other":
                user = User(email=f"{kind}-{name}@{EMAIL_DOMAIN}", role="writer",
                            password_hash=password_hash(), created_at=self.now)
                s.add(user)
                s.flush()
                user_id = user.id
            author = authors.create_author(s, AuthorCreate(name=f"Author {name}",
                                                           user_id=user_id), now=self.now)
            if kind != "unused":
                articles.create_article(s, ArticleCreate(title=f"By {name}",
                                                         authors=[author.slug]),
                                        by=None, now=self.now)
            return author

    def section(self, kind: str) -> Section:
        name = self.fresh_name()
        with self.session() as s:
            section = taxonomy.create_section(s, SectionCreate(name=f"Section {name}",
                                                               slug=f"section-{name}"))
            if kind != "empty":
                articles.create_article(s, ArticleCreate(title=f"In {name}",
                                                         section=section.slug,
                                                         authors=[self.authors["own"].slug]),
                                        by=None, now=self.now)
            return section

    def tag(self, kind: str) -> Tag:
        name = self.fresh_name()
        with self.session() as s:
            return taxonomy.create_tag(s, TagCreate(name=f"{kind} {name}", slug=f"tag-{name}"))

    def user(self, kind: str) -> User:
        name = self.fresh_name()
        role = {"other": "writer", "disabled": "admin"}.get(kind, kind)
        with self.session() as s:
            user = User(email=f"{kind}-{name}@{EMAIL_DOMAIN}", role=role,
                        password_hash=password_hash(), created_at=self.now,
                        disabled_at=self.now if kind == "disabled" else None)
            s.add(user)
            return user

    def partner(self, kind: str) -> tuple[Partner, str]:
        with self.session() as s:
            partner, key = partners.create_partner(s, PartnerCreate(
                name=f"Partner {kind} {self.fresh_name()}", sections=["news"],
                rate_limit="1000000/minute"), now=self.now)
            if kind == "revoked":
                partner = partners.revoke(s, partner, now=self.now)
            return partner, key

    def webhook(self, kind: str) -> tuple[WebhookEndpoint, WebhookDelivery]:
        """A webhook endpoint of the newsroom or of the active partner (`partner...`), with one
        delivery already sent (so it may be sent again)."""
        owner = self.partners["active"].id if kind.startswith("partner") else None
        with self.session() as s:
            endpoint = WebhookEndpoint(
                id=new_id(), partner_id=owner, url=f"https://hooks.example.org/{kind}",
                events=["ping"], secret=webhooks.new_secret(), created_at=self.now,
                updated_at=self.now)
            s.add(endpoint)
            s.flush()
            delivery = outbox.add_delivery(s, endpoint, "ping", {"type": "ping"}, now=self.now)
            delivery.status = "succeeded"
            s.add(delivery)
            return endpoint, delivery

    def medium(self, kind: str) -> Media:
        """A stored image uploaded by the writer (`own`) or by the editor (`other`)."""
        out = io.BytesIO()
        Image.linear_gradient("L").resize((400, 300)).convert("RGB").save(out, "JPEG")
        master = ingest(out.getvalue())
        media_id = media_service.new_media_id()
        renditions.save_master(get_store(), media_id, master)
        by = self.users["writer" if kind == "own" else "editor"]
        with self.session() as s:
            return media_service.create_media(
                s, media_id, master, alt=f"Alt {self.fresh_name()}", caption=None, credit=None,
                focal=FocalPoint(x=0.5, y=0.5), by_id=by.id, now=self.now)

    def redirect_path(self, state: str) -> str:
        """The old URL of the article in `state` (`unknown`: no article's)."""
        return f"/old/{state.replace('_', '-')}-{self.token}"

    def _redirects(self) -> None:
        with self.session() as s:
            for state, article in self.articles.items():
                s.add(Redirect(path=self.redirect_path(state), article_id=article.id,
                               created_at=self.now))

    def _credentials(self) -> dict[str, dict[str, str]]:
        def bearer(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        def token_for(user_id: int, role: str, when: datetime) -> str:
            return issue_token(str(user_id), role, when)[0]

        admin = self.users["admin"]
        claims = {"sub": str(admin.id), "role": "admin", "iss": "khabar",
                  "iat": self.now, "exp": self.now + timedelta(minutes=30)}
        deleted_id = max(u.id or 0 for u in self.users.values()) + 1000
        return {
            "none": {},
            "garbage": bearer("not-a-token"),
            "expired": bearer(token_for(admin.id or 0, "admin", self.now - timedelta(days=2))),
            "alg_none": bearer(jwt.encode(claims, key=None, algorithm="none")),
            "wrong_key": bearer(jwt.encode(claims, "another-key-" + "x" * 40,
                                           algorithm=JWT_ALGORITHM)),
            "disabled": bearer(token_for(self.users["disabled"].id or 0, "admin", self.now)),
            "deleted_user": bearer(token_for(deleted_id, "admin", self.now)),
            "revoked": bearer(self.keys["revoked"]),
            "partner": bearer(self.keys["active"]),
            **{role: bearer(token_for(self.users[role].id or 0, role, self.now))
               for role in ROLES},
        }

    # ---- the state of everything the world holds ----------------------------------------

    def fingerprint(self) -> dict[str, Any]:
        """Every stored row of the world's objects, to prove that refused requests change
        nothing."""
        groups: dict[str, tuple[type[SQLModel], list[Any]]] = {
            "articles": (Article, [a.id for a in self.articles.values()]),
            "briefs": (Brief, [b.id for b in self.briefs.values()]),
            # Not the writer's own profile: every role may edit it, so the table's writes do.
            "authors": (Author, [a.id for k, a in self.authors.items() if k != "own"]),
            "sections": (Section, [x.id for x in self.sections.values()]),
            "tags": (Tag, [t.id for t in self.tags.values()]),
            "users": (User, [u.id for u in self.users.values()]),
            "partners": (Partner, [p.id for p in self.partners.values()]),
            "media": (Media, [m.id for m in self.media.values()]),
        }
        out: dict[str, Any] = {}
        with self.session() as s:
            for name, (model, ids) in groups.items():
                rows = s.exec(select(model).where(model.id.in_(ids))).all()  # type: ignore[attr-defined]
                # A partner's `last_used_at` moves with every use of its key, by design, and an
                # author's stored `live_articles` with the allowed writes that publish fresh
                # articles under that byline (a count derived from other rows).
                dumps = [r.model_dump(exclude={"last_used_at", "live_articles"}) for r in rows]
                out[name] = sorted(dumps, key=lambda r: str(r["id"]))
        return out
