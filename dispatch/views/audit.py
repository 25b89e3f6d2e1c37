"""The audit trail for admins and managers: filter by actor, entity, action and day;
export what the filter shows as CSV.

Entities are named as people call them (a ticket by its reference, a customer by
its number) where the change recorded one; the raw id stays in its own column.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.orm import Mapped, Session

from data.base import PARIS
from data.enums import Role
from data.models import AuditLog
from dispatch.access.roles import Principal, check_role

ROLES = (Role.ADMIN, Role.MANAGER)
ENTITY_LABELS = {
    "customer": "Customer",
    "repair_ticket": "Repair ticket",
    "ticket": "Repair ticket",
    "delivery_order": "Delivery order",
    "loaner": "Loaner",
    "plan": "Plan",
    "user": "User",
}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    entity: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive
    text: str | None = None  # in the reference / change


@dataclass(frozen=True, slots=True)
class AuditRow:
    at: datetime
    actor: str
    entity: str  # readable
    reference: str  # readable reference, else the id
    action: str
    change: str  # one line


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    total: int
    actors: tuple[str, ...]
    entities: tuple[str, ...]
    actions: tuple[str, ...]


def entity_label(entity: str) -> str:
    return ENTITY_LABELS.get(entity, entity.replace("_", " ").capitalize())


def _query(f: AuditFilter) -> Select[Any]:
    q = select(AuditLog)
    if f.actor:
        q = q.where(AuditLog.actor == f.actor)
    if f.entity:
        q = q.where(AuditLog.entity == f.entity)
    if f.action:
        q = q.where(AuditLog.action == f.action)
    if f.since:
        q = q.where(AuditLog.at >= datetime.combine(f.since, time(), tzinfo=PARIS))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), time(), tzinfo=PARIS)
        q = q.where(AuditLog.at < end)
    if f.text:
        like = f"%{f.text.strip()}%"
        q = q.where(
            AuditLog.entity_id.like(like) | cast(AuditLog.change, Text).like(like)
        )
    return q


def _row(a: AuditLog) -> AuditRow:
    change = dict(a.change or {})
    ref = change.pop("ref", None) or a.entity_id
    return AuditRow(
        at=a.at,
        actor=a.actor,
        entity=entity_label(a.entity),
        reference=str(ref),
        action=a.action,
        change=json.dumps(change, ensure_ascii=False, default=str)[:300]
        if change
        else "",
    )


def audit_page(
    session: Session, user: Principal, f: AuditFilter, *, limit: int = 500
) -> AuditPage:
    """The newest ``limit`` entries matching ``f``, their count, and the filter choices."""
    check_role(user, *ROLES)
    q = _query(f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    )

    def values(col: Mapped[str]) -> tuple[str, ...]:
        found: list[str] = [v for v in session.scalars(select(col).distinct()) if v]
        return tuple(sorted(found))

    return AuditPage(
        rows=tuple(_row(a) for a in rows),
        total=total,
        actors=values(AuditLog.actor),
        entities=values(AuditLog.entity),
        actions=values(AuditLog.action),
    )


def audit_csv(session: Session, user: Principal, f: AuditFilter) -> bytes:
    """Every entry matching ``f`` (not only the page shown), oldest first."""
    check_role(user, *ROLES)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["at", "actor", "entity", "reference", "entity_id", "action", "change"])
    for a in session.scalars(_query(f).order_by(AuditLog.at, AuditLog.id)).yield_per(
        2000
    ):
        r = _row(a)
        w.writerow(
            [
                a.at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),
                r.actor,
                r.entity,
                r.reference,
                a.entity_id,
                r.action,
                json.dumps(a.change or {}, ensure_ascii=False, default=str),
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
