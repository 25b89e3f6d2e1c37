"""Service-level figures for the manager: per area, national, and week by week.

Pure queries over the history tables (``visit``, ``repair_ticket``, ``loan``,
``delivery_order``): no Streamlit, results are frozen dataclasses. Aggregation happens
in SQL (grouped by customer postcode, customer position or day); Python only folds the
few thousand grouped rows into départements, H3 cells or weeks.

Definitions (a *period* is ``[start, end)`` in days, Paris calendar):

- **On-time rate**: visits of the period whose ``on_time`` is true, over visits whose
  ``on_time`` is known.
- **Average delay**: mean lateness, in minutes, of the period's *late* visits
  (``on_time`` false), arrival minus planned start. Early or on-time visits are not
  averaged in (the on-time rate already tells how many there are).
- **SLA breaches**: tickets closed during the period after their SLA due time, plus
  open tickets already past their due time at ``now``.
- **Open tickets**: tickets not ``closed`` or ``cancelled`` (at ``now``, whatever the
  period).
- **First-time fix**: among tickets whose *first* visit falls in the period and whose
  outcome is known, the share fixed at that first visit (``first_time_fix``).
- **Loans out / overdue**: open loans (not returned) at ``now``; overdue when their
  ``due_on`` is before ``as_of``.
- **Km per visit**: total recorded km over visits with a km figure.
- **Jobs per technician per day**: visits over technician-days (a technician with at
  least one visit on a day counts one technician-day).
- **Deliveries done**: delivery orders promised in the period that reached
  ``delivered``/``collected``, over those that reached any final status (failed
  attempt and returns included).

Areas: customers' départements (from the postcode through the gazetteer) or H3 cells
(``h3.latlng_to_cell`` of the customer's position). The area of a visit or ticket is
its customer's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

import h3
from sqlalchemy import ColumnElement, Date, and_, case, cast, func, select
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.enums import Role
from data.gazetteer import gazetteer
from data.models import Customer, DeliveryOrder, Loan, Loaner, RepairTicket, Visit
from dispatch.access.roles import AccessDenied, Principal, check_role, store_scope
from repairs.states import TERMINAL_STATES

__all__ = [
    "DEFAULT_HEX_RESOLUTION",
    "AreaLevel",
    "AreaService",
    "NationalKpis",
    "OverdueTicket",
    "Period",
    "ServiceLevel",
    "TodayCounts",
    "WeekTrend",
    "area_service",
    "departement_of_postcode",
    "history_end",
    "national_kpis",
    "overdue_tickets",
    "period_ending",
    "service_level",
    "today_counts",
    "weekly_trends",
]

AreaLevel = Literal["departement", "hex"]
#: H3 resolution 4: cells of about 1,770 km² (edge ~22 km), a few dozen per region, each
#: with enough visits over four weeks for a rate to mean something (resolution 5 left
#: most cells with one to three visits: a patchwork of 0 % and 100 %).
DEFAULT_HEX_RESOLUTION = 4
DONE_DELIVERY = ("delivered", "collected")
FAILED_DELIVERY = ("failed attempt", "returned", "returned to stock")
_OPEN_EXCLUDED = tuple(str(s) for s in TERMINAL_STATES)


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start`` (included) to ``end`` (excluded)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start)


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


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """Everything the service-level page shows, in one picklable value."""

    period: Period
    region: str | None
    level: AreaLevel
    areas: tuple[AreaService, ...]
    national: NationalKpis
    previous: NationalKpis
    weeks: tuple[WeekTrend, ...]
    overdue: tuple[OverdueTicket, ...]


# --- helpers -------------------------------------------------------------------------


def period_ending(as_of: date, weeks: int) -> Period:
    """The ``weeks`` whole weeks before ``as_of`` (``as_of`` itself excluded)."""
    return Period(as_of - timedelta(weeks=weeks), as_of)


def _utc(day: date) -> datetime:
    """Paris midnight starting ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def _rate(num: int | float | None, den: int | float | None) -> float | None:
    return float(num or 0) / float(den) if den else None


def _minutes(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in minutes, on SQLite (text UTC) and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0
    return func.extract("epoch", later - earlier) / 60.0


def _day_of(session: Session, moment: Any) -> ColumnElement[Any]:
    """The calendar day of a stored datetime (UTC day on SQLite; Paris on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(moment)
    return cast(func.timezone("Europe/Paris", moment), Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


@lru_cache(maxsize=1)
def _postcode_departements() -> dict[str, tuple[str, str]]:
    """Postcode -> (département code, name), from the gazetteer."""
    out: dict[str, tuple[str, str]] = {}
    for p in _places():
        out.setdefault(p.postcode, (p.dep_code, p.dep_name))
    return out


def _places() -> Iterable[Any]:
    from data.gazetteer import load_places

    return load_places()


@lru_cache(maxsize=1)
def _departement_names() -> dict[str, str]:
    return dict(gazetteer().departments())


def departement_of_postcode(postcode: str) -> str:
    """Département code of a postcode (the gazetteer's, else the postcode's prefix)."""
    known = _postcode_departements().get(postcode)
    if known:
        return known[0]
    if postcode.startswith(
        "20"
    ):  # Corsica: 200xx-201xx Corse-du-Sud, the rest Haute-Corse
        return "2A" if postcode[:3] in ("200", "201") else "2B"
    return postcode[:2]


def history_end(session: Session, *, actor: Principal) -> date | None:
    """The last day with a recorded visit, if any."""
    check_role(actor, Role.MANAGER, Role.DISPATCHER)
    value = session.scalar(select(func.max(Visit.visit_on)))
    return _as_date(value) if value is not None else None


def _region_filter(region: str | None) -> list[ColumnElement[bool]]:
    return [Customer.region == region] if region else []


# --- per area ------------------------------------------------------------------------


def area_service(
    session: Session,
    period: Period,
    *,
    now: datetime,
    region: str | None = None,
    level: AreaLevel = "departement",
    hex_resolution: int = DEFAULT_HEX_RESOLUTION,
) -> tuple[AreaService, ...]:
    """Service level per département (or H3 cell) over ``period``, busiest first.

    Grouped in SQL by the customer's postcode (départements) or position (cells),
    then folded into areas. Areas with neither visits nor open tickets are left out.
    """
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
    where = [Visit.visit_on >= start, Visit.visit_on < end, *_region_filter(region)]
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
    session: Session, period: Period, *, now: datetime, region: str | None = None
) -> NationalKpis:
    """Headline figures over ``period``; open tickets and loans are counted at ``now``."""
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
    session: Session, as_of: date, *, weeks: int = 8, region: str | None = None
) -> tuple[WeekTrend, ...]:
    """The last ``weeks`` whole weeks (Monday to Sunday) before the week of ``as_of``.

    When ``as_of`` is a Monday, the week just ended is the last one.
    """
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


def overdue_tickets(
    session: Session, *, now: datetime, region: str | None = None, limit: int = 300
) -> tuple[OverdueTicket, ...]:
    """Open tickets past their SLA due time, most overdue first."""
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
    return tuple(
        OverdueTicket(
            ref=r[0],
            customer=r[1],
            town=r[2],
            fault=r[3],
            status=r[4],
            sla_due_at=r[5],
            overdue_h=round((now - r[5]).total_seconds() / 3600, 1),
            lat=float(r[6]),
            lon=float(r[7]),
        )
        for r in session.execute(q)
    )


def service_level(
    session: Session,
    *,
    as_of: date,
    weeks: int = 4,
    trend_weeks: int = 8,
    region: str | None = None,
    now: datetime | None = None,
    hex_resolution: int = DEFAULT_HEX_RESOLUTION,
    level: AreaLevel | None = None,
    actor: Principal,
) -> ServiceLevel:
    """All the manager's figures: areas, headline KPIs (and the period before), trends.

    ``level`` defaults to départements for the whole country and H3 cells for a region.
    ``now`` defaults to the start of ``as_of`` (Paris).
    """
    check_role(actor, Role.MANAGER, Role.DISPATCHER)
    now = now or _utc(as_of)
    period = period_ending(as_of, weeks)
    level = level or ("hex" if region else "departement")
    # One set of per-day queries covers the KPI period, the period before and the trends.
    trend = _trend_period(as_of, trend_weeks)
    previous = period.previous()
    span = Period(min(previous.start, trend.start), max(period.end, trend.end))
    days = _days(session, span, region)
    at = _now(session, now, region)
    return ServiceLevel(
        period=period,
        region=region,
        level=level,
        areas=area_service(
            session,
            period,
            now=now,
            region=region,
            level=level,
            hex_resolution=hex_resolution,
        ),
        national=_national_from(period, days.within(period), at),
        previous=_national_from(previous, days.within(previous), at),
        weeks=_weeks_from(trend, days.within(trend)),
        overdue=overdue_tickets(session, now=now, region=region),
    )


# --- the home page -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodayCounts:
    """What is on today's plate, for the home page (store figures limited to the store)."""

    day: date
    visits_wanted: int  # open on-site tickets wanted on ``day``
    deliveries_due: int  # delivery orders promised on ``day``, not final yet
    open_tickets: int
    open_overdue: int  # open tickets past their SLA due time at ``now``
    bags_to_prepare: (
        int  # store pick-ups promised ``day`` or the next day, not ready yet
    )
    bags_waiting: int  # ready bags not collected yet
    loaners_available: int
    loans_overdue: int


def today_counts(
    session: Session,
    *,
    day: date,
    now: datetime,
    store_id: int | None = None,
    actor: Principal,
) -> TodayCounts:
    """Counts for the home page. ``store_id`` limits bags and loaners to one store.

    Callers pass ``dispatch.access.roles.store_scope(user)`` so store staff get their store's.
    """
    check_role(actor, Role.DISPATCHER, Role.STORE_STAFF, Role.AGENT, Role.MANAGER)
    own = store_scope(actor)  # store staff count their own store only
    if own is not None and store_id != own:
        raise AccessDenied(actor.username, f"count store {store_id}")
    final = DONE_DELIVERY + FAILED_DELIVERY + ("cancelled",)
    visits = session.scalar(
        select(func.count(RepairTicket.id)).where(
            RepairTicket.visit_on == day,
            RepairTicket.resolution_path == "onsite",
            RepairTicket.status.not_in(_OPEN_EXCLUDED),
        )
    )
    deliveries = session.scalar(
        select(func.count(DeliveryOrder.id)).where(
            DeliveryOrder.promised_on == day, DeliveryOrder.status.not_in(final)
        )
    )
    open_n, overdue = _open_now(session, now, None)
    bags = select(func.count(DeliveryOrder.id)).where(
        DeliveryOrder.mode == "store pick-up"
    )
    loaners = select(func.count(Loaner.id)).where(Loaner.state == "available")
    late_loans = select(func.count(Loan.id)).where(
        Loan.returned_at.is_(None), Loan.due_on < day
    )
    if store_id is not None:
        bags = bags.where(DeliveryOrder.destination_site_id == store_id)
        loaners = loaners.where(Loaner.site_id == store_id)
        late_loans = late_loans.where(Loan.from_site_id == store_id)
    to_prepare = session.scalar(
        bags.where(
            DeliveryOrder.promised_on >= day,
            DeliveryOrder.promised_on <= day + timedelta(days=1),
            DeliveryOrder.status.in_(("new", "to prepare")),
        )
    )
    waiting = session.scalar(bags.where(DeliveryOrder.status == "ready"))
    return TodayCounts(
        day=day,
        visits_wanted=int(visits or 0),
        deliveries_due=int(deliveries or 0),
        open_tickets=open_n,
        open_overdue=overdue,
        bags_to_prepare=int(to_prepare or 0),
        bags_waiting=int(waiting or 0),
        loaners_available=int(session.scalar(loaners) or 0),
        loans_overdue=int(session.scalar(late_loans) or 0),
    )
