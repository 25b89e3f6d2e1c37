"""`tournee plan --from D --days N`: a horizon of days planned together, with overtime
and the spread of hours; `tournee tech hours|absent|present`: technicians' availability."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import CommandError, cli_user, table, write
from dispatch.planning import availability_edit
from dispatch.planning import plans as planning
from dispatch.planning.availability_edit import ABSENCE_KINDS
from dispatch.planning.horizon import plan_horizon
from dispatch.planning.horizon_io import horizon_json


def plan_horizon_cli(args: argparse.Namespace) -> int:
    if args.kind != "technicians":
        raise CommandError(
            "a horizon plans technicians only (couriers: one --date at a time)"
        )
    if args.balance < 0:
        raise CommandError(f"--balance must be 0 or more, got {args.balance:g}")
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
            balance_per_hour=args.balance,
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
    a = acts.add_parser("present", help="remove the absences recorded over days")
    a.add_argument("--technician", required=True)
    a.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    a.add_argument(
        "--to", dest="end", type=date.fromisoformat, help="last day (default: --from)"
    )
    a.set_defaults(func=_present)


def _hours(args: argparse.Namespace) -> int:
    who = cli_user()

    def run(s: Session) -> str:
        return availability_edit.set_hours(
            s,
            who,
            args.technician,
            pattern=args.pattern,
            max_day_h=args.max_day,
            max_week_h=args.max_week,
        )

    name = write(run, (ValueError, AccessDenied))
    print(f"{name}: availability updated")
    return 0


def _absent(args: argparse.Namespace) -> int:
    who = cli_user()

    def run(s: Session) -> int:
        return availability_edit.add_absence(
            s,
            who,
            args.technician,
            args.start,
            args.end,
            kind=args.kind,
            note=args.note,
        )

    n = write(run, (ValueError, AccessDenied))
    print(f"{args.technician}: {labels.days(n)} of {args.kind} recorded")
    return 0


def _present(args: argparse.Namespace) -> int:
    who = cli_user()

    def run(s: Session) -> int:
        return availability_edit.remove_absence(
            s, who, args.technician, args.start, args.end
        )

    n = write(run, (ValueError, AccessDenied))
    print(f"{args.technician}: {labels.days(n)} of absence removed")
    return 0
