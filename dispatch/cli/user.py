"""`tournee user add|set|deactivate|list`: accounts, from the first admin on.

Passwords are never arguments (they would sit in the shell history and ``ps``): they
are prompted twice with getpass, or read from the first line of standard input with
``--password-stdin`` (scripts). On a database with no user, ``user add --role admin``
creates the first admin; after that only an admin may manage users (``--as``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from data.enums import Role
from dispatch.access import admin
from dispatch.cli.common import CommandError, cli_user, read, table, write

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_REFUSALS = (admin.UserError, PermissionError)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("user", help="create and manage dashboard users")
    us = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    roles = [r.value for r in Role]

    a = us.add_parser(
        "add",
        help="create a user (the first admin of an empty database needs no --as)",
    )
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=roles)
    a.add_argument("--name", help="display name (default: the username)")
    a.add_argument("--store", help="store code, for store staff (e.g. STO-001)")
    a.add_argument("--technician", help="technician code, for technicians")
    a.add_argument("--region", help="a dispatcher's home region")
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    a.set_defaults(func=_add)

    s = us.add_parser(
        "set", help="change a user's role, store, technician, name; reset, unlock"
    )
    s.add_argument("username")
    s.add_argument("--role", choices=roles)
    s.add_argument("--name")
    s.add_argument("--store", help="store code ('' to unbind)")
    s.add_argument("--technician", help="technician code ('' to unbind)")
    s.add_argument("--region", help="home region ('' to clear)")
    s.add_argument(
        "--password",
        action="store_true",
        help="reset the password (prompted); ends the user's open sessions",
    )
    s.add_argument(
        "--password-stdin", action="store_true", help="reset it from standard input"
    )
    s.add_argument(
        "--unlock", action="store_true", help="lift a sign-in back-off at once"
    )
    s.add_argument("--activate", action="store_true", help="re-activate the user")
    s.set_defaults(func=_set)

    d = us.add_parser(
        "deactivate", help="stop a user signing in; ends their open sessions"
    )
    d.add_argument("username")
    d.set_defaults(func=_deactivate)

    ls = us.add_parser("list", help="every user with role, store and state")
    ls.set_defaults(func=_list)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise CommandError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise CommandError("no terminal to prompt on: use --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise CommandError("the two passwords differ")
    return first


def _describe(row: admin.UserRow) -> str:
    bound = row.store or row.technician
    state = "active" if row.active else "inactive"
    return f"{row.username} ({row.role}{', ' + bound if bound else ''}; {state})"


def _add(args: argparse.Namespace) -> int:
    password = _password(args.password_stdin)
    actor = cli_user()
    row = write(
        lambda s: admin.add_user(
            s,
            actor,
            username=args.username,
            password=password,
            role=args.role,
            display_name=args.name,
            store=args.store,
            technician=args.technician,
            region=args.region,
            bootstrap=True,
        ),
        _REFUSALS,
    )
    print(f"created {_describe(row)}")
    return 0


def _set(args: argparse.Namespace) -> int:
    password = (
        _password(args.password_stdin) if args.password or args.password_stdin else None
    )
    actor = cli_user()
    keep = {
        k: v
        for k, v in (
            ("store", args.store),
            ("technician", args.technician),
            ("region", args.region),
        )
        if v is not None
    }

    def change(s: Session) -> admin.UserRow:
        row = admin.set_user(
            s,
            actor,
            args.username,
            role=args.role,
            display_name=args.name,
            active=True if args.activate else None,
            **keep,
        )
        if password is not None:
            row = admin.reset_password(s, actor, args.username, password)
        if args.unlock:
            admin.unlock(s, actor, args.username)
        return row

    row = write(change, _REFUSALS)
    print(f"updated {_describe(row)}")
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    actor = cli_user()
    row = write(lambda s: admin.deactivate(s, actor, args.username), _REFUSALS)
    print(f"deactivated {_describe(row)}; their open sessions end on their next click")
    return 0


def _list(args: argparse.Namespace) -> int:
    actor = cli_user()
    rows = read(lambda s: admin.list_users(s, actor), _REFUSALS)
    print(
        table(
            ["username", "name", "role", "bound to", "state", "demo"],
            [
                (
                    r.username,
                    r.display_name,
                    r.role,
                    r.store or r.technician or r.region or "",
                    ("active" if r.active else "inactive")
                    + (" · locked" if r.locked_until else ""),
                    "yes" if r.demo else "",
                )
                for r in rows
            ],
        )
    )
    return 0
