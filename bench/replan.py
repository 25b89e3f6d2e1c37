"""Re-planning the rest of the national demo day at 11:00: emergency and off sick.

Takes a national demo database whose day has a published technician plan (or
publishes the newest draft), reports every visit as done as planned until 11:00
(the one under way: on site), then, each on a fresh copy:

- an emergency: a critical ticket inserted today (``--emergency``);
- a technician off sick (the one with the most visits left).

For each it prints the time, the visits kept as reported, the visits moved by the
minimal-change re-plan and by a re-plan from scratch of the same rest of day (no
pins, no starting routes), and the validator's verdict. Not a test: figures.

    DATABASE_URL=sqlite:///var/national.db python bench/replan.py --date 2026-11-24
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.base import PARIS
from data.db import make_engine, migrate
from data.models import Plan, RepairTicket
from dispatch.cli.common import CliUser
from dispatch.field.status import set_status
from dispatch.planning import plans as planning
from dispatch.planning.replan import from_scratch, moved_jobs, replan, rest_of_day
from routing import validate


@dataclass(frozen=True)
class Dispatcher:
    username: str = "bench"
    role: str = "dispatcher"
    store_id: int | None = None


def prepare(url: str, day: date, at: datetime) -> int:
    """Publish the day's plan if needed and report the morning as planned."""
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        pid = planning.latest_plan_id(s, "technicians", day, status="published")
        if pid is None:
            pid = s.scalar(
                select(Plan.id)
                .where(Plan.kind == "technicians", Plan.plan_date == day)
                .order_by(Plan.id.desc())
            )
            planning.publish(s, pid, actor=CliUser("bench"))
        n = 0
        for r in planning.load_plan(s, pid).routes:
            for st in r.stops:
                if st.ticket_id is None or st.arrival_at > at:
                    continue
                set_status(s, Dispatcher(), st.ticket_id, "arrived", at=st.arrival_at)
                if st.departure_at <= at:
                    set_status(
                        s, Dispatcher(), st.ticket_id, "done", at=st.departure_at
                    )
                n += 1
    eng.dispose()
    print(f"published plan {pid}; {n} visits reported done or on site by {at:%H:%M}")
    return pid


def emergency_ticket(url: str, day: date) -> str:
    """A waiting on-site ticket not on today's plan, made critical."""
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        t = s.scalars(
            select(RepairTicket)
            .where(
                RepairTicket.resolution_path == "onsite",
                RepairTicket.status == "triaged",
            )
            .order_by(RepairTicket.id.desc())
        ).first()
        assert t is not None
        t.severity = "critical"
        ref = t.ref
    eng.dispose()
    return ref


def busiest(url: str, pid: int, at: datetime) -> str:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        view = planning.load_plan(s, pid)
    eng.dispose()
    r = max(view.routes, key=lambda r: sum(1 for x in r.stops if x.arrival_at > at))
    return f"TEC-{r.vehicle_id:03d}"


def case(url: str, day: date, at: datetime, seconds: float, **kw: str) -> None:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        t0 = time.monotonic()
        r = replan(s, day=day, at=at, actor=CliUser("bench"), seconds=seconds, **kw)  # type: ignore[arg-type]
        took = time.monotonic() - t0
        view = planning.load_plan(s, r.plan_id)
        kept = {
            x.job_ref: rt.vehicle_ref
            for rt in view.routes
            for x in rt.stops
            if x.pinned
        }
        pub = planning.load_plan(s, r.based_on)
        frozen_ok = all(
            kept.get(j) == rt.vehicle_ref
            for rt in pub.routes
            for x in rt.stops
            if (j := x.job_ref) in r.frozen
        )
        # the same rest of the day, from scratch
        absent = [int(kw["absent"][4:])] if "absent" in kw else []
        dp, published, frozen, _ = rest_of_day(
            s, day, at, absent=absent,
            emergency=s.scalar(select(RepairTicket.id).where(RepairTicket.ref == kw.get("emergency", ""))),
        )  # fmt: skip
        t1 = time.monotonic()
        scratch, scratch_problem = from_scratch(dp, seconds)
        took_scratch = time.monotonic() - t1
        fj = {x.job_ref for f in frozen.values() for x in f.stops}
        before = {
            rt.vehicle_ref: [x.job_ref for x in rt.stops if x.job_ref not in fj]
            for rt in published.routes
        }
        after = {rt.vehicle_id: list(rt.job_ids) for rt in scratch.routes}
        m2, d2, _ = moved_jobs(before, after, {}, {})
        v2 = validate(scratch_problem, scratch)
        placed = view.stats.get("jobs_placed", 0)
        print(
            f"\n{' · '.join(f'{k} {v}' for k, v in kw.items())}\n"
            f"  minimal change: {took:5.1f} s, {len(r.frozen)} frozen kept in place: {frozen_ok}, "
            f"{placed} placed, moved {len(r.moved)} "
            f"(to another technician {sum(1 for m in r.moved if m.why != 'order changed')}), "
            f"left out {len(r.dropped)}, windows broken {len(r.broken)}, "
            f"violations {r.violations}, passes {r.passes}\n"
            f"  from scratch:   {took_scratch:5.1f} s, "
            f"{sum(len(x.stops) for x in scratch.routes)} placed, moved {len(m2)} "
            f"(to another technician {sum(1 for m in m2 if m.why != 'order changed')}), "
            f"left out {len(d2)}, violations {len(v2)}"
        )
        s.rollback()
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="national demo SQLite file (copied)")
    ap.add_argument("--date", type=date.fromisoformat, required=True)
    ap.add_argument("--at", default="11:00")
    ap.add_argument("--seconds", type=float, default=12.0)
    args = ap.parse_args()
    hh, mm = (int(x) for x in args.at.split(":"))
    at = datetime(args.date.year, args.date.month, args.date.day, hh, mm, tzinfo=PARIS)
    work = Path("/tmp/tournee_bench_replan.db")
    shutil.copy(args.db, work)
    url = f"sqlite:///{work}"
    migrate(url)
    pid = prepare(url, args.date, at)
    ref = emergency_ticket(url, args.date)
    sick = busiest(url, pid, at)
    case(url, args.date, at, args.seconds, emergency=ref)
    case(url, args.date, at, args.seconds, absent=sick)


if __name__ == "__main__":
    main()
