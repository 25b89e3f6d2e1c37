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
from routing.model import Break, Job, Problem, TimeWindow, Vehicle

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


State = tuple[int, int, int, int]
"""Where a round stands after some visits: (time free, location, next break, load)."""


def breaks_in_order(v: Vehicle) -> Sequence[Break]:
    """The vehicle's breaks by earliest start (usually one, already in order)."""
    if len(v.breaks) < 2:
        return v.breaks
    return sorted(v.breaks, key=lambda b: b.window.start_s)


def begin(v: Vehicle) -> State:
    """The state of a round before its first visit."""
    return (v.shift.start_s, v.start, 0, 0)


def step(
    v: Vehicle, state: State, j: Job, d: Travel
) -> tuple[State, int, int, tuple[int, ...]] | None:
    """One more visit: (new state, arrival, start, break starts taken before it), or None.

    Breaks are taken between visits, as late as they may be: just before the
    first visit that would otherwise end after the break's latest start.
    """
    t, loc, bi, load = state
    load += j.demand
    if load < 0 or (v.capacity and load > v.capacity):
        return None
    brks = breaks_in_order(v)
    travel = int(d[loc][j.location])
    windows = _starts(j) if (j.windows or j.pinned_start) else (v.shift,)
    start = _start_after(windows, t + travel)
    taken: tuple[int, ...] = ()
    while bi < len(brks) and (
        start is None
        or start + j.service_s > brks[bi].window.end_s - brks[bi].duration_s
    ):
        b = brks[bi]
        bi += 1
        bs = max(t, b.window.start_s)
        if bs + b.duration_s > b.window.end_s:
            return None
        taken += (bs,)
        t = bs + b.duration_s
        start = _start_after(windows, t + travel)
    if start is None:
        return None
    return (start + j.service_s, j.location, bi, load), t + travel, start, taken


def finish(v: Vehicle, state: State, d: Travel) -> tuple[tuple[int, ...], int] | None:
    """The breaks still to take and the return home: (break starts, return time), or None."""
    t, loc, bi, _ = state
    taken: tuple[int, ...] = ()
    for b in breaks_in_order(v)[bi:]:
        bs = max(t, b.window.start_s)
        if bs + b.duration_s > b.window.end_s:
            return None
        taken += (bs,)
        t = bs + b.duration_s
    end = t + int(d[loc][v.end])
    return (taken, end) if end <= v.shift.end_s else None


def schedule(v: Vehicle, jobs: Sequence[Job], d: Travel) -> Schedule | None:
    """The earliest schedule of this visiting order, or None if it breaks a rule (see :func:`step`)."""
    if v.max_visits is not None and len(jobs) > v.max_visits:
        return None
    state = begin(v)
    stops: list[tuple[int, int, int]] = []
    taken: list[int] = []
    for j in jobs:
        got = step(v, state, j, d)
        if got is None:
            return None
        state, arrival, start, before = got
        taken.extend(before)
        stops.append((arrival, start, state[0]))
    end = finish(v, state, d)
    if end is None:
        return None
    taken.extend(end[0])
    return stops, taken, end[1]


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
