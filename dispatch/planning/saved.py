"""Saved plans: a solution persisted as routes, stops (with where they sent the vehicle) and unassigned jobs with reasons; read back as frozen views and as the CLI's JSON."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.models import (
    Courier,
    Plan,
    PlanRoute,
    PlanStop,
    Technician,
    UnassignedJob,
)
from dispatch.planning.builder import PARIS, DayProblem, to_seconds
from dispatch.priority.score import class_name
from routing import (
    Solution,
    UnassignedReason,
)
from routing.validate import validate


def save_plan(
    session: Session,
    dp: DayProblem,
    sol: Solution,
    *,
    actor: str,
    label: str = "",
    params: dict[str, Any] | None = None,
    based_on: int | None = None,
) -> int:
    """Store the solution as a draft plan (routes, stops, unassigned with reasons, stats)."""
    violations = validate(dp.problem, sol)
    plan = Plan(
        kind=dp.kind,
        plan_date=dp.day,
        region=dp.region,
        label=label,
        status="draft",
        based_on_plan_id=based_on,
        created_by=actor,
        params=params or {},
        stats=plan_stats(dp, sol, len(violations)),
    )
    session.add(plan)
    session.flush()
    by_ref = {v.id: v for v in dp.problem.vehicles}
    rows = []
    for r in sol.routes:
        assert r.vehicle_id in by_ref
        vm = dp.vehicles[r.vehicle_id]
        breaks = r.break_starts_s
        rows.append(
            PlanRoute(
                plan_id=plan.id,
                technician_id=vm.technician_id,
                courier_id=vm.courier_id,
                start_at=dp.to_local(r.start_s),
                end_at=dp.to_local(r.end_s),
                km=round(r.distance_m / 1000, 2),
                minutes=round(r.duration_s / 60, 1),
                break_start_at=dp.to_local(breaks[0]) if breaks else None,
                skills=sorted(by_ref[r.vehicle_id].skills),
            )
        )
    session.add_all(rows)
    session.flush()  # the routes' ids, in one round trip
    for r, route in zip(sol.routes, rows, strict=True):
        stops = []
        for seq, s in enumerate(r.stops, 1):
            jm = dp.jobs[s.job_id]
            common = dict(
                route_id=route.id,
                seq=seq,
                job_ref=s.job_id,
                ticket_id=jm.ticket_id,
                site_id=jm.site_id,
                arrival_at=dp.to_local(s.arrival_s),
                start_at=dp.to_local(s.start_s),
                departure_at=dp.to_local(s.departure_s),
                pinned=jm.pinned_to is not None,
                lat=jm.lat,
                lon=jm.lon,
                label=(jm.customer or jm.label)[:160],
                priority=jm.score,
                priority_class=jm.priority_class,
            )
            for did in jm.delivery_ids or (None,):
                stops.append(PlanStop(delivery_id=did, **common))
        session.add_all(stops)
    session.add_all(
        UnassignedJob(
            plan_id=plan.id,
            job_ref=u.job_id,
            ticket_id=dp.jobs[u.job_id].ticket_id,
            delivery_id=(dp.jobs[u.job_id].delivery_ids or (None,))[0],
            reason=_reason_text(dp.kind, str(u.reason)),
            detail=_reason_text(dp.kind, u.detail),
            priority=dp.jobs[u.job_id].score,
            priority_class=dp.jobs[u.job_id].priority_class,
            constraint=u.constraint,
            skill=dp.jobs[u.job_id].skill,
            windows=_windows(dp, u.job_id),
            blockers=[dp.jobs[b].shown for b in u.blockers if b in dp.jobs],
        )
        for u in sol.unassigned
    )
    session.add_all(
        UnassignedJob(
            plan_id=plan.id,
            job_ref=ref,
            ticket_id=dp.jobs[ref].ticket_id,
            delivery_id=(dp.jobs[ref].delivery_ids or (None,))[0],
            reason=UnassignedReason.BAD_INPUT.value,
            detail=why,
            priority=dp.jobs[ref].score,
            priority_class=dp.jobs[ref].priority_class,
            constraint="window",
            skill=dp.jobs[ref].skill,
            windows=[],
            blockers=[],
        )
        for ref, why in dp.refused.items()
    )
    record(
        session,
        actor,
        "plan",
        plan.id,
        "create",
        kind=dp.kind,
        day=dp.day,
        region=dp.region,
        label=label,
        placed=plan.stats["jobs_placed"],
        total=plan.stats["jobs_total"],
    )
    return plan.id


def _windows(dp: DayProblem, job_id: str) -> list[list[str | None]]:
    """The job's service windows as local ISO pairs (empty: any time of a shift)."""
    job = next((j for j in dp.problem.jobs if j.id == job_id), None)
    if job is None:
        return []
    return [
        [local_iso(dp.to_local(w.start_s)), local_iso(dp.to_local(w.end_s))]
        for w in job.windows
    ]


def _reason_text(kind: str, reason: str) -> str:
    """The engine speaks of technicians; a courier plan's reasons speak of vans."""
    if kind == "couriers":
        return reason.replace("every technician's day", "every van's round").replace(
            "technician", "van"
        )
    return reason


def _class_counts(dp: DayProblem, placed: Any) -> dict[str, dict[str, int]]:
    """Jobs and placed jobs per priority class, highest first (``urgent: 3/4``)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"jobs": 0, "placed": 0})
    for ref, jm in dp.jobs.items():
        out[jm.priority_class]["jobs"] += 1
        out[jm.priority_class]["placed"] += ref in placed
    return {class_name(c): out[c] for c in sorted(out, reverse=True)}


def plan_stats(dp: DayProblem, sol: Solution, violations: int) -> dict[str, Any]:
    """Figures a dispatcher compares plans on: km, jobs placed, SLA met per tier."""
    placed = {s.job_id: s for r in sol.routes for s in r.stops}
    per_tier: dict[str, dict[str, int]] = defaultdict(
        lambda: {"jobs": 0, "placed": 0, "sla_met": 0}
    )
    score_total = score_placed = 0
    for ref, jm in dp.jobs.items():
        t = per_tier[jm.tier]
        t["jobs"] += 1
        score_total += jm.score
        if ref in placed:
            t["placed"] += 1
            score_placed += jm.score
            if (
                jm.sla_due_at is None
                or dp.to_local(placed[ref].start_s) <= jm.sla_due_at
            ):
                t["sla_met"] += 1
    return {
        "jobs_total": len(dp.jobs),
        "jobs_placed": len(placed),
        "vehicles_total": len(dp.vehicles),
        "vehicles_used": len(sol.routes),
        "km": round(sum(r.distance_m for r in sol.routes) / 1000, 1),
        "drive_minutes": round(sum(r.duration_s for r in sol.routes) / 60, 1),
        "priority_served_pct": served_pct(score_placed, score_total),
        "priority_classes": _class_counts(dp, placed.keys()),
        "per_tier": dict(per_tier),
        "reasons": dict(
            Counter(
                [_reason_text(dp.kind, str(u.reason)) for u in sol.unassigned]
                + [UnassignedReason.BAD_INPUT.value] * len(dp.refused)
            )
        ),
        "idle": {(dp.vehicles[ref].name or ref): why for ref, why in dp.idle.items()},
        "objective": sol.objective.cost,
        "status": sol.status,
        "solve_seconds": round(sol.elapsed_s, 2),
        "violations": violations,
        "replan": sol.details.get("replan", ""),
    }


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
    lat: float | None = (
        None  # where the plan sent the vehicle (None: plans saved before 0002)
    )
    lon: float | None = None
    label: str = ""
    priority: int | None = (
        None  # the score when planned (None: plans saved before 0003)
    )
    priority_class: int | None = None


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
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnassignedView:
    job_ref: str
    ticket_id: int | None
    delivery_id: int | None
    reason: str
    detail: str
    priority: int | None = None
    priority_class: int | None = None
    constraint: str = ""
    skill: str | None = None
    windows: tuple[tuple[str, str], ...] = ()
    blockers: tuple[str, ...] = ()


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


def planned_breaks(view: PlanView) -> dict[str, tuple[int, ...]]:
    """Vehicle ref -> the break start its round planned (seconds of the day)."""
    return {
        r.vehicle_ref: (to_seconds(view.day, r.break_start_at),)
        for r in view.routes
        if r.break_start_at is not None
    }


def load_plan(session: Session, plan_id: int) -> PlanView:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    routes = session.scalars(
        select(PlanRoute).where(PlanRoute.plan_id == plan_id).order_by(PlanRoute.id)
    ).all()
    stops: dict[int, list[PlanStop]] = defaultdict(list)
    for s in session.scalars(
        select(PlanStop)
        .join(PlanRoute)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanStop.route_id, PlanStop.seq, PlanStop.id)
    ):
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
            StopView(
                seq,
                g[0].job_ref,
                g[0].ticket_id,
                tuple(x.delivery_id for x in g if x.delivery_id),
                g[0].site_id,
                g[0].arrival_at,
                g[0].start_at,
                g[0].departure_at,
                g[0].pinned,
                g[0].lat,
                g[0].lon,
                g[0].label or "",
                g[0].priority,
                g[0].priority_class,
            )
            for seq, g in sorted(grouped.items())
        )
        rviews.append(
            RouteView(
                ref,
                vid,
                names.get(vid, "Extra technician" if not vid else f"#{vid}"),
                r.km,
                r.minutes,
                r.start_at,
                r.end_at,
                r.break_start_at,
                sviews,
                tuple(r.skills or ()),
            )
        )
    un = tuple(
        UnassignedView(
            u.job_ref,
            u.ticket_id,
            u.delivery_id,
            u.reason,
            u.detail,
            u.priority,
            u.priority_class,
            u.constraint or "",
            u.skill,
            tuple((a, b) for a, b in (u.windows or ())),
            tuple(u.blockers or ()),
        )
        for u in session.scalars(
            select(UnassignedJob)
            .where(UnassignedJob.plan_id == plan_id)
            .order_by(UnassignedJob.id)
        )
    )
    return PlanView(
        plan.id,
        plan.kind,
        plan.plan_date,
        plan.region,
        plan.label,
        plan.status,
        plan.created_at,
        plan.created_by,
        plan.based_on_plan_id,
        dict(plan.stats or {}),
        tuple(rviews),
        un,
    )


def _vehicle_names(session: Session, kind: str) -> dict[int, str]:
    model = Technician if kind == "technicians" else Courier
    return dict(session.execute(select(model.id, model.name)).tuples().all())


def local_iso(at: datetime | None) -> str | None:
    return (
        at.astimezone(PARIS).replace(tzinfo=None).isoformat(timespec="seconds")
        if at
        else None
    )


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
            {
                "vehicle": r.vehicle_id or r.vehicle_ref,
                "name": r.name,
                "stops": [
                    {
                        "job": job_id(s),
                        "ref": s.job_ref,
                        "site": s.site_id,
                        "arrival": local_iso(s.arrival_at),
                        "start": local_iso(s.start_at),
                        "departure": local_iso(s.departure_at),
                        "priority": s.priority,
                        "priority_class": s.priority_class,
                    }
                    for s in r.stops
                ],
                "km": r.km,
                "minutes": r.minutes,
                "start": local_iso(r.start_at),
                "end": local_iso(r.end_at),
                "break_start": local_iso(r.break_start_at),
                "skills": list(r.skills),
            }
            for r in view.routes
        ],
        "unassigned": [
            {
                "job": job_id(u),
                "ref": u.job_ref,
                "reason": u.reason,
                "detail": u.detail,
                "constraint": u.constraint,
                "priority": u.priority,
                "priority_class": u.priority_class,
                "skill": u.skill,
                "windows": [list(w) for w in u.windows],
                "blocked_by": list(u.blockers),
            }
            for u in view.unassigned
        ],
        "stats": view.stats,
    }


def latest_plan_id(
    session: Session,
    kind: str,
    day: date,
    region: str | None = None,
    status: str | None = None,
) -> int | None:
    q = (
        select(Plan.id)
        .where(Plan.kind == kind, Plan.plan_date == day)
        .order_by(Plan.id.desc())
    )
    q = q.where(Plan.region.is_(None) if region is None else Plan.region == region)
    if status:
        q = q.where(Plan.status == status)
    return session.scalars(q.limit(1)).first()


def served_pct(score_placed: float, score_total: float, decimals: int = 1) -> float:
    """The share of the day's priority score that is placed, in per cent, floored to
    ``decimals``: 100 % only when every job's priority is served (rounding would show
    100.0 % with a visit left out). The benches print the same figure."""
    if not score_total:
        return 100.0
    scale: int = 10**decimals
    return math.floor(100 * scale * score_placed / score_total) / scale
