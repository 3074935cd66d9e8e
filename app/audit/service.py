"""Writing the audit log, in the transaction of the write it records.

One mechanism covers every editorial write: `current_user` (the dependency every Editorial API
route authenticates with) calls `attach()` for a request that may write, which notes who is
calling, the route's operation id and the entity its path names. When that request's session
commits a transaction that wrote something, a `before_commit` hook adds the audit row to that
same transaction, so a rolled-back write (a 4xx after a flush, a 412, a crash) leaves no row,
and a committed one always has its row. A request that writes nothing (a refused change, an
idempotent no-op) records nothing. Logins are recorded by the login route itself
(`record_login`), failed ones in a transaction of their own, since the login writes nothing.

The table has no update or delete path: no route, service or CLI changes a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session
from starlette.requests import Request

from app.audit.models import AuditEntry
from app.core.db import utcnow
from app.core.timestamps import utc_iso

PENDING = "audit_pending"
WROTE = "audit_wrote"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
# Changed columns worth their values in `detail`; others are named only (never passwords).
VALUE_COLUMNS = {"role", "disabled_at", "revoked_at", "status", "featured"}


@dataclass
class Pending:
    actor_id: int | None
    actor_email: str | None
    action: str
    method: str
    path: str
    ip: str | None
    target_type: str | None = None
    target_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    named_by_path: bool = False


def _target(template: str, params: dict[str, Any]) -> tuple[str | None, str | None]:
    """The entity a route's path names: its first parameter, typed by the segment before it
    (`/v1/editorial/articles/{article_id}/publish` -> article; `/sections/{slug}` -> section)."""
    segments = template.strip("/").split("/")
    for i, segment in enumerate(segments):
        if segment.startswith("{") and i > 0:
            name = segment.strip("{}").split(":")[0]
            if name in params:
                return segments[i - 1].removesuffix("s").replace("-", "_"), str(params[name])
    return None, None


def attach(session: Session, request: Request, *, actor_id: int | None,
           actor_email: str | None, ip: str | None) -> None:
    """Audit this request's writes on `session` as done by the given user."""
    if request.method in READ_METHODS:
        return
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    action = getattr(route, "operation_id", None) or getattr(route, "name", None) or "write"
    target_type, target_id = _target(template, dict(request.path_params))
    session.info[PENDING] = Pending(actor_id, actor_email, action, request.method,
                                    request.url.path[:500], ip, target_type, target_id,
                                    named_by_path=target_type is not None)


def record(session: Session, action: str, *, actor_id: int | None = None,
           actor_email: str | None = None, ip: str | None = None, method: str | None = None,
           path: str | None = None, target_type: str | None = None,
           target_id: str | None = None, detail: dict[str, Any] | None = None,
           now: datetime | None = None) -> None:
    """Add one row to the session's transaction (flushed with it, committed by the caller)."""
    session.add(AuditEntry(at=now or utcnow(), actor_id=actor_id,
                           actor_email=actor_email[:320] if actor_email else None,
                           action=action[:64], method=method, path=path, ip=ip,
                           target_type=target_type, target_id=target_id, detail=detail or None))


def record_login(session: Session, request: Request, *, email: str, user_id: int | None,
                 ip: str | None) -> None:
    """A login or a failed one, in a transaction of its own (the login itself writes
    nothing)."""
    record(session, "login" if user_id is not None else "login_failed", actor_id=user_id,
           actor_email=email.strip().lower(), ip=ip, method=request.method,
           path=request.url.path, target_type="user" if user_id is not None else None,
           target_id=str(user_id) if user_id is not None else None)
    session.commit()


# ---- the hook ---------------------------------------------------------------------------------


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    # Core-style writes through the session (`session.execute(update(...))`) are writes too.
    if PENDING in state.session.info and (state.is_update or state.is_delete
                                          or state.is_insert):
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_flush")
def _on_flush(session: Session, _context: Any) -> None:
    pending: Pending | None = session.info.get(PENDING)
    if pending is None:
        return
    if session.new or session.dirty or session.deleted:
        session.info[WROTE] = True
    for obj in session.new:
        if pending.target_type is None and not isinstance(obj, AuditEntry):
            # A create names no entity in its path: the first row it inserts is the entity.
            key = inspect(obj).mapper.primary_key_from_instance(obj)
            if key and key[0] is not None:
                pending.target_type = getattr(obj, "__tablename__", None)
                pending.target_id = str(key[0])
    for obj in session.dirty:
        if isinstance(obj, AuditEntry):
            continue
        table = getattr(obj, "__tablename__", "row")
        for attr in inspect(obj).attrs:
            history = attr.history
            if not history.has_changes():
                continue
            # Names in a list, values only for VALUE_COLUMNS: a secret column (a password or
            # key hash) is never a key or a value of the log.
            names = pending.detail.setdefault("changed", {}).setdefault(table, [])
            if attr.key not in names:
                names.append(attr.key)
            if attr.key in VALUE_COLUMNS:
                pending.detail.setdefault("values", {}).setdefault(table, {})[attr.key] = {
                    "from": _plain(history.deleted), "to": _plain(history.added)}


def _plain(values: Any) -> Any:
    value = values[0] if values else None
    return utc_iso(value) if isinstance(value, datetime) else value


@event.listens_for(Session, "before_commit")
def _on_commit(session: Session) -> None:
    pending: Pending | None = session.info.get(PENDING)
    if pending is None:
        return
    session.flush()  # what is pending first: its rows, and the changes `detail` names
    if not session.info.get(WROTE):
        return
    record(session, pending.action, actor_id=pending.actor_id, actor_email=pending.actor_email,
           ip=pending.ip, method=pending.method, path=pending.path,
           target_type=pending.target_type, target_id=pending.target_id,
           detail=pending.detail)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _on_end(session: Session, *_: Any) -> None:
    session.info.pop(WROTE, None)
    pending: Pending | None = session.info.get(PENDING)
    if pending is not None:  # the next transaction of the request starts afresh
        pending.detail = {}
        if not pending.named_by_path:
            pending.target_type = pending.target_id = None
