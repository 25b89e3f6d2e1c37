"""Run the regional parts on the caller's executor, rebalance once, merge, repair across borders."""

from __future__ import annotations

import concurrent.futures as cf
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from routing.matrix import TravelTimes, problem_matrix
from routing.model import Problem, Solution
from routing.params import SolveParams
from routing.partition.channels import Channel, PartToken
from routing.partition.clustering import cluster_vehicles
from routing.partition.executors import parallelism
from routing.partition.parts import Part, forget, make_part, merge, offers, split
from routing.partition.polish import PolishStats, polish
from routing.partition.repair import RepairStats, repair
from routing.progress import CancelToken, Progress, ProgressCallback

Task = tuple[Part, SolveParams, Solution | None]
REPAIR_SHARE = 0.4
"""Default share of the budget for the cross-border repair after the regional rounds."""
POLISH_SHARE = 1 / 6
"""Share of the budget for the polish at the real rates (``routing.partition.polish``)
when the search weights working time; the other shares divide the rest."""


def solve_part(
    part: Part,
    params: SolveParams,
    channel: Channel | None,
    initial: Solution | None = None,
) -> Solution:
    """Task body, run in a pool process or on a Dask worker: one region, one search process."""
    from routing.solve import solve

    def report(p: Progress) -> None:
        if channel is not None:
            channel.put(part.name, p)

    return solve(
        part.problem,
        replace(params, workers=1),
        progress=report if channel is not None else None,
        cancel=PartToken(channel) if channel is not None else None,
        initial=initial,
    )


def solve_partitioned(
    problem: Problem,
    params: SolveParams | None = None,
    *,
    executor: cf.Executor,
    channel: Channel | None = None,
    n_regions: int | None = None,
    labels: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    travel: TravelTimes | None = None,
    rebalance_share: float = 0.2,
    repair_share: float = REPAIR_SHARE,
    polish_share: float = POLISH_SHARE,
    initial: Solution | None = None,
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
        Where the parts run, opened by the caller (e.g.
        :func:`routing.partition.local_pool` or
        :func:`routing.partition.dask_pool`, or any ``Executor``).
    channel
        Live progress and cancel across processes, matching the executor
        (``Pool.channel()``); without one, progress is reported as parts
        finish and cancel takes effect between rounds.
    n_regions, labels
        Number of k-means regions over vehicle starts, or a region label per
        vehicle id. Default: about one region per ``JOBS_PER_PART`` jobs.
    progress
        Called in the caller's thread with the sum over the parts.
    cancel
        Stops every part (each keeps its best so far) and skips rebalancing.
    rebalance_share, repair_share
        Shares of the budget for the second round (left-out jobs offered to the
        next region, whole regions re-solved) and for the cross-border repair
        (``routing.partition.repair``: small neighbourhoods of the nearest
        vehicles of any region around each job still left out), which runs to
        the end of the budget.
    polish_share
        With ``params.time_weight`` other than 1: share of the budget, at the
        end, for re-solving neighbourhoods of rounds at the real rates
        (``routing.partition.polish``: never fewer visits, fewer km); the
        shares above then divide the rest.
    initial
        Current routes (a re-plan): each part starts from its vehicles' rounds.
    """
    params = params or SolveParams()
    t0 = time.monotonic()
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    problem = problem.replace(matrix=matrix)
    regions = cluster_vehicles(problem, n_regions, labels=labels, seed=params.seed)
    parts, ranked = split(problem, regions, matrix, initial)
    several = len(parts) > 1
    slots = parallelism(executor)
    if not several or params.time_weight == 1.0:
        polish_share = 0.0
    placing = params.time_limit_s * (1 - polish_share)
    deadline = t0 + placing
    if not several:
        rebalance_share = repair_share = 0.0
    budget = placing * (1 - rebalance_share - repair_share)
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

    firsts = watcher.run(executor, [(parts[q], share(q), initial) for q in order])
    results = [firsts[order.index(q)] for q in range(len(parts))]

    if several and not watcher.cancelled and rebalance_share > 0:
        remaining = deadline - placing * repair_share - time.monotonic()
        offered = offers(problem, results, ranked)
        if offered and remaining > 0.2:
            waves = math.ceil(len(offered) / slots)
            second = replace(params, time_limit_s=remaining * 0.9 / waves)
            moved = {jid for extra in offered.values() for jid in extra}
            tasks: list[Task] = []
            redone = sorted(offered)
            for q in redone:
                keep = [j.id for j in parts[q].problem.jobs if j.id not in moved]
                grown = make_part(
                    problem, matrix, parts[q].name, regions[q], keep + offered[q]
                )
                tasks.append((grown, second, results[q]))
            redo = watcher.run(executor, tasks)
            for q, (grown, _, _), sol in zip(redone, tasks, redo, strict=True):
                parts[q], results[q] = grown, sol
            # an offered job now lives in its new region only: forget it elsewhere
            for q in range(len(parts)):
                if q not in offered:
                    results[q] = forget(results[q], moved)
    sol = merge(
        problem, matrix, parts, results, time.monotonic() - t0, watcher.cancelled
    )
    phases: list[
        tuple[str, Callable[..., tuple[Solution, RepairStats | PolishStats]], float]
    ] = []
    if several and repair_share > 0:
        phases.append(("repair", repair, deadline))
    if polish_share > 0:
        phases.append(("polish", polish, t0 + params.time_limit_s))
    for name, phase, until in phases:
        if watcher.cancelled:
            break
        before = sol
        sol, stats = phase(
            problem,
            sol,
            params,
            submit=lambda part, sp, init: executor.submit(
                solve_part, part, sp, watcher.channel, init
            ),
            slots=slots,
            deadline=until,
            cancelled=watcher.poll,
            on_better=watcher.day,
        )
        # a spliced answer carries a sub-problem's details: the day's are kept
        sol = replace(
            sol,
            elapsed_s=round(time.monotonic() - t0, 3),
            status="CANCELLED" if watcher.cancelled else before.status,
            details={**before.details, name: stats.text()},
        )
    return sol


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
        self._polled = 0.0
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

    def day(self, sol: Solution) -> None:
        """The whole day as it stands (after a merge or a repair) replaces the parts' figures."""
        self.best = {
            "day": Progress(
                elapsed_s=time.monotonic() - self.t0,
                objective=sol.objective.cost,
                jobs_placed=sol.objective.jobs_placed,
                jobs_total=sol.objective.jobs_total,
            )
        }
        self._report()

    def _check(self) -> None:
        if (
            not self.cancelled
            and self.cancel is not None
            and self.cancel.is_cancelled()
        ):
            self.cancelled = True
            if self.channel is not None:
                self.channel.cancel()

    def poll(self) -> bool:
        """Whether the caller cancelled, for sub-solves submitted outside :meth:`run`.

        Their progress is not the day's: it is drained and dropped, at most ten times a second."""
        now = time.monotonic()
        if now - self._polled >= 0.1:
            self._polled = now
            self._check()
            if self.channel is not None:
                self.channel.drain()
        return self.cancelled

    def run(self, executor: cf.Executor, tasks: Sequence[Task]) -> list[Solution]:
        """Run the tasks, forwarding their progress as the parts' figures."""
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
            self._check()
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
