"""Reasons for unassigned jobs, on hand-made problems (no solver)."""

from __future__ import annotations

from routing.model import UnassignedReason as R
from routing.reasons import explain, structural_reasons
from tests.routing.builders import line_matrix, make_job, make_problem, make_vehicle


def reasons(jobs, vehicles=None):  # type: ignore[no-untyped-def]
    p = make_problem(jobs, vehicles)
    return {k: u.reason for k, u in structural_reasons(p, line_matrix(12)).items()}


def test_no_skill() -> None:
    """Nobody holds both skills, though each is held by someone."""
    vs = [
        make_vehicle("a", skills=frozenset({"gas"})),
        make_vehicle("b", skills=frozenset({"elec"})),
    ]
    assert reasons([make_job("j", 1, skills=frozenset({"gas", "elec"}))], vs) == {
        "j": R.NO_SKILL
    }


def test_window_out_of_every_shift() -> None:
    """A 7:00-7:30 window before every 8:00 shift."""
    assert reasons([make_job("j", 1, windows=((7, 7.5),))]) == {
        "j": R.NO_SHIFT_REACHES_WINDOW
    }


def test_window_reachable_but_no_time_to_return() -> None:
    """Service from 17:55 for 10 min, 11 km out: cannot be home by 18:00."""
    assert reasons([make_job("j", 11, windows=((17.9, 18),))]) == {
        "j": R.NO_SHIFT_REACHES_WINDOW
    }


def test_over_capacity() -> None:
    """Demand 30 above every capacity (10 and 20); unlimited vans would take it."""
    vs = [make_vehicle("a", capacity=10), make_vehicle("b", capacity=20)]
    assert reasons([make_job("j", 1, demand=30)], vs) == {"j": R.OVER_CAPACITY}
    assert reasons([make_job("j", 1, demand=30)], [make_vehicle(capacity=0)]) == {}


def test_capacity_checked_only_on_skilled_vehicles() -> None:
    """The big van lacks the skill, the skilled one is too small."""
    vs = [
        make_vehicle("big", capacity=100),
        make_vehicle("small", capacity=5, skills=frozenset({"x"})),
    ]
    assert reasons([make_job("j", 1, demand=30, skills=frozenset({"x"}))], vs) == {
        "j": R.OVER_CAPACITY
    }


def test_partner_of_impossible_leg() -> None:
    """The delivery cannot be placed, so its pickup is not either."""
    jobs = [
        make_job("p", 1, demand=1),
        make_job("d", 2, demand=-1, pickup_of="p", skills=frozenset({"z"})),
    ]
    assert reasons(jobs) == {"d": R.NO_SKILL, "p": R.PARTNER_UNPLACED}


def test_possible_job_dropped_means_no_room() -> None:
    """A feasible job left out by the solver is explained as NO_ROOM."""
    p = make_problem([make_job("j", 1)])
    (u,) = explain(p, line_matrix(12), ["j"])
    assert u.reason is R.NO_ROOM
    assert (
        u.reason.value
        == "no room: every technician's day is full of higher-priority work"
    )
