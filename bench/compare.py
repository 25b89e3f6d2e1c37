"""Tournée's engine against VROOM and PyVRP, and on the product's days, in one run.

Usage::

    python bench/compare.py [--seconds 10] [--gh-seconds 20] [--solomon DIR ...]
        [--gh DIR] [--generated-100 N] [--generated-200 N] [--limit N]
        [--days] [--day-seconds 60] [--db PATH]

VRPTW part: each instance is solved by the engine (``routing.solve``, both
cores), VROOM (exploration 5, 2 threads, same timeout) and PyVRP (one core,
same runtime) on the same integer matrix; every answer is re-checked with
real distances (``routing.solomon.check``). Groups: Solomon instances (the
shared folder and any ``--solomon`` folder, gap to ``bks.csv`` when known),
Solomon-like random 100-customer instances and Gehring–Homberger-like
200-customer ones (generated deterministically by ``bench/instances.py``, or
read from ``--gh``); without a best known distance the gap is to the best of
the three. Days part (``--days``): the national technician day and the
courier day of the demo database against VROOM and the greedy baseline:
placed visits, priority-weighted service, km, wall time, violations, and the
share of route pairs whose areas overlap.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.instances import standard_specs, write  # noqa: E402
from bench.overlap import overlap_share  # noqa: E402
from bench.vrptw_solvers import pyvrp_routes, vroom_routes  # noqa: E402
from routing import solomon  # noqa: E402
from routing.model import Route, Solution, Stop  # noqa: E402
from routing.params import SolveParams  # noqa: E402
from routing.solve import solve  # noqa: E402
from routing.validate import validate  # noqa: E402

SHARED = Path("/work/shared/benchmarks/solomon")
GENERATED = Path("/tmp/tournee-bench-instances")


@dataclass(frozen=True, slots=True)
class Result:
    """One solver's answer on one instance."""

    distance: float
    routes: int
    feasible: bool
    overlap: float


def _as_solution(routes: list[list[int]]) -> Solution:
    """Routes as a bare Solution (for the overlap figure only)."""
    from routing.model import Objective

    rs = tuple(
        Route(vehicle_id=f"v{k}", stops=tuple(Stop(job_id=str(c), arrival_s=0, start_s=0, departure_s=0) for c in r),
              start_s=0, end_s=0, distance_m=0, duration_s=0)
        for k, r in enumerate(routes) if r
    )  # fmt: skip
    return Solution(routes=rs, unassigned=(), objective=Objective(cost=0, distance_m=0, duration_s=0, penalty=0,
                    jobs_placed=0, jobs_total=0), status="", elapsed_s=0)  # fmt: skip


def _result(
    inst: solomon.Instance, routes: list[list[int]], extra: list[str] | None = None
) -> Result:
    problem = solomon.to_problem(inst)
    errors = solomon.check(inst, routes) + (extra or [])
    return Result(distance=solomon.distance(inst, routes), routes=len([r for r in routes if r]),
                  feasible=not errors, overlap=overlap_share(problem, _as_solution(routes), planar=True))  # fmt: skip


def run_instance(path: Path, seconds: float) -> dict[str, Result]:
    """The three solvers on one file, one after the other (each has the machine)."""
    inst = solomon.parse(path)
    problem = solomon.to_problem(inst)
    out: dict[str, Result] = {}
    sol = solve(problem, SolveParams(time_limit_s=seconds, workers=2))
    routes = [[int(j) for j in r.job_ids] for r in sol.routes]
    unserved = [f"{len(sol.unassigned)} unserved"] if sol.unassigned else []
    out["tournee"] = _result(
        inst, routes, [v.kind.value for v in validate(problem, sol)] + unserved
    )
    out["vroom"] = _result(inst, vroom_routes(inst, seconds))
    out["pyvrp"] = _result(inst, pyvrp_routes(inst, seconds))
    return out


def best_known(folder: Path) -> dict[str, float]:
    f = folder / "bks.csv"
    if not f.is_file():
        return {}
    with f.open(newline="", encoding="utf-8") as fh:
        return {r["instance"].upper(): float(r["distance"]) for r in csv.DictReader(fh)}


SOLVERS = ("tournee", "vroom", "pyvrp")


def run_group(
    title: str, files: list[Path], seconds: float, bks: dict[str, float]
) -> None:
    print(f"\n## {title}: {len(files)} instances, {seconds:.0f} s each", flush=True)
    head = (
        f"{'instance':<26}"
        + "".join(f"{s:>12}{'gap%':>7}" for s in SOLVERS)
        + "  ref        overlap t/v/p"
    )
    print(head)
    gaps: dict[str, list[float]] = {s: [] for s in SOLVERS}
    totals: dict[str, float] = dict.fromkeys(SOLVERS, 0.0)
    complete = 0
    for f in files:
        res = run_instance(f, seconds)
        name = f.stem.upper()
        feasible = [r.distance for r in res.values() if r.feasible]
        ref = bks.get(name) or (min(feasible) if feasible else None)
        line = f"{f.stem:<26}"
        for s in SOLVERS:
            r = res[s]
            gap = 100 * (r.distance - ref) / ref if ref and r.feasible else None
            if gap is not None:
                gaps[s].append(gap)
            line += (
                f"{r.distance:>12.2f}{(f'{gap:.2f}' if gap is not None else 'INF'):>7}"
            )
        if all(res[s].feasible for s in SOLVERS):
            complete += 1
            for s in SOLVERS:
                totals[s] += res[s].distance
        src = "bks" if name in bks else "best"
        line += f"  {ref or 0:>9.2f} {src:<4} " + "/".join(
            f"{res[s].overlap:.2f}" for s in SOLVERS
        )
        print(line, flush=True)
    for s in SOLVERS:
        g = gaps[s]
        if g:
            print(f"  {s:<8} mean gap {sum(g) / len(g):6.2f} %  worst {max(g):6.2f} %  "
                  f"feasible {len(g)}/{len(files)}  total distance {totals[s]:,.1f}")  # fmt: skip
    if totals["vroom"] and totals["pyvrp"]:
        print(f"  on the {complete} instances all three solved: tournee / vroom = "
              f"{totals['tournee'] / totals['vroom']:.4f}, tournee / pyvrp = "
              f"{totals['tournee'] / totals['pyvrp']:.4f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--seconds", type=float, default=10.0, help="per 100-customer instance"
    )
    ap.add_argument(
        "--gh-seconds", type=float, default=20.0, help="per 200-customer instance"
    )
    ap.add_argument(
        "--solomon", nargs="*", type=Path, default=[], help="more Solomon folders"
    )
    ap.add_argument(
        "--gh", type=Path, default=None, help="a folder of 200-customer instances"
    )
    ap.add_argument("--generated-100", type=int, default=6)
    ap.add_argument("--generated-200", type=int, default=4)
    ap.add_argument(
        "--limit", type=int, default=None, help="at most N instances per group"
    )
    ap.add_argument("--no-vrptw", action="store_true")
    ap.add_argument(
        "--days",
        action="store_true",
        help="also the national technician and courier days",
    )
    ap.add_argument("--day-seconds", type=float, default=60.0)
    ap.add_argument("--db", type=Path, default=Path("/tmp/tournee-bench-national.db"))
    args = ap.parse_args(argv)
    print(
        f"tournee bench: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start",
        flush=True,
    )
    cut = slice(0, args.limit)
    if not args.no_vrptw:
        folders = [d for d in [SHARED, *args.solomon] if d.is_dir()]
        files = [
            f
            for d in folders
            for f in sorted(d.glob("*.txt")) + sorted(d.glob("*.TXT"))
        ][cut]
        bks: dict[str, float] = {}
        for d in folders:
            bks.update(best_known(d))
        if files:
            run_group("Solomon", files, args.seconds, bks)
        if args.generated_100:
            gen = write(standard_specs(100, args.generated_100), GENERATED / "100")[cut]
            run_group("Solomon-like, generated", gen, args.seconds, {})
        gh = sorted(args.gh.glob("*.[tT][xX][tT]")) if args.gh else write(
            standard_specs(200, args.generated_200), GENERATED / "200")  # fmt: skip
        if gh[cut]:
            run_group("Gehring-Homberger-like, 200 customers", gh[cut], args.gh_seconds,
                      best_known(args.gh) if args.gh else {})  # fmt: skip
    if args.days:
        from bench.days import run_days

        run_days(args.db, args.day_seconds)
    print(f"\nload at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    t0 = time.monotonic()
    code = main()
    print(f"wall {time.monotonic() - t0:.0f} s")
    sys.exit(code)
