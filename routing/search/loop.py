"""The ruin-and-recreate loop: ruin, recreate, polish with OR-Tools, accept by annealing.

Why not OR-Tools' own iterated local search: in 9.15, from Python, setting
``use_iterated_local_search`` with a ruin strategy (SISR, random walk or close
routes) changes nothing under guided local search (same trajectory, same
solutions as without it) and under greedy descent the search log shows one
descent and "Finished search tree" after half a second: no perturbation
runs. So the outer loop is ours and OR-Tools does what it is good at, the
constrained local search, from each candidate we give it.

Each iteration works on job-number lists in Python (``ruin``, ``recreate``,
O(1) insertion checks on plain problems) and keeps the candidate by a
simulated-annealing rule on OR-Tools' own objective (arc costs plus drop
penalties). Candidates close to the best are polished by OR-Tools' local
search (``ReadAssignmentFromRoutes`` then ``SolveFromAssignmentWithParameters``
with greedy descent); a candidate OR-Tools cannot read is discarded, so the
best is always a solution OR-Tools itself holds valid.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from routing.search.recreate import recreate
from routing.search.ruin import strings, whole_routes
from routing.search.space import Routes, Space

HOT, COLD = 1.0, 0.01
"""Annealing temperatures at the start and the end, in average arc costs of the start."""


@dataclass(slots=True)
class Stats:
    """What the loop did (reported in ``Solution.details``)."""

    iterations: int = 0
    polishes: int = 0
    refused: int = 0
    improvements: int = 0
    accepted: int = 0
    notes: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return (
            f"{self.iterations} ruin-recreate iterations, {self.polishes} OR-Tools "
            f"polishes ({self.refused} refused), {self.improvements} new bests"
        )


Polisher = Callable[[Routes, float], "tuple[Routes, int] | None"]
"""Routes and a time limit -> OR-Tools' locally optimal routes and objective, or None."""


def read_routes(routing: Any, manager: Any, assignment: Any, n_vehicles: int) -> Routes:
    """Job numbers per vehicle of an OR-Tools assignment."""
    out: Routes = []
    for k in range(n_vehicles):
        r: list[int] = []
        idx = assignment.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(idx):
            r.append(manager.IndexToNode(idx))
            idx = assignment.Value(routing.NextVar(idx))
        out.append(r)
    return out


def ruin_and_recreate(
    space: Space,
    start: Routes,
    polish: Polisher,
    *,
    deadline: float,
    seed: int = 0,
    cancelled: Callable[[], bool] = lambda: False,
    polish_share: float = 0.25,
    polish_s: float = 1.0,
    route_share: float = 0.1,
    max_iterations: int | None = None,
    hot: float = HOT,
    cold: float = COLD,
    avg_removed: float = 10.0,
) -> tuple[Routes, int, Stats]:
    """Improve ``start`` until ``deadline``; returns the best routes, their objective, stats.

    New bests are polished by OR-Tools (at most ``polish_s`` seconds each) while
    polishing has taken less than ``polish_share`` of the time so far; a new best
    found meanwhile is kept as it is and polished at the end, so large
    instances, where a polish costs hundreds of iterations, keep iterating.
    ``route_share``: share of ruins that empty whole routes rather than cut
    strings. ``max_iterations`` (tests): stop after that many, for a repeatable
    answer. ``hot``, ``cold``: annealing temperatures (see :data:`HOT`);
    ``avg_removed``: visits a string ruin removes on average.
    """
    rng = random.Random(seed)
    stats = Stats()
    memo: dict[tuple[int, ...], Any] = {}
    t0 = time.monotonic()
    span = max(1e-3, deadline - t0)
    reserve = min(polish_s, 0.1 * span)
    spent = 0.0

    def timed(routes: Routes, limit: float) -> tuple[Routes, int] | None:
        nonlocal spent
        a = time.monotonic()
        out = polish(routes, limit)
        spent += time.monotonic() - a
        stats.polishes += 1
        stats.refused += out is None
        return out

    first = timed(start, max(0.0, min(polish_s, 0.1 * span)))
    if first is None:
        cur, cur_cost = [list(r) for r in start], space.objective(start)
    else:
        cur, cur_cost = first
    best, best_cost, best_polished = [list(r) for r in cur], cur_cost, first is not None
    placed = sum(len(r) for r in cur)
    used = sum(1 for r in cur if r)
    travel = sum(space.route_cost(k, r) for k, r in enumerate(cur))
    arc = max(1.0, travel / max(1, placed + used))
    t_hot, t_cold = hot * arc, cold * arc
    while True:
        now = time.monotonic()
        if now >= deadline - reserve or cancelled():
            break
        if max_iterations is not None and stats.iterations >= max_iterations:
            break
        temp = t_hot * (t_cold / t_hot) ** min(1.0, (now - t0) / span)
        if rng.random() < route_share:
            cand, removed = whole_routes(
                space, cur, rng, n_routes=rng.choice((1, 2, 2, 3))
            )
        else:
            cand, removed = strings(space, cur, rng, avg_removed=avg_removed)
        if not removed:
            break
        cand, _ = recreate(space, cand, removed, rng, memo=memo)
        stats.iterations += 1
        cost = space.objective(cand)
        polished = False
        if cost < best_cost and spent <= polish_share * (now - t0):
            out = timed(cand, min(polish_s, max(0.0, deadline - reserve - now)))
            if out is None:
                continue
            (cand, cost), polished = out, True
        if cost < cur_cost - temp * math.log(1.0 / (1.0 - rng.random())):
            cur, cur_cost = cand, cost
            stats.accepted += 1
            if cost < best_cost:
                best, best_cost, best_polished = [list(r) for r in cand], cost, polished
                stats.improvements += 1
    left = deadline - time.monotonic()
    if not best_polished and left > 0 and not cancelled():
        out = timed(best, left)
        if out is not None and out[1] <= best_cost:
            best, best_cost = out
    return best, best_cost, stats
