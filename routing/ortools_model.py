"""Problem -> OR-Tools RoutingModel -> Solution: the only module importing ortools.

Idioms follow ECOSYSTEM.md §3 for OR-Tools 9.15: matrices registered with
``RegisterTransitMatrix`` / ``RegisterUnaryTransitVector`` (no Python callbacks
in the search), skills through ``VehicleVar(i).SetValues`` (the span-taking
``SetAllowedVehiclesForIndex`` is broken from Python), every visit optional with
a priority-weighted penalty that dominates any travel saving, re-planning with
``CloseModelWithParameters`` before ``ReadAssignmentFromRoutes``.

One file because it is the only place that speaks OR-Tools: the model's dimensions,
the search run and the reading back share the index manager and the dimension handles,
and keeping them together keeps that API out of every other module.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing import balance as workload
from routing.matrix import COST_SCALE, Matrix, arc_costs
from routing.model import (
    Job,
    Objective,
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    drop_penalties,
)
from routing.params import FirstSolution, SolveParams
from routing.progress import CancelToken, Progress, ProgressCallback
from routing.reasons import (
    explain,
    fits_capacity,
    shift_reaches,
    skilled_vehicles,
    structural_reasons,
)
from routing.search.space import plain

STATUS = {
    0: "NOT_SOLVED",
    1: "SUCCESS",
    2: "PARTIAL_SUCCESS",
    3: "FAIL",
    4: "FAIL_TIMEOUT",
    5: "INVALID",
    6: "INFEASIBLE",
    7: "OPTIMAL",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchConfig:
    """One search of a portfolio: first solution and GLS settings."""

    strategy: FirstSolution = FirstSolution.PATH_CHEAPEST_ARC
    gls_lambda: float = 0.1
    name: str = ""
    overrides: tuple[tuple[str, object], ...] = ()
    """Extra RoutingSearchParameters fields, dotted path -> value (enums by name)."""
    ruin_recreate: bool = True
    """Our ruin-and-recreate loop around OR-Tools' local search (``routing.search``);
    False: OR-Tools' guided local search alone."""
    seed: int = 0
    loop: tuple[tuple[str, float], ...] = ()
    """Options of ``routing.search.loop.ruin_and_recreate`` (name, value)."""


@dataclass(slots=True)
class _Built:
    problem: Problem
    matrix: Matrix
    jobs: list[Job]
    excluded: set[str]
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    node_loc: np.ndarray
    penalty_unit: int
    allowed: dict[str, list[int]] = field(default_factory=dict)
    penalties: list[int] = field(default_factory=list)
    breaks: dict[int, list[pywrapcp.IntervalVar]] = field(default_factory=dict)


def _allowed(problem: Problem, job: Job, matrix: Matrix) -> list[int]:
    """Vehicle numbers that could serve this job alone (skills, pin, shift, capacity)."""
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    return [
        index[v.id]
        for v in skilled_vehicles(problem, job)
        if shift_reaches(v, job, matrix) and fits_capacity(v, job)
    ]


def build(
    problem: Problem,
    matrix: Matrix,
    excluded: set[str],
    balance: tuple[dict[int, int], float] | None = None,
) -> _Built:
    """Build the model for every job not in ``excluded`` (structurally impossible ones).

    ``balance``: (vehicle number -> return target, cost per hour beyond it), a soft
    upper bound on each such vehicle's return (``routing.balance``).
    """
    jobs = [j for j in problem.jobs if j.id not in excluded]
    vehicles = problem.vehicles
    depots = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    depot_node = {loc: len(jobs) + k for k, loc in enumerate(depots)}
    node_loc = np.array([j.location for j in jobs] + depots, dtype=np.int64)
    n = len(node_loc)
    manager = pywrapcp.RoutingIndexManager(
        n,
        len(vehicles),
        [depot_node[v.start] for v in vehicles],
        [depot_node[v.end] for v in vehicles],
    )
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    sub = matrix.take(node_loc.tolist())
    service = np.array([j.service_s for j in jobs] + [0] * len(depots), dtype=np.int64)

    # Arc costs: one registered matrix per distinct (cost/km, cost/h) pair.
    max_arc = 1
    by_rate: dict[tuple[float, float], int] = {}
    for k, v in enumerate(vehicles):
        rate = (v.cost_per_km, v.cost_per_hour)
        if rate not in by_rate:
            costs = arc_costs(sub, *rate)
            max_arc = max(max_arc, int(costs.max(initial=0)))
            by_rate[rate] = routing.RegisterTransitMatrix(costs.tolist())
        routing.SetArcCostEvaluatorOfVehicle(by_rate[rate], k)
    # Dropping a visit saves at most 2 arcs and inserting one costs at most 2 arcs
    # even without the triangle inequality, so 3 arcs + 1 makes one priority
    # unit worth more than any travel change a swap of two visits can bring.
    penalty_unit = 3 * max_arc + 1

    # Time: transit = service at the origin + driving; waiting is slack.
    horizon = max(v.shift.end_s for v in vehicles)
    transit = (sub.durations_s + service[:, None]).tolist()
    time_cb = routing.RegisterTransitMatrix(transit)
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for k, v in enumerate(vehicles):
        for idx in (routing.Start(k), routing.End(k)):
            tdim.CumulVar(idx).SetRange(v.shift.start_s, v.shift.end_s)

    by_id = {j.id: i for i, j in enumerate(jobs)}
    all_vehicles = list(range(len(vehicles)))
    allowed = {j.id: _allowed(problem, j, matrix) for j in jobs}
    for j in jobs:
        if j.pickup_of is not None and j.pickup_of in by_id:
            both = sorted(set(allowed[j.id]) & set(allowed[j.pickup_of]))
            allowed[j.id] = allowed[j.pickup_of] = both

    penalties = drop_penalties(jobs, penalty_unit)
    if balance is not None and jobs:
        goal, per_hour = balance
        longest = max(v.shift.end_s - v.shift.start_s for v in vehicles)
        coef = workload.coefficient(per_hour, COST_SCALE, penalties, longest)
        for k, target in goal.items() if coef > 0 else ():
            tdim.SetCumulVarSoftUpperBound(routing.End(k), target, coef)
            # the cumul optimiser sets times by cost: one unit a second keeps each
            # return as early (and each departure as late) as the finalisers would
            tdim.SetSpanCostCoefficientForVehicle(1, k)
    for i, j in enumerate(jobs):
        idx = manager.NodeToIndex(i)
        routing.AddDisjunction([idx], penalties[i])
        if allowed[j.id] != all_vehicles:
            # SetAllowedVehiclesForIndex is broken in 9.15 Python; -1 keeps it droppable.
            routing.VehicleVar(idx).SetValues([-1, *allowed[j.id]])
        ws = j.allowed_starts()
        cumul = tdim.CumulVar(idx)
        cumul.SetRange(min(ws[0].start_s, horizon), min(ws[-1].end_s, horizon))
        for a, b in itertools.pairwise(ws):
            if a.end_s + 1 <= b.start_s - 1:
                cumul.RemoveInterval(a.end_s + 1, b.start_s - 1)

    for j in jobs:
        if j.pickup_of is not None and j.pickup_of in by_id:
            p = manager.NodeToIndex(by_id[j.pickup_of])
            d = manager.NodeToIndex(by_id[j.id])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(d))

    if any(j.demand for j in jobs):
        big = int(sum(abs(j.demand) for j in jobs)) + 1
        demand_cb = routing.RegisterUnaryTransitVector(
            [j.demand for j in jobs] + [0] * len(depots)
        )
        routing.AddDimensionWithVehicleCapacity(
            demand_cb, 0, [v.capacity or big for v in vehicles], True, "Load"
        )

    if any(v.max_visits is not None for v in vehicles) or any(
        j.pinned_position is not None for j in jobs
    ):
        # Visits cumul at a stop = number of visits before it = its 0-based position.
        count_cb = routing.RegisterUnaryTransitVector(
            [1] * len(jobs) + [0] * len(depots)
        )
        routing.AddDimensionWithVehicleCapacity(
            count_cb,
            0,
            [len(jobs) if v.max_visits is None else v.max_visits for v in vehicles],
            True,
            "Visits",
        )
        vdim = routing.GetDimensionOrDie("Visits")
        for i, j in enumerate(jobs):
            if j.pinned_position is not None:
                vdim.CumulVar(manager.NodeToIndex(i)).SetValue(j.pinned_position)

    built = _Built(
        problem=problem,
        matrix=matrix,
        jobs=jobs,
        excluded=excluded,
        manager=manager,
        routing=routing,
        time=tdim,
        node_loc=node_loc,
        penalty_unit=penalty_unit,
        allowed=allowed,
        penalties=penalties,
    )

    if any(v.breaks for v in vehicles):
        visit = [0] * routing.Size()
        for index in range(routing.Size()):
            visit[index] = int(service[manager.IndexToNode(index)])
        for k, v in enumerate(vehicles):
            if not v.breaks:
                continue
            ivs = [
                solver.FixedDurationIntervalVar(
                    b.window.start_s,
                    b.window.end_s - b.duration_s,
                    b.duration_s,
                    False,
                    f"break {k} {q}",
                )
                for q, b in enumerate(v.breaks)
            ]
            tdim.SetBreakIntervalsOfVehicle(ivs, k, visit)
            built.breaks[k] = ivs

    # Sensible times: serve early, leave home late, come back early.
    for i in range(len(jobs)):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(manager.NodeToIndex(i)))
    for k in range(len(vehicles)):
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(k)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(k)))
    return built


def search_parameters(
    config: SearchConfig, time_limit_s: float, params: SolveParams
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools search parameters: first solution, then guided local search."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    # PRIORITY_INSERTION builds its start in Python (routing.construct); OR-Tools
    # only completes it, with its own parallel insertion if the start is refused.
    name = (
        FirstSolution.PARALLEL_CHEAPEST_INSERTION
        if config.strategy == FirstSolution.PRIORITY_INSERTION
        else config.strategy
    )
    sp.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, name.value
    )
    sp.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    sp.guided_local_search_lambda_coefficient = config.gls_lambda
    sp.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
    sp.log_search = params.log_search
    for path, value in config.overrides:
        *parents, leaf = path.split(".")
        target = sp
        for parent in parents:
            target = getattr(target, parent)
        field = target.DESCRIPTOR.fields_by_name[leaf]
        if field.enum_type is not None and isinstance(value, str):
            value = field.enum_type.values_by_name[value].number
        if field.message_type is not None and field.message_type.name == "Duration":
            getattr(target, leaf).FromMilliseconds(int(float(value) * 1000))  # type: ignore[arg-type]
        else:
            setattr(target, leaf, value)
    return sp


def _count_placed(
    routing: pywrapcp.RoutingModel, n_jobs: int, manager: pywrapcp.RoutingIndexManager
) -> int:
    return sum(
        1
        for i in range(n_jobs)
        if routing.NextVar(manager.NodeToIndex(i)).Value() != manager.NodeToIndex(i)
    )


def run(
    problem: Problem,
    matrix: Matrix,
    params: SolveParams,
    config: SearchConfig,
    *,
    deadline: float,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    initial: Sequence[Sequence[str]] | None = None,
    _targets: dict[int, int] | None = None,
) -> Solution:
    """Build, search until ``deadline`` (``time.monotonic()``) and convert the best solution.

    ``initial`` is a job-id list per vehicle (in ``problem.vehicles`` order) to
    start from; unknown or excluded ids are skipped. With no time left, the
    initial routes are returned as read. With ``params.balance_per_hour``, a first
    search sets each group's target and a second one goes on from it with the
    balance term (``routing.balance``); it never returns fewer visits than the first.
    """
    t0 = time.monotonic()
    if params.balance_per_hour > 0 and _targets is None and len(problem.vehicles) > 1:
        plain_params = replace(params, balance_per_hour=0.0)
        first = run(
            problem, matrix, plain_params, config,
            deadline=t0 + workload.FIRST_SHARE * max(0.0, deadline - t0),
            progress=progress, cancel=cancel, initial=initial,
        )  # fmt: skip
        goal = workload.targets(problem, first)
        if not goal or (cancel is not None and cancel.is_cancelled()):
            return first
        by_id = {r.vehicle_id: r.job_ids for r in first.routes}
        second = run(
            problem, matrix, params, config, deadline=deadline, progress=progress,
            cancel=cancel, initial=[by_id.get(v.id, ()) for v in problem.vehicles],
            _targets=goal,
        )  # fmt: skip
        if second.objective.penalty > first.objective.penalty:
            return first  # balance never leaves a visit out
        return replace(
            second,
            details={
                **second.details,
                "balance": _balance_note(problem, first, second),
            },
        )
    structural = structural_reasons(problem, matrix)
    if not problem.vehicles:
        return Solution(
            routes=(),
            unassigned=explain(problem, matrix, [j.id for j in problem.jobs], structural=structural),
            objective=Objective(
                cost=0.0, distance_m=0, duration_s=0,
                penalty=float(sum(j.priority for j in problem.jobs)),
                jobs_placed=0, jobs_total=len(problem.jobs),
            ),
            status="NO_VEHICLE",
            elapsed_s=0.0,
        )  # fmt: skip
    b = build(
        problem,
        matrix,
        set(structural),
        None if _targets is None else (_targets, params.balance_per_hour),
    )
    routing, manager = b.routing, b.manager
    n_jobs = len(b.jobs)
    total = len(problem.jobs)
    remaining = max(0.0, deadline - time.monotonic())
    if initial is None and params.time_limit_s > 0:
        # A search that starts late (loaded machine, slow process start) still
        # gets a little time: an answer slightly late beats no answer.
        remaining = max(remaining, min(0.2 * params.time_limit_s, 1.0))
    sp = search_parameters(config, remaining, params)
    best = [float("inf")]

    failure: list[BaseException] = []

    def on_solution() -> None:
        # An exception must not cross into C++: keep it, stop, re-raise after.
        try:
            cost = routing.CostVar().Value()
            if cost < best[0]:
                best[0] = cost
                if progress is not None:
                    progress(
                        Progress(
                            elapsed_s=time.monotonic() - t0,
                            objective=cost / COST_SCALE,
                            jobs_placed=_count_placed(routing, n_jobs, manager),
                            jobs_total=total,
                            source=config.name,
                        )
                    )
            if cancel is not None and cancel.is_cancelled():
                routing.solver().FinishCurrentSearch()
        except BaseException as exc:
            failure.append(exc)
            routing.solver().FinishCurrentSearch()

    routing.AddAtSolutionCallback(on_solution)
    notes: dict[str, str] = {}
    loop_on = (
        config.ruin_recreate
        and _targets is None
        and (
            params.search == "ruin_recreate"
            or (params.search == "auto" and plain(problem, b.jobs))
        )
    )
    if (
        initial is None
        and config.strategy == FirstSolution.PRIORITY_INSERTION
        and not (loop_on and n_jobs > 0)  # the loop builds its own
    ):
        from routing.construct import priority_insertion

        by_vehicle = priority_insertion(problem, matrix, exclude=b.excluded)
        initial = by_vehicle if any(by_vehicle) else None
    if loop_on and n_jobs > 0:
        assignment, rr_notes = _ruin_recreate(
            b, params, config, sp, initial, deadline, remaining, cancel
        )
        notes.update(rr_notes)
    elif initial is not None:
        close_sp = pywrapcp.DefaultRoutingSearchParameters()
        close_sp.CopyFrom(sp)  # as in _ruin_recreate: time enough to read routes
        _limit(close_sp, remaining)
        routing.CloseModelWithParameters(close_sp)
        node_of = {j.id: i for i, j in enumerate(b.jobs)}
        routes = [
            [manager.NodeToIndex(node_of[jid]) for jid in r if jid in node_of]
            for r in initial
        ]
        routes += [[] for _ in range(len(problem.vehicles) - len(routes))]
        start = routing.ReadAssignmentFromRoutes(routes, True)
        if start is None:
            notes["initial"] = (
                "initial routes infeasible under the constraints; solved from scratch"
            )
            assignment = routing.SolveWithParameters(sp)
        elif remaining <= 0.0 or (cancel is not None and cancel.is_cancelled()):
            assignment = start
        else:
            assignment = routing.SolveFromAssignmentWithParameters(start, sp)
            if assignment is None:
                assignment = start
    else:
        assignment = routing.SolveWithParameters(sp)
    if assignment is None and not (cancel is not None and cancel.is_cancelled()):
        # No first solution within the limit. Every visit is optional, so a
        # first solution always exists: search again (the model is closed, so
        # only the limits change) and stop at the first one.
        fallback = search_parameters(config, 60.0, params)
        fallback.solution_limit = 1
        assignment = routing.SolveWithParameters(fallback)
        notes["fallback"] = (
            "no solution within the time limit; greedy first solution returned"
        )
    if failure:
        raise failure[0]
    status = STATUS.get(routing.status(), str(routing.status()))
    if cancel is not None and cancel.is_cancelled():
        status = "CANCELLED"
    return to_solution(b, assignment, structural, status, time.monotonic() - t0, notes)


def read_solution(
    problem: Problem,
    matrix: Matrix,
    routes: Sequence[Sequence[str]],
    status: str,
    elapsed_s: float,
    notes: dict[str, str],
) -> Solution | None:
    """Routes found elsewhere (job ids per vehicle), timed and explained by this model.

    None when the model refuses them (a job it excludes as structurally
    impossible, or any constraint it does not accept), so an answer from
    another search (``routing.hgs``) is only kept if OR-Tools holds it valid.
    """
    structural = structural_reasons(problem, matrix)
    b = build(problem, matrix, set(structural))
    node_of = {j.id: i for i, j in enumerate(b.jobs)}
    if any(jid not in node_of for r in routes for jid in r):
        return None
    sp = search_parameters(SearchConfig(), 1.0, SolveParams())
    b.routing.CloseModelWithParameters(sp)
    indices = [[b.manager.NodeToIndex(node_of[jid]) for jid in r] for r in routes]
    indices += [[] for _ in range(len(problem.vehicles) - len(indices))]
    assignment = b.routing.ReadAssignmentFromRoutes(indices, True)
    if assignment is None:
        return None
    return to_solution(b, assignment, structural, status, elapsed_s, notes)


def _balance_note(problem: Problem, before: Solution, after: Solution) -> str:
    a, b = workload.spread_hours(problem, before), workload.spread_hours(problem, after)
    return "spread of hours " + ", ".join(
        f"{g or 'all'}: {a[g]:.2f} -> {b[g]:.2f}" for g in sorted(b)
    )


SLOW_POLISH_SHARE = 0.6
"""Share of the loop's time for OR-Tools' polish on problems off the O(1) path."""

MIN_POLISH_S = 0.1
"""Shortest time limit given to OR-Tools (reading routes back needs a few ms of it)."""


def _limit(sp: Any, seconds: float) -> None:
    """Set ``sp``'s time limit to ``seconds``, never below :data:`MIN_POLISH_S`."""
    sp.time_limit.FromMilliseconds(int(max(seconds, MIN_POLISH_S) * 1000))


LEAN_OFF = (
    "use_lin_kernighan",
    "use_make_chain_inactive",
    "use_relocate_expensive_chain",
    "use_relocate_subtrip",
    "use_exchange_subtrip",
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_shortest_path_swap_active",
    "use_swap_active_chain",
    "use_shortest_path_two_opt",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
)
"""OR-Tools operators left out of the polish (slow to confirm a local optimum)."""


def _ruin_recreate(
    b: _Built,
    params: SolveParams,
    config: SearchConfig,
    sp: Any,
    initial: Sequence[Sequence[str]] | None,
    deadline: float,
    remaining: float,
    cancel: CancelToken | None,
) -> tuple[Any, dict[str, str]]:
    """Our loop (``routing.search``) with OR-Tools' greedy descent as the polish."""
    from routing.search.loop import read_routes, ruin_and_recreate
    from routing.search.recreate import recreate
    from routing.search.space import build_space

    routing, manager = b.routing, b.manager
    n_vehicles = len(b.problem.vehicles)
    polish_sp = pywrapcp.DefaultRoutingSearchParameters()
    polish_sp.CopyFrom(sp)
    polish_sp.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    )
    polish_sp.solution_limit = 2**63 - 1
    # The loop is the large-neighbourhood part: the polish keeps OR-Tools' quick
    # moves (a descent confirms its optimum in milliseconds, not a second).
    ops = polish_sp.local_search_operators
    for name in LEAN_OFF:
        setattr(ops, name, 2)  # BOOL_FALSE
    # reading the initial routes back runs under the closed model's limit: with
    # no time left (a replay) a 1 ms limit could refuse valid routes on a busy core
    _limit(polish_sp, remaining)
    routing.CloseModelWithParameters(polish_sp)
    notes: dict[str, str] = {}
    node_of = {j.id: i for i, j in enumerate(b.jobs)}
    deadline = max(deadline, time.monotonic() + remaining)

    def to_indices(routes: Sequence[Sequence[int]]) -> list[list[int]]:
        out = [[manager.NodeToIndex(i) for i in r] for r in routes]
        return out + [[] for _ in range(n_vehicles - len(out))]

    kept: dict[int, tuple[list[list[int]], Any]] = {}

    def polish(
        routes: list[list[int]], limit_s: float
    ) -> tuple[list[list[int]], int] | None:
        # The model keeps the last solve's time limit for reading routes too: never
        # let it fall below MIN_POLISH_S, or the next read fails for lack of time.
        start = routing.ReadAssignmentFromRoutes(to_indices(routes), True)
        if start is None:
            return None
        _limit(polish_sp, limit_s)
        done = routing.SolveFromAssignmentWithParameters(start, polish_sp)
        best = done if done is not None else start
        out, cost = (
            read_routes(routing, manager, best, n_vehicles),
            best.ObjectiveValue(),
        )
        if not kept or cost < min(kept):  # a copy of the best polished solution
            kept.clear()
            kept[cost] = (out, routing.solver().Assignment(best))
        return out, cost

    start: list[list[int]] | None = None
    if initial is not None:
        start = [[node_of[jid] for jid in r if jid in node_of] for r in initial]
        start += [[] for _ in range(n_vehicles - len(start))]
        if routing.ReadAssignmentFromRoutes(to_indices(start), True) is None:
            notes["initial"] = (
                "initial routes infeasible under the constraints; solved from scratch"
            )
            start = None
    space = build_space(b.problem, b.matrix, b.jobs, b.allowed, b.penalties)
    if start is None and config.strategy == FirstSolution.PRIORITY_INSERTION:
        # routing.construct's order (highest priority first, cheapest place) with the
        # loop's O(1) checks; pairs and pinned positions are left to OR-Tools' descent.
        built, _ = recreate(space, [[] for _ in range(n_vehicles)],
                            [i for i, ok in enumerate(space.movable) if ok],
                            random.Random(params.seed), blink=0.0)  # fmt: skip
        if routing.ReadAssignmentFromRoutes(to_indices(built), True) is not None:
            start = built
    if start is None:
        first_sp = pywrapcp.DefaultRoutingSearchParameters()
        first_sp.CopyFrom(polish_sp)
        first_sp.time_limit.FromMilliseconds(
            max(1, int(max(remaining * 0.3, min(remaining, 1.0)) * 1000))
        )
        first = routing.SolveWithParameters(first_sp)
        if first is None:
            return None, notes
        start = read_routes(routing, manager, first, n_vehicles)
    if remaining <= 0.0 or (cancel is not None and cancel.is_cancelled()):
        return routing.ReadAssignmentFromRoutes(to_indices(start), True), notes
    options = dict(config.loop)
    if not space.fast:
        # Breaks, several windows or negative loads: the Python side checks them
        # more cautiously than OR-Tools, so OR-Tools' polish gets more of the time.
        options.setdefault("polish_share", SLOW_POLISH_SHARE)
    best, _, stats = ruin_and_recreate(
        space, start, polish, deadline=deadline, seed=params.seed * 7919 + config.seed,
        cancelled=(lambda: cancel is not None and cancel.is_cancelled()),
        max_iterations=params.solution_limit, **options,
    )  # fmt: skip
    notes["search"] = stats.text()
    final = routing.ReadAssignmentFromRoutes(to_indices(best), True)
    if final is None and kept:  # OR-Tools refused it: the best polished solution
        final = next(iter(kept.values()))[1]
        notes["search"] += "; best polished solution returned"
    return final, notes


def to_solution(
    b: _Built,
    assignment: pywrapcp.Assignment | None,
    structural: dict[str, Unassigned],
    status: str,
    elapsed_s: float,
    notes: dict[str, str],
) -> Solution:
    """Convert an assignment (or None: nothing placed) into a Solution."""
    problem, routing, manager = b.problem, b.routing, b.manager
    dur, dist = b.matrix.durations_s, b.matrix.distances_m
    routes: list[Route] = []
    placed: set[str] = set()
    cost = 0.0
    for k, v in enumerate(problem.vehicles):
        if assignment is None:
            break
        idx = routing.Start(k)
        start_s = assignment.Value(b.time.CumulVar(idx))
        brk = [assignment.StartValue(iv) for iv in b.breaks.get(k, [])]
        stops: list[Stop] = []
        prev_loc, prev_dep = v.start, start_s
        distance = 0
        rate_cost = 0.0
        idx = assignment.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            job = b.jobs[manager.IndexToNode(idx)]
            s = assignment.Value(b.time.CumulVar(idx))
            travel = int(dur[prev_loc, job.location])
            rest = sum(
                q.duration_s
                for q, bs in zip(v.breaks, brk, strict=True)
                if prev_dep <= bs < s
            )
            stops.append(
                Stop(
                    job_id=job.id,
                    arrival_s=min(s, prev_dep + travel + rest),
                    start_s=s,
                    departure_s=s + job.service_s,
                )
            )
            distance += int(dist[prev_loc, job.location])
            rate_cost += (
                v.cost_per_km * dist[prev_loc, job.location] / 1000
                + v.cost_per_hour * travel / 3600
            )
            prev_loc, prev_dep = job.location, s + job.service_s
            idx = assignment.Value(routing.NextVar(idx))
        if not stops:
            continue
        end_s = assignment.Value(b.time.CumulVar(idx))
        distance += int(dist[prev_loc, v.end])
        rate_cost += (
            v.cost_per_km * dist[prev_loc, v.end] / 1000
            + v.cost_per_hour * dur[prev_loc, v.end] / 3600
        )
        cost += float(rate_cost)
        placed.update(s.job_id for s in stops)
        routes.append(
            Route(
                vehicle_id=v.id,
                stops=tuple(stops),
                start_s=start_s,
                end_s=end_s,
                distance_m=distance,
                duration_s=end_s - start_s,
                break_starts_s=tuple(brk),
            )
        )
    dropped = [j.id for j in problem.jobs if j.id not in placed]
    unassigned = explain(problem, b.matrix, dropped, structural=structural)
    pri = {j.id: j.priority for j in problem.jobs}
    return Solution(
        routes=tuple(routes),
        unassigned=unassigned,
        objective=Objective(
            cost=round(cost, 3),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            penalty=float(sum(pri[u] for u in dropped)),
            jobs_placed=len(placed),
            jobs_total=len(problem.jobs),
        ),
        status=status,
        elapsed_s=round(elapsed_s, 3),
        details=notes,
    )
