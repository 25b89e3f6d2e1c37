"""The rest of a day as a routing problem: what the field reports freeze, where each
technician is free again, and which visits stay with their technician (see ``replan``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import (
    Plan,
    PlanRoute,
    PlanStop,
    Visit,
)
from dispatch.field.visits import FINISHED, STARTED, VisitStatus
from dispatch.planning.builder import DayProblem, Variant, technician_day, to_seconds
from dispatch.planning.saved import PlanView, load_plan
from routing import (
    Break,
    Objective,
    Problem,
    Route,
    Solution,
    Stop,
    TimeWindow,
)


class ReplanError(ValueError):
    """The re-plan cannot start (no published plan, unknown ticket or technician...)."""


@dataclass(frozen=True, slots=True)
class _Frozen:
    """A technician's visits that stay as they are, and when/where they are free."""

    stops: tuple[PlanStop, ...]
    free_at: datetime
    place: tuple[float, float] | None  # None: at home


# --- the rest of the day as a problem ------------------------------------------------


def _published(session: Session, day: date) -> int:
    pid = session.scalar(
        select(Plan.id)
        .where(
            Plan.kind == "technicians",
            Plan.plan_date == day,
            Plan.status == "published",
        )
        .order_by(Plan.region.is_not(None), Plan.id.desc())
        .limit(1)
    )
    if pid is None:
        raise ReplanError(f"no published technician plan on {day}: publish one first")
    return int(pid)


def _frozen(session: Session, view: PlanView, at: datetime) -> dict[str, _Frozen]:
    """Vehicle ref -> its frozen stops (any visit reported started), in round order."""
    ids = [s.ticket_id for r in view.routes for s in r.stops if s.ticket_id]
    visits = {
        v.ticket_id: v
        for v in session.scalars(
            select(Visit).where(Visit.visit_on == view.day, Visit.ticket_id.in_(ids))
        )
    }
    stops = {
        s.id: s
        for s in session.scalars(
            select(PlanStop)
            .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
            .where(PlanRoute.plan_id == view.id)
        )
    }
    by_ref = {(s.route_id, s.job_ref): s for s in stops.values()}
    routes = {
        r.technician_id: r.id
        for r in session.scalars(select(PlanRoute).where(PlanRoute.plan_id == view.id))
    }
    out: dict[str, _Frozen] = {}
    for r in view.routes:
        started = [
            s for s in r.stops
            if s.ticket_id in visits and VisitStatus(visits[s.ticket_id].status) in STARTED
        ]  # fmt: skip
        if not started:
            continue
        last = started[-1]
        assert last.ticket_id is not None  # started: it has a visit, so a ticket
        v = visits[last.ticket_id]
        service = last.departure_at - last.start_at
        status = VisitStatus(v.status)
        if status in FINISHED:
            free = max(at, v.completed_at or at)
        elif status is VisitStatus.ARRIVED:
            free = max(at, (v.arrived_at or at) + service)
        else:
            free = max(at, v.eta_at or at) + service
        rows = tuple(by_ref[(routes[r.vehicle_id], s.job_ref)] for s in started)
        place = (
            (last.lat, last.lon)
            if last.lat is not None and last.lon is not None  # saved together
            else None
        )
        out[r.vehicle_ref] = _Frozen(rows, free, place)
    return out


def _vehicle_from(v: Any, dp: DayProblem, free: datetime, start_loc: int | None) -> Any:
    """The vehicle leaving ``start_loc`` (or home) at ``free``; a break that can no
    longer fit is taken as taken."""
    free_s = max(v.shift.start_s, to_seconds(dp.day, free))
    free_s = min(free_s, v.shift.end_s)
    breaks: list[Break] = []
    for b in v.breaks:
        lo = max(b.window.start_s, free_s)
        if b.window.end_s - lo >= b.duration_s:
            breaks.append(
                replace(b, window=TimeWindow(start_s=lo, end_s=b.window.end_s))
            )
    return replace(
        v,
        start=v.start if start_loc is None else start_loc,
        shift=TimeWindow(start_s=free_s, end_s=v.shift.end_s),
        breaks=tuple(breaks),
    )


def _initial(
    problem: Problem,
    order: Mapping[str, Sequence[str]],
    breaks: Mapping[str, Sequence[int]] | None = None,
) -> Solution | None:
    """The current order as a starting solution (times left to the solver); ``breaks``:
    each vehicle's planned break starts, kept when the start is replayed."""
    jobs = {j.id for j in problem.jobs}
    routes = tuple(
        Route(
            vehicle_id=v.id,
            stops=tuple(
                Stop(job_id=j, arrival_s=0, start_s=0, departure_s=0)
                for j in order.get(v.id, ())
                if j in jobs
            ),
            start_s=0,
            end_s=0,
            distance_m=0,
            duration_s=0,
            break_starts_s=tuple((breaks or {}).get(v.id, ())),
        )
        for v in problem.vehicles
        if order.get(v.id)
    )
    if not routes:
        return None
    return Solution(
        routes=routes,
        unassigned=(),
        status="INITIAL",
        elapsed_s=0.0,
        objective=Objective(
            cost=0, distance_m=0, duration_s=0, penalty=0, jobs_placed=0,
            jobs_total=len(jobs),
        ),
    )  # fmt: skip


def rest_of_day(
    session: Session,
    day: date,
    at: datetime,
    *,
    absent: Sequence[int] = (),
    late: Mapping[int, int] | None = None,
    emergency: int | None = None,
) -> tuple[DayProblem, PlanView, dict[str, _Frozen], set[str]]:
    """The day's remaining work as a problem, the published plan, the frozen stops and
    the jobs free to move (everything else keeps its technician in pass 1)."""
    published = load_plan(session, _published(session, day))
    frozen = _frozen(session, published, at)
    dp = technician_day(session, day, None, Variant(absent=tuple(absent)))
    frozen_jobs = {s.job_ref for f in frozen.values() for s in f.stops}
    owner = {j: r for j, r in published.owner().items() if j not in frozen_jobs}
    vehicles = {v.id for v in dp.problem.vehicles}
    locations = list(dp.problem.locations)
    new_vehicles = []
    for v in dp.problem.vehicles:
        f = frozen.get(v.id)
        meta = dp.vehicles[v.id]
        extra = (late or {}).get(meta.technician_id or -1, 0)
        start_loc = None
        if f is not None and f.place is not None:
            locations.append(f.place)
            start_loc = len(locations) - 1
        free = (f.free_at if f else at) + timedelta(minutes=extra)
        new_vehicles.append(_vehicle_from(v, dp, free, start_loc))
    top = max((j.priority for j in dp.problem.jobs), default=1)
    top_class = max((j.priority_class for j in dp.problem.jobs), default=0)
    free_jobs: set[str] = set()
    jobs = []
    for j in dp.problem.jobs:
        if j.id in frozen_jobs:
            continue
        mine = owner.get(j.id)
        if emergency is not None and j.id == f"T{emergency}":
            # above everything, a dispatcher's pins and booked windows included
            j = replace(
                j, priority=top + 1, priority_class=top_class + 1, pinned_vehicle=None
            )
            free_jobs.add(j.id)
        elif j.pinned_vehicle is None and mine in vehicles:
            j = replace(j, pinned_vehicle=mine)
        elif j.pinned_vehicle is None:
            free_jobs.add(j.id)
        jobs.append(j)
    problem = Problem(
        locations=tuple(locations),
        vehicles=tuple(new_vehicles),
        jobs=tuple(jobs),
        name=f"rest of {day} from {at.astimezone(PARIS):%H:%M}",
    )
    keep = {j.id for j in jobs}
    dp = replace(
        dp, problem=problem, jobs={k: m for k, m in dp.jobs.items() if k in keep}
    )
    return dp, published, frozen, free_jobs
