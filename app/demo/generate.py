"""Deterministic demo content: the seed page plus N generated articles, loaded in bulk.

The same N gives the same corpus (titles, bodies, bylines, tags) on every machine, and loading
twice adds nothing. Articles are composed from pools of pre-rendered blocks and inserted with
SQLAlchemy Core in large batches, so 10k articles load in a couple of seconds on SQLite.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.articles.blocks import HeadingBlock, ImageBlock, ParagraphBlock, reading_time_minutes
from app.articles.bulk import bulk_insert, insert_articles
from app.articles.models import Article, Status
from app.articles.service import body_columns
from app.authors import counts
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.changelog import record as changes
from app.changelog.models import ArticleChange, ChangeScope
from app.core.config import REPO_ROOT, get_settings
from app.core.counters import CHANGE_SEQ, bump
from app.core.db import SQLITE_CACHE_KIB
from app.core.slugs import slugify
from app.importer.service import import_page
from app.media.demo import ensure_demo_images
from app.media.images import image_block
from app.taxonomy.models import ArticleTag, Section, Tag

SEED_PAGE = REPO_ROOT / "tests" / "fixtures" / "khabarhub-opinion.txt"
SEED_SLUG = "is-nuclear-peace-with-north-korea-possible"
SECTIONS = [
    ("news", "News", "Reporting from Nepal and the region"),
    ("opinion", "Opinion", "Columns and analysis, including syndicated commentary"),
    ("business", "Business", "Economy, markets and companies"),
    ("world", "World", "International news"),
    ("sports", "Sports", "Cricket, football and more"),
    ("technology", "Technology", "Science and technology"),
]
AUTHORS = [
    ("Sita Sharma", "Senior correspondent", "Sita Sharma covers politics in Kathmandu."),
    ("Ram Bahadur Thapa", "Economics editor", "Ram covers the economy and markets."),
    ("Anita Gurung", "Reporter", "Anita reports on health and education."),
    ("Bikash Karki", "Sports writer", "Bikash writes about cricket and football."),
    ("Maya Rai", "World desk", "Maya edits international news."),
    ("Prakash Adhikari", "Technology reporter", "Prakash writes about science and technology."),
]
TAGS = ["Politics", "Economy", "Cricket", "Monsoon", "Tourism", "Elections", "Energy", "Health",
        "Education", "Climate", "Trade", "Diplomacy"]
# Nepali names of the sections and tags (`names`), shown on Nepali articles.
NEPALI_NAMES = {
    "news": "समाचार", "opinion": "विचार", "business": "अर्थ", "world": "विश्व", "sports": "खेलकुद",
    "technology": "प्रविधि", "Politics": "राजनीति", "Economy": "अर्थतन्त्र", "Cricket": "क्रिकेट",
    "Monsoon": "मनसुन", "Tourism": "पर्यटन", "Elections": "निर्वाचन", "Energy": "ऊर्जा",
    "Health": "स्वास्थ्य", "Education": "शिक्षा", "Climate": "जलवायु", "Trade": "व्यापार",
    "Diplomacy": "कूटनीति",
}
PLACES = ["Kathmandu", "Pokhara", "Biratnagar", "Lalitpur", "Bharatpur", "Janakpur", "Dhangadhi"]
SUBJECTS = ["Government", "Parliament", "Nepal Rastra Bank", "Election Commission", "City council",
            "Ministry of Finance", "Supreme Court", "Tourism board", "Nepal Electricity Authority"]
VERBS = ["announces", "reviews", "unveils", "debates", "approves", "delays", "expands", "questions"]
OBJECTS = ["new budget plan", "hydropower project", "road expansion", "monsoon preparations",
           "trade agreement", "school reform", "health campaign", "airport upgrade"]
NEPALI_TITLES = ["नेपालको राजनीति: नयाँ मोड", "काठमाडौंमा मनसुन तयारी", "बजेटमाथि संसदमा छलफल",
                 "पोखरामा पर्यटकको भीड", "जलविद्युत आयोजनाको काम अघि बढ्यो"]
NEPALI_WORDS = ["सरकार", "संसद", "बजेट", "विकास", "जनता", "नीति", "निर्वाचन", "अर्थतन्त्र", "पर्यटन"]
WORDS = [
    "the", "a", "of", "to", "in", "and", "on", "for", "with", "as", "by", "officials", "said",
    "project", "city", "plan", "year", "people", "government", "new", "public", "local",
    "market", "water", "road", "school", "health", "energy", "support", "council", "minister",
    "report", "growth", "budget", "district", "residents", "policy", "week",
]
BATCH = 5000
SEED = 20261128
T = TypeVar("T")


def _sentence(rng: random.Random, words: list[str]) -> str:
    text = " ".join(rng.choices(words, k=rng.randint(8, 18)))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, words: list[str]) -> str:
    return " ".join(_sentence(rng, words) for _ in range(rng.randint(2, 4)))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A block in every stored form, rendered once by the real renderers and then reused."""

    block: dict[str, Any]
    html: str
    text: str
    words: int


def _rendered(block: ParagraphBlock | HeadingBlock | ImageBlock) -> Rendered:
    columns = body_columns([block])
    return Rendered(columns["body"][0], columns["body_html"], columns["body_text"],
                    columns["word_count"])


@dataclass(frozen=True, slots=True)
class Pool:
    paragraphs: list[Rendered]
    headings: list[Rendered]
    sentences: list[str]


@lru_cache
def pools() -> dict[str, Pool]:
    """Paragraphs, headings and excerpts from fixed seeds. Articles combine them, so a load
    validates and renders a few hundred blocks instead of millions."""
    out = {}
    for language, words, size in (("en", WORDS, 512), ("ne", NEPALI_WORDS, 128)):
        rng = random.Random(f"pool-{language}")
        out[language] = Pool(
            paragraphs=[_rendered(ParagraphBlock(text=_paragraph(rng, words)))
                        for _ in range(size)],
            headings=[_rendered(HeadingBlock(text=_sentence(rng, words)[:60], level=2))
                      for _ in range(size // 4)],
            sentences=[_sentence(rng, words) for _ in range(size)],
        )
    return out


def compose_body(blocks: list[Rendered]) -> dict[str, Any]:
    """The columns `body_columns` computes for these blocks (a test holds the two equal)."""
    words = sum(b.words for b in blocks)
    return {
        "body": [b.block for b in blocks],
        "body_html": "\n".join(b.html for b in blocks),
        "body_text": "\n\n".join(b.text for b in blocks if b.text),  # images have none
        "word_count": words,
        "reading_time_minutes": reading_time_minutes(words),
    }


def ensure_taxonomy(session: Session, now: datetime) -> tuple[dict[str, int], list[int], list[int]]:
    for position, (slug, name, description) in enumerate(SECTIONS):
        if not session.exec(select(Section.id).where(Section.slug == slug)).first():
            session.add(Section(slug=slug, name=name, description=description,
                                names={"en": name, "ne": NEPALI_NAMES[slug]},
                                position=position))
    for name in TAGS:
        if not session.exec(select(Tag.id).where(Tag.slug == slugify(name))).first():
            session.add(Tag(slug=slugify(name), name=name,
                            names={"en": name, "ne": NEPALI_NAMES[name]}))
    for name, title, bio in AUTHORS:
        if not session.exec(select(Author.id).where(Author.slug == slugify(name))).first():
            session.add(Author(slug=slugify(name), name=name, title=title, bio=bio,
                               links={"website": f"https://example.com/authors/{slugify(name)}"},
                               created_at=now, updated_at=now))
    session.flush()
    sections = dict(session.exec(select(Section.slug, Section.id)).all())
    tags = list(session.exec(select(Tag.id).where(col(Tag.slug).in_([slugify(t) for t in TAGS]))
                             .order_by(col(Tag.id))).all())
    authors = list(session.exec(select(Author.id).where(
        col(Author.slug).in_([slugify(a[0]) for a in AUTHORS])).order_by(col(Author.id))).all())
    return sections, tags, authors  # type: ignore[return-value]  # stored ids are never None


class _Draws:
    """Many small choices from one big random number (a `getrandbits` call now and then, where
    `choice` and `sample` cost several calls each)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bits = 0

    def below(self, n: int) -> int:
        if self.bits < n << 16:
            self.bits = self.rng.getrandbits(256)
        self.bits, r = divmod(self.bits, n)
        return r

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    def distinct(self, seq: Sequence[T], k: int) -> list[T]:
        picked: list[int] = []
        while len(picked) < k:
            j = self.below(len(seq))
            if j not in picked:
                picked.append(j)
        return [seq[j] for j in picked]


@lru_cache(maxsize=8192)  # every generated head (about 4,000) stays cached
def _slug_prefix(title: str) -> str:
    return slugify(title)


def _articles(n: int, anchor: datetime, sections: dict[str, int], author_ids: list[int],
              tag_ids: list[int], figures: Sequence[Rendered] = (),
              ) -> Iterator[tuple[dict[str, Any], list[int], list[int]]]:
    """Article rows with their author and tag ids. One seeded stream: article `i` depends only
    on articles before it, so any N gives the same first articles on every machine. They come
    oldest first, 7 minutes apart up to the newest, so rows are inserted in publication order as
    a newsroom's are (search takes the newest matches by insertion order, see articles.search)."""
    section_ids = [sections[s[0]] for s in SECTIONS]
    publisher = get_settings().publisher_name
    by_language = pools()
    rng = random.Random(SEED)
    draw = _Draws(rng)
    for i in range(n):
        nepali = i % 5 == 3  # a fifth of the archive in Nepali
        if nepali:
            head = draw.pick(NEPALI_TITLES)
        else:
            head = (f"{draw.pick(SUBJECTS)} {draw.pick(VERBS)} {draw.pick(OBJECTS)} "
                    f"in {draw.pick(PLACES)}")
        pool = by_language["ne" if nepali else "en"]
        blocks = draw.distinct(pool.paragraphs, 3 + draw.below(5))
        blocks.insert(2, draw.pick(pool.headings))
        if figures and i % 4 == 1:  # an image block in some bodies (no draw: same articles)
            blocks.insert(len(blocks) - 1, figures[(i // 4) % len(figures)])
        published = anchor - timedelta(minutes=7 * (n - 1 - i) + 5)
        row = {
            "id": f"{int(published.timestamp() * 1000):012x}{rng.getrandbits(80):020x}",
            # slugify("<head> (i)") is slugify("<head>") + "-i"; slugify once per head.
            "slug": f"{_slug_prefix(head)}-{i}",
            "title": f"{head} ({i})",
            "subtitle": None,
            "excerpt": draw.pick(pool.sentences),
            "section_id": section_ids[i % len(section_ids)],
            "language": "ne" if nepali else "en",
            "status": Status.published.value,
            "published_at": published,
            "created_at": published,
            "updated_at": published,
            "revision": 1,
            "syndication": "allowed",
            "copyright_holder": publisher,
            **compose_body(blocks),
        }
        authors = draw.distinct(author_ids, 1 + (draw.below(5) == 0))
        yield row, authors, draw.distinct(tag_ids, 2)


@contextmanager
def _bulk_pragmas(session: Session) -> Iterator[None]:
    """On SQLite, a larger page cache for the load only (index pages of a big batch stay in
    memory). WAL with `synchronous=NORMAL` already syncs only at checkpoints."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    session.execute(text("PRAGMA cache_size=-131072"))
    session.execute(text("PRAGMA wal_autocheckpoint=0"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))  # the engine's
        session.execute(text("PRAGMA wal_autocheckpoint=1000"))


def load_demo(session: Session, *, articles: int, now: datetime,
              progress: Callable[[int], None] = lambda _: None) -> dict[str, int]:
    """Load the seed page and `articles` generated ones; returns counts of what was added."""
    added = {"seed": 0, "articles": 0, "briefs": 0}
    sections, tag_ids, author_ids = ensure_taxonomy(session, now)
    session.commit()
    images = ensure_demo_images(session, now)
    figures = [_rendered(image_block(image)) for image in images]
    for k, author in enumerate(session.exec(select(Author).order_by(col(Author.id))).all()):
        if not author.avatar and not author.avatar_url:
            author.avatar = {**images[(k * 5) % len(images)], "alt": f"{author.name}"}
            session.add(author)
    session.commit()
    if not session.exec(select(Article.id).where(Article.slug == SEED_SLUG)).first():
        import_page(session, SEED_PAGE.read_text(encoding="utf-8"), now=now, publish=True,
                    section="opinion")
        added["seed"] = 1
    anchor = now.replace(minute=0, second=0, microsecond=0)
    existing = set(session.exec(select(Article.slug)).all())
    batch: list[dict[str, Any]] = []
    links_a: list[dict[str, Any]] = []
    links_t: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        insert_articles(session, batch)
        bulk_insert(session, ArticleAuthor.__table__, links_a)
        bulk_insert(session, ArticleTag.__table__, links_t)
        last = bump(session, CHANGE_SEQ, len(batch))
        first = last - len(batch) + 1
        # Published by the generator: the change log's rows as `changes.article_changed` would
        # write them, in bulk.
        bulk_insert(session, ArticleChange.__table__, [
            {"article_id": row["id"], "seq": first + k, "kind": "published",
             "at": row["published_at"], "public": True} for k, row in enumerate(batch)])
        bulk_insert(session, ChangeScope.__table__, [
            {"article_id": row["id"], "language": row["language"],
             "section_id": row["section_id"] or 0, "syndicated": row["syndication"] == "allowed",
             "seq": first + k, "first_seq": first + k, "first_public_seq": first + k,
             "public_seq": first + k}
            for k, row in enumerate(batch)])
        counts.recount(session, {link["author_id"] for link in links_a})
        session.commit()
        added["articles"] += len(batch)
        progress(len(batch))
        batch.clear()
        links_a.clear()
        links_t.clear()

    with _bulk_pragmas(session):
        for index, (row, authors, tags) in enumerate(
                _articles(articles, anchor, sections, author_ids, tag_ids, figures)):
            if row["slug"] in existing:
                progress(1)
                continue
            # Most articles get one of the shared pictures; every seventh has none.
            row["image"] = None if index % 7 == 6 else images[index % len(images)]
            batch.append(row)
            links_a.extend({"article_id": row["id"], "author_id": a, "position": p}
                           for p, a in enumerate(authors))
            links_t.extend({"article_id": row["id"], "tag_id": t} for t in tags)
            if len(batch) >= BATCH:
                flush()
        flush()
    added["briefs"] = _demo_briefs(session, now)
    changes.content_changed(session)
    # Planner statistics for the new rows. Without them SQLite takes `ix_article_status` for
    # `status IN (...)` and sorts every public article for each page (200 ms at 10k articles)
    # instead of walking `ix_article_published_at_id` (well under 1 ms).
    session.execute(text("ANALYZE"))
    session.commit()
    _truncate_wal(session)
    return added


def _truncate_wal(session: Session) -> None:
    """SQLite: the load ran without checkpoints (`_bulk_pragmas`), so the WAL holds a copy of
    everything it wrote (16 GB after a million articles). Copy it into the database now and
    give the space back, rather than leave the work to the first writer after the load. Outside
    any transaction, on a raw connection (the engine's would begin one)."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # type: ignore[union-attr]  # the session's bind is an Engine
    try:
        # an open connection: its driver connection is there
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()


def _demo_briefs(session: Session, now: datetime) -> int:
    """Five briefs for each of the last three publisher-local days, if that day has none."""
    tz = get_settings().tz
    today = now.astimezone(tz).date()
    latest_articles = list(session.exec(
        select(Article.id).where(Article.status == Status.published.value)
        .order_by(col(Article.published_at).desc()).limit(15)).all())
    count = 0
    for back in range(3):
        day = today - timedelta(days=back)
        if session.exec(select(Brief.id).where(Brief.date == day)).first():
            continue
        rng = random.Random(day.toordinal())
        for position in range(5):
            place = rng.choice(PLACES).upper()
            session.add(Brief(
                dateline=place, headline=f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} "
                f"{rng.choice(OBJECTS)}", summary=_sentence(rng, WORDS), date=day,
                position=position,
                article_id=(latest_articles[back * 5 + position]
                            if len(latest_articles) > back * 5 + position else None),
                published_at=now - timedelta(hours=back * 24), created_at=now, updated_at=now))
            count += 1
    return count
