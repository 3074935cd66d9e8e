"""Structured JSON logs: one object per line, secrets redacted, one access line per request.

The formatter is a few lines over stdlib `logging` and orjson (already a dependency) rather than
python-json-logger: redaction has to run on the final text anyway, so a library would add little.
`khabar serve` hands `logging_config()` to uvicorn, which applies it in every worker process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi.routing import iter_route_contexts
from starlette.routing import Match
from starlette.types import Scope

access_log = logging.getLogger("khabar.access")

REDACTED = "[REDACTED]"
# Query parameters that may carry credentials; matched as substrings of the lower-cased name.
SENSITIVE_PARAMS = ("key", "token", "password", "passwd", "secret", "authorization", "signature")
# A safety net over every formatted line, whatever logger or exception text produced it.
_SECRET_PATTERNS = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\bkhb_[A-Za-z0-9_-]+"), REDACTED),
    # JSON string values under a sensitive key, spaces and all.
    (re.compile(r"(?i)(\"[a-z_-]*(?:password|passwd|secret|token|api[_-]?key|authorization)\""
                r"\s*:\s*)\"(?:[^\"\\]|\\.)*\""), r'\1"' + REDACTED + '"'),
    (re.compile(r"(?i)((?:authorization|x-api-key|api[_-]?key|password|passwd|secret|"
                r"(?:access_|refresh_)?token)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"),
     r"\1" + REDACTED),
    (re.compile(r"(?i)(://[^:/?#\s@]+:)[^@/\s]+@"), r"\1" + REDACTED + "@"),  # URL passwords
]
# LogRecord attributes that are not `extra=` fields.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName",
                                                    "color_message"}  # uvicorn's ANSI copy


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if any(s in k.lower() for s in SENSITIVE_PARAMS) else v)
                      for k, v in pairs], safe="[]")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", ...extra}`; exceptions as `exc_info` text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RESERVED)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(entry, default=str).decode())


def logging_config(level: str = "info") -> dict[str, Any]:
    """A `logging.config.dictConfig` document: everything (uvicorn included) as JSON on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            # Let uvicorn's loggers reach the root handler instead of their own plain-text ones.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


# Called once per answered request by EdgeMiddleware, e.g. to update Prometheus metrics.
RequestObserver = Callable[[str, str, int, float], None]  # (method, route, status, seconds)


UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    """The matched route's full path template (`/v1/articles/{slug}`), so labels and log fields
    stay bounded whatever paths clients send; `<unmatched>` when no route matches.

    Responses answered before routing (the response cache, a 413) have no `scope["route"]`;
    those are matched against the app's routes here (slower, so only then). Routers are included
    without a prefix, so a route's own path is its full path."""
    path_format = getattr(scope.get("route"), "path_format", None)
    if path_format:
        return str(path_format)
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", None)
    if not routes:
        return UNMATCHED
    partial = None
    for context in iter_route_contexts(routes):
        match, _ = context.matches(scope)
        if match is Match.FULL:
            return context.path_format or UNMATCHED
        if match is Match.PARTIAL and partial is None:
            partial = context.path_format  # the path exists, the method does not (405)
    return partial or UNMATCHED
