"""PyVRP's iterated local search as a member of the portfolio, on problems it expresses exactly.

Why: on plain VRPTW (capacities, one time window per visit, service times, a
fleet from depots) PyVRP's C++ search is the state of the art, and our Python
loop around OR-Tools cannot iterate as fast (issue 20: 2.3 % mean gap on Solomon
at 10 s against PyVRP's 0.2 %). The issue allows a well-kept library to carry
the inner loop where Python is too slow; OR-Tools stays the engine that holds
the product's constraints: PyVRP's routes are read back through the OR-Tools
model (:func:`routing.ortools_model.read_solution`, which times them and
refuses what it does not accept) and checked by :func:`routing.validate.validate`
before the portfolio may keep them.

What PyVRP cannot express exactly is refused by :func:`refusal` and solved by
OR-Tools alone, so the product's days (skills, breaks, pins, pickup-and-delivery
pairs, several windows, visit caps, workload balance, re-plans from current
routes) are unaffected. Every visit is optional with its drop penalty as prize
(:func:`routing.model.drop_penalties`, the same figures OR-Tools uses), and arc
costs are the engine's own (:func:`routing.matrix.arc_costs`), so PyVRP
minimises the same objective as OR-Tools.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from routing.matrix import COST_SCALE, Matrix, arc_costs
from routing.model import Job, Problem, Solution, Vehicle, drop_penalties
from routing.params import SolveParams
from routing.progress import Progress, ProgressCallback

PRIZE_LIMIT = 2**52
"""Total prize (drop penalties) PyVRP gets at most; beyond, its int64 costs could overflow
with the penalties it adds to infeasible solutions, so the problem stays with OR-Tools."""


def read_back_s(n_jobs: int) -> float:
    """Time kept before the deadline to read PyVRP's routes back through OR-Tools.

    Building the model registers n² matrices: 0.05 s measured for 200 visits, so
    0.1 s plus a quadratic term (0.15 s at 200 visits, 1.3 s at 1,000).
    """
    return 0.1 + 1.2 * (n_jobs / 1000) ** 2


@dataclass(frozen=True, slots=True, kw_only=True)
class HgsConfig:
    """One PyVRP search of a portfolio: its name and random seed."""

    name: str
    seed: int = 0


def refusal(
    problem: Problem, matrix: Matrix, params: SolveParams, initial: object = None
) -> str | None:
    """Why PyVRP cannot solve this problem exactly (None: it can).

    Refused: a re-plan from current routes (minimal change is OR-Tools' job),
    an explicit OR-Tools search or solution limit, workload balance, vehicle breaks or visit caps, skills that not every
    vehicle has, pins of vehicle or position, pickup-and-delivery pairs, more
    than one allowed window, negative loads, prizes too large for int64.
    """
    if initial is not None:
        return "re-plan from current routes"
    if params.balance_per_hour > 0:
        return "workload balance"
    if params.search != "auto":
        return f"OR-Tools' search asked for ({params.search})"
    if params.solution_limit is not None:
        return "a solution limit asked for (OR-Tools' deterministic runs)"
    if not problem.jobs or not problem.vehicles:
        return "nothing to plan"
    for v in problem.vehicles:
        if v.breaks:
            return f"vehicle {v.id} has breaks"
        if v.max_visits is not None:
            return f"vehicle {v.id} has a visit cap"
    common = frozenset.intersection(*(v.skills for v in problem.vehicles))
    for j in problem.jobs:
        if not j.skills <= common:
            return f"job {j.id} needs a skill not every vehicle has"
        if j.pinned_vehicle is not None or j.pinned_position is not None:
            return f"job {j.id} is pinned"
        if j.pickup_of is not None:
            return f"job {j.id} is the delivery of a pickup-and-delivery pair"
        if len(j.allowed_starts()) != 1:
            return f"job {j.id} has {len(j.allowed_starts())} allowed windows"
        if j.demand < 0:
            return f"job {j.id} has a negative load"
    if total_prize(problem, matrix) >= PRIZE_LIMIT:
        return "drop penalties too large for PyVRP's int64 costs"
    return None


@dataclass(frozen=True, slots=True)
class _Data:
    data: Any
    types: list[list[int]]
    """Vehicle numbers (``problem.vehicles`` order) of each PyVRP vehicle type."""
    jobs: list[Job]
    """PyVRP client ``i`` is ``jobs[i]`` (location ``len(depots) + i``)."""


def _vehicle_key(v: Vehicle) -> tuple[int, int, int, int, int, float, float]:
    return (v.start, v.end, v.shift.start_s, v.shift.end_s, v.capacity,
            v.cost_per_km, v.cost_per_hour)  # fmt: skip


def to_data(problem: Problem, matrix: Matrix) -> _Data:
    """The problem as PyVRP ``ProblemData``, on the engine's own integer matrices.

    Depots are the distinct start and end locations; identical vehicles form one
    vehicle type; each distinct cost rate is a profile whose distance matrix is
    the engine's arc cost (milli-currency), so PyVRP's distance is our cost.
    """
    import pyvrp

    vehicles = problem.vehicles
    depots = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    depot_no = {loc: k for k, loc in enumerate(depots)}
    jobs = list(problem.jobs)
    index = depots + [j.location for j in jobs]
    sub = matrix.take(index)
    horizon = max(v.shift.end_s for v in vehicles)
    big = sum(j.demand for j in jobs) + 1
    rates = sorted({(v.cost_per_km, v.cost_per_hour) for v in vehicles})
    profile = {r: k for k, r in enumerate(rates)}
    # PyVRP's stubs type matrices loosely: Any keeps numpy's int64 arrays as they are
    costs: list[Any] = [
        np.ascontiguousarray(arc_costs(sub, *r), dtype=np.int64) for r in rates
    ]
    durations: Any = np.ascontiguousarray(sub.durations_s, dtype=np.int64)
    penalties = drop_penalties(jobs, 3 * max(int(c.max(initial=0)) for c in costs) + 1)
    # PyVRP reads the diagonal as the cost of staying put; ours is zero already.
    locations = [pyvrp.Location(x=0, y=0) for _ in index]
    clients: list[Any] = []
    for j, prize in zip(jobs, penalties, strict=True):
        w = j.allowed_starts()[0]
        clients.append(
            pyvrp.Client(
                location=len(depots) + len(clients),
                delivery=[j.demand],
                service_duration=j.service_s,
                tw_early=min(w.start_s, horizon),
                tw_late=min(w.end_s, horizon),
                prize=prize,
                required=False,
                name=j.id,
            )
        )
    groups: dict[tuple[int, int, int, int, int, float, float], list[int]] = {}
    for k, v in enumerate(vehicles):
        groups.setdefault(_vehicle_key(v), []).append(k)
    types = []
    for members in groups.values():
        v = vehicles[members[0]]
        types.append(
            pyvrp.VehicleType(
                num_available=len(members),
                capacity=[v.capacity or big],
                start_depot=depot_no[v.start],
                end_depot=depot_no[v.end],
                tw_early=v.shift.start_s,
                tw_late=v.shift.end_s,
                unit_distance_cost=1,
                unit_duration_cost=0,
                profile=profile[(v.cost_per_km, v.cost_per_hour)],
                name=v.id,
            )
        )
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[pyvrp.Depot(location=k) for k in range(len(depots))],
        vehicle_types=types,
        distance_matrices=costs,
        duration_matrices=[durations] * len(rates),
    )
    return _Data(data=data, types=list(groups.values()), jobs=jobs)


def total_prize(problem: Problem, matrix: Matrix) -> int:
    """Sum of the prizes :func:`to_data` gives (to refuse what could overflow)."""
    rates = {(v.cost_per_km, v.cost_per_hour) for v in problem.vehicles}
    top = max(int(arc_costs(matrix, *r).max(initial=0)) for r in rates)
    return sum(drop_penalties(problem.jobs, 3 * top + 1))


def search(
    problem: Problem,
    matrix: Matrix,
    config: HgsConfig,
    *,
    deadline: float,
    on_better: Callable[[float, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[list[str]] | None:
    """PyVRP's search until ``deadline`` (``time.monotonic()``); job ids per vehicle.

    ``on_better`` gets each better feasible solution's objective (the engine's
    currency, as OR-Tools' progress: cost plus drop penalties) and visits placed.
    None when PyVRP found no feasible solution.
    """
    import pyvrp
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.IteratedLocalSearch import (
        IteratedLocalSearchCallbacks,
        IteratedLocalSearchParams,
    )

    d = to_data(problem, matrix)
    stop_at = deadline - read_back_s(len(problem.jobs))

    class Report(IteratedLocalSearchCallbacks):
        """Forwards the start and each new best (the start may already be the best)."""

        def on_start(self, ils: Any) -> None:
            self.on_best(ils.initial_solution)

        def on_best(self, best: Any) -> None:
            if on_better is not None and best.is_feasible():
                cost = best.distance_cost() + best.uncollected_prizes()
                on_better(cost / COST_SCALE, best.num_clients())

    with warnings.catch_warnings():
        # "penalty at its maximum" means no feasible answer yet: the None below says it
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        res = pyvrp.solve(
            d.data,
            stop=lambda _cost: time.monotonic() >= stop_at or cancelled(),
            seed=config.seed,
            collect_stats=False,
            params=pyvrp.SolveParams(ils=IteratedLocalSearchParams(callbacks=Report())),
        )
    if not res.best.is_feasible():
        return None
    out: list[list[str]] = [[] for _ in problem.vehicles]
    used = [0] * len(d.types)
    for r in res.best.routes():
        t = r.vehicle_type()
        k = d.types[t][used[t]]
        used[t] += 1
        # activities number clients from 0 in the order they were given
        out[k] = [d.jobs[int(a.idx)].id for a in r if a.is_client()]
    return out


def answer(
    problem: Problem,
    matrix: Matrix,
    config: HgsConfig,
    *,
    deadline: float,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Solution | str:
    """PyVRP's routes as the engine's Solution, or why there is none.

    The routes are read back through the OR-Tools model (times, reasons for
    what is left out) and must pass :func:`routing.validate.validate`; any
    refusal is returned as text and the portfolio keeps another answer.
    """
    from routing.ortools_model import read_solution
    from routing.validate import validate

    t0 = time.monotonic()
    total = len(problem.jobs)

    def better(objective: float, placed: int) -> None:
        if progress is not None:
            progress(Progress(elapsed_s=time.monotonic() - t0, objective=objective,
                              jobs_placed=placed, jobs_total=total, source=config.name))  # fmt: skip

    routes = search(problem, matrix, config, deadline=deadline, on_better=better,
                    cancelled=cancelled)  # fmt: skip
    if routes is None:
        return "PyVRP found no feasible solution"
    status = "CANCELLED" if cancelled() else "SUCCESS"
    sol = read_solution(problem, matrix, routes, status, time.monotonic() - t0,
                        {"search": f"PyVRP iterated local search, seed {config.seed}"})  # fmt: skip
    if sol is None:
        return "OR-Tools' model refused PyVRP's routes"
    bad = validate(problem, sol)
    if bad:
        return f"PyVRP's routes break {len(bad)} rule(s), first: {bad[0].kind.value}"
    return sol
