"""URLs and ids as feed readers and validators want them.

RSS and the W3C Feed Validator require URLs (RFC 3986, ASCII), not IRIs: a Devanagari slug is
sent percent-encoded as UTF-8 (RFC 3987 section 3.1), a non-ASCII host as IDNA. Item ids are
`tag:` URIs (RFC 4151) built from the article id, so a renamed slug is never a new item.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote, urlsplit, urlunsplit

from app.core.config import get_settings

# Reserved and unreserved characters stay as they are; `%` only where it starts an escape.
_SAFE = "!$&'()*+,/:;=?@~-._"
_URI = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _quote(part: str) -> str:
    return quote(_STRAY_PERCENT.sub("%25", part), safe=_SAFE + "%")


def ascii_url(url: str) -> str:
    """`url` as an ASCII URI: non-ASCII (and other disallowed) characters percent-encoded."""
    if _URI.fullmatch(url) and not _STRAY_PERCENT.search(url):
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, _, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        host = host.encode("idna").decode("ascii")
        netloc = (userinfo + "@" if userinfo else "") + host + colon + port
    return urlunsplit((parts.scheme, netloc, _quote(parts.path), _quote(parts.query),
                       _quote(parts.fragment)))


def item_id(article_id: str, created_at: datetime) -> str:
    """The article's permanent id in every feed (RSS guid, Atom id, JSON Feed id)."""
    host = urlsplit(get_settings().site_url).hostname or "localhost"
    return f"tag:{host},{created_at:%Y-%m-%d}:article:{article_id}"
