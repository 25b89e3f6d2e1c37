"""Re-planning the rest of the national demo day at 11:00: an emergency, a technician off sick.

Seeds the national demo into ``--db`` (once: ``tournee demo --scale national --no-morning``, then
``tournee plan --publish``), reports the morning as planned until ``--at`` (visits
over: done; the one under way: on site; the one driven to: on my way), then, each
case on a fresh copy of that database:

- an emergency: a waiting on-site ticket made critical, inserted with
  ``tournee replan --emergency``;
- a technician off sick: the one with the most visits left, ``tournee replan --absent``.

Each re-plan runs as the command a dispatcher types (a child process, timed from
start to exit). Printed for each: seconds, visits kept as reported (and whether
each is still in place), the technicians re-solved, the visits moved (to another
technician / order changed), left out and added, the validator's violations; then
the same rest of the day re-planned from scratch (no pins, no starting routes) in
this process: seconds, moved, left out, violations. Not a test: figures.

    python bench/replan.py                      # seeds var/bench-national.db the first time
    python bench/replan.py --case absent --seconds 6 --scratch-seconds 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.base import PARIS
from data.db import make_engine, migrate
from data.models import RepairTicket
from dispatch.field.status import set_status
from dispatch.planning import plans as planning
from dispatch.planning.replan import from_scratch, moved_jobs, rest_of_day
from routing import validate

ROOT = Path(__file__).resolve().parent.parent
TOURNEE = str(Path(sys.executable).with_name("tournee"))


@dataclass(frozen=True)
class Dispatcher:
    username: str = "bench"
    role: str = "dispatcher"
    store_id: int | None = None


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


def tournee(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("TOURNEE_USER", None)
    return subprocess.run(
        [TOURNEE, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )


def seed(db: Path, day: date, plan_seconds: float) -> None:
    """The national demo with a published technician plan of ``day``."""
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.with_suffix(".seeding.db")
    tmp.unlink(missing_ok=True)
    url = f"sqlite:///{tmp}"
    t0 = time.monotonic()
    d = day.isoformat()
    plan = ("plan", "--date", d, "--seconds", str(plan_seconds), "--publish", "--quiet")
    demo = ("demo", "--scale", "national", "--date", d, "--no-morning")
    for args in (demo, plan):
        done = tournee(url, *args)
        if done.returncode:
            raise SystemExit(f"tournee {' '.join(args)} failed:\n{done.stderr}")
        print(done.stdout.strip().splitlines()[0])
    tmp.rename(db)
    print(f"seeded {db} in {time.monotonic() - t0:.0f} s")


def report_morning(url: str, day: date, at: datetime) -> int:
    """Field reports of a morning that went as planned until ``at``."""
    eng = make_engine(url)
    who, n = Dispatcher(), 0
    with sessionmaker(bind=eng).begin() as s:
        pid = planning.latest_plan_id(s, "technicians", day, status="published")
        assert pid is not None, "no published plan"
        for r in planning.load_plan(s, pid).routes:
            left = r.start_at  # when the technician left the previous place
            for st in r.stops:
                if st.ticket_id is None:
                    continue
                if st.arrival_at > at:
                    if left is not None and left <= at:  # driving there at `at`
                        set_status(s, who, st.ticket_id, "on_my_way", at=left)
                        n += 1
                    break
                set_status(s, who, st.ticket_id, "arrived", at=st.arrival_at)
                if st.departure_at <= at:
                    set_status(s, who, st.ticket_id, "done", at=st.departure_at)
                left = st.departure_at
                n += 1
    eng.dispose()
    return n


def emergency_ticket(url: str) -> str:
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


def busiest(url: str, day: date, at: datetime) -> str:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        pid = planning.latest_plan_id(s, "technicians", day, status="published")
        assert pid is not None
        view = planning.load_plan(s, pid)
    eng.dispose()
    r = max(view.routes, key=lambda r: sum(1 for x in r.stops if x.arrival_at > at))
    return f"TEC-{r.vehicle_id:03d}"


def case(
    url: str, day: date, at: datetime, seconds: float, scratch_s: float, **kw: str
) -> None:
    what, ref = next(iter(kw.items()))
    out = Path(url.removeprefix("sqlite:///")).with_suffix(".json")
    t0 = time.monotonic()
    done = tournee(
        url, "replan", "--date", day.isoformat(), "--at", f"{at:%H:%M}",
        f"--{what}", ref, "--seconds", str(seconds), "--json", str(out),
    )  # fmt: skip
    took = time.monotonic() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"tournee replan failed:\n{done.stderr}")
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    head = "\n  ".join(done.stdout.splitlines()[:2]) or done.stderr.strip()
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        view = planning.load_plan(s, doc["plan_id"])
        pub = planning.load_plan(s, doc["based_on"])
        where = {x.job_ref: rt.vehicle_ref for rt in view.routes for x in rt.stops}
        frozen = set(doc["frozen"])
        in_place = sum(
            1
            for rt in pub.routes
            for x in rt.stops
            if x.job_ref in frozen and where.get(x.job_ref) == rt.vehicle_ref
        )
        # the same rest of the day, from scratch
        absent = [int(ref[4:])] if what == "absent" else []
        emergency = s.scalar(select(RepairTicket.id).where(RepairTicket.ref == ref))
        dp, published, fz, _ = rest_of_day(
            s, day, at, absent=absent, emergency=emergency if what == "emergency" else None
        )  # fmt: skip
        t1 = time.monotonic()
        scratch, problem = from_scratch(dp, scratch_s)
        took_scratch = time.monotonic() - t1
        fj = {x.job_ref for f in fz.values() for x in f.stops}
        before = {
            rt.vehicle_ref: [x.job_ref for x in rt.stops if x.job_ref not in fj]
            for rt in published.routes
        }
        after = {rt.vehicle_id: list(rt.job_ids) for rt in scratch.routes}
        m2, d2, a2 = moved_jobs(before, after, {}, {})
        v2 = validate(problem, scratch)
    eng.dispose()
    moved = doc["moved"]
    other = sum(1 for m in moved if m["why"] != "order changed")
    st = doc["stats"]
    print(
        f"\n{what} {ref}   (load {loadavg()})\n  {head}\n"
        f"  minimal change: {took:5.1f} s (the command, start to exit), "
        f"{len(frozen)} kept as reported, {in_place} of them in place, "
        f"{st['jobs_placed']}/{st['jobs_total']} placed, "
        f"moved {len(moved)} (to another technician {other}, order changed "
        f"{len(moved) - other}), left out {len(doc['dropped'])}, added "
        f"{len(doc['added'])}, windows broken {len(doc['broken_windows'])}, "
        f"violations {st['violations']}\n"
        f"  from scratch:   {took_scratch:5.1f} s (solve only, {scratch_s:g} s budget), "
        f"{sum(len(x.stops) for x in scratch.routes)}/{len(problem.jobs)} placed, "
        f"moved {len(m2)} (to another technician "
        f"{sum(1 for m in m2 if m.why != 'order changed')}), left out {len(d2)}, "
        f"added {len(a2)}, violations {len(v2)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=ROOT / "var" / "bench-national.db")
    ap.add_argument("--date", type=date.fromisoformat, default=date(2026, 11, 24))
    ap.add_argument("--at", default="11:00")
    ap.add_argument("--seconds", type=float, default=6.0, help="re-plan budget")
    ap.add_argument("--scratch-seconds", type=float, default=12.0)
    ap.add_argument("--plan-seconds", type=float, default=30.0)
    ap.add_argument("--case", choices=("emergency", "absent", "both"), default="both")
    args = ap.parse_args()
    hh, mm = (int(x) for x in args.at.split(":"))
    day = args.date
    at = datetime(day.year, day.month, day.day, hh, mm, tzinfo=PARIS)
    print(f"load {loadavg()}")
    if not args.db.exists():
        seed(args.db, day, args.plan_seconds)
    reported = args.db.with_name(f"{args.db.stem}-{day}-{hh:02d}{mm:02d}.db")
    if not reported.exists():
        shutil.copy(args.db, reported)
        migrate(f"sqlite:///{reported}")
        n = report_morning(f"sqlite:///{reported}", day, at)
        print(f"{n} visits reported done, on site or on the way by {args.at}")
    work = Path("/tmp/tournee_bench_replan.db")
    cases = ("emergency", "absent") if args.case == "both" else (args.case,)
    for what in cases:
        shutil.copy(reported, work)
        url = f"sqlite:///{work}"
        migrate(url)  # a deployed database is at head: the command times no migration
        ref = emergency_ticket(url) if what == "emergency" else busiest(url, day, at)
        case(url, day, at, args.seconds, args.scratch_seconds, **{what: ref})
    print(f"\nload {loadavg()}")


if __name__ == "__main__":
    main()
