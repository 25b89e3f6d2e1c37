"""`tournee replan --date D --at HH:MM [--emergency REF] [--absent TECH] [--late TECH:MIN]`:
re-plan the rest of a day from the field reports, changing as little as it can.

Prints what moved and the promised windows the outcome breaks; ``--json`` writes
``tournee plan``'s JSON plus ``moved``, ``dropped``, ``added``, ``frozen`` and
``broken_windows``; ``--publish`` makes the re-plan the day's plan.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.base import PARIS
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import ACTOR_HELP, SECONDS, CommandError, command_user, write
from dispatch.planning.publish import publish
from dispatch.planning.replan import (
    DEFAULT_SECONDS,
    ReplanError,
    ReplanResult,
    replan,
    replan_json,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replan", help="re-plan the rest of a day (emergency, running late, off sick)"
    )
    p.add_argument("--date", type=date.fromisoformat, required=True)
    p.add_argument("--at", type=_hhmm, required=True, help="from when, HH:MM (Paris)")
    p.add_argument("--emergency", metavar="TICKET_REF", help="insert this ticket today")
    p.add_argument(
        "--absent", metavar="TECHNICIAN_REF", help="technician off sick, e.g. TEC-007"
    )
    p.add_argument(
        "--late",
        metavar="TECHNICIAN_REF:MINUTES",
        action="append",
        default=[],
        type=_late,
        help="a technician running late by MINUTES (repeatable)",
    )
    p.add_argument(
        "--seconds",
        type=SECONDS,
        default=DEFAULT_SECONDS,
        help="time budget of the whole re-plan (default %(default)s)",
    )
    p.add_argument("--json", dest="json_path", default=None)
    p.add_argument("--publish", action="store_true", help="publish the re-plan")
    p.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    p.set_defaults(func=_replan)


def _hhmm(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--at {text!r} is not HH:MM") from None


def _late(text: str) -> tuple[str, int]:
    ref, _, minutes = text.partition(":")
    if not ref or not minutes.isdigit():
        raise argparse.ArgumentTypeError(
            f"--late {text!r}: expected TECH:MINUTES, e.g. TEC-007:45"
        )
    return ref, int(minutes)


def _replan(args: argparse.Namespace) -> int:
    at = datetime.combine(args.date, args.at, tzinfo=PARIS)
    actor = command_user(args)  # --as USER: a dispatcher; else the OS operator

    def run(s: Session) -> tuple[ReplanResult, dict[str, Any]]:
        r = replan(
            s,
            day=args.date,
            at=at,
            actor=actor,
            emergency=args.emergency,
            absent=args.absent,
            late=dict(args.late),
            seconds=args.seconds,
        )
        if args.publish and r.violations == 0:
            publish(s, r.plan_id, actor=actor, supersede=True)
        return r, replan_json(s, r)

    result, doc = write(run, refusals=(ReplanError, LookupError, AccessDenied))
    st = doc["stats"]
    print(
        f"plan {result.plan_id} (re-plan of {result.based_on} from {args.at:%H:%M}): "
        f"{st['jobs_placed']}/{st['jobs_total']} remaining visits placed, "
        f"{len(result.frozen)} kept as reported, {len(result.moved)} moved, "
        f"{len(result.dropped)} left out, {len(result.added)} added, "
        f"violations {result.violations}, {result.seconds:.1f} s"
        + (" — published" if args.publish and result.violations == 0 else "")
    )
    print(
        f"  re-solved {len(result.neighbourhood)} technician(s) near the change "
        f"({result.neighbourhood_jobs} visits), every other round kept"
    )
    for m in result.moved:
        print(f"  moved {m.job}: {m.from_name} -> {m.to_name} ({m.why})")
    for m in result.dropped:
        print(f"  left out {m.job} (was {m.from_name})")
    for b in result.broken:
        print(f"  breaks the promised window {b.window} of {b.job}: {b.why}")
    if not result.broken:
        print("  no promised window broken")
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8"
        )
    if result.violations:
        raise CommandError(
            f"the re-plan breaks {result.violations} constraint(s); not published"
        )
    return 0
