"""Executors for the partitioned solve, chosen and opened by the caller.

``solve_partitioned`` never creates a pool: its caller opens one of these
(or any ``concurrent.futures.Executor`` of its own) and passes it in, with the
matching progress channel. Each yields a :class:`Pool`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from routing.partition.channels import Channel, DaskChannel, ManagerChannel


@dataclass(frozen=True, slots=True)
class Pool:
    """An executor and a factory of progress channels that reach its workers."""

    executor: cf.Executor
    channel: Callable[[], Channel]


@contextmanager
def local_pool(max_workers: int | None = None) -> Iterator[Pool]:
    """A spawn process pool on this machine, with a ``Manager`` channel."""
    ctx = mp.get_context("spawn")
    with (
        ctx.Manager() as manager,
        cf.ProcessPoolExecutor(
            max_workers=max_workers or os.cpu_count(), mp_context=ctx
        ) as pool,
    ):
        yield Pool(pool, lambda: ManagerChannel(manager))


@contextmanager
def dask_pool(address: str) -> Iterator[Pool]:
    """A Dask cluster's executor (``Client(address).get_executor()``), with a Dask channel."""
    import distributed

    client_cls: Any = distributed.Client
    with client_cls(address) as client:
        yield Pool(
            client.get_executor(),
            lambda: DaskChannel(client, f"tournee-{os.getpid()}-{time.time_ns()}"),
        )


def parallelism(executor: cf.Executor) -> int:
    """How many parts the executor runs at once (so the parts share the time budget)."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    client: Any = getattr(executor, "_client", None)  # distributed ClientExecutor
    if client is not None:
        try:
            return max(1, int(sum(client.nthreads().values())))
        except Exception:  # scheduler unreachable: fall through
            pass
    return os.cpu_count() or 1
