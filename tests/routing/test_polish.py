"""The polish at the real rates after a time-weighted national day (routing.partition.polish)."""

from __future__ import annotations

import concurrent.futures as cf
import time

from routing.model import Problem
from routing.params import SolveParams
from routing.partition import solve_partitioned
from routing.partition.polish import polish
from routing.strict import retime
from routing.validate import validate
from tests.routing.builders import (
    LABELS,
    border_day,
    in_process,
    line_matrix,
    make_job,
    make_vehicle,
)


def crossed_day() -> Problem:
    return Problem(
        locations=tuple((48.80 + 0.01 * k, 2.30) for k in range(12)),
        vehicles=(make_vehicle("a", start=0), make_vehicle("b", start=11)),
        jobs=(make_job("near-a", 1), make_job("near-b", 10), make_job("mid", 5)),
        matrix=line_matrix(12),
    )


def test_polish_takes_the_km_back_and_keeps_every_visit() -> None:
    """Each technician drives to the other's town: the polish swaps them."""
    p = crossed_day()
    crossed, lost = retime(p, {"a": ["near-b"], "b": ["near-a", "mid"]})
    assert not lost and crossed.objective.jobs_placed == 3
    sol, stats = polish(
        p, crossed, SolveParams(time_limit_s=1, time_weight=4.0), submit=in_process,
        slots=2, deadline=time.monotonic() + 2,
    )  # fmt: skip
    assert validate(p, sol) == [] and sol.is_complete()
    assert stats.accepted >= 1 and stats.km_after < stats.km_before
    assert sol.objective.distance_m < crossed.objective.distance_m
    assert "near-a" in sol.route("a").job_ids  # type: ignore[union-attr]
    assert "near-b" in sol.route("b").job_ids  # type: ignore[union-attr]


def test_polish_stops_at_its_deadline() -> None:
    p = crossed_day()
    crossed, _ = retime(p, {"a": ["near-b"], "b": ["near-a", "mid"]})
    sol, stats = polish(
        p, crossed, SolveParams(time_limit_s=1), submit=in_process, slots=2,
        deadline=time.monotonic() + 0.1,
    )  # fmt: skip
    assert stats.tried == 0 and sol is crossed


def test_partitioned_day_polishes_only_when_time_is_weighted() -> None:
    p = border_day()
    with cf.ThreadPoolExecutor(2) as ex:
        weighted = solve_partitioned(
            p, SolveParams(time_limit_s=3, time_weight=4.0), executor=ex, labels=LABELS
        )
        plain = solve_partitioned(
            p, SolveParams(time_limit_s=2), executor=ex, labels=LABELS
        )
    assert "polish" in weighted.details and "polish" not in plain.details
    assert "repair" in weighted.details  # the repair's note survives the polish
    assert validate(p, weighted) == [] and weighted.is_complete()
