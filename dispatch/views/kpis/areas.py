"""Service level per area (département or H3 cell), and open tickets past their SLA."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import h3
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data.gazetteer import gazetteer
from data.models import Customer, RepairTicket, Visit
from dispatch.access.roles import Principal, check_role
from dispatch.views.kpis.common import (
    _OPEN_EXCLUDED,
    DEFAULT_HEX_RESOLUTION,
    KPI_ROLES,
    AreaLevel,
    Period,
    _count_if,
    _departement_names,
    _minutes,
    _outcome,
    _region_filter,
    _utc,
    departement_of_postcode,
)


@dataclass(frozen=True, slots=True)
class AreaService:
    """Service level in one area (a département or an H3 cell) over a period."""

    code: str  # département code ("69", "2A") or H3 cell id
    name: str
    visits: int
    on_time: int
    late: int
    avg_delay_min: float | None  # mean lateness of the late visits
    sla_breaches: int  # closed late in the period + open past due now
    open_tickets: int
    open_overdue: int

    @property
    def on_time_rate(self) -> float | None:
        known = self.on_time + self.late
        return self.on_time / known if known else None


@dataclass(frozen=True, slots=True)
class OverdueTicket:
    """An open ticket past its SLA due time (for markers on the manager's map)."""

    ref: str
    customer: str  # as typed: escape before display
    town: str
    fault: str
    status: str
    sla_due_at: datetime
    overdue_h: float
    lat: float
    lon: float


# --- per area ------------------------------------------------------------------------


def area_service(
    session: Session,
    period: Period,
    *,
    now: datetime,
    region: str | None = None,
    level: AreaLevel = "departement",
    hex_resolution: int = DEFAULT_HEX_RESOLUTION,
    actor: Principal,
) -> tuple[AreaService, ...]:
    """Service level per département (or H3 cell) over ``period``, busiest first
    (managers, dispatchers).

    Grouped in SQL by the customer's postcode (départements) or position (cells),
    then folded into areas. Areas with neither visits nor open tickets are left out.
    """
    check_role(actor, *KPI_ROLES)
    if level == "departement":
        keys: tuple[Any, ...] = (Customer.postcode,)

        def area_of(row: Any) -> str:
            return departement_of_postcode(row[0])

        names = _departement_names()

        def name_of(code: str) -> str:
            return names.get(code, code)
    else:
        keys = (Customer.lat, Customer.lon)

        def area_of(row: Any) -> str:
            return str(h3.latlng_to_cell(float(row[0]), float(row[1]), hex_resolution))

        def name_of(code: str) -> str:
            return "Area around " + _nearest_town(code)

    nk = len(keys)
    acc: dict[str, list[float]] = defaultdict(lambda: [0.0] * 8)
    start, end = period.start, period.end
    where = [
        Visit.visit_on >= start,
        Visit.visit_on < end,
        _outcome(),
        *_region_filter(region),
    ]
    late = _minutes(session, Visit.arrived_at, Visit.planned_start)
    q = (
        select(
            *keys,
            func.count(Visit.id),
            _count_if(Visit.on_time.is_(True)),
            _count_if(Visit.on_time.is_(False)),
            func.coalesce(
                func.sum(case((Visit.on_time.is_(False), late), else_=0.0)), 0.0
            ),
            _count_if(
                and_(
                    Visit.on_time.is_(False),
                    Visit.arrived_at.is_not(None),
                    Visit.planned_start.is_not(None),
                )
            ),
        )
        .join(RepairTicket, RepairTicket.id == Visit.ticket_id)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(*where)
        .group_by(*keys)
    )
    for row in session.execute(q):
        a = acc[area_of(row)]
        for i in range(5):
            a[i] += float(row[nk + i] or 0)

    closed_late = (
        select(*keys, func.count(RepairTicket.id))
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            RepairTicket.closed_at >= _utc(start),
            RepairTicket.closed_at < _utc(end),
            RepairTicket.closed_at > RepairTicket.sla_due_at,
            *_region_filter(region),
        )
        .group_by(*keys)
    )
    for row in session.execute(closed_late):
        acc[area_of(row)][5] += float(row[nk])

    open_q = (
        select(
            *keys, func.count(RepairTicket.id), _count_if(RepairTicket.sla_due_at < now)
        )
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(RepairTicket.status.not_in(_OPEN_EXCLUDED), *_region_filter(region))
        .group_by(*keys)
    )
    for row in session.execute(open_q):
        a = acc[area_of(row)]
        a[6] += float(row[nk])
        a[7] += float(row[nk + 1] or 0)

    areas = [
        AreaService(
            code=code,
            name=name_of(code),
            visits=int(a[0]),
            on_time=int(a[1]),
            late=int(a[2]),
            avg_delay_min=(a[3] / a[4]) if a[4] else None,
            sla_breaches=int(a[5] + a[7]),
            open_tickets=int(a[6]),
            open_overdue=int(a[7]),
        )
        for code, a in acc.items()
    ]
    areas.sort(key=lambda x: (-x.visits, -x.open_tickets, x.code))
    return tuple(areas)


def _nearest_town(cell: str) -> str:
    lat, lon = h3.cell_to_latlng(cell)
    return gazetteer().nearest(lat, lon).name


def overdue_tickets(
    session: Session,
    *,
    now: datetime,
    region: str | None = None,
    limit: int = 300,
    actor: Principal,
) -> tuple[OverdueTicket, ...]:
    """Open tickets past their SLA due time, most overdue first (managers, dispatchers)."""
    check_role(actor, *KPI_ROLES)
    q = (
        select(
            RepairTicket.ref,
            Customer.name,
            Customer.town,
            RepairTicket.fault,
            RepairTicket.status,
            RepairTicket.sla_due_at,
            Customer.lat,
            Customer.lon,
        )
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            RepairTicket.status.not_in(_OPEN_EXCLUDED),
            RepairTicket.sla_due_at < now,
            *_region_filter(region),
        )
        .order_by(RepairTicket.sla_due_at, RepairTicket.ref)
        .limit(limit)
    )
    out: list[OverdueTicket] = []
    for ref, customer, town, fault, status, due, lat, lon in session.execute(q):
        if (
            due is None
        ):  # never: the query keeps ``sla_due_at < now`` (narrows the type)
            continue
        out.append(
            OverdueTicket(
                ref=ref,
                customer=customer,
                town=town,
                fault=fault,
                status=status,
                sla_due_at=due,
                overdue_h=round((now - due).total_seconds() / 3600, 1),
                lat=float(lat),
                lon=float(lon),
            )
        )
    return tuple(out)
