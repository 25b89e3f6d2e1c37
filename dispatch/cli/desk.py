"""`tournee ticket open ...`: the service desk from the command line.

The command acts as ``tournee --as USER`` (or the OS operator, see
``dispatch.cli.common.cli_user``), with the desk's role check. A
refusal (unknown customer, machine, fault or severity) is one line and exit 2.
"""

from __future__ import annotations

import argparse

from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import cli_user, write
from dispatch.views import desk
from repairs.errors import RepairsError

#: What a desk command reports on one line instead of a traceback.
REFUSALS: tuple[type[BaseException], ...] = (
    desk.DeskError,
    RepairsError,
    AccessDenied,
    ValueError,
    LookupError,
)


def register_open(acts: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``open`` under ``tournee ticket``."""
    a = acts.add_parser("open", help="open a ticket for a customer's machine, triaged")
    a.add_argument(
        "--customer",
        required=True,
        metavar="PHONE_OR_EMAIL_OR_REF",
        help="e.g. '06 12 34 56 78', jane@example.fr or C000042",
    )
    a.add_argument("--machine", required=True, metavar="SERIAL")
    a.add_argument("--fault", required=True, help="e.g. leak, pump, descaling")
    a.add_argument("--severity", required=True, help="low, normal, high or critical")
    a.add_argument("--description", default="")
    a.set_defaults(func=_open)


def _open(args: argparse.Namespace) -> int:
    user = cli_user()
    t = write(
        lambda s: desk.open_ticket(
            s,
            user,
            args.customer,
            serial=args.machine,
            fault=args.fault,
            severity=args.severity,
            description=args.description,
        ),
        REFUSALS,
    )
    print(t.ref)
    note = f" ({t.triage_note})" if t.triage_note else ""
    print(
        f"{t.path_label}{note} · {t.skill}, {t.duration_min} min"
        f"{' · loaner needed' if t.loaner_needed else ''}"
    )
    print(f"SLA due {labels.when(t.sla_due_at)}: {t.sla_reason}")
    if t.next_step:
        print(t.next_step)
    return 0
