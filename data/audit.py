"""Write an audit record inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from data.base import utcnow
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
    for entity, entity_id, action, change in entries:
        rows.append(
            dict(
                actor=actor,
                entity=entity,
                entity_id=str(entity_id),
                action=action,
                change=_plain(change),
                at=utcnow(),
            )
        )
        if len(rows) >= chunk:
            session.execute(insert(AuditLog), rows)
            n += len(rows)
            rows = []
    if rows:
        session.execute(insert(AuditLog), rows)
        n += len(rows)
    return n
