"""Write an audit record inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from data.base import table, utcnow
from data.models import AuditLog


def record(
    session: Session,
    actor: str,
    entity: str,
    entity_id: object,
    action: str,
    **change: Any,
) -> AuditLog:
    row = AuditLog(
        actor=actor,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        change=_plain(change),
    )
    session.add(row)
    return row


def _plain(value: Any) -> Any:
    """JSON-safe copy: dates and enums become strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record_many(
    session: Session,
    actor: str,
    entries: Iterable[tuple[str, object, str, dict[str, Any]]],
    chunk: int = 5000,
) -> int:
    """Bulk ``record``: (entity, entity_id, action, change) each; same rows, one INSERT
    per ``chunk`` (imports of 300,000 rows audit every one)."""
    rows: list[dict[str, Any]] = []
    n = 0
    now = utcnow()
    for entity, entity_id, action, change in entries:
        rows.append(
            dict(
                actor=actor,
                entity=entity,
                entity_id=str(entity_id),
                action=action,
                change=change if _flat(change) else _plain(change),
                at=now,
            )
        )
        if len(rows) >= chunk:
            session.execute(insert(table(AuditLog)), rows)
            n += len(rows)
            rows = []
    if rows:
        session.execute(insert(table(AuditLog)), rows)
        n += len(rows)
    return n


_SCALARS = (str, int, float, bool, type(None))


def _flat(change: dict[str, Any]) -> bool:
    """Already JSON-safe: string keys, scalar values or lists of strings."""
    for k, v in change.items():
        if type(k) is not str:
            return False
        if type(v) in _SCALARS:
            continue
        if type(v) is list and all(type(x) is str for x in v):
            continue
        return False
    return True
