"""Strict priority classes: penalties, the validator's inversion check, the repair, true reasons."""

from __future__ import annotations

from routing import SolveParams, solve, validate
from routing.model import (
    Objective,
    Route,
    Solution,
    Stop,
    Unassigned,
    UnassignedReason,
    drop_penalties,
)
from routing.slots import could_take
from routing.strict import enforce
from routing.validate import Kind
from tests.routing.builders import (
    H,
    line_matrix,
    lunch,
    make_job,
    make_problem,
    make_vehicle,
)


def test_a_higher_class_outweighs_every_lower_job_together() -> None:
    jobs = [make_job(f"lo{k}", 1, priority=1000) for k in range(50)]
    jobs += [make_job("mid", 1, priority=1, priority_class=1)]
    jobs += [make_job("top", 1, priority=1, priority_class=2)]
    p = drop_penalties(jobs, unit=7)
    assert p[:50] == [7000] * 50
    assert p[50] > sum(p[:50])
    assert p[51] > sum(p[:51])


def test_within_a_class_weights_as_before() -> None:
    jobs = [make_job("a", 1, priority=3), make_job("b", 1, priority=5)]
    assert drop_penalties(jobs, unit=10) == [30, 50]


def test_penalties_stay_within_int64_on_a_big_day() -> None:
    jobs = [
        make_job(f"j{k}", 1, priority=2_000_000 - k, priority_class=k % 4)
        for k in range(1200)
    ]
    assert sum(drop_penalties(jobs, unit=3_000_000)) < 2**62
    p = drop_penalties(jobs, unit=3_000_000)
    by_class = {
        c: [x for x, j in zip(p, jobs, strict=True) if j.priority_class == c]
        for c in range(4)
    }
    for c in range(1, 4):
        assert min(by_class[c]) > sum(sum(by_class[b]) for b in range(c))


def _morning_problem():  # type: ignore[no-untyped-def]
    """One technician 8:00-11:00, 60-min visits: room for two of three."""
    jobs = [
        make_job("lo1", 1, service_min=60, priority=90),
        make_job("lo2", 2, service_min=60, priority=80),
        make_job("hi", 3, service_min=60, priority=1, priority_class=1),
    ]
    return make_problem(jobs, [make_vehicle(shift=(8, 11))])


def _inverted(p) -> Solution:  # type: ignore[no-untyped-def]
    stops = (
        Stop(
            job_id="lo1",
            arrival_s=8 * H + 60,
            start_s=8 * H + 60,
            departure_s=9 * H + 60,
        ),
        Stop(
            job_id="lo2",
            arrival_s=9 * H + 120,
            start_s=9 * H + 120,
            departure_s=10 * H + 120,
        ),
    )
    route = Route(
        vehicle_id="v1", stops=stops, start_s=8 * H, end_s=10 * H + 240,
        distance_m=4000, duration_s=2 * H + 240,
    )  # fmt: skip
    return Solution(
        routes=(route,),
        unassigned=(Unassigned(job_id="hi", reason=UnassignedReason.NO_ROOM),),
        objective=Objective(cost=4, distance_m=4000, duration_s=0, penalty=1, jobs_placed=2, jobs_total=3),
        status="HAND",
        elapsed_s=0,
    )  # fmt: skip


def _with_long_hi(minutes: int):  # type: ignore[no-untyped-def]
    """The morning with a longer high-class visit."""
    p = _morning_problem()
    hi = make_job("hi", 3, service_min=minutes, priority=1, priority_class=1)
    return p.replace(jobs=tuple(hi if j.id == "hi" else j for j in p.jobs))


def test_validator_reports_an_inversion_and_the_slot_it_could_take() -> None:
    p = _morning_problem()
    sol = _inverted(p)
    jobs = {j.id: j for j in p.jobs}
    assert could_take(
        jobs["hi"], p.vehicles[0], sol.routes[0], 1, jobs, line_matrix(12)
    )
    kinds = [v.kind for v in validate(p, sol)]
    assert kinds == [Kind.INVERSION]


def test_no_inversion_when_the_higher_job_does_not_fit_the_slot() -> None:
    """A 3-hour high job cannot take a 60-minute slot: no inversion."""
    p = _with_long_hi(180)
    assert validate(p, _inverted(p)) == []


def test_enforce_repairs_an_inversion_and_explains_the_rest() -> None:
    p = _morning_problem()
    fixed = enforce(p, _inverted(p), name=str.upper)
    assert validate(p, fixed) == []
    placed = {s.job_id for r in fixed.routes for s in r.stops}
    assert "hi" in placed and len(placed) == 2
    (u,) = fixed.unassigned
    assert u.reason is UnassignedReason.FULL_HIGHER and u.constraint == "priority"
    assert "HI" in u.detail and "V1" in u.detail and "hi" in u.blockers


def test_a_long_higher_job_takes_the_time_of_two_short_lower_ones() -> None:
    """A 150-minute high job fits in no slot of one 60-minute job, but in the time of both."""
    p = _with_long_hi(150)
    fixed = enforce(p, _inverted(p))
    assert validate(p, fixed) == []
    assert [s.job_id for r in fixed.routes for s in r.stops] == ["hi"]
    assert {u.job_id for u in fixed.unassigned} == {"lo1", "lo2"}


def test_enforce_fills_a_free_gap_the_search_left() -> None:
    p = make_problem([make_job("a", 2), make_job("b", 4)])
    empty = Solution(
        routes=(),
        unassigned=tuple(Unassigned(job_id=j, reason=UnassignedReason.NO_ROOM) for j in "ab"),
        objective=Objective(cost=0, distance_m=0, duration_s=0, penalty=2, jobs_placed=0, jobs_total=2),
        status="HAND",
        elapsed_s=0,
    )  # fmt: skip
    fixed = enforce(p, empty)
    assert fixed.objective.jobs_placed == 2 and validate(p, fixed) == []


def test_enforce_places_a_break_on_a_new_route() -> None:
    v = make_vehicle(shift=(8, 18), breaks=(lunch(),))
    p = make_problem([make_job("a", 2, windows=((12, 13),), service_min=50)], [v])
    empty = Solution(
        routes=(),
        unassigned=(Unassigned(job_id="a", reason=UnassignedReason.NO_ROOM),),
        objective=Objective(cost=0, distance_m=0, duration_s=0, penalty=1, jobs_placed=0, jobs_total=1),
        status="HAND",
        elapsed_s=0,
    )  # fmt: skip
    fixed = enforce(p, empty)
    assert fixed.objective.jobs_placed == 1 and validate(p, fixed) == []


def test_scarce_day_solved_has_no_inversion() -> None:
    """Two technicians, 30 visits in three classes: the solver plus repair leaves no inversion."""
    jobs = [
        make_job(f"j{k}", 1 + k % 11, service_min=45, priority=1 + (k * 37) % 90, priority_class=k % 3,
                 windows=((8, 12),) if k % 4 == 0 else ())
        for k in range(30)
    ]  # fmt: skip
    vs = [
        make_vehicle("a", shift=(8, 13)),
        make_vehicle("b", shift=(9, 14), breaks=(lunch(),)),
    ]
    p = make_problem(jobs, vs)
    sol = enforce(p, solve(p, SolveParams(time_limit_s=1)))
    assert validate(p, sol) == []
    left = {u.job_id for u in sol.unassigned}
    assert left and all(
        u.reason is not UnassignedReason.NO_ROOM for u in sol.unassigned
    )
    # every top-class job left out is only so when no lower-class job could yield its slot
    assert all(
        u.constraint in {"priority", "room", "break", "window", "shift"}
        for u in sol.unassigned
    )
