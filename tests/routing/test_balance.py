"""Workload balance: on a small unbalanced day the spread of working hours within a
group falls with balance on, every visit still placed, the plan valid."""

from __future__ import annotations

import pytest

from routing.balance import coefficient, spread_hours, targets
from routing.params import SolveParams
from routing.solve import solve
from routing.validate import validate
from tests.routing.builders import make_job, make_problem, make_vehicle


def _day():  # type: ignore[no-untyped-def]
    """Three technicians at 0 (group north) and two at 10 (south); nine 40-minute
    visits at 1-2 km and four at 9-11 km. Cheapest: one technician per group does all."""
    north = [make_vehicle(f"n{k}", group="north") for k in range(3)]
    south = [make_vehicle(f"s{k}", start=10, group="south") for k in range(2)]
    jobs = [make_job(f"a{k}", 1 + k % 2, service_min=40, priority=50) for k in range(9)]
    jobs += [
        make_job(f"b{k}", 9 + k % 3, service_min=40, priority=50) for k in range(4)
    ]
    return make_problem(jobs, [*north, *south])


def test_balance_evens_hours_and_keeps_every_visit() -> None:
    p = _day()
    plain = solve(p, SolveParams(time_limit_s=1.5, workers=1, seed=1))
    even = solve(
        p, SolveParams(time_limit_s=1.5, workers=1, seed=1, balance_per_hour=20)
    )
    for sol in (plain, even):
        assert validate(p, sol) == []
        assert sol.is_complete()
    before, after = spread_hours(p, plain), spread_hours(p, even)
    assert before["north"] >= 4 and before["south"] >= 1.5  # one does all
    assert after["north"] < before["north"] - 2
    assert after["south"] < before["south"]
    assert "spread of hours" in even.details["balance"]


def test_targets_are_the_group_average_and_the_cost_is_capped() -> None:
    p = _day()
    sol = solve(p, SolveParams(time_limit_s=0.5, workers=1))
    goal = targets(p, sol)
    north = [goal[k] for k in range(3)]
    assert len(set(north)) == 1 and 8 * 3600 < north[0] < 18 * 3600
    assert coefficient(20, 1000, [1_650_050], 36_000) == 6
    assert coefficient(1000, 1000, [1_650_050], 36_000) == 15  # capped
    assert coefficient(0, 1000, [10], 36_000) == 0


def test_balance_is_for_the_ortools_search() -> None:
    with pytest.raises(ValueError, match="ruin_recreate"):
        SolveParams(balance_per_hour=10, search="ruin_recreate")
    with pytest.raises(ValueError, match="balance_per_hour"):
        SolveParams(balance_per_hour=-1)
