"""Last polish of a national day at the real rates, after a time-weighted search.

A day searched with working time weighted (``SolveParams.time_weight``)
places more visits, but its rounds drive further: the search paid four times
over for a minute and not for a kilometre. :func:`polish` spends the end of the
budget re-solving neighbourhoods of nearby rounds with OR-Tools at the real
rates, from the current rounds, two at a time, keeping an answer only when the
day is not worse by the planner's order (placed visits per priority class,
then priority left out) and cheaper: the visits the weighted search placed stay
placed, the kilometres it spent come back where they can.

Pure: ids in, ids out; the caller brings the executor and the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from routing.model import Problem, Solution
from routing.params import SolveParams
from routing.partition.neighbourhood import splice
from routing.partition.repair import (
    Runner,
    figures,
    round_anchors,
    solve_wave,
    wave_limit,
    waves_plan,
)

AROUND = (4, 12)
"""Neighbourhood of a round being polished: (vehicles per visit, vehicles in all)."""
MIN_LEFT_S = 0.6
"""No new wave with less time than this before the deadline."""


@dataclass(frozen=True, slots=True)
class PolishStats:
    """What the polish did, for the plan's details."""

    waves: int
    tried: int
    accepted: int
    km_before: float
    km_after: float

    def text(self) -> str:
        return (
            f"{self.waves} wave(s), {self.tried} neighbourhood(s) re-solved at the real "
            f"rates, {self.accepted} kept; {self.km_before:,.0f} -> {self.km_after:,.0f} km"
        )


def polish(
    problem: Problem,
    sol: Solution,
    params: SolveParams,
    *,
    run: Runner,
    slots: int,
    deadline: float,
    cancelled: Callable[[], bool] = lambda: False,
    on_better: Callable[[Solution], None] | None = None,
) -> tuple[Solution, PolishStats]:
    """``sol`` with its rounds re-solved at the real rates, neighbourhood by neighbourhood, until ``deadline``.

    ``problem`` carries its matrix and the real rates; ``params.time_weight`` is
    ignored (the point is the real rates)."""
    matrix = problem.matrix
    assert matrix is not None, "polish needs the problem's matrix"
    real = replace(params, time_weight=1.0)
    best = figures(problem, sol)
    km_before = sum(r.distance_m for r in sol.routes) / 1000
    waves = tried = accepted = turn = 0
    while not cancelled():
        left_s = deadline - time.monotonic()
        if left_s < MIN_LEFT_S:
            break
        wave = waves_plan(problem, matrix, sol, round_anchors(sol, turn, AROUND), slots)
        if not wave:
            break
        turn += len(wave)
        limit = wave_limit(max(len(js) for _, js in wave), left_s)
        answers = solve_wave(
            problem, sol, wave, replace(real, time_limit_s=limit), run, f"polish-{waves}"
        )  # fmt: skip
        waves += 1
        tried += len(wave)
        for (vs, _), local in zip(wave, answers, strict=True):
            candidate = splice(
                problem, matrix, sol, local, [problem.vehicles[k].id for k in vs]
            )
            score = figures(problem, candidate)
            if score > best:
                sol, best = candidate, score
                accepted += 1
                if on_better is not None:
                    on_better(sol)
    km_after = sum(r.distance_m for r in sol.routes) / 1000
    return sol, PolishStats(waves, tried, accepted, km_before, km_after)
