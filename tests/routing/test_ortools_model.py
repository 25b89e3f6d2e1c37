"""One pair per constraint of the OR-Tools model: it binds / it does not bind.

Geometry (builders.py): location k is k km from the depot at 0, 1 min per km,
visits last 10 min. Every test ends with the independent validator.
"""

from __future__ import annotations

from routing.model import Problem, Solution, TimeWindow, UnassignedReason
from routing.params import SolveParams
from routing.solve import solve
from routing.validate import validate
from tests.routing.builders import MIN, H, lunch, make_job, make_problem, make_vehicle


def solved(problem: Problem, params: SolveParams) -> Solution:
    """Solve and check with the validator."""
    sol = solve(problem, params)
    assert validate(problem, sol) == []
    return sol


def order(sol: Solution, vehicle: str = "v1") -> tuple[str, ...]:
    r = sol.route(vehicle)
    return r.job_ids if r else ()


def test_window_unbound_follows_geometry(quick: SolveParams) -> None:
    """Without windows the vehicle sweeps out and back: near job first."""
    p = make_problem([make_job("near", 2), make_job("far", 5)])
    sol = solved(p, quick)
    assert sol.is_complete()
    assert sol.objective.distance_m == 10_000


def test_window_binds_start_of_service(quick: SolveParams) -> None:
    """A late window on the near job: it is served inside the window, after the far one."""
    p = make_problem(
        [
            make_job("near", 2, windows=((10, 11),)),
            make_job("far", 5, windows=((8, 9),)),
        ]
    )
    sol = solved(p, quick)
    assert order(sol) == ("far", "near")
    stop = sol.route("v1").stops[1]  # type: ignore[union-attr]
    assert stop.start_s == 10 * H and stop.arrival_s < stop.start_s


def test_multiple_windows_first_used_when_reachable(quick: SolveParams) -> None:
    """Two windows and an 8:00 shift: the morning window is used."""
    p = make_problem([make_job("j", 3, windows=((8, 9), (14, 15)))])
    sol = solved(p, quick)
    assert sol.route("v1").stops[0].start_s == 8 * H + 3 * MIN  # type: ignore[union-attr]


def test_multiple_windows_second_used_when_first_missed(quick: SolveParams) -> None:
    """Shift starts at 10:00: the gap between windows is removed, so 14:00 it is."""
    p = make_problem(
        [make_job("j", 3, windows=((8, 9), (14, 15)))], [make_vehicle(shift=(10, 18))]
    )
    sol = solved(p, quick)
    assert sol.route("v1").stops[0].start_s == 14 * H  # type: ignore[union-attr]


def test_shift_unbound_keeps_both_jobs(quick: SolveParams) -> None:
    """Two 1-hour jobs fit an 8-18 shift."""
    p = make_problem(
        [make_job("a", 1, service_min=60), make_job("b", 2, service_min=60)]
    )
    assert solved(p, quick).is_complete()


def test_shift_binds_and_drops_one_job(quick: SolveParams) -> None:
    """A 90-minute shift fits one 1-hour job (plus driving), not two."""
    p = make_problem(
        [
            make_job("a", 1, service_min=60),
            make_job("b", 2, service_min=60, priority=2),
        ],
        [make_vehicle(shift=(8, 9.5))],
    )
    sol = solved(p, quick)
    assert order(sol) == ("b",)
    assert [(u.job_id, u.reason) for u in sol.unassigned] == [
        ("a", UnassignedReason.NO_ROOM)
    ]


def test_break_taken_inside_window_between_visits(quick: SolveParams) -> None:
    """Four 1-hour visits from 8:00 and a 45-min lunch in 12-14: lunch sits between visits."""
    jobs = [make_job(f"j{k}", k, service_min=60) for k in range(1, 6)]
    p = make_problem(jobs, [make_vehicle(breaks=(lunch(),))])
    sol = solved(p, quick)
    r = sol.route("v1")
    assert r is not None and sol.is_complete()
    (b,) = r.break_starts_s
    assert 12 * H <= b <= 14 * H - 45 * MIN
    assert all(s.departure_s <= b or s.start_s >= b + 45 * MIN for s in r.stops)


def test_break_binds_and_drops_a_visit(quick: SolveParams) -> None:
    """A shift with exactly room for two 1-hour visits loses one to a 1-hour break."""
    jobs = [
        make_job("a", 0, service_min=60),
        make_job("b", 0, service_min=60, priority=2),
    ]
    p = make_problem(
        jobs, [make_vehicle(shift=(8, 11), breaks=(lunch(8, 11, 60 + 30),))]
    )
    sol = solved(p, quick)
    assert order(sol) == ("b",)
    assert sol.unassigned[0].reason is UnassignedReason.NO_ROOM


def test_skill_binds_to_the_skilled_vehicle(quick: SolveParams) -> None:
    """The gas job goes to v2, the only gas-certified technician, though v1 is closer."""
    vs = [
        make_vehicle("v1", start=2),
        make_vehicle("v2", start=8, skills=frozenset({"gas"})),
    ]
    p = make_problem([make_job("g", 2, skills=frozenset({"gas"}))], vs)
    assert order(solved(p, quick), "v2") == ("g",)


def test_skill_unbound_uses_nearest(quick: SolveParams) -> None:
    """Without the skill requirement v1, on the spot, takes it."""
    vs = [
        make_vehicle("v1", start=2),
        make_vehicle("v2", start=8, skills=frozenset({"gas"})),
    ]
    p = make_problem([make_job("g", 2)], vs)
    assert order(solved(p, quick), "v1") == ("g",)


def test_capacity_binds_and_splits_routes(quick: SolveParams) -> None:
    """Three loads of 5 on vans of 10: two vans are needed."""
    vs = [make_vehicle("v1", capacity=10), make_vehicle("v2", capacity=10)]
    p = make_problem([make_job(f"j{k}", k, demand=5) for k in (1, 2, 3)], vs)
    sol = solved(p, quick)
    assert sol.is_complete() and len(sol.routes) == 2


def test_capacity_unbound_one_route(quick: SolveParams) -> None:
    """The same loads on vans of 20: one van does all."""
    vs = [make_vehicle("v1", capacity=20), make_vehicle("v2", capacity=20)]
    p = make_problem([make_job(f"j{k}", k, demand=5) for k in (1, 2, 3)], vs)
    assert len(solved(p, quick).routes) == 1


def test_pickup_before_delivery_binds_order(quick: SolveParams) -> None:
    """Pickup at 5 km, delivery at 1 km: the pair forces 5 then 1 (geometry alone says 1 then 5)."""
    p = make_problem(
        [
            make_job("P", 5, demand=1),
            make_job("D", 1, demand=-1, pickup_of="P"),
            make_job("x", 9),
        ],
        [make_vehicle(capacity=1), make_vehicle("v2", capacity=1)],
    )
    sol = solved(p, quick)
    (r,) = sol.routes
    assert r.job_ids.index("P") < r.job_ids.index("D")


def test_unpaired_jobs_follow_geometry(quick: SolveParams) -> None:
    """Without the pair, nothing stops the 1 km job (due by 8:09) from coming first."""
    p = make_problem([make_job("P", 5), make_job("D", 1, windows=((8, 8.15),))])
    assert order(solved(p, quick)) == ("D", "P")


def test_pinned_vehicle_binds(quick: SolveParams) -> None:
    """A job pinned to the far technician goes to him."""
    vs = [make_vehicle("v1", start=2), make_vehicle("v2", start=8)]
    p = make_problem([make_job("j", 2, pinned_vehicle="v2")], vs)
    assert order(solved(p, quick), "v2") == ("j",)


def test_pinned_position_binds(quick: SolveParams) -> None:
    """The far job pinned first is visited first."""
    p = make_problem([make_job("near", 1), make_job("far", 6, pinned_position=0)])
    assert order(solved(p, quick)) == ("far", "near")


def test_pinned_start_binds(quick: SolveParams) -> None:
    """A pinned start window narrows the service start."""
    p = make_problem(
        [make_job("j", 1, pinned_start=TimeWindow(start_s=15 * H, end_s=16 * H))]
    )
    assert solved(p, quick).route("v1").stops[0].start_s == 15 * H  # type: ignore[union-attr]


def test_max_visits_binds(quick: SolveParams) -> None:
    """v1 may do two visits: the third goes to v2."""
    vs = [make_vehicle("v1", max_visits=2), make_vehicle("v2", max_visits=2)]
    p = make_problem([make_job(f"j{k}", k) for k in (1, 2, 3)], vs)
    sol = solved(p, quick)
    assert sorted(len(r.stops) for r in sol.routes) == [1, 2]


def test_max_visits_unbound(quick: SolveParams) -> None:
    """With room for three, one route does it all."""
    vs = [make_vehicle("v1", max_visits=3), make_vehicle("v2", max_visits=3)]
    p = make_problem([make_job(f"j{k}", k) for k in (1, 2, 3)], vs)
    assert len(solved(p, quick).routes) == 1


def test_structural_reasons_reported(quick: SolveParams) -> None:
    """Skill, window and capacity impossibilities come back with their reasons."""
    jobs = [
        make_job("skill", 1, skills=frozenset({"crane"})),
        make_job("late", 1, windows=((19, 20),)),
        make_job("heavy", 1, demand=50),
        make_job("ok", 1, demand=1),
    ]
    p = make_problem(jobs, [make_vehicle(capacity=10)])
    sol = solved(p, quick)
    assert {u.job_id: u.reason for u in sol.unassigned} == {
        "skill": UnassignedReason.NO_SKILL,
        "late": UnassignedReason.NO_SHIFT_REACHES_WINDOW,
        "heavy": UnassignedReason.OVER_CAPACITY,
    }
    assert order(sol) == ("ok",)


def test_breaks_with_an_unused_vehicle(quick: SolveParams) -> None:
    """Two technicians with lunch, one job: the idle one does not break the model (or-tools #1243)."""
    vs = [
        make_vehicle("v1", breaks=(lunch(),)),
        make_vehicle("v2", start=9, breaks=(lunch(),)),
    ]
    p = make_problem([make_job("j", 2, service_min=240)], vs)
    sol = solved(p, quick)
    assert sol.is_complete() and order(sol, "v1") == ("j",)


def test_no_vehicle_leaves_everything_unassigned(quick: SolveParams) -> None:
    """A day without technicians: every job comes back with NO_SKILL."""
    p = make_problem([make_job("a", 1)], []).replace(vehicles=())
    sol = solved(p, quick)
    assert [u.reason for u in sol.unassigned] == [UnassignedReason.NO_SKILL]
