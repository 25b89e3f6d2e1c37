"""The validator catches hand-made violations and accepts a hand-made valid plan.

Line geometry (builders.py): location k at k km, 1 min/km. Route: depot 0 ->
job at 2 km (8:02, 10 min) -> job at 4 km -> back.
"""

from __future__ import annotations

import dataclasses

from routing.model import (
    Objective,
    Problem,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
)
from routing.validate import Kind, validate
from tests.routing.builders import MIN, H, lunch, make_job, make_problem, make_vehicle

T0 = 8 * H


def plan(
    stops: list[tuple[str, int]],
    problem: Problem,
    *,
    vehicle: str = "v1",
    breaks: tuple[int, ...] = (),
    unassigned: tuple[str, ...] = (),
) -> Solution:
    """A solution visiting ``(job id, start)`` in order from 8:00, times as given."""
    v = problem.vehicle(vehicle)
    loc, dep, dist, out = v.start, T0, 0, []
    for jid, start in stops:
        j = problem.job(jid)
        out.append(
            Stop(
                job_id=jid,
                arrival_s=min(start, dep + abs(j.location - loc) * MIN),
                start_s=start,
                departure_s=start + j.service_s,
            )
        )
        dist += abs(j.location - loc) * 1000
        loc, dep = j.location, start + j.service_s
    dist += abs(loc - v.end) * 1000
    end = dep + abs(loc - v.end) * MIN + sum(b.duration_s for b in v.breaks)
    route = Route(
        vehicle_id=vehicle,
        stops=tuple(out),
        start_s=T0,
        end_s=end,
        distance_m=dist,
        duration_s=end - T0,
        break_starts_s=breaks,
    )
    return Solution(
        routes=(route,) if out else (),
        unassigned=tuple(
            Unassigned(job_id=u, reason=UnassignedReason.NO_ROOM) for u in unassigned
        ),
        objective=Objective(
            cost=0,
            distance_m=dist,
            duration_s=0,
            penalty=0,
            jobs_placed=len(out),
            jobs_total=len(problem.jobs),
        ),
        status="HAND",
        elapsed_s=0,
    )


def kinds(problem: Problem, sol: Solution) -> set[Kind]:
    return {v.kind for v in validate(problem, sol)}


BASE = make_problem([make_job("a", 2), make_job("b", 4)])
GOOD = [("a", T0 + 2 * MIN), ("b", T0 + 14 * MIN)]


def test_valid_plan_has_no_violation() -> None:
    """Drive 2 min, serve 10, drive 2, serve 10: nothing to report."""
    assert validate(BASE, plan(GOOD, BASE)) == []


def test_waiting_is_allowed() -> None:
    """Starting later than arrival is fine."""
    assert validate(BASE, plan([("a", T0 + H), ("b", T0 + 2 * H)], BASE)) == []


def test_catches_start_before_arrival() -> None:
    """Serving b 1 min after leaving a, 2 km away, is impossible."""
    assert kinds(BASE, plan([("a", T0 + 2 * MIN), ("b", T0 + 13 * MIN)], BASE)) == {
        Kind.TRAVEL
    }


def test_catches_window() -> None:
    """b must start by 8:10."""
    p = BASE.replace(
        jobs=(make_job("a", 2), make_job("b", 4, windows=((8, 8 + 10 / 60),)))
    )
    assert kinds(p, plan(GOOD, p)) == {Kind.WINDOW}


def test_catches_skill() -> None:
    """b needs a skill v1 lacks."""
    p = BASE.replace(
        jobs=(make_job("a", 2), make_job("b", 4, skills=frozenset({"gas"})))
    )
    assert kinds(p, plan(GOOD, p)) == {Kind.SKILL}


def test_catches_capacity() -> None:
    """Loads 3 + 3 on a van of 5."""
    p = make_problem(
        [make_job("a", 2, demand=3), make_job("b", 4, demand=3)],
        [make_vehicle(capacity=5)],
    )
    assert kinds(p, plan(GOOD, p)) == {Kind.CAPACITY}


def test_catches_delivery_before_pickup() -> None:
    """Delivery a visited before its pickup b."""
    p = BASE.replace(jobs=(make_job("a", 2, pickup_of="b"), make_job("b", 4)))
    assert kinds(p, plan(GOOD, p)) == {Kind.PAIR}


def test_catches_duplicate_missing_and_both() -> None:
    """a twice, b missing; then b planned and unassigned."""
    twice = plan([("a", T0 + 2 * MIN), ("a", T0 + 20 * MIN)], BASE)
    assert Kind.DUPLICATE in kinds(BASE, twice) and Kind.MISSING in kinds(BASE, twice)
    assert kinds(BASE, plan(GOOD, BASE, unassigned=("b",))) == {
        Kind.PLANNED_AND_UNASSIGNED
    }


def test_catches_shift_end() -> None:
    """A shift ending at 8:20 cannot bring the van back at 8:28."""
    p = BASE.replace(vehicles=(make_vehicle(shift=(8, 8 + 20 / 60)),))
    assert kinds(p, plan(GOOD, p)) == {Kind.SHIFT}


def test_catches_break_overlapping_service() -> None:
    """Lunch at 12:00 while serving a at 12:00."""
    p = BASE.replace(vehicles=(make_vehicle(breaks=(lunch(12, 14, 30),)),))
    sol = plan([("a", 12 * H), ("b", 13 * H)], p, breaks=(12 * H,))
    assert Kind.BREAK in kinds(p, sol)


def test_catches_missing_break_and_accepts_one_in_a_gap() -> None:
    """No lunch planned is a violation; lunch between the visits is fine."""
    p = BASE.replace(vehicles=(make_vehicle(breaks=(lunch(12, 14, 30),)),))
    assert kinds(p, plan([("a", 12 * H), ("b", 13 * H)], p)) == {Kind.BREAK}
    assert (
        validate(
            p, plan([("a", 12 * H), ("b", 13 * H)], p, breaks=(12 * H + 15 * MIN,))
        )
        == []
    )


def test_catches_pins() -> None:
    """a pinned to v2 and b pinned first: both reported."""
    p = BASE.replace(
        vehicles=(make_vehicle("v1"), make_vehicle("v2")),
        jobs=(
            make_job("a", 2, pinned_vehicle="v2"),
            make_job("b", 4, pinned_position=0),
        ),
    )
    assert [v.kind for v in validate(p, plan(GOOD, p))] == [Kind.PIN, Kind.PIN]


def test_catches_max_visits() -> None:
    """Two visits for a technician allowed one."""
    p = BASE.replace(vehicles=(make_vehicle(max_visits=1),))
    assert kinds(p, plan(GOOD, p)) == {Kind.MAX_VISITS}


def test_catches_wrong_distance() -> None:
    """A route claiming fewer metres than the matrix says."""
    sol = plan(GOOD, BASE)
    bad = dataclasses.replace(
        sol, routes=(dataclasses.replace(sol.routes[0], distance_m=1),)
    )
    assert kinds(BASE, bad) == {Kind.DISTANCE}
