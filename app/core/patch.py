"""PATCH helpers: fields that may be left out but not set to null (their column is NOT NULL),
and JSON Merge Patch (RFC 7396) for nested objects."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import SkipJsonSchema

from app.core.errors import Unprocessable

# `field: Annotated[str, StringConstraints(...)] | Unset = None`: None stays the Python default
# ("not sent"), the OpenAPI schema offers no null, and the service answers an explicit null with
# 422. Constraints go inside the Annotated type: on the Field they would be applied to None too.
Unset = SkipJsonSchema[None]


def refuse_nulls(data: BaseModel, *names: str) -> None:
    """The one answer to an explicit null for a field that may be left out but not removed."""
    nulls = [n for n in names if n in data.model_fields_set and getattr(data, n) is None]
    if nulls:
        raise Unprocessable(f"{', '.join(nulls)} cannot be null",
                            errors=[{"loc": ["body", n], "msg": "required"} for n in nulls])


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: `patch` applied to `target`, neither changed in place.

    An object merges key by key (a key given as null is removed, a key left out is kept); any
    other value, arrays included, replaces the target. Every PATCH body that carries a nested
    object goes through here, so `{"rights": {"usage_terms": "..."}}` changes the terms alone
    and never resets the holder or the syndication flag beside them."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def given_fields(model: BaseModel | None) -> dict[str, Any] | None:
    """A PATCH body's nested object as the client sent it: the fields it gave (explicit nulls
    included, which `merge_patch` reads as "remove"), recursively; None for a null object."""
    if model is None:
        return None
    return model.model_dump(mode="json", exclude_unset=True)


def merged_object(current: dict[str, Any] | None, patch: BaseModel | None, model: type[BaseModel],
                  *, loc: str) -> dict[str, Any] | None:
    """A stored nested object after a PATCH: merged by `merge_patch`, then validated whole by
    `model` (a partial patch may leave a required field missing: 422 naming it). A null patch,
    or one that removes every field, removes the object."""
    if patch is None:
        return None
    merged = merge_patch(current or {}, given_fields(patch))
    if not merged:
        return None
    try:
        return model.model_validate(merged).model_dump(mode="json")
    except ValidationError as exc:
        raise Unprocessable(f"{loc} is incomplete or invalid after the merge", errors=[
            {"loc": ["body", loc, *[str(p) for p in e["loc"]]], "msg": e["msg"]}
            for e in exc.errors()]) from None
