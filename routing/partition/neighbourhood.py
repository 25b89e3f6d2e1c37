"""A local change re-solves the few vehicles it concerns; every other route is kept.

Re-planning a day after an emergency or a technician off sick does not need the
whole country: the new or orphaned jobs (the *seeds*) can only go to vehicles
near them. :func:`neighbourhood` picks, for each seed in the order given
(highest priority first), the ``per_job`` nearest vehicles able to do it (by
driving time from where the vehicle is: its start or any stop of its current
route), up to ``at_most`` vehicles, plus the vehicles the caller names (a
technician running late). The sub-problem holds those vehicles, the jobs of
their current routes, the seeds, and the left-out jobs one of those vehicles
is among the nearest to. :func:`splice` puts the sub-problem's answer back
among the kept routes. Pure: ids in, ids out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from routing.matrix import Matrix
from routing.model import Job, Objective, Problem, Solution, able, travel_cost
from routing.reasons import explain

NEAREST = 5
"""Vehicles considered per seed job."""
AT_MOST = 16
"""Vehicles in a neighbourhood (beyond the ones the caller names)."""


def reach_s(
    problem: Problem, matrix: Matrix, routes: Mapping[str, Sequence[str]]
) -> np.ndarray:
    """Seconds from each vehicle (its start or a stop of its route) to each location:
    shape (vehicles, locations)."""
    loc = {j.id: j.location for j in problem.jobs}
    d = matrix.durations_s
    out = np.empty((len(problem.vehicles), d.shape[0]), dtype=np.int64)
    for k, v in enumerate(problem.vehicles):
        at = [v.start, *(loc[j] for j in routes.get(v.id, ()) if j in loc)]
        out[k] = d[at].min(axis=0)
    return out


def nearest(job: Job, problem: Problem, reach: np.ndarray, n: int) -> list[int]:
    """The ``n`` vehicles (indices) nearest to ``job`` that can do it."""
    ks = [k for k, v in enumerate(problem.vehicles) if able(job, v)]
    ks.sort(key=lambda k: (int(reach[k, job.location]), k))
    return ks[:n]


def neighbourhood(
    problem: Problem,
    matrix: Matrix,
    routes: Mapping[str, Sequence[str]],
    seeds: Sequence[str],
    *,
    vehicles: Iterable[str] = (),
    per_job: int = NEAREST,
    at_most: int = AT_MOST,
) -> tuple[list[int], list[str]]:
    """Vehicle indices and job ids of the sub-problem around ``seeds``.

    ``routes``: each vehicle's current jobs in order (jobs not in the problem are
    ignored). ``vehicles``: ids always included (their routes change anyway).
    """
    jobs = {j.id: j for j in problem.jobs}
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    reach = reach_s(problem, matrix, routes)
    chosen: dict[int, None] = dict.fromkeys(index[v] for v in vehicles if v in index)
    cap = len(chosen) + at_most
    for s in seeds:
        if s not in jobs:
            continue
        for k in nearest(jobs[s], problem, reach, per_job):
            if len(chosen) >= cap:
                break
            chosen.setdefault(k)
    picked = set(chosen)
    ids = {problem.vehicles[k].id for k in picked}
    routed = {j: v for v, js in routes.items() for j in js if j in jobs}
    wanted = {s for s in seeds if s in jobs}
    wanted |= {j for j, v in routed.items() if v in ids}
    for j in problem.jobs:
        if j.id in routed or j.id in wanted:
            continue
        if j.pinned_vehicle is not None:
            if j.pinned_vehicle in ids:
                wanted.add(j.id)
        elif picked.intersection(nearest(j, problem, reach, per_job)):
            wanted.add(j.id)
    for j in problem.jobs:  # pairs travel together
        if j.pickup_of is not None and (j.id in wanted or j.pickup_of in wanted):
            wanted |= {j.id, j.pickup_of}
    return sorted(picked), [j.id for j in problem.jobs if j.id in wanted]


def splice(
    problem: Problem,
    matrix: Matrix,
    kept: Solution,
    local: Solution,
    local_vehicles: Collection[str],
) -> Solution:
    """``kept``'s routes outside the neighbourhood and ``local``'s inside, as one
    answer to ``problem`` (what neither places is explained from scratch)."""
    inside = set(local_vehicles)
    rank = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes = [r for r in kept.routes if r.vehicle_id not in inside]
    routes += [r for r in local.routes if r.vehicle_id in inside]
    routes.sort(key=lambda r: rank[r.vehicle_id])
    placed = {s.job_id for r in routes for s in r.stops}
    dropped = [j.id for j in problem.jobs if j.id not in placed]
    pri = {j.id: j.priority for j in problem.jobs}
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(explain(problem, matrix, dropped, only=dropped)),
        objective=Objective(
            cost=travel_cost(problem, matrix, routes),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            penalty=float(sum(pri[j] for j in dropped)),
            jobs_placed=len(placed),
            jobs_total=len(problem.jobs),
        ),
        status=local.status,
        elapsed_s=local.elapsed_s,
        details=dict(local.details),
    )
