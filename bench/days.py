"""The product's days on the national demo: Tournée against VROOM and the greedy baseline.

The national technician day and the courier day (pickup-and-delivery pairs,
van capacities) are built from the demo database by the planner's own
builders and solved three ways on the same matrix, skills, windows, breaks
and priorities. Each answer is checked by ``routing.validate``. Figures:
visits placed, priority-weighted service (share of the jobs' priority scores
that is served), km, wall time, violations and the share of route pairs whose
areas overlap.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from bench.baselines import greedy, vroom_solve
from bench.overlap import overlap_share
from dispatch.planning.saved import served_pct
from routing.matrix import problem_matrix
from routing.model import Solution
from routing.validate import validate

DAY = date(2026, 11, 24)


def ensure_demo(path: Path) -> str:
    """The demo database's URL, built once in ``path`` (about two minutes), migrated to head."""
    url = f"sqlite:///{path}"
    if path.exists():  # bring an older demo file to the current schema
        subprocess.run([sys.executable, "-m", "dispatch.cli.main", "migrate"],
                       env={**os.environ, "DATABASE_URL": url}, check=True)  # fmt: skip
    else:
        print(f"building the national demo in {path} ...", flush=True)
        subprocess.run([sys.executable, "-m", "dispatch.cli.main", "demo", "--scale", "national",
                        "--date", DAY.isoformat(), "--no-morning"], env={**os.environ, "DATABASE_URL": url},
                       check=True)  # fmt: skip
    return url


def _row(name: str, dp: Any, sol: Solution, wall: float) -> list[str]:
    scores = {ref: m.score for ref, m in dp.jobs.items()}
    placed = {s.job_id for r in sol.routes for s in r.stops}
    served = served_pct(sum(scores[j] for j in placed), sum(scores.values()), 2)
    km = sum(r.distance_m for r in sol.routes) / 1000
    return [name, f"{wall:.1f}", f"{len(placed)}/{len(dp.jobs)}", f"{served:.2f}", f"{km:,.0f}",
            str(len(sol.routes)), str(len(validate(dp.problem, sol))),
            f"{100 * overlap_share(dp.problem, sol):.1f}"]  # fmt: skip


WIDTHS = (44, 7, 10, 18, 9, 7, 11, 9)


def _print(row: list[str]) -> None:
    print("  ".join(c.ljust(w) for c, w in zip(row, WIDTHS, strict=True)), flush=True)


def run_day(url: str, kind: str, seconds: float) -> None:
    """One kind of day: a table row per method, printed as soon as it is solved."""
    from data.db import sessions
    from dispatch.planning.solving import build_day, solve_day

    with sessions(url)() as s:
        dp = build_day(s, kind, DAY)
    matrix = problem_matrix(dp.problem.locations, None)
    dp = replace(dp, problem=dp.problem.replace(matrix=matrix))
    print(f"\n## {kind} day {DAY}: {len(dp.problem.jobs)} jobs, "
          f"{len(dp.problem.vehicles)} vehicles", flush=True)  # fmt: skip
    _print(["method", "wall s", "placed", "priority served %", "km", "routes",
            "violations", "overlap %"])  # fmt: skip
    _print(["-" * w for w in WIDTHS])
    top = max(m.score for m in dp.jobs.values())
    prio = {
        ref: max(0, min(100, round(100 * m.score / top))) for ref, m in dp.jobs.items()
    }
    solvers: list[tuple[str, Callable[[], Solution]]] = [
        (f"Tournée ({seconds:.0f} s budget)", lambda: solve_day(dp, seconds)),
        (
            "greedy (priority order, cheapest insertion)",
            lambda: greedy(dp.problem, matrix),
        ),
        (
            "VROOM (exploration 5, 2 threads)",
            lambda: vroom_solve(dp.problem, matrix, prio),
        ),
    ]
    for name, solver in solvers:
        t0 = time.monotonic()
        sol = solver()
        _print(_row(name, dp, sol, time.monotonic() - t0))


def run_days(
    db: Path, seconds: float, kinds: tuple[str, ...] = ("technicians", "couriers")
) -> None:
    """Print one table per kind of day."""
    url = ensure_demo(db)
    for kind in kinds:
        run_day(url, kind, seconds)
