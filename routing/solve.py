"""``solve``: one entry point for the product's days and the benchmarks.

With ``workers`` > 1, a portfolio of differently-configured searches runs in
that many processes (OR-Tools search is single-threaded) and the best answer
wins. On problems PyVRP expresses exactly (plain VRPTW: ``routing.hgs.refusal``
says which), PyVRP's iterated local search takes the workers (see
:data:`ORTOOLS_BESIDE_PYVRP`); its answers are read back through the OR-Tools
model and validated before they may win. The caller's process only forwards progress and cancellation, so both
stay responsive whatever the searches are doing.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import time
from dataclasses import replace
from typing import Any

from routing import hgs
from routing.matrix import TravelTimes, problem_matrix
from routing.model import Problem, Solution, travel_cost
from routing.params import FirstSolution, SolveParams
from routing.progress import CancelToken, EventToken, Progress, ProgressCallback

HOT_LOOP = (("hot", 4.0), ("cold", 0.04))
"""Every second worker anneals four times hotter: the pair explores differently."""


ORTOOLS_BESIDE_PYVRP = 0
"""OR-Tools workers kept beside PyVRP's when PyVRP can take the problem (at most
``workers - 1``). Measured on Solomon at 10 s and GH-like 200 at 20 s on 2 cores
(docs/DESIGN.md): two PyVRP seeds beat one PyVRP and one OR-Tools search, whose
answer never won; OR-Tools still answers if every PyVRP search fails."""


def portfolio(params: SolveParams, pyvrp: bool = False) -> list[Any]:
    """One configuration per worker: PyVRP seeds first when ``pyvrp``, then OR-Tools'."""
    ortools = _ortools_portfolio(params)
    if not pyvrp:
        return ortools
    beside = min(ORTOOLS_BESIDE_PYVRP, params.workers - 1)
    seeds = [
        hgs.HgsConfig(name=f"p{i}:pyvrp", seed=params.seed * 7919 + i)
        for i in range(params.workers - beside)
    ]
    return [*seeds, *ortools[:beside]]


def _ortools_portfolio(params: SolveParams) -> list[Any]:
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


def _key(problem: Problem, s: Solution) -> tuple[tuple[int, ...], float]:
    """Better = less dropped priority class by class (highest first), then lower cost.

    Strict like the model's penalties (``routing.model.drop_penalties``): one
    more visit of a higher class beats any number of lower-class ones.
    """
    classes = sorted({j.priority_class for j in problem.jobs}, reverse=True)
    dropped = {u.job_id for u in s.unassigned}
    lost = dict.fromkeys(classes, 0)
    for j in problem.jobs:
        if j.id in dropped:
            lost[j.priority_class] += j.priority
    return (tuple(lost[c] for c in classes), s.objective.cost)


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
        if isinstance(config, hgs.HgsConfig):
            got = hgs.answer(
                problem, problem.matrix, config, deadline=deadline,
                progress=lambda p: out.put(("progress", p)), cancelled=stop.is_set,
            )  # fmt: skip
            if isinstance(got, str):
                out.put(("error", config.name, got))
            else:
                out.put(("result", config.name, got))
            return
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

FORKSERVER_PRELOAD = ("routing.ortools_model", "routing.hgs", "pyvrp")
"""What the searches' forkserver imports once. The forkserver is one per process
and its first user fixes its preload: a process that starts it for other work
must preload these too, or every search process pays the imports (seconds each)."""


def _context() -> Any:
    """A forkserver context that preloads OR-Tools, so each search starts in milliseconds."""
    global _CTX
    if _CTX is None:
        _CTX = mp.get_context("forkserver")
        _CTX.set_forkserver_preload(list(FORKSERVER_PRELOAD))
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
        Time limit, number of worker processes, strategy; ``time_weight``
        multiplies each vehicle's cost per hour in the search (the answer's
        cost is then re-counted at the real rates).
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
    if params.time_weight == 1.0:
        return _solve(problem, params, progress, cancel, initial, travel)
    weighted = problem.replace(
        vehicles=tuple(
            replace(v, cost_per_hour=v.cost_per_hour * params.time_weight)
            for v in problem.vehicles
        )
    )
    sol = _solve(weighted, params, progress, cancel, initial, travel)
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    return replace(
        sol,
        objective=replace(sol.objective, cost=travel_cost(problem, matrix, sol.routes)),
    )


def _solve(
    problem: Problem,
    params: SolveParams | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    initial: Solution | None,
    travel: TravelTimes | None,
) -> Solution:
    """:func:`solve` at the problem's own rates."""
    params = params or SolveParams()
    t0 = time.monotonic()
    deadline = t0 + params.time_limit_s
    matrix = problem_matrix(problem.locations, problem.matrix, travel)
    problem = problem.replace(matrix=matrix)
    routes = _initial_routes(problem, initial)
    why_not = hgs.refusal(problem, matrix, params, initial)
    configs = portfolio(params, pyvrp=why_not is None)
    if params.workers == 1 or mp.current_process().daemon or not problem.jobs:
        from routing.ortools_model import run

        note = f"not used: {why_not}" if why_not is not None and problem.jobs else ""
        if isinstance(configs[0], hgs.HgsConfig):
            got = hgs.answer(
                problem, matrix, configs[0], deadline=deadline, progress=progress,
                cancelled=lambda: cancel is not None and cancel.is_cancelled(),
            )  # fmt: skip
            if not isinstance(got, str):
                return got
            note = got
        sol = run(
            problem, matrix, params, _ortools_portfolio(params)[0],
            deadline=deadline, progress=progress, cancel=cancel, initial=routes,
        )  # fmt: skip
        if note:
            sol = replace(sol, details={**sol.details, "pyvrp": note})
        return sol

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
    if not results and why_not is None and not (cancel and cancel.is_cancelled()):
        # every PyVRP search failed: OR-Tools answers, late rather than never
        from routing.ortools_model import run

        names.append("fallback")
        results.append(run(
            problem, matrix, params, _ortools_portfolio(params)[0],
            deadline=deadline, progress=progress, cancel=cancel, initial=routes,
        ))  # fmt: skip
    if not results:
        raise RuntimeError(f"every search failed: {errors or 'no answer'}")
    best = min(results, key=lambda s: _key(problem, s))
    details = dict(best.details)
    details["portfolio"] = ", ".join(
        f"{n}={r.objective.cost:.3f}/{r.objective.penalty:.0f}"
        for n, r in zip(names, results, strict=True)
    )
    if errors:
        details["errors"] = "; ".join(errors)
    if why_not is not None and problem.jobs:
        details["pyvrp"] = f"not used: {why_not}"
    return Solution(
        routes=best.routes,
        unassigned=best.unassigned,
        objective=best.objective,
        status=best.status,
        elapsed_s=round(time.monotonic() - t0, 3),
        details=details,
    )
