"""Write an audit record inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

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
