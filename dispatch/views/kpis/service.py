"""Everything the service-level page shows, in one call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from dispatch.access.roles import Principal, check_role
from dispatch.views.kpis.areas import (
    AreaService,
    OverdueTicket,
    area_service,
    overdue_tickets,
)
from dispatch.views.kpis.common import (
    DEFAULT_HEX_RESOLUTION,
    KPI_ROLES,
    AreaLevel,
    Period,
    _utc,
    period_ending,
)
from dispatch.views.kpis.trends import (
    NationalKpis,
    WeekTrend,
    _days,
    _national_from,
    _now,
    _trend_period,
    _weeks_from,
)


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
    check_role(actor, *KPI_ROLES)
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
            actor=actor,
        ),
        national=_national_from(period, days.within(period), at),
        previous=_national_from(previous, days.within(previous), at),
        weeks=_weeks_from(trend, days.within(trend)),
        overdue=overdue_tickets(session, now=now, region=region, actor=actor),
    )
