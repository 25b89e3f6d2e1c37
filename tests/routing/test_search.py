"""Ruin-and-recreate around OR-Tools: moves keep routes feasible, the loop's answers stay valid."""

from __future__ import annotations

import random
import time
from pathlib import Path

from routing import solomon
from routing.matrix import problem_matrix
from routing.model import Job, Problem
from routing.ortools_model import SearchConfig, build, run
from routing.params import FirstSolution, SolveParams
from routing.reasons import structural_reasons
from routing.search.recreate import recreate
from routing.search.ruin import strings, whole_routes
from routing.search.space import Space, build_space
from routing.validate import validate
from tests.routing.builders import lunch, make_job, make_problem, make_vehicle, national

TINY = Path(__file__).parent / "data" / "tiny.txt"


def _space(p: Problem) -> tuple[Space, list[list[int]]]:
    m = problem_matrix(p.locations, p.matrix)
    b = build(p, m, set(structural_reasons(p, m)))
    space = build_space(p, m, b.jobs, b.allowed, b.penalties)
    # a feasible start: everything the recreate can place, from empty routes
    routes, _ = recreate(space, [[] for _ in p.vehicles], list(range(len(b.jobs))),
                         random.Random(0), blink=0.0)  # fmt: skip
    return space, routes


def _feasible(space: Space, routes: list[list[int]]) -> bool:
    return all(space.feasible(k, r) for k, r in enumerate(routes))


def test_ruin_takes_out_what_it_reports_and_recreate_keeps_routes_feasible() -> None:
    """Strings and whole routes: removed visits leave their routes; re-inserted routes schedule."""
    p = solomon.read(TINY)
    space, routes = _space(p)
    assert space.fast and _feasible(space, routes)
    rng = random.Random(3)
    for step in range(60):
        ruin = whole_routes if step % 4 == 0 else strings
        cand, removed = ruin(space, routes, rng)
        left_in = [i for r in cand for i in r]
        assert removed and not set(removed) & set(left_in)
        assert sorted(left_in + removed) == sorted(i for r in routes for i in r)
        cand, left = recreate(space, cand, removed, rng)
        assert _feasible(space, cand)  # the O(1) checks agree with a full schedule
        routes = cand if not left else routes


def test_slow_path_with_breaks_and_skills_stays_feasible() -> None:
    """Lunch breaks and skills take the general check; recreate never breaks a rule."""
    p = national(n_cities=1, techs=3, jobs=18)
    p = p.replace(vehicles=tuple(v.__class__(**{**{f: getattr(v, f) for f in v.__slots__},
                                                "breaks": (lunch(),)}) for v in p.vehicles))  # fmt: skip
    space, routes = _space(p)
    assert not space.fast and _feasible(space, routes)
    rng = random.Random(1)
    for _ in range(20):
        cand, removed = strings(space, routes, rng)
        cand, _ = recreate(space, cand, removed, rng)
        assert _feasible(space, cand)
        routes = cand


def test_pairs_and_pinned_positions_stay_in_place() -> None:
    """The Python side never moves a pickup-delivery pair or a pinned-position visit."""
    jobs = [make_job(f"j{k}", k) for k in range(1, 8)]
    jobs += [
        Job(id="p", location=8, service_s=60, demand=1),
        Job(id="d", location=9, service_s=60, demand=-1, pickup_of="p"),
    ]
    p = make_problem(jobs, [make_vehicle(capacity=3)])
    space, _ = _space(p)
    ids = [j.id for j in space.jobs]
    frozen = {ids.index("p"), ids.index("d")}
    routes = [[*range(7), ids.index("p"), ids.index("d")]]
    rng = random.Random(0)
    for _ in range(30):
        _, removed = strings(space, routes, rng, avg_removed=5)
        assert not frozen & set(removed)


def test_loop_answer_is_valid_and_repeatable_with_an_iteration_limit() -> None:
    """Same seed, same iteration limit: same routes; the validator finds nothing."""
    p = solomon.read(TINY)
    params = SolveParams(time_limit_s=2, solution_limit=30, seed=4)
    cfg = SearchConfig(strategy=FirstSolution.PRIORITY_INSERTION)
    a = run(p, p.matrix, params, cfg, deadline=time.monotonic() + 10)  # type: ignore[arg-type]
    b = run(p, p.matrix, params, cfg, deadline=time.monotonic() + 10)  # type: ignore[arg-type]
    assert validate(p, a) == [] and a.is_complete()
    assert [r.job_ids for r in a.routes] == [r.job_ids for r in b.routes]
    assert "ruin-recreate iterations" in a.details["search"]


def test_loop_holds_breaks_pairs_and_scarcity() -> None:
    """A day with lunch, a pickup-delivery pair and too much work: valid, pair together."""
    jobs = [
        make_job(f"j{k}", 1 + k % 10, service_min=50, priority=1 + k % 3)
        for k in range(14)
    ]
    jobs += [
        Job(id="p", location=4, service_s=600, demand=1, priority=3),
        Job(id="d", location=8, service_s=600, demand=-1, pickup_of="p", priority=3),
    ]
    vs = [make_vehicle("a", breaks=(lunch(),), capacity=2),
          make_vehicle("b", start=11, breaks=(lunch(),), capacity=2)]  # fmt: skip
    p = make_problem(jobs, vs)
    sol = run(p, p.matrix, SolveParams(time_limit_s=1.5, search="ruin_recreate"), SearchConfig(),  # type: ignore[arg-type]
              deadline=time.monotonic() + 1.5)  # fmt: skip
    assert validate(p, sol) == [] and "ruin-recreate" in sol.details["search"]
    where = {s: r.vehicle_id for r in sol.routes for s in r.job_ids}
    assert where.get("p") == where.get("d") is not None
    # by default a day with breaks goes to OR-Tools' guided local search
    auto = run(p, p.matrix, SolveParams(time_limit_s=1), SearchConfig(),  # type: ignore[arg-type]
               deadline=time.monotonic() + 1)  # fmt: skip
    assert validate(p, auto) == [] and "search" not in auto.details
