"""`tournee loaner ...`: lend, return, clean, move and chase loaners from a shell.

Thin: each action is one write transaction through ``data.db.write_session``
(retried whole when SQLite reports a lock) around one ``loaner_pool`` service;
a refusal becomes ``CommandError`` (one line on stderr, exit status 2).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

import loaner_pool
from data.base import PARIS as PARIS
from dispatch.cli.common import ACTOR_HELP, command_user, read, table, write
from dispatch.cli.stock import register_forecast
from loaner_pool import queries

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("loaner", help="lend, return and follow loaner machines")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    a = acts.add_parser("lend", help="lend a compatible loaner for a ticket")
    a.add_argument("--ticket", type=int, required=True)
    a.add_argument(
        "--site", type=int, help="lend from this site only (default: nearest)"
    )
    a.set_defaults(func=_lend)

    a = acts.add_parser(
        "return", help="a loaner came back: close its loan, send it to cleaning"
    )
    a.add_argument("--loaner", required=True, help="loaner id or code (LN-0007)")
    a.add_argument(
        "--site", type=int, help="site it was brought to (default: where it came from)"
    )
    a.set_defaults(func=_return)

    a = acts.add_parser("ready", help="cleaning and descaling done: available again")
    a.add_argument("--loaner", required=True)
    a.set_defaults(func=_ready)

    a = acts.add_parser("transfer", help="send an available loaner to another site")
    a.add_argument("--loaner", required=True)
    a.add_argument(
        "--to", type=int, required=True, dest="to_site", help="destination site id"
    )
    a.set_defaults(func=_transfer)

    a = acts.add_parser("arrive", help="a transferred loaner reached its site")
    a.add_argument("--loaner", required=True)
    a.set_defaults(func=_arrive)

    a = acts.add_parser("overdue", help="open loans past their due date, with contacts")
    a.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    a.set_defaults(func=_overdue)

    a = acts.add_parser("pool", help="loaner counts by site, family and state")
    a.add_argument("--site", type=int)
    a.set_defaults(func=_pool)

    a = acts.add_parser("history", help="every state change and loan of one loaner")
    a.add_argument("--loaner", required=True)
    a.set_defaults(func=_history)

    a = acts.add_parser(
        "swap", help="create the swap-visit courier legs of a workshop ticket"
    )
    a.add_argument("--ticket", type=int, required=True)
    a.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    a.set_defaults(func=_swap)
    register_forecast(acts)  # forecast, proposals, accept, refuse (dispatch.cli.stock)

    for parser in acts.choices.values():
        parser.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)


def _who(args: argparse.Namespace) -> str:
    """The name the audit log records: the ``--as``/``--actor`` user, else the operator."""
    return str(command_user(args).username)


def _write(fn: Callable[[Session], T]) -> T:
    return write(fn, (loaner_pool.LoanerPoolError,))


def _read(fn: Callable[[Session], T]) -> T:
    return read(fn, (loaner_pool.LoanerPoolError,))


def _lend(args: argparse.Namespace) -> int:
    who = _who(args)
    loan = _write(lambda s: loaner_pool.lend(s, args.ticket, args.site, actor=who))
    km = f", {loan.distance_km:.1f} km away" if loan.distance_km is not None else ""
    print(
        f"lent {loan.loaner_code} ({loan.model_family}) from site {loan.from_site_id}"
        f"{km} for ticket {loan.ticket_id}, due {loan.due_on}"
    )
    return 0


def _return(args: argparse.Namespace) -> int:
    who = _who(args)
    loan = _write(
        lambda s: loaner_pool.return_loaner(
            s, args.loaner, site_id=args.site, actor=who
        )
    )
    print(
        f"{loan.loaner_code} returned to site {loan.returned_to_site_id} "
        f"(ticket {loan.ticket_id}): now cleaning"
    )
    return 0


def _ready(args: argparse.Namespace) -> int:
    who = _who(args)
    v = _write(lambda s: loaner_pool.mark_ready(s, args.loaner, actor=who))
    print(f"{v.code} {v.state} at site {v.site_id}")
    return 0


def _transfer(args: argparse.Namespace) -> int:
    who = _who(args)
    v = _write(lambda s: loaner_pool.transfer(s, args.loaner, args.to_site, actor=who))
    print(f"{v.code} {v.state} to site {v.site_id}")
    return 0


def _arrive(args: argparse.Namespace) -> int:
    who = _who(args)
    v = _write(lambda s: loaner_pool.arrive(s, args.loaner, actor=who))
    print(f"{v.code} {v.state} at site {v.site_id}")
    return 0


def _swap(args: argparse.Namespace) -> int:
    who = _who(args)
    ids = _write(
        lambda s: loaner_pool.swap_jobs_for(s, args.ticket, args.date, actor=who)
    )
    print(f"ticket {args.ticket}: swap legs {', '.join(map(str, ids))} on {args.date}")
    return 0


def _overdue(args: argparse.Namespace) -> int:
    today = args.today or datetime.now(PARIS).date()
    rows = _read(lambda s: queries.overdue(s, today))
    if not rows:
        print(f"no overdue loan on {today}")
        return 0
    print(
        table(
            ("loaner", "customer", "phone", "email", "due", "days overdue", "ticket"),
            [
                (
                    r.loaner_code,
                    r.customer,
                    r.phone,
                    r.email,
                    r.due_on,
                    r.days_overdue,
                    r.ticket_ref,
                )
                for r in rows
            ],
        )
    )
    return 0


def _pool(args: argparse.Namespace) -> int:
    rows = _read(lambda s: queries.pool(s, args.site))
    print(
        table(
            ("site", "name", "family", "state", "count"),
            [
                (r.site_code, r.site_name, r.model_family, r.state.value, r.count)
                for r in rows
            ],
        )
    )
    return 0


def _history(args: argparse.Namespace) -> int:
    h = _read(lambda s: queries.history(s, args.loaner))
    v = h.loaner
    print(f"{v.code} {v.model} ({v.model_family}), {v.state.value} at {h.site_name}")
    print(
        table(
            ("at", "actor", "from", "to", "site", "detail"),
            [
                (
                    f"{e.at:%Y-%m-%d %H:%M}",
                    e.actor,
                    e.from_state,
                    e.to_state,
                    e.site_id,
                    e.detail,
                )
                for e in h.events
            ],
        )
    )
    return 0
