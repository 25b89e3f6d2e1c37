"""Why a job is unassigned: pure checks on the Problem, testable by hand.

A job that no vehicle could ever serve alone gets a *structural* reason (skill,
shift/window, capacity) and is kept out of the solver model altogether; a job
the solver dropped while it was structurally possible gets ``NO_ROOM``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from routing.matrix import Matrix
from routing.model import (
    Job,
    Problem,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
    Vehicle,
)
from routing.slots import fit, spans


def skilled_vehicles(problem: Problem, job: Job) -> list[Vehicle]:
    """Vehicles holding all the job's skills (and its pinned one only, if pinned)."""
    return [
        v
        for v in problem.vehicles
        if job.skills <= v.skills
        and (job.pinned_vehicle is None or v.id == job.pinned_vehicle)
        and v.max_visits != 0
    ]


def shift_reaches(vehicle: Vehicle, job: Job, matrix: Matrix) -> bool:
    """Whether the vehicle can leave at shift start, serve the job in a window and get back in time."""
    d = matrix.durations_s
    arrival = vehicle.shift.start_s + int(d[vehicle.start, job.location])
    back = int(d[job.location, vehicle.end])
    for w in job.allowed_starts():
        start = max(arrival, w.start_s)
        if start <= w.end_s and start + job.service_s + back <= vehicle.shift.end_s:
            return True
    return False


def fits_capacity(vehicle: Vehicle, job: Job) -> bool:
    """Whether the job's load fits the vehicle (capacity 0 = unlimited)."""
    return vehicle.capacity == 0 or abs(job.demand) <= vehicle.capacity


def _alone(
    problem: Problem, job: Job, matrix: Matrix
) -> tuple[Unassigned | None, set[str]]:
    """The structural reason for one job ignoring its partner, and the vehicles that could do it."""
    if job.pinned_start is not None and not job.allowed_starts():
        return Unassigned(
            job_id=job.id,
            reason=UnassignedReason.PIN_IMPOSSIBLE,
            detail="pinned start is outside every window",
        ), set()
    skilled = skilled_vehicles(problem, job)
    if not skilled:
        need = ", ".join(sorted(job.skills)) or "none"
        pin = f"; pinned to {job.pinned_vehicle}" if job.pinned_vehicle else ""
        return Unassigned(
            job_id=job.id, reason=UnassignedReason.NO_SKILL, detail=f"needs {need}{pin}"
        ), set()
    reach = [v for v in skilled if shift_reaches(v, job, matrix)]
    if not reach:
        return Unassigned(
            job_id=job.id,
            reason=UnassignedReason.NO_SHIFT_REACHES_WINDOW,
            detail=f"{len(skilled)} skilled vehicle(s), none can reach a window and return in shift",
        ), set()
    fit = [v for v in reach if fits_capacity(v, job)]
    if not fit:
        biggest = max(v.capacity for v in reach)
        return Unassigned(
            job_id=job.id,
            reason=UnassignedReason.OVER_CAPACITY,
            detail=f"demand {abs(job.demand)} > largest capacity {biggest}",
        ), set()
    return None, {v.id for v in fit}


def structural_reasons(
    problem: Problem, matrix: Matrix, only: Iterable[str] | None = None
) -> dict[str, Unassigned]:
    """Jobs that no vehicle can serve, whatever else is planned, by job id.

    A pickup-and-delivery pair is impossible as a whole when either leg is, or
    when no single vehicle can do both legs. ``only`` limits the (jobs x
    vehicles) work to some jobs and their partners.
    """
    jobs = list(problem.jobs)
    if only is not None:
        wanted = set(only)
        partner = {j.pickup_of: j.id for j in jobs if j.pickup_of is not None}
        wanted |= {partner[i] for i in wanted if i in partner}
        wanted |= {
            j.pickup_of for j in jobs if j.id in wanted and j.pickup_of is not None
        }
        jobs = [j for j in jobs if j.id in wanted]
    out: dict[str, Unassigned] = {}
    can: dict[str, set[str]] = {}
    for job in jobs:
        reason, vehicles = _alone(problem, job, matrix)
        if reason is not None:
            out[job.id] = reason
        can[job.id] = vehicles
    for job in jobs:
        if job.pickup_of is None:
            continue
        pair = (job.pickup_of, job.id)
        for a, b in (pair, pair[::-1]):
            if a in out and b not in out:
                out[b] = Unassigned(
                    job_id=b,
                    reason=UnassignedReason.PARTNER_UNPLACED,
                    detail=f"partner {a}: {out[a].reason.value}",
                )
        if not out.keys() & set(pair) and not can[pair[0]] & can[pair[1]]:
            for a, b in (pair, pair[::-1]):
                out[a] = Unassigned(
                    job_id=a,
                    reason=UnassignedReason.PARTNER_UNPLACED,
                    detail=f"no single vehicle can do both {a} and {b}",
                )
    return out


def explain(
    problem: Problem,
    matrix: Matrix,
    dropped: Iterable[str],
    *,
    structural: dict[str, Unassigned] | None = None,
    only: Iterable[str] | None = None,
) -> tuple[Unassigned, ...]:
    """A reason for each dropped job id: structural if any, else ``NO_ROOM``."""
    if structural is None:
        structural = structural_reasons(problem, matrix, only)
    priority = {j.id: j.priority for j in problem.jobs}
    out = []
    for job_id in dropped:
        if job_id in structural:
            out.append(structural[job_id])
        else:
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.NO_ROOM,
                    detail=f"priority {priority[job_id]}",
                )
            )
    return tuple(out)


def explain_plan(
    problem: Problem,
    solution: Solution,
    matrix: Matrix,
    dropped: Iterable[str] | None = None,
    *,
    name: Callable[[str], str] = str,
) -> tuple[Unassigned, ...]:
    """True reasons read from the final routes, one per dropped job.

    Structural reasons first (skill, window, shift, capacity, pin, partner).
    Otherwise every vehicle that could do the job alone is asked why it does
    not, with the slot test of :mod:`routing.slots` (other stops kept): its
    visit count is at the maximum; it would fit but for a planned break; it
    cannot reach it within its shift though idle; or its stops fill the job's window.
    The last names the placed jobs filling those hours, most important first,
    and says "higher-priority" only when each of them is of a higher class, or
    of the same class with a higher priority.
    """
    placed = {s.job_id for r in solution.routes for s in r.stops}
    if dropped is None:
        dropped = [j.id for j in problem.jobs if j.id not in placed]
    dropped = list(dropped)
    structural = structural_reasons(problem, matrix, only=dropped)
    jobs = {j.id: j for j in problem.jobs}
    routes = {r.vehicle_id: r for r in solution.routes}
    out: list[Unassigned] = []
    for job_id in dropped:
        if job_id in structural:
            out.append(structural[job_id])
            continue
        job = jobs[job_id]
        can = [
            v
            for v in skilled_vehicles(problem, job)
            if shift_reaches(v, job, matrix) and fits_capacity(v, job)
        ]
        kinds: set[str] = set()
        blockers: dict[str, Job] = {}
        names: list[str] = []
        for v in can:
            r = routes.get(v.id)
            stops = list(r.stops) if r else []
            names.append(name(v.id))
            if v.max_visits is not None and len(stops) >= v.max_visits:
                kinds.add("max")
                continue
            start = r.start_s if r else None

            sp = spans(v, r)
            if sp and _fits_somewhere(job, v, stops, jobs, matrix, [], start):
                kinds.add("break")
                continue
            if not stops:
                kinds.add("shift")
                continue
            kinds.add("work")
            ws = job.allowed_starts()
            lo, hi = ws[0].start_s, ws[-1].end_s + job.service_s
            for s in stops:
                if s.start_s < hi and lo < s.departure_s:
                    blockers[s.job_id] = jobs[s.job_id]
        if "work" in kinds and blockers:
            ranked = sorted(
                blockers.values(), key=lambda b: (-b.priority_class, -b.priority, b.id)
            )
            higher = all(
                (b.priority_class, b.priority) > (job.priority_class, job.priority)
                for b in ranked
            )
            shown = ", ".join(name(b.id) for b in ranked[:6])
            more = f" and {len(ranked) - 6} more" if len(ranked) > 6 else ""
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.FULL_HIGHER
                    if higher
                    else UnassignedReason.FULL,
                    detail=f"{', '.join(names[:4])}{'…' if len(names) > 4 else ''} "
                    f"could do it; their hours are taken by {shown}{more}",
                    blockers=tuple(b.id for b in ranked),
                )
            )
        elif "break" in kinds:
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.BREAK,
                    detail=f"it would fit {', '.join(names[:4])} but for a planned break",
                )
            )
        elif "shift" in kinds or "work" in kinds:
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.SHIFT_FULL,
                    detail=f"{', '.join(names[:4])} would end after their shift",
                )
            )
        elif "max" in kinds:
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.MAX_VISITS,
                    detail=f"{', '.join(names[:4])} have their maximum number of visits",
                )
            )
        else:
            out.append(
                Unassigned(
                    job_id=job_id,
                    reason=UnassignedReason.NO_ROOM,
                    detail="no vehicle can take it with the rest of the plan",
                )
            )
    return tuple(out)


def _fits_somewhere(
    job: Job,
    vehicle: Vehicle,
    stops: list[Stop],
    jobs: dict[str, Job],
    matrix: Matrix,
    breaks: list[tuple[int, int]],
    start: int | None,
) -> bool:
    return any(
        fit(job, vehicle, stops, k, jobs, matrix, breaks, route_start_s=start)
        for k in range(len(stops) + 1)
    )
