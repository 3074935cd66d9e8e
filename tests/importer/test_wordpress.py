"""`khabar import wordpress` on WordPress's own theme unit test export (tests/fixtures/wordpress).

Expected values are read from the file itself with the standard library's ElementTree, a parser
independent of the importer's lxml one, and compared with what the database holds."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.articles.models import Article, ArticleRevision
from app.authors.models import ArticleAuthor, Author
from app.core.slugs import slugify
from app.importer.models import WordpressPost
from app.importer.wordpress import Counts, ImportRefused, NotWxr, Options, import_wordpress
from app.redirects.models import Redirect
from app.redirects.service import normalize_path
from app.taxonomy.models import ArticleTag, Section, Tag
from tests.conftest import empty_database

FIXTURE = Path(__file__).parents[1] / "fixtures" / "wordpress" / "themeunittestdata.wordpress.xml"
NS = {"wp": "https://wordpress.org/export/1.2/", "dc": "http://purl.org/dc/elements/1.1/",
      "content": "http://purl.org/rss/1.0/modules/content/",
      "excerpt": "https://wordpress.org/export/1.2/excerpt/"}
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@dataclass
class Post:
    wp_id: int
    title: str
    slug: str
    status: str
    password: str
    date_gmt: str
    creator: str
    link: str
    categories: list[tuple[str, str]]  # (nicename, name)
    tags: list[str]
    content: str
    excerpt: str
    thumbnail: str | None


def _read(path: Path = FIXTURE) -> tuple[list[Post], dict[str, str], dict[str, str]]:
    """Posts, author display names by login, attachment URLs by id, as the file has them."""
    root = ET.parse(path).getroot()
    channel = root.find("channel")
    assert channel is not None
    authors = {a.findtext("wp:author_login", "", NS): a.findtext("wp:author_display_name", "", NS)
               for a in channel.findall("wp:author", NS)}
    posts, attachments = [], {}
    for item in channel.findall("item"):
        kind = item.findtext("wp:post_type", "", NS)
        wp_id = item.findtext("wp:post_id", "", NS)
        if kind == "attachment":
            attachments[wp_id] = item.findtext("wp:attachment_url", "", NS)
        if kind != "post":
            continue
        meta = {m.findtext("wp:meta_key", "", NS): m.findtext("wp:meta_value", "", NS)
                for m in item.findall("wp:postmeta", NS)}
        cats = item.findall("category")
        posts.append(Post(
            wp_id=int(wp_id), title=item.findtext("title", ""),
            slug=unquote(item.findtext("wp:post_name", "", NS)),
            status=item.findtext("wp:status", "", NS),
            password=item.findtext("wp:post_password", "", NS),
            date_gmt=item.findtext("wp:post_date_gmt", "", NS),
            creator=item.findtext("dc:creator", "", NS), link=item.findtext("link", ""),
            categories=[(c.get("nicename", ""), c.text or "") for c in cats
                        if c.get("domain") == "category"],
            tags=[c.get("nicename", "") for c in cats if c.get("domain") == "post_tag"],
            content=item.findtext("content:encoded", "", NS),
            excerpt=item.findtext("excerpt:encoded", "", NS),
            thumbnail=meta.get("_thumbnail_id")))
    return posts, authors, attachments


POSTS, AUTHORS, ATTACHMENTS = _read()


def expected_status(post: Post) -> str | None:
    if post.status in ("private", "trash"):
        return None
    if post.password:
        return "draft"
    return {"publish": "published", "future": "scheduled"}.get(post.status, "draft")


def run(engine: Engine, path: Path = FIXTURE, **options: Any) -> tuple[Counts, list[str]]:
    messages: list[str] = []
    counts = import_wordpress(engine, path, Options(**options), now=NOW,
                              report=messages.append)
    return counts, messages


def article_of(session: Session, wp_id: int) -> Article:
    return session.exec(select(Article).join(
        WordpressPost, col(WordpressPost.article_id) == Article.id).where(
        WordpressPost.wp_id == wp_id)).one()


def counters(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT name, value FROM counter")).all())  # type: ignore[arg-type]


def table_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


class TestImportFixture:
    def test_counts_follow_the_file(self, engine: Engine) -> None:
        counts, messages = run(engine)
        statuses = [expected_status(p) for p in POSTS]
        assert counts.created == sum(s is not None for s in statuses)
        assert counts.drafts == statuses.count("draft")
        assert counts.scheduled == statuses.count("scheduled")
        assert counts.skipped_private == sum(p.status == "private" for p in POSTS)
        assert counts.skipped_trash == sum(p.status == "trash" for p in POSTS)
        assert (counts.updated, counts.unchanged, counts.failed) == (0, 0, 0)
        assert messages == []
        # Pages, attachments and menu items never become articles.
        assert table_count(engine, "article") == counts.created

    def test_dates_slugs_statuses_and_titles(self, engine: Engine, session: Session) -> None:
        run(engine)
        checked = 0
        for post in POSTS:
            status = expected_status(post)
            if status is None:
                continue
            article = article_of(session, post.wp_id)
            assert article.status == status, post.wp_id
            if status == "draft":
                assert article.published_at is None
            else:
                gmt = datetime.strptime(post.date_gmt, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
                assert article.published_at == gmt, post.wp_id
            wanted = slugify(post.slug or html.unescape(re.sub("<[^>]+>", "", post.title)))
            assert article.slug == wanted, post.wp_id
            plain_title = " ".join(html.unescape(re.sub("<[^>]+>", "", post.title)).split())
            assert article.title == (plain_title[:300] if plain_title else "(no title)")
            assert "<" not in article.title
            checked += 1
        assert checked > 50

    def test_authors_sections_and_tags(self, engine: Engine, session: Session) -> None:
        run(engine)
        for post in POSTS:
            if expected_status(post) is None:
                continue
            article = article_of(session, post.wp_id)
            byline = session.exec(select(Author).join(
                ArticleAuthor, col(ArticleAuthor.author_id) == Author.id).where(
                ArticleAuthor.article_id == article.id)).all()
            login = post.creator.strip("<>")
            assert [(a.slug, a.name) for a in byline] == [(slugify(login), AUTHORS[login])]
            section = session.get(Section, article.section_id) if article.section_id else None
            if post.categories:
                nicename, name = post.categories[0]
                assert section is not None
                assert (section.slug, section.name) == (
                    slugify(unquote(nicename)), html.unescape(name))
            else:
                assert section is None
            tags = set(session.exec(select(Tag.slug).join(
                ArticleTag, col(ArticleTag.tag_id) == Tag.id).where(
                ArticleTag.article_id == article.id)).all())
            others = {slugify(unquote(n)) for n, _ in post.categories[1:]}
            assert tags == others | {slugify(unquote(t)) for t in post.tags}, post.wp_id

    def test_content_is_sanitized_into_blocks(self, engine: Engine, session: Session) -> None:
        run(engine)
        for post in POSTS:
            if expected_status(post) is None:
                continue
            article = article_of(session, post.wp_id)
            # (Escaped, `&lt;!-- wp:code --&gt;` is text a code sample shows, and stays.)
            for leftover in ("<!--", "[caption", "[/caption]", "<script", "<iframe",
                             "style=", "class=\"wp-"):
                assert leftover not in article.body_html, (post.wp_id, leftover)
            if "[caption" in post.content:
                images = [b for b in article.body if b["type"] == "image"]
                assert images
                assert all(b["url"].startswith("http") for b in images)
                assert any(b.get("caption") for b in images), post.wp_id
            if post.content.strip() and "<" not in post.content and "[" not in post.content:
                # Classic text with blank lines: wpautop's paragraphs.
                chunks = [c for c in re.split(r"\n\s*\n", post.content.strip()) if c.strip()]
                assert len([b for b in article.body if b["type"] == "paragraph"]) == len(chunks)
            if post.excerpt.strip():
                assert article.excerpt == " ".join(
                    html.unescape(re.sub("<[^>]+>", "", post.excerpt)).split())

    def test_featured_images_keep_the_attachment_url(self, engine: Engine,
                                                     session: Session) -> None:
        run(engine)
        with_image = [p for p in POSTS if p.thumbnail and expected_status(p)]
        assert with_image
        for post in with_image:
            article = article_of(session, post.wp_id)
            assert article.image is not None
            assert article.image["url"] == ATTACHMENTS[post.thumbnail or ""]

    def test_old_permalinks_lead_to_the_article(self, engine: Engine, session: Session,
                                       client: object) -> None:
        run(engine)
        published = [p for p in POSTS if expected_status(p) == "published"]
        for post in published:
            article = article_of(session, post.wp_id)
            for path in (urlsplit(post.link).path, f"/?p={post.wp_id}",
                         quote(urlsplit(post.link).path.rstrip("/"))):
                answer = client.get("/v1/redirects", params={"path": path})  # type: ignore[attr-defined]
                assert answer.status_code == 200, (post.wp_id, path)
                found = answer.json()
                assert found["status"] == 301
                assert found["location"].endswith(f"/v1/articles/{quote(article.slug)}")
                assert found["article"] == {"id": article.id, "slug": article.slug}
                assert "public" in answer.headers["cache-control"]
                assert f"article:{article.id}" in answer.headers["surrogate-key"]
                assert client.get(found["location"]).json()["id"] == article.id  # type: ignore[attr-defined]
        # The new URL itself answers the article.
        first = article_of(session, published[0].wp_id)
        assert client.get(f"/v1/articles/{first.slug}").status_code == 200

    def test_redirects_of_non_public_and_unknown_paths_are_404(
            self, engine: Engine, client: object) -> None:
        run(engine)
        draft = next(p for p in POSTS if expected_status(p) == "draft")
        for path in (f"/?p={draft.wp_id}", "/no/such/post/"):
            answer = client.get("/v1/redirects", params={"path": path})
            assert answer.status_code == 404
            assert answer.headers["content-type"] == "application/problem+json"


class TestRerun:
    def test_second_run_changes_nothing(self, engine: Engine) -> None:
        first, _ = run(engine)
        before = counters(engine), table_count(engine, "article_change")
        second, messages = run(engine)
        assert second.unchanged == first.created
        assert (second.created, second.updated, second.failed) == (0, 0, 0)
        assert (counters(engine), table_count(engine, "article_change")) == before
        assert table_count(engine, "article_revision") == 0
        assert messages == []

    def test_changed_export_updates_only_what_changed(self, engine: Engine, session: Session,
                                                      tmp_path: Path) -> None:
        run(engine)
        seq_before = counters(engine)["change_seq"]
        retitled, edited = POSTS[0], POSTS[10]
        source = FIXTURE.read_text(encoding="utf-8")
        changed = source.replace(f"<title><![CDATA[{retitled.title}]]></title>",
                                 "<title><![CDATA[A new title]]></title>", 1)
        assert edited.content.strip().splitlines()[0] in changed
        changed = changed.replace(edited.content.strip().splitlines()[0],
                                  "<p>A new first paragraph.</p>", 1)
        assert changed != source
        path = tmp_path / "changed.xml"
        path.write_text(changed, encoding="utf-8")
        counts, _ = run(engine, path)
        assert counts.updated == 2
        assert counts.created == 0
        assert counts.unchanged == sum(expected_status(p) is not None for p in POSTS) - 2
        assert article_of(session, retitled.wp_id).title == "A new title"
        body = article_of(session, edited.wp_id).body
        assert any(b.get("text") == "A new first paragraph." for b in body)
        revisions = session.exec(select(ArticleRevision)).all()
        assert sorted(r.article_id for r in revisions) == sorted(
            article_of(session, p.wp_id).id for p in (retitled, edited))
        assert revisions[0].snapshot["title"] != "A new title" or revisions[1]
        assert counters(engine)["change_seq"] == seq_before + 2
        # Its old slug and permalinks still lead to it; its date did not move.
        assert article_of(session, retitled.wp_id).published_at == datetime.strptime(
            retitled.date_gmt, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _with_item(tmp_path: Path, item: str) -> Path:
    source = FIXTURE.read_text(encoding="utf-8")
    at = source.index("<item>")
    path = tmp_path / "export.xml"
    path.write_text(source[:at] + item + source[at:], encoding="utf-8")
    return path


ITEM = """<item><title>{title}</title><link>https://wpthemetestdata.wordpress.com/{slug}/</link>
<dc:creator>themedemos</dc:creator><content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded><wp:post_id>{wp_id}</wp:post_id>
<wp:post_date>{date}</wp:post_date><wp:post_date_gmt>{gmt}</wp:post_date_gmt>
<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status>
<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>
<category domain="category" nicename="{cat}"><![CDATA[{cat_name}]]></category></item>
"""


def item(**fields: object) -> str:
    values = {"title": "Extra", "slug": "extra", "content": "One.\n\nTwo", "wp_id": 90001,
              "date": "2020-05-01 10:00:00", "gmt": "2020-05-01 04:15:00", "status": "publish",
              "cat": "news", "cat_name": "News"}
    return ITEM.format(**{**values, **fields})


class TestItems:
    def test_malformed_item_is_reported_and_skipped(self, engine: Engine,
                                                    tmp_path: Path) -> None:
        path = _with_item(tmp_path, item(wp_id=90002, gmt="2020-13-45 99:00:00"))
        counts, messages = run(engine, path)
        assert counts.failed == 1
        assert counts.created == sum(expected_status(p) is not None for p in POSTS)
        assert len(messages) == 1
        assert "item 90002" in messages[0]

    def test_zero_gmt_date_uses_the_sites_offset(self, engine: Engine, session: Session,
                                                 tmp_path: Path) -> None:
        # The file's own most common local-minus-GMT offset is the site's.
        offsets: dict[object, int] = {}
        path = _with_item(tmp_path, item(gmt="0000-00-00 00:00:00", date="2020-05-01 10:00:00"))
        run(engine, path)
        root = ET.parse(FIXTURE).getroot()
        for entry in root.iter("item"):
            local, gmt = (entry.findtext("wp:post_date", "", NS),
                          entry.findtext("wp:post_date_gmt", "", NS))
            if entry.findtext("wp:post_type", "", NS) == "post" and gmt[:4] != "0000":
                delta = (datetime.strptime(local, "%Y-%m-%d %H:%M:%S")
                         - datetime.strptime(gmt, "%Y-%m-%d %H:%M:%S"))
                offsets[delta] = offsets.get(delta, 0) + 1
        offset = max(offsets, key=offsets.__getitem__)
        assert article_of(session, 90001).published_at == (
            datetime(2020, 5, 1, 10, 0) - offset).replace(tzinfo=UTC)

    def test_autop_shortcodes_and_unicode_slug(self, engine: Engine, session: Session,
                                               tmp_path: Path) -> None:
        slug = quote("नेपाल-समाचार")
        content = ('First line\nsecond line\n\nNext paragraph [unknown_code x="1"]\n\n'
                   '[caption id="a" width="300"]<img src="/wp-content/uploads/a.jpg" alt="A"> '
                   'The caption[/caption]\n\n<script>alert(1)</script>[gallery ids="999999"]')
        path = _with_item(tmp_path, item(slug=slug, content=content))
        run(engine, path)
        article = article_of(session, 90001)
        assert article.slug == "नेपाल-समाचार"
        assert article.body[:2] == [
            {"type": "paragraph", "text": "First line<br> second line"},
            {"type": "paragraph", "text": "Next paragraph"},
        ]
        # An external image: the image object's fields, the unknown ones empty.
        image = article.body[2]
        assert len(article.body) == 3
        assert (image["type"], image["url"], image["caption"], image["media_id"]) == (
            "image", "https://wpthemetestdata.wordpress.com/wp-content/uploads/a.jpg",
            "The caption", None)
        assert session.exec(select(Redirect.path).where(
            Redirect.article_id == article.id, col(Redirect.path).contains("नेपाल"))).one()

    def test_section_map_and_publish_drafts(self, engine: Engine, session: Session,
                                            make_section: object) -> None:
        make_section("opinion")  # type: ignore[operator]
        first_categories = {p.categories[0][0] for p in POSTS if p.categories}
        mapped = sorted(first_categories)[0]
        run(engine, section_map={mapped: "opinion"}, publish_drafts=True)
        for post in POSTS:
            if expected_status(post) is None:
                continue
            article = article_of(session, post.wp_id)
            if post.categories and post.categories[0][0] == mapped:
                assert session.get(Section, article.section_id).slug == "opinion"  # type: ignore[union-attr]
            if post.status in ("draft", "pending") and not post.password:
                assert article.status == "published"
            if post.password:
                assert article.status == "draft"

    def test_unknown_section_in_map_is_refused_before_writing(self, engine: Engine) -> None:
        with pytest.raises(ImportRefused, match="nope"):
            run(engine, section_map={"classic": "nope"})
        assert table_count(engine, "article") == 0


BOMB = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<wp:wxr_version>1.2</wp:wxr_version><item><title>&f;</title><wp:post_id>1</wp:post_id>
<wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item></channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<wp:wxr_version>1.2</wp:wxr_version><item><title>&secret;</title><wp:post_id>1</wp:post_id>
<wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item></channel></rss>"""

NOT_WXR = {
    "plain RSS": '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                 "<item><title>a</title></item></channel></rss>",
    "HTML": "<!doctype html><html><body><p>hello</p></body></html>",
    "text": "just some text\n",
    "truncated": FIXTURE.read_text(encoding="utf-8")[:200_000],
    "WXR 1.0": FIXTURE.read_text(encoding="utf-8").replace(
        "<wp:wxr_version>1.2</wp:wxr_version>", "<wp:wxr_version>1.0</wp:wxr_version>"),
    "bomb": BOMB,
    "external entity": XXE,
}


class TestRefusedFiles:
    @pytest.mark.parametrize("kind", list(NOT_WXR))
    def test_service_refuses_and_writes_nothing(self, engine: Engine, tmp_path: Path,
                                                kind: str) -> None:
        path = tmp_path / "file.xml"
        path.write_text(NOT_WXR[kind], encoding="utf-8")
        with pytest.raises(NotWxr):
            run(engine, path)
        assert table_count(engine, "article") == 0
        assert counters(engine)["content_version"] == 0

    @pytest.mark.parametrize("kind", ["HTML", "bomb", "external entity"])
    def test_cli_says_one_line_and_exits_non_zero(self, engine: Engine, database_url: str,
                                                  tmp_path: Path, kind: str) -> None:
        path = tmp_path / "file.xml"
        path.write_text(NOT_WXR[kind], encoding="utf-8")
        done = khabar(database_url, "import", "wordpress", str(path))
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("error: ")
        assert "root:" not in done.stderr  # /etc/passwd never read
        assert table_count(engine, "article") == 0


def khabar(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                          text=True, env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
                          timeout=120)


def test_cli_imports_and_prints_one_line_of_counts(engine: Engine, database_url: str) -> None:
    done = khabar(database_url, "import", "wordpress", str(FIXTURE))
    assert done.returncode == 0, done.stderr
    imported = sum(expected_status(p) is not None for p in POSTS)
    assert re.fullmatch(
        rf".*: {imported} created, 0 updated, 0 unchanged, \d+ skipped private, \d+ skipped "
        r"trash, \d+ drafts, \d+ scheduled, 0 failed; images: 0 stored, \d+ external, 0 refused "
        r"in [\d.]+ s\n", done.stdout), done.stdout
    again = khabar(database_url, "import", "wordpress", str(FIXTURE))
    assert f"0 created, 0 updated, {imported} unchanged" in again.stdout
    assert table_count(engine, "article") == imported


@pytest.mark.parametrize(("given", "key"), [
    ("https://old.example.com/2012/01/04/x/?utm_source=a", "/2012/01/04/x"),
    ("/2012/01/04/x", "/2012/01/04/x"),
    ("/?p=1168", "/?p=1168"),
    ("https://old.example.com/?p=1168&utm=1", "/?p=1168"),
    ("/?p=%C2%B3", "/"),  # a superscript digit is no post id
    ("/%E0%A4%A8%E0%A5%87%E0%A4%AA%E0%A4%BE%E0%A4%B2/", "/नेपाल"),
    ("/", "/"),
])
def test_old_paths_have_one_spelling(given: str, key: str) -> None:
    assert normalize_path(given) == key


def test_worker_processes_convert_as_this_one_does(engine: Engine, session: Session,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.importer.wordpress.PARALLEL_FROM", 1)
    counts, messages = run(engine, jobs=2)
    assert counts.created == sum(expected_status(p) is not None for p in POSTS)
    assert messages == []
    parallel = {p.wp_id: article_of(session, p.wp_id).body_html for p in POSTS
                if expected_status(p)}
    session.rollback()  # (its read locks would hold up the TRUNCATE on PostgreSQL)
    empty_database(engine)
    run(engine, jobs=1)
    assert parallel == {wp_id: article_of(session, wp_id).body_html for wp_id in parallel}


def test_media_dir_refused_file_keeps_its_url_and_size(engine: Engine, session: Session,
                                                       tmp_path: Path) -> None:
    post = next(p for p in POSTS if p.thumbnail and expected_status(p))
    url = ATTACHMENTS[post.thumbnail or ""]
    local = tmp_path / "uploads" / urlsplit(url).path.split("/wp-content/uploads/")[-1].lstrip("/")
    local.parent.mkdir(parents=True)
    # A PNG header is all that is read: 640 x 360.
    local.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big")
                      + (360).to_bytes(4, "big") + b"\x08\x02\x00\x00\x00")
    counts, messages = run(engine, media_dir=tmp_path / "uploads")
    # No image behind the header: the media intake refuses it, the URL stays, with the size.
    assert counts.images_refused >= 1
    assert counts.images_stored == 0
    assert any("refused" in m and local.name in m for m in messages), messages
    image = article_of(session, post.wp_id).image
    assert image is not None
    assert (image["url"], image["width"], image["height"]) == (url, 640, 360)
    assert image.get("media_id") is None


def test_workers_started_during_the_survey(engine: Engine, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Started early (a large file), they are stopped when the export turns out small, or not
    an export at all; or they convert, as one process would."""
    monkeypatch.setattr("app.importer.wordpress.EARLY_START_BYTES", 0)
    counts, messages = run(engine, jobs=2)  # fewer posts than PARALLEL_FROM: this process
    assert counts.created == sum(expected_status(p) is not None for p in POSTS)
    assert messages == []
    path = tmp_path / "file.xml"
    path.write_text(NOT_WXR["HTML"], encoding="utf-8")
    with pytest.raises(NotWxr):
        run(engine, path, jobs=2)
    monkeypatch.setattr("app.importer.wordpress.PARALLEL_FROM", 1)
    again, _ = run(engine, jobs=2)
    assert again.unchanged == counts.created
