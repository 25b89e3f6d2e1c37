"""Baselines the planner is measured against (benchmarks only, not product code).

- :func:`greedy`: jobs in priority order, each inserted where it adds the least
  driving time (cheapest insertion), respecting windows, skills, shifts, breaks.
- :func:`vroom_solve`: VROOM (pyvroom) on the same matrix, skills, windows, breaks
  and priorities.

Both return a ``routing.Solution`` so the same validator checks every answer.
"""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import numpy as np

from routing import (
    Job,
    Objective,
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
)
from routing.construct import drive_s, priority_insertion, schedule
from routing.matrix import Matrix


def greedy(problem: Problem, matrix: Matrix, *, candidates: int = 15) -> Solution:
    """Priority order, cheapest feasible insertion (``routing.construct``), no search after."""
    t0 = time.monotonic()
    routes_ids = priority_insertion(problem, matrix, candidates=candidates)
    elapsed = time.monotonic() - t0
    by_id = {j.id: j for j in problem.jobs}
    d, dist = matrix.durations_s, matrix.distances_m
    routes = []
    for v, ids in zip(problem.vehicles, routes_ids, strict=True):
        if not ids:
            continue
        jobs = [by_id[i] for i in ids]
        sched = schedule(v, jobs, d)
        assert sched is not None
        stops, breaks, end = sched
        locs = [v.start, *(j.location for j in jobs), v.end]
        routes.append(
            Route(
                vehicle_id=v.id,
                start_s=v.shift.start_s,
                end_s=end,
                break_starts_s=tuple(breaks),
                stops=tuple(
                    Stop(job_id=j.id, arrival_s=a, start_s=s, departure_s=e)
                    for j, (a, s, e) in zip(jobs, stops, strict=True)
                ),
                distance_m=int(
                    sum(int(dist[a, b]) for a, b in itertools.pairwise(locs))
                ),
                duration_s=drive_s(v, jobs, d),
            )
        )
    placed = {s.job_id for r in routes for s in r.stops}
    return _solution(problem, routes, placed, "GREEDY", elapsed)


def _solution(
    problem: Problem, routes: list[Route], placed: set[str], status: str, elapsed: float
) -> Solution:
    """A baseline's answer: every job it did not place dropped for want of room, its
    distance and driving time summed over the routes (no cost or penalty of ours)."""
    dropped = tuple(
        Unassigned(job_id=j.id, reason=UnassignedReason.NO_ROOM)
        for j in problem.jobs
        if j.id not in placed
    )
    obj = Objective(
        cost=0.0,
        distance_m=sum(r.distance_m for r in routes),
        duration_s=sum(r.duration_s for r in routes),
        penalty=0.0,
        jobs_placed=len(placed),
        jobs_total=len(problem.jobs),
    )
    return Solution(
        routes=tuple(routes),
        unassigned=dropped,
        objective=obj,
        status=status,
        elapsed_s=elapsed,
    )


def vroom_solve(
    problem: Problem,
    matrix: Matrix,
    priorities: dict[str, int],
    *,
    exploration: int = 5,
    threads: int = 2,
    timeout_s: float | None = None,
) -> Solution:
    """VROOM with the same matrix, skills (as ints), windows, breaks and 0-100 priorities."""
    try:
        import vroom
    except ImportError:
        raise SystemExit(
            "VROOM (pyvroom) is not installed: `make bench` installs the bench extra"
        ) from None

    t0 = time.monotonic()
    skill_ids = {
        s: i
        for i, s in enumerate(
            sorted(
                {s for v in problem.vehicles for s in v.skills}
                | {s for j in problem.jobs for s in j.skills}
            )
        )
    }
    inp = vroom.Input()
    inp.set_durations_matrix(
        profile="car", matrix_input=matrix.durations_s.astype(np.uint32)
    )
    vids = {v.id: k for k, v in enumerate(problem.vehicles)}
    loads = any(j.demand for j in problem.jobs)
    big = sum(abs(j.demand) for j in problem.jobs) + 1
    cap = (lambda v: {"capacity": [v.capacity or big]}) if loads else (lambda v: {})
    for v in problem.vehicles:
        inp.add_vehicle(
            vroom.Vehicle(
                vids[v.id],
                start=v.start,
                end=v.end,
                skills={skill_ids[s] for s in v.skills},
                **cap(v),
                time_window=vroom.TimeWindow(v.shift.start_s, v.shift.end_s),
                breaks=[
                    vroom.Break(
                        k,
                        time_windows=[
                            vroom.TimeWindow(
                                b.window.start_s, b.window.end_s - b.duration_s
                            )
                        ],
                        service=b.duration_s,
                    )
                    for k, b in enumerate(v.breaks)
                ],
            )
        )
    jids = {j.id: k for k, j in enumerate(problem.jobs)}
    by_id = {j.id: j for j in problem.jobs}
    paired = {j.pickup_of for j in problem.jobs if j.pickup_of}
    amount = (lambda q: {"pickup": [max(0, q)]}) if loads else (lambda q: {})

    def windows(j: Job) -> list[object]:
        return [vroom.TimeWindow(w.start_s, w.end_s) for w in j.windows]

    for j in problem.jobs:
        if j.pickup_of is not None:  # a pair: one VROOM shipment, pickup first
            p = by_id[j.pickup_of]
            extra = {"amount": [max(0, p.demand + j.demand)]} if loads else {}
            inp.add_shipment(
                vroom.Shipment(
                    pickup=vroom.ShipmentStep(jids[p.id], location=p.location,
                                              default_service=p.service_s,
                                              time_windows=windows(p) or ()),
                    delivery=vroom.ShipmentStep(jids[j.id], location=j.location,
                                                default_service=j.service_s,
                                                time_windows=windows(j) or ()),
                    skills={skill_ids[s] for s in j.skills | p.skills},
                    priority=priorities[j.id],
                    **extra,
                )
            )  # fmt: skip
            continue
        if j.id in paired:
            continue
        inp.add_job(
            vroom.Job(
                jids[j.id],
                location=j.location,
                default_service=j.service_s,
                skills={skill_ids[s] for s in j.skills},
                priority=priorities[j.id],
                time_windows=windows(j) or (),
                **amount(j.demand),
            )
        )
    sol = inp.solve(exploration_level=exploration, nb_threads=threads,
                    timeout=None if timeout_s is None else timedelta(seconds=timeout_s))  # fmt: skip
    elapsed = time.monotonic() - t0
    df = sol.routes
    by_job = {k: j for j, k in jids.items()}
    by_vehicle = {k: v for v, k in vids.items()}
    routes = []
    placed: set[str] = set()
    for vk, grp in df.groupby("vehicle_id"):
        v = problem.vehicle(by_vehicle[int(vk)])
        stops, breaks, start_s, end_s = [], [], v.shift.start_s, v.shift.end_s
        locs = [v.start]
        for row in grp.itertuples():
            kind = str(row.type)
            begin = int(row.arrival) + int(row.waiting_time)
            if kind == "start":
                start_s = int(row.arrival)
            elif kind == "end":
                end_s = int(row.arrival)
            elif kind == "break":
                breaks.append(begin)
            elif kind in ("job", "pickup", "delivery"):
                j = problem.job(by_job[int(row.id)])
                stops.append(
                    Stop(
                        job_id=j.id,
                        arrival_s=int(row.arrival),
                        start_s=begin,
                        departure_s=begin + j.service_s,
                    )
                )
                placed.add(j.id)
                locs.append(j.location)
        locs.append(v.end)
        if stops:
            dist = int(
                sum(matrix.distances_m[a, b] for a, b in itertools.pairwise(locs))
            )
            dur = int(
                sum(matrix.durations_s[a, b] for a, b in itertools.pairwise(locs))
            )
            routes.append(
                Route(
                    vehicle_id=v.id,
                    stops=tuple(stops),
                    start_s=start_s,
                    end_s=end_s,
                    distance_m=dist,
                    duration_s=dur,
                    break_starts_s=tuple(breaks),
                )
            )
    return _solution(problem, routes, placed, "VROOM", elapsed)
