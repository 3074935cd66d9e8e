"""Deterministic demo content: the seed page plus N generated articles, loaded in bulk.

The same N gives the same corpus (titles, bodies, bylines, tags) on every machine, and loading
twice adds nothing. Inserts go through SQLAlchemy Core in batches, so 10k articles load in
seconds on SQLite.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.articles.blocks import ParagraphBlock, HeadingBlock
from app.articles.models import Article, Status
from app.articles.service import body_columns
from app.authors.models import ArticleAuthor, Author
from app.briefs.models import Brief
from app.core.config import REPO_ROOT, get_settings
from app.core.counters import CHANGE_SEQ, bump
from app.core.slugs import slugify
from app.importer.service import import_page
from app.syndication import changes
from app.syndication.models import ArticleChange
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
PLACES = ["Kathmandu", "Pokhara", "Biratnagar", "Lalitpur", "Bharatpur", "Janakpur", "Dhangadhi"]
SUBJECTS = ["Government", "Parliament", "Nepal Rastra Bank", "Election Commission", "City council",
            "Ministry of Finance", "Supreme Court", "Tourism board", "Nepal Electricity Authority"]
VERBS = ["announces", "reviews", "unveils", "debates", "approves", "delays", "expands", "questions"]
OBJECTS = ["new budget plan", "hydropower project", "road expansion", "monsoon preparations",
           "trade agreement", "school reform", "health campaign", "airport upgrade"]
NEPALI_TITLES = ["नेपालको राजनीति: नयाँ मोड", "काठमाडौंमा मनसुन तयारी", "बजेटमाथि संसदमा छलफल",
                 "पोखरामा पर्यटकको भीड", "जलविद्युत आयोजनाको काम अघि बढ्यो"]
NEPALI_WORDS = ["सरकार", "संसद", "बजेट", "विकास", "जनता", "नीति", "निर्वाचन", "अर्थतन्त्र", "पर्यटन"]
WORDS = ("the a of to in and on for with as by officials said project city plan year people "
         "government new public local market water road school health energy support council "
         "minister report growth budget district residents policy week").split()
BATCH = 2000


def _sentence(rng: random.Random, words: list[str]) -> str:
    n = rng.randint(8, 18)
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, words: list[str]) -> str:
    return " ".join(_sentence(rng, words) for _ in range(rng.randint(2, 4)))


def ensure_taxonomy(session: Session, now: datetime) -> tuple[dict[str, int], list[int], list[int]]:
    for slug, name, description in SECTIONS:
        if not session.exec(select(Section.id).where(Section.slug == slug)).first():
            session.add(Section(slug=slug, name=name, description=description))
    for name in TAGS:
        if not session.exec(select(Tag.id).where(Tag.slug == slugify(name))).first():
            session.add(Tag(slug=slugify(name), name=name))
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
    return sections, tags, authors  # type: ignore[return-value]


def _articles(n: int, anchor: datetime, sections: dict[str, int]) -> Iterator[tuple[int, dict]]:  # type: ignore[type-arg]
    section_slugs = [s[0] for s in SECTIONS]
    for i in range(n):
        rng = random.Random(i)
        nepali = i % 10 == 3
        if nepali:
            title = f"{rng.choice(NEPALI_TITLES)} ({i})"
            words = NEPALI_WORDS
        else:
            title = (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                     f"in {rng.choice(PLACES)} ({i})")
            words = WORDS
        blocks = [ParagraphBlock(text=_paragraph(rng, words)) for _ in range(rng.randint(3, 7))]
        blocks.insert(2, HeadingBlock(text=_sentence(rng, words)[:60], level=2))
        published = anchor - timedelta(minutes=7 * i + 5)
        yield i, {
            "id": f"{int(published.timestamp() * 1000):012x}{rng.getrandbits(80):020x}",
            "slug": f"{slugify(title)}",
            "title": title,
            "subtitle": None,
            "excerpt": _sentence(rng, words),
            "section_id": sections[section_slugs[i % len(section_slugs)]],
            "language": "ne" if nepali else "en",
            "status": Status.published.value,
            "published_at": published,
            "created_at": published,
            "updated_at": published,
            "revision": 1,
            "syndication": "allowed",
            "copyright_holder": get_settings().publisher_name,
            **body_columns(blocks),
        }


def load_demo(session: Session, *, articles: int, now: datetime,
              progress: Callable[[int], None] = lambda _: None) -> dict[str, int]:
    """Load the seed page and `articles` generated ones; returns counts of what was added."""
    added = {"seed": 0, "articles": 0, "briefs": 0}
    sections, tag_ids, author_ids = ensure_taxonomy(session, now)
    session.commit()
    if not session.exec(select(Article.id).where(Article.slug == SEED_SLUG)).first():
        import_page(session, SEED_PAGE.read_text(encoding="utf-8"), now=now, publish=True,
                    section="opinion")
        added["seed"] = 1
    anchor = now.replace(minute=0, second=0, microsecond=0)
    existing = set(session.exec(select(Article.slug)).all())
    batch: list[dict] = []  # type: ignore[type-arg]

    def flush() -> None:
        if not batch:
            return
        session.execute(insert(Article), batch)
        ids = [row["id"] for row in batch]
        links_a, links_t = [], []
        for row in batch:
            rng = random.Random(row["id"])
            picks = rng.sample(author_ids, k=1 + (rng.random() < 0.2))
            links_a += [{"article_id": row["id"], "author_id": a, "position": p}
                        for p, a in enumerate(picks)]
            links_t += [{"article_id": row["id"], "tag_id": t} for t in rng.sample(tag_ids, k=2)]
        session.execute(insert(ArticleAuthor), links_a)
        session.execute(insert(ArticleTag), links_t)
        last = bump(session, CHANGE_SEQ, len(ids))
        session.execute(insert(ArticleChange), [
            {"article_id": aid, "seq": last - len(ids) + 1 + k} for k, aid in enumerate(ids)])
        session.commit()
        added["articles"] += len(batch)
        progress(len(batch))
        batch.clear()

    for _, row in _articles(articles, anchor, sections):
        if row["slug"] in existing:
            progress(1)
            continue
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    added["briefs"] = _demo_briefs(session, now)
    changes.content_changed(session)
    session.commit()
    return added


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
                article_id=latest_articles[back * 5 + position] if len(latest_articles) > back * 5 + position else None,
                published_at=now - timedelta(hours=back * 24), created_at=now, updated_at=now))
            count += 1
    return count
