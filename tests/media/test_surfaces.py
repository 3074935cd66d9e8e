"""The image object in every surface: cards, details, body blocks, editorial views, JSON-LD,
ninjs (all three versions validate), RSS, Atom and JSON Feed."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import feedparser
import pytest
from PIL import Image

from app.syndication import ninjs
from tests.media.conftest import picture
from tests.syndication.conftest import make_partner  # noqa: F401  (fixture)
from tests.syndication.test_ninjs import validator

SHAPE = ["media_id", "url", "width", "height", "alt", "caption", "credit", "focal_point",
         "renditions", "srcset"]


@pytest.fixture
def story(upload: Callable[..., Any], make_article: Callable[..., Any]) -> dict[str, Any]:
    hero = upload(picture(1600, 900), alt="Hero alt", caption="Hero caption",
                  credit="Photo: Hero").json()
    inline = upload(picture(1000, 1000, "PNG")).json()
    article = make_article(
        "With pictures", excerpt="Pictures",
        image={"media_id": hero["id"], "caption": "Own caption"},
        body=[{"type": "paragraph", "text": "Before"},
              {"type": "image", "media_id": inline["id"], "alt": "Inline alt"},
              {"type": "image", "url": "https://cdn.example.com/x.jpg", "caption": "External"}])
    external = make_article("External picture",
                            image={"url": "https://cdn.example.com/a.jpg", "width": 1200,
                                   "height": 800, "caption": "Ext"})
    return {"hero": hero, "inline": inline, "article": article, "external": external}


def check_media_image(image: dict[str, Any], client: Any) -> None:
    assert list(image) == SHAPE
    assert image["media_id"]
    assert image["width"]
    assert image["height"]
    assert image["renditions"]
    assert image["srcset"]
    for item in image["renditions"][:2]:
        r = client.get(item["url"])
        assert r.status_code == 200
        assert Image.open(io.BytesIO(r.content)).size == (item["width"], item["height"])


class TestContentApi:
    def test_card_and_detail(self, story: dict[str, Any], client: Any) -> None:
        cards = {c["slug"]: c for c in client.get("/v1/articles").json()["data"]}
        card = cards[story["article"].slug]["image"]
        check_media_image(card, client)
        assert card["media_id"] == story["hero"]["id"]
        assert (card["alt"], card["caption"], card["credit"]) == (
            "Hero alt", "Own caption", "Photo: Hero")  # the article's caption, the media's rest
        ext = cards[story["external"].slug]["image"]
        assert list(ext) == SHAPE
        assert ext["media_id"] is None
        assert ext["renditions"] == []
        assert ext["srcset"] is None
        assert (ext["url"], ext["width"], ext["height"]) == ("https://cdn.example.com/a.jpg",
                                                             1200, 800)
        detail = client.get(f"/v1/articles/{story['article'].slug}").json()
        assert detail["image"] == card
        blocks = [b for b in detail["body"] if b["type"] == "image"]
        assert list(blocks[0]) == ["type", *SHAPE]
        check_media_image({k: v for k, v in blocks[0].items() if k != "type"}, client)
        assert blocks[0]["alt"] == "Inline alt"
        assert blocks[0]["url"].split("?")[0].endswith(
            "original.jpg")
        assert blocks[1]["media_id"] is None
        assert blocks[1]["renditions"] == []
        assert f'srcset="{blocks[0]["srcset"]}"' in detail["body_html"]
        assert 'width="1000" height="1000"' in detail["body_html"]
        ld = detail["structured_data"]["image"][0]
        assert ld["@type"] == "ImageObject"
        assert (ld["url"], ld["width"], ld["height"]) == (card["url"], 1600, 900)

    def test_editorial_views(self, story: dict[str, Any], client: Any,
                             auth_headers: Callable[..., dict[str, str]]) -> None:
        headers = auth_headers("editor")
        one = client.get(f"/v1/editorial/articles/{story['article'].id}", headers=headers).json()
        check_media_image(one["image"], client)
        listed = client.get("/v1/editorial/articles", headers=headers).json()["data"]
        assert any(a["image"] and a["image"]["media_id"] == story["hero"]["id"] for a in listed)

    def test_unknown_media_id_is_422(self, client: Any,
                                     auth_headers: Callable[..., dict[str, str]]) -> None:
        headers = auth_headers("editor")
        for body in ({"title": "X", "image": {"media_id": "abc123"}},
                     {"title": "X", "body": [{"type": "image", "media_id": "abc123"}]},
                     {"title": "X", "image": {"media_id": "abc", "url": "https://a.b/c.jpg"}},
                     {"title": "X", "image": {}}):
            r = client.post("/v1/editorial/articles", headers=headers, json=body)
            assert r.status_code == 422, (body, r.text)


class TestFeedsAndSyndication:
    def test_rss_atom_json_feed(self, story: dict[str, Any], client: Any) -> None:
        hero = story["hero"]
        rss = feedparser.parse(client.get("/v1/feeds/latest.rss").content)
        entry = next(e for e in rss.entries if e.title == "With pictures")
        enclosure = entry.enclosures[0]
        assert enclosure["type"] == "image/jpeg"
        assert hero["id"] in enclosure["href"]
        media = entry.media_content[0]
        assert (media["width"], media["height"], media["medium"]) == ("1280", "720", "image")
        got = client.get(enclosure["href"])
        assert Image.open(io.BytesIO(got.content)).size == (1280, 720)
        # One `media:content` stands alone: the W3C validator refuses a `media:group` of one.
        for kind in ("rss", "atom"):
            assert b"media:group" not in client.get(f"/v1/feeds/latest.{kind}").content
        atom = feedparser.parse(client.get("/v1/feeds/latest.atom").content)
        entry = next(e for e in atom.entries if e.title == "With pictures")
        assert any(link.rel == "enclosure" and hero["id"] in link.href for link in entry.links)
        items = client.get("/v1/feeds/latest.json").json()["items"]
        item = next(i for i in items if i["title"] == "With pictures")
        assert hero["id"] in item["image"]

    @pytest.mark.parametrize("version", ninjs.VERSIONS)
    def test_ninjs_renditions_validate(self, story: dict[str, Any], client: Any,
                                       make_partner: Any, version: str) -> None:  # noqa: F811
        _, headers = make_partner()
        doc = client.get(f"/v1/syndication/articles/{story['article'].id}", headers=headers,
                         params={"format": "ninjs", "ninjs_version": version}).json()
        assert not [e.message for e in validator(version).iter_errors(doc)]
        association = doc["associations"][0] if version != "1.6" else doc["associations"][
            "featureimage"]
        renditions = association["renditions"]
        if version == "1.6":
            assert renditions["w640"]["width"] == 640
            assert renditions["16x9"]["height"] == 720
        else:
            names = [r["name"] for r in renditions]
            assert names[:2] == ["original", "w320"]
            assert "16x9" in names


class TestAvatars:
    def test_uploaded_and_external_avatars(self, upload: Callable[..., Any], client: Any,
                                           auth_headers: Callable[..., dict[str, str]],
                                           make_article: Callable[..., Any]) -> None:
        editor = auth_headers("editor")
        face = upload(picture(600, 800), alt="Portrait").json()
        r = client.post("/v1/editorial/authors", headers=editor,
                        json={"name": "Sita Rai", "avatar": {"media_id": face["id"]}})
        assert r.status_code == 201, r.text
        avatar = r.json()["avatar"]
        check_media_image(avatar, client)
        square = next(x for x in avatar["renditions"] if "/1x1." in x["url"])
        assert (square["width"], square["height"]) == (600, 600)
        external = client.post("/v1/editorial/authors", headers=editor, json={
            "name": "Ram KC", "avatar_url": "https://cdn.example.com/ram.jpg"}).json()
        assert external["avatar"]["url"] == "https://cdn.example.com/ram.jpg"
        assert external["avatar"]["renditions"] == []
        assert client.post("/v1/editorial/authors", headers=editor, json={
            "name": "Nobody", "avatar": {"media_id": "abc"}}).status_code == 422
        article = make_article("By Sita", authors=["sita-rai", "ram-kc"])
        detail = client.get(f"/v1/articles/{article.slug}").json()
        by_slug = {a["slug"]: a for a in detail["authors"]}
        assert by_slug["sita-rai"]["avatar"] == avatar
        assert by_slug["ram-kc"]["avatar"]["media_id"] is None
        assert client.get("/v1/authors/sita-rai").json()["avatar"] == avatar
        changed = client.patch(f"/v1/editorial/authors/{r.json()['id']}", headers=editor,
                               json={"avatar": None})
        assert changed.status_code == 200
        assert changed.json()["avatar"] is None


class TestBriefs:
    def test_a_brief_shows_its_article_image(self, story: dict[str, Any], client: Any,
                                             session: Any,
                                             auth_headers: Callable[..., dict[str, str]]) -> None:
        import datetime as dt

        from app.briefs import service as briefs_service
        from app.briefs.models import BriefCreate

        now = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
        brief = briefs_service.create_brief(session, BriefCreate(
            headline="Pictures", date=now.date(), article_id=story["article"].id), now=now)
        listed = client.get("/v1/briefs", params={"date": now.date().isoformat()}).json()
        image = listed["data"][0]["article"]["image"]
        check_media_image(image, client)
        assert image["media_id"] == story["hero"]["id"]
        editorial = client.get(f"/v1/editorial/briefs/{brief.id}",
                               headers=auth_headers("editor")).json()
        assert editorial["article"]["image"] == image
