"""Ejection search: a left-out visit placed by pushing another to a round that has room."""

from __future__ import annotations

import time

import pytest

from routing.construct import schedule
from routing.model import Problem
from routing.search.eject import place_left_out
from tests.routing.builders import make_job, make_problem, make_vehicle


def crowded_day() -> Problem:
    """Technician a (home 0, works 2 h) holds two one-hour visits at 1 and 2; b (home 10,
    works 8:00-9:07) has room for one short visit near home. The left-out visit x at 1
    needs a's morning: it goes in only if the visit at 2 moves to b."""
    a = make_vehicle("a", start=0, shift=(8, 10))
    b = make_vehicle("b", start=10, shift=(8, 9 + 7 / 60))
    jobs = [
        make_job("p", 1, service_min=50, priority=5),
        make_job("q", 2, service_min=50, priority=5),
        make_job("x", 1, service_min=50, priority=9),
    ]
    return make_problem(jobs, [a, b], n=12)


def test_a_chain_places_what_no_single_insertion_can() -> None:
    p = crowded_day()
    routes = {"a": ["p", "q"], "b": []}
    d = p.matrix.durations_s  # type: ignore[union-attr]
    jobs = {j.id: j for j in p.jobs}
    va = p.vehicles[0]
    # no place for x in a's round as it is, and b cannot reach x's location in time
    assert schedule(p.vehicles[1], [jobs["x"]], d) is None
    assert all(
        schedule(va, [jobs[i] for i in r], d) is None
        for r in (["x", "p", "q"], ["p", "x", "q"], ["p", "q", "x"])
    )
    changed, stats = place_left_out(
        p,
        p.matrix,
        routes,
        ["x"],
        deadline=time.monotonic() + 2,  # type: ignore[arg-type]
    )
    new = {**routes, **changed}
    assert sorted(j for r in new.values() for j in r) == ["p", "q", "x"]
    assert new["b"] == ["q"] and stats.placed_after == stats.placed_before + 1
    for v in p.vehicles:
        assert schedule(v, [jobs[i] for i in new[v.id]], d) is not None, v.id


@pytest.mark.parametrize(
    ("held", "left", "expected"),
    [
        # with nowhere to push the lesser visit, the more important one is served instead
        ("low", "high", {"a": ["high"]}),
        # a lesser visit never takes the place of a more important one
        ("high", "low", {}),
    ],
)
def test_one_slot_goes_to_the_more_important_visit(
    held: str, left: str, expected: dict[str, list[str]]
) -> None:
    a = make_vehicle("a", start=0, shift=(8, 9))
    jobs = [
        make_job("low", 1, service_min=50, priority=2),
        make_job("high", 1, service_min=50, priority=7),
    ]
    p = make_problem(jobs, [a], n=4)
    changed, stats = place_left_out(
        p,
        p.matrix,
        {"a": [held]},
        [left],
        deadline=time.monotonic() + 1,  # type: ignore[arg-type]
    )
    assert changed == expected and stats.placed_after == stats.placed_before == 1
