"""Strict priority after the search: fill free gaps, then let higher classes take lower slots.

The OR-Tools model already prices a higher class above every lower one together
(:func:`routing.model.drop_penalties`), but a time-limited local search may stop
before it finds a swap. :func:`enforce` finishes the job on the final routes,
with the slot test of :mod:`routing.slots` (every other stop stays where it is):

1. each left-out job, highest class and priority first, goes into the free gap
   that adds the least distance on a vehicle that can do it;
2. otherwise, a left-out job takes the slot of the lowest placed job of a lower
   class it could take, or of a short run of them (a long visit in the time of two
   short ones); those are left out in turn and tried in step 1.

Each step places one more job or raises the placed classes, so it ends; the
result has no inversion by the validator's definition. Pure; reasons are then
recomputed from the final routes (:func:`routing.reasons.explain_plan`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence

from routing.matrix import Matrix, TravelTimes, problem_matrix
from routing.model import Job, Objective, Problem, Route, Solution, Stop, Vehicle
from routing.reasons import explain_plan, structural_reasons
from routing.slots import Fit, compatible, fit, spans

RUN_AT_MOST = 3
"""A left-out job may take the time of at most this many consecutive lower-class stops."""
MAX_SECONDS = 20.0
"""A safety stop for pathological days; normal days take well under a second."""


class _Day:
    """Mutable routes keyed by vehicle, rebuilt into a Solution at the end."""

    def __init__(self, problem: Problem, solution: Solution, matrix: Matrix):
        self.problem, self.matrix = problem, matrix
        self.jobs = {j.id: j for j in problem.jobs}
        self.routes: dict[str, Route] = {r.vehicle_id: r for r in solution.routes}

    def stops(self, v: Vehicle) -> list[Stop]:
        r = self.routes.get(v.id)
        return list(r.stops) if r else []

    def best_insertion(
        self, job: Job
    ) -> tuple[Vehicle, int, Fit, tuple[int, ...]] | None:
        """The feasible free gap adding the least distance (ties: first vehicle, position)."""
        d = self.matrix.distances_m
        best: tuple[int, Vehicle, int, Fit, tuple[int, ...]] | None = None
        for v in self.problem.vehicles:
            if not compatible(job, v):
                continue
            r = self.routes.get(v.id)
            stops = self.stops(v)
            for brk in self._break_plans(v, r):
                sp = sorted(
                    (bs, bs + b.duration_s) for b, bs in zip(v.breaks, brk, strict=True)
                )
                for k in range(len(stops) + 1):
                    f = fit(
                        job, v, stops, k, self.jobs, self.matrix, sp,
                        route_start_s=r.start_s if r else None,
                    )  # fmt: skip
                    if f is None:
                        continue
                    a = self.jobs[stops[k - 1].job_id].location if k else v.start
                    b = self.jobs[stops[k].job_id].location if k < len(stops) else v.end
                    added = int(d[a, job.location] + d[job.location, b] - d[a, b])
                    if best is None or added < best[0]:
                        best = (added, v, k, f, brk)
                if r is not None:
                    break  # planned breaks stay where they are
        return None if best is None else best[1:]

    def _break_plans(self, v: Vehicle, r: Route | None) -> list[tuple[int, ...]]:
        if r is not None:
            return [tuple(r.break_starts_s)]
        if not v.breaks:
            return [()]
        options = [
            sorted({b.window.start_s, b.window.end_s - b.duration_s}) for b in v.breaks
        ]
        return [tuple(c) for c in itertools.product(*options)]

    def apply(
        self,
        v: Vehicle,
        position: int,
        f: Fit,
        brk: tuple[int, ...],
        remove: int = 0,
    ) -> None:
        """Put the fitted stop at ``position`` (replacing the ``remove`` stops there)."""
        r = self.routes.get(v.id)
        stops = self.stops(v)
        del stops[position : position + remove]
        stops.insert(position, f.stop)
        if f.next_arrival_s is not None:
            nxt = stops[position + 1]
            stops[position + 1] = Stop(
                job_id=nxt.job_id,
                arrival_s=f.next_arrival_s,
                start_s=nxt.start_s,
                departure_s=nxt.departure_s,
            )
        start = f.route_start_s
        end = f.route_end_s if f.route_end_s >= 0 else (r.end_s if r else start)
        self.routes[v.id] = Route(
            vehicle_id=v.id,
            stops=tuple(stops),
            start_s=start,
            end_s=end,
            distance_m=self._distance(v, stops),
            duration_s=end - start,
            break_starts_s=brk,
        )

    def _distance(self, v: Vehicle, stops: list[Stop]) -> int:
        dist = self.matrix.distances_m
        locs = [v.start, *(self.jobs[s.job_id].location for s in stops), v.end]
        return int(sum(int(dist[a, b]) for a, b in itertools.pairwise(locs)))

    def best_substitution(self, job: Job) -> tuple[Vehicle, int, Fit, int] | None:
        """The lowest run of placed jobs of a lower class whose slot ``job`` could take.

        A run is up to :data:`RUN_AT_MOST` consecutive stops of one round (a long
        visit may need the time of two short ones); fewer and lower jobs are
        preferred. Returns the vehicle, the run's first position, the fit and the
        run's length.
        """
        best: tuple[tuple[int, int, int], Vehicle, int, Fit, int] | None = None
        paired = self._paired()
        for v in self.problem.vehicles:
            r = self.routes.get(v.id)
            if r is None or not compatible(job, v):
                continue
            sp = spans(v, r)
            for k in range(len(r.stops)):
                top = total = 0
                for n in range(1, RUN_AT_MOST + 1):
                    if k + n > len(r.stops):
                        break
                    b = self.jobs[r.stops[k + n - 1].job_id]
                    if b.priority_class >= job.priority_class or b.id in paired:
                        break
                    top, total = max(top, b.priority_class), total + b.priority
                    key = (top, n, total)
                    if best is not None and key >= best[0]:
                        continue
                    rest = [*r.stops[:k], *r.stops[k + n :]]
                    f = fit(
                        job, v, rest, k, self.jobs, self.matrix, sp,
                        route_start_s=r.start_s,
                    )  # fmt: skip
                    if f is not None:
                        best = (key, v, k, f, n)
        return None if best is None else best[1:]

    def _paired(self) -> set[str]:
        return {j.pickup_of for j in self.problem.jobs if j.pickup_of} | {
            j.id for j in self.problem.jobs if j.pickup_of
        }

    def placed(self) -> set[str]:
        return {s.job_id for r in self.routes.values() for s in r.stops}


def enforce(
    problem: Problem,
    solution: Solution,
    travel: TravelTimes | None = None,
    *,
    name: Callable[[str], str] = str,
) -> Solution:
    """The solution with free gaps filled and no priority inversion, reasons recomputed.

    ``name`` turns a job or vehicle id into what the reader sees in the reasons'
    details (a ticket reference, a technician's name).
    """
    t0 = time.monotonic()
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    day = _Day(problem, solution, matrix)
    structural = structural_reasons(problem, matrix)
    paired = day._paired()
    changed = 0
    while time.monotonic() - t0 < MAX_SECONDS:
        placed = day.placed()
        left = sorted(
            (
                j
                for j in problem.jobs
                if j.id not in placed and j.id not in structural and j.id not in paired
            ),
            key=lambda j: (-j.priority_class, -j.priority, j.id),
        )
        step = False
        for j in left:
            ins = day.best_insertion(j)
            if ins is not None:
                day.apply(ins[0], ins[1], ins[2], ins[3])
                step = True
                break
        if not step:
            for j in left:
                if j.priority_class == 0:
                    break
                sub = day.best_substitution(j)
                if sub is not None:
                    v, k, f, n = sub
                    r = day.routes[v.id]
                    day.apply(v, k, f, tuple(r.break_starts_s), remove=n)
                    step = True
                    break
        if not step:
            break
        changed += 1
    return _rebuild(problem, solution, day, matrix, changed, t0, name)


def _rebuild(
    problem: Problem,
    solution: Solution,
    day: _Day,
    matrix: Matrix,
    changed: int,
    t0: float,
    name: Callable[[str], str],
) -> Solution:
    rank = {v.id: k for k, v in enumerate(problem.vehicles)}
    routes = tuple(
        sorted(
            (r for r in day.routes.values() if r.stops),
            key=lambda r: rank[r.vehicle_id],
        )
    )
    vehicles = {v.id: v for v in problem.vehicles}
    dur, dist = matrix.durations_s, matrix.distances_m
    cost = 0.0
    for r in routes:
        v = vehicles[r.vehicle_id]
        locs = [v.start, *(day.jobs[s.job_id].location for s in r.stops), v.end]
        for a, b in itertools.pairwise(locs):
            cost += (
                v.cost_per_km * dist[a, b] / 1000 + v.cost_per_hour * dur[a, b] / 3600
            )
    placed = {s.job_id for r in routes for s in r.stops}
    dropped = [j.id for j in problem.jobs if j.id not in placed]
    interim = Solution(
        routes=routes,
        unassigned=(),
        objective=solution.objective,
        status=solution.status,
        elapsed_s=solution.elapsed_s,
        details=dict(solution.details),
    )
    unassigned = explain_plan(problem, interim, matrix, dropped, name=name)
    details = dict(solution.details)
    if changed:
        details["strict priority"] = f"{changed} change(s) after the search"
    return Solution(
        routes=routes,
        unassigned=unassigned,
        objective=Objective(
            cost=round(float(cost), 3),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            penalty=float(sum(day.jobs[j].priority for j in dropped)),
            jobs_placed=len(placed),
            jobs_total=len(problem.jobs),
        ),
        status=solution.status,
        elapsed_s=round(solution.elapsed_s + time.monotonic() - t0, 3),
        details=details,
    )


def retime(
    problem: Problem,
    routes: Mapping[str, Sequence[str]],
    travel: TravelTimes | None = None,
    *,
    breaks: Mapping[str, Sequence[int]] | None = None,
) -> tuple[Solution, tuple[str, ...]]:
    """Earlier routes replayed in their order under today's constraints (pins, windows, shifts).

    Each vehicle keeps its visits in the same order, each served as early as it
    can after the one before; a visit that no longer fits (a pin moved it, its
    window or the shift changed, its vehicle is gone) is left out and returned,
    so a re-plan can say what a change forced out. Breaks go where ``breaks``
    (vehicle id -> break starts, e.g. as planned before) puts them, or at the
    earliest or latest start of their window, whichever keeps more visits
    (the first of those in that order on a tie).
    """
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    empty = Solution(
        routes=(),
        unassigned=(),
        objective=Objective(
            cost=0, distance_m=0, duration_s=0, penalty=0, jobs_placed=0,
            jobs_total=len(problem.jobs),
        ),
        status="RETIMED",
        elapsed_s=0.0,
    )  # fmt: skip
    day = _Day(problem, empty, matrix)
    lost: list[str] = []
    seen: set[str] = set()
    for v in problem.vehicles:
        wanted = [j for j in routes.get(v.id, []) if j in day.jobs and j not in seen]
        seen.update(wanted)
        best: tuple[int, Route | None, list[str]] = (-1, None, [])
        plans = day._break_plans(v, None)
        given = _given_breaks(v, (breaks or {}).get(v.id, ()))
        if given is not None:
            plans = [given, *(p for p in plans if p != given)]
        for brk in plans:
            day.routes.pop(v.id, None)
            sp = sorted(
                (bs, bs + b.duration_s) for b, bs in zip(v.breaks, brk, strict=True)
            )
            out: list[str] = []
            for jid in wanted:
                r = day.routes.get(v.id)
                stops = day.stops(v)
                f = fit(
                    day.jobs[jid], v, stops, len(stops), day.jobs, matrix, sp,
                    route_start_s=r.start_s if r else None,
                )  # fmt: skip
                if f is None:
                    out.append(jid)
                else:
                    day.apply(v, len(stops), f, brk)
            kept = len(wanted) - len(out)
            if kept > best[0]:
                best = (kept, day.routes.get(v.id), out)
        day.routes.pop(v.id, None)
        if best[1] is not None:
            day.routes[v.id] = best[1]
        lost.extend(best[2])
    for jids in routes.values():
        lost.extend(j for j in jids if j not in day.jobs)
    return _rebuild(problem, empty, day, matrix, 0, time.monotonic(), str), tuple(lost)


def _given_breaks(v: Vehicle, starts: Sequence[int]) -> tuple[int, ...] | None:
    """``starts`` moved into their breaks' windows (None unless one per break)."""
    if not v.breaks or len(starts) != len(v.breaks):
        return None
    return tuple(
        min(max(t, b.window.start_s), b.window.end_s - b.duration_s)
        for b, t in zip(v.breaks, starts, strict=True)
    )
