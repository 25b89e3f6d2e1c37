"""Solomon VRPTW benchmark: the product's routing engine at 10 s per instance.

Usage: python bench/solomon.py [DIR ...] [--seconds S] [--workers W]
Prints instance, vehicles, distance, best known, gap %, feasible; then the mean gap.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.params import SolveParams  # noqa: E402
from routing.solomon import solve_file  # noqa: E402

DEFAULT_DIR = Path("/work/shared/benchmarks/solomon")


def best_known(d: Path) -> dict[str, float]:
    """``bks.csv`` of a directory: instance -> distance."""
    f = d / "bks.csv"
    if not f.is_file():
        return {}
    with f.open(newline="", encoding="utf-8") as fh:
        return {r["instance"].upper(): float(r["distance"]) for r in csv.DictReader(fh)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="instance names to run")
    args = ap.parse_args(argv)
    dirs = [DEFAULT_DIR, *args.dirs] if DEFAULT_DIR.is_dir() else list(args.dirs)
    params = SolveParams(time_limit_s=args.seconds, workers=args.workers)
    print(
        f"{'instance':<10}{'vehicles':>9}{'distance':>11}{'BKS':>10}{'gap %':>8}  feasible"
    )
    gaps: list[float] = []
    ok = True
    for d in dict.fromkeys(dirs):
        bks = best_known(d)
        for f in sorted(d.glob("*.txt")) + sorted(d.glob("*.TXT")):
            name = f.stem.upper()
            if args.only and name not in {o.upper() for o in args.only}:
                continue
            ans = solve_file(f, params)
            problems = ans.errors + ans.violations
            feasible = not problems
            ok &= feasible
            ref = bks.get(name)
            gap = 100.0 * (ans.distance - ref) / ref if ref else None
            if gap is not None:
                gaps.append(gap)
            print(
                f"{name:<10}{len(ans.routes):>9}{ans.distance:>11.2f}"
                f"{(f'{ref:.2f}' if ref else '-'):>10}{(f'{gap:.2f}' if gap is not None else '-'):>8}"
                f"  {'yes' if feasible else 'NO: ' + '; '.join(problems)}",
                flush=True,
            )
    if gaps:
        print(
            f"mean gap {sum(gaps) / len(gaps):.2f} %, worst {max(gaps):.2f} %, {len(gaps)} instances"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
