"""Regional decomposition: clustering, split, parallel solve, rebalance, Dask."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
import pytest

from routing.matrix import HaversineTravel
from routing.params import SolveParams
from routing.partition import (
    DaskChannel,
    ManagerChannel,
    cluster_vehicles,
    dask_pool,
    kmeans,
    local_pool,
    solve_partitioned,
    split,
)
from routing.progress import CancelFlag, Progress
from routing.validate import validate
from tests.routing.builders import make_job, make_vehicle, national

ROOT = str(Path(__file__).resolve().parents[2])


def test_kmeans_separates_far_groups() -> None:
    """Two tight groups 100 km apart end up in two clusters, deterministically."""
    pts = np.array(
        [[0, 0], [1, 0], [0, 1], [100, 100], [101, 100], [100, 101]], dtype=float
    )
    a, b = kmeans(pts, 2, seed=3), kmeans(pts, 2, seed=3)
    assert (
        (a == b).all()
        and len(set(a[:3])) == 1
        and len(set(a[3:])) == 1
        and a[0] != a[3]
    )


def test_split_by_city_and_skills() -> None:
    """Three cities make three regions; each job lands once, in a region able to serve it."""
    p = national()
    m = HaversineTravel().matrix(p.locations)
    regions = cluster_vehicles(p, 3)
    parts, _ = split(p, regions, m)
    ids = [j.id for part in parts for j in part.problem.jobs]
    assert sorted(ids) == sorted(j.id for j in p.jobs)
    for part in parts:
        city = {v.id[:2] for v in part.problem.vehicles}
        assert len(city) == 1
        assert all(j.id.startswith(next(iter(city))) for j in part.problem.jobs)


def test_split_by_given_labels() -> None:
    """A region label per vehicle overrides k-means."""
    p = national(n_cities=2, techs=2)
    labels = {v.id: "all" for v in p.vehicles}
    assert cluster_vehicles(p, labels=labels) == [[0, 1, 2, 3]]


def test_partitioned_solve_on_local_pool_valid_with_progress() -> None:
    """The caller's spawn pool: every region solved, merged plan valid, progress summed."""
    p = national(n_cities=3, techs=2, jobs=12)
    seen: list[Progress] = []
    with local_pool() as pool:
        sol = solve_partitioned(
            p, SolveParams(time_limit_s=2), executor=pool.executor,
            channel=pool.channel(), n_regions=3, progress=seen.append,
        )  # fmt: skip
    assert validate(p, sol) == []
    assert sol.details["regions"] == "3" and sol.is_complete()
    assert seen and seen[-1].jobs_total == len(p.jobs)


def test_rebalance_moves_overflow_to_the_neighbour() -> None:
    """Region A's only technician works 2 h and gets 8 one-hour jobs; B next door is idle.

    Round 1 (labels keep them apart) drops 6 in A; round 2 offers them to B.
    """
    locs = tuple((48.80 + 0.01 * k, 2.30) for k in range(12))
    vs = (make_vehicle("a", start=0, shift=(8, 10)), make_vehicle("b", start=11))
    jobs = tuple(make_job(f"j{k}", 1 + k % 3, service_min=60) for k in range(8))
    from routing.model import Problem

    p = Problem(locations=locs, vehicles=vs, jobs=jobs)
    ex = cf.ThreadPoolExecutor(2)  # any Executor works; threads keep this test light
    sol = solve_partitioned(
        p, SolveParams(time_limit_s=2), executor=ex, labels={"a": "A", "b": "B"}
    )
    ex.shutdown()
    assert validate(p, sol) == []
    assert sol.is_complete()
    assert len(sol.route("b").stops) >= 6  # type: ignore[union-attr]


def test_partitioned_cancel_keeps_best_so_far() -> None:
    """Cancel at the first report of a 60 s national solve: it returns quickly, valid."""
    p = national(n_cities=2, techs=2, jobs=15)
    flag = CancelFlag()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager, cf.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        sol = solve_partitioned(
            p, SolveParams(time_limit_s=60), executor=pool, channel=ManagerChannel(manager),
            n_regions=2, progress=lambda _: flag.cancel(), cancel=flag,
        )  # fmt: skip
    assert sol.status == "CANCELLED" and sol.elapsed_s < 30
    assert validate(p, sol) == []


def test_same_code_on_a_dask_local_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Dask worker processes run the parts through Client.get_executor()."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv(
        "PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    p = national(n_cities=2, techs=2, jobs=10)
    seen: list[Progress] = []
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        sol = solve_partitioned(
            p, SolveParams(time_limit_s=2), executor=client.get_executor(),
            channel=DaskChannel(client, "test-run"), n_regions=2, progress=seen.append,
        )  # fmt: skip
    assert validate(p, sol) == [] and sol.is_complete()
    assert seen


def test_dask_pool_by_scheduler_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """``dask_pool(address)`` connects to a running scheduler and runs the parts there."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv(
        "PYTHONPATH", ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    )
    p = national(n_cities=2, techs=1, jobs=5)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None
        ) as cluster,
        dask_pool(cluster.scheduler_address) as pool,
    ):
        sol = solve_partitioned(
            p, SolveParams(time_limit_s=1), executor=pool.executor,
            channel=pool.channel(), n_regions=2,
        )  # fmt: skip
    assert validate(p, sol) == []


def test_parallelism_read_from_the_executor() -> None:
    """The pool's slot count decides how many waves of parts share the time budget."""
    from routing.partition import parallelism

    with cf.ThreadPoolExecutor(2) as ex:
        assert parallelism(ex) == 2
