"""Workload balance: even the working time of the vehicles of one group (a region).

Pure rules over a problem and a solution; ``routing.ortools_model`` uses them when
``SolveParams.balance_per_hour`` is above 0. A first search (a share of the time) finds
a plan; each group's average working time in it (idle vehicles count as 0 h) becomes a
soft upper bound on each of its vehicles' return (``SetCumulVarSoftUpperBound`` on the
time dimension at shift start + average), costing ``balance_per_hour`` per hour over;
the search then goes on from that plan. The cost per second is capped so that no
visit's drop penalty is ever worth less than the balance it would buy: balance moves
work between vehicles, it never leaves a visit out.

The ruin-and-recreate loop (``routing.search``) judges candidates by its own objective
(arcs and drop penalties), so balance applies on the OR-Tools search: with balance on,
``search="auto"`` uses guided local search (the technicians' day with breaks does
anyway), and ``search="ruin_recreate"`` is refused by ``SolveParams``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from routing.model import Problem, Solution

FIRST_SHARE = 0.4
"""Share of the time limit for the first search, whose plan sets the targets."""


def groups(problem: Problem) -> dict[str, list[int]]:
    """Vehicle numbers by ``Vehicle.group`` ("" when none is given: one group)."""
    out: dict[str, list[int]] = defaultdict(list)
    for k, v in enumerate(problem.vehicles):
        out[v.group].append(k)
    return dict(out)


def working_s(problem: Problem, solution: Solution) -> list[int]:
    """Each vehicle's working time (return - departure) in seconds, 0 when idle."""
    by_id = {r.vehicle_id: r for r in solution.routes}
    out = []
    for v in problem.vehicles:
        r = by_id.get(v.id)
        out.append(r.end_s - r.start_s if r is not None and r.stops else 0)
    return out


def targets(problem: Problem, solution: Solution) -> dict[int, int]:
    """Vehicle number -> the time its return is softly bounded at: shift start + the
    group's average working time in ``solution`` (at most the shift's end)."""
    work = working_s(problem, solution)
    out: dict[int, int] = {}
    for members in groups(problem).values():
        if len(members) < 2:
            continue
        avg = sum(work[k] for k in members) / len(members)
        for k in members:
            shift = problem.vehicles[k].shift
            out[k] = min(shift.end_s, shift.start_s + int(avg))
    return out


def coefficient(
    balance_per_hour: float,
    cost_scale: int,
    penalties: Sequence[int],
    longest_shift_s: int,
) -> int:
    """Cost per second over the target, in the model's integer cost units, capped so
    that a whole shift over its target costs under a third of the cheapest drop
    penalty (which already outweighs three arcs): leaving a visit out to shorten a
    route never pays."""
    wanted = round(balance_per_hour * cost_scale / 3600.0)
    if wanted <= 0:
        return 0
    cap = (min(penalties) // 3) // max(1, longest_shift_s) if penalties else wanted
    return max(0, min(wanted, cap))


def spread_hours(problem: Problem, solution: Solution) -> dict[str, float]:
    """Group -> max - min working hours among its vehicles (idle ones count as 0 h)."""
    work = working_s(problem, solution)
    return {
        g: round((max(work[k] for k in ks) - min(work[k] for k in ks)) / 3600, 2)
        for g, ks in sorted(groups(problem).items())
    }
