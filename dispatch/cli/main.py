"""The `tournee` command line: thin wrappers over the services, one module per area.

Each module in ``COMMAND_MODULES`` exposes ``register(subparsers)``, which adds its
sub-commands and sets ``func`` (``func(args) -> int`` exit status) on each parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from dispatch.cli.common import ACT_AS_ENV, CommandError, act_as

COMMAND_MODULES = [
    "dispatch.cli.data",  # demo, import, migrate
    "dispatch.cli.vrptw",  # solve-vrptw
    "dispatch.cli.plan",  # plan
    "dispatch.cli.loaner",  # loaner lend/return/overdue/...
    "dispatch.cli.ticket",  # ticket show/move
    "dispatch.cli.customer",  # customer find; loyalty expiring/refresh/redeem
    "dispatch.cli.orders",  # orders bags/ready/collected/move/failed/expire/relays
    "dispatch.cli.notices",  # notices list/run/unsubscribe/sms-reply/prefs
    "dispatch.cli.club",  # club enrol
    "dispatch.cli.sla",  # sla show/recompute (ticket at-risk is under ticket)
    "dispatch.cli.horizon",  # tech hours/absent (plan --from is under plan)
    "dispatch.cli.visit",  # visit status (field reports)
    "dispatch.cli.replan",  # replan the rest of a day
    "dispatch.cli.user",  # user add/set/deactivate/list
    "dispatch.cli.booking",  # visit slots/book (joins the visit group: after visit)
]


#: Commands that load only their own module (the others' imports are seconds on a
#: loaded machine, and a re-plan on the day is waited for).
ALONE = {"replan": "dispatch.cli.replan"}


def build_parser(modules: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tournee", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help=f"act as this Tournée user (default: ${ACT_AS_ENV}, else the OS user "
        "as the installation's operator, with the admin role)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES if modules is None else modules:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--as", dest="as_user")
    pre.add_argument("command", nargs="?")
    known = pre.parse_known_args(argv)[0]
    act_as(known.as_user)  # before defaults name the actor
    alone = ALONE.get(known.command or "")
    args = build_parser([alone] if alone else None).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"tournee {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
