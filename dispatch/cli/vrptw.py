"""`tournee solve-vrptw FILE --seconds S --json OUT`: a Solomon instance through the routing engine."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dispatch.cli.common import SECONDS
from routing.params import SolveParams
from routing.progress import Progress
from routing.solomon import read, solve_file


def register(subparsers: Any) -> None:
    """Add the ``solve-vrptw`` command."""
    p = subparsers.add_parser(
        "solve-vrptw",
        help="solve a Solomon-format VRPTW instance (benchmarks)",
        description="Solve a Solomon-format VRPTW instance with the dispatcher's routing engine.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument(
        "--seconds", type=SECONDS, default=10.0, help="time limit (default 10)"
    )
    p.add_argument(
        "--json", type=Path, metavar="OUT", help="write the answer as JSON here"
    )
    p.add_argument(
        "--workers", type=int, default=2, help="search processes (default 2)"
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


class _Shower:
    """Prints progress on stderr, at most once a second (GLS finds hundreds of solutions)."""

    def __init__(self) -> None:
        self._last = -1.0

    def __call__(self, p: Progress) -> None:
        if p.elapsed_s - self._last < 1.0:
            return
        self._last = p.elapsed_s
        _show(p)


def _show(p: Progress) -> None:
    print(
        f"  {p.elapsed_s:6.1f} s  distance {p.objective:10.2f}  "
        f"{p.jobs_placed}/{p.jobs_total} placed  [{p.source}]",
        file=sys.stderr,
    )


def run(args: argparse.Namespace) -> int:
    """Solve, print progress on stderr and a summary on stdout, write JSON. 1 if infeasible."""
    if not args.file.is_file():
        print(f"solve-vrptw: no such file: {args.file}", file=sys.stderr)
        return 2
    params = SolveParams(
        time_limit_s=args.seconds, workers=args.workers, seed=args.seed
    )
    try:
        read(args.file)
    except (
        ValueError,
        UnicodeDecodeError,
    ) as exc:  # bad input: one line, nothing solved
        print(f"solve-vrptw: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    ans = solve_file(args.file, params, progress=_Shower())
    problems = ans.errors + ans.violations
    out = {
        "routes": ans.routes,
        "distance": round(ans.distance, 6),
        "vehicles": len(ans.routes),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(out) + "\n", encoding="utf-8")
    print(
        f"{ans.instance.name}: {len(ans.routes)} vehicles, distance {ans.distance:.2f}, "
        f"{ans.status}, {ans.elapsed_s:.1f} s"
        + (f", PROBLEMS: {problems}" if problems else "")
    )
    return 1 if problems else 0
