"""Courier routes on the national demo day: consolidated site stops vs one stop per order.

Usage:
    DATABASE_URL=sqlite:////tmp/couriers.db tournee demo --scale national
    DATABASE_URL=sqlite:////tmp/couriers.db python bench/couriers.py [--seconds S] [--date D]

Both problems are built by ``dispatch.planning.couriers.courier_day`` from the same
rows (``consolidate=True`` / ``False``) and solved by the same engine and budget
(``dispatch.planning.plans.solve_day``: regional parts in parallel above 300 jobs).
Prints one table: jobs, orders delivered, vans used, km, km per order, solve
time and the independent validator's violations.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from data.db import sessions  # noqa: E402
from data.models import DeliveryOrder  # noqa: E402
from dispatch.planning.couriers import courier_day  # noqa: E402
from dispatch.planning.plans import solve_day  # noqa: E402
from routing.validate import validate  # noqa: E402

DEFAULT_URL = "sqlite:////tmp/couriers.db"


def _run(label: str, day: date, seconds: float, consolidate: bool) -> dict[str, object]:
    t0 = time.monotonic()
    with sessions()() as s:
        dp = courier_day(s, day, consolidate=consolidate)
    built = time.monotonic() - t0
    sol = solve_day(dp, seconds)
    orders_total = len({d for m in dp.jobs.values() for d in m.delivery_ids})
    placed = {st.job_id for r in sol.routes for st in r.stops}
    delivered = len({d for j in placed for d in dp.jobs[j].delivery_ids})
    km = sum(r.distance_m for r in sol.routes) / 1000
    return {
        "plan": label,
        "jobs": len(dp.problem.jobs),
        "placed": len(placed),
        "orders": f"{delivered}/{orders_total}",
        "vans": f"{len(sol.routes)}/{len(dp.problem.vehicles)}",
        "km": round(km),
        "km/order": round(km / max(delivered, 1), 2),
        "build s": round(built, 1),
        "solve s": round(sol.elapsed_s, 1),
        "violations": len(validate(dp.problem, sol)),
    }


def _demo_day() -> date:
    """The latest promised day of orders still to deliver: the demo's day."""
    from sqlalchemy import func, select

    with sessions()() as s:
        day = s.scalar(
            select(func.max(DeliveryOrder.promised_on)).where(
                DeliveryOrder.status.in_(("new", "to prepare"))
            )
        )
    if day is None:
        raise SystemExit(
            "no order to deliver: run `tournee demo --scale national` first"
        )
    return day


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--date", type=date.fromisoformat, default=None, help="default: the demo day"
    )
    ap.add_argument(
        "--seconds", type=float, default=60.0, help="solver budget per plan"
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    day = args.date or _demo_day()
    rows = [
        _run("consolidated (one stop per site)", day, args.seconds, True),
        _run("baseline (one stop per order)", day, args.seconds, False),
    ]
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print(
        f"courier plan, {day}, {args.seconds:.0f} s budget each, {os.cpu_count()} cores, "
        f"{os.environ['DATABASE_URL']}"
    )
    print("  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(width[c]) for c in cols))
    a, b = rows
    ka, kb = float(str(a["km"])), float(str(b["km"]))
    pa, pb = float(str(a["km/order"])), float(str(b["km/order"]))
    print(
        f"consolidation: {b['jobs']} -> {a['jobs']} stops, orders delivered {b['orders']} -> {a['orders']}, "
        f"km {100 * (ka / max(kb, 1) - 1):+.1f} %, km per order delivered {100 * (pa / max(pb, 0.01) - 1):+.1f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
