"""The national demo day: Tournée's planner against a greedy baseline and VROOM.

Usage: ``python bench/national.py [--db PATH] [--seconds S] [--no-vroom]``.
Builds the national demo in a throw-away SQLite file when it is missing, then
solves the same day three ways on the same matrix, skills, windows, breaks and
priorities, validates every answer with ``routing.validate`` and prints a table:
solve time, jobs placed, priority-weighted service, km, violations.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baselines import greedy, vroom_solve
from data.db import sessions
from dispatch.planning import plans as planning
from dispatch.planning.builder import technician_day
from dispatch.planning.saved import served_pct
from routing.matrix import problem_matrix
from routing.validate import validate

DAY = date(2026, 11, 24)


def ensure_demo(path: Path) -> str:
    url = f"sqlite:///{path}"
    if not path.exists():
        print(f"building the national demo in {path} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dispatch.cli.main",
                "demo",
                "--scale",
                "national",
                "--date",
                DAY.isoformat(),
                "--no-morning",
            ],
            env={**os.environ, "DATABASE_URL": url},
            check=True,
        )
    return url


def row(name: str, dp, sol, wall: float) -> list[str]:
    scores = {ref: m.score for ref, m in dp.jobs.items()}
    placed = {s.job_id for r in sol.routes for s in r.stops}
    served = served_pct(sum(scores[j] for j in placed), sum(scores.values()), 1)
    km = sum(r.distance_m for r in sol.routes) / 1000
    return [
        name,
        f"{wall:.1f}",
        f"{len(placed)}/{len(dp.jobs)}",
        f"{100 * len(placed) / len(dp.jobs):.1f}",
        f"{served:.1f}",
        f"{km:,.0f}",
        f"{km / max(1, len(placed)):.1f}",
        str(len(sol.routes)),
        str(len(validate(dp.problem, sol))),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/tournee-bench-national.db"))
    ap.add_argument(
        "--seconds", type=float, default=planning.DEFAULT_SECONDS["technicians"]
    )
    ap.add_argument("--no-vroom", action="store_true")
    args = ap.parse_args()
    url = ensure_demo(args.db)
    with sessions(url)() as s:
        dp = technician_day(s, DAY)
    matrix = problem_matrix(dp.problem.locations, None)
    dp = type(dp)(
        **{
            **{f: getattr(dp, f) for f in dp.__dataclass_fields__},
            "problem": dp.problem.replace(matrix=matrix),
        }
    )
    print(
        f"national day {DAY}: {len(dp.problem.jobs)} visits, {len(dp.problem.vehicles)} technicians, "
        f"{len(dp.problem.locations)} locations",
        flush=True,
    )
    rows = []
    t0 = time.monotonic()
    sol = planning.solve_day(dp, args.seconds)
    rows.append(
        row(
            f"Tournée (OR-Tools, {args.seconds:.0f} s budget)",
            dp,
            sol,
            time.monotonic() - t0,
        )
    )
    t0 = time.monotonic()
    g = greedy(dp.problem, matrix)
    rows.append(
        row("greedy (priority order, cheapest insertion)", dp, g, time.monotonic() - t0)
    )
    if not args.no_vroom:
        top = max(m.score for m in dp.jobs.values())
        prio = {
            ref: max(0, min(100, round(100 * m.score / top)))
            for ref, m in dp.jobs.items()
        }
        t0 = time.monotonic()
        v = vroom_solve(dp.problem, matrix, prio)
        rows.append(
            row("VROOM (exploration 5, 2 threads)", dp, v, time.monotonic() - t0)
        )
    head = [
        "method",
        "wall s",
        "placed",
        "placed %",
        "priority served %",
        "km",
        "km/visit",
        "routes",
        "violations",
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    greedy_km = float(rows[1][5].replace(",", ""))
    ours_km = float(rows[0][5].replace(",", ""))
    print(f"\nkm vs greedy: {100 * (ours_km - greedy_km) / greedy_km:+.1f} %")


if __name__ == "__main__":
    main()
