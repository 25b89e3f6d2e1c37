"""A local change re-solves only the vehicles near it; the other routes are kept."""

from __future__ import annotations

from routing import SolveParams, solve, validate
from routing.partition import make_part, neighbourhood, splice
from routing.strict import enforce, retime
from tests.routing.builders import H, lunch, make_job, make_problem, make_vehicle


def _two_towns():  # type: ignore[no-untyped-def]
    """Vehicles w1, w2, w3 in the west (km 0-4), e1, e2 in the east (km 26-28)."""
    vehicles = [
        make_vehicle("w1", start=0),
        make_vehicle("w2", start=2, skills=frozenset({"milk"})),
        make_vehicle("w3", start=4),
        make_vehicle("e1", start=26),
        make_vehicle("e2", start=28),
    ]
    jobs = [
        make_job("a", 1),  # w1's
        make_job("b", 3),  # w3's
        make_job("c", 27),  # e1's
        make_job("d", 29),  # e2's
        make_job("new", 2, skills=frozenset({"milk"})),  # the seed: only w2 can
        make_job("near", 5),  # left out before, near the west
        make_job("far", 25),  # left out before, near the east
    ]
    routes = {"w1": ["a"], "w3": ["b"], "e1": ["c"], "e2": ["d"]}
    return make_problem(jobs, vehicles, n=30), routes


def test_neighbourhood_is_the_vehicles_able_and_near_and_their_work() -> None:
    problem, routes = _two_towns()
    assert problem.matrix is not None
    vs, jobs = neighbourhood(problem, problem.matrix, routes, ["new"], per_job=2)
    assert [problem.vehicles[k].id for k in vs] == ["w2"]  # skills decide
    assert jobs == ["new", "near"]  # the seed, and the left-out job w2 is near to
    seed = make_job("x", 3)
    problem = problem.replace(jobs=(*problem.jobs, seed))
    vs, jobs = neighbourhood(
        problem, problem.matrix, routes, ["x"], vehicles=["e2"], per_job=2
    )
    assert {problem.vehicles[k].id for k in vs} == {"w2", "w3", "e2"}
    # their routes' jobs, the seed, the left-out jobs one of them is near to
    assert set(jobs) == {"b", "d", "x", "near", "new", "far"}


def test_neighbourhood_stops_at_its_size() -> None:
    problem, routes = _two_towns()
    assert problem.matrix is not None
    vs, _ = neighbourhood(problem, problem.matrix, routes, ["near", "far"], at_most=3)
    assert len(vs) == 3


def test_spliced_answer_keeps_the_routes_outside_and_is_valid() -> None:
    problem, routes = _two_towns()
    m = problem.matrix
    assert m is not None
    kept, lost = retime(problem, routes)
    assert not lost
    vs, jobs = neighbourhood(problem, m, routes, ["new"], per_job=3)
    part = make_part(problem, m, "local", vs, jobs)
    local = solve(part.problem, SolveParams(time_limit_s=1, workers=1))
    ids = [problem.vehicles[k].id for k in vs]
    whole = enforce(problem, splice(problem, m, kept, local, ids))
    assert validate(problem, whole) == []
    by = {r.vehicle_id: list(r.job_ids) for r in whole.routes}
    assert set(by["w2"]) == {"new", "near"}
    assert by["w1"] == ["a"] and by["w3"] == ["b"]  # outside: as they were
    for v in ("e1", "e2"):  # far from the change: kept, "far" may fill a gap
        assert set(routes[v]) <= set(by[v])


def test_retime_keeps_the_planned_break_when_it_fits_better() -> None:
    """Lunch 12:00-14:00 for 45 min: at 12:00 it cuts visit A, at 13:15 visit B;
    the planned 12:15 keeps both."""
    v = make_vehicle("v1", breaks=(lunch(12, 14, 45),))
    a = make_job("A", 1, service_min=45, windows=((11.5, 11.5),))
    b = make_job("B", 1, service_min=60, windows=((13.0, 13.1),))
    problem = make_problem([a, b], [v])
    _, lost = retime(problem, {"v1": ["A", "B"]})
    assert len(lost) == 1
    sol, lost = retime(problem, {"v1": ["A", "B"]}, breaks={"v1": (int(12.25 * H),)})
    assert not lost and validate(problem, sol) == []
    assert sol.routes[0].break_starts_s == (int(12.25 * H),)
