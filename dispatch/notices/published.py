"""The stops of a day's published plans, where the notices read the times promised."""

from __future__ import annotations

from datetime import date
from typing import TypeVarTuple

from sqlalchemy import Select

from data.enums import PlanKind, PlanStatus
from data.models import Plan, PlanRoute, PlanStop

Ts = TypeVarTuple("Ts")


def published_stops(stmt: Select[*Ts], kind: PlanKind, day: date) -> Select[*Ts]:
    """``stmt`` (which selects from or joins ``PlanStop``) kept to the stops of the
    published ``kind`` plans of ``day``; their routes are joined as ``PlanRoute``."""
    return (
        stmt.join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .where(
            Plan.kind == kind.value,
            Plan.status == PlanStatus.PUBLISHED.value,
            Plan.plan_date == day,
        )
    )
