"""HTTP caching for reads: strong ETags, Last-Modified, 304s, Cache-Control, Surrogate-Key, gzip.

Every public read builds its JSON bytes once and hands them here. Compression happens here (not in
a middleware) so each representation gets its own strong ETag (`"<hash>"` or `"<hash>-gz"`), as
RFC 9110 requires of strong validators; revalidation accepts either form.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.shared_cache import gzip_acceptable

GZIP_MIN_BYTES = 860


def etag_for(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=12).hexdigest()


def public_cache_control() -> str:
    s = get_settings()
    return (f"public, max-age={s.cache_max_age}, "
            f"stale-while-revalidate={s.cache_stale_while_revalidate}")


PRIVATE_CACHE_CONTROL = "private, no-store"


@dataclass
class Representation:
    """A rendered read, ready to be answered many times (the response cache stores these)."""

    body: bytes
    media_type: str = "application/json"
    last_modified: datetime | None = None
    surrogate_keys: Iterable[str] = ()
    headers: dict[str, str] = field(default_factory=dict)
    public: bool = True
    tag: str = ""
    gzipped: bytes | None = None
    # When the clock alone changes the answer (a "today", a "last two days" window): sent as
    # `Expires`, caps `max-age`, and the response cache drops the entry then.
    expires: datetime | None = None

    def __post_init__(self) -> None:
        self.tag = etag_for(self.body)
        self.surrogate_keys = tuple(self.surrogate_keys)


def _tags(header: str) -> set[str]:
    tags = set()
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        part = part.strip('"')
        tags.add(part.removesuffix("-gz"))
    return tags


def not_modified(request: Request, rep: Representation) -> bool:
    return is_fresh(request.headers.get("if-none-match"), request.headers.get("if-modified-since"),
                    rep.tag, rep.last_modified)


def is_fresh(inm: str | None, ims: str | None, tag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 13.2.2: `If-None-Match` wins over `If-Modified-Since`; `tag` is unquoted."""
    if inm is not None:
        return inm.strip() == "*" or tag in _tags(inm)
    if ims and last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def respond(request: Request, rep: Representation, *, status: int = 200) -> Response:
    accepts_gzip = gzip_acceptable(request.headers.get("accept-encoding", ""))
    use_gzip = accepts_gzip and len(rep.body) >= GZIP_MIN_BYTES
    headers = {
        "ETag": f'"{rep.tag}-gz"' if use_gzip else f'"{rep.tag}"',
        "Cache-Control": public_cache_control() if rep.public else PRIVATE_CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        **rep.headers,
    }
    if rep.last_modified is not None:
        headers["Last-Modified"] = format_datetime(rep.last_modified.astimezone(UTC), usegmt=True)
    if rep.expires is not None and rep.public:
        headers["Expires"] = format_datetime(rep.expires.astimezone(UTC), usegmt=True)
        left = max(0, int((rep.expires - utcnow()).total_seconds()))
        if left < get_settings().cache_max_age:
            headers["Cache-Control"] = f"public, max-age={left}, must-revalidate"
    if rep.surrogate_keys and rep.public:
        headers["Surrogate-Key"] = " ".join(rep.surrogate_keys)
    if status == 200 and not_modified(request, rep):
        return Response(status_code=304, headers=headers)
    body = rep.body
    if use_gzip:
        if rep.gzipped is None:
            rep.gzipped = gzip.compress(rep.body, compresslevel=6, mtime=0)
        body = rep.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, status_code=status, media_type=rep.media_type, headers=headers)
