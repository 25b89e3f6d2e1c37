"""Comparing plans and summing them up: the diff of two plans, plan KPIs, route-sheet rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dispatch.planning.builder import PARIS
from dispatch.planning.saved import PlanView, StopView


@dataclass(frozen=True, slots=True)
class PlanDiff:
    moved: tuple[tuple[str, str, str], ...]  # job, from vehicle name, to vehicle name
    added: tuple[tuple[str, str], ...]  # job, vehicle name
    dropped: tuple[tuple[str, str], ...]  # job, reason
    unchanged: int

    def is_empty(self) -> bool:
        return not (self.moved or self.added or self.dropped)


def diff_plans(old: PlanView, new: PlanView) -> PlanDiff:
    """Which visits moved to whom, which were added or dropped (and why)."""
    names = {r.vehicle_ref: r.name for r in (*old.routes, *new.routes)}
    a, b = old.owner(), new.owner()
    reasons = {u.job_ref: u.reason for u in new.unassigned}
    moved = tuple(
        sorted(
            (j, names[a[j]], names[b[j]]) for j in a.keys() & b.keys() if a[j] != b[j]
        )
    )
    added = tuple(sorted((j, names[b[j]]) for j in b.keys() - a.keys()))
    dropped = tuple(
        sorted((j, reasons.get(j, "no longer to plan")) for j in a.keys() - b.keys())
    )
    unchanged = sum(1 for j in a.keys() & b.keys() if a[j] == b[j])
    return PlanDiff(moved, added, dropped, unchanged)


@dataclass(frozen=True, slots=True)
class PlanKpis:
    plan_id: int
    label: str
    km: float
    jobs_placed: int
    jobs_total: int
    vehicles_used: int
    priority_served_pct: float
    sla_met_by_tier: dict[str, str]


def kpis(view: PlanView) -> PlanKpis:
    st = view.stats
    tiers = {
        t: f"{v['sla_met']}/{v['jobs']}"
        for t, v in sorted(st.get("per_tier", {}).items())
    }
    return PlanKpis(
        view.id,
        view.label or f"plan {view.id}",
        st.get("km", 0.0),
        st.get("jobs_placed", 0),
        st.get("jobs_total", 0),
        st.get("vehicles_used", 0),
        st.get("priority_served_pct", 0.0),
        tiers,
    )


def route_sheet_rows(
    view: PlanView, describe: Callable[[StopView], dict[str, str]]
) -> list[dict[str, str]]:
    """One row per stop of every route, for CSV and the print-friendly page."""
    rows = []
    for r in view.routes:
        for s in r.stops:
            row = {
                "vehicle": r.name,
                "seq": str(s.seq),
                "arrival": hhmm(s.arrival_at),
                "start": hhmm(s.start_at),
                "departure": hhmm(s.departure_at),
                "job": s.job_ref,
            }
            row.update(describe(s))
            rows.append(row)
    return rows


def hhmm(at: datetime) -> str:
    """Paris wall-clock time of day, e.g. ``14:05``."""
    return at.astimezone(PARIS).strftime("%H:%M")
