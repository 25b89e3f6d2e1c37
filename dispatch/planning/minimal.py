"""The rest of a day solved with minimal change: only the technicians it concerns move.

Every remaining round is first replayed as it stands under the rest of the day's
constraints (``routing.strict.retime``: where each technician is now, late minutes
added). The *seeds* are what must find a place: an emergency, the visits of a
technician off sick, and the visits a round can no longer keep. Only the
technicians near the seeds (``routing.partition.neighbourhood``: the few nearest
able to do each, by driving time from where they are or will be), the ones named
late and the ones who lost a visit are re-solved, in two passes of the planner's
own solve (``solve_day``; in this process, no process started, when the
neighbourhood is small):

1. every visit stays with its technician (pinned), started from the current order;
   the seeds and visits left out before are free;
2. visits pass 1 had to drop (their technician is now too late, or higher-priority
   work took their slot) are freed, the neighbourhood growing by the technicians
   nearest to them; everyone else stays where pass 1 put them (a newcomer's round
   with its technician).

The answer is spliced among the kept rounds and goes through strict priority over
the whole day (``routing.strict.enforce``). Each pass is never worse than its start
in the priority order (``never_worse``) and every other round is its own replay, so
the day is never worse than before; nothing outside the neighbourhood moves but
what strict priority or a free gap asks. One time budget, ``deadline``, covers both
passes and leaves a share for what follows (strict priority, validation, saving).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from dispatch.planning.builder import DayProblem
from dispatch.planning.rest_of_day import _initial
from dispatch.planning.solving import namer, solve_day
from routing import Job, Problem, Solution
from routing.matrix import problem_matrix
from routing.partition import make_part, neighbourhood, splice
from routing.strict import enforce, retime

SMALL = 150
"""A neighbourhood of at most this many visits is solved in this process."""
RESERVE = 0.25
"""Share of the remaining budget kept for after the search."""
FIRST_PASS = 0.6
"""Share of the search budget for pass 1 (pass 2 gets the rest)."""
MIN_PASS_S = 0.3
GROW_PER_JOB, GROW_AT_MOST = 2, 4
"""Pass 2 adds the nearest technicians of each visit pass 1 dropped, this many at most."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    solution: Solution
    problem: Problem  # the whole rest of the day, with the pins it was solved under
    passes: int
    vehicles: tuple[str, ...]  # the neighbourhood's technicians
    jobs: int  # the neighbourhood's visits


def job_pins(dp: DayProblem) -> dict[str, str]:
    """Pins a dispatcher set by hand (kept in both passes)."""
    return {ref: m.pinned_to for ref, m in dp.jobs.items() if m.pinned_to}


def minimal_change(
    dp: DayProblem,
    order: Mapping[str, Sequence[str]],
    *,
    seeds: Collection[str],
    free: Collection[str],
    late: Collection[str] = (),
    breaks: Mapping[str, Sequence[int]] | None = None,
    deadline: float,
) -> Outcome:
    """Re-solve the neighbourhood of ``seeds`` (and the ``late`` vehicles), keep the rest.

    ``order``: each vehicle's remaining visits in their current order; ``free``: the
    visits not pinned to a technician in pass 1; ``breaks``: each vehicle's planned
    break starts (kept when they still fit); ``deadline``: ``time.monotonic()`` by
    which the whole re-plan should be over.
    """
    matrix = problem_matrix(dp.problem.locations, dp.problem.matrix)
    problem = dp.problem.replace(matrix=matrix)
    dp = replace(dp, problem=problem)
    jobs = {j.id: j for j in problem.jobs}
    order = {v: [j for j in js if j in jobs] for v, js in order.items()}
    replay, lost = retime(problem, order, breaks=breaks)
    owner = {j: v for v, js in order.items() for j in js}
    vehicles = {v.id for v in problem.vehicles}
    lost_here = [j for j in lost if j in jobs]
    extra = [v for v in late if v in vehicles]
    extra += [owner[j] for j in lost_here if owner.get(j) in vehicles]

    def by_priority(ids: Collection[str]) -> list[str]:
        return sorted(
            (j for j in set(ids) if j in jobs),
            key=lambda j: (-jobs[j].priority_class, -jobs[j].priority, j),
        )

    # what was asked first (the emergency, the round off sick), then what no longer fits
    ranked = by_priority(seeds)
    ranked += [j for j in by_priority(lost_here) if j not in set(ranked)]
    vidx, job_ids = neighbourhood(
        problem, matrix, order, ranked, vehicles=dict.fromkeys(extra)
    )
    name = namer(dp)
    if not job_ids:
        return Outcome(
            solution=enforce(problem, replay, name=name),
            problem=problem,
            passes=0,
            vehicles=(),
            jobs=0,
        )
    part = make_part(problem, matrix, "neighbourhood", vidx, job_ids)
    ids = tuple(problem.vehicles[k].id for k in vidx)
    sub = replace(dp, problem=part.problem)
    workers = 1 if len(job_ids) <= SMALL else 2
    search_end = deadline - RESERVE * max(0.0, deadline - time.monotonic())

    def budget(share: float) -> float:
        return max(MIN_PASS_S, (search_end - time.monotonic()) * share)

    first = solve_day(
        sub,
        budget(FIRST_PASS),
        initial=_initial(part.problem, order, breaks),
        workers=workers,
    )
    pinned_before = {j.id for j in part.problem.jobs if j.pinned_vehicle} - set(free)
    stuck = {u.job_id for u in first.unassigned} & pinned_before
    local, solved, passes = first, part.problem, 1
    if stuck:
        # pass 2: what pass 1 dropped is free, among its own nearest technicians too
        current = {**order, **{v: [] for v in ids}}
        current |= {r.vehicle_id: list(r.job_ids) for r in first.routes}
        vidx, more = neighbourhood(
            problem, matrix, current, by_priority(stuck), vehicles=ids,
            per_job=GROW_PER_JOB, at_most=GROW_AT_MOST,
        )  # fmt: skip
        ids = tuple(problem.vehicles[k].id for k in vidx)
        inside = set(job_ids) | set(more)
        job_ids = [j.id for j in problem.jobs if j.id in inside]
        own = {k: v for k, v in job_pins(dp).items() if v in ids}
        placed = {s.job_id: r.vehicle_id for r in first.routes for s in r.stops}
        before = {j.id for j in part.problem.jobs}

        def pin(j: Job) -> str | None:
            if j.id in own:
                return own[j.id]
            if j.id in stuck:
                return None
            if j.id in before:  # where pass 1 put it (nowhere: still free)
                return placed.get(j.id)
            return j.pinned_vehicle  # a newcomer's round: with its technician

        grown = problem.replace(
            jobs=tuple(
                replace(j, pinned_vehicle=pin(j)) if j.id in inside else j
                for j in problem.jobs
            )
        )
        part = make_part(grown, matrix, "neighbourhood", vidx, job_ids)
        solved = part.problem
        planned = dict(breaks or {})
        planned |= {r.vehicle_id: r.break_starts_s for r in first.routes}
        local = solve_day(
            replace(sub, problem=solved),
            budget(1.0),
            initial=_initial(solved, current, planned),
            workers=1 if len(job_ids) <= SMALL else 2,
        )
        passes = 2
    pins = {j.id: j.pinned_vehicle for j in solved.jobs}
    whole = problem.replace(
        jobs=tuple(
            replace(j, pinned_vehicle=pins[j.id]) if j.id in pins else j
            for j in problem.jobs
        )
    )
    spliced = splice(whole, matrix, replay, local, ids)
    return Outcome(
        solution=enforce(whole, spliced, name=name),
        problem=whole,
        passes=passes,
        vehicles=ids,
        jobs=len(job_ids),
    )


def from_scratch(dp: DayProblem, seconds: float) -> tuple[Solution, Problem]:
    """The same rest of the day solved with no pins and no starting routes (benchmarks);
    with the problem it solved, to validate against."""
    own = job_pins(dp)
    jobs = tuple(replace(j, pinned_vehicle=own.get(j.id)) for j in dp.problem.jobs)
    problem = dp.problem.replace(jobs=jobs)
    return solve_day(replace(dp, problem=problem), seconds), problem
