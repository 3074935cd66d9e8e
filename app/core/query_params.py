"""One value per query parameter, unless the operation documents it as repeatable.

Starlette keeps every value of a repeated parameter and FastAPI validates only the last one of a
single-valued parameter, so `?limit=abc&limit=5` was answered as if `limit=5`, and
`?include_deleted=maybe&include_deleted=false` as if `false`: a client bug hidden behind a 200.
Repeating a parameter that takes one value is a 422 instead; array-typed parameters (`tag`)
take each value as before.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, Union, get_args, get_origin
from urllib.parse import unquote_plus

from fastapi import Request
from fastapi.exceptions import RequestValidationError

SEQUENCES = (list, tuple, set, frozenset)


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation) if arg is not type(None))
    return annotation in SEQUENCES or get_origin(annotation) in SEQUENCES


def _sequence_params(dependant: Any) -> list[str]:
    """The array-typed query parameters of an operation: its own and its dependencies'."""
    names = [p.alias for p in dependant.query_params if _is_sequence(p.field_info.annotation)]
    for sub in dependant.dependencies:
        names += _sequence_params(sub)
    return names


def _repeatable(route: Any) -> frozenset[str]:
    """The query parameters of `route` that take several values (computed once per route)."""
    names: frozenset[str] | None = getattr(route, "_khabar_repeatable_query", None)
    if names is None:
        names = frozenset(_sequence_params(route.dependant))
        route._khabar_repeatable_query = names
    return names


def _keys(query: bytes) -> list[str]:
    keys = []
    for part in query.split(b"&"):
        key = part.split(b"=", 1)[0].decode("latin-1")
        keys.append(unquote_plus(key) if "%" in key or "+" in key else key)
    return keys


async def single_valued_query(request: Request) -> None:
    """An app-wide dependency: 422 for a single-valued query parameter given more than once."""
    query: bytes = request.scope.get("query_string", b"")
    if b"&" not in query:  # one parameter or none: the common case costs one test
        return
    keys = _keys(query)
    if len(set(keys)) == len(keys):
        return
    repeatable = _repeatable(request.scope["route"])
    repeated = sorted({k for k in keys if keys.count(k) > 1} - repeatable)
    if repeated:
        raise RequestValidationError([
            {"type": "repeated", "loc": ("query", name),
             "msg": "given more than once; this parameter takes one value", "input": None}
            for name in repeated])
