"""Cross-border repair: left-out visits re-offered to the nearest technicians of any region."""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from routing.model import Objective, Problem, Route, Solution, Stop
from routing.params import SolveParams
from routing.partition import solve_part, solve_partitioned
from routing.partition.inflight import Taken, keep_busy
from routing.partition.parts import Part
from routing.partition.repair import WAVE_S, figures, repair, wave_limit
from routing.validate import validate
from tests.routing.builders import (
    LABELS,
    border_day,
    in_process,
    line_matrix,
    make_job,
    make_vehicle,
)


def regions_only(p: Problem) -> Solution:
    with cf.ThreadPoolExecutor(2) as ex:
        return solve_partitioned(
            p, SolveParams(time_limit_s=1), executor=ex, labels=LABELS,
            rebalance_share=0.0, repair_share=0.0,
        )  # fmt: skip


def test_repair_moves_left_out_jobs_across_the_border() -> None:
    p = border_day()
    first = regions_only(p)
    assert first.objective.jobs_placed <= 2  # A's two hours; B never saw the jobs
    sol, stats = repair(
        p, first, SolveParams(time_limit_s=1), submit=in_process, slots=2,
        deadline=time.monotonic() + 4,
    )  # fmt: skip
    assert validate(p, sol) == []
    assert sol.is_complete() and stats.placed_after == 8 and stats.accepted >= 1
    assert len(sol.route("b").stops) >= 6  # type: ignore[union-attr]


def test_repair_never_keeps_a_worse_answer() -> None:
    """A sub-solve that drops everything is refused: the day stays as it was."""
    p = border_day()
    first = regions_only(p)

    def drops_all(part: Part, sp: SolveParams, init: Solution) -> cf.Future[Solution]:
        empty = Objective(cost=0, distance_m=0, duration_s=0, penalty=0,
                          jobs_placed=0, jobs_total=0)  # fmt: skip
        f: cf.Future[Solution] = cf.Future()
        f.set_result(
            Solution(routes=(), unassigned=(), objective=empty, status="X", elapsed_s=0)
        )
        return f

    sol, stats = repair(
        p, first, SolveParams(time_limit_s=1), submit=drops_all, slots=2,
        deadline=time.monotonic() + 4, eject_share=0.0,
    )  # fmt: skip
    assert stats.accepted == 0 and figures(p, sol) == figures(p, first)
    assert [r.job_ids for r in sol.routes] == [r.job_ids for r in first.routes]

    # the ejection search alone, with every sub-solve refused, places them across
    sol, stats = repair(
        p, first, SolveParams(time_limit_s=1), submit=drops_all, slots=2,
        deadline=time.monotonic() + 2, eject_share=0.5,
    )  # fmt: skip
    assert stats.accepted == 0 and validate(p, sol) == [] and sol.is_complete()
    assert "ejection search: placed" in stats.text()


def test_partitioned_solve_repairs_within_its_budget() -> None:
    """With the repair share on, the partitioned solve places all 8, within its budget."""
    p = border_day()
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(2) as ex:
        sol = solve_partitioned(
            p, SolveParams(time_limit_s=3), executor=ex, labels=LABELS,
            rebalance_share=0.0, repair_share=0.5,
        )  # fmt: skip
    assert validate(p, sol) == [] and sol.is_complete()
    assert "repair" in sol.details and sol.details["regions"] == "2"
    assert (
        time.monotonic() - t0 < 3 + 5
    )  # the deadline holds, with slack for a loaded CI


def _placing(p: Problem, *job_ids: str) -> Solution:
    stops = tuple(
        Stop(job_id=j, arrival_s=0, start_s=0, departure_s=0) for j in job_ids
    )
    route = Route(vehicle_id="b", stops=stops, start_s=0, end_s=0, distance_m=0,
                  duration_s=0)  # fmt: skip
    empty = Objective(cost=0, distance_m=0, duration_s=0, penalty=0, jobs_placed=0,
                      jobs_total=0)  # fmt: skip
    return Solution(routes=(route,), unassigned=(), objective=empty, status="X",
                    elapsed_s=0)  # fmt: skip


def test_figures_put_a_higher_class_first() -> None:
    """One visit of a higher class beats two of a lower one; then priority, then count."""
    p = border_day()
    p = replace(p, jobs=(replace(p.jobs[0], priority_class=1), *p.jobs[1:]))
    assert figures(p, _placing(p, "j0")) > figures(p, _placing(p, "j1", "j2"))
    assert figures(p, _placing(p, "j7")) > figures(p, _placing(p, "j1"))
    assert figures(p, _placing(p, "j1", "j2")) > figures(p, _placing(p, "j7"))


def test_partitioned_replan_starts_each_region_from_its_rounds() -> None:
    """A re-plan's rounds are read back as they are (no time to search): B keeps the
    visits it had, across the border from their nearest region."""
    p = border_day()
    with cf.ThreadPoolExecutor(2) as ex:
        full = solve_partitioned(
            p, SolveParams(time_limit_s=3), executor=ex, labels=LABELS,
            rebalance_share=0.0, repair_share=0.5,
        )  # fmt: skip
        again = solve_partitioned(
            p, SolveParams(time_limit_s=0), executor=ex, labels=LABELS, initial=full,
        )  # fmt: skip
    assert validate(p, again) == []
    assert [r.job_ids for r in again.routes] == [r.job_ids for r in full.routes]


def test_two_borders_repaired_side_by_side_without_sharing() -> None:
    """Two full regions far apart, each with idle neighbours: both neighbourhoods are
    re-solved at once, never sharing a vehicle, and both splices hold (no job twice)."""
    vs = tuple(
        make_vehicle(f"{side}{k}", start=base + k, shift=(8, 10) if k == 0 else (8, 18))
        for side, base in (("x", 0), ("y", 30))
        for k in (0, 5, 6, 7, 8, 9)
    )
    jobs = tuple(
        make_job(f"{side}-job{k}", base + 1 + k % 3, service_min=60, priority=10 + k)
        for side, base in (("x", 0), ("y", 30))
        for k in range(5)
    )
    p = Problem(
        locations=tuple((48.80 + 0.01 * k, 2.30) for k in range(42)),
        vehicles=vs,
        jobs=jobs,
        matrix=line_matrix(42),
    )
    labels = {v.id: v.id[0] + ("full" if v.id[1:] == "0" else "") for v in vs}
    with cf.ThreadPoolExecutor(2) as ex:
        first = solve_partitioned(
            p, SolveParams(time_limit_s=1), executor=ex, labels=labels,
            rebalance_share=0.0, repair_share=0.0,
        )  # fmt: skip
    assert first.objective.jobs_placed <= 4
    flying: list[set[str]] = []
    together: list[tuple[set[str], set[str]]] = []
    lock = threading.Lock()

    def solve(part: Part, sp: SolveParams, init: Solution) -> Solution:
        ids = {v.id for v in part.problem.vehicles}
        with lock:
            together.extend((ids, other) for other in flying)
            flying.append(ids)
        try:
            return solve_part(part, sp, None, init)
        finally:
            with lock:
                flying.remove(ids)

    with cf.ThreadPoolExecutor(2) as ex:
        sol, stats = repair(
            p, first, SolveParams(time_limit_s=1), slots=2,
            submit=lambda part, sp, init: ex.submit(solve, part, sp, init),
            deadline=time.monotonic() + 1.6,
        )  # fmt: skip
    assert stats.tried >= 2 and together  # two sub-solves ran at the same time
    assert all(not a & b for a, b in together)
    assert validate(p, sol) == [] and sol.is_complete()
    ids = [j for r in sol.routes for j in r.job_ids]
    assert len(ids) == len(set(ids)) == 10


def test_with_nothing_left_out_the_repair_shortens_rounds() -> None:
    """Every visit placed, but each technician drives to the other's town: the polish
    neighbourhood swaps them (fewer km, nothing lost)."""
    from routing.strict import retime

    p = Problem(
        locations=tuple((48.80 + 0.01 * k, 2.30) for k in range(12)),
        vehicles=(make_vehicle("a", start=0), make_vehicle("b", start=11)),
        jobs=(make_job("near-a", 1), make_job("near-b", 10)),
        matrix=line_matrix(12),
    )
    crossed, lost = retime(p, {"a": ["near-b"], "b": ["near-a"]})
    assert not lost and crossed.objective.jobs_placed == 2
    sol, stats = repair(
        p, crossed, SolveParams(time_limit_s=1), submit=in_process, slots=2,
        deadline=time.monotonic() + 2,
    )  # fmt: skip
    assert validate(p, sol) == [] and sol.is_complete() and stats.accepted >= 1
    assert sol.objective.distance_m < crossed.objective.distance_m
    assert sol.route("a").job_ids == ("near-a",)  # type: ignore[union-attr]


def test_a_wave_gets_time_by_the_size_of_its_largest_neighbourhood() -> None:
    small, large = wave_limit(30, 60.0), wave_limit(200, 60.0)
    assert WAVE_S[0] <= small < large <= WAVE_S[1]
    # never past the deadline, however large the neighbourhood
    assert wave_limit(10_000, 1.0) < 1.0


def test_a_freed_slot_starts_the_next_sub_solve_without_waiting_for_the_slow_one() -> (
    None
):
    """One slow sub-solve and many quick ones on two slots: the quick ones keep the
    other slot busy meanwhile, each answer is heard once, and the slow one's last."""
    with cf.ThreadPoolExecutor(2) as ex:
        queue = [0.6] + [0.05] * 6
        started: list[float] = []
        heard: list[float] = []

        def start(taken: Sequence[Taken]) -> tuple[Taken, cf.Future[Solution]] | None:
            if not queue:
                return None
            s = queue.pop(0)
            started.append(s)
            return ([len(started)], [f"{s}"]), ex.submit(lambda: (time.sleep(s), s)[1])  # type: ignore[arg-type, return-value]

        def finish(sub: Taken, answer: Solution, flying: Sequence[Taken]) -> None:
            heard.append(answer)  # type: ignore[arg-type]

        t0 = time.monotonic()
        ran = keep_busy(start, finish, slots=2, cancelled=lambda: False)
    assert ran == 7 and sorted(heard) == sorted(started)
    assert heard[-1] == 0.6  # the six quick ones ran while the slow one did
    assert time.monotonic() - t0 < 0.6 + 0.3  # waves of two would take 0.6 + 3 x 0.05
