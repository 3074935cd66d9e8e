"""Importing the seed page end to end, through the service, the CLI and the Content API."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, func, select

from app.articles.models import Article
from app.briefs.models import Brief
from app.importer.service import PageParseError, import_page

SEED_SLUG = "is-nuclear-peace-with-north-korea-possible"


class TestImportSeedPage:
    def test_published_seed_reads_back_through_the_content_api(self, session, client, seed_text,
                                                               make_section) -> None:
        make_section("opinion")
        import_page(session, seed_text, now=datetime.now(UTC), publish=True, section="opinion")
        article = client.get(f"/v1/articles/{SEED_SLUG}").json()
        kinds = [b["type"] for b in article["body"]]
        assert kinds.count("pullquote") == 3
        texts = [b["text"] for b in article["body"] if b["type"] == "paragraph"]
        assert len(texts) == len(set(texts))
        assert [a["slug"] for a in article["authors"]] == ["bennett-ramberg"]
        assert article["authors"][0]["bio"].startswith("Bennett Ramberg is a policy analyst")
        assert article["source"] == {"name": "Project Syndicate", "url": None}
        assert article["rights"]["syndication"] == "denied"
        assert article["published_at"] == "2021-03-14T03:13:00Z"
        assert article["section"]["slug"] == "opinion"
        # Pull quotes repeat the text: they stay out of word counts.
        plain = client.get(f"/v1/articles/{SEED_SLUG}?formats=text").json()["body_text"]
        assert article["word_count"] == len(plain.split())

    def test_briefs_stored_in_page_order(self, session, seed_text) -> None:
        import_page(session, seed_text, now=datetime.now(UTC), publish=True)
        briefs = session.exec(select(Brief).where(Brief.date == date(2024, 11, 26))
                              .order_by(col(Brief.position))).all()
        assert [b.dateline for b in briefs] == ["KATHMANDU", "VIENNA", "KATHMANDU", "KATHMANDU",
                                                "KATHMANDU"]
        assert briefs[1].headline.startswith("One woman killed by partner")
        assert (briefs[0].headline, briefs[0].summary) == (
            "Today’s news in a nutshell", "Khabarhub brings you a glimpse of major developments of")
        # Published on the page's day (midnight in Kathmandu), not at the import.
        assert {b.published_at for b in briefs} == {datetime(2024, 11, 25, 18, 15, tzinfo=UTC)}

    def test_draft_import_is_invisible(self, session, client, seed_text) -> None:
        result = import_page(session, seed_text, now=datetime.now(UTC), publish=False)
        assert result.article.status == "draft"
        assert client.get(f"/v1/articles/{SEED_SLUG}").status_code == 404
        assert client.get("/v1/briefs?date=2024-11-26").json()["data"] == []


class TestImportFailures:
    def _counts(self, session: Session) -> tuple[int, int]:
        return (session.exec(select(func.count()).select_from(Article)).one(),
                session.exec(select(func.count()).select_from(Brief)).one())

    def test_bad_publish_date_names_the_line_and_writes_nothing(self, session, seed_text) -> None:
        broken = seed_text.replace("Publish Date : 14 March 2021 08:58 AM",
                                   "Publish Date : 41 Smarch 2021 08:58 AM")
        with pytest.raises(PageParseError) as info:
            import_page(session, broken, now=datetime.now(UTC), publish=True)
        assert "line" in str(info.value)
        assert self._counts(session) == (0, 0)

    def test_unknown_section_writes_nothing(self, session, seed_text) -> None:
        with pytest.raises(Exception, match="section"):
            import_page(session, seed_text, now=datetime.now(UTC), publish=True, section="nope")
        session.rollback()
        assert self._counts(session) == (0, 0)


@pytest.mark.usefixtures("engine")
def test_cli_import_reports_bad_input_in_one_line(tmp_path, database_url) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("\n\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "app.cli", "import", str(bad)],
                            capture_output=True, text=True, env={"DATABASE_URL": database_url,
                                                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error:")
    assert "Traceback" not in result.stderr
