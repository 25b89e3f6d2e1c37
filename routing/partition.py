"""The national day: split into regional problems, solve in parallel, merge, rebalance.

Vehicles are clustered by their start (home or depot), by k-means or by a given
region label; each job goes to the nearest cluster able to serve it. The parts
are solved through any ``concurrent.futures.Executor`` (a local spawn process
pool by default, a Dask cluster's ``Client.get_executor()`` when
``TOURNEE_DASK_SCHEDULER`` is set). A second round re-offers the jobs left out
in one region to the neighbouring region, starting from its first-round routes.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from routing.matrix import Matrix, TravelTimes, problem_matrix
from routing.model import Objective, Problem, Route, Solution, Stop, UnassignedReason
from routing.params import SolveParams
from routing.progress import CancelToken, Progress, ProgressCallback
from routing.reasons import explain, fits_capacity

DASK_ENV = "TOURNEE_DASK_SCHEDULER"
JOBS_PER_PART = 150
"""Default region size: OR-Tools' local search stays effective at this size."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One region: its sub-problem and, per local job id, the job's national id (same ids)."""

    name: str
    problem: Problem
    location_index: tuple[int, ...]
    """National location index of each local location."""


# --- clustering -------------------------------------------------------------------


def kmeans(
    points: np.ndarray, k: int, *, seed: int = 0, iterations: int = 50
) -> np.ndarray:
    """Cluster label per point (deterministic k-means++ then Lloyd's iterations)."""
    n = len(points)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = d2.sum()
        centres.append(
            points[rng.choice(n, p=d2 / total)]
            if total > 0
            else points[rng.integers(n)]
        )
    c = np.array(centres)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        new = ((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        if (new == labels).all() and _ > 0:
            break
        labels = new
        for q in range(k):
            if (labels == q).any():
                c[q] = points[labels == q].mean(axis=0)
    # renumber by first appearance so labels are stable and contiguous
    order = {lab: i for i, lab in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[lab] for lab in labels.tolist()], dtype=np.int64)


def _plane(locations: tuple[tuple[float, float], ...], index: list[int]) -> np.ndarray:
    """(lat, lon) to a local plane in km, good enough to cluster a country."""
    pts = np.asarray([locations[i] for i in index], dtype=np.float64).reshape(-1, 2)
    lat0 = math.radians(float(pts[:, 0].mean())) if len(pts) else 0.0
    return np.column_stack([pts[:, 0] * 111.2, pts[:, 1] * 111.2 * math.cos(lat0)])


def cluster_vehicles(
    problem: Problem,
    n_regions: int | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """Vehicle numbers per region: by ``labels`` (vehicle id -> region) or k-means on starts."""
    if labels is not None:
        groups: dict[str, list[int]] = {}
        for k, v in enumerate(problem.vehicles):
            groups.setdefault(labels[v.id], []).append(k)
        return [groups[g] for g in sorted(groups)]
    if n_regions is None:
        n_regions = max(1, math.ceil(len(problem.jobs) / JOBS_PER_PART))
    n_regions = max(1, min(n_regions, len(problem.vehicles)))
    lab = kmeans(
        _plane(problem.locations, [v.start for v in problem.vehicles]),
        n_regions,
        seed=seed,
    )
    return [np.flatnonzero(lab == q).tolist() for q in range(int(lab.max()) + 1)]


def _ranked_regions(
    problem: Problem, regions: list[list[int]], matrix: Matrix
) -> dict[str, list[int]]:
    """Per job: regions able to serve it (skills, pin, capacity), nearest first."""
    d = matrix.durations_s
    out: dict[str, list[int]] = {}
    for j in problem.jobs:
        scored = []
        for q, members in enumerate(regions):
            able = [
                problem.vehicles[k]
                for k in members
                if j.skills <= problem.vehicles[k].skills
                and (
                    j.pinned_vehicle is None
                    or problem.vehicles[k].id == j.pinned_vehicle
                )
                and fits_capacity(problem.vehicles[k], j)
            ]
            if able:
                scored.append((min(int(d[v.start, j.location]) for v in able), q))
        out[j.id] = [q for _, q in sorted(scored)] or [
            min(
                range(len(regions)),
                key=lambda q: min(
                    int(d[problem.vehicles[k].start, j.location]) for k in regions[q]
                ),
            )
        ]
    # a delivery follows its pickup
    for j in problem.jobs:
        if j.pickup_of is not None:
            out[j.id] = out[j.pickup_of]
    return out


def make_part(
    problem: Problem, matrix: Matrix, name: str, vehicles: list[int], job_ids: list[str]
) -> Part:
    """The sub-problem of these vehicles and jobs, on its own small matrix."""
    wanted = set(job_ids)
    jobs = [j for j in problem.jobs if j.id in wanted]
    vs = [problem.vehicles[k] for k in vehicles]
    locs = sorted(
        {v.start for v in vs} | {v.end for v in vs} | {j.location for j in jobs}
    )
    local = {g: i for i, g in enumerate(locs)}
    ids = {v.id for v in vs}
    sub = Problem(
        locations=tuple(problem.locations[g] for g in locs),
        vehicles=tuple(replace(v, start=local[v.start], end=local[v.end]) for v in vs),
        jobs=tuple(
            replace(
                j,
                location=local[j.location],
                pinned_vehicle=j.pinned_vehicle if j.pinned_vehicle in ids else None,
                pickup_of=j.pickup_of if j.pickup_of in wanted else None,
            )
            for j in jobs
        ),
        matrix=matrix.take(locs),
        name=f"{problem.name}/{name}" if problem.name else name,
    )
    return Part(name=name, problem=sub, location_index=tuple(locs))


def split(
    problem: Problem,
    regions: list[list[int]],
    matrix: Matrix,
) -> tuple[list[Part], dict[str, list[int]]]:
    """Regional parts (each job in its nearest able region) and each job's ranked regions."""
    ranked = _ranked_regions(problem, regions, matrix)
    members: list[list[str]] = [[] for _ in regions]
    for j in problem.jobs:
        members[ranked[j.id][0]].append(j.id)
    parts = [
        make_part(problem, matrix, f"region-{q}", regions[q], members[q])
        for q in range(len(regions))
    ]
    return parts, ranked


# --- progress and cancel across processes -----------------------------------------


class Channel:
    """Carries parts' progress to the parent and the parent's cancel to the parts.

    Implementations must pickle; ``put``/``cancelled`` run in the part's process,
    ``drain``/``cancel`` in the parent's.
    """

    def put(self, part: str, p: Progress) -> None: ...
    def cancelled(self) -> bool:
        return False

    def drain(self) -> list[tuple[str, Progress]]:
        return []

    def cancel(self) -> None: ...
    def close(self) -> None: ...


class ManagerChannel(Channel):
    """Through a ``multiprocessing.Manager`` queue and event (local process pools)."""

    def __init__(self, manager: Any) -> None:
        self._q = manager.Queue()
        self._e = manager.Event()

    def put(self, part: str, p: Progress) -> None:
        self._q.put((part, p))

    def cancelled(self) -> bool:
        return bool(self._e.is_set())

    def drain(self) -> list[tuple[str, Progress]]:
        out = []
        while not self._q.empty():
            out.append(self._q.get_nowait())
        return out

    def cancel(self) -> None:
        self._e.set()


class DaskChannel(Channel):
    """Through a named ``distributed.Queue`` and ``distributed.Event`` (any Dask cluster)."""

    def __init__(self, client: Any, name: str) -> None:
        import distributed

        self._name = name
        self._q: Any = distributed.Queue(f"{name}-progress", client=client)
        self._e: Any = distributed.Event(f"{name}-cancel", client=client)

    def __getstate__(self) -> dict[str, str]:
        return {"name": self._name}

    def __setstate__(self, state: dict[str, str]) -> None:
        self._name = state["name"]
        self._q = self._e = None

    def _worker_side(self) -> None:
        if self._q is None:
            import distributed

            self._q = distributed.Queue(f"{self._name}-progress")
            self._e = distributed.Event(f"{self._name}-cancel")

    def put(self, part: str, p: Progress) -> None:
        self._worker_side()
        self._q.put([part, p.elapsed_s, p.objective, p.jobs_placed, p.jobs_total])

    def cancelled(self) -> bool:
        self._worker_side()
        return bool(self._e.is_set())

    def drain(self) -> list[tuple[str, Progress]]:
        n = self._q.qsize()
        items = self._q.get(batch=n) if n else []
        return [
            (
                it[0],
                Progress(
                    elapsed_s=it[1],
                    objective=it[2],
                    jobs_placed=it[3],
                    jobs_total=it[4],
                ),
            )
            for it in items
        ]

    def cancel(self) -> None:
        self._e.set()


class _PartToken:
    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._last = 0.0
        self._state = False

    def is_cancelled(self) -> bool:
        # The channel may be a network round trip: ask at most 5 times a second.
        now = time.monotonic()
        if not self._state and now - self._last > 0.2:
            self._last = now
            self._state = self._channel.cancelled()
        return self._state


def solve_part(
    part: Part,
    params: SolveParams,
    channel: Channel | None,
    initial: Solution | None = None,
) -> Solution:
    """Task body, run in a pool process or on a Dask worker: one region, one search process."""
    from routing.solve import solve

    return solve(
        part.problem,
        replace(params, workers=1),
        progress=(lambda p: channel.put(part.name, p)) if channel is not None else None,
        cancel=_PartToken(channel) if channel is not None else None,
        initial=initial,
    )


# --- orchestration ----------------------------------------------------------------


@contextmanager
def default_executor(
    max_workers: int | None = None,
) -> Iterator[tuple[cf.Executor, Callable[[], Channel]]]:
    """The executor to use and a channel factory: Dask if ``TOURNEE_DASK_SCHEDULER`` is set."""
    address = os.environ.get(DASK_ENV)
    if address:
        import distributed

        with distributed.Client(address) as client:
            yield (
                client.get_executor(),
                lambda: DaskChannel(client, f"tournee-{os.getpid()}-{time.time_ns()}"),
            )
        return
    ctx = mp.get_context("spawn")
    with (
        ctx.Manager() as manager,
        cf.ProcessPoolExecutor(
            max_workers=max_workers or os.cpu_count(), mp_context=ctx
        ) as pool,
    ):
        yield pool, lambda: ManagerChannel(manager)


def solve_partitioned(
    problem: Problem,
    params: SolveParams | None = None,
    *,
    executor: cf.Executor | None = None,
    channel: Channel | None = None,
    n_regions: int | None = None,
    labels: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    travel: TravelTimes | None = None,
    rebalance_share: float = 0.25,
) -> Solution:
    """Solve a national day region by region.

    Parameters
    ----------
    problem
        The whole day.
    params
        ``time_limit_s`` is the wall-clock budget of the whole call: round 1
        gets ``1 - rebalance_share`` of it, the rebalancing round the rest.
        Each part runs one search process (``workers`` is ignored).
    executor
        Where the parts run; default :func:`default_executor`. With a
        caller-supplied executor, pass a matching ``channel`` for live progress
        and cancel (:class:`ManagerChannel` for local pools, :class:`DaskChannel`
        for Dask); without one, progress is reported as parts finish.
    n_regions, labels
        Number of k-means regions over vehicle starts, or a region label per
        vehicle id. Default: about one region per ``JOBS_PER_PART`` jobs.
    progress
        Called in the caller's thread with the sum over the parts.
    cancel
        Stops every part (each keeps its best so far) and skips rebalancing.
    """
    params = params or SolveParams()
    if executor is None:
        with default_executor() as (ex, make_channel):
            return solve_partitioned(
                problem, params, executor=ex, channel=make_channel(), n_regions=n_regions,
                labels=labels, progress=progress, cancel=cancel, travel=travel,
                rebalance_share=rebalance_share,
            )  # fmt: skip
    t0 = time.monotonic()
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    problem = problem.replace(matrix=matrix)
    regions = cluster_vehicles(problem, n_regions, labels=labels, seed=params.seed)
    parts, ranked = split(problem, regions, matrix)
    several = len(parts) > 1
    slots = parallelism(executor)
    budget = params.time_limit_s * (1 - rebalance_share if several else 1.0)
    watcher = _Watcher(progress, cancel, channel, t0, len(problem.jobs))
    # The slots' time is shared in proportion to each part's jobs, and the largest
    # parts start first (longest-processing-time order), so a region of 200 visits
    # is not given the same few seconds as a region of 15.
    n_jobs = max(1, sum(len(p.problem.jobs) for p in parts))
    order = sorted(range(len(parts)), key=lambda q: -len(parts[q].problem.jobs))

    def share(q: int) -> SolveParams:
        if len(parts) <= slots:
            return replace(params, time_limit_s=budget)
        t = budget * slots * 0.95 * len(parts[q].problem.jobs) / n_jobs
        return replace(params, time_limit_s=min(budget, max(1.0, t)))

    firsts = watcher.run(executor, [(parts[q], share(q), None) for q in order])
    results = [firsts[order.index(q)] for q in range(len(parts))]

    if several and not watcher.cancelled and rebalance_share > 0:
        remaining = params.time_limit_s - (time.monotonic() - t0)
        offers = _offers(problem, parts, results, ranked)
        if offers and remaining > 0.2:
            waves = math.ceil(len(offers) / slots)
            second = replace(params, time_limit_s=remaining * 0.9 / waves)
            moved = {jid for extra in offers.values() for jid in extra}
            tasks, redone = [], sorted(offers)
            for q in redone:
                keep = [j.id for j in parts[q].problem.jobs if j.id not in moved]
                grown = make_part(
                    problem, matrix, parts[q].name, regions[q], keep + offers[q]
                )
                tasks.append((grown, second, results[q]))
            redo = watcher.run(executor, tasks)
            for q, (grown, _, _), sol in zip(redone, tasks, redo, strict=True):
                parts[q], results[q] = grown, sol
            # an offered job now lives in its new region only: forget it elsewhere
            for q in range(len(parts)):
                if q not in offers:
                    results[q] = _forget(results[q], moved)
    return merge(
        problem, matrix, parts, results, time.monotonic() - t0, watcher.cancelled
    )


def _offers(
    problem: Problem,
    parts: list[Part],
    results: list[Solution],
    ranked: dict[str, list[int]],
) -> dict[int, list[str]]:
    """Jobs dropped for lack of room, offered to their next-nearest able region."""
    offers: dict[int, list[str]] = {}
    for q, sol in enumerate(results):
        for u in sol.unassigned:
            if (
                u.reason is not UnassignedReason.NO_ROOM
                and u.reason is not UnassignedReason.NO_SHIFT_REACHES_WINDOW
            ):
                continue
            options = [r for r in ranked[u.job_id] if r != q]
            if options:
                offers.setdefault(options[0], []).append(u.job_id)
    by_id = {j.id: j for j in problem.jobs}
    for ids in offers.values():  # pairs travel together
        s = set(ids)
        for jid in list(ids):
            j = by_id[jid]
            if j.pickup_of is not None and j.pickup_of not in s:
                ids.append(j.pickup_of)
                s.add(j.pickup_of)
    return offers


def _forget(sol: Solution, moved: set[str]) -> Solution:
    return replace(
        sol, unassigned=tuple(u for u in sol.unassigned if u.job_id not in moved)
    )


def parallelism(executor: cf.Executor) -> int:
    """How many parts the executor runs at once (so the parts share the time budget)."""
    n = getattr(executor, "_max_workers", None)
    if isinstance(n, int) and n > 0:
        return n
    client = getattr(executor, "_client", None)  # distributed.client.ClientExecutor
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # scheduler unreachable: fall through
            pass
    return os.cpu_count() or 1


class _Watcher:
    """Runs part tasks on an executor while forwarding progress and cancel."""

    def __init__(
        self,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        channel: Channel | None,
        t0: float,
        total: int,
    ) -> None:
        self.progress, self.cancel, self.channel = progress, cancel, channel
        self.t0, self.total = t0, total
        self.cancelled = False
        self.best: dict[str, Progress] = {}

    def _report(self) -> None:
        if self.progress is not None and self.best:
            self.progress(
                Progress(
                    elapsed_s=time.monotonic() - self.t0,
                    objective=sum(p.objective for p in self.best.values()),
                    jobs_placed=sum(p.jobs_placed for p in self.best.values()),
                    jobs_total=self.total,
                    source=f"{len(self.best)} parts",
                )
            )

    def run(
        self,
        executor: cf.Executor,
        tasks: list[tuple[Part, SolveParams, Solution | None]],
    ) -> list[Solution]:
        futures = [
            executor.submit(solve_part, p, params, self.channel, init)
            for p, params, init in tasks
        ]
        names = {f: p.name for f, (p, _, _) in zip(futures, tasks, strict=True)}
        pending = set(futures)
        while pending:
            done, pending = cf.wait(
                pending, timeout=0.1, return_when=cf.FIRST_COMPLETED
            )
            if (
                not self.cancelled
                and self.cancel is not None
                and self.cancel.is_cancelled()
            ):
                self.cancelled = True
                if self.channel is not None:
                    self.channel.cancel()
            changed = False
            if self.channel is not None:
                for name, p in self.channel.drain():
                    self.best[name] = p
                    changed = True
            for f in done:
                s = f.result()
                self.best[names[f]] = Progress(
                    elapsed_s=s.elapsed_s,
                    objective=s.objective.cost,
                    jobs_placed=s.objective.jobs_placed,
                    jobs_total=s.objective.jobs_total,
                )
                changed = True
            if changed:
                self._report()
        return [f.result() for f in futures]


def merge(
    problem: Problem,
    matrix: Matrix,
    parts: list[Part],
    results: list[Solution],
    elapsed_s: float,
    cancelled: bool = False,
) -> Solution:
    """One national Solution from the parts' (routes keep their times; ids are national)."""
    routes: list[Route] = []
    for sol in results:
        routes.extend(
            Route(
                vehicle_id=r.vehicle_id,
                stops=tuple(
                    Stop(
                        job_id=s.job_id,
                        arrival_s=s.arrival_s,
                        start_s=s.start_s,
                        departure_s=s.departure_s,
                    )
                    for s in r.stops
                ),
                start_s=r.start_s,
                end_s=r.end_s,
                distance_m=r.distance_m,
                duration_s=r.duration_s,
                break_starts_s=r.break_starts_s,
            )
            for r in sol.routes
        )
    placed = {s.job_id for r in routes for s in r.stops}
    dropped = [j.id for j in problem.jobs if j.id not in placed]
    part_reason = {u.job_id: u for sol in results for u in sol.unassigned}
    unassigned = list(explain(problem, matrix, dropped, only=dropped))
    # keep the part's detail when the national check agrees it is a matter of room
    unassigned = [
        part_reason[u.job_id]
        if u.reason is UnassignedReason.NO_ROOM
        and u.job_id in part_reason
        and part_reason[u.job_id].reason is UnassignedReason.NO_ROOM
        else u
        for u in unassigned
    ]
    pri = {j.id: j.priority for j in problem.jobs}
    statuses = sorted({s.status for s in results})
    rank = {v.id: k for k, v in enumerate(problem.vehicles)}
    return Solution(
        routes=tuple(sorted(routes, key=lambda r: rank[r.vehicle_id])),
        unassigned=tuple(unassigned),
        objective=Objective(
            cost=round(sum(s.objective.cost for s in results), 3),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            penalty=float(sum(pri[j] for j in dropped)),
            jobs_placed=len(placed),
            jobs_total=len(problem.jobs),
        ),
        status="CANCELLED"
        if cancelled
        else ("SUCCESS" if statuses == ["SUCCESS"] else "/".join(statuses)),
        elapsed_s=round(elapsed_s, 3),
        details={
            "regions": str(len(parts)),
            "jobs per region": ",".join(str(len(p.problem.jobs)) for p in parts),
        },
    )


__all__ = [
    "Channel",
    "DaskChannel",
    "ManagerChannel",
    "Part",
    "cluster_vehicles",
    "default_executor",
    "kmeans",
    "make_part",
    "merge",
    "solve_part",
    "solve_partitioned",
    "split",
]
