"""`tournee visit status --ticket REF --set on_my_way|arrived|done|failed`: a field report
from a script, the same state change as the technician's buttons (one transaction,
audited). The CLI acts as its user (``tournee --as USER``, or ``--actor USER``): a
technician on their own round only; the OS operator (no ``--as``) on any visit."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from data.base import PARIS
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import ACTOR_HELP, command_user, write
from dispatch.field.status import REFUSALS, VisitReport, set_status_by_ref
from dispatch.field.visits import FailReason, VisitStatus


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("visit", help="report a visit's status from the field")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser(
        "status", help="on my way / arrived / done / failed (could not fix)"
    )
    a.add_argument("--ticket", required=True, help="ticket reference, e.g. R100012")
    a.add_argument(
        "--set",
        dest="status",
        required=True,
        choices=[s.value for s in VisitStatus if s is not VisitStatus.PLANNED],
    )
    a.add_argument(
        "--reason",
        choices=[r.value for r in FailReason],
        help="why it could not be fixed (with --set failed)",
    )
    a.add_argument("--fix-code", default="", help="with --set done")
    a.add_argument("--notes", default="")
    a.add_argument(
        "--at",
        type=_local,
        default=None,
        help="when it happened, ISO 8601 (Paris time unless an offset is given; default now)",
    )
    a.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the visit's day (default: the ticket's visit day)",
    )
    a.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    a.set_defaults(func=_status)


def _local(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--at {text!r} is not an ISO 8601 date-time (e.g. 2026-11-24T10:35)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=PARIS)


def _status(args: argparse.Namespace) -> int:
    actor = command_user(args)  # --as USER: their role; else the OS operator
    report: VisitReport = write(
        lambda s: set_status_by_ref(
            s,
            actor,
            args.ticket,
            args.status,
            at=args.at,
            reason=args.reason,
            fix_code=args.fix_code,
            notes=args.notes,
            day=args.date,
        ),
        refusals=(*REFUSALS, LookupError, AccessDenied),
    )
    print(report.message)
    return 0
