"""`khabar import wordpress --media-dir`: files of a copy of `wp-content/uploads` become media
objects through the media intake; missing files keep their URL; refused ones keep it too and
are reported; importing again makes no second media object.

The images are real files drawn with Pillow and laid out as WordPress lays out its uploads."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.articles.models import Article
from app.importer.models import WordpressPost
from app.importer.wordpress import Counts, Options, import_wordpress
from app.importer.wp_images import media_id_of
from app.media.models import Media
from tests.media.conftest import media_store  # noqa: F401  (autouse: a store per test)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SITE = "https://news.example.org"
UPLOADS = f"{SITE}/wp-content/uploads"

HEAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Example News</title><link>{SITE}</link><language>en-US</language>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>{SITE}</wp:base_blog_url>
<wp:author><wp:author_login>editor</wp:author_login>
<wp:author_display_name>The Editor</wp:author_display_name></wp:author>
"""
CREDIT_META = ('a:2:{s:5:"width";i:400;s:10:"image_meta";a:2:{s:6:"credit";s:10:"Photo: Ram";'
               's:5:"title";s:0:"";}}')


def attachment(wp_id: int, name: str, *, alt: str = "", caption: str = "",
               metadata: str = "") -> str:
    meta = (f"<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
            f"<wp:meta_value><![CDATA[{alt}]]></wp:meta_value></wp:postmeta>" if alt else "")
    if metadata:
        meta += (f"<wp:postmeta><wp:meta_key>_wp_attachment_metadata</wp:meta_key>"
                 f"<wp:meta_value><![CDATA[{metadata}]]></wp:meta_value></wp:postmeta>")
    return (f"<item><title>{name}</title><wp:post_id>{wp_id}</wp:post_id>"
            f"<excerpt:encoded><![CDATA[{caption}]]></excerpt:encoded>"
            f"<wp:post_type>attachment</wp:post_type><wp:post_parent>0</wp:post_parent>"
            f"<wp:attachment_url>{UPLOADS}/{name}</wp:attachment_url>{meta}</item>\n")


def post(wp_id: int, content: str, thumbnail: int | None = None) -> str:
    meta = (f"<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
            f"<wp:meta_value>{thumbnail}</wp:meta_value></wp:postmeta>" if thumbnail else "")
    return (f"<item><title>Post {wp_id}</title><link>{SITE}/2020/01/post-{wp_id}/</link>"
            f"<dc:creator>editor</dc:creator><content:encoded><![CDATA[{content}]]>"
            f"</content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>"
            f"<wp:post_id>{wp_id}</wp:post_id><wp:post_date>2020-01-0{wp_id} 10:00:00"
            f"</wp:post_date><wp:post_date_gmt>2020-01-0{wp_id} 04:15:00</wp:post_date_gmt>"
            f"<wp:post_name>post-{wp_id}</wp:post_name><wp:status>publish</wp:status>"
            f"<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>"
            f'<category domain="category" nicename="news"><![CDATA[News]]></category>'
            f"{meta}</item>\n")


EXPORT = HEAD + "".join([
    attachment(101, "2020/01/photo.jpg", alt="Boats on the lake", caption="Phewa at dawn",
               metadata=CREDIT_META),
    attachment(102, "2020/01/logo.png", alt="The logo"),
    attachment(103, "2020/01/broken.jpg", alt="Broken"),
    # 1: a featured photo, and the logo inside the text.
    post(1, f'One.\n\n<img src="{UPLOADS}/2020/01/logo.png" alt="Logo">\n\nTwo.', thumbnail=101),
    # 2: a corrupt featured file; the photo inside the text through its resized copy.
    post(2, '[caption id="attachment_101" width="300"]<img src="/wp-content/uploads/2020/01/'
            'photo-300x200.jpg" alt="Boats"> Boats at dawn[/caption]\n\nText.', thumbnail=103),
    # 3: a file that is not there, and the photo again under another name.
    post(3, f'<img src="{UPLOADS}/2020/02/missing.jpg" alt="Gone">\n\n'
            f'<img src="{UPLOADS}/2020/01/copy-of-photo.jpg" alt="Again">'),
]) + "</channel></rss>\n"


def photo() -> bytes:
    """A 400x200 JPEG whose EXIF orientation (6) turns it upright into 200x400."""
    im = Image.new("RGB", (400, 200), (0, 128, 255))
    ImageDraw.Draw(im).rectangle((40, 20, 120, 80), fill=(255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x0110] = "SecretCam"
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def logo() -> bytes:
    im = Image.new("RGBA", (120, 60), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((10, 10, 50, 50), fill=(200, 30, 30, 255))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    """(the export, the uploads directory) with the photo, a copy of it, the logo and a file
    that is no image."""
    uploads = tmp_path / "uploads"
    (uploads / "2020" / "01").mkdir(parents=True)
    (uploads / "2020" / "01" / "photo.jpg").write_bytes(photo())
    (uploads / "2020" / "01" / "copy-of-photo.jpg").write_bytes(photo())
    (uploads / "2020" / "01" / "logo.png").write_bytes(logo())
    (uploads / "2020" / "01" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"not a jpeg" * 50)
    export = tmp_path / "export.xml"
    export.write_text(EXPORT, encoding="utf-8")
    return export, uploads


def run(engine: Engine, export: Path, **options: Any) -> tuple[Counts, list[str]]:
    messages: list[str] = []
    counts = import_wordpress(engine, export, Options(**options), now=NOW,
                              report=messages.append)
    return counts, messages


def article(session: Session, wp_id: int) -> Article:
    session.expire_all()
    return session.exec(select(Article).join(
        WordpressPost, col(WordpressPost.article_id) == Article.id).where(
        WordpressPost.wp_id == wp_id)).one()


def images(session: Session, wp_id: int) -> list[dict[str, Any]]:
    return [b for b in article(session, wp_id).body if b["type"] == "image"]


def media_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM media")).scalar_one()


def test_files_become_media_objects(engine: Engine, session: Session, site: tuple[Path, Path],
                                    media_store: Path, client: Any) -> None:  # noqa: F811
    export, uploads = site
    counts, messages = run(engine, export, media_dir=uploads)
    assert (counts.created, counts.failed) == (3, 0)
    # Stored: the featured photo, the logo, the photo through its resized copy and through its
    # copy; external: the missing file; refused: the broken featured file.
    assert (counts.images_stored, counts.images_external, counts.images_refused) == (4, 1, 1)
    assert "images: 4 stored, 1 external, 1 refused" in counts.line()
    assert len(messages) == 1
    assert "2020/01/broken.jpg" in messages[0]
    assert "refused" in messages[0]

    # Two files, two media objects: the photo (however many names it has) and the logo.
    assert media_rows(engine) == 2
    photo_id = media_id_of(hashlib.sha256(photo()).hexdigest())
    featured = article(session, 1).image
    assert featured is not None
    assert featured["media_id"] == photo_id
    # Through the intake: turned upright by its EXIF orientation.
    assert (featured["width"], featured["height"]) == (200, 400)
    assert (featured["alt"], featured["caption"], featured["credit"]) == (
        "Boats on the lake", "Phewa at dawn", "Photo: Ram")
    media = session.get(Media, photo_id)
    assert media is not None
    assert (media.alt, media.caption, media.credit, media.source_type) == (
        "Boats on the lake", "Phewa at dawn", "Photo: Ram", "image/jpeg")
    # The article's image object, as the API shows it: renditions made on request, no EXIF.
    shown = client.get(f"/v1/articles/{article(session, 1).slug}").json()["image"]
    assert shown["media_id"] == photo_id
    assert shown["renditions"]
    assert shown["srcset"]
    master = client.get(shown["url"])
    assert master.status_code == 200
    assert b"SecretCam" not in master.content
    rendition = client.get(shown["renditions"][0]["url"])
    assert rendition.status_code == 200
    assert rendition.headers["content-type"] == "image/webp"
    assert any(media_store.rglob("original.jpg"))

    [inline_logo] = images(session, 1)
    assert inline_logo["media_id"] is not None
    assert inline_logo["media_id"] != photo_id
    assert inline_logo["alt"] == "The logo"  # the attachment's
    assert inline_logo["url"].endswith(".png?v=" + session.get(Media, inline_logo["media_id"])
                                       .version)  # type: ignore[union-attr]
    assert inline_logo["renditions"]
    assert "srcset=" in article(session, 1).body_html

    # The corrupt featured file: its URL kept.
    refused = article(session, 2).image
    assert refused is not None
    assert (refused["url"], refused.get("media_id")) == (f"{UPLOADS}/2020/01/broken.jpg", None)
    [resized] = images(session, 2)
    assert resized["media_id"] == photo_id  # the original of `photo-300x200.jpg`
    assert resized["caption"] == "Boats at dawn"

    missing, again = images(session, 3)
    assert (missing["url"], missing["media_id"]) == (f"{UPLOADS}/2020/02/missing.jpg", None)
    assert again["media_id"] == photo_id  # the same bytes under another name


def test_importing_again_makes_no_second_media_object(engine: Engine, session: Session,
                                                      site: tuple[Path, Path]) -> None:
    export, uploads = site
    run(engine, export, media_dir=uploads)
    before = {m.id: m.created_at for m in session.exec(select(Media)).all()}
    counts, messages = run(engine, export, media_dir=uploads)
    assert (counts.unchanged, counts.created, counts.updated) == (3, 0, 0)
    assert (counts.images_stored, counts.images_external, counts.images_refused) == (0, 0, 0)
    assert messages == []
    session.expire_all()
    assert {m.id: m.created_at for m in session.exec(select(Media)).all()} == before

    # A file that arrives later: the post showing it is updated, the photo is found again
    # (not decoded again, not duplicated).
    (uploads / "2020" / "02").mkdir()
    (uploads / "2020" / "02" / "missing.jpg").write_bytes(photo())
    counts, _ = run(engine, export, media_dir=uploads)
    assert (counts.updated, counts.unchanged) == (1, 2)
    assert (counts.images_stored, counts.images_external) == (2, 0)
    assert [b["media_id"] for b in images(session, 3)] == [
        media_id_of(hashlib.sha256(photo()).hexdigest())] * 2
    assert media_rows(engine) == 2


def test_worker_processes_store_the_same_media(engine: Engine, site: tuple[Path, Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.importer.wordpress.PARALLEL_FROM", 1)
    export, uploads = site
    counts, messages = run(engine, export, media_dir=uploads, jobs=2)
    assert (counts.created, counts.images_stored, counts.images_refused) == (3, 4, 1)
    assert len(messages) == 1
    assert media_rows(engine) == 2
    again, _ = run(engine, export, media_dir=uploads, jobs=2)
    assert again.unchanged == 3
    assert media_rows(engine) == 2


def test_without_media_dir_every_image_keeps_its_url(engine: Engine, session: Session,
                                                     site: tuple[Path, Path]) -> None:
    export, _ = site
    counts, _ = run(engine, export)
    assert (counts.images_stored, counts.images_external, counts.images_refused) == (0, 6, 0)
    assert media_rows(engine) == 0
    assert article(session, 1).image["url"] == f"{UPLOADS}/2020/01/photo.jpg"  # type: ignore[index]


def test_files_over_the_limit_or_of_another_type_are_refused(
        engine: Engine, session: Session, site: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import get_settings

    export, uploads = site
    # An SVG where the logo was (415-class), and an upload limit the photo is over (413-class).
    (uploads / "2020" / "01" / "logo.png").write_bytes(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    monkeypatch.setenv("KHABAR_MAX_UPLOAD_BYTES", str(len(photo()) - 1))
    get_settings.cache_clear()
    counts, messages = run(engine, export, media_dir=uploads)
    assert (counts.images_stored, counts.images_external, counts.images_refused) == (0, 1, 5)
    assert media_rows(engine) == 0
    said = "\n".join(messages)
    assert "2020/01/logo.png" in said
    assert "SVG is not accepted" in said
    assert "over the upload limit" in said
    # Each refused file is reported once, however many images show it.
    assert len(messages) == 4  # photo.jpg, copy-of-photo.jpg, logo.png, broken.jpg
    assert article(session, 1).image["url"] == f"{UPLOADS}/2020/01/photo.jpg"  # type: ignore[index]
    assert images(session, 1)[0]["url"] == f"{UPLOADS}/2020/01/logo.png"
