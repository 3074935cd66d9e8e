"""Localized section and tag names: `names` maps a language tag to the name in that language;
embedded in an article, a section or tag is named in the article's language when it has a name
for it (the exact tag, then its primary subtag: `ne-NP` falls back to `ne`), else by `name`.
`localized` (Python, the model presenters) and `localized_name` (SQL, the row-based public
reads) are the same rule."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import String

LanguageKey = Annotated[str, StringConstraints(max_length=35,
                                               pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
LocalName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


def localized(name: str, names: dict[str, str] | None, language: str | None) -> str:
    if not names or not language:
        return name
    return names.get(language) or names.get(language.split("-", 1)[0]) or name


class localized_name(FunctionElement[str]):
    """localized_name(names_column, language_column, name_column) in SQL."""

    type = String()
    inherit_cache = True


@compiles(localized_name, "sqlite")
def _sqlite(element: localized_name, compiler: Any, **kw: Any) -> str:
    names, language, name = (compiler.process(c, **kw) for c in element.clauses)
    primary = f"substr({language}, 1, instr({language} || '-', '-') - 1)"
    return (f"coalesce(json_extract({names}, '$.\"' || {language} || '\"'), "
            f"json_extract({names}, '$.\"' || {primary} || '\"'), {name})")


@compiles(localized_name, "postgresql")
def _postgresql(element: localized_name, compiler: Any, **kw: Any) -> str:
    names, language, name = (compiler.process(c, **kw) for c in element.clauses)
    return (f"coalesce({names} ->> {language}, {names} ->> split_part({language}, '-', 1), "
            f"{name})")
