"""`If-Match` for writes: no change without proof the writer saw the current revision."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

from app.core.errors import PreconditionFailed, PreconditionRequired
from app.core.ids import row_id


def revision_etag(entity_id: str | int, revision: int) -> str:
    return f'"{entity_id}.{revision}"'


def expected_revision(if_match: str | None, entity_id: str | int) -> int:
    """The revision an `If-Match` header names: 428 if missing, 412 if it names another
    object or cannot be read."""
    if not if_match:
        raise PreconditionRequired("Send If-Match with the ETag you last read")
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    prefix, _, revision = tag.rpartition(".")
    number = row_id(revision)
    if prefix != str(entity_id) or number is None:
        raise PreconditionFailed("If-Match does not match the current ETag of this resource")
    return number


IfMatch = Annotated[str | None, Header(alias="If-Match", description=(
    "The ETag from your last read; a stale one answers 412, a missing one 428"))]
