"""PATCH body fields that may be left out but not set to null (their column is NOT NULL)."""

from __future__ import annotations

from pydantic.json_schema import SkipJsonSchema

# `field: Annotated[str, StringConstraints(...)] | Unset = None`: None stays the Python default
# ("not sent"), the OpenAPI schema offers no null, and the service answers an explicit null with
# 422. Constraints go inside the Annotated type: on the Field they would be applied to None too.
Unset = SkipJsonSchema[None]
