"""Loading an author for the Editorial API, and who may change it.

Editors and admins edit any profile; a writer edits only the profile linked to their own user,
and may not re-link it to another user.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.authors.models import Author, AuthorUpdate
from app.core.db import SessionDep
from app.core.errors import Forbidden, NotFound
from app.users.dependencies import CurrentWriter
from app.users.models import Role

AuthorId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The author's id")]


def get_author(author_id: AuthorId, session: SessionDep, _user: CurrentWriter) -> Author:
    author = session.get(Author, author_id)
    if author is None:
        raise NotFound(f"No author with id {author_id}")
    return author


AuthorDep = Annotated[Author, Depends(get_author)]


def author_changes(data: AuthorUpdate, author: AuthorDep, user: CurrentWriter) -> AuthorUpdate:
    """The PATCH body, once the caller is known to be allowed to apply it."""
    if user.role == Role.writer:
        if author.user_id != user.id:
            raise Forbidden("Writers can edit only their own author profile")
        if "user_id" in data.model_fields_set:
            raise Forbidden("Only an editor can link a profile to another user")
    return data


AuthorChanges = Annotated[AuthorUpdate, Depends(author_changes)]
