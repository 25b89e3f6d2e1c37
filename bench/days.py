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
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from bench.baselines import greedy, vroom_solve
from bench.overlap import overlap_share
from routing.matrix import problem_matrix
from routing.model import Solution
from routing.validate import validate

DAY = date(2026, 11, 24)


def ensure_demo(path: Path) -> str:
    """The demo database's URL, built once in ``path`` (about two minutes)."""
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"building the national demo in {path} ...", flush=True)
        subprocess.run([sys.executable, "-m", "dispatch.cli.main", "demo", "--scale", "national",
                        "--date", DAY.isoformat()], env={**os.environ, "DATABASE_URL": url},
                       check=True)  # fmt: skip
    return url


def _row(name: str, dp: Any, sol: Solution, wall: float) -> list[str]:
    scores = {ref: m.score for ref, m in dp.jobs.items()}
    placed = {s.job_id for r in sol.routes for s in r.stops}
    served = 100 * sum(scores[j] for j in placed) / max(1e-9, sum(scores.values()))
    km = sum(r.distance_m for r in sol.routes) / 1000
    return [name, f"{wall:.1f}", f"{len(placed)}/{len(dp.jobs)}", f"{served:.2f}", f"{km:,.0f}",
            str(len(sol.routes)), str(len(validate(dp.problem, sol))),
            f"{100 * overlap_share(dp.problem, sol):.1f}"]  # fmt: skip


def run_days(
    db: Path, seconds: float, kinds: tuple[str, ...] = ("technicians", "couriers")
) -> None:
    """Print one table per kind of day."""
    from data.db import sessions
    from dispatch.planning.solving import build_day, solve_day

    url = ensure_demo(db)
    for kind in kinds:
        with sessions(url)() as s:
            dp = build_day(s, kind, DAY)
        matrix = problem_matrix(dp.problem.locations, None)
        dp = replace(dp, problem=dp.problem.replace(matrix=matrix))
        print(f"\n## {kind} day {DAY}: {len(dp.problem.jobs)} jobs, {len(dp.problem.vehicles)} vehicles",
              flush=True)  # fmt: skip
        rows = []
        t0 = time.monotonic()
        sol = solve_day(dp, seconds)
        rows.append(
            _row(f"Tournée ({seconds:.0f} s budget)", dp, sol, time.monotonic() - t0)
        )
        t0 = time.monotonic()
        g = greedy(dp.problem, matrix)
        rows.append(
            _row(
                "greedy (priority order, cheapest insertion)",
                dp,
                g,
                time.monotonic() - t0,
            )
        )
        top = max(m.score for m in dp.jobs.values())
        prio = {
            ref: max(0, min(100, round(100 * m.score / top)))
            for ref, m in dp.jobs.items()
        }
        t0 = time.monotonic()
        v = vroom_solve(dp.problem, matrix, prio)
        rows.append(
            _row("VROOM (exploration 5, 2 threads)", dp, v, time.monotonic() - t0)
        )
        head = ["method", "wall s", "placed", "priority served %", "km", "routes", "violations",
                "overlap %"]  # fmt: skip
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, ["-" * w for w in widths], *rows]:
            print(
                "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)),
                flush=True,
            )
