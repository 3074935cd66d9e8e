"""Parse a raw news page (as in tests/fixtures/khabarhub-opinion.txt) into plain data and blocks.

Layout: optional page date line, title, body paragraphs, then optional trailer lines
("(Name is ...)", "Copyright: X", "Publish Date : ...") and a "Today’s news in a nutshell" list.
Pure text in, data out: no database, no HTTP.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from app.articles.blocks import Block, ParagraphBlock, PullquoteBlock

# English names on purpose: strptime's %B/%A follow the process locale.
MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), start=1)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

PAGE_DATE = re.compile(r"(?:(?P<weekday>[A-Za-z]+),?\s+)?(?P<month>[A-Za-z]+)\s+"
                       r"(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})")
PUBLISH_DATE = re.compile(r"publish(?:ed)?\s*date\s*:\s*(?P<value>.*)", re.IGNORECASE)
PUBLISH_VALUE = re.compile(r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+),?\s+(?P<year>\d{4}),?\s+"
                           r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?P<ampm>[AP])\.?M\.?)?",
                           re.IGNORECASE)
COPYRIGHT = re.compile(r"copyright\s*:\s*(?P<holder>.*)", re.IGNORECASE)
# The verb after an author's name, in a line whose whitespace is already single spaces. A plain
# search for it keeps `_author` linear: a backtracking pattern over the whole line took 19 s
# on 120 kB of "a is a is ..." with no closing parenthesis (quadratic).
AUTHOR_VERB = re.compile(r" (?:is|was|are) ")
NUTSHELL = re.compile(r"today['’]s news in a nutshell", re.IGNORECASE)
DATELINE = re.compile(r"(?P<dateline>[A-Z][A-Z .\-]*[A-Z.])\s*:\s*(?P<text>.+)")


@dataclass(frozen=True)
class ParsedAuthor:
    name: str
    bio: str


@dataclass(frozen=True)
class ParsedBrief:
    dateline: str | None
    headline: str
    summary: str | None
    position: int


@dataclass(frozen=True)
class ParsedPage:
    title: str
    blocks: list[Block]
    author: ParsedAuthor | None
    source_name: str | None
    copyright_holder: str | None
    published_at: datetime | None
    page_date: date | None
    briefs: list[ParsedBrief]


class PageParseError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {reason}")


def parse_page(text: str, *, timezone: ZoneInfo) -> ParsedPage:
    raw = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # A NUL marks a binary file, and PostgreSQL text cannot hold one: refuse it by its line.
    if nul := next((n for n, line in enumerate(raw, start=1) if "\x00" in line), None):
        raise PageParseError(nul, "the page has a NUL character (a binary file?)")
    lines = [(number, " ".join(line.split())) for number, line in enumerate(raw, start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise PageParseError(1, "the page is empty, there is no title")
    page_date = _page_date(*lines[0])
    if page_date is not None:
        if len(lines) == 1:
            raise PageParseError(lines[0][0] + 1, "there is no title after the page date")
        lines = lines[1:]
    title = lines[0][1]

    body: list[tuple[int, str]] = []
    trailer: list[tuple[int, str]] = []
    brief_lines: list[str] = []
    for number, line in lines[1:]:
        if brief_lines or NUTSHELL.fullmatch(line):
            brief_lines.append(line)
        elif trailer or COPYRIGHT.fullmatch(line) or PUBLISH_DATE.fullmatch(line):
            trailer.append((number, line))
        else:
            body.append((number, line))

    # Only a trailing "(Name is ...)" line is the author: a parenthesis mid-body is text.
    author = _author(body[-1][1]) if body else None
    if author is not None:
        body.pop()
    source = published_at = None
    for number, line in trailer:
        if match := COPYRIGHT.fullmatch(line):
            source = source or match["holder"] or None
        elif match := PUBLISH_DATE.fullmatch(line):
            published_at = published_at or _published_at(number, line, match["value"], timezone)
        elif author is None:
            author = _author(line)

    return ParsedPage(
        title=title, blocks=_blocks(body), author=author, source_name=source,
        copyright_holder=source, published_at=published_at, page_date=page_date,
        briefs=_briefs(brief_lines),
    )


def _page_date(number: int, line: str) -> date | None:
    """The page date, or None when the line does not look like one (then it is the title)."""
    match = PAGE_DATE.fullmatch(line)
    if not match:
        return None
    weekday = (match["weekday"] or "").lower()
    if match["month"].lower() not in MONTHS or weekday not in ("", *WEEKDAYS):
        return None
    try:
        value = date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]))
    except ValueError as exc:
        raise PageParseError(number, f"could not read the page date {line!r}: {exc}") from None
    if weekday and WEEKDAYS[value.weekday()] != weekday:
        raise PageParseError(number, f"could not read the page date {line!r}: "
                                     f"{value.isoformat()} is a {value:%A}")
    return value


def _published_at(number: int, line: str, value: str, timezone: ZoneInfo) -> datetime:
    match = PUBLISH_VALUE.fullmatch(value)
    try:
        if not match or match["month"].lower() not in MONTHS:
            raise ValueError("expected e.g. '14 March 2021 08:58 AM' or '14 March 2021 20:58'")
        hour = int(match["hour"])
        if match["ampm"]:
            if not 1 <= hour <= 12:
                raise ValueError(f"hour {hour} is not a 12-hour clock hour")
            hour = hour % 12 + (12 if match["ampm"].upper() == "P" else 0)
        local = datetime(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]),
                         hour, int(match["minute"]), tzinfo=timezone)
    except ValueError as exc:
        raise PageParseError(number, f"could not read the publish date {line!r}: {exc}") from None
    return local.astimezone(UTC)


def _author(line: str) -> ParsedAuthor | None:
    """"(Name is ...)": the shortest name without parentheses before " is|was|are ", followed
    by some text, the whole line in one pair of parentheses."""
    if len(line) < 2 or line[0] != "(" or line[-1] != ")":
        return None
    bio = line[1:-1]
    verb = AUTHOR_VERB.search(bio, 1)
    parens = [i for i in (bio.find("("), bio.find(")")) if i >= 0]
    if verb is None or verb.end() >= len(bio) or (parens and min(parens) < verb.start()):
        return None
    return ParsedAuthor(name=bio[:verb.start()], bio=bio)


def _blocks(body: list[tuple[int, str]]) -> list[Block]:
    """One block per line; a repeated line is a pull quote at its first place, text at its last."""
    counts = Counter(line for _, line in body)
    seen: set[str] = set()
    blocks: list[Block] = []
    for number, line in body:
        kind = PullquoteBlock if counts[line] > 1 and line not in seen else ParagraphBlock
        seen.add(line)
        try:
            blocks.append(kind(text=html.escape(line, quote=False)))
        except ValidationError as exc:
            raise PageParseError(number, f"paragraph is not a valid block: "
                                         f"{exc.errors()[0]['msg']}") from None
    return blocks


def _briefs(lines: list[str]) -> list[ParsedBrief]:
    """Pairs of headline and "DATELINE: lede"; a lone line of either kind is a brief by itself.
    The "Today's news in a nutshell" line is the first pair's headline (its lede introduces the
    list); alone, it is no brief."""
    if len(lines) < 2:
        return []
    found: list[tuple[str | None, str, str | None]] = []
    headline: str | None = None
    for line in lines:
        if match := DATELINE.fullmatch(line):
            if headline is None:
                found.append((match["dateline"], match["text"], None))
            else:
                found.append((match["dateline"], headline, match["text"]))
            headline = None
        else:
            if headline is not None:
                found.append((None, headline, None))
            headline = line
    if headline is not None:
        found.append((None, headline, None))
    return [ParsedBrief(dateline, head, summary, position)
            for position, (dateline, head, summary) in enumerate(found)]
