"""Cross-border repair: the visits the regions left out, re-offered to the nearest technicians.

A regional part cannot move work across its border: a visit on the edge of a
full region stays out even when a technician of the next region, twenty
minutes away, has an hour free. After the regional rounds, :func:`repair`
takes the jobs still left out (highest class first) as *seeds*; around each it
builds a small sub-problem of the nearest able vehicles of any region
(:func:`routing.partition.neighbourhood.neighbourhood`: by driving time from
their start or any stop of their current round), with their current rounds and
the left-out jobs near them, and re-solves it with OR-Tools starting from those
rounds. One sub-problem per executor slot is kept in flight
(:func:`routing.partition.inflight.keep_busy`): when one answers, it is spliced
back only if the whole day is not worse (placed visits per priority class,
highest first, then priority left out, then cost) and the next is planned on
the day as it now stands, sharing no vehicle and no job with those still
running. A seed that stays out is tried again with a wider neighbourhood, up
to :data:`LEVELS`. A slot no seed can use shortens a round meanwhile, a small
neighbourhood around each round in turn (:data:`POLISH`, kept when cheaper),
and the seeds start again after any change (a shorter round may now leave
room), until the deadline. Before the first sub-solve, after each answer that
changed the day (OR-Tools has just re-timed those rounds, so chains may open
there; the vehicles in flight are left alone) and after the last, the ejection
search (``routing.search.eject``) tries to place the left-out visits by pushing
others into rounds that have room, anywhere in the country (:func:`ejected`).
A sub-solve's time limit follows its size (:data:`WAVE_S_PER_VISIT`): thirty
visits are settled long before two hundred, and the seconds saved are more
tries.

Pure: ids in, ids out; the caller brings the executor and the deadline.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from routing.matrix import Matrix
from routing.model import Problem, Solution
from routing.ortools_model import read_solution
from routing.params import SolveParams
from routing.partition.inflight import Submit, Taken, keep_busy
from routing.partition.neighbourhood import neighbourhood, splice
from routing.partition.parts import make_part
from routing.reasons import structural_reasons
from routing.search.eject import place_left_out

LEVELS = ((5, 8), (8, 14), (12, 24), (18, 24))
"""Neighbourhood sizes tried in turn for a seed: (vehicles per seed, vehicles in all)."""
WAVE_S = (0.5, 6.0)
"""Bounds of one sub-solve's time limit."""
WAVE_S_PER_VISIT = 0.012
"""A sub-solve's time limit per visit (1.2 s for 100 visits): measured on the
national day, as good as 1.5 s for every one and leaves time for more."""
POLISH = (3, 6)
"""Neighbourhood of a round being shortened: (vehicles per visit, vehicles in all)."""
MIN_LEFT_S = 0.8
"""No new sub-solve with less time than this before the deadline."""
EJECT_SHARE = 0.12
"""Share of the repair's time for the ejection search (``routing.search.eject``),
once before the first sub-solve and once after the last."""
EJECT_STEP_S = 0.25
"""The ejection search after each answer that changed the day (national day: with it
1,197-1,199 placed over eight seeds, without it 1,195-1,198)."""


@dataclass(frozen=True, slots=True)
class RepairStats:
    """What the repair did, for the plan's details."""

    tried: int
    accepted: int
    placed_before: int
    placed_after: int
    solving_s: float
    """Wall time with sub-solves in flight (the ejection searches before and after excluded)."""
    ejection: str = ""
    """What the ejection searches did (before the first sub-solve; after the last)."""

    def text(self) -> str:
        return (
            f"{self.tried} neighbourhood(s) re-solved "
            f"({self.solving_s:.1f} s), {self.accepted} kept; "
            f"placed {self.placed_before} -> {self.placed_after}"
            + (f"; ejection search: {self.ejection}" if self.ejection else "")
        )


def figures(problem: Problem, sol: Solution) -> tuple[float, ...]:
    """Placed visits per priority class (highest first), then -priority left out, then -cost.

    Compared as a tuple: the planner's order (a higher class outweighs every lower one)."""
    cls = {j.id: j.priority_class for j in problem.jobs}
    pri = {j.id: j.priority for j in problem.jobs}
    top = max(cls.values(), default=0)
    per = [0] * (top + 1)
    placed = {s.job_id for r in sol.routes for s in r.stops}
    for j in placed:
        per[top - cls[j]] += 1
    left = sum(p for j, p in pri.items() if j not in placed)
    return (*per, -left, -sol.objective.cost)


def wave_limit(visits: int, left_s: float) -> float:
    """Time limit of a sub-solve of ``visits`` visits, ``left_s`` before the deadline."""
    return min(max(WAVE_S_PER_VISIT * visits, WAVE_S[0]), WAVE_S[1], left_s * 0.95)


Wave = list[Taken]
"""Sub-problems sharing no vehicle and no job: (vehicle indices, job ids) each."""


def submit_sub(
    problem: Problem, sol: Solution, sub: Taken, params: SolveParams, submit: Submit
) -> cf.Future[Solution]:
    """Start sub-problem ``sub`` (vehicle indices, job ids) from ``sol``'s rounds."""
    assert problem.matrix is not None
    vs, js = sub
    name = f"sub-{vs[0]}-{len(vs)}"
    return submit(make_part(problem, problem.matrix, name, vs, js), params, sol)


Anchor = tuple[list[str], int, int]
"""Where a sub-problem grows from: (job ids, vehicles per job, vehicles in all)."""


def waves_plan(
    problem: Problem,
    matrix: Matrix,
    sol: Solution,
    anchors: Iterable[Anchor],
    slots: int,
    taken: Sequence[Taken] = (),
) -> Wave:
    """Up to ``slots`` sub-problems sharing no vehicle and no job: (vehicles, jobs).

    Each grows from an anchor by :func:`neighbourhood`; an anchor whose vehicles
    overlap an earlier sub-problem's (or one ``taken`` already), or whose jobs went
    to one, is skipped."""
    routes = {r.vehicle_id: list(r.job_ids) for r in sol.routes}
    routed = {j for js in routes.values() for j in js}
    partner = {j.id: j.pickup_of for j in problem.jobs if j.pickup_of is not None}
    partner |= {v: k for k, v in list(partner.items())}
    pinned = {j.id: j.pinned_vehicle for j in problem.jobs if j.pinned_vehicle}
    out: Wave = []
    used_v: set[int] = {k for vs, _ in taken for k in vs}
    used_j: set[str] = {j for _, js in taken for j in js}
    for seeds, per_job, at_most in anchors:
        if len(out) >= slots:
            break
        if used_j.intersection(seeds):
            continue
        vs, js = neighbourhood(
            problem, matrix, routes, seeds, per_job=per_job, at_most=at_most
        )
        if not vs or used_v.intersection(vs):
            continue
        # a left-out job already offered to another sub-problem stays there (with its
        # partner); one pinned to a vehicle outside this one is not offered at all
        ids = {problem.vehicles[k].id for k in vs}
        js = [
            j
            for j in js
            if j in routed
            or (
                j not in used_j
                and partner.get(j) not in used_j
                and (j not in pinned or pinned[j] in ids)
            )
        ]
        if not set(seeds) <= set(js):
            continue
        used_v.update(vs)
        used_j.update(js)
        out.append((vs, js))
    return out


def round_anchors(
    sol: Solution, start: int, sizes: tuple[int, int] = POLISH
) -> list[Anchor]:
    """Every round in turn from ``start``: its first, middle and last visits, with ``sizes``."""
    routes = [r.job_ids for r in sol.routes if r.stops]
    turn = (
        routes[start % len(routes) :] + routes[: start % len(routes)] if routes else []
    )
    return [
        (list(dict.fromkeys((js[0], js[len(js) // 2], js[-1]))), *sizes) for js in turn
    ]


def ejected(
    problem: Problem,
    matrix: Matrix,
    sol: Solution,
    *,
    deadline: float,
    cancelled: Callable[[], bool] = lambda: False,
    busy: Sequence[Taken] = (),
) -> tuple[Solution, str]:
    """``sol`` after the ejection search on its left-out visits, if OR-Tools holds it valid.

    The vehicles and jobs ``busy`` in sub-solves in flight are left alone. The
    changed rounds are re-read and timed through the OR-Tools model of just
    those vehicles, so the day keeps only what the model itself accepts."""
    off_v = {problem.vehicles[k].id for vs, _ in busy for k in vs}
    off_j = {j for _, js in busy for j in js}
    free = problem.replace(
        vehicles=tuple(v for v in problem.vehicles if v.id not in off_v)
    )
    routes = {
        r.vehicle_id: list(r.job_ids) for r in sol.routes if r.vehicle_id not in off_v
    }
    left = [u.job_id for u in sol.unassigned if u.job_id not in off_j]
    changed, stats = place_left_out(
        free, matrix, routes, left, deadline=deadline, cancelled=cancelled
    )
    if not changed:
        return sol, stats.text()
    index = {v.id: k for k, v in enumerate(problem.vehicles)}
    ks = sorted(index[v] for v in changed)
    part = make_part(
        problem, matrix, "eject", ks, [j for v in changed for j in changed[v]]
    )
    assert part.problem.matrix is not None
    local = read_solution(
        part.problem, part.problem.matrix,
        [changed[v.id] for v in part.problem.vehicles], sol.status, sol.elapsed_s, {},
    )  # fmt: skip
    if local is None:
        return sol, stats.text() + "; refused by the model"
    return splice(problem, matrix, sol, local, list(changed)), stats.text()


def repair(
    problem: Problem,
    sol: Solution,
    params: SolveParams,
    *,
    submit: Submit,
    slots: int,
    deadline: float,
    cancelled: Callable[[], bool] = lambda: False,
    on_better: Callable[[Solution], None] | None = None,
    eject_share: float = EJECT_SHARE,
) -> tuple[Solution, RepairStats]:
    """``sol`` with left-out jobs re-offered across region borders until ``deadline``.

    ``problem`` carries its matrix. ``submit`` starts a sub-solve on a free slot
    (``slots`` of them run at once, :func:`routing.partition.inflight.keep_busy`).
    ``on_better`` hears each improved whole day. ``eject_share``: share of the
    time for the ejection search (0: none).
    """
    matrix = problem.matrix
    assert matrix is not None, "repair needs the problem's matrix"
    structural = structural_reasons(problem, matrix)
    order = sorted(problem.jobs, key=lambda j: (-j.priority_class, -j.priority, j.id))
    level: dict[str, int] = {}
    before = sum(len(r.stops) for r in sol.routes)
    accepted = 0
    changed = False
    solving = 0.0
    polished = 0
    best = figures(problem, sol)
    final = deadline
    eject_s = max(0.0, deadline - time.monotonic()) * eject_share / 2
    deadline -= eject_s
    notes: list[str] = []

    between = [0, 0]  # ejection searches between sub-solves, visits they placed

    def eject(until: float, busy: Sequence[Taken] = (), note: bool = True) -> None:
        nonlocal sol, best
        if eject_share <= 0 or until - time.monotonic() < 0.2 or cancelled():
            return
        was = sum(len(r.stops) for r in sol.routes)
        candidate, text = ejected(
            problem, matrix, sol, deadline=until, cancelled=cancelled, busy=busy
        )
        score = figures(problem, candidate)
        if score > best:
            sol, best = candidate, score
            if on_better is not None:
                on_better(sol)
        if note:
            notes.append(text)
        else:
            between[0] += 1
            between[1] += sum(len(r.stops) for r in sol.routes) - was

    def plan(taken: Sequence[Taken]) -> Taken | None:
        """The next sub-problem: the first left-out seed that has tries left, else a round."""
        nonlocal changed, polished
        placed = {s.job_id for r in sol.routes for s in r.stops}
        seeds = [
            j.id
            for j in order
            if j.id not in placed
            and j.id not in structural
            and level.setdefault(j.id, 0) < len(LEVELS)
        ]
        if not seeds and changed:
            # rounds changed since the seeds were last tried: they may fit now
            changed = False
            for j in level:
                level[j] = 0
            return plan(taken)
        anchors = [([s], *LEVELS[level[s]]) for s in seeds]
        got = waves_plan(problem, matrix, sol, anchors, 1, taken)
        if got:
            return got[0]
        # no seed to try (or every one near a sub-problem in flight): shorten a
        # round meanwhile, so that room appears for the seeds' next turn
        for k, anchor in enumerate(round_anchors(sol, polished)):
            got = waves_plan(problem, matrix, sol, [anchor], 1, taken)
            if got:
                polished += k + 1
                return got[0]
        return None

    def start(taken: Sequence[Taken]) -> tuple[Taken, cf.Future[Solution]] | None:
        left_s = deadline - time.monotonic()
        if left_s < MIN_LEFT_S:
            return None
        sub = plan(taken)
        if sub is None:
            return None
        limit = wave_limit(len(sub[1]), left_s)
        return sub, submit_sub(
            problem, sol, sub, replace(params, time_limit_s=limit), submit
        )

    def finish(sub: Taken, local: Solution, flying: Sequence[Taken]) -> None:
        nonlocal sol, best, accepted, changed
        vs, js = sub
        candidate = splice(
            problem, matrix, sol, local, [problem.vehicles[k].id for k in vs]
        )
        score = figures(problem, candidate)
        kept = score > best
        if kept:
            sol, best = candidate, score
            accepted += 1
            changed = True
            if on_better is not None:
                on_better(sol)
        now = {s.job_id for r in sol.routes for s in r.stops}
        for s in js:
            if s in level and s not in now:
                level[s] = min(len(LEVELS), level[s] + 1)
        if kept:
            # OR-Tools has just re-timed these rounds: chains may open there
            eject(min(deadline, time.monotonic() + EJECT_STEP_S), flying, note=False)

    eject(time.monotonic() + eject_s)
    t_run = time.monotonic()
    tried = keep_busy(start, finish, slots=slots, cancelled=cancelled)
    solving = time.monotonic() - t_run
    if between[0]:
        notes.append(f"{between[0]} between sub-solves placed {between[1]:+d}")
    eject(final)
    after = sum(len(r.stops) for r in sol.routes)
    return sol, RepairStats(
        tried, accepted, before, after, round(solving, 1), "; ".join(notes)
    )
