"""Baselines the planner is measured against (benchmarks only, not product code).

- :func:`greedy`: jobs in priority order, each inserted where it adds the least
  driving time (cheapest insertion), respecting windows, skills, shifts, breaks.
- :func:`vroom_solve`: VROOM (pyvroom) on the same matrix, skills, windows, breaks
  and priorities.

Both return a ``routing.Solution`` so the same validator checks every answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from routing import Job, Objective, Problem, Route, Solution, Stop, Unassigned, UnassignedReason, Vehicle
from routing.matrix import Matrix


@dataclass
class _Plan:
    vehicle: Vehicle
    jobs: list[Job]


def _schedule(v: Vehicle, jobs: list[Job], d: np.ndarray) -> tuple[list[Stop], list[int], int] | None:
    """Earliest schedule of this visiting order, breaks taken as late as allowed; None if infeasible."""
    t, loc = v.shift.start_s, v.start
    stops: list[Stop] = []
    breaks = list(v.breaks)
    taken: list[int] = []
    for j in jobs:
        travel = int(d[loc, j.location])
        start = _start_after(j, v, t + travel)
        # Take a pending break now if the next service would end past its latest start.
        while breaks and (start is None or start + j.service_s > breaks[0].window.end_s - breaks[0].duration_s):
            b = breaks.pop(0)
            bs = max(t, b.window.start_s)
            if bs + b.duration_s > b.window.end_s:
                return None
            taken.append(bs)
            t = bs + b.duration_s
            start = _start_after(j, v, t + travel)
        if start is None:
            return None
        stops.append(Stop(job_id=j.id, arrival_s=t + travel, start_s=start, departure_s=start + j.service_s))
        t, loc = start + j.service_s, j.location
    for b in breaks:
        bs = max(t, b.window.start_s)
        if bs + b.duration_s > b.window.end_s:
            return None
        taken.append(bs)
        t = bs + b.duration_s
    end = t + int(d[loc, v.end])
    if end > v.shift.end_s:
        return None
    return stops, taken, end


def _start_after(j: Job, v: Vehicle, arrival: int) -> int | None:
    for w in j.allowed_starts() if j.windows or j.pinned_start else (v.shift,):
        if arrival <= w.end_s:
            return max(arrival, w.start_s)
    return None


def _drive(v: Vehicle, jobs: list[Job], d: np.ndarray) -> int:
    locs = [v.start, *(j.location for j in jobs), v.end]
    return int(sum(d[a, b] for a, b in zip(locs, locs[1:], strict=False)))


def greedy(problem: Problem, matrix: Matrix, *, candidates: int = 15) -> Solution:
    """Priority order, cheapest feasible insertion among the nearest able vehicles."""
    t0 = time.monotonic()
    d = matrix.durations_s
    plans = {v.id: _Plan(v, []) for v in problem.vehicles}
    starts = np.array([v.start for v in problem.vehicles])
    dropped: list[Unassigned] = []
    for j in sorted(problem.jobs, key=lambda j: -j.priority):
        able = [i for i, v in enumerate(problem.vehicles)
                if j.skills <= v.skills and (j.pinned_vehicle in (None, v.id))]
        able.sort(key=lambda i: d[starts[i], j.location])
        best: tuple[int, str, int] | None = None
        for i in able[:candidates]:
            p = plans[problem.vehicles[i].id]
            base = _drive(p.vehicle, p.jobs, d)
            for pos in range(len(p.jobs) + 1):
                trial = [*p.jobs[:pos], j, *p.jobs[pos:]]
                added = _drive(p.vehicle, trial, d) - base
                if best is not None and added >= best[0]:
                    continue
                if _schedule(p.vehicle, trial, d) is not None:
                    best = (added, p.vehicle.id, pos)
        if best is None:
            dropped.append(Unassigned(job_id=j.id, reason=UnassignedReason.NO_ROOM))
        else:
            plans[best[1]].jobs.insert(best[2], j)
    return _solution(problem, matrix, plans, dropped, time.monotonic() - t0, "GREEDY")


def _solution(problem: Problem, matrix: Matrix, plans: dict[str, _Plan], dropped: list[Unassigned],
              elapsed: float, status: str) -> Solution:
    routes = []
    for p in plans.values():
        if not p.jobs:
            continue
        sched = _schedule(p.vehicle, p.jobs, matrix.durations_s)
        assert sched is not None
        stops, breaks, end = sched
        locs = [p.vehicle.start, *(j.location for j in p.jobs), p.vehicle.end]
        dist = int(sum(matrix.distances_m[a, b] for a, b in zip(locs, locs[1:], strict=False)))
        routes.append(Route(vehicle_id=p.vehicle.id, stops=tuple(stops), start_s=p.vehicle.shift.start_s,
                            end_s=end, distance_m=dist, duration_s=_drive(p.vehicle, p.jobs, matrix.durations_s),
                            break_starts_s=tuple(breaks)))
    placed = sum(len(r.stops) for r in routes)
    obj = Objective(cost=0.0, distance_m=sum(r.distance_m for r in routes),
                    duration_s=sum(r.duration_s for r in routes), penalty=0.0, jobs_placed=placed,
                    jobs_total=len(problem.jobs))
    return Solution(routes=tuple(routes), unassigned=tuple(dropped), objective=obj, status=status, elapsed_s=elapsed)


def vroom_solve(problem: Problem, matrix: Matrix, priorities: dict[str, int], *, exploration: int = 5,
                threads: int = 2) -> Solution:
    """VROOM with the same matrix, skills (as ints), windows, breaks and 0-100 priorities."""
    import vroom

    t0 = time.monotonic()
    skill_ids = {s: i for i, s in enumerate(sorted({s for v in problem.vehicles for s in v.skills}
                                                   | {s for j in problem.jobs for s in j.skills}))}
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=matrix.durations_s.astype(np.uint32))
    vids = {v.id: k for k, v in enumerate(problem.vehicles)}
    for v in problem.vehicles:
        inp.add_vehicle(vroom.Vehicle(
            vids[v.id], start=v.start, end=v.end, skills={skill_ids[s] for s in v.skills},
            time_window=vroom.TimeWindow(v.shift.start_s, v.shift.end_s),
            breaks=[vroom.Break(k, time_windows=[vroom.TimeWindow(b.window.start_s, b.window.end_s - b.duration_s)],
                                service=b.duration_s) for k, b in enumerate(v.breaks)]))
    jids = {j.id: k for k, j in enumerate(problem.jobs)}
    for j in problem.jobs:
        tws = [vroom.TimeWindow(w.start_s, w.end_s) for w in j.windows] or ()
        inp.add_job(vroom.Job(jids[j.id], location=j.location, default_service=j.service_s,
                              skills={skill_ids[s] for s in j.skills}, priority=priorities[j.id],
                              time_windows=tws))
    sol = inp.solve(exploration_level=exploration, nb_threads=threads)
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
            elif kind == "job":
                j = problem.job(by_job[int(row.id)])
                stops.append(Stop(job_id=j.id, arrival_s=int(row.arrival), start_s=begin,
                                  departure_s=begin + j.service_s))
                placed.add(j.id)
                locs.append(j.location)
        locs.append(v.end)
        if stops:
            dist = int(sum(matrix.distances_m[a, b] for a, b in zip(locs, locs[1:], strict=False)))
            dur = int(sum(matrix.durations_s[a, b] for a, b in zip(locs, locs[1:], strict=False)))
            routes.append(Route(vehicle_id=v.id, stops=tuple(stops), start_s=start_s, end_s=end_s,
                                distance_m=dist, duration_s=dur, break_starts_s=tuple(breaks)))
    dropped = tuple(Unassigned(job_id=j.id, reason=UnassignedReason.NO_ROOM) for j in problem.jobs if j.id not in placed)
    obj = Objective(cost=0.0, distance_m=sum(r.distance_m for r in routes), duration_s=sum(r.duration_s for r in routes),
                    penalty=0.0, jobs_placed=len(placed), jobs_total=len(problem.jobs))
    return Solution(routes=tuple(routes), unassigned=dropped, objective=obj, status="VROOM", elapsed_s=elapsed)
