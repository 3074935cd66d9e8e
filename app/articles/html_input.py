"""`body_html` input: editor-supplied HTML turned into typed blocks.

The document is sanitized as a whole first, so the walker only ever sees a known, well-formed
tag set; every block is then built through its pydantic model, which sanitizes its text again.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import cast

import nh3
from pydantic import ValidationError

from app.articles.blocks import (
    INLINE_TAGS,
    MAX_BLOCKS,
    URL_SCHEMES,
    Block,
    BlockquoteBlock,
    HeadingBlock,
    ImageBlock,
    ListBlock,
    MarkupBudget,
    MarkupTooComplex,
    ParagraphBlock,
    PullquoteBlock,
)

HEADING_LEVELS = {"h1": 2, "h2": 2, "h3": 3, "h4": 4, "h5": 4, "h6": 4}
BLOCK_TAGS = {*HEADING_LEVELS, "p", "blockquote", "cite", "footer", "ul", "ol", "li", "figure",
              "figcaption", "img", "aside", "div", "span"}
# The content of these is code, fallback or form markup, never article text (and the text of
# title/textarea is raw markup that would land, decoded, in plain-text fields such as captions).
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "svg", "math", "noscript", "template",
                        "object", "title", "textarea"}
VOID_TAGS = {"br", "img"}
STARTS_BLOCK = {"p", *HEADING_LEVELS, "blockquote", "ul", "ol", "figure"}
BREAKS = {"p", "div", "li", "blockquote", "aside", *HEADING_LEVELS}
_EDGE_BREAKS = re.compile(r"^(\s*<br>)+|(<br>\s*)+$")
TOO_LONG = {"string_too_long", "too_long"}  # pydantic's error types for max_length
_SPACES = re.compile(r"\s+")


def _edges(text: str) -> str:
    """Without line breaks at either end (the pattern, tried at every position of a long
    paragraph, is skipped when there is no break at all)."""
    return _EDGE_BREAKS.sub("", text) if "<br>" in text else text


_DOCUMENT_CLEANER = nh3.Cleaner(  # built once, as blocks.py's cleaners are
    tags=BLOCK_TAGS | INLINE_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes={"a": {"href"}, "img": {"src", "alt"}},
    allowed_classes={"aside": {"pullquote"}, "blockquote": {"pullquote"}},
    url_schemes=URL_SCHEMES,
    strip_comments=True,
)


def _clean_document(source: str) -> str:
    return _DOCUMENT_CLEANER.clean(source)


# The cleaner's output is serialized HTML of one exact form (html5ever's): lower-case tag and
# attribute names, every attribute value double-quoted, `<` in text always escaped, no
# comments, no self-closing slash. Read with one regular expression, it gives the same events
# as `HTMLParser` in a fraction of its time (HTMLParser was half of an imported post's CPU);
# anything else (never seen) is left to HTMLParser.
_TOKEN = re.compile(r'<([a-z][a-z0-9]*)((?: [a-z][a-z0-9_.:-]*="[^"]*")*)>'
                    r"|</([a-z][a-z0-9]*)>|([^<]+)")
_ATTRIBUTE = re.compile(r' ([a-z][a-z0-9_.:-]*)="([^"]*)"')
_RAW_TEXT = frozenset(HTMLParser.CDATA_CONTENT_ELEMENTS)
Event = tuple[str | None, str | None, str | None, str | None]


def _events(document: str) -> list[Event] | None:
    """(start tag, its attributes, end tag, text) of each token of a cleaned document, or None
    when the document is not in the cleaner's form."""
    events: list[Event] = []
    at = 0
    for match in _TOKEN.finditer(document):
        if match.start() != at:
            return None
        at = match.end()
        if match[1] in _RAW_TEXT:
            return None
        events.append(cast(Event, match.groups()))  # _TOKEN has four groups
    return events if at == len(document) else None


class _Walker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.open: list[str] = []  # open non-void elements, for knowing when a block ends
        self.kind: str | None = None  # the block being built; None means loose top-level text
        self.depth = 0  # len(self.open) when that block started
        self.buf: list[str] = []  # inline HTML of the block (or of the current list item)
        self.items: list[str] = []
        self.side: list[str] = []  # escaped text of a quote's cite/footer or a figure's caption
        self.side_depth: int | None = None
        self.image: tuple[str, str] | None = None
        self.pending: list[Block] = []  # images met inside a text block, emitted after it

    def replay(self, events: list[Event]) -> None:
        """The handlers called as `feed` and `close` would call them, from `_events`."""
        unescape = html.unescape
        for start, attributes, end, text in events:
            if text is not None:
                self.handle_data(unescape(text))
            elif end is not None:
                self.handle_endtag(end)
            else:
                assert start is not None
                self.handle_starttag(start, [(name, unescape(value)) for name, value in
                                             _ATTRIBUTE.findall(attributes or "")])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        pullquote = attr.get("class") == "pullquote"
        if tag not in VOID_TAGS:
            self.open.append(tag)
        if tag == "img":
            self._image(attr.get("src", ""), attr.get("alt", ""))
        elif tag in INLINE_TAGS:
            self._inline(tag, attr)
        elif self.kind is None and (tag in STARTS_BLOCK or (tag == "aside" and pullquote)):
            self._finish()
            self.kind, self.depth = ("pullquote" if pullquote else tag), len(self.open) - 1
        elif self.kind in ("blockquote", "figure") and tag in ("cite", "footer", "figcaption"):
            if self.side_depth is None:
                self.side_depth = len(self.open) - 1
        elif self.kind in ("ul", "ol") and tag == "li":
            self._list_item()
        elif tag in BREAKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open:
            return
        while self.open.pop() != tag:
            pass
        if tag in INLINE_TAGS:
            if self.side_depth is None:
                self.buf.append(f"</{tag}>")
            return
        if self.side_depth is not None and len(self.open) <= self.side_depth:
            self.side_depth = None
        if self.kind is not None and len(self.open) <= self.depth:
            self._finish()
        elif tag in BREAKS:
            self._break()

    def handle_data(self, data: str) -> None:
        data = _SPACES.sub(" ", data)
        (self.side if self.side_depth is not None else self.buf).append(
            html.escape(data, quote=False))

    def _inline(self, tag: str, attr: dict[str, str]) -> None:
        if self.side_depth is not None:
            return
        if tag == "br" and self.kind is None and "".join(self.buf).rstrip().endswith("<br>"):
            self._finish()  # a blank line in loose text starts a new paragraph
        elif tag == "a" and "href" in attr:
            self.buf.append(f'<a href="{html.escape(attr["href"])}">')
        else:
            self.buf.append(f"<{tag}>")

    def _break(self) -> None:
        # Block boundaries inside a block: a new paragraph in loose text, a line break elsewhere.
        if self.kind is None:
            self._finish()
        elif self.kind not in ("ul", "ol") or "li" in self.open[self.depth + 1:]:
            self.buf.append("<br>")

    def _list_item(self) -> None:
        # Blank ones (such as the whitespace before the first <li>) would count against the
        # list's item limit before the block's own validator could drop them.
        item = _edges("".join(self.buf)).strip()
        if item:
            self.items.append(item)
        self.buf = []

    def _image(self, src: str, alt: str) -> None:
        alt = html.escape(alt, quote=False)
        if self.kind == "figure":
            self.image = self.image or (src, alt)
            return
        if self.kind is None:
            self._finish()  # keep loose text before the image ahead of it
        self._add(self.pending if self.kind else self.blocks, ImageBlock, url=src,
                  caption=alt or None)

    def _finish(self) -> None:
        text = _edges(_SPACES.sub(" ", "".join(self.buf))).strip()
        side = "".join(self.side).strip(" —–-")
        kind, out = self.kind, self.blocks
        if kind in ("ul", "ol"):
            self._list_item()
            self._add(out, ListBlock, ordered=kind == "ol", items=self.items)
        elif kind == "figure":
            if self.image:
                self._add(out, ImageBlock, url=self.image[0], caption=side or self.image[1] or None)
        elif kind in HEADING_LEVELS:
            self._add(out, HeadingBlock, text=text, level=HEADING_LEVELS[kind])
        elif kind == "blockquote":
            self._add(out, BlockquoteBlock, text=text, cite=side or None)
        elif kind == "pullquote":
            self._add(out, PullquoteBlock, text=text)
        elif text:
            self._add(out, ParagraphBlock, text=text)
        out.extend(self.pending)
        self.kind, self.buf, self.items, self.side, self.side_depth = None, [], [], [], None
        self.image, self.pending = None, []

    @staticmethod
    def _add(out: list[Block], model: type, **fields: object) -> None:
        # Skipped: empty once sanitized, or an image without an absolute http(s) URL. A block over
        # a length limit is refused instead, as in body_text: dropping it would lose real text.
        try:
            out.append(model(**fields))
        except ValidationError as exc:
            if any(error["type"] in TOO_LONG for error in exc.errors()):
                raise
        if len(out) > MAX_BLOCKS:
            raise MarkupTooComplex(f"HTML makes over {MAX_BLOCKS} blocks")


def blocks_from_html(source: str) -> list[Block]:
    """Convert editor HTML into blocks; anything without a block mapping becomes paragraphs.

    Raises ValidationError when a block is over a length limit (a paragraph over `MAX_TEXT`),
    MarkupTooComplex when the HTML is over the depth or element bound (checked first)."""
    if not source or not source.strip():
        return []
    MarkupBudget().check(source)
    walker = _Walker()
    document = _clean_document(source)
    events = _events(document)
    if events is None:
        walker.feed(document)
        walker.close()
    else:
        walker.replay(events)
    walker._finish()
    return walker.blocks
