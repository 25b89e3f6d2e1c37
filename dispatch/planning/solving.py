"""Solving a day: the problem of a day, the solve (partitioned above a size), warm starts from a saved plan."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date

from sqlalchemy.orm import Session

from dispatch.planning.builder import DayProblem, Variant, technician_day
from dispatch.planning.couriers import courier_day
from dispatch.planning.saved import load_plan, planned_breaks
from routing import (
    CancelToken,
    FirstSolution,
    Objective,
    ProgressCallback,
    Route,
    Solution,
    SolveParams,
    Stop,
    solve,
)
from routing.partition import Pool, dask_pool, local_pool, solve_partitioned
from routing.strict import enforce, retime

PARTITION_ABOVE_JOBS = 300
"""Above this many jobs the day is solved region by region, in parallel."""
DEFAULT_SECONDS = {"technicians": 48.0, "couriers": 40.0}
"""A national technician day: 40 s placing visits, then 8 s taking kilometres back at the
real rates (``routing.partition.polish``, a sixth of the budget when time is weighted)."""
STRATEGY = FirstSolution.PRIORITY_INSERTION
"""Days are started in priority order, so scarce capacity goes to the right jobs at once
(the engine's default too: benchmarks run the same portfolio)."""

TIME_WEIGHT = {"technicians": 4.0}
"""``SolveParams.time_weight`` by kind of day. A technician's hours are what a
full day runs out of: searching with their cost per hour four times the real
one saves working time before kilometres and leaves room for more visits
(national demo day at 40 s: 1,196-1,199 placed against 1,192-1,195 at the real
rates, for about 5 % more km, part of which the polish at the real rates takes back;
docs/DESIGN.md). Courier days keep the real rates."""


def build_day(
    session: Session,
    kind: str,
    day: date,
    region: str | None = None,
    variant: Variant | None = None,
    depot_id: int | None = None,
) -> DayProblem:
    if kind == "technicians":
        return technician_day(session, day, region, variant)
    if kind == "couriers":
        return courier_day(
            session, day, region=region, depot_id=depot_id, variant=variant
        )
    raise ValueError(f"unknown plan kind {kind!r}; expected technicians or couriers")


DASK_ENV = "TOURNEE_DASK_SCHEDULER"


def partition_pool() -> AbstractContextManager[Pool]:
    """Where regional parts run: the Dask cluster at ``TOURNEE_DASK_SCHEDULER``, else a local pool."""
    address = os.environ.get(DASK_ENV)
    return dask_pool(address) if address else local_pool()


def solve_day(
    dp: DayProblem,
    seconds: float,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    initial: Solution | None = None,
    seed: int = 0,
    workers: int = 2,
    balance_per_hour: float = 0.0,
) -> Solution:
    """Small days: one model, a portfolio on ``workers`` cores (1: in this process,
    no process started). National days: by region, in parallel.

    The answer then goes through :func:`routing.strict.enforce`: free gaps filled,
    no job left out while a lower priority class holds a slot it could take, and
    every reason recomputed from the final routes, naming tickets by reference.
    """
    # a day nobody works (a Saturday of a horizon) is one model: it leaves every visit out
    if len(dp.problem.jobs) > PARTITION_ABOVE_JOBS and dp.problem.vehicles:
        # Vans never leave their depot's area: one part per depot. Technicians are
        # clustered by where they live (k-means), which balances the parts' sizes.
        # A whole-day re-plan goes this way too (its visits are pinned to their
        # technicians by ``stabilise``); the rest of a day re-solves only a
        # neighbourhood (``dispatch.planning.minimal``).
        labels = dict(dp.labels)
        with partition_pool() as pool:
            sol = solve_partitioned(
                dp.problem,
                SolveParams(
                    time_limit_s=seconds,
                    seed=seed,
                    strategy=STRATEGY,
                    balance_per_hour=balance_per_hour,
                    time_weight=TIME_WEIGHT.get(dp.kind, 1.0),
                ),
                executor=pool.executor,
                channel=pool.channel(),
                labels=labels,
                progress=progress,
                cancel=cancel,
                initial=initial,
            )
    else:
        sol = solve(
            dp.problem,
            SolveParams(
                time_limit_s=seconds,
                workers=workers,
                seed=seed,
                strategy=STRATEGY,
                balance_per_hour=balance_per_hour,
                time_weight=TIME_WEIGHT.get(dp.kind, 1.0),
            ),
            progress=progress,
            cancel=cancel,
            initial=initial,
        )
    final = enforce(dp.problem, sol, name=namer(dp))
    if initial is None:
        return final
    return never_worse(dp, initial, final)


def never_worse(dp: DayProblem, initial: Solution, final: Solution) -> Solution:
    """A re-plan never serves less than its start, in the planner's own order.

    The starting plan is replayed under today's constraints (``routing.strict.retime``):
    what no longer fits there was forced out by a pin or a change, and is named.
    If the search's answer is worse than that replay (with its gaps filled):
    fewer visits of the highest priority class, then of the next..., then fewer
    visits in all, then less priority, the replay wins.
    """
    name = namer(dp)
    routes = {r.vehicle_id: list(r.job_ids) for r in initial.routes}
    planned = {r.vehicle_id: r.break_starts_s for r in initial.routes}
    replay, lost = retime(dp.problem, routes, breaks=planned)
    start = enforce(dp.problem, replay, name=name)

    cls = {j.id: j.priority_class for j in dp.problem.jobs}
    top = max(cls.values(), default=0)

    def figures(sol: Solution) -> tuple[int, ...]:
        """Placed visits per priority class (highest first), then in all, then score.

        Compared as a tuple: the planner's own order, so an emergency that
        displaces two lower-class visits is better, not worse."""
        placed = [s.job_id for r in sol.routes for s in r.stops]
        per = [0] * (top + 1)
        for j in placed:
            per[top - cls.get(j, 0)] += 1
        score = sum(dp.jobs[j].score for j in placed if j in dp.jobs)
        return (*per, len(placed), score)

    was = sum(len(r.stops) for r in initial.routes)
    new, old = figures(final), figures(start)
    n_new, n_start = new[-2], old[-2]
    forced = ", ".join(name(j) for j in lost[:8]) + (
        f" and {len(lost) - 8} more" if len(lost) > 8 else ""
    )
    note = f"started from {was} placed visits"
    if lost:
        note += f"; forced out by pins or changes: {forced}"
    best = final
    if new < old:
        best = start
        note += (
            f"; the search found {n_new} placed, so the starting rounds were kept "
            f"({n_start} placed)"
        )
    details = {**best.details, "replan": note}
    return Solution(
        routes=best.routes,
        unassigned=best.unassigned,
        objective=best.objective,
        status=best.status,
        elapsed_s=final.elapsed_s,
        details=details,
    )


def namer(dp: DayProblem) -> Callable[[str], str]:
    """Routing ids -> what readers see: ticket references, technicians' names."""

    def name(ref: str) -> str:
        if ref in dp.jobs:
            return dp.jobs[ref].shown
        if ref in dp.vehicles:
            return dp.vehicles[ref].name or ref
        return ref

    return name


def initial_from_plan(
    session: Session, plan_id: int, dp: DayProblem
) -> Solution | None:
    """The routes of an earlier plan as a starting point (jobs and vehicles still present)."""
    view = load_plan(session, plan_id)
    breaks = planned_breaks(view)
    jobs = {j.id for j in dp.problem.jobs}
    vehicles = {v.id for v in dp.problem.vehicles}
    routes = []
    for r in view.routes:
        if r.vehicle_ref not in vehicles:
            continue
        stops = tuple(
            Stop(job_id=s.job_ref, arrival_s=0, start_s=0, departure_s=0)
            for s in r.stops
            if s.job_ref in jobs
        )
        if stops:
            routes.append(
                Route(
                    vehicle_id=r.vehicle_ref,
                    stops=stops,
                    start_s=0,
                    end_s=0,
                    distance_m=0,
                    duration_s=0,
                    # where the break was planned: the replay keeps it there, so
                    # an unchanged plan replays whole (``never_worse``)
                    break_starts_s=breaks.get(r.vehicle_ref, ()),
                )
            )
    if not routes:
        return None
    return Solution(
        routes=tuple(routes),
        unassigned=(),
        status="INITIAL",
        elapsed_s=0.0,
        objective=Objective(
            cost=0,
            distance_m=0,
            duration_s=0,
            penalty=0,
            jobs_placed=0,
            jobs_total=len(jobs),
        ),
    )


def stabilise(dp: DayProblem, session: Session, published_id: int) -> DayProblem:
    """A re-plan of a published day keeps each visit with its technician where it can.

    Visits already given to a technician who is still working are pinned to them
    (they may still be re-ordered, or dropped for higher-priority work); new or
    orphaned visits are free. That is what "change as little as it can" means to
    the technicians who already have their day.
    """
    view = load_plan(session, published_id)
    owner = {s.job_ref: r.vehicle_ref for r in view.routes for s in r.stops}
    vehicles = {v.id for v in dp.problem.vehicles}
    jobs = tuple(
        replace(
            j,
            pinned_vehicle=j.pinned_vehicle
            or (owner[j.id] if owner.get(j.id) in vehicles else None),
        )
        for j in dp.problem.jobs
    )
    return replace(dp, problem=dp.problem.replace(jobs=jobs))
