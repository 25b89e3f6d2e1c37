"""`tournee sla show|recompute` and `tournee ticket at-risk`: the policy and its breaches.

``sla show`` validates and prints the policy in force (or ``--file``), recording a
new edition in the audit log the first time it is seen; ``sla recompute`` gives open
tickets the due time the policy in force computes (admin, audited); ``ticket
at-risk`` lists the tickets about to breach (JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from dispatch.cli.common import (
    CommandError,
    cli_user,
    default_actor,
    read,
    table,
    write,
)
from dispatch.labels import when
from dispatch.views import sla as sla_view
from repairs.sla_policy import PolicyError, SlaPolicy, load_policy, policy_in_force


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sla", help="the service-level policy: show it, re-compute due times"
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser(
        "show", help="validate and print a policy (default: the one in force)"
    )
    a.add_argument("--file", type=Path, help="a policy TOML to check instead")
    a.set_defaults(func=_show)
    a = acts.add_parser(
        "recompute",
        help="re-compute the due time of open tickets under the policy in force",
    )
    a.add_argument(
        "--ticket", action="append", help="only this ticket reference (repeatable)"
    )
    a.set_defaults(func=_recompute)


def add_at_risk(acts: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``tournee ticket at-risk``: registered under the ``ticket`` group."""
    a = acts.add_parser(
        "at-risk", help="tickets that will miss their SLA unless someone acts"
    )
    a.add_argument(
        "--within",
        type=float,
        default=sla_view.DEFAULT_WITHIN_H,
        metavar="H",
        help="unplanned tickets with at most H business hours left (default %(default)s)",
    )
    a.add_argument("--region", help="one région only")
    a.add_argument("--now", type=_aware, help="ISO time to judge from (default: now)")
    a.add_argument("--json", type=Path, metavar="F", help="write the list as JSON to F")
    a.set_defaults(func=_at_risk)


def _aware(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    if at.tzinfo is None:
        from data.base import PARIS

        at = at.replace(tzinfo=PARIS)
    return at


def _policy_text(pol: SlaPolicy) -> str:
    lines = [
        f"SLA policy {pol.version}, in force since {pol.changed_on:%d/%m/%Y} ({pol.source})"
    ]
    cal = pol.calendar
    days = ", ".join(
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d]
        for d in sorted(cal.workdays)
    )
    holidays = "French public holidays" if cal.public_holidays else "no public holidays"
    lines.append(
        f"business hours {cal.opens:%H:%M}-{cal.closes:%H:%M}, {days}; {holidays}"
    )
    for name in pol.targets:
        lines.append("")
        lines.append(f"targets ({name}), business hours:")
        rows = [[t.capitalize(), *(f"{h:g}" for h in hs)] for t, hs in pol.rows(name)]
        lines.append(table(["tier", *(s.capitalize() for s in pol.severities)], rows))
    return "\n".join(lines)


def _show(args: argparse.Namespace) -> int:
    try:
        pol = load_policy(args.file) if args.file else policy_in_force()
    except PolicyError as exc:
        raise CommandError(str(exc)) from exc
    if not args.file:
        write(lambda s: sla_view.record_policy_in_force(s, default_actor(), pol))
    print(_policy_text(pol))
    return 0


def _recompute(args: argparse.Namespace) -> int:
    try:
        pol = policy_in_force()
    except PolicyError as exc:
        raise CommandError(str(exc)) from exc
    n = write(
        lambda s: sla_view.recompute_open(s, cli_user(), refs=args.ticket, policy=pol),
        (LookupError, PermissionError),
    )
    print(f"{n} ticket(s) re-computed under policy {pol.version}")
    return 0


def _at_risk(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)
    rows = read(
        lambda s: sla_view.at_risk_tickets(
            s, cli_user(), within_h=args.within, now=now, region=args.region
        ),
        (PermissionError,),
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                sla_view.at_risk_json(rows, now, args.within),
                ensure_ascii=False,
                indent=2,
            )
        )
    print(
        table(
            ["ticket", "customer", "tier", "region", "due", "why"],
            [
                [r.ticket, r.customer, r.tier, r.region, when(r.due_at), r.why]
                for r in rows
            ],
        )
        if rows
        else "no ticket at risk"
    )
    return 0
