"""Headline figures over a period and week by week: grouped-by-day queries folded in Python."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Customer, DeliveryOrder, Loan, RepairTicket, Visit
from dispatch.access.roles import Principal, check_role
from dispatch.views.kpis.common import (
    _OPEN_EXCLUDED,
    DONE_DELIVERY,
    FAILED_DELIVERY,
    KPI_ROLES,
    PARIS,
    Period,
    _as_date,
    _count_if,
    _day_of,
    _outcome,
    _rate,
    _region_filter,
    _utc,
    _week_start,
)


@dataclass(frozen=True, slots=True)
class NationalKpis:
    """Headline figures over a period (for the whole country or one region)."""

    period: Period
    visits: int
    on_time_rate: float | None
    first_time_fix_rate: float | None
    loans_out: int
    loans_overdue: int
    km_per_visit: float | None
    jobs_per_tech_day: float | None
    sla_breaches: int
    open_tickets: int
    deliveries_done_rate: float | None


@dataclass(frozen=True, slots=True)
class WeekTrend:
    """One week (Monday to Sunday) of history."""

    week_start: date
    visits: int
    on_time_rate: float | None
    first_time_fix_rate: float | None
    km_per_visit: float | None
    jobs_per_tech_day: float | None
    sla_breaches: int  # tickets closed late that week
    loans_lent: int
    deliveries_done_rate: float | None


# --- national and weekly -------------------------------------------------------------


def _visit_days(
    session: Session, period: Period, region: str | None
) -> dict[date, tuple[int, int, int, float, int, int]]:
    """Per day: visits, on time, late, km, visits with km, technicians at work."""
    q = (
        select(
            Visit.visit_on,
            func.count(Visit.id),
            _count_if(Visit.on_time.is_(True)),
            _count_if(Visit.on_time.is_(False)),
            func.coalesce(func.sum(Visit.km), 0.0),
            func.count(Visit.km),
            func.count(func.distinct(Visit.technician_id)),
        )
        .join(RepairTicket, RepairTicket.id == Visit.ticket_id)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            Visit.visit_on >= period.start,
            Visit.visit_on < period.end,
            _outcome(),
            *_region_filter(region),
        )
        .group_by(Visit.visit_on)
    )
    return {
        _as_date(r[0]): (
            int(r[1]),
            int(r[2] or 0),
            int(r[3] or 0),
            float(r[4] or 0),
            int(r[5]),
            int(r[6]),
        )
        for r in session.execute(q)
    }


def _first_fix_days(
    session: Session, period: Period, region: str | None
) -> dict[date, tuple[int, int]]:
    """Per first-visit day: tickets fixed first time, tickets with a known outcome."""
    first = (
        select(
            Visit.ticket_id.label("ticket_id"),
            func.min(Visit.visit_on).label("first_on"),
        )
        .where(_outcome())
        .group_by(Visit.ticket_id)
        .subquery()
    )
    q = (
        select(
            first.c.first_on,
            _count_if(RepairTicket.first_time_fix.is_(True)),
            func.count(RepairTicket.first_time_fix),
        )
        .join(RepairTicket, RepairTicket.id == first.c.ticket_id)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            first.c.first_on >= period.start,
            first.c.first_on < period.end,
            *_region_filter(region),
        )
        .group_by(first.c.first_on)
    )
    return {_as_date(r[0]): (int(r[1] or 0), int(r[2])) for r in session.execute(q)}


def _closed_late_days(
    session: Session, period: Period, region: str | None
) -> dict[date, int]:
    day = _day_of(session, RepairTicket.closed_at)
    q = (
        select(day, func.count(RepairTicket.id))
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            RepairTicket.closed_at >= _utc(period.start),
            RepairTicket.closed_at < _utc(period.end),
            RepairTicket.closed_at > RepairTicket.sla_due_at,
            *_region_filter(region),
        )
        .group_by(day)
    )
    return {_as_date(r[0]): int(r[1]) for r in session.execute(q)}


def _loans_lent_days(
    session: Session, period: Period, region: str | None
) -> dict[date, int]:
    day = _day_of(session, Loan.lent_at)
    q = (
        select(day, func.count(Loan.id))
        .join(Customer, Customer.id == Loan.customer_id)
        .where(
            Loan.lent_at >= _utc(period.start),
            Loan.lent_at < _utc(period.end),
            *_region_filter(region),
        )
        .group_by(day)
    )
    return {_as_date(r[0]): int(r[1]) for r in session.execute(q)}


def _delivery_days(
    session: Session, period: Period, region: str | None
) -> dict[date, tuple[int, int]]:
    """Per promised day: orders done, orders that reached any final status."""
    q = (
        select(
            DeliveryOrder.promised_on,
            _count_if(DeliveryOrder.status.in_(DONE_DELIVERY)),
            _count_if(DeliveryOrder.status.in_(DONE_DELIVERY + FAILED_DELIVERY)),
        )
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .where(
            DeliveryOrder.promised_on >= period.start,
            DeliveryOrder.promised_on < period.end,
            *_region_filter(region),
        )
        .group_by(DeliveryOrder.promised_on)
    )
    return {
        _as_date(r[0]): (int(r[1] or 0), int(r[2] or 0)) for r in session.execute(q)
    }


def _open_now(session: Session, now: datetime, region: str | None) -> tuple[int, int]:
    q = (
        select(func.count(RepairTicket.id), _count_if(RepairTicket.sla_due_at < now))
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(RepairTicket.status.not_in(_OPEN_EXCLUDED), *_region_filter(region))
    )
    row = session.execute(q).one()
    return int(row[0]), int(row[1] or 0)


def _loans_now(session: Session, as_of: date, region: str | None) -> tuple[int, int]:
    q = (
        select(func.count(Loan.id), _count_if(Loan.due_on < as_of))
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.returned_at.is_(None), *_region_filter(region))
    )
    row = session.execute(q).one()
    return int(row[0]), int(row[1] or 0)


@dataclass(frozen=True, slots=True)
class _Days:
    """Per-day aggregates over a span of days, sliced by period in Python."""

    visits: dict[date, tuple[int, int, int, float, int, int]]
    first_fix: dict[date, tuple[int, int]]
    closed_late: dict[date, int]
    loans_lent: dict[date, int]
    deliveries: dict[date, tuple[int, int]]

    def within(self, p: Period) -> _Days:
        def cut(d: dict[date, Any]) -> dict[date, Any]:
            return {k: v for k, v in d.items() if p.start <= k < p.end}

        return _Days(
            cut(self.visits),
            cut(self.first_fix),
            cut(self.closed_late),
            cut(self.loans_lent),
            cut(self.deliveries),
        )


def _days(session: Session, span: Period, region: str | None) -> _Days:
    """Five grouped-by-day queries cover the KPIs of any period inside ``span``."""
    return _Days(
        _visit_days(session, span, region),
        _first_fix_days(session, span, region),
        _closed_late_days(session, span, region),
        _loans_lent_days(session, span, region),
        _delivery_days(session, span, region),
    )


@dataclass(frozen=True, slots=True)
class _Now:
    """Figures counted at one moment: open tickets (and past due), loans (and overdue)."""

    open_tickets: int
    open_overdue: int
    loans_out: int
    loans_overdue: int


def _now(session: Session, now: datetime, region: str | None) -> _Now:
    open_n, open_overdue = _open_now(session, now, region)
    loans_out, loans_overdue = _loans_now(session, now.astimezone(PARIS).date(), region)
    return _Now(open_n, open_overdue, loans_out, loans_overdue)


def national_kpis(
    session: Session,
    period: Period,
    *,
    now: datetime,
    region: str | None = None,
    actor: Principal,
) -> NationalKpis:
    """Headline figures over ``period``; open tickets and loans are counted at ``now``
    (managers, dispatchers)."""
    check_role(actor, *KPI_ROLES)
    return _national_from(
        period, _days(session, period, region), _now(session, now, region)
    )


def _national_from(period: Period, days: _Days, at: _Now) -> NationalKpis:
    v = days.visits.values()
    n = sum(x[0] for x in v)
    on_time = sum(x[1] for x in v)
    late = sum(x[2] for x in v)
    ftf = days.first_fix.values()
    dl = days.deliveries.values()
    return NationalKpis(
        period=period,
        visits=n,
        on_time_rate=_rate(on_time, on_time + late),
        first_time_fix_rate=_rate(sum(f[0] for f in ftf), sum(f[1] for f in ftf)),
        loans_out=at.loans_out,
        loans_overdue=at.loans_overdue,
        km_per_visit=_rate(sum(x[3] for x in v), sum(x[4] for x in v)),
        jobs_per_tech_day=_rate(n, sum(x[5] for x in v)),
        sla_breaches=sum(days.closed_late.values()) + at.open_overdue,
        open_tickets=at.open_tickets,
        deliveries_done_rate=_rate(sum(d[0] for d in dl), sum(d[1] for d in dl)),
    )


def weekly_trends(
    session: Session,
    as_of: date,
    *,
    weeks: int = 8,
    region: str | None = None,
    actor: Principal,
) -> tuple[WeekTrend, ...]:
    """The last ``weeks`` whole weeks (Monday to Sunday) before the week of ``as_of``
    (managers, dispatchers).

    When ``as_of`` is a Monday, the week just ended is the last one.
    """
    check_role(actor, *KPI_ROLES)
    period = _trend_period(as_of, weeks)
    return _weeks_from(period, _days(session, period, region))


def _trend_period(as_of: date, weeks: int) -> Period:
    end = _week_start(as_of)
    return Period(end - timedelta(weeks=weeks), end)


def _weeks_from(period: Period, days: _Days) -> tuple[WeekTrend, ...]:
    def fold(data: dict[date, Any], width: int) -> dict[date, list[float]]:
        out: dict[date, list[float]] = defaultdict(lambda: [0.0] * width)
        for d, vals in data.items():
            acc = out[_week_start(d)]
            for i, x in enumerate(vals if isinstance(vals, tuple) else (vals,)):
                acc[i] += x
        return out

    v, f = fold(days.visits, 6), fold(days.first_fix, 2)
    c, lo, dl = (
        fold(days.closed_late, 1),
        fold(days.loans_lent, 1),
        fold(days.deliveries, 2),
    )
    out = []
    wk = _week_start(period.start)
    while wk < period.end:
        a, b = v[wk], f[wk]
        out.append(
            WeekTrend(
                week_start=wk,
                visits=int(a[0]),
                on_time_rate=_rate(a[1], a[1] + a[2]),
                first_time_fix_rate=_rate(b[0], b[1]),
                km_per_visit=_rate(a[3], a[4]),
                jobs_per_tech_day=_rate(a[0], a[5]),
                sla_breaches=int(c[wk][0]),
                loans_lent=int(lo[wk][0]),
                deliveries_done_rate=_rate(dl[wk][0], dl[wk][1]),
            )
        )
        wk += timedelta(weeks=1)
    return tuple(out)
