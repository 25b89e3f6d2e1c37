"""`tournee plan`: plan a day from the command line, with progress on the terminal."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from data.db import migrate, sessions
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import SECONDS, CommandError, cli_user, number_arg, read, write
from dispatch.cli.horizon import plan_horizon_cli
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from routing import Progress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan", help="plan the technicians' rounds (or the couriers' routes) of a day"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", type=date.fromisoformat, help="the day to plan")
    when.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        help="first day of a horizon of --days days (technicians), see docs",
    )
    p.add_argument(
        "--days", type=int, default=5, help="with --from: days in the horizon"
    )
    p.add_argument(
        "--overtime",
        type=number_arg(int, minimum=0),
        default=60,
        metavar="MIN",
        help="with --from: overtime allowed per technician and day when due work is left out",
    )
    p.add_argument(
        "--balance",
        type=float,
        default=0.0,
        metavar="PER_HOUR",
        help="with --from: workload balance, the cost of each hour a technician works "
        "beyond their region's average (0: off; e.g. 100, see docs)",
    )
    p.add_argument(
        "--replan-published",
        action="store_true",
        help="with --from: re-plan days already published (kept by default)",
    )
    p.add_argument("--kind", choices=["technicians", "couriers"], default="technicians")
    p.add_argument(
        "--region", default=None, help="one region only (default: the whole country)"
    )
    p.add_argument(
        "--depot", type=int, default=None, help="couriers: one depot only (site id)"
    )
    p.add_argument("--seconds", type=SECONDS, default=None, help="solver time budget")
    p.add_argument(
        "--json", dest="json_path", default=None, help="write the plan as JSON here"
    )
    p.add_argument(
        "--publish",
        action="store_true",
        help="publish the new plan (refused if it overlaps a published plan, unless --supersede)",
    )
    p.add_argument(
        "--supersede",
        action="store_true",
        help="with --publish: supersede the published plans it overlaps",
    )
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_plan)


class _Ticker:
    """One updating line on stderr: elapsed and visits placed (never the raw objective)."""

    def __init__(self, quiet: bool):
        self.quiet, self.last = quiet, 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if self.quiet or now - self.last < 0.5:
            return
        self.last = now
        sys.stderr.write(
            f"\r  {p.elapsed_s:6.1f} s  placed {p.jobs_placed}/{p.jobs_total} visits   "
        )
        sys.stderr.flush()


def _plan(args: argparse.Namespace) -> int:
    if args.start is not None:
        migrate()
        return plan_horizon_cli(args)
    seconds = args.seconds or planning.DEFAULT_SECONDS[args.kind]
    t0 = time.monotonic()
    try:
        migrate()
        plan_id = jobs.run_inline(
            kind=args.kind,
            day=args.date,
            region=args.region,
            seconds=seconds,
            actor=cli_user(),  # --as USER is checked; else the OS operator
            depot_id=args.depot,
            echo=_Ticker(args.quiet),
        )
    except (jobs.RunFailed, AccessDenied) as exc:
        raise CommandError(str(exc)) from exc
    except SQLAlchemyError as exc:  # before the run existed: nothing was written
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise CommandError(
            f"database error: {first[0] if first else type(exc).__name__}"
        ) from exc
    if not args.quiet:
        sys.stderr.write("\n")
    if plan_id is None:
        raise CommandError("the plan run failed")
    with sessions()() as s:
        view = planning.load_plan(s, plan_id)
    st = view.stats
    if st.get("jobs_total", 0) == 0:
        print(
            f"nothing to plan on {args.date} ({args.kind}{', ' + args.region if args.region else ''})"
        )
    print(
        f"plan {plan_id}: {st['jobs_placed']}/{st['jobs_total']} jobs placed, "
        f"{st['vehicles_used']}/{st['vehicles_total']} vehicles, {st['km']:,} km, "
        f"priority served {st['priority_served_pct']} %, violations {st['violations']}, "
        f"{time.monotonic() - t0:.1f} s wall"
    )
    for reason, n in sorted(st.get("reasons", {}).items()):
        print(f"  left out: {n} × {reason}")
    for name, why in sorted(st.get("idle", {}).items()):
        print(f"  idle: {name}: {why}")
    if st.get("replan"):
        print(f"  re-plan: {st['replan']}")
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(planning.plan_json(view), indent=1, ensure_ascii=False),
            encoding="utf-8",
        )
    if st["violations"]:
        return 1
    if args.publish:
        _publish(plan_id, args.supersede)
    return 0


def _publish(plan_id: int, supersede: bool) -> None:
    """Publish, saying what it supersedes and warning if it serves less; one line if refused."""
    check = read(lambda s: planning.publish_check(s, plan_id))
    for w in check.warnings:
        print(f"  warning: {w}")
    write(
        lambda s: planning.publish(s, plan_id, actor=cli_user(), supersede=supersede),
        refusals=(planning.PublishConflict, ValueError, LookupError, AccessDenied),
    )
    gone = ", ".join(str(o.plan_id) for o in check.overlaps)
    print(f"plan {plan_id} published" + (f"; superseded plan {gone}" if gone else ""))
