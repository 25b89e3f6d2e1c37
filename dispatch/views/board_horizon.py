"""The board's horizon: N days planned together, as the dispatcher reads them.

A horizon plan run (``dispatch.planning.runs.start_plan(horizon_days=N)``) keeps its
summary (``dispatch.planning.horizon_io.horizon_summary``); this turns the newest one for
a first day and a region into rows: per day and region placed, unplaced and overtime;
per technician hours each day against their daily and weekly limits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.enums import PlanKind, Role, RunStatus
from data.models import PlanRun
from dispatch import labels
from dispatch.access.roles import Principal, check_role
from dispatch.planning.availability import week_of
from dispatch.planning.horizon import Horizon
from dispatch.planning.horizon_io import from_summary

__all__ = ["DayRegionRow", "HorizonBoard", "TechnicianHours", "latest_horizon"]


@dataclass(frozen=True, slots=True)
class DayRegionRow:
    day: str  # "Tue 24 Nov"
    region: str
    placed: int
    unplaced: int
    overtime_min: int
    plan: str  # "Draft" / "Published (kept)"


@dataclass(frozen=True, slots=True)
class TechnicianHours:
    name: str
    region: str
    by_day: dict[str, float]  # day label -> hours
    total_h: float
    most_in_a_week_h: float
    week_limit_h: float
    longest_day_h: float
    day_limit_h: float
    overtime_min: int

    @property
    def week_share(self) -> float:
        """The busiest week's hours as a share of the weekly limit (1.0 = at the limit)."""
        return self.most_in_a_week_h / self.week_limit_h if self.week_limit_h else 0.0


@dataclass(frozen=True, slots=True)
class HorizonBoard:
    run_id: int
    start: date
    days: tuple[str, ...]  # day labels, in order
    rows: tuple[DayRegionRow, ...]
    technicians: tuple[TechnicianHours, ...]
    spread_hours: dict[str, float]  # region -> largest max - min hours of a day
    cancelled: bool
    balance_per_hour: float = 0.0  # the workload-balance term it was planned with


def _board(
    run_id: int,
    h: Horizon,
    region: str | None,
    cancelled: bool,
    balance_per_hour: float = 0.0,
) -> HorizonBoard:
    days = tuple(labels.day(d.day) for d in h.days)
    rows = [
        DayRegionRow(
            label,
            r,
            v.placed,
            v.unplaced,
            v.overtime_minutes,
            "Published (kept)" if d.kept else "Draft",
        )
        for d, label in zip(h.days, days, strict=True)
        for r, v in d.regions.items()
        if region is None or r == region
    ]
    names = sorted(
        {n for d in h.days for n in d.hours}
        | {n for n, r in h.regions.items() if region is None or r == region}
    )
    techs = []
    for name in names:
        by_day = {
            label: d.hours.get(name, 0.0) for d, label in zip(h.days, days, strict=True)
        }
        weeks: dict[date, float] = defaultdict(float)
        for d in h.days:
            weeks[week_of(d.day)] += d.hours.get(name, 0.0)
        techs.append(
            TechnicianHours(
                name=name,
                region=h.regions.get(name, ""),
                by_day=by_day,
                total_h=round(sum(by_day.values()), 2),
                most_in_a_week_h=round(max(weeks.values(), default=0.0), 2),
                week_limit_h=h.limits.get(name, 0.0),
                longest_day_h=max(by_day.values(), default=0.0),
                day_limit_h=h.day_limits.get(name, 0.0),
                overtime_min=h.overtime_minutes.get(name, 0),
            )
        )
    techs.sort(key=lambda t: (t.region, t.name))
    return HorizonBoard(
        run_id,
        h.start,
        days,
        tuple(rows),
        tuple(techs),
        {r: v for r, v in h.spread_hours.items() if region is None or r == region},
        cancelled,
        balance_per_hour,
    )


def latest_horizon(
    session: Session, start: date, region: str | None, *, actor: Principal
) -> HorizonBoard | None:
    """The newest finished horizon run from ``start`` for ``region`` (None: the whole
    country), or None when none was planned."""
    check_role(actor, Role.DISPATCHER)
    runs = session.scalars(
        select(PlanRun)
        .where(
            PlanRun.kind == PlanKind.TECHNICIANS.value,
            PlanRun.plan_date == start,
            PlanRun.region.is_(None) if region is None else PlanRun.region == region,
            PlanRun.status.in_([RunStatus.DONE.value, RunStatus.CANCELLED.value]),
        )
        .order_by(PlanRun.id.desc())
        .limit(20)
    )
    for run in runs:
        summary = (run.params or {}).get("horizon")
        if summary:
            return _board(
                run.id,
                from_summary(summary),
                region,
                run.status == RunStatus.CANCELLED.value,
                float((run.params or {}).get("balance_per_hour") or 0.0),
            )
    return None
