"""``solve``: one entry point for the product's days and the benchmarks.

With ``workers`` > 1, a portfolio of differently-configured searches runs in
that many processes (OR-Tools search is single-threaded) and the best answer
wins. The caller's process only forwards progress and cancellation, so both
stay responsive whatever the searches are doing.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
from typing import Any

from routing.matrix import TravelTimes, problem_matrix
from routing.model import Problem, Solution
from routing.params import FirstSolution, SolveParams
from routing.progress import CancelToken, EventToken, Progress, ProgressCallback

HOT_LOOP = (("hot", 4.0), ("cold", 0.04))
"""Every second worker anneals four times hotter: the pair explores differently."""


def portfolio(params: SolveParams) -> list[Any]:
    """The search configurations, one per worker, rotated by ``params.seed``.

    Every worker runs the ruin-and-recreate loop (``routing.search``) around
    OR-Tools' local search, each with its own random stream and start: the
    first from ``params.strategy`` (by default our priority-ordered insertion,
    ``routing.construct``), the second from OR-Tools' PARALLEL_CHEAPEST_INSERTION
    and a descent, further ones from other OR-Tools starts.
    """
    from routing.ortools_model import SearchConfig

    others = [
        SearchConfig(
            strategy=FirstSolution.PARALLEL_CHEAPEST_INSERTION,
            gls_lambda=params.gls_lambda,
        ),
        SearchConfig(
            strategy=FirstSolution.PATH_CHEAPEST_ARC, gls_lambda=params.gls_lambda
        ),
        SearchConfig(
            strategy=FirstSolution.LOCAL_CHEAPEST_INSERTION,
            gls_lambda=params.gls_lambda * 2,
        ),
        SearchConfig(strategy=FirstSolution.SAVINGS, gls_lambda=params.gls_lambda / 2),
    ]
    first = SearchConfig(strategy=params.strategy, gls_lambda=params.gls_lambda)
    rest = [c for c in others if c != first]
    k = params.seed % len(rest)
    rest = rest[k:] + rest[:k]
    configs = [first, *rest][: params.workers]
    while len(configs) < params.workers:  # more workers than configs: vary lambda
        c = configs[len(configs) % 4]
        configs.append(SearchConfig(strategy=c.strategy, gls_lambda=c.gls_lambda * 1.5))
    return [
        SearchConfig(
            strategy=c.strategy,
            gls_lambda=c.gls_lambda,
            name=f"w{i}:{c.strategy.value}",
            ruin_recreate=c.ruin_recreate,
            seed=i,
            loop=c.loop or (HOT_LOOP if i % 2 else ()),
        )
        for i, c in enumerate(configs)
    ]


def _key(s: Solution) -> tuple[float, float]:
    """Better = fewer dropped priority units, then lower cost."""
    return (s.objective.penalty, s.objective.cost)


def _initial_routes(
    problem: Problem, initial: Solution | None
) -> list[list[str]] | None:
    if initial is None:
        return None
    by_vehicle = {r.vehicle_id: list(r.job_ids) for r in initial.routes}
    return [by_vehicle.get(v.id, []) for v in problem.vehicles]


def _child(
    problem: Problem,
    params: SolveParams,
    config: Any,
    deadline: float,
    initial: list[list[str]] | None,
    out: Any,
    stop: Any,
) -> None:
    """Body of a portfolio process: run one search, stream progress, send the answer."""
    from routing.ortools_model import run

    try:
        assert problem.matrix is not None
        sol = run(
            problem,
            problem.matrix,
            params,
            config,
            deadline=deadline,
            progress=lambda p: out.put(("progress", p)),
            cancel=EventToken(stop),
            initial=initial,
        )
        out.put(("result", config.name, sol))
    except BaseException as exc:  # report, the parent decides
        out.put(("error", config.name, f"{type(exc).__name__}: {exc}"))


_CTX: Any = None


def _context() -> Any:
    """A forkserver context that preloads OR-Tools, so each search starts in milliseconds."""
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(["routing.ortools_model"])
    return _CTX


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    initial: Solution | None = None,
    travel: TravelTimes | None = None,
) -> Solution:
    """Plan the problem's routes.

    Parameters
    ----------
    problem
        The day. Without ``problem.matrix``, travel comes from ``travel``
        (default :class:`routing.matrix.HaversineTravel`).
    params
        Time limit, number of worker processes, strategy.
    progress
        Called in the caller's thread with each better solution of any worker.
    cancel
        Polled during the search; when set, every worker stops and the best
        solution so far is returned (status ``CANCELLED``).
    initial
        Current routes to start from (re-planning). Constraints, including
        pins, apply to the result; with ``time_limit_s == 0`` they are
        returned as read.
    """
    params = params or SolveParams()
    t0 = time.monotonic()
    deadline = t0 + params.time_limit_s
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    problem = problem.replace(matrix=matrix)
    routes = _initial_routes(problem, initial)
    configs = portfolio(params)
    if params.workers == 1 or mp.current_process().daemon or not problem.jobs:
        from routing.ortools_model import run

        return run(
            problem, matrix, params, configs[0],
            deadline=deadline, progress=progress, cancel=cancel, initial=routes,
        )  # fmt: skip

    ctx = _context()
    out = ctx.Queue()
    stop = ctx.Event()
    procs = [
        ctx.Process(
            target=_child,
            args=(problem, params, c, deadline, routes, out, stop),
            name=f"tournee-solve-{c.name}",
            daemon=True,
        )
        for c in configs
    ]
    for p in procs:
        p.start()
    results: list[Solution] = []
    names: list[str] = []
    errors: list[str] = []
    best_objective = float("inf")
    try:
        while len(results) + len(errors) < len(procs):
            if cancel is not None and cancel.is_cancelled():
                stop.set()
                if results:  # cancelled: the first answer will do
                    break
            if time.monotonic() > deadline + 30 and not any(
                p.is_alive() for p in procs
            ):
                break
            try:
                msg = out.get(timeout=0.05)
            except queue_mod.Empty:
                if not any(p.is_alive() for p in procs) and out.empty():
                    break
                continue
            if msg[0] == "progress":
                pr: Progress = msg[1]
                if progress is not None and pr.objective < best_objective:
                    best_objective = pr.objective
                    progress(
                        Progress(
                            elapsed_s=time.monotonic() - t0,
                            objective=pr.objective,
                            jobs_placed=pr.jobs_placed,
                            jobs_total=pr.jobs_total,
                            source=pr.source,
                        )
                    )
            elif msg[0] == "result":
                names.append(msg[1])
                results.append(msg[2])
            else:
                errors.append(f"{msg[1]}: {msg[2]}")
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    if not results:
        raise RuntimeError(f"every search failed: {errors or 'no answer'}")
    best = min(results, key=_key)
    details = dict(best.details)
    details["portfolio"] = ", ".join(
        f"{n}={r.objective.cost:.3f}/{r.objective.penalty:.0f}"
        for n, r in zip(names, results, strict=True)
    )
    if errors:
        details["errors"] = "; ".join(errors)
    return Solution(
        routes=best.routes,
        unassigned=best.unassigned,
        objective=best.objective,
        status=best.status,
        elapsed_s=round(time.monotonic() - t0, 3),
        details=details,
    )
