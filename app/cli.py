"""`khabar`: the one command line for operators."""

from __future__ import annotations

import json
import logging.config
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeRemainingColumn,
)
from sqlmodel import Session
from typer.core import TyperGroup

from app.core.config import REPO_ROOT, get_settings
from app.core.db import utcnow

cli = typer.Typer(help="Khabar: a content API for newsrooms.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_cli = typer.Typer(help="Database: migrations, backups.", no_args_is_help=True)
demo_cli = typer.Typer(help="Demo content.", no_args_is_help=True)
user_cli = typer.Typer(help="Newsroom users.", no_args_is_help=True)
partner_cli = typer.Typer(help="Syndication partners.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI document.", no_args_is_help=True)
media_cli = typer.Typer(help="Images: signed rendition URLs.", no_args_is_help=True)


class _PagesByDefault(TyperGroup):
    """`khabar import FILE...` stays the raw-page import (`khabar import pages`); the other
    sources are subcommands (`khabar import wordpress FILE.xml`)."""

    # typer hands its groups its own Context (a subclass of its vendored click's)
    def parse_args(self, ctx: typer.Context,  # type: ignore[override]
                   args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["pages", *args]
        return super().parse_args(ctx, args)


import_cli = typer.Typer(cls=_PagesByDefault, no_args_is_help=True, help=(
    "Import content: raw pages (`khabar import FILE...`) or a WordPress export."))
for sub, name in ((db_cli, "db"), (demo_cli, "demo"), (user_cli, "user"), (partner_cli, "partner"),
                  (openapi_cli, "openapi"), (import_cli, "import"), (media_cli, "media")):
    cli.add_typer(sub, name=name)


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(1)


def _session() -> Session:
    from app.core.db import get_write_engine

    return Session(get_write_engine(), expire_on_commit=False)


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
          reload: bool = False) -> None:
    """Run the API with uvicorn (JSON logs on stderr; the app writes its own access lines)."""
    import uvicorn

    from app.core.http_protocol import HeaderTimeoutProtocol
    from app.core.logging import logging_config

    settings = get_settings()
    if "public_base_url" not in settings.model_fields_set:
        # The OpenAPI `servers` entry ("Try it out" in /docs) and sitemap URLs name the port
        # actually served; workers inherit the environment.
        shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host, host)
        os.environ["KHABAR_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    level = settings.log_level
    uvicorn.run("app.asgi:app", host=host, port=port, workers=workers, reload=reload,
                proxy_headers=False, server_header=False, date_header=True,
                log_level=level, log_config=logging_config(level), access_log=False,
                # A worker busy importing the app cannot answer the supervisor's ping; on a
                # throttled container CPU the 5 s default kills every worker as it starts.
                timeout_worker_healthcheck=30,
                # Connections that never finish their request headers are closed.
                http=HeaderTimeoutProtocol)


@cli.command()
def worker() -> None:
    """Send webhooks only, without serving HTTP: an extra sender beside `khabar serve` (which
    sends by itself); stops on SIGTERM or Ctrl-C."""
    import signal
    import threading

    from app.core.logging import logging_config
    from app.webhooks.sender import Sender

    logging.config.dictConfig(logging_config(get_settings().log_level))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    sender = Sender()
    sender.start()
    typer.echo("sending webhooks; Ctrl-C to stop", err=True)
    stop.wait()
    sender.stop()


@db_cli.command()
def upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from app.core.migrate import upgrade as run

    Path(REPO_ROOT / "var").mkdir(exist_ok=True)
    run(revision)
    typer.echo(f"database at {revision}")


@db_cli.command()
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (`base` for an empty database)."""
    from app.core.migrate import downgrade as run

    run(revision)
    typer.echo(f"database at {revision}")


@db_cli.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(dir_okay=False, help="Backup file to write")]
              ) -> None:
    """Back up the live database to PATH: SQLite's online backup (then PRAGMA integrity_check),
    or `pg_dump -Fc` for PostgreSQL. The app may keep serving and writing meanwhile."""
    from app.ops import backup as ops_backup

    try:
        with _operation_progress("backing up") as report:
            ops_backup.backup(get_settings().database_url, path, report)
    except ops_backup.BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"backup written to {path} ({path.stat().st_size:,} bytes)")


@db_cli.command("restore")
def db_restore(path: Annotated[Path, typer.Argument(dir_okay=False, help="Backup file to read")],
               yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False
               ) -> None:
    """Replace the database's contents with the backup in PATH (stop the app first)."""
    from app.ops import backup as ops_backup

    if not yes:
        typer.confirm("Replace every row of the configured database with this backup?",
                      abort=True)
    try:
        with _operation_progress("restoring") as report:
            ops_backup.restore(get_settings().database_url, path, report)
    except ops_backup.BackupError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"database restored from {path}")


@contextmanager
def _operation_progress(verb: str) -> Iterator[Callable[[int, int | None, str], None]]:
    """A rich progress bar on stderr: pages for SQLite, a pulse naming each object for pg."""
    console = Console(stderr=True)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  TaskProgressColumn(), TimeRemainingColumn(), console=console,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task(verb, total=None)

        def report(done: int, total: int | None, note: str) -> None:
            progress.update(task, completed=done, total=total, description=f"{verb}: {note[:50]}")

        yield report


@demo_cli.command("load")
def demo_load(articles: Annotated[int, typer.Option(min=0, max=5_000_000)] = 200) -> None:
    """Load the seed page and ARTICLES generated articles (running it twice adds nothing)."""
    from app.demo.generate import load_demo

    with _session() as session, Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), transient=not os.isatty(2),
    ) as progress:
        task = progress.add_task("articles", total=articles)
        started = time.perf_counter()
        added = load_demo(session, articles=articles, now=utcnow(),
                          progress=lambda n: progress.advance(task, n))
        seconds = time.perf_counter() - started
    # The rate excludes start-up (imports, migrations check): `make bench` records it.
    typer.echo(f"added {added['seed']} seed article, {added['articles']} generated articles, "
               f"{added['briefs']} briefs in {seconds:.1f} s "
               f"({added['articles'] / seconds if seconds else 0:,.0f} articles/s)")


@import_cli.command("pages")
def import_file(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False,
                                                            readable=True)],
                publish: bool = False,
                section: Annotated[str | None, typer.Option(help="Section slug")] = None) -> None:
    """Import raw pages like the seed document (each file in its own transaction)."""
    from pydantic import ValidationError

    from app.articles.errors import InvalidArticle
    from app.importer.service import PageParseError, import_page

    # One line per file goes to stdout (a record a script can keep); the bar goes to stderr, and
    # only on a terminal and for more than one file.
    console = Console(stderr=True)
    with _session() as session, Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console, redirect_stdout=False, redirect_stderr=False,
        disable=len(files) < 2 or not console.is_terminal,
    ) as progress:
        task = progress.add_task("files", total=len(files))
        for path in files:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise fail(f"{path}: not UTF-8 text") from None
            try:
                result = import_page(session, text, now=utcnow(), publish=publish, section=section)
            except PageParseError as exc:
                raise fail(f"{path}: {exc}") from None
            except InvalidArticle as exc:
                raise fail(f"{path}: {exc.detail}") from None
            except ValidationError as exc:  # e.g. a title line longer than a title may be
                error = exc.errors()[0]
                where = ".".join(str(part) for part in error["loc"])
                raise fail(f"{path}: the page does not make a valid article: {where}: "
                           f"{error['msg']}") from None
            line = (f"{path}: {result.article.status} article {result.article.slug} "
                    f"(id {result.article.id}), {len(result.briefs)} briefs")
            if progress.live.is_started and os.isatty(1):  # same screen: above the bar
                progress.console.print(escape(line), highlight=False, soft_wrap=True)
            else:
                typer.echo(line)
            progress.advance(task)


@import_cli.command("wordpress")
def import_wordpress(
        file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                             help="A WordPress export (WXR 1.1 or 1.2)")],
        media_dir: Annotated[Path | None, typer.Option(
            exists=True, file_okay=False, help="A copy of the site's wp-content/uploads")] = None,
        section_map: Annotated[list[str] | None, typer.Option(
            help="CATEGORY=SECTION_SLUG: file posts of that category (nicename or name) under "
                 "an existing section; repeatable")] = None,
        publish_drafts: Annotated[bool, typer.Option(
            help="Publish draft and pending posts (password-protected ones stay drafts)")
        ] = False,
        jobs: Annotated[int, typer.Option(
            min=0, max=64, help="Processes converting posts (0, the default: CPUs, at most 4; "
                                "exports under 2,000 posts use one)")] = 0) -> None:
    """Import a WordPress export: posts with their dates, slugs, authors, categories, tags,
    images and old permalinks. Running it again changes only what changed in the export."""
    from app.core.db import get_write_engine
    from app.importer.wordpress import ImportRefused, NotWxr, Options
    from app.importer.wordpress import import_wordpress as run

    mapping: dict[str, str] = {}
    for entry in section_map or []:
        category, sep, slug = entry.partition("=")
        if not sep or not category.strip() or not slug.strip():
            raise fail(f"--section-map takes CATEGORY=SECTION_SLUG, not {entry!r}")
        mapping[category.strip()] = slug.strip()
    options = Options(media_dir=media_dir, section_map=mapping, publish_drafts=publish_drafts,
                      jobs=jobs or min(4, os.cpu_count() or 1))
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(), TaskProgressColumn(),
                  TimeRemainingColumn(), console=console, redirect_stdout=False,
                  redirect_stderr=False, disable=not console.is_terminal) as progress:
        task = progress.add_task("checking", total=file.stat().st_size)

        def advance(phase: str, done: int, size: int) -> None:
            progress.update(task, description=phase, completed=done, total=size)

        def report(message: str) -> None:
            progress.console.print(escape(f"warning: {message}"), highlight=False,
                                   soft_wrap=True)

        try:
            counts = run(get_write_engine(), file, options, now=utcnow(), progress=advance,
                         report=report)
        except (NotWxr, ImportRefused) as exc:
            progress.stop()
            raise fail(f"{file}: {exc}") from None
    seconds = time.perf_counter() - started
    typer.echo(f"{file}: {counts.line()} in {seconds:.1f} s")
    if counts.failed:
        raise typer.Exit(2)


@user_cli.command("create")
def user_create(email: str, role: Annotated[str, typer.Option(help="admin, editor or writer")],
                name: str | None = None) -> None:
    """Create a user; the password comes from KHABAR_PASSWORD or a prompt."""
    from app.users import service as users_service
    from app.users.models import Role, UserCreate

    if role not in Role.__members__:
        raise fail("role must be admin, editor or writer")
    password = os.environ.get("KHABAR_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate(email=email, password=password, role=Role(role), name=name)
    except ValueError as exc:
        raise fail(str(exc).splitlines()[-1] if str(exc) else "invalid input") from None
    with _session() as session:
        try:
            user = users_service.create_user(session, data, now=utcnow())
        except Exception as exc:
            from app.core.errors import AppError

            if isinstance(exc, AppError):
                raise fail(exc.detail or exc.title) from None
            raise
    typer.echo(f"created {user.role} {user.email} (id {user.id})")


@partner_cli.command("create")
def partner_create(
        name: str,
        section: Annotated[list[str] | None, typer.Option(help="Allowed section slug")] = None,
        rate_limit: Annotated[str | None, typer.Option(help="e.g. 600/minute")] = None) -> None:
    """Create a partner and print its API key (shown once)."""
    from pydantic import ValidationError

    from app.core.errors import AppError
    from app.partners import service as partners_service
    from app.partners.models import PartnerCreate

    try:
        data = PartnerCreate(name=name, sections=section or [], rate_limit=rate_limit)
    except ValidationError as exc:
        # What is wrong, per option ("--rate-limit: ..."), never pydantic's documentation URL.
        options = {"rate_limit": "--rate-limit", "sections": "--section", "name": "NAME"}
        hints = {"rate_limit": "a count per second, minute, hour or day, e.g. 600/minute"}

        def problem(e: Any) -> str:
            field = str(e["loc"][0]) if e["loc"] else "input"
            what = (f"{e['input']!r} is not {hints[field]}"
                    if field in hints and e["type"] == "string_pattern_mismatch"
                    else e["msg"].removeprefix("Value error, "))
            return f"{options.get(field, field)}: {what}"

        raise fail("; ".join(problem(e) for e in exc.errors())) from None
    with _session() as session:
        try:
            partner, key = partners_service.create_partner(session, data, now=utcnow())
        except AppError as exc:
            raise fail(exc.detail or exc.title) from None
    typer.echo(f"partner {partner.name} (id {partner.id}) key, shown once:")
    typer.echo(key)


@openapi_cli.command("export")
def openapi_export(path: Path = REPO_ROOT / "openapi" / "openapi.json") -> None:
    """Write the OpenAPI document (default openapi/openapi.json)."""
    from app.main import create_app

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    typer.echo(f"wrote {path}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()


@media_cli.command("sign")
def media_sign(path: Annotated[str, typer.Argument(
        help="A rendition path outside the ladder, e.g. /media/<id>/750x500.webp")]) -> None:
    """Print the path with its `sig` (keyed by KHABAR_SECRET_KEY)."""
    from app.media.signing import sign

    if not path.startswith("/media/") or "?" in path:
        raise fail("give the path alone, starting with /media/")
    typer.echo(f"{path}?sig={sign(path)}")
