"""Plan a day: build the problem, solve, validate, persist; read plans back; publish; diff.

Persisted plans are the contract between the solver process and every dashboard:
``load_plan`` returns plain frozen dataclasses, ``plan_json`` the CLI's JSON.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.base import utcnow
from data.models import (
    Courier,
    Plan,
    PlanPin,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    TicketEvent,
    UnassignedJob,
)
from dispatch.problem_builder import PARIS, DayProblem, Variant, technician_day
from routing import (
    CancelToken,
    FirstSolution,
    Objective,
    ProgressCallback,
    Route,
    Solution,
    SolveParams,
    Stop,
    solve,
)
from routing.partition import Pool, dask_pool, local_pool, solve_partitioned
from routing.validate import validate

PARTITION_ABOVE_JOBS = 300
"""Above this many jobs the day is solved region by region, in parallel."""
DEFAULT_SECONDS = {"technicians": 40.0, "couriers": 40.0}
STRATEGY = FirstSolution.PRIORITY_INSERTION
"""Days are started in priority order, so scarce capacity goes to the right jobs at once
(the engine's default too: benchmarks run the same portfolio)."""


# --- solving ------------------------------------------------------------------------


def build_day(session: Session, kind: str, day: date, region: str | None = None,
              variant: Variant | None = None, depot_id: int | None = None) -> DayProblem:
    if kind == "technicians":
        return technician_day(session, day, region, variant)
    if kind == "couriers":
        from dispatch.courier_builder import courier_day

        return courier_day(session, day, region=region, depot_id=depot_id, variant=variant)
    raise ValueError(f"unknown plan kind {kind!r}; expected technicians or couriers")


DASK_ENV = "TOURNEE_DASK_SCHEDULER"


def partition_pool() -> AbstractContextManager[Pool]:
    """Where regional parts run: the Dask cluster at ``TOURNEE_DASK_SCHEDULER`` if set, else a local pool."""
    address = os.environ.get(DASK_ENV)
    return dask_pool(address) if address else local_pool()


def solve_day(
    dp: DayProblem, seconds: float, *, progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None, initial: Solution | None = None, seed: int = 0,
) -> Solution:
    """Small days: one model, a portfolio on both cores. National days: by region, in parallel."""
    if len(dp.problem.jobs) > PARTITION_ABOVE_JOBS and initial is None:
        # Vans never leave their depot's area: one part per depot. Technicians are
        # clustered by where they live (k-means), which balances the parts' sizes.
        labels = dict(dp.labels)
        with partition_pool() as pool:
            return solve_partitioned(dp.problem, SolveParams(time_limit_s=seconds, seed=seed, strategy=STRATEGY),
                                     executor=pool.executor, channel=pool.channel(), labels=labels,
                                     progress=progress, cancel=cancel)
    return solve(dp.problem, SolveParams(time_limit_s=seconds, workers=2, seed=seed, strategy=STRATEGY),
                 progress=progress, cancel=cancel, initial=initial)


def initial_from_plan(session: Session, plan_id: int, dp: DayProblem) -> Solution | None:
    """The routes of an earlier plan as a starting point (jobs and vehicles still present)."""
    view = load_plan(session, plan_id)
    jobs = {j.id for j in dp.problem.jobs}
    vehicles = {v.id for v in dp.problem.vehicles}
    routes = []
    for r in view.routes:
        if r.vehicle_ref not in vehicles:
            continue
        stops = tuple(Stop(job_id=s.job_ref, arrival_s=0, start_s=0, departure_s=0)
                      for s in r.stops if s.job_ref in jobs)
        if stops:
            routes.append(Route(vehicle_id=r.vehicle_ref, stops=stops, start_s=0, end_s=0, distance_m=0,
                                duration_s=0))
    if not routes:
        return None
    return Solution(routes=tuple(routes), unassigned=(), status="INITIAL", elapsed_s=0.0,
                    objective=Objective(cost=0, distance_m=0, duration_s=0, penalty=0, jobs_placed=0,
                                        jobs_total=len(jobs)))


def stabilise(dp: DayProblem, session: Session, published_id: int) -> DayProblem:
    """A re-plan of a published day keeps each visit with its technician where it can.

    Visits already given to a technician who is still working are pinned to them
    (they may still be re-ordered, or dropped for higher-priority work); new or
    orphaned visits are free. That is what "change as little as it can" means to
    the technicians who already have their day.
    """
    view = load_plan(session, published_id)
    owner = {s.job_ref: r.vehicle_ref for r in view.routes for s in r.stops}
    vehicles = {v.id for v in dp.problem.vehicles}
    jobs = tuple(
        replace(j, pinned_vehicle=j.pinned_vehicle or (owner[j.id] if owner.get(j.id) in vehicles else None))
        for j in dp.problem.jobs)
    return replace(dp, problem=dp.problem.replace(jobs=jobs))


# --- persisting -----------------------------------------------------------------------


def save_plan(
    session: Session, dp: DayProblem, sol: Solution, *, actor: str, label: str = "",
    params: dict[str, Any] | None = None, based_on: int | None = None,
) -> int:
    """Store the solution as a draft plan (routes, stops, unassigned with reasons, stats)."""
    violations = validate(dp.problem, sol)
    plan = Plan(kind=dp.kind, plan_date=dp.day, region=dp.region, label=label, status="draft",
                based_on_plan_id=based_on, created_by=actor, params=params or {},
                stats=plan_stats(dp, sol, len(violations)))
    session.add(plan)
    session.flush()
    by_ref = {v.id: v for v in dp.problem.vehicles}
    for r in sol.routes:
        vm = dp.vehicles[r.vehicle_id]
        breaks = r.break_starts_s
        route = PlanRoute(plan_id=plan.id, technician_id=vm.technician_id, courier_id=vm.courier_id,
                          start_at=dp.to_local(r.start_s), end_at=dp.to_local(r.end_s),
                          km=round(r.distance_m / 1000, 2), minutes=round(r.duration_s / 60, 1),
                          break_start_at=dp.to_local(breaks[0]) if breaks else None)
        session.add(route)
        session.flush()
        assert r.vehicle_id in by_ref
        stops = []
        for seq, s in enumerate(r.stops, 1):
            jm = dp.jobs[s.job_id]
            common = dict(route_id=route.id, seq=seq, job_ref=s.job_id, ticket_id=jm.ticket_id,
                          site_id=jm.site_id, arrival_at=dp.to_local(s.arrival_s),
                          start_at=dp.to_local(s.start_s), departure_at=dp.to_local(s.departure_s),
                          pinned=jm.pinned_to is not None)
            for did in jm.delivery_ids or (None,):
                stops.append(PlanStop(delivery_id=did, **common))
        session.add_all(stops)
    session.add_all(
        UnassignedJob(plan_id=plan.id, job_ref=u.job_id, ticket_id=dp.jobs[u.job_id].ticket_id,
                      delivery_id=(dp.jobs[u.job_id].delivery_ids or (None,))[0],
                      reason=_reason_text(dp.kind, str(u.reason)), detail=u.detail)
        for u in sol.unassigned)
    record(session, actor, "plan", plan.id, "create", kind=dp.kind, day=dp.day, region=dp.region,
           label=label, placed=plan.stats["jobs_placed"], total=plan.stats["jobs_total"])
    return plan.id


def _reason_text(kind: str, reason: str) -> str:
    """The engine speaks of technicians; a courier plan's reasons speak of vans."""
    if kind == "couriers":
        return reason.replace("every technician's day", "every van's round").replace("technician", "van")
    return reason


def plan_stats(dp: DayProblem, sol: Solution, violations: int) -> dict[str, Any]:
    """Figures a dispatcher compares plans on: km, jobs placed, SLA met per tier."""
    placed = {s.job_id: s for r in sol.routes for s in r.stops}
    per_tier: dict[str, dict[str, int]] = defaultdict(lambda: {"jobs": 0, "placed": 0, "sla_met": 0})
    score_total = score_placed = 0
    for ref, jm in dp.jobs.items():
        t = per_tier[jm.tier]
        t["jobs"] += 1
        score_total += jm.score
        if ref in placed:
            t["placed"] += 1
            score_placed += jm.score
            if jm.sla_due_at is None or dp.to_local(placed[ref].start_s) <= jm.sla_due_at:
                t["sla_met"] += 1
    return {
        "jobs_total": len(dp.jobs),
        "jobs_placed": len(placed),
        "vehicles_total": len(dp.vehicles),
        "vehicles_used": len(sol.routes),
        "km": round(sum(r.distance_m for r in sol.routes) / 1000, 1),
        "drive_minutes": round(sum(r.duration_s for r in sol.routes) / 60, 1),
        "priority_served_pct": round(100 * score_placed / score_total, 1) if score_total else 100.0,
        "per_tier": dict(per_tier),
        "reasons": dict(Counter(_reason_text(dp.kind, str(u.reason)) for u in sol.unassigned)),
        "objective": sol.objective.cost,
        "status": sol.status,
        "solve_seconds": round(sol.elapsed_s, 2),
        "violations": violations,
    }


# --- reading back ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopView:
    seq: int
    job_ref: str
    ticket_id: int | None
    delivery_ids: tuple[int, ...]
    site_id: int | None
    arrival_at: datetime
    start_at: datetime
    departure_at: datetime
    pinned: bool


@dataclass(frozen=True, slots=True)
class RouteView:
    vehicle_ref: str
    vehicle_id: int  # technician or courier id
    name: str
    km: float
    minutes: float
    start_at: datetime | None
    end_at: datetime | None
    break_start_at: datetime | None
    stops: tuple[StopView, ...]


@dataclass(frozen=True, slots=True)
class UnassignedView:
    job_ref: str
    ticket_id: int | None
    delivery_id: int | None
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class PlanView:
    id: int
    kind: str
    day: date
    region: str | None
    label: str
    status: str
    created_at: datetime
    created_by: str
    based_on: int | None
    stats: dict[str, Any]
    routes: tuple[RouteView, ...]
    unassigned: tuple[UnassignedView, ...] = field(default=())

    def owner(self) -> dict[str, str]:
        """job ref -> vehicle ref."""
        return {s.job_ref: r.vehicle_ref for r in self.routes for s in r.stops}


def load_plan(session: Session, plan_id: int) -> PlanView:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    routes = session.scalars(select(PlanRoute).where(PlanRoute.plan_id == plan_id).order_by(PlanRoute.id)).all()
    stops: dict[int, list[PlanStop]] = defaultdict(list)
    for s in session.scalars(select(PlanStop).join(PlanRoute).where(PlanRoute.plan_id == plan_id)
                             .order_by(PlanStop.route_id, PlanStop.seq, PlanStop.id)):
        stops[s.route_id].append(s)
    names = _vehicle_names(session, plan.kind)
    rviews = []
    for r in routes:
        vid = r.technician_id or r.courier_id or 0
        prefix = "tech" if plan.kind == "technicians" else "van"
        ref = f"{prefix}:{vid}" if vid else f"{prefix}:new{r.id}"
        grouped: dict[int, list[PlanStop]] = defaultdict(list)
        for s in stops[r.id]:
            grouped[s.seq].append(s)
        sviews = tuple(
            StopView(seq, g[0].job_ref, g[0].ticket_id, tuple(x.delivery_id for x in g if x.delivery_id),
                     g[0].site_id, g[0].arrival_at, g[0].start_at, g[0].departure_at, g[0].pinned)
            for seq, g in sorted(grouped.items()))
        rviews.append(RouteView(ref, vid, names.get(vid, "Extra technician" if not vid else f"#{vid}"),
                                r.km, r.minutes, r.start_at, r.end_at, r.break_start_at, sviews))
    un = tuple(UnassignedView(u.job_ref, u.ticket_id, u.delivery_id, u.reason, u.detail)
               for u in session.scalars(select(UnassignedJob).where(UnassignedJob.plan_id == plan_id)
                                        .order_by(UnassignedJob.id)))
    return PlanView(plan.id, plan.kind, plan.plan_date, plan.region, plan.label, plan.status, plan.created_at,
                    plan.created_by, plan.based_on_plan_id, dict(plan.stats or {}), tuple(rviews), un)


def _vehicle_names(session: Session, kind: str) -> dict[int, str]:
    model = Technician if kind == "technicians" else Courier
    return dict(session.execute(select(model.id, model.name)).tuples().all())


def local_iso(at: datetime | None) -> str | None:
    return at.astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="seconds") if at else None


def plan_json(view: PlanView) -> dict[str, Any]:
    """The CLI's contract: ids as in the database, ISO 8601 local date-times."""

    def job_id(s: StopView | UnassignedView) -> Any:
        if isinstance(s, StopView):
            if s.ticket_id:
                return s.ticket_id
            if len(s.delivery_ids) == 1:
                return s.delivery_ids[0]
            return list(s.delivery_ids) or s.job_ref
        return s.ticket_id or s.delivery_id or s.job_ref

    return {
        "date": view.day.isoformat(),
        "kind": view.kind,
        "plan_id": view.id,
        "routes": [
            {"vehicle": r.vehicle_id or r.vehicle_ref, "name": r.name,
             "stops": [{"job": job_id(s), "ref": s.job_ref, "site": s.site_id,
                        "arrival": local_iso(s.arrival_at), "start": local_iso(s.start_at),
                        "departure": local_iso(s.departure_at)} for s in r.stops],
             "km": r.km, "minutes": r.minutes, "start": local_iso(r.start_at), "end": local_iso(r.end_at),
             "break_start": local_iso(r.break_start_at)}
            for r in view.routes],
        "unassigned": [{"job": job_id(u), "ref": u.job_ref, "reason": u.reason, "detail": u.detail}
                       for u in view.unassigned],
        "stats": view.stats,
    }


# --- dispatcher actions ------------------------------------------------------------------


def latest_plan_id(session: Session, kind: str, day: date, region: str | None = None,
                   status: str | None = None) -> int | None:
    q = select(Plan.id).where(Plan.kind == kind, Plan.plan_date == day).order_by(Plan.id.desc())
    q = q.where(Plan.region.is_(None) if region is None else Plan.region == region)
    if status:
        q = q.where(Plan.status == status)
    return session.scalars(q.limit(1)).first()


def publish(session: Session, plan_id: int, *, actor: str) -> PlanView:
    """Make a draft the day's plan: the previous one is superseded, visits are scheduled."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    if plan.status != "draft":
        raise ValueError(f"plan {plan_id} is {plan.status}; only a draft can be published")
    session.execute(update(Plan).where(Plan.kind == plan.kind, Plan.plan_date == plan.plan_date,
                                       Plan.status == "published", Plan.id != plan.id,
                                       (Plan.region.is_(None) if plan.region is None else Plan.region == plan.region))
                    .values(status="superseded"))
    plan.status, plan.published_at = "published", utcnow()
    view = load_plan(session, plan_id)
    if plan.kind == "technicians":
        _schedule_tickets(session, view, actor)
    record(session, actor, "plan", plan_id, "publish", day=plan.plan_date, kind=plan.kind)
    return load_plan(session, plan_id)


def _schedule_tickets(session: Session, view: PlanView, actor: str) -> None:
    owner = {s.ticket_id: r.vehicle_id for r in view.routes for s in r.stops if s.ticket_id}
    dropped = {u.ticket_id for u in view.unassigned if u.ticket_id}
    tickets = session.scalars(select(RepairTicket).where(RepairTicket.id.in_(list(owner | dict.fromkeys(dropped))))).all()
    for t in tickets:
        if t.id in owner:
            tech = owner[t.id] or None
            if t.status == "triaged":
                session.add(TicketEvent(ticket_id=t.id, actor=actor, from_state=t.status, to_state="scheduled",
                                        why=f"plan {view.id} published for {view.day}"))
                t.status = "scheduled"
            t.technician_id, t.visit_on = tech, view.day
        elif t.status == "scheduled":  # dropped from the new plan: back to the queue
            session.add(TicketEvent(ticket_id=t.id, actor=actor, from_state="scheduled", to_state="triaged",
                                    why=f"left out of plan {view.id}"))
            t.status, t.technician_id = "triaged", None


def pin(session: Session, day: date, job_ref: str, *, technician_id: int | None = None,
        courier_id: int | None = None, not_before: datetime | None = None,
        not_after: datetime | None = None, actor: str, kind: str = "technicians") -> None:
    """Pin a visit to a vehicle and/or a time; the next plan keeps it there."""
    session.execute(delete(PlanPin).where(PlanPin.plan_date == day, PlanPin.job_ref == job_ref,
                                          PlanPin.kind == kind))
    session.add(PlanPin(plan_date=day, kind=kind, job_ref=job_ref, technician_id=technician_id,
                        courier_id=courier_id, not_before=not_before, not_after=not_after, created_by=actor))
    record(session, actor, "pin", job_ref, "pin", day=day, technician=technician_id, courier=courier_id,
           not_before=not_before, not_after=not_after)


def unpin(session: Session, day: date, job_ref: str, *, actor: str, kind: str = "technicians") -> None:
    session.execute(delete(PlanPin).where(PlanPin.plan_date == day, PlanPin.job_ref == job_ref,
                                          PlanPin.kind == kind))
    record(session, actor, "pin", job_ref, "unpin", day=day)


def pins(session: Session, day: date, kind: str = "technicians") -> dict[str, tuple[int | None, datetime | None, datetime | None]]:
    return {p.job_ref: (p.technician_id or p.courier_id, p.not_before, p.not_after)
            for p in session.scalars(select(PlanPin).where(PlanPin.plan_date == day, PlanPin.kind == kind))}


# --- comparing ------------------------------------------------------------------------------


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
    moved = tuple(sorted((j, names[a[j]], names[b[j]]) for j in a.keys() & b.keys() if a[j] != b[j]))
    added = tuple(sorted((j, names[b[j]]) for j in b.keys() - a.keys()))
    dropped = tuple(sorted((j, reasons.get(j, "no longer to plan")) for j in a.keys() - b.keys()))
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
    tiers = {t: f"{v['sla_met']}/{v['jobs']}" for t, v in sorted(st.get("per_tier", {}).items())}
    return PlanKpis(view.id, view.label or f"plan {view.id}", st.get("km", 0.0), st.get("jobs_placed", 0),
                    st.get("jobs_total", 0), st.get("vehicles_used", 0), st.get("priority_served_pct", 0.0), tiers)


# --- route sheets ---------------------------------------------------------------------------


def route_sheet_rows(view: PlanView, describe: Callable[[StopView], dict[str, str]]) -> list[dict[str, str]]:
    """One row per stop of every route, for CSV and the print-friendly page."""
    rows = []
    for r in view.routes:
        for s in r.stops:
            row = {"vehicle": r.name, "seq": str(s.seq), "arrival": hhmm(s.arrival_at), "start": hhmm(s.start_at),
                   "departure": hhmm(s.departure_at), "job": s.job_ref}
            row.update(describe(s))
            rows.append(row)
    return rows


def hhmm(at: datetime) -> str:
    """Paris wall-clock time of day, e.g. ``14:05``."""
    return at.astimezone(PARIS).strftime("%H:%M")
