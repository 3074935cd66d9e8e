from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.articles.blocks import ParagraphBlock, PullquoteBlock, inline_to_text
from app.importer.page import PageParseError, ParsedAuthor, parse_page

KATHMANDU = ZoneInfo("Asia/Kathmandu")
SEED = (Path(__file__).parent.parent / "fixtures" / "khabarhub-opinion.txt").read_text("utf-8")


def parse(text: str):
    return parse_page(text, timezone=KATHMANDU)


def page(*lines: str) -> str:
    return "\n\n".join(lines) + "\n"


class TestSeed:
    @pytest.fixture(scope="class")
    def parsed(self):
        return parse(SEED)

    def test_title_and_page_date(self, parsed):
        assert parsed.title == "Is Nuclear Peace with North Korea Possible?"
        assert parsed.page_date == date(2024, 11, 26)

    def test_body(self, parsed):
        assert isinstance(parsed.blocks[0], ParagraphBlock)
        assert parsed.blocks[0].text.startswith("North Korea’s recent public displays")
        assert parsed.blocks[-1].text.startswith("The challenge will be to convince")
        paragraphs = [b.text for b in parsed.blocks if isinstance(b, ParagraphBlock)]
        assert len(paragraphs) == len(set(paragraphs))
        assert not any(text.startswith(("(", "Copyright", "Publish")) for text in paragraphs)
        assert any("endorses o-called Track II" in text for text in paragraphs)

    def test_repeated_paragraphs_become_pullquotes_at_first_place(self, parsed):
        quotes = [(i, b.text) for i, b in enumerate(parsed.blocks) if isinstance(b, PullquoteBlock)]
        assert len(quotes) == 3
        texts = [b.text for b in parsed.blocks]
        for index, text in quotes:
            later = texts.index(text, index + 1)
            assert isinstance(parsed.blocks[later], ParagraphBlock)

    def test_author_source_and_publish_date(self, parsed):
        assert parsed.author == ParsedAuthor(
            name="Bennett Ramberg",
            bio="Bennett Ramberg is a policy analyst in the US State Department’s Bureau of "
                "Politico-Military Affairs under President George H.W. Bush",
        )
        assert parsed.source_name == parsed.copyright_holder == "Project Syndicate"
        assert parsed.published_at == datetime(2021, 3, 14, 3, 13, tzinfo=UTC)

    def test_briefs(self, parsed):
        assert [(b.position, b.dateline, b.headline, b.summary) for b in parsed.briefs] == [
            (0, "KATHMANDU", "Today’s news in a nutshell",
             "Khabarhub brings you a glimpse of major developments of"),
            (1, "VIENNA", "One woman killed by partner, relative every 10 minutes worldwide: UN",
             "One woman was killed by a partner or relative"),
            (2, "KATHMANDU", "Press Council takes action against 10 more YouTube channels",
             "Press Council Nepal on Monday took action against ten"),
            (3, "KATHMANDU", "RSP Chair Rabi Lamichhane to be brought to Kathmandu",
             "Rabi Lamichhane, chair of the Rastriya Swatantra Party (RSP),"),
            (4, "KATHMANDU", "Santosh Narayan Shrestha appointed Chair of SEBON",
             "Santosh Narayan Shrestha has been appointed the chairperson of"),
        ]


def test_crlf_and_bom_give_the_same_page():
    assert parse("\ufeff" + SEED.replace("\n", "\r\n")) == parse(SEED)


def test_missing_author():
    parsed = parse(page("Title", "Body.", "Copyright: Reuters"))
    assert parsed.author is None
    assert parsed.source_name == "Reuters"
    assert [b.text for b in parsed.blocks] == ["Body."]


def test_parenthesis_mid_body_is_text_not_author():
    parsed = parse(page("Title", "(Sam is here.)", "More body."))
    assert parsed.author is None
    assert [b.text for b in parsed.blocks] == ["(Sam is here.)", "More body."]


def test_author_without_trailer_and_joint_authors():
    parsed = parse(page("Title", "Body.", "(Ann Lee and Bo Kim are reporters.)"))
    assert parsed.author == ParsedAuthor("Ann Lee and Bo Kim", "Ann Lee and Bo Kim are reporters.")
    assert len(parsed.blocks) == 1


def test_missing_briefs_and_empty_nutshell():
    assert parse(page("Title", "Body.", "Copyright: X")).briefs == []
    assert parse(page("Title", "Body.", "today's NEWS in a nutshell")).briefs == []


def test_lone_headline_brief_and_straight_apostrophe():
    parsed = parse(page("Title", "Today's news in a nutshell", "NEW DELHI: Lede", "Headline only"))
    assert [(b.dateline, b.headline, b.summary) for b in parsed.briefs] == [
        ("NEW DELHI", "Today's news in a nutshell", "Lede"), (None, "Headline only", None)]


def test_missing_publish_date():
    parsed = parse(page("Title", "Body."))
    assert parsed.published_at is None
    assert parsed.page_date is None
    assert parsed.source_name is None


@pytest.mark.parametrize(("line", "expected"), [
    ("Publish Date: 14 March 2021 20:58", datetime(2021, 3, 14, 15, 13, tzinfo=UTC)),
    ("Publish Date  :  1 march 2021 12:05 am", datetime(2021, 2, 28, 18, 20, tzinfo=UTC)),
    ("publish date :14 March 2021 12:30 PM", datetime(2021, 3, 14, 6, 45, tzinfo=UTC)),
])
def test_publish_date_formats(line, expected):
    assert parse(page("Title", "Body.", line)).published_at == expected


@pytest.mark.parametrize("value", ["14 Marchh 2021 08:58 AM", "31 April 2021 08:58",
                                   "14 March 2021 20:58 PM", "", "yesterday"])
def test_bad_publish_date_names_the_line(value):
    text = "Title\n\nBody.\r\n\nPublish Date : " + value + "\n"
    with pytest.raises(PageParseError) as caught:
        parse(text)
    assert caught.value.line == 5
    assert "line 5" in str(caught.value)
    assert f"Publish Date : {value}".strip() in str(caught.value)


@pytest.mark.parametrize(("first", "expected"), [
    ("November 26, 2024", date(2024, 11, 26)),
    ("Friday, March 1st, 2024", date(2024, 3, 1)),
    ("Sunday May 2nd 2021", date(2021, 5, 2)),
])
def test_page_date_variants(first, expected):
    parsed = parse(page(first, "Title"))
    assert (parsed.page_date, parsed.title) == (expected, "Title")


@pytest.mark.parametrize("first", ["Tuesday, November 31st, 2024", "Monday, November 26th, 2024"])
def test_bad_page_date_names_the_line(first):
    with pytest.raises(PageParseError) as caught:
        parse("\n\n" + page(first, "Title"))
    assert caught.value.line == 3
    assert first in str(caught.value)


def test_title_that_only_resembles_a_date():
    parsed = parse(page("Remember November 5, 1605", "Body."))
    assert (parsed.page_date, parsed.title) == (None, "Remember November 5, 1605")


@pytest.mark.parametrize("text", ["", "   \n\t\n", "\ufeff"])
def test_empty_page(text):
    with pytest.raises(PageParseError) as caught:
        parse(text)
    assert caught.value.line == 1


def test_page_date_without_title():
    with pytest.raises(PageParseError) as caught:
        parse("Tuesday, November 26th, 2024\n")
    assert caught.value.line == 2


def test_title_only():
    parsed = parse("  Just   a title  \r\n")
    assert parsed.title == "Just a title"
    assert (parsed.blocks, parsed.briefs, parsed.author) == ([], [], None)


def test_html_special_characters_stay_text():
    parsed = parse(page("Title", "AT&T <b>bold</b> & <script>x</script>"))
    [block] = parsed.blocks
    assert block.text == "AT&amp;T &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"
    assert inline_to_text(block.text) == "AT&T <b>bold</b> & <script>x</script>"


def test_whitespace_collapsed_in_paragraphs():
    parsed = parse(page("Title", "  a \t b\u00a0 c  "))
    assert [b.text for b in parsed.blocks] == ["a b c"]
