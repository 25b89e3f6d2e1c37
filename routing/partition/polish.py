"""Last polish of a national day at the real rates, after a time-weighted search.

A day searched with working time weighted (``SolveParams.time_weight``)
places more visits, but its rounds drive further: the search paid four times
over for a minute and not for a kilometre. :func:`polish` spends the end of the
budget re-solving neighbourhoods of nearby rounds with OR-Tools at the real
rates, from the current rounds, one per slot, keeping an answer only when the
day is not worse by the planner's order (placed visits per priority class,
then priority left out) and cheaper: the visits the weighted search placed stay
placed, the kilometres it spent come back where they can.

Pure: ids in, ids out; the caller brings the executor and the deadline.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from routing.model import Problem, Solution
from routing.params import SolveParams
from routing.partition.inflight import Submit, Taken, keep_busy
from routing.partition.neighbourhood import splice
from routing.partition.repair import (
    figures,
    round_anchors,
    submit_sub,
    wave_limit,
    waves_plan,
)

AROUND = (4, 12)
"""Neighbourhood of a round being polished: (vehicles per visit, vehicles in all)."""
MIN_LEFT_S = 0.6
"""No new sub-solve with less time than this before the deadline."""


@dataclass(frozen=True, slots=True)
class PolishStats:
    """What the polish did, for the plan's details."""

    tried: int
    accepted: int
    km_before: float
    km_after: float

    def text(self) -> str:
        return (
            f"{self.tried} neighbourhood(s) re-solved at the real "
            f"rates, {self.accepted} kept; {self.km_before:,.0f} -> {self.km_after:,.0f} km"
        )


def polish(
    problem: Problem,
    sol: Solution,
    params: SolveParams,
    *,
    submit: Submit,
    slots: int,
    deadline: float,
    cancelled: Callable[[], bool] = lambda: False,
    on_better: Callable[[Solution], None] | None = None,
) -> tuple[Solution, PolishStats]:
    """``sol`` with its rounds re-solved at the real rates, neighbourhood by neighbourhood, until ``deadline``.

    ``problem`` carries its matrix and the real rates; ``params.time_weight`` is
    ignored (the point is the real rates). ``submit`` starts a sub-solve on a
    free slot (``slots`` at once, :func:`routing.partition.inflight.keep_busy`)."""
    matrix = problem.matrix
    assert matrix is not None, "polish needs the problem's matrix"
    real = replace(params, time_weight=1.0)
    best = figures(problem, sol)
    km_before = sum(r.distance_m for r in sol.routes) / 1000
    accepted = turn = 0

    def start(taken: Sequence[Taken]) -> tuple[Taken, cf.Future[Solution]] | None:
        nonlocal turn
        left_s = deadline - time.monotonic()
        if left_s < MIN_LEFT_S:
            return None
        anchors = round_anchors(sol, turn, AROUND)
        for k, anchor in enumerate(anchors):
            got = waves_plan(problem, matrix, sol, [anchor], 1, taken)
            if got:
                turn += k + 1
                limit = wave_limit(len(got[0][1]), left_s)
                return got[0], submit_sub(
                    problem, sol, got[0], replace(real, time_limit_s=limit), submit
                )
        return None

    def finish(sub: Taken, local: Solution, _flying: Sequence[Taken]) -> None:
        nonlocal sol, best, accepted
        ids = [problem.vehicles[k].id for k in sub[0]]
        candidate = splice(problem, matrix, sol, local, ids)
        score = figures(problem, candidate)
        if score > best:
            sol, best = candidate, score
            accepted += 1
            if on_better is not None:
                on_better(sol)

    tried = keep_busy(start, finish, slots=slots, cancelled=cancelled)
    km_after = sum(r.distance_m for r in sol.routes) / 1000
    return sol, PolishStats(tried, accepted, km_before, km_after)
