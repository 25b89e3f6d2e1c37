"""A first solution by priority: highest priority first, each job at its cheapest feasible place.

OR-Tools' own first-solution heuristics ignore drop penalties while they build,
so on a day with too little capacity they fill it with whatever comes first and
the local search then spends its time swapping jobs back in. Inserting in
priority order gives the search a start that already serves the right jobs.

Pure Python over the integer matrix; jobs it does not handle (pickup-and-delivery
pairs, pinned positions) are left for the search to insert.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence

import numpy as np

from routing.matrix import Matrix
from routing.model import Job, Problem, TimeWindow, Vehicle

Travel = np.ndarray | Sequence[Sequence[int]]
"""Seconds between locations: the matrix, or the same as nested lists (faster to index)."""

Schedule = tuple[list[tuple[int, int, int]], list[int], int]
"""(arrival, start, departure) per stop, break starts, return time."""


def _start_after(windows: Sequence[TimeWindow], arrival: int) -> int | None:
    for w in windows:
        if arrival <= w.end_s:
            return max(arrival, w.start_s)
    return None


@functools.lru_cache(maxsize=65536)
def _starts(j: Job) -> tuple[TimeWindow, ...]:
    """``Job.allowed_starts``, computed once per job (schedule runs in the search's inner loop)."""
    return j.allowed_starts()


def schedule(v: Vehicle, jobs: Sequence[Job], d: Travel) -> Schedule | None:
    """The earliest schedule of this visiting order, or None if it breaks a rule.

    Breaks are taken between visits, as late as they may be: just before the
    first visit that would otherwise end after the break's latest start.
    """
    t, loc = v.shift.start_s, v.start
    stops: list[tuple[int, int, int]] = []
    pending = sorted(v.breaks, key=lambda b: b.window.start_s)
    taken: list[int] = []
    load = 0
    if v.max_visits is not None and len(jobs) > v.max_visits:
        return None
    for j in jobs:
        load += j.demand
        if load < 0 or (v.capacity and load > v.capacity):
            return None
        travel = int(d[loc][j.location])
        windows = _starts(j) if (j.windows or j.pinned_start) else (v.shift,)
        start = _start_after(windows, t + travel)
        while pending and (
            start is None
            or start + j.service_s > pending[0].window.end_s - pending[0].duration_s
        ):
            b = pending.pop(0)
            bs = max(t, b.window.start_s)
            if bs + b.duration_s > b.window.end_s:
                return None
            taken.append(bs)
            t = bs + b.duration_s
            start = _start_after(windows, t + travel)
        if start is None:
            return None
        stops.append((t + travel, start, start + j.service_s))
        t, loc = start + j.service_s, j.location
    for b in pending:
        bs = max(t, b.window.start_s)
        if bs + b.duration_s > b.window.end_s:
            return None
        taken.append(bs)
        t = bs + b.duration_s
    end = t + int(d[loc][v.end])
    return (stops, taken, end) if end <= v.shift.end_s else None


def drive_s(v: Vehicle, jobs: Sequence[Job], d: np.ndarray) -> int:
    locs = [v.start, *(j.location for j in jobs), v.end]
    return int(sum(int(d[a, b]) for a, b in itertools.pairwise(locs)))


def priority_insertion(
    problem: Problem,
    matrix: Matrix,
    *,
    exclude: set[str] | frozenset[str] = frozenset(),
    candidates: int = 12,
) -> list[list[str]]:
    """Job ids per vehicle (in ``problem.vehicles`` order).

    Jobs go in by decreasing priority; each is tried at every position of the
    ``candidates`` nearest able vehicles and kept where it adds the least driving.
    """
    d = matrix.durations_s
    routes: list[list[Job]] = [[] for _ in problem.vehicles]
    drives = [drive_s(v, [], d) for v in problem.vehicles]
    starts = np.array([v.start for v in problem.vehicles], dtype=np.int64)
    paired = {j.pickup_of for j in problem.jobs if j.pickup_of} | {
        j.id for j in problem.jobs if j.pickup_of
    }
    todo = [
        j
        for j in problem.jobs
        if j.id not in exclude and j.id not in paired and j.pinned_position is None
    ]
    for j in sorted(todo, key=lambda j: (-j.priority, j.id)):
        able = [
            k
            for k, v in enumerate(problem.vehicles)
            if j.skills <= v.skills and j.pinned_vehicle in (None, v.id)
        ]
        able.sort(key=lambda k: int(d[starts[k], j.location]))
        best: tuple[int, int, int] | None = None  # added drive, vehicle, position
        for k in able[:candidates]:
            v, r = problem.vehicles[k], routes[k]
            for pos in range(len(r) + 1):
                prev = v.start if pos == 0 else r[pos - 1].location
                nxt = v.end if pos == len(r) else r[pos].location
                added = (
                    int(d[prev, j.location])
                    + int(d[j.location, nxt])
                    - int(d[prev, nxt])
                )
                if best is not None and added >= best[0]:
                    continue
                if schedule(v, [*r[:pos], j, *r[pos:]], d) is not None:
                    best = (added, k, pos)
        if best is not None:
            _, k, pos = best
            routes[k].insert(pos, j)
            drives[k] += best[0]
    return [[j.id for j in r] for r in routes]
