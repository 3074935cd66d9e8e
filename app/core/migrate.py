"""Running Alembic from code (the CLI and the tests), with the URL from settings."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from app.core.config import REPO_ROOT, get_settings

# Search structures made by hand in migrations (0001, 0015), per dialect; autogenerate ignores them.
SEARCH_OBJECTS = {"article_fts", "search_vector", "ix_article_search_vector", "article_lexemes",
                  "ix_article_lexemes"}


# Alembic calls the filter with these five arguments; only the name matters here.
def include_object(obj: object, name: str | None, type_: str, reflected: bool,  # noqa: ARG001
                   compare_to: object) -> bool:  # noqa: ARG001
    """Alembic's filter: leave the per-dialect objects out of comparisons."""
    return not (name in SEARCH_OBJECTS or (name or "").startswith("article_fts"))


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(revision: str = "head", url: str | None = None) -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(revision: str, url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)
