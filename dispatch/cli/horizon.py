"""`tournee plan --from D --days N`: a horizon of days planned together, with overtime
and the spread of hours; `tournee tech hours|absent`: technicians' availability."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import Role
from data.models import Technician, TechnicianAbsence
from dispatch.access.roles import AccessDenied, check_role
from dispatch.cli.common import CommandError, cli_user, table, write
from dispatch.planning import plans as planning
from dispatch.planning.availability import parse_pattern
from dispatch.planning.horizon import horizon_json, plan_horizon

ABSENCE_KINDS = ("leave", "training", "sick")


def plan_horizon_cli(args: argparse.Namespace) -> int:
    if args.kind != "technicians":
        raise CommandError(
            "a horizon plans technicians only (couriers: one --date at a time)"
        )
    if not 1 <= args.days <= 14:
        raise CommandError(f"--days must be between 1 and 14, got {args.days}")
    seconds = args.seconds or planning.DEFAULT_SECONDS["technicians"] * args.days
    t0 = time.monotonic()

    def say(line: str) -> None:
        if not args.quiet:
            print(f"  {line} ({time.monotonic() - t0:.0f} s)", file=sys.stderr)

    actor = cli_user()  # --as USER: a dispatcher; else the OS operator

    def run(s: Session) -> dict[str, Any]:
        h = plan_horizon(
            s,
            args.start,
            args.days,
            seconds=seconds,
            actor=actor,
            region=args.region,
            overtime_minutes=args.overtime,
            replan_published=args.replan_published,
            progress=say,
        )
        return horizon_json(s, h)

    out = write(run, (ValueError, LookupError, AccessDenied))
    rows = [
        [
            d["date"],
            d["stats"]["jobs_placed"],
            len(d["unassigned"]),
            sum(d["overtime_minutes"].values()),
            "kept" if d["kept_published"] else "draft",
        ]
        for d in out["days"]
    ]
    print(table(["day", "placed", "unplaced", "overtime min", "plan"], rows))
    print(f"horizon from {out['from']}: {time.monotonic() - t0:.1f} s wall")
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tech", help="technicians' availability: weekly hours, limits, absences"
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser(
        "hours", help="set a technician's weekly pattern and hour limits"
    )
    a.add_argument("--technician", required=True, help="technician code, e.g. TEC-001")
    a.add_argument(
        "--pattern", help="e.g. 'Mon-Thu 08:00-17:00, Fri 08:00-12:00' ('' clears it)"
    )
    a.add_argument("--max-day", type=float, help="maximum hours per day")
    a.add_argument("--max-week", type=float, help="maximum hours per week")
    a.set_defaults(func=_hours)
    a = acts.add_parser(
        "absent", help="record an absence (leave, training, sick) over days"
    )
    a.add_argument("--technician", required=True)
    a.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    a.add_argument(
        "--to", dest="end", type=date.fromisoformat, help="last day (default: --from)"
    )
    a.add_argument("--kind", choices=ABSENCE_KINDS, default="leave")
    a.add_argument("--note", default="")
    a.set_defaults(func=_absent)


def _tech(s: Session, code: str) -> Technician:
    t = s.scalar(select(Technician).where(Technician.code == code))
    if t is None:
        raise LookupError(f"no technician {code!r}")
    return t


def _dispatcher() -> str:
    """The acting user's name once checked a dispatcher (availability is theirs to set)."""
    who = cli_user()
    try:
        check_role(who, Role.DISPATCHER)
    except AccessDenied as exc:
        raise CommandError(str(exc)) from exc
    return str(who.username)


def _hours(args: argparse.Namespace) -> int:
    actor = _dispatcher()

    def run(s: Session) -> str:
        t = _tech(s, args.technician)
        change: dict[str, object] = {}
        if args.pattern is not None:
            t.weekly_hours = parse_pattern(args.pattern) or None
            change["weekly_hours"] = t.weekly_hours
        for attr, value in (
            ("max_hours_day", args.max_day),
            ("max_hours_week", args.max_week),
        ):
            if value is not None:
                if not 0 < value <= 24 * 7:
                    raise ValueError(
                        f"{attr.replace('_', ' ')}: {value} is not a number of hours"
                    )
                setattr(t, attr, value)
                change[attr] = value
        record(s, actor, "technician", t.code, "availability", **change)
        return t.name

    name = write(run, (ValueError, LookupError))
    print(f"{name}: availability updated")
    return 0


def _absent(args: argparse.Namespace) -> int:
    actor = _dispatcher()
    end = args.end or args.start
    if end < args.start:
        raise CommandError(f"--to {end} is before --from {args.start}")

    def run(s: Session) -> int:
        t = _tech(s, args.technician)
        n, day = 0, args.start
        while day <= end:
            row = s.scalar(
                select(TechnicianAbsence).where(
                    TechnicianAbsence.technician_id == t.id,
                    TechnicianAbsence.on_date == day,
                )
            )
            if row is None:
                s.add(
                    TechnicianAbsence(
                        technician_id=t.id,
                        on_date=day,
                        kind=args.kind,
                        reason=args.note,
                    )
                )
            else:
                row.kind, row.reason = args.kind, args.note
            n += 1
            day += timedelta(days=1)
        record(
            s,
            actor,
            "technician",
            t.code,
            "absent",
            kind=args.kind,
            start=args.start.isoformat(),
            end=end.isoformat(),
        )
        return n

    n = write(run, (ValueError, LookupError))
    print(f"{args.technician}: {n} day(s) of {args.kind} recorded")
    return 0
