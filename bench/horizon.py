"""Horizon planning against planning each day alone, on the demo network.

Prints, for N days from the demo day: visits placed, visits placed by their SLA due
time, km, overtime hours and the largest spread of hours within a region — for the
horizon (days planned in turn, overtime when due work is left out, weekly limits) and
for each day planned alone within its shifts (no overtime, no weekly limits, every
open visit offered to every day, so a visit may be planned twice).

    python bench/horizon.py [--scale small|national] [--days 5] [--seconds 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from data.db import make_engine
from dispatch.cli.common import CliUser
from dispatch.planning.builder import technician_day
from dispatch.planning.horizon import plan_horizon
from dispatch.planning.saved import load_plan, save_plan
from dispatch.planning.solving import solve_day

DAY = date(2026, 11, 24)


def _figures(session, plan_ids: list[int]) -> tuple[int, int, float, set[str]]:
    placed = on_time = 0
    km = 0.0
    refs: set[str] = set()
    for pid in plan_ids:
        view = load_plan(session, pid)
        for r in view.routes:
            km += r.km
            for s in r.stops:
                placed += 1
                refs.add(s.job_ref)
        on_time += int(view.stats.get("sla_met", 0) or 0)
    return placed, on_time, km, refs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="small")
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=None)
    args = ap.parse_args()
    seconds = args.seconds or (20.0 if args.scale == "small" else 200.0)
    db = Path(tempfile.gettempdir()) / f"tournee-bench-horizon-{args.scale}.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "dispatch.cli",
                "demo",
                "--scale",
                args.scale,
                "--date",
                DAY.isoformat(),
                "--no-morning",
            ],
            check=True,
            env=env,
        )
    make = sessionmaker(bind=make_engine(url))
    print(
        f"{args.scale} demo, {args.days} days from {DAY}, {seconds:.0f} s each method; load {os.getloadavg()[0]:.1f}"
    )
    with make() as s:
        t0 = time.monotonic()
        h = plan_horizon(
            s,
            DAY,
            args.days,
            seconds=seconds,
            actor=CliUser("bench"),
            replan_published=True,
        )
        wall_h = time.monotonic() - t0
        placed, _, km, refs = _figures(s, [d.plan_id for d in h.days])
        ot = sum(h.overtime_minutes.values()) / 60
        spread = max(h.spread_hours.values(), default=0.0)
        print(
            f"{'method':<12} {'placed':>7} {'distinct':>8} {'km':>9} {'overtime h':>10} {'spread h':>9} {'wall s':>7}"
        )
        print(
            f"{'horizon':<12} {placed:>7} {len(refs):>8} {km:>9.0f} {ot:>10.1f} {spread:>9.1f} {wall_h:>7.1f}"
        )
        t0 = time.monotonic()
        ids = []
        for k in range(args.days):
            dp = technician_day(s, DAY + timedelta(days=k))
            ids.append(
                save_plan(s, dp, solve_day(dp, seconds / args.days), actor="bench")
            )
        wall_a = time.monotonic() - t0
        placed_a, _, km_a, refs_a = _figures(s, ids)
        print(
            f"{'days alone':<12} {placed_a:>7} {len(refs_a):>8} {km_a:>9.0f} {0.0:>10.1f} {'':>9} {wall_a:>7.1f}"
        )
        s.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
