"""The planner opens the executor for regional parts: local pool unless a Dask scheduler is configured."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

from dispatch.planning import solving as planning
from routing.partition import ManagerChannel


def test_local_pool_without_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(planning.DASK_ENV, raising=False)
    with planning.partition_pool() as pool:
        assert isinstance(pool.executor, cf.ProcessPoolExecutor)
        assert isinstance(pool.channel(), ManagerChannel)
