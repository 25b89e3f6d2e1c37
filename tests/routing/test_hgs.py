"""PyVRP as a portfolio member: used on plain VRPTW, refused where it cannot express the day."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from routing import hgs
from routing.model import (
    Job,
    Objective,
    Problem,
    Solution,
    Unassigned,
    UnassignedReason,
)
from routing.ortools_model import read_solution
from routing.params import SolveParams
from routing.solomon import check, parse, to_problem
from routing.solve import _key, solve
from routing.validate import validate
from tests.routing.builders import lunch, make_job, make_problem, make_vehicle

TINY = Path(__file__).parent / "data" / "tiny.txt"
ONE_S = SolveParams(time_limit_s=1.0, workers=1)


def plain() -> Problem:
    """Two vans, capacities, one window per visit: what PyVRP expresses exactly."""
    jobs = [
        make_job(f"j{k}", k, windows=((8, 12),) if k % 2 else (), demand=2)
        for k in range(1, 9)
    ]
    vans = [make_vehicle("a", capacity=8), make_vehicle("b", capacity=8)]
    return make_problem(jobs, vans, n=10)


def test_solomon_answer_comes_from_pyvrp_and_is_valid() -> None:
    """On a Solomon file the answer is PyVRP's, timed by OR-Tools, valid for both checkers."""
    inst = parse(TINY)
    p = to_problem(inst)
    sol = solve(p, ONE_S)
    assert "PyVRP" in sol.details["search"]
    assert validate(p, sol) == []
    routes = [[int(j) for j in r.job_ids] for r in sol.routes]
    assert check(inst, routes) == []
    assert sorted(n for r in routes for n in r) == list(range(1, 9))


def test_two_workers_run_pyvrp_seeds() -> None:
    """Both cores search with PyVRP on a plain problem; the winner is valid."""
    p = plain()
    sol = solve(p, SolveParams(time_limit_s=1.5, workers=2))
    assert "p0:pyvrp" in sol.details["portfolio"]
    assert "p1:pyvrp" in sol.details["portfolio"]
    assert validate(p, sol) == []
    assert sol.objective.jobs_placed == 8


def _with(p: Problem, job: int = 0, **changes: object) -> Problem:
    jobs = list(p.jobs)
    jobs[job] = dataclasses.replace(jobs[job], **changes)  # type: ignore[arg-type]
    return p.replace(jobs=tuple(jobs))


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        (lambda p: _with(p, skills=frozenset({"gas"})), "skill"),
        (
            lambda p: p.replace(
                vehicles=(
                    dataclasses.replace(p.vehicles[0], breaks=(lunch(),)),
                    *p.vehicles[1:],
                )
            ),
            "breaks",
        ),
        (lambda p: _with(p, 1, pickup_of=p.jobs[0].id), "pickup-and-delivery"),
        (lambda p: _with(p, pinned_vehicle="a"), "pinned"),
        (
            lambda p: _with(
                p,
                windows=(make_job("x", 1, windows=((8, 9), (14, 15))).windows),
            ),
            "windows",
        ),
        (lambda p: _with(p, demand=-1), "negative load"),
        (
            lambda p: p.replace(
                vehicles=(
                    dataclasses.replace(p.vehicles[0], max_visits=3),
                    *p.vehicles[1:],
                )
            ),
            "visit cap",
        ),
    ],
)
def test_pyvrp_refused_for_what_it_cannot_express(variant, why: str) -> None:  # type: ignore[no-untyped-def]
    """Skills, breaks, pairs, pins, several windows, negative loads, caps: OR-Tools alone."""
    p = variant(plain())
    assert p.matrix is not None
    reason = hgs.refusal(p, p.matrix, ONE_S)
    assert reason is not None and why in reason
    sol = solve(p, ONE_S)
    assert "PyVRP" not in sol.details.get("search", "")
    assert sol.details["pyvrp"].startswith("not used")
    assert validate(p, sol) == []


def test_pyvrp_refused_for_replans_balance_and_explicit_searches() -> None:
    """A re-plan, workload balance, an explicit OR-Tools search or solution limit stay OR-Tools'."""
    p = plain()
    assert p.matrix is not None
    assert hgs.refusal(p, p.matrix, ONE_S) is None
    assert hgs.refusal(p, p.matrix, ONE_S, initial=object()) is not None
    for params in (
        SolveParams(time_limit_s=1, balance_per_hour=5.0),
        SolveParams(time_limit_s=1, search="gls"),
        SolveParams(time_limit_s=1, search="ruin_recreate"),
        SolveParams(time_limit_s=1, solution_limit=3),
    ):
        assert hgs.refusal(p, p.matrix, params) is not None


def test_optional_visits_are_left_out_when_the_day_is_full() -> None:
    """Too much work for one van: PyVRP drops the lowest priority, OR-Tools explains it."""
    jobs = [
        make_job(f"j{k}", k, service_min=100, priority=1 + (k == 3) * 5)
        for k in range(1, 8)
    ]
    p = make_problem(jobs, [make_vehicle("a")], n=9)
    sol = solve(p, ONE_S)
    assert "PyVRP" in sol.details["search"]
    assert validate(p, sol) == []
    assert 0 < sol.objective.jobs_placed < 7
    assert "j3" not in {u.job_id for u in sol.unassigned}
    assert all(u.reason for u in sol.unassigned)


def test_read_solution_refuses_routes_the_model_does_not_accept() -> None:
    """Routes found elsewhere must satisfy OR-Tools' model: late visits are refused."""
    jobs = [
        make_job("early", 5, windows=((8, 8.2),)),
        make_job("late", 1, windows=((8, 18),)),
    ]
    p = make_problem(jobs, [make_vehicle("a")], n=6)
    assert p.matrix is not None
    ok = read_solution(p, p.matrix, [["early", "late"]], "SUCCESS", 0.0, {})
    assert ok is not None and validate(p, ok) == []
    # 9 km and 10 minutes of service before "early" closes at 08:12
    bad = [["late", "early"]]
    sol = read_solution(p, p.matrix, bad, "SUCCESS", 0.0, {})
    assert sol is None or validate(p, sol) != []
    assert read_solution(p, p.matrix, [["nobody"]], "SUCCESS", 0.0, {}) is None


def _sol(dropped: list[Job], cost: float) -> Solution:
    return Solution(
        routes=(),
        unassigned=tuple(
            Unassigned(job_id=j.id, reason=UnassignedReason.FULL) for j in dropped
        ),
        objective=Objective(
            cost=cost,
            distance_m=0,
            duration_s=0,
            penalty=float(sum(j.priority for j in dropped)),
            jobs_placed=0,
            jobs_total=0,
        ),
        status="",
        elapsed_s=0.0,
    )


def test_portfolio_prefers_the_higher_class_then_cost() -> None:
    """Dropping one urgent visit is worse than dropping many normal ones, whatever the cost."""
    urgent = Job(id="u", location=1, priority=100, priority_class=3)
    low = [Job(id=f"l{k}", location=1, priority=60, priority_class=1) for k in range(3)]
    p = make_problem([urgent, *low], n=3)
    drops_urgent = _sol([urgent], 1.0)
    drops_low = _sol(low, 99.0)
    assert _key(p, drops_low) < _key(p, drops_urgent)
    assert _key(p, _sol([], 5.0)) < _key(p, _sol([], 6.0)) < _key(p, drops_low)
