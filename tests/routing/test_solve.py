"""solve(): priorities under scarcity, re-planning, cancel, determinism, portfolio."""

from __future__ import annotations

import dataclasses
import itertools
import threading

import pytest

from routing.model import Problem, UnassignedReason, travel_cost
from routing.params import SolveParams
from routing.progress import CancelFlag, Progress
from routing.solve import solve
from routing.validate import validate
from tests.routing.builders import make_job, make_problem, make_vehicle


def crowded(n_jobs: int = 12) -> Problem:
    """Interchangeable 1-hour jobs at one spot, priorities 1..4; a shift fits five of them."""
    jobs = [
        make_job(f"j{k:02d}", 3, service_min=60, priority=1 + k % 4)
        for k in range(n_jobs)
    ]
    return make_problem(jobs, [make_vehicle(shift=(8, 13.2))])


def test_scarce_capacity_drops_lowest_priorities(quick: SolveParams) -> None:
    """Five of twelve fit: the planned ones are the highest priorities, the rest NO_ROOM."""
    p = crowded()
    sol = solve(p, quick)
    assert validate(p, sol) == []
    planned = sorted(p.job(s).priority for r in sol.routes for s in r.job_ids)
    dropped = sorted(p.job(u.job_id).priority for u in sol.unassigned)
    assert len(sol.unassigned) == 7
    assert all(u.reason is UnassignedReason.NO_ROOM for u in sol.unassigned)
    assert max(dropped) <= min(
        planned
    )  # never a lower priority planned in place of a higher
    assert planned == [3, 3, 4, 4, 4]


def test_high_priority_beats_any_travel_saving(quick: SolveParams) -> None:
    """One slot; the priority-2 job 9 km away wins over the priority-1 job next door."""
    jobs = [
        make_job("near", 1, service_min=100),
        make_job("far", 9, service_min=100, priority=2),
    ]
    p = make_problem(jobs, [make_vehicle(shift=(8, 10.5))])
    sol = solve(p, quick)
    assert validate(p, sol) == []
    assert sol.route("v1").job_ids == ("far",)  # type: ignore[union-attr]


def test_replan_from_initial_keeps_new_pins(quick: SolveParams) -> None:
    """Re-plan from yesterday's routes after pinning a job elsewhere: the pin holds."""
    vs = [make_vehicle("v1", start=1), make_vehicle("v2", start=9)]
    p = make_problem([make_job(f"j{k}", k) for k in range(1, 11)], vs)
    first = solve(p, quick)
    assert validate(p, first) == []
    moved = first.route("v1").job_ids[0]  # type: ignore[union-attr]
    pinned = p.replace(
        jobs=tuple(
            dataclasses.replace(j, pinned_vehicle="v2") if j.id == moved else j
            for j in p.jobs
        )
    )
    again = solve(pinned, quick, initial=first)
    assert validate(pinned, again) == []
    assert moved in again.route("v2").job_ids  # type: ignore[union-attr]
    assert again.is_complete()


def test_initial_with_zero_time_returned_unchanged() -> None:
    """With no time to search, the initial routes come back as they were."""
    vs = [make_vehicle("v1", start=1), make_vehicle("v2", start=9)]
    p = make_problem([make_job(f"j{k}", k) for k in range(1, 11)], vs)
    first = solve(p, SolveParams(time_limit_s=0.3))
    again = solve(p, SolveParams(time_limit_s=0), initial=first)
    assert [r.job_ids for r in again.routes] == [r.job_ids for r in first.routes]
    assert validate(p, again) == []


def test_cancel_returns_best_so_far() -> None:
    """Cancel at the first solution of a 60 s search: it stops at once with a valid plan."""
    p = crowded(30)
    flag = CancelFlag()
    seen: list[Progress] = []

    def on_progress(pr: Progress) -> None:
        seen.append(pr)
        flag.cancel()

    sol = solve(
        p, SolveParams(time_limit_s=60, workers=1), progress=on_progress, cancel=flag
    )
    assert sol.status == "CANCELLED"
    assert sol.elapsed_s < 10
    assert seen and sol.objective.jobs_placed == 5
    assert validate(p, sol) == []


def test_cancel_stops_every_portfolio_worker() -> None:
    """With two worker processes, a cancel from another thread ends both quickly."""
    p = crowded(30)
    flag = CancelFlag()
    threading.Timer(1.5, flag.cancel).start()
    sol = solve(p, SolveParams(time_limit_s=60, workers=2), cancel=flag)
    assert sol.elapsed_s < 15
    assert sol.status == "CANCELLED"
    assert validate(p, sol) == []


def test_portfolio_reports_progress_to_the_caller() -> None:
    """Two processes: progress reaches the caller's callback, the best answer is valid."""
    vs = [make_vehicle("v1", start=1), make_vehicle("v2", start=9, capacity=4)]
    p = make_problem([make_job(f"j{k}", k, demand=1) for k in range(1, 11)], vs)
    seen: list[Progress] = []
    sol = solve(p, SolveParams(time_limit_s=1.0, workers=2), progress=seen.append)
    assert seen and all(s.jobs_total == 10 for s in seen)
    assert validate(p, sol) == [] and sol.is_complete()
    assert "portfolio" in sol.details


def test_same_seed_same_routes() -> None:
    """A fixed seed and solution limit give the same answer twice."""
    vs = [
        make_vehicle("v1", start=1, capacity=3),
        make_vehicle("v2", start=9, capacity=4),
    ]
    p = make_problem([make_job(f"j{k}", k, demand=1) for k in range(1, 8)], vs)
    params = SolveParams(time_limit_s=5, seed=7, solution_limit=40)
    a, b = solve(p, params), solve(p, params)
    assert [r.job_ids for r in a.routes] == [r.job_ids for r in b.routes]
    assert validate(p, a) == []


def test_scarce_load_capacity_keeps_the_highest_priorities(quick: SolveParams) -> None:
    """A van of 10 and five loads of 5 (priorities 1..5): the 5 and the 4 go, the rest NO_ROOM."""
    jobs = [make_job(f"p{k}", k, demand=5, priority=k) for k in range(1, 6)]
    p = make_problem(jobs, [make_vehicle(capacity=10)])
    sol = solve(p, quick)
    assert validate(p, sol) == []
    assert sorted(sol.route("v1").job_ids) == ["p4", "p5"]  # type: ignore[union-attr]
    assert {u.reason for u in sol.unassigned} == {UnassignedReason.NO_ROOM}


def test_failing_progress_callback_surfaces_its_error(quick: SolveParams) -> None:
    """An exception in the caller's callback stops the search and is raised, not swallowed."""

    def boom(_: Progress) -> None:
        raise RuntimeError("display is gone")

    with pytest.raises(RuntimeError, match="display is gone"):
        solve(crowded(), quick, progress=boom)


def test_time_weight_searches_on_hours_and_reports_the_real_cost() -> None:
    """Hours weigh four times more in the search; the answer's cost is at the real rates."""
    vs = [make_vehicle("a", cost_per_km=0.35, cost_per_hour=32.0),
          make_vehicle("b", start=11, cost_per_km=0.35, cost_per_hour=32.0)]  # fmt: skip
    p = make_problem([make_job(f"j{k}", k) for k in range(1, 11)], vs)
    sol = solve(p, SolveParams(time_limit_s=1, time_weight=4.0))
    assert sol.is_complete() and validate(p, sol) == []
    assert sol.objective.cost == travel_cost(p, p.matrix, sol.routes)  # type: ignore[arg-type]
    loc = {j.id: j.location for j in p.jobs}
    home = {v.id: v.start for v in p.vehicles}
    km = sol.objective.distance_m / 1000
    hours = 0.0
    for r in sol.routes:
        at = [home[r.vehicle_id], *(loc[s.job_id] for s in r.stops), home[r.vehicle_id]]
        hours += (
            sum(int(p.matrix.durations_s[a, b]) for a, b in itertools.pairwise(at))
            / 3600
        )  # type: ignore[union-attr]
    assert sol.objective.cost == pytest.approx(0.35 * km + 32.0 * hours, abs=0.01)


def test_time_weight_must_be_positive() -> None:
    with pytest.raises(ValueError, match="time_weight must be > 0"):
        SolveParams(time_weight=0.0)
