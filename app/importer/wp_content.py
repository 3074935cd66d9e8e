"""WordPress post content as the HTML the Editorial API takes: what WordPress itself does to
`post_content` before showing it (`wpautop`, shortcodes, embeds), then nothing more. The result
goes through `app.articles.html_input.blocks_from_html`, the one sanitizer of editor HTML.

- Block-editor content (`<!-- wp:... -->` comments) is already HTML: WordPress skips `wpautop`
  for it, and so does this; the comments are dropped by the sanitizer (embeds are kept first).
- Classic content is `wpautop`ed: blank-line-separated text becomes paragraphs, single newlines
  line breaks (a port of WordPress's paragraph logic, `wp-includes/formatting.php`).
- Shortcodes: `[caption]` becomes a figure with its caption, `[gallery ids=...]` the gallery's
  images, `[embed]`, `[audio]` and `[video]` a link to the media; the tags of any other shortcode
  are dropped and their enclosed text kept (a plugin's shortcode has no meaning here).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urljoin

from app.core.ids import ascii_int
from app.importer.wxr import Attachment

ALL_BLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|"
              r"pre|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|"
              r"article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)")
_BLOCK_OPEN = re.compile(r"(<" + ALL_BLOCKS + r"[\s/>])", re.I)
_BLOCK_CLOSE = re.compile(r"(</" + ALL_BLOCKS + r">)", re.I)
_HR = re.compile(r"(<hr\s*?/?>)", re.I)
_PRE = re.compile(r"<pre[\s>].*?</pre>", re.I | re.S)
_EMPTY_P = re.compile(r"<p>\s*</p>")
_P_AROUND_BLOCK = re.compile(r"<p>\s*(</?" + ALL_BLOCKS + r"[^>]*>)\s*</p>", re.I)
_P_BEFORE_BLOCK = re.compile(r"<p>\s*(</?" + ALL_BLOCKS + r"[^>]*>)", re.I)
_P_AFTER_BLOCK = re.compile(r"(</?" + ALL_BLOCKS + r"[^>]*>)\s*</p>", re.I)
_P_LI = re.compile(r"<p>(<li.+?)</p>", re.S)
_P_BLOCKQUOTE = re.compile(r"<p><blockquote([^>]*)>", re.I)
_NEWLINE_BR = re.compile(r"(?<!<br />)\s*\n")
_BR_AFTER_BLOCK = re.compile(r"(</?" + ALL_BLOCKS + r"[^>]*>)\s*<br />", re.I)
_BR_BEFORE_BLOCK = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", re.I)

_SHORTCODE_PAIR = re.compile(r"\[(\w[\w-]*)(\s[^\]]*)?\](.*?)\[/\1\]", re.S)
_SHORTCODE_SINGLE = re.compile(r"\[(\w[\w-]*)(\s[^\]]*)?/?\]")
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_CAPTION_IMAGE = re.compile(r"^\s*((?:<a\s[^>]*>\s*)?<img\s[^>]*>(?:\s*</a>)?)(.*)$", re.S | re.I)
# Core shortcodes with no enclosed text: dropped even without attributes (an unknown `[sic]` or
# `[1]` is text and stays).
_SELF_CLOSING = {"gallery", "audio", "video", "playlist", "embed"}
_EMBED_BLOCK = re.compile(r"<!--\s*wp:(?:core-)?embed[\w/-]*\s+(\{.*?\})\s*/?-->.*?"
                          r"<!--\s*/wp:(?:core-)?embed[\w/-]*\s*-->", re.S)
_EMBED_URL = re.compile(r'"url"\s*:\s*"([^"]+)"')
_BARE_URL_LINE = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.M)
_SRC = re.compile(r"""(<img\s[^>]*?\bsrc\s*=\s*)(["'])([^"']*)\2""", re.I)


def wpautop(text: str, br: bool = True) -> str:
    """WordPress's `wpautop`: paragraphs for blank-line-separated text, `<br />` for single
    newlines, never a `<p>` around a block element. `<pre>` is left untouched."""
    if not text.strip():
        return ""
    protected: dict[str, str] = {}

    def keep(match: re.Match[str]) -> str:
        key = f"<pre wp-pre-tag-{len(protected)}></pre>"
        protected[key] = match.group(0)
        return key

    text = _PRE.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n") + "\n")
    text = _BLOCK_OPEN.sub(lambda m: "\n\n" + m.group(1), text)
    text = _BLOCK_CLOSE.sub(lambda m: m.group(1) + "\n\n", text)
    text = _HR.sub(lambda m: m.group(1) + "\n\n", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join(f"<p>{p.strip(chr(10))}</p>\n" for p in paragraphs)
    text = _EMPTY_P.sub("", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = _P_AROUND_BLOCK.sub(r"\1", text)
    text = _P_LI.sub(r"\1", text)
    text = _P_BLOCKQUOTE.sub(r"<blockquote\1><p>", text)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK.sub(r"\1", text)
    text = _P_AFTER_BLOCK.sub(r"\1", text)
    if br:
        text = _NEWLINE_BR.sub("<br />\n", text)
    text = _BR_AFTER_BLOCK.sub(r"\1", text)
    text = _BR_BEFORE_BLOCK.sub(r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for key, original in protected.items():
        text = text.replace(key, original)
    return text


def _attrs(raw: str | None) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR.finditer(raw or "")}


def _link(url: str) -> str:
    safe = html.escape(url.strip())
    return f'\n\n<p><a href="{safe}">{safe}</a></p>\n\n' if url.strip() else ""


def _figure(img: str, caption: str) -> str:
    caption = caption.strip()
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"\n\n<figure>{img}{figcaption}</figure>\n\n"


def _gallery(attrs: Mapping[str, str], attachments: Mapping[int, Attachment],
             children: Sequence[int]) -> str:
    """The gallery's images: those of `ids`, else (as WordPress does) the post's own."""
    ids = [i for raw in attrs.get("ids", "").split(",") if (i := ascii_int(raw)) is not None]
    parts = []
    for wp_id in ids or children:
        found = attachments.get(wp_id)
        if found is not None:
            img = f'<img src="{html.escape(found.url)}" alt="{html.escape(found.alt)}">'
            parts.append(_figure(img, html.escape(found.caption)))
    return "".join(parts)


def shortcodes(text: str, attachments: Mapping[int, Attachment],
               children: Sequence[int] = ()) -> str:
    """Shortcodes replaced by the HTML they stand for (see the module's docstring)."""

    def pair(match: re.Match[str]) -> str:
        name, attrs, inner = match.group(1).lower(), _attrs(match.group(2)), match.group(3)
        if name in ("caption", "wp_caption"):
            image = _CAPTION_IMAGE.match(inner)
            if image:
                return _figure(image.group(1), attrs.get("caption") or image.group(2))
            return inner
        if name == "embed":
            return _link(inner)
        if name in ("audio", "video"):
            return _link(_media_url(attrs))
        return shortcodes(inner, attachments, children)  # unknown: keep the enclosed text

    def single(match: re.Match[str]) -> str:
        name, raw = match.group(1).lower(), match.group(2)
        if name == "gallery":
            return _gallery(_attrs(raw), attachments, children)
        if name in ("audio", "video"):
            return _link(_media_url(_attrs(raw)))
        if name in _SELF_CLOSING or (raw and "=" in raw):
            return ""
        return match.group(0)

    return _SHORTCODE_SINGLE.sub(single, _SHORTCODE_PAIR.sub(pair, text))


def _media_url(attrs: Mapping[str, str]) -> str:
    for key in ("src", "mp3", "m4a", "ogg", "wav", "mp4", "m4v", "webm", "ogv", "flv"):
        if attrs.get(key):
            return attrs[key]
    return ""


def _embeds(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        try:
            url = json.loads(match.group(1)).get("url")
        except (ValueError, AttributeError):
            found = _EMBED_URL.search(match.group(1))
            url = found.group(1) if found else None
        return _link(url) if isinstance(url, str) else ""

    return _EMBED_BLOCK.sub(replace, text)


def image_sources(content: str) -> list[str]:
    """The `src` of every `<img>` in the content, as written."""
    return [html.unescape(m.group(3)).strip() for m in _SRC.finditer(content)]


def absolute_images(text: str, base_url: str) -> str:
    """Image paths on the old site (`/wp-content/uploads/...`) as absolute URLs of it."""
    if not base_url:
        return text

    def replace(match: re.Match[str]) -> str:
        src = html.unescape(match.group(3)).strip()
        if src.startswith("/") and not src.startswith("//"):
            src = urljoin(base_url.rstrip("/") + "/", src)
        return f"{match.group(1)}{match.group(2)}{html.escape(src)}{match.group(2)}"

    return _SRC.sub(replace, text)


def to_html(content: str, *, attachments: Mapping[int, Attachment], base_url: str,
            children: Sequence[int] = ()) -> str:
    """`post_content` as editor HTML, ready for `blocks_from_html`."""
    if "<!-- wp:" in content:
        text = shortcodes(_embeds(content), attachments, children)
    else:
        # WordPress's own order: oEmbed (a bare URL on its line), wpautop, then shortcodes
        # (which keep their figures out of paragraphs, as `shortcode_unautop` does).
        text = _BARE_URL_LINE.sub(lambda m: _link(m.group(1)), content)
        text = wpautop(shortcodes(text, attachments, children))
    return absolute_images(text, base_url)
