"""Computing and queueing a national day's customer notices (20,000 customers).

Usage:
    python bench/notices.py [--url sqlite:////tmp/notices.db] [--date 2026-11-24]

Seeds the national demo into ``--url`` when it is empty, empties the outbox,
then times ``dispatch.notices.run.compute_and_queue`` at 07:00 on the demo day
(compute every kind, render, insert with dedupe keys) and a second run (all
already queued). Prints the stages' seconds and the notices by kind. Aim: the
first run under 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from data.base import PARIS  # noqa: E402
from data.db import migrate, sessions, write_session  # noqa: E402
from data.demo import is_empty, seed_demo  # noqa: E402
from data.models import Customer, Notice  # noqa: E402
from dispatch.demo_rules import demo_rules  # noqa: E402
from dispatch.notices.run import compute_and_queue  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--url", default=os.environ.get("DATABASE_URL", "sqlite:////tmp/notices.db")
    )
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 24))
    args = ap.parse_args()
    migrate(args.url)
    with write_session(args.url) as s:
        if is_empty(s):
            t = time.perf_counter()
            seed_demo(s, scale="national", day=args.date, rules=demo_rules())
            print(f"seeded the national demo in {time.perf_counter() - t:.1f} s")
    with write_session(args.url) as s:
        s.execute(delete(Notice))
    with sessions(args.url)() as s:
        customers = s.scalar(select(func.count()).select_from(Customer))
    now = datetime.combine(args.date, dtime(7, 0), tzinfo=PARIS)
    t = time.perf_counter()
    first = compute_and_queue(args.url, now)
    total = time.perf_counter() - t
    t = time.perf_counter()
    second = compute_and_queue(args.url, now)
    again = time.perf_counter() - t
    print(f"{customers:,} customers, notices due at {now:%Y-%m-%d %H:%M} Paris")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in first.seconds.items())
    print(f"first run: {total:.1f} s ({stages}); {first.computed:,} due, "
          f"{first.queued:,} queued, {first.no_consent:,} club reminders without consent")  # fmt: skip
    print(
        f"second run: {again:.1f} s, {second.queued} queued, {second.already:,} already in the outbox"
    )
    for kind, n in sorted(first.by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<24} {n:>6,}")
    print("aim < 30 s:", "met" if total < 30 else "NOT met")


if __name__ == "__main__":
    main()
