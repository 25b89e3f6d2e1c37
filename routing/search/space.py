"""The problem as the ruin-and-recreate loop sees it: plain lists indexed by model node.

A solution is a list of job numbers (the OR-Tools model's node order) per
vehicle. Travel, costs and windows are copied out of numpy into Python lists
once, because the loop reads them millions of times one element at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from routing.construct import schedule
from routing.matrix import Matrix, arc_costs
from routing.model import Job, Problem, Vehicle

Routes = list[list[int]]
"""Job numbers per vehicle, in visiting order (``problem.vehicles`` order)."""

BIG = 1 << 60


@dataclass(slots=True)
class Space:
    """Everything the Python side needs to ruin, re-insert and cost a solution."""

    problem: Problem
    jobs: list[Job]
    loc: list[int]
    travel: list[list[int]]
    cost: list[list[list[int]]]
    """Arc cost matrix (location x location) per vehicle (shared by equal rates)."""
    ready: list[int]
    due: list[int]
    service: list[int]
    demand: list[int]
    penalty: list[int]
    allowed: list[list[int]]
    movable: list[bool]
    """False for visits the Python side leaves in place (pairs, pinned positions)."""
    fast: bool
    """Single windows, no negative loads, no breaks or visit caps: O(1) insertion checks."""
    neighbours: list[list[int]]
    twin: list[int]
    """For each vehicle, the first vehicle identical to it (empty routes are tried once)."""
    durations: np.ndarray
    vehicles: tuple[Vehicle, ...]

    def route_cost(self, k: int, r: Sequence[int]) -> int:
        """Arc cost of vehicle ``k`` driving route ``r`` (0 for an empty route)."""
        if not r:
            return 0
        v, c, loc = self.vehicles[k], self.cost[k], self.loc
        total = c[v.start][loc[r[0]]] + c[loc[r[-1]]][v.end]
        for a, b in itertools.pairwise(r):
            total += c[loc[a]][loc[b]]
        return total

    def objective(self, routes: Routes) -> int:
        """Arc costs plus the drop penalty of every job not on a route (OR-Tools' objective)."""
        placed = {i for r in routes for i in r}
        return sum(self.route_cost(k, r) for k, r in enumerate(routes)) + sum(
            p for i, p in enumerate(self.penalty) if i not in placed
        )

    def feasible(self, k: int, r: Sequence[int]) -> bool:
        """Whether vehicle ``k`` can drive route ``r`` (general check, any constraint)."""
        jobs = [self.jobs[i] for i in r]
        return schedule(self.vehicles[k], jobs, self.travel) is not None


def plain(problem: Problem, jobs: Sequence[Job]) -> bool:
    """Whether the loop's O(1) insertion checks cover the problem.

    One window per visit, no negative loads, no breaks or visit caps (pairs and
    pinned positions are fine: the loop leaves them to OR-Tools' polish).
    """
    return all(len(j.allowed_starts()) == 1 and j.demand >= 0 for j in jobs) and all(
        not v.breaks and v.max_visits is None for v in problem.vehicles
    )


def build_space(
    problem: Problem,
    matrix: Matrix,
    jobs: list[Job],
    allowed: dict[str, list[int]],
    penalties: list[int],
    n_neighbours: int = 40,
) -> Space:
    """Copy the problem into lists (``jobs``, ``allowed``, ``penalties`` as in the OR-Tools model)."""
    vehicles = problem.vehicles
    horizon = max(v.shift.end_s for v in vehicles)
    rates: dict[tuple[float, float], list[list[int]]] = {}
    cost = []
    for v in vehicles:
        rate = (v.cost_per_km, v.cost_per_hour)
        if rate not in rates:
            rates[rate] = arc_costs(matrix, *rate).tolist()
        cost.append(rates[rate])
    ready, due = [], []
    single = True
    for j in jobs:
        ws = j.allowed_starts()
        single &= len(ws) == 1
        ready.append(min(ws[0].start_s, horizon))
        due.append(min(ws[-1].end_s, horizon))
    paired = {j.pickup_of for j in jobs if j.pickup_of} | {
        j.id for j in jobs if j.pickup_of
    }
    movable = [j.id not in paired and j.pinned_position is None for j in jobs]
    fast = (
        single
        and all(j.demand >= 0 for j in jobs)
        and all(not v.breaks and v.max_visits is None for v in vehicles)
    )
    loc = [j.location for j in jobs]
    d = matrix.durations_s
    if jobs:
        sub = d[np.ix_(loc, loc)]
        order = np.argsort(sub, axis=1, kind="stable")[:, : n_neighbours + 1]
        neighbours = [[int(x) for x in row if x != i] for i, row in enumerate(order)]
    else:
        neighbours = []
    seen: dict[tuple[object, ...], int] = {}
    twin = []
    for k, v in enumerate(vehicles):
        key = (v.start, v.end, v.shift, v.breaks, v.skills, v.capacity,
               v.cost_per_km, v.cost_per_hour, v.max_visits)  # fmt: skip
        twin.append(seen.setdefault(key, k))
    return Space(
        problem=problem,
        jobs=jobs,
        loc=loc,
        travel=d.tolist(),
        cost=cost,
        ready=ready,
        due=due,
        service=[j.service_s for j in jobs],
        demand=[j.demand for j in jobs],
        penalty=list(penalties),
        allowed=[allowed[j.id] for j in jobs],
        movable=movable,
        fast=fast,
        neighbours=neighbours,
        twin=twin,
        durations=d,
        vehicles=vehicles,
    )
