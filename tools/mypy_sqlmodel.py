"""mypy plugin: give every SQLModel table class the `__table__` SQLAlchemy sets on it.

SQLModel builds a `sqlalchemy.Table` for each `class X(..., table=True)` and stores it as
`X.__table__`, but declares no such attribute, so every Core statement written against
`X.__table__.c` would need a `# type: ignore[attr-defined]`. This declares it once, as
`ClassVar[sqlalchemy.Table]`, for exactly the classes that pass `table=True`.
"""

from collections.abc import Callable

from mypy.nodes import NameExpr
from mypy.plugin import ClassDefContext, Plugin
from mypy.plugins.common import add_attribute_to_class


def _declare_table(ctx: ClassDefContext) -> None:
    table = ctx.cls.keywords.get("table")
    if not (isinstance(table, NameExpr) and table.fullname == "builtins.True"):
        return
    if "__table__" in ctx.cls.info.names:
        return
    table_type = ctx.api.named_type_or_none("sqlalchemy.sql.schema.Table")
    if table_type is None:  # sqlalchemy not analysed yet: ask mypy for another pass
        if not ctx.api.final_iteration:
            ctx.api.defer()
        return
    add_attribute_to_class(ctx.api, ctx.cls, "__table__", table_type, is_classvar=True)


class SQLModelTablePlugin(Plugin):
    def get_customize_class_mro_hook(
            self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        # every class: only the hook can see the `table=True` keyword
        del fullname
        return _declare_table


def plugin(version: str) -> type[Plugin]:  # noqa: ARG001 (mypy's entry point signature)
    return SQLModelTablePlugin
