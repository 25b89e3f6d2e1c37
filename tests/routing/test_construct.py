"""The priority-ordered first solution: feasible, and the right jobs when room is short."""

from __future__ import annotations

from routing import Break, FirstSolution, Problem, SolveParams, solve
from routing.construct import priority_insertion, schedule
from routing.validate import validate
from tests.routing.builders import line_matrix, make_job, make_vehicle, window


def _problem(n_jobs: int, service_min: float, **vehicle: object) -> Problem:
    jobs = tuple(
        make_job(f"j{k}", k + 1, service_min=service_min, priority=k + 1)
        for k in range(n_jobs)
    )
    return Problem(
        locations=tuple((0.0, float(k)) for k in range(n_jobs + 1)),
        vehicles=(make_vehicle(**vehicle),),
        jobs=jobs,
        matrix=line_matrix(n_jobs + 1),
    )


def test_scarce_room_goes_to_the_highest_priorities() -> None:
    """Room for three 3-hour visits in a 10-hour day: the three highest priorities get it."""
    p = _problem(5, 180)
    assert p.matrix is not None
    routes = priority_insertion(p, p.matrix)
    assert sorted(routes[0]) == ["j2", "j3", "j4"]


def test_schedule_takes_the_break_between_visits() -> None:
    """A 45-minute lunch between 12:00 and 13:45 is placed between services, inside its window."""
    brk = Break(window=window(12, 13.75), duration_s=45 * 60)
    p = _problem(4, 120, breaks=(brk,))
    assert p.matrix is not None
    sched = schedule(p.vehicles[0], list(p.jobs), p.matrix.durations_s)
    assert sched is not None
    stops, breaks, _end = sched
    (bs,) = breaks
    assert bs >= 12 * 3600 and bs + 45 * 60 <= 13.75 * 3600
    assert all(not (s < bs + 45 * 60 and bs < d) for _, s, d in stops)


def test_seeded_search_is_valid_and_keeps_priorities() -> None:
    """OR-Tools started from the priority insertion returns a valid plan of the same jobs or better."""
    p = _problem(5, 180)
    sol = solve(
        p, SolveParams(time_limit_s=1, strategy=FirstSolution.PRIORITY_INSERTION)
    )
    assert validate(p, sol) == []
    assert sorted(s.job_id for r in sol.routes for s in r.stops) == ["j2", "j3", "j4"]
