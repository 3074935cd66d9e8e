"""What a shared cache (a CDN, Varnish) in front of the API needs to store answers safely.

A response it may store is replayed to every client, so it must be the same for every client:
`Vary` names each thing the answer depends on, once; CORS headers do not depend on whether the
request had an `Origin` (or `Vary: Origin` says they do); and no per-client header, such as a
rate-limit counter, is in it. `Accept-Encoding` is read with its q-values: `gzip;q=0` refuses
gzip, and the app answers identity.
"""

from __future__ import annotations

from collections.abc import Iterable

Headers = list[tuple[bytes, bytes]]
PER_CLIENT = (b"ratelimit-limit", b"ratelimit-remaining", b"ratelimit-reset")


def gzip_acceptable(value: str) -> bool:
    """Whether an `Accept-Encoding` value admits gzip (RFC 9110 12.5.3: q=0 means "not")."""
    if ";" not in value and "*" not in value:
        return "gzip" in value
    listed: dict[str, float] = {}
    for item in value.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        q = 1.0
        for param in params:
            key, _, number = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(number)
                except ValueError:
                    q = 0.0
        if name:
            listed[name.lower()] = q
    if "gzip" in listed:
        return listed["gzip"] > 0
    return listed.get("*", 0.0) > 0


def normalize_accept_encoding(raw_headers: Iterable[tuple[bytes, bytes]]) -> Headers | None:
    """The request headers with `Accept-Encoding` reduced to what the app compares (`gzip` or
    `identity`), when it has q-values or `*`; None when nothing needs rewriting. Everything
    inside (respond(), the response cache's key, GZipMiddleware) then agrees with it."""
    headers = list(raw_headers)
    for i, (key, value) in enumerate(headers):
        if key == b"accept-encoding" and (b";" in value or b"*" in value):
            accepted = gzip_acceptable(value.decode("latin-1"))
            headers[i] = (key, b"gzip" if accepted else b"identity")
            return headers
    return None


def merge_vary(headers: Headers) -> Headers:
    """One `Vary` header naming each field once (layers that each add theirs repeat them)."""
    names: list[str] = []
    seen: set[str] = set()
    others: Headers = []
    for key, value in headers:
        if key.lower() != b"vary":
            others.append((key, value))
            continue
        for name in value.decode("latin-1").split(","):
            name = name.strip()
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    if names:
        others.append((b"vary", ", ".join(names).encode("latin-1")))
    return others


def shared_cacheable(status: int, headers: Headers) -> bool:
    """Whether a shared cache may store this answer (`Cache-Control: public`, as `respond()`
    marks public reads). 429s and partner answers are not."""
    if status >= 400:
        return False
    return any(key == b"cache-control" and b"public" in value for key, value in headers)
