"""The page importer runs in linear time: adversarial author lines finish at once."""

from __future__ import annotations

import contextlib
import re
import time
from zoneinfo import ZoneInfo

import pytest

from app.importer.page import PageParseError, _author, parse_page

KATHMANDU = ZoneInfo("Asia/Kathmandu")
# The pattern the importer used before: quadratic on "(a is a is ..." with no closing ")".
OLD_AUTHOR = re.compile(r"\((?P<bio>(?P<name>[^()]+?)\s+(?:is|was|are)\s+.+)\)")


@pytest.mark.parametrize("tail", ["", ")", " x", "(", ")("])
def test_adversarial_author_line_is_fast(tail):
    text = "T\n(" + "a is " * 24000 + tail  # 120 kB, from issue 19
    started = time.process_time()
    with contextlib.suppress(PageParseError):  # a 120 kB paragraph is over the block limit
        parse_page(text, timezone=KATHMANDU)
    assert time.process_time() - started < 0.5


def test_adversarial_author_line_over_http_is_fast(client, auth_headers):
    headers = auth_headers("editor")
    # CPU time of this process (the app runs in it), not wall time: the machine may be busy.
    started = time.process_time()
    r = client.post("/v1/editorial/import", json={"text": "T\n(" + "a is " * 24000},
                    headers=headers)
    assert r.status_code in (201, 422), r.text
    assert time.process_time() - started < 2


@pytest.mark.parametrize("line", [
    "(Ram Sharma is a journalist.)", "(Ram is)", "(Ram is )", "( is x)", "(Ram (Hari) is x)",
    "(Ram is a (former) minister.)", "(Ram was here)", "(They are here.)", "(Ram isn't here)",
    "(Ram is x", "Ram is x)", "()", "(a is b is c)", "(a) is b)", "(a is (b)", "(this is it)",
    "(Rami s x)", "(x are y) z)",
])
def test_author_line_reads_as_before(line):
    """The same answers as the old pattern on lines as the parser sees them (single spaces)."""
    old = OLD_AUTHOR.fullmatch(line)
    new = _author(line)
    assert (new is None) == (old is None), line
    if old and new:
        assert (new.name, new.bio) == (old["name"], old["bio"])
