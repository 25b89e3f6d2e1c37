"""Horizon planning against planning each day alone, on the demo network.

Prints, for N days from the demo day: visits placed, visits placed by their SLA due
time, km, overtime hours and the largest spread of hours within a region — for the
horizon (days planned in turn, overtime when due work is left out, weekly limits) and
for each day planned alone within its shifts (no overtime, no weekly limits, every
open visit offered to every day, so a visit may be planned twice).

    python bench/horizon.py [--scale small|national] [--days 5] [--seconds 200] [--db F]

``--seconds`` is the horizon's whole solve budget (each day gets a fifth of it for 5 days,
twice when it re-solves with overtime); the days alone get the same per day. The demo is
seeded once into ``--db`` (default ``var/bench-horizon-SCALE.db``). "violations" are the
independent validator's (``routing.validate``) over every saved day. Then, for each
method, the visits whose SLA falls due by the horizon's last day: how many were first
placed on or before their due day, later, or not at all, and how many of the late ones
had their room taken by work that could wait (``dispatch.planning.horizon_sla``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from data.db import make_engine
from dispatch.cli.common import CliUser
from dispatch.planning.builder import technician_day
from dispatch.planning.horizon import plan_horizon
from dispatch.planning.horizon_sla import sla_due_report
from dispatch.planning.saved import load_plan, save_plan
from dispatch.planning.solving import solve_day
from routing.balance import spread_hours

DAY = date(2026, 11, 24)


def _figures(session, plan_ids: list[int]) -> tuple[int, int, float, set[str], int]:
    """Placed, placed by SLA due time, km, distinct visits and validator violations."""
    placed = on_time = violations = 0
    km = 0.0
    refs: set[str] = set()
    for pid in plan_ids:
        view = load_plan(session, pid)
        for r in view.routes:
            km += r.km
            for s in r.stops:
                placed += 1
                refs.add(s.job_ref)
        on_time += sum(
            int(t.get("sla_met", 0)) for t in view.stats.get("per_tier", {}).values()
        )
        violations += int(view.stats.get("violations", 0) or 0)
    return placed, on_time, km, refs, violations


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="small")
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    seconds = args.seconds or (20.0 if args.scale == "small" else 200.0)
    db = args.db or Path("var") / f"bench-horizon-{args.scale}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
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
        placed, sla, km, refs, bad = _figures(s, [d.plan_id for d in h.days])
        ot = sum(h.overtime_minutes.values()) / 60
        spread = max(h.spread_hours.values(), default=0.0)
        print(
            f"{'method':<12} {'placed':>7} {'distinct':>8} {'SLA met':>8} {'km':>9} "
            f"{'overtime h':>10} {'spread h':>9} {'violations':>10} {'wall s':>7}"
        )
        print(
            f"{'horizon':<12} {placed:>7} {len(refs):>8} {sla:>8} {km:>9.0f} "
            f"{ot:>10.1f} {spread:>9.1f} {bad:>10} {wall_h:>7.1f}"
        )
        t0 = time.monotonic()
        ids = []
        spread_a = 0.0
        for k in range(args.days):
            dp = technician_day(s, DAY + timedelta(days=k))
            sol = solve_day(dp, seconds / args.days)
            spread_a = max(spread_a, *spread_hours(dp.problem, sol).values(), 0.0)
            ids.append(save_plan(s, dp, sol, actor="bench"))
        wall_a = time.monotonic() - t0
        placed_a, sla_a, km_a, refs_a, bad_a = _figures(s, ids)
        print(
            f"{'days alone':<12} {placed_a:>7} {len(refs_a):>8} {sla_a:>8} {km_a:>9.0f} "
            f"{0.0:>10.1f} {spread_a:>9.1f} {bad_a:>10} {wall_a:>7.1f}"
        )
        # the independent check of "every SLA-due visit placed before its due day
        # where capacity allows" (dispatch.planning.horizon_sla), both methods
        print("horizon:    " + sla_due_report(s, [d.plan_id for d in h.days]).line())
        print("days alone: " + sla_due_report(s, ids).line())
        print(f"load after {os.getloadavg()[0]:.1f}")
        s.rollback()
    return 0


if __name__ == "__main__":
    sys.exit(main())
