"""A day's committed rounds, per technician: what a new visit must fit around.

For each technician working the day (shift, break, skills, home: the planner's own
``technician_vehicles``) the round is the route of the newest *published* plan of
that day, else of the newest draft; without any plan it starts empty. Visits booked
for the day that no plan holds yet are then inserted where they cost least, so a
booking made this morning counts before tonight's plan. Every visit keeps its
promised window; unbooked visits in a plan may move in time but not leave.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from sqlalchemy import case, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import (
    Customer,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    VisitBooking,
)
from dispatch.planning.builder import Variant, technician_vehicles, to_seconds
from routing import HaversineTravel, Job, TimeWindow, Vehicle
from routing.construct import drive_s, schedule

#: Ticket states whose visit still occupies its place in a round.
LIVE_STATES = ("triaged", "scheduled", "in progress")


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    technician_id: int
    name: str
    vehicle: Vehicle
    jobs: tuple[Job, ...]

    @property
    def work_s(self) -> int:
        """Working time of the shift, breaks excluded."""
        s = self.vehicle.shift
        return s.end_s - s.start_s - sum(b.duration_s for b in self.vehicle.breaks)


@dataclass(frozen=True, slots=True, kw_only=True)
class DayLoad:
    """Rounds of one day; ``target`` is the location index of the visit to place."""

    day: date
    rounds: tuple[Round, ...]
    durations: np.ndarray
    distances: np.ndarray
    target: int
    source: str  # "published plan 12" / "draft plan 14" / "no plan yet"

    def used_s(self, vehicle: Vehicle, jobs: tuple[Job, ...] | list[Job]) -> int:
        """Driving plus time on site: the part of the shift the round takes."""
        return drive_s(vehicle, list(jobs), self.durations) + sum(
            j.service_s for j in jobs
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Insertion:
    position: int
    added_s: int
    added_m: int
    used_s: int  # the round's driving + on-site time with the visit


def window_of(day: date, t: RepairTicket) -> tuple[TimeWindow, ...]:
    """The ticket's promised window on ``day``, as seconds (none on another day)."""
    if (
        t.window_start is None
        or t.window_end is None
        or t.window_start.astimezone(PARIS).date() != day
    ):
        return ()
    return (
        TimeWindow(
            start_s=to_seconds(day, t.window_start),
            end_s=max(to_seconds(day, t.window_start), to_seconds(day, t.window_end)),
        ),
    )


def _plans(session: Session, day: date) -> list[tuple[int, str]]:
    return [
        (int(i), str(st))
        for i, st in session.execute(
            select(Plan.id, Plan.status)
            .where(
                Plan.kind == "technicians",
                Plan.plan_date == day,
                Plan.status.in_(("published", "draft")),
            )
            .order_by(case((Plan.status == "published", 0), else_=1), Plan.id.desc())
        ).tuples()
    ]


def load_day(
    session: Session,
    day: date,
    region: str | None,
    target: tuple[float, float],
    *,
    technician_id: int | None = None,
    exclude_ticket: int | None = None,
) -> DayLoad:
    """The committed rounds of ``day`` for the region's technicians (or one of them)."""
    vehicles = [
        (v, m, home)
        for v, m, home in technician_vehicles(session, day, region, Variant())
        if m.technician_id is not None
        and (technician_id is None or m.technician_id == technician_id)
    ]
    tech_ids = [m.technician_id for _, m, _ in vehicles]
    locations: list[tuple[float, float]] = []

    def loc(p: tuple[float, float]) -> int:
        locations.append(p)
        return len(locations) - 1

    plans = _plans(session, day)
    covered: dict[int, int] = {}  # technician -> route id of the chosen plan
    source = "no plan yet"
    if plans and tech_ids:
        order = {pid: k for k, (pid, _) in enumerate(plans)}
        routes = session.execute(
            select(PlanRoute.id, PlanRoute.plan_id, PlanRoute.technician_id).where(
                PlanRoute.plan_id.in_(list(order)),
                PlanRoute.technician_id.in_(tech_ids),
            )
        ).tuples()
        best: dict[int, tuple[int, int]] = {}
        for rid, pid, tid in routes:
            if tid is not None and (tid not in best or order[pid] < best[tid][0]):
                best[tid] = (order[pid], rid)
        covered = {tid: rid for tid, (_, rid) in best.items()}
        pid, status = plans[0]
        source = f"{status} plan {pid}"
    stops: dict[int, list[tuple[int, float | None, float | None]]] = defaultdict(list)
    if covered:
        by_route = {rid: tid for tid, rid in covered.items()}
        for rid, tid, lat, lon in session.execute(
            select(PlanStop.route_id, PlanStop.ticket_id, PlanStop.lat, PlanStop.lon)
            .where(
                PlanStop.route_id.in_(list(by_route)), PlanStop.ticket_id.is_not(None)
            )
            .order_by(PlanStop.route_id, PlanStop.seq)
        ).tuples():
            if tid is not None:
                stops[by_route[rid]].append((tid, lat, lon))
    booked = session.execute(
        select(VisitBooking.technician_id, RepairTicket, Customer.lat, Customer.lon)
        .join(RepairTicket, RepairTicket.id == VisitBooking.ticket_id)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(VisitBooking.day == day, VisitBooking.technician_id.in_(tech_ids))
        .order_by(VisitBooking.id)
    ).tuples()
    pending: dict[int, list[tuple[RepairTicket, float, float]]] = defaultdict(list)
    for tid, t, lat, lon in booked:
        pending[tid].append((t, lat, lon))
    in_plans = {tk for v in stops.values() for tk, _, _ in v}
    ids = in_plans | {t.id for v in pending.values() for t, _, _ in v}
    tickets = {
        t.id: t
        for t in session.scalars(select(RepairTicket).where(RepairTicket.id.in_(ids)))
    }
    where = {
        t.id: (c_lat, c_lon)
        for t, c_lat, c_lon in session.execute(
            select(RepairTicket, Customer.lat, Customer.lon)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(RepairTicket.id.in_(in_plans))
        ).tuples()
    }

    def live(t: RepairTicket) -> bool:
        return (
            t.id != exclude_ticket
            and t.status in LIVE_STATES
            and (t.visit_on is None or t.visit_on == day)
        )

    def job(t: RepairTicket, p: tuple[float, float]) -> Job:
        return Job(
            id=f"T{t.id}",
            location=loc(p),
            service_s=t.duration_min * 60,
            windows=window_of(day, t),
            skills=frozenset({t.required_skill}) if t.required_skill else frozenset(),
        )

    raw: list[tuple[Vehicle, int, str, list[Job], list[Job]]] = []
    for v, m, home in vehicles:
        tid = m.technician_id
        assert tid is not None
        hi = loc(home)
        jobs = []
        for tk, lat, lon in stops.get(tid, []):
            row = tickets.get(tk)
            if row is not None and live(row):
                p = (lat, lon) if lat is not None and lon is not None else where[tk]
                jobs.append(job(row, p))
        held = {j.id for j in jobs}
        extra = [
            job(t, (lat, lon))
            for t, lat, lon in pending.get(tid, [])
            if live(t) and f"T{t.id}" not in held
        ]
        raw.append((replace(v, start=hi, end=hi), tid, m.name, jobs, extra))
    target_ix = loc(target)
    matrix = HaversineTravel().matrix(locations)
    d = matrix.durations_s
    rounds = []
    for v, tid, name, jobs, extra in raw:
        for j in extra:
            jobs = _insert_anyway(v, jobs, j, d)
        rounds.append(Round(technician_id=tid, name=name, vehicle=v, jobs=tuple(jobs)))
    return DayLoad(
        day=day,
        rounds=tuple(rounds),
        durations=d,
        distances=matrix.distances_m,
        target=target_ix,
        source=source,
    )


def _insert_anyway(v: Vehicle, jobs: list[Job], j: Job, d: np.ndarray) -> list[Job]:
    """A booked visit goes where it fits best; if nowhere (the day changed), at the
    end, so its time still counts against the round."""
    best: tuple[int, int] | None = None
    for pos in range(len(jobs) + 1):
        trial = [*jobs[:pos], j, *jobs[pos:]]
        if schedule(v, trial, d) is None:
            continue
        added = drive_s(v, trial, d)
        if best is None or added < best[0]:
            best = (added, pos)
    pos = best[1] if best else len(jobs)
    return [*jobs[:pos], j, *jobs[pos:]]


def best_insertion(load: DayLoad, r: Round, job: Job) -> Insertion | None:
    """The cheapest feasible place of ``job`` in round ``r`` (shift, break, every
    other visit's window), or None."""
    d, m = load.durations, load.distances
    v, jobs = r.vehicle, list(r.jobs)
    locs = [v.start, *(j.location for j in jobs), v.end]
    x = job.location
    cands = sorted(
        (
            int(d[locs[p], x]) + int(d[x, locs[p + 1]]) - int(d[locs[p], locs[p + 1]]),
            p,
        )
        for p in range(len(jobs) + 1)
    )
    for added, pos in cands:
        trial = [*jobs[:pos], job, *jobs[pos:]]
        if schedule(v, trial, d) is None:
            continue
        a, b = locs[pos], locs[pos + 1]
        added_m = int(m[a, x]) + int(m[x, b]) - int(m[a, b])
        return Insertion(
            position=pos,
            added_s=added,
            added_m=added_m,
            used_s=load.used_s(v, trial),
        )
    return None
