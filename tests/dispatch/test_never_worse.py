"""A re-plan keeps its start only when the search's answer is worse in the planner's
own order: higher priority classes first, then visits in all, then priority."""

from __future__ import annotations

from datetime import date

from dispatch.planning.builder import DayProblem, JobMeta, VehicleMeta
from dispatch.planning.solving import never_worse
from routing import validate
from routing.strict import retime
from tests.routing.builders import make_job, make_problem, make_vehicle


def _day() -> DayProblem:
    low = [make_job(j, 1, service_min=55, priority=10) for j in ("a", "b")]
    high = make_job("h", 2, service_min=110, priority=50, priority_class=1)
    problem = make_problem([*low, high], [make_vehicle(shift=(8, 10))])
    jobs = {
        "a": JobMeta(ref="a", reference="R1", score=10),
        "b": JobMeta(ref="b", reference="R2", score=10),
        "h": JobMeta(ref="h", reference="R3", score=50, priority_class=1),
    }
    return DayProblem(
        day=date(2026, 11, 24), kind="technicians", region=None, problem=problem,
        jobs=jobs, vehicles={"v1": VehicleMeta(ref="v1", name="Ana")},
    )  # fmt: skip


def test_an_emergency_that_displaces_two_lower_visits_wins() -> None:
    dp = _day()
    start, _ = retime(dp.problem, {"v1": ["a", "b"]})
    emergency, _ = retime(dp.problem, {"v1": ["h"]})
    best = never_worse(dp, start, emergency)
    assert [s.job_id for r in best.routes for s in r.stops] == ["h"]
    assert not validate(dp.problem, best)


def test_a_search_that_loses_the_high_class_keeps_the_start() -> None:
    dp = _day()
    start, _ = retime(dp.problem, {"v1": ["h"]})
    worse, _ = retime(dp.problem, {"v1": ["a", "b"]})  # more visits, lower class
    best = never_worse(dp, start, worse)
    assert [s.job_id for r in best.routes for s in r.stops] == ["h"]
    assert "starting rounds were kept" in best.details["replan"]
