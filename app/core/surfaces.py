"""Which surface a request path belongs to: the one rule CORS, rate limits, the response cache
and the OpenAPI document share.

Prefixes that a public path also starts with end in "/": `/v1/auth/` is the Editorial API's
login, `/v1/authors` the public author pages.
"""

from __future__ import annotations

EDITORIAL = ("/v1/editorial", "/v1/auth/")  # bearer tokens; its own CORS policy
SYNDICATION = ("/v1/syndication",)  # partner keys; limited per partner, private
PREVIEW = ("/v1/preview/",)  # a draft for whoever holds the token: never stored


def is_editorial(path: str) -> bool:
    return path.startswith(EDITORIAL)


def is_public_content(path: str) -> bool:
    """The public Content API: anonymous, rate limited per client, cacheable (previews aside)."""
    return path.startswith("/v1/") and not path.startswith(EDITORIAL + SYNDICATION)


def is_cacheable(path: str) -> bool:
    """Public responses the response cache may store and answer."""
    return is_public_content(path) and not path.startswith(PREVIEW)
