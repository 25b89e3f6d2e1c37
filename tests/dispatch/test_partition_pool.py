"""The planner opens the executor for regional parts: local pool unless a Dask scheduler is
configured; a day with no vehicle is never partitioned."""

from __future__ import annotations

import concurrent.futures as cf
from datetime import date

import pytest

from dispatch.planning import solving as planning
from dispatch.planning.builder import DayProblem
from routing import Job, Problem
from routing.partition import ManagerChannel


def test_local_pool_without_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(planning.DASK_ENV, raising=False)
    with planning.partition_pool() as pool:
        assert isinstance(pool.executor, cf.ProcessPoolExecutor)
        assert isinstance(pool.channel(), ManagerChannel)


def test_a_national_day_nobody_works_leaves_every_visit_out() -> None:
    """More visits than a partitioned day's threshold and no technician (a Saturday of
    a horizon, or each day planned alone): every visit is left out, no crash."""
    n = planning.PARTITION_ABOVE_JOBS + 1
    problem = Problem(
        locations=tuple((45.0 + k / 1000, 4.8) for k in range(n)),
        vehicles=(),
        jobs=tuple(Job(id=f"J{k}", location=k, service_s=600) for k in range(n)),
    )
    dp = DayProblem(
        day=date(2026, 11, 28),
        kind="technicians",
        region=None,
        problem=problem,
        jobs={},
        vehicles={},
    )
    sol = planning.solve_day(dp, 1.0)
    assert not sol.routes and len(sol.unassigned) == n
