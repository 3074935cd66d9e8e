"""Article bodies as typed blocks: the one stored form, rendered to HTML and plain text.

Text in blocks is a small inline HTML subset, sanitized when a block is built (whatever the
source: API, importer, HTML conversion), so a `Block` instance is always safe to render.
Pull quotes repeat words of the text, so they stay out of plain text, word counts and reading time.
"""

from __future__ import annotations

import html
import math
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

import nh3
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

INLINE_TAGS = {"a", "strong", "em", "code", "br", "sup", "sub"}
URL_SCHEMES = {"http", "https", "mailto"}
WORDS_PER_MINUTE = 200
MAX_TEXT = 20_000
# C0 and C1 controls and DEL: never part of a URL (and most are not even XML).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
MAX_BLOCKS = 2000


# The HTML parser behind the sanitizer (html5ever) does work per element that grows with the
# nesting depth (scope checks, reformatting open formatting elements): 150,000 nested <div>
# took minutes. Markup is measured first, by one linear scan, and refused over these bounds;
# at the bounds the worst input found costs well under a second (SECURITY.md has figures).
MAX_MARKUP_DEPTH = 40
MAX_MARKUP_ELEMENTS = 10_000
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})
# Closed implicitly by their next sibling, so an open one does not nest what follows.
_SELF_CLOSING_SIBLINGS = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th", "rt",
                                    "rp"})


class MarkupTooComplex(ValueError):
    """HTML over the depth or element bound (refused before any parsing: a 422)."""


class MarkupBudget:
    """Depth and element counts of HTML, over one fragment or several (a request's blocks)."""

    def __init__(self, max_depth: int = MAX_MARKUP_DEPTH,
                 max_elements: int = MAX_MARKUP_ELEMENTS) -> None:
        self.max_depth, self.max_elements, self.elements = max_depth, max_elements, 0

    def check(self, text: str) -> None:
        if "<" not in text:
            return
        stack: list[str] = []
        for match in _TAG.finditer(text):
            name = match[2].lower()
            if match[1]:
                if name in stack:  # at most max_depth long
                    while stack.pop() != name:
                        pass
                continue
            self.elements += 1
            if self.elements > self.max_elements:
                raise MarkupTooComplex(f"HTML has over {self.max_elements} elements")
            if name in _VOID:
                continue
            if name in _SELF_CLOSING_SIBLINGS and stack and stack[-1] == name:
                continue
            stack.append(name)
            if len(stack) > self.max_depth:
                raise MarkupTooComplex(f"HTML nests deeper than {self.max_depth} elements")


# Built once: `nh3.clean(...)` builds its cleaner on every call, which cost half of each call
# (an imported archive sanitizes a few dozen fragments per article).
_INLINE_CLEANER = nh3.Cleaner(
    tags=INLINE_TAGS,
    attributes={"a": {"href"}},
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
_TEXT_CLEANER = nh3.Cleaner(tags=set())


def sanitize_inline(text: str) -> str:
    """Keep the inline subset; drop every other tag, attribute and unsafe URL."""
    MarkupBudget().check(text)
    return _INLINE_CLEANER.clean(text).strip()


def inline_to_text(fragment: str) -> str:
    """Plain text of a sanitized inline fragment."""
    return html.unescape(_TEXT_CLEANER.clean(fragment.replace("<br>", "\n"))).strip()


def plain_field(value: str | None) -> str | None:
    """Captions, credits and cites are plain text. Angle brackets are dropped, so a consumer that
    forgets to escape them still cannot be handed markup."""
    if value is None:
        return None
    return inline_to_text(sanitize_inline(value)).replace("<", "").replace(">", "") or None


def check_http_url(value: str | None) -> str | None:
    """An absolute http(s) URL, or None. Every URL a client stores is rendered into `href`/`src`
    attributes, feeds and partner documents: `javascript:`, `data:` and `file:` URLs must never
    get that far."""
    if value is None:
        return None
    value = value.strip()
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in ("http", "https") or not value.split(":", 1)[1].startswith("//"):
        raise ValueError("must be an absolute http(s) URL")
    if any(ch in value for ch in "\"'<> \t\n\\"):
        raise ValueError("must not contain quotes, angle brackets, backslashes or whitespace")
    # The standard library's parser, as the clients that follow the link parse it: a host is
    # required and the port, if any, must be a number.
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a port out of range or not a number)
    except ValueError:
        raise ValueError("must be a valid absolute http(s) URL") from None
    if not parts.hostname:
        raise ValueError("must name a host")
    return value


def check_image_url(value: str | None) -> str | None:
    """An absolute http(s) URL or a path on the publisher's own site (`/uploads/a.jpg`), or
    None. (`//host` and a backslash, which browsers read as `//`, name another host.)"""
    if value is not None and value.strip().startswith("/"):
        path = value.strip()
        if (path.startswith("//") or any(ch in path for ch in "\\\"'<> \t\n")
                or _CONTROL.search(path)):
            raise ValueError("must be an absolute http(s) URL or a path on this site")
        return path
    return check_http_url(value)


def _stored(info: ValidationInfo) -> bool:
    """Blocks read back from the database (`stored_blocks`) were sanitized when written:
    sanitizing them again on every read cost a quarter of a partner page's time."""
    return bool(info.context and info.context.get("stored"))


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _TextBlock(_Block):
    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text")
    @classmethod
    def _sanitize(cls, value: str, info: ValidationInfo) -> str:
        if _stored(info):
            return value
        cleaned = sanitize_inline(value)
        if not inline_to_text(cleaned):
            raise ValueError("text is empty once sanitized")
        return cleaned


class ParagraphBlock(_TextBlock):
    type: Literal["paragraph"] = "paragraph"


class HeadingBlock(_TextBlock):
    type: Literal["heading"] = "heading"
    level: int = Field(2, ge=2, le=4)


class PullquoteBlock(_TextBlock):
    type: Literal["pullquote"] = "pullquote"


class BlockquoteBlock(_TextBlock):
    type: Literal["blockquote"] = "blockquote"
    cite: str | None = Field(None, max_length=500)

    @field_validator("cite")
    @classmethod
    def _plain_cite(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if _stored(info) else plain_field(value)


class ListBlock(_Block):
    type: Literal["list"] = "list"
    ordered: bool = False
    items: list[Annotated[str, Field(max_length=MAX_TEXT)]] = Field(min_length=1, max_length=500)

    @field_validator("items")
    @classmethod
    def _sanitize_items(cls, items: list[str], info: ValidationInfo) -> list[str]:
        if _stored(info):
            return items
        cleaned = [sanitize_inline(item) for item in items]
        cleaned = [item for item in cleaned if inline_to_text(item)]
        if not cleaned:
            raise ValueError("a list needs at least one non-empty item")
        return cleaned


class ImageFocalPoint(BaseModel):
    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)


class BlockRendition(BaseModel):
    width: int
    height: int
    url: str = Field(max_length=2000)
    type: str = Field(max_length=100)


class ImageBlock(_Block):
    """An uploaded image (`media_id`) or an external one (`url`). For an uploaded image the
    server fills in `url`, size, focal point, `renditions` and `srcset` when the body is saved
    (values sent for them are replaced); alt, caption and credit default to the media's."""

    # `_source` in JSON Schema: a media_id or a url, given and not null.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for name in ("media_id", "url")]})

    type: Literal["image"] = "image"
    media_id: str | None = Field(None, max_length=32)
    url: str | None = Field(None, max_length=2000)
    width: int | None = Field(None, ge=1, le=100_000)
    height: int | None = Field(None, ge=1, le=100_000)
    alt: str | None = Field(None, max_length=2000)
    caption: str | None = Field(None, max_length=2000)
    credit: str | None = Field(None, max_length=500)
    focal_point: ImageFocalPoint | None = None
    renditions: list[BlockRendition] = Field(default_factory=list, max_length=20)
    srcset: str | None = Field(None, max_length=4000)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if _stored(info) else check_http_url(value)

    @field_validator("alt", "caption", "credit")
    @classmethod
    def _plain(cls, value: str | None, info: ValidationInfo) -> str | None:
        return value if _stored(info) else plain_field(value)

    @model_validator(mode="after")
    def _source(self) -> ImageBlock:
        if self.media_id is None and self.url is None:
            raise ValueError("an image block needs a media_id or a url")
        if self.media_id is None and (self.renditions or self.srcset or self.focal_point):
            raise ValueError("renditions, srcset and focal_point come with a media_id")
        return self


class EmbedBlock(_Block):
    type: Literal["embed"] = "embed"
    url: str = Field(max_length=2000)
    provider: str | None = Field(None, max_length=100)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str | None:
        return check_http_url(value)


Block = Annotated[
    ParagraphBlock | HeadingBlock | PullquoteBlock | BlockquoteBlock | ListBlock | ImageBlock
    | EmbedBlock,
    Field(discriminator="type"),
]
BlockList = TypeAdapter(list[Block])


def stored_blocks(body: list[dict[str, object]] | None) -> list[Block]:
    """A body as stored (already sanitized, see `_stored`) as blocks."""
    return BlockList.validate_python(body or [], context={"stored": True})


def render_html(blocks: list[Block]) -> str:
    parts: list[str] = []
    esc = html.escape
    for block in blocks:
        match block:
            case ParagraphBlock():
                parts.append(f"<p>{block.text}</p>")
            case HeadingBlock():
                parts.append(f"<h{block.level}>{block.text}</h{block.level}>")
            case PullquoteBlock():
                parts.append(f'<aside class="pullquote"><p>{block.text}</p></aside>')
            case BlockquoteBlock():
                cite = f"<footer><cite>{esc(block.cite)}</cite></footer>" if block.cite else ""
                parts.append(f"<blockquote><p>{block.text}</p>{cite}</blockquote>")
            case ListBlock():
                tag = "ol" if block.ordered else "ul"
                items = "".join(f"<li>{item}</li>" for item in block.items)
                parts.append(f"<{tag}>{items}</{tag}>")
            case ImageBlock():
                caption = " — ".join(esc(p) for p in (block.caption, block.credit) if p)
                figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
                alt = esc(block.alt or block.caption or "")
                size = (f' width="{block.width}" height="{block.height}"'
                        if block.width and block.height else "")
                srcset = f' srcset="{esc(block.srcset)}" sizes="100vw"' if block.srcset else ""
                parts.append(f'<figure><img src="{esc(block.url or "")}"{srcset}{size} '
                             f'alt="{alt}">{figcaption}</figure>')
            case EmbedBlock():
                label = esc(block.provider or block.url)
                parts.append(f'<p class="embed"><a href="{esc(block.url)}" '
                             f'rel="noopener noreferrer nofollow">{label}</a></p>')
    return "\n".join(parts)


def render_text(blocks: list[Block]) -> str:
    """Plain text for partners, search and word counts (pull quotes, images and embeds left out)."""
    parts: list[str] = []
    for block in blocks:
        match block:
            case ParagraphBlock() | HeadingBlock() | BlockquoteBlock():
                parts.append(inline_to_text(block.text))
            case ListBlock():
                parts.append("\n".join(inline_to_text(item) for item in block.items))
    return "\n\n".join(parts)


def word_count(text: str) -> int:
    return len(text.split())


def reading_time_minutes(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE)) if words else 0


def paragraphs_from_text(text: str) -> list[Block]:
    """`body_text` input: paragraphs split on blank lines, the text escaped (it is not HTML)."""
    chunks = [" ".join(chunk.split()) for chunk in text.replace("\r\n", "\n").split("\n\n")]
    return [ParagraphBlock(text=html.escape(chunk, quote=False)) for chunk in chunks if chunk]
