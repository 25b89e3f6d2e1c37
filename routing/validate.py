"""An independent check of a Solution against its Problem.

It never looks at the OR-Tools model: it recomputes every route from the
Problem's own travel matrix (OR-Tools has returned invalid break plans before,
ECOSYSTEM.md §3), so a bug in the model shows up as a violation here.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from routing.matrix import Matrix, TravelTimes, problem_matrix
from routing.model import Job, Problem, Route, Solution, Vehicle
from routing.slots import compatible, could_take


class Kind(StrEnum):
    """What a violation is about."""

    UNKNOWN = "unknown vehicle or job"
    DUPLICATE = "job planned more than once"
    MISSING = "job neither planned nor unassigned"
    PLANNED_AND_UNASSIGNED = "job both planned and unassigned"
    SKILL = "vehicle lacks a required skill"
    WINDOW = "service starts outside every time window"
    TRAVEL = "service starts before the vehicle can be there"
    SERVICE = "departure is not start + service time"
    SHIFT = "route outside the shift"
    BREAK = "break missing, outside its window or overlapping work"
    CAPACITY = "load outside [0, capacity]"
    PIN = "pin not honoured"
    PAIR = "pickup and delivery not on one vehicle in order"
    MAX_VISITS = "more visits than allowed"
    DISTANCE = "route distance differs from the matrix"
    INVERSION = "left out while a lower priority class holds a slot it could take"


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken rule; ``job_id`` is empty when the rule is about the whole route."""

    vehicle_id: str
    job_id: str
    kind: Kind
    detail: str


def validate(
    problem: Problem, solution: Solution, travel: TravelTimes | None = None
) -> list[Violation]:
    """Every constraint the solution breaks (empty list = valid)."""
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    out: list[Violation] = []
    planned = Counter(s.job_id for r in solution.routes for s in r.stops)
    for job_id, n in planned.items():
        if n > 1:
            out.append(
                Violation(
                    vehicle_id="",
                    job_id=job_id,
                    kind=Kind.DUPLICATE,
                    detail=f"{n} times",
                )
            )
    unassigned = {u.job_id for u in solution.unassigned}
    for job_id in unassigned & planned.keys():
        out.append(
            Violation(
                vehicle_id="",
                job_id=job_id,
                kind=Kind.PLANNED_AND_UNASSIGNED,
                detail="",
            )
        )
    for job_id in jobs.keys() - planned.keys() - unassigned:
        out.append(
            Violation(vehicle_id="", job_id=job_id, kind=Kind.MISSING, detail="")
        )
    for job_id in (planned.keys() | unassigned) - jobs.keys():
        out.append(
            Violation(
                vehicle_id="", job_id=job_id, kind=Kind.UNKNOWN, detail="no such job"
            )
        )
    seen_vehicles: set[str] = set()
    position: dict[str, tuple[str, int]] = {}
    for r in solution.routes:
        v = vehicles.get(r.vehicle_id)
        if v is None or r.vehicle_id in seen_vehicles:
            out.append(
                Violation(
                    vehicle_id=r.vehicle_id,
                    job_id="",
                    kind=Kind.UNKNOWN,
                    detail="unknown or repeated vehicle",
                )
            )
            continue
        seen_vehicles.add(r.vehicle_id)
        for k, s in enumerate(r.stops):
            position[s.job_id] = (r.vehicle_id, k)
        out.extend(_route(v, r, jobs, matrix))
    for j in problem.jobs:
        if j.pickup_of is None:
            continue
        p, d = position.get(j.pickup_of), position.get(j.id)
        if p is None and d is None:
            continue
        if p is None or d is None or p[0] != d[0] or p[1] >= d[1]:
            out.append(
                Violation(
                    vehicle_id=(d or p or ("", 0))[0],
                    job_id=j.id,
                    kind=Kind.PAIR,
                    detail=f"pickup {j.pickup_of} at {p}, delivery {j.id} at {d}",
                )
            )
    out.extend(inversions(problem, solution, matrix))
    return out


def inversions(problem: Problem, solution: Solution, matrix: Matrix) -> list[Violation]:
    """Strict priority: a left-out job never could take the slot of a lower-class job.

    "Could take" is :func:`routing.slots.could_take`: same vehicle (skills and
    pin allow it), the lower job removed, everyone else kept where planned, the
    left-out job served in the freed gap inside its window, clear of breaks, the
    next stop (or home before shift end) still reached, load and visit count
    within limits. Pickup-and-delivery legs are never compared; a pin says where a
    job goes if placed, so a pinned lower job's slot counts like any other (the
    planner gives dispatcher pins a class of their own above every score).
    """
    jobs = {j.id: j for j in problem.jobs}
    vehicles = {v.id: v for v in problem.vehicles}
    paired = {j.pickup_of for j in problem.jobs if j.pickup_of} | {
        j.id for j in problem.jobs if j.pickup_of
    }
    planned = {s.job_id for r in solution.routes for s in r.stops}
    out: list[Violation] = []
    left = [
        jobs[u.job_id]
        for u in solution.unassigned
        if u.job_id in jobs and u.job_id not in planned and u.job_id not in paired
    ]
    for a in sorted(left, key=lambda j: (-j.priority_class, j.id)):
        if a.priority_class == 0:
            continue
        found = _inversion(a, solution.routes, vehicles, jobs, paired, matrix)
        if found is not None:
            out.append(found)
    return out


def _inversion(
    a: Job,
    routes: tuple[Route, ...],
    vehicles: dict[str, Vehicle],
    jobs: dict[str, Job],
    paired: set[str],
    matrix: Matrix,
) -> Violation | None:
    for r in routes:
        v = vehicles.get(r.vehicle_id)
        if v is None or not compatible(a, v):
            continue
        if any(s.job_id not in jobs for s in r.stops):
            continue
        for k, s in enumerate(r.stops):
            b = jobs[s.job_id]
            if b.priority_class >= a.priority_class or b.id in paired:
                continue
            if could_take(a, v, r, k, jobs, matrix):
                return Violation(
                    vehicle_id=v.id,
                    job_id=a.id,
                    kind=Kind.INVERSION,
                    detail=(
                        f"class {a.priority_class} left out; {b.id} of class "
                        f"{b.priority_class} holds stop {k + 1} of {v.id}, which it could take"
                    ),
                )
    return None


def _route(v: Vehicle, r: Route, jobs: dict[str, Job], m: Matrix) -> list[Violation]:
    """Violations inside one route, recomputed stop by stop."""
    out: list[Violation] = []
    d, dist = m.durations_s, m.distances_m

    def bad(job_id: str, kind: Kind, detail: str) -> None:
        out.append(Violation(vehicle_id=v.id, job_id=job_id, kind=kind, detail=detail))

    stops = [s for s in r.stops if s.job_id in jobs]
    if len(stops) != len(r.stops):
        return out  # unknown jobs already reported
    if v.max_visits is not None and len(stops) > v.max_visits:
        bad("", Kind.MAX_VISITS, f"{len(stops)} > {v.max_visits}")
    if not v.shift.contains(r.start_s) or not v.shift.contains(r.end_s):
        bad(
            "",
            Kind.SHIFT,
            f"route {r.start_s}-{r.end_s} outside shift {v.shift.start_s}-{v.shift.end_s}",
        )

    breaks = list(zip(v.breaks, r.break_starts_s, strict=False))
    if stops and len(r.break_starts_s) != len(v.breaks):
        bad(
            "",
            Kind.BREAK,
            f"{len(r.break_starts_s)} breaks planned, {len(v.breaks)} required",
        )
    for b, bs in breaks:
        if not (b.window.start_s <= bs and bs + b.duration_s <= b.window.end_s):
            bad(
                "",
                Kind.BREAK,
                f"break at {bs}+{b.duration_s} outside {b.window.start_s}-{b.window.end_s}",
            )
    spans = sorted((bs, bs + b.duration_s) for b, bs in breaks)
    for (_, a1), (b0, _) in itertools.pairwise(spans):
        if b0 < a1:
            bad("", Kind.BREAK, f"breaks overlap at {b0}")

    def resting(t0: int, t1: int) -> int:
        """Break time taken in [t0, t1), the gap between two services."""
        return sum(b1 - b0 for b0, b1 in spans if t0 <= b0 and b1 <= t1)

    loc, dep, load, distance = v.start, r.start_s, 0, 0
    for k, s in enumerate(stops):
        j = jobs[s.job_id]
        for b0, b1 in spans:
            if b0 < s.departure_s and s.start_s < b1 and j.service_s > 0:
                bad(
                    j.id,
                    Kind.BREAK,
                    f"break {b0}-{b1} overlaps service {s.start_s}-{s.departure_s}",
                )
        earliest = dep + int(d[loc, j.location]) + resting(dep, s.start_s)
        if (
            s.start_s < earliest
            or s.arrival_s < dep + int(d[loc, j.location])
            or s.arrival_s > s.start_s
        ):
            bad(
                j.id,
                Kind.TRAVEL,
                f"start {s.start_s} / arrival {s.arrival_s}, earliest {earliest}",
            )
        if s.departure_s != s.start_s + j.service_s:
            bad(
                j.id,
                Kind.SERVICE,
                f"departure {s.departure_s} != {s.start_s} + {j.service_s}",
            )
        if not any(w.contains(s.start_s) for w in (j.windows or (v.shift,))):
            bad(
                j.id,
                Kind.WINDOW,
                f"start {s.start_s} not in {[(w.start_s, w.end_s) for w in j.windows]}",
            )
        if not j.skills <= v.skills:
            bad(j.id, Kind.SKILL, f"needs {sorted(j.skills - v.skills)}")
        if j.pinned_vehicle is not None and j.pinned_vehicle != v.id:
            bad(j.id, Kind.PIN, f"pinned to {j.pinned_vehicle}")
        if j.pinned_position is not None and j.pinned_position != k:
            bad(j.id, Kind.PIN, f"at position {k}, pinned to {j.pinned_position}")
        if j.pinned_start is not None and not j.pinned_start.contains(s.start_s):
            bad(j.id, Kind.PIN, f"start {s.start_s} outside pinned start window")
        load += j.demand
        if load < 0 or (v.capacity and load > v.capacity):
            bad(
                j.id,
                Kind.CAPACITY,
                f"load {load} after this stop, capacity {v.capacity or 'unlimited'}",
            )
        distance += int(dist[loc, j.location])
        loc, dep = j.location, s.departure_s
    if stops:
        back = dep + int(d[loc, v.end]) + resting(dep, r.end_s)
        distance += int(dist[loc, v.end])
        if r.end_s < back:
            bad("", Kind.TRAVEL, f"route ends at {r.end_s}, earliest return {back}")
        if distance != r.distance_m:
            bad(
                "", Kind.DISTANCE, f"{r.distance_m} m reported, {distance} m recomputed"
            )
    return out
