"""Ejection search: place left-out visits by pushing others out of their way, across the country.

A local search that moves one visit at a time (OR-Tools' operators, the
regional searches) cannot place a visit whose only room appears when another
visit leaves a round, when that one only fits in a round a third must leave
first. The ejection pool of Nagata and Bräysy (2009) searches exactly those
chains: a visit that fits nowhere takes its place in a near round by pushing
one or two visits out of it; those join the pool and are placed the same way.
Each visit counts how often it failed to fit, and pushes out the visits that
failed least (the ones easiest to place again), so the chain drifts towards
room instead of cycling. The best day met (placed visits per priority class,
highest first, then priority left out) is kept; it changes only when strictly
better. Every round is checked by :func:`routing.construct.step` (windows,
shift, breaks, capacity, visit caps); skills and pins decide who may take a
visit. Pinned visits and pickup-and-delivery pairs are never moved.

Pure: job ids in, job ids out. The caller re-reads the changed rounds through
the OR-Tools model before trusting them.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from routing.construct import State, begin, finish, step
from routing.matrix import Matrix
from routing.model import Problem, able

NEAR = 12
"""Rounds a visit may go to: its nearest able vehicles (from their start or any stop)."""
PAIRS_UP_TO = 10
"""Two visits are pushed out together only from rounds of at most this many visits."""


@dataclass(frozen=True, slots=True)
class EjectStats:
    """What the search did, for the plan's details."""

    placed_before: int
    placed_after: int
    iterations: int
    checks: int

    def text(self) -> str:
        return (
            f"placed {self.placed_before} -> {self.placed_after} in {self.iterations} "
            f"ejection(s), {self.checks:,} visit steps checked"
        )


class _Day:
    """The rounds being changed, with the feasibility checks the search needs."""

    def __init__(
        self, problem: Problem, matrix: Matrix, routes: Mapping[str, Sequence[str]]
    ) -> None:
        self.jobs = list(problem.jobs)
        num = {j.id: i for i, j in enumerate(self.jobs)}
        self.num = num
        self.vehicles = problem.vehicles
        self.routes: list[list[int]] = [
            [num[j] for j in routes.get(v.id, ()) if j in num] for v in problem.vehicles
        ]
        self.where = {i: k for k, r in enumerate(self.routes) for i in r}
        self.d = matrix.durations_s.tolist()
        paired = {j.pickup_of for j in problem.jobs if j.pickup_of} | {
            j.id for j in problem.jobs if j.pickup_of
        }
        self.fixed = {
            num[j.id]
            for j in problem.jobs
            if j.id in paired or j.pinned_position is not None or j.pinned_start is not None
            or j.pinned_vehicle is not None
        }  # fmt: skip
        self.able = [
            [k for k, v in enumerate(self.vehicles) if able(j, v)] for j in self.jobs
        ]
        self.steps = 0

    def key(self, i: int) -> tuple[int, int]:
        j = self.jobs[i]
        return (j.priority_class, j.priority)

    def prefix(self, k: int, r: Sequence[int]) -> list[State | None]:
        """State after each prefix of ``r`` (None from the first visit that breaks a rule)."""
        v, jobs, d = self.vehicles[k], self.jobs, self.d
        out: list[State | None] = [begin(v)]
        st: State | None = out[0]
        for i in r:
            if st is not None:
                self.steps += 1
                got = step(v, st, jobs[i], d)
                st = None if got is None else got[0]
            out.append(st)
        return out

    def completes(self, k: int, st: State, rest: Sequence[int]) -> bool:
        v, jobs, d = self.vehicles[k], self.jobs, self.d
        for i in rest:
            self.steps += 1
            got = step(v, st, jobs[i], d)
            if got is None:
                return False
            st = got[0]
        return finish(v, st, d) is not None

    def places(self, k: int, r: Sequence[int], j: int) -> list[int]:
        """Positions where visit ``j`` fits in round ``r`` of vehicle ``k``."""
        v = self.vehicles[k]
        if v.max_visits is not None and len(r) + 1 > v.max_visits:
            return []
        pre = self.prefix(k, r)
        out = []
        for p in range(len(r) + 1):
            st = pre[p]
            if st is None:
                break
            self.steps += 1
            got = step(v, st, self.jobs[j], self.d)
            if got is not None and self.completes(k, got[0], r[p:]):
                out.append(p)
        return out

    def added(self, k: int, r: Sequence[int], j: int, p: int) -> int:
        """Driving seconds added by visit ``j`` at position ``p`` of round ``r``."""
        v, d, loc = self.vehicles[k], self.d, self.jobs[j].location
        a = v.start if p == 0 else self.jobs[r[p - 1]].location
        b = v.end if p == len(r) else self.jobs[r[p]].location
        return int(d[a][loc] + d[loc][b] - d[a][b])

    def near(self, j: int) -> list[int]:
        """The NEAR able vehicles closest to visit ``j`` (their start or any stop)."""
        loc, d, jobs = self.jobs[j].location, self.d, self.jobs
        scored = []
        for k in self.able[j]:
            at = d[self.vehicles[k].start][loc]
            for o in self.routes[k]:
                at = min(at, d[jobs[o].location][loc])
            scored.append((at, k))
        scored.sort()
        return [k for _, k in scored[:NEAR]]

    def direct(self, j: int, rng: random.Random) -> tuple[int, int] | None:
        """The cheapest (vehicle, position) for ``j`` in a near round as it is."""
        best: tuple[int, float, int, int] | None = None
        for k in self.near(j):
            r = self.routes[k]
            for p in self.places(k, r, j):
                c = (self.added(k, r, j, p), rng.random(), k, p)
                if best is None or c < best:
                    best = c
        return None if best is None else (best[2], best[3])

    def put(self, j: int, k: int, p: int) -> None:
        self.routes[k].insert(p, j)
        self.where[j] = k

    def take(self, j: int) -> None:
        self.routes[self.where.pop(j)].remove(j)


def _eject(
    day: _Day, j: int, fails: Sequence[int], rng: random.Random
) -> tuple[int, tuple[int, ...], int] | None:
    """Where ``j`` goes if one or two visits leave a near round: (vehicle, visits out, position).

    Pushes out the visits that failed least (easiest to place again), then the
    least important, then the cheapest detour."""
    Rank = tuple[int, int, tuple[int, int], int, float]
    best: tuple[Rank, int, tuple[int, ...], int] | None = None
    for k in day.near(j):
        r = day.routes[k]
        movable = [q for q, i in enumerate(r) if i not in day.fixed]
        combos: list[tuple[int, ...]] = [(q,) for q in movable]
        if len(r) <= PAIRS_UP_TO:
            combos += list(itertools.combinations(movable, 2))
        for qs in combos:
            out = tuple(r[q] for q in qs)
            cost = sum(fails[i] for i in out)
            if best is not None and cost > best[0][0]:
                continue
            rest = [i for q, i in enumerate(r) if q not in qs]
            for p in day.places(k, rest, j):
                score: Rank = (
                    cost,
                    len(out),
                    max(day.key(i) for i in out),
                    day.added(k, rest, j, p),
                    rng.random(),
                )
                if best is None or score < best[0]:
                    best = (score, k, out, p)
                break  # the first place in the round is good enough to rank it
    return None if best is None else (best[1], best[2], best[3])


def _score(day: _Day, top: int) -> tuple[int, ...]:
    """Placed visits per class (highest first), then minus the priority left out."""
    per = [0] * (top + 1)
    left = 0
    for i, j in enumerate(day.jobs):
        if i in day.where:
            per[top - j.priority_class] += 1
        else:
            left += j.priority
    return (*per, -left)


def place_left_out(
    problem: Problem,
    matrix: Matrix,
    routes: Mapping[str, Sequence[str]],
    left_out: Sequence[str],
    *,
    deadline: float,
    seed: int = 0,
    cancelled: Callable[[], bool] = lambda: False,
) -> tuple[dict[str, list[str]], EjectStats]:
    """The rounds that changed (vehicle id -> job ids) in the best day found before ``deadline``.

    ``routes``: each vehicle's current jobs in order; ``left_out``: the visits to
    place (others not on a route stay out). Nothing changes unless the day gets
    strictly better by the planner's order (a higher class outweighs any number
    of lower ones).
    """
    rng = random.Random(seed)
    day = _Day(problem, matrix, routes)
    start = [list(r) for r in day.routes]
    top = max((j.priority_class for j in day.jobs), default=0)
    best_routes, best = start, _score(day, top)
    before = len(day.where)
    fails = [0] * len(day.jobs)
    pool: list[tuple[int, int, int, int]] = []
    tick = itertools.count()

    def push(i: int) -> None:
        c, p = day.key(i)
        heapq.heappush(pool, (-c, -p, next(tick), i))

    for jid in left_out:
        i = day.num.get(jid)
        if i is not None and i not in day.where and i not in day.fixed:
            push(i)
    iterations = 0
    while pool and time.monotonic() < deadline and not cancelled():
        j = heapq.heappop(pool)[3]
        got = day.direct(j, rng)
        if got is None:
            fails[j] += 1
            ej = _eject(day, j, fails, rng)
            if ej is None:
                continue  # fits nowhere even with room made: stays out
            k, out, p = ej
            for i in out:
                day.take(i)
                push(i)
            got = (k, p)
            iterations += 1
        day.put(j, *got)
        score = _score(day, top)
        if score > best:
            best, best_routes = score, [list(r) for r in day.routes]
    changed = {
        problem.vehicles[k].id: [day.jobs[i].id for i in r]
        for k, r in enumerate(best_routes)
        if r != start[k]
    }
    after = before + sum(len(r) for r in best_routes) - sum(len(r) for r in start)
    return changed, EjectStats(before, after, iterations, day.steps)
