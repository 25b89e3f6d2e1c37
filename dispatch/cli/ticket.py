"""`tournee ticket show ID`, `tournee ticket move ID STATE --why ...`.

A move is one write transaction (the transition, its history event and its
audit row); an illegal move exits 2 with the lifecycle's one-line reason.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import repairs
from data.db import migrate, retry_locked, sessions, write_session
from dispatch.cli.common import ACTOR_HELP, CommandError, command_user, table
from dispatch.cli.sla import add_at_risk
from dispatch.workshop.flow import after_move
from loaner_pool.errors import LoanerPoolError
from repairs.lifecycle import get_ticket, view
from repairs.queries import ticket_detail
from repairs.sla import PARIS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ticket", help="show a repair ticket or move it through its life"
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    a = acts.add_parser("show", help="a ticket with its SLA, loan and history")
    a.add_argument("id", type=int)
    a.set_defaults(func=_show)

    a = acts.add_parser("move", help="move a ticket to another state")
    a.add_argument("id", type=int)
    a.add_argument(
        "state", type=_state, help="target state, e.g. 'at workshop' or at-workshop"
    )
    a.add_argument("--why", default="", help="recorded in the history and audit log")
    a.add_argument(
        "--path",
        choices=[p.value for p in repairs.ResolutionPath],
        help="new resolution path when re-triaging",
    )
    a.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    a.set_defaults(func=_move)

    add_at_risk(acts)
    from dispatch.cli.desk import register_open

    register_open(acts)


def _state(text: str) -> repairs.TicketState:
    value = text.strip().lower().replace("-", " ").replace("_", " ")
    try:
        return repairs.TicketState(value)
    except ValueError:
        known = ", ".join(s.value for s in repairs.TicketState)
        raise argparse.ArgumentTypeError(
            f"unknown state {text!r}; known: {known}"
        ) from None


def _move(args: argparse.Namespace) -> int:
    who = command_user(args).username  # --as/--actor USER, else the OS operator
    migrate()

    def attempt() -> tuple[repairs.TicketView, str]:
        with write_session() as s:
            v = repairs.transition(
                s, args.id, args.state, actor=who, why=args.why, path=args.path
            )
            then = after_move(s, v, actor=who, now=datetime.now(UTC))
            return view(get_ticket(s, args.id)), then

    try:
        v, then = retry_locked(attempt)
    except (repairs.RepairsError, LoanerPoolError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    nxt = ", ".join(s.value for s in v.allowed_next) or "nothing (final)"
    print(f"ticket {v.id} ({v.ref}) is now {v.status.value!r}; next: {nxt}")
    if then:
        print(then)
    return 0


def _show(args: argparse.Namespace) -> int:
    migrate()
    with sessions()() as s:
        try:
            d = ticket_detail(s, args.id, now=datetime.now(UTC))
        except repairs.RepairsError as exc:
            raise CommandError(str(exc)) from exc
    t = d.ticket
    due = f"{t.sla_due_at.astimezone(PARIS):%Y-%m-%d %H:%M}" if t.sla_due_at else "-"
    sla = f" ({d.sla.label})" if d.sla else ""
    print(f"{t.ref} (id {t.id}) {t.status.value}: {t.fault}, {t.severity}")
    print(f"customer: {d.customer} [{d.tier}] {d.phone or ''} {d.email or ''}".rstrip())
    print(
        f"triage: {t.resolution_path or '-'}, skill {t.required_skill or '-'}, "
        f"{t.duration_min} min, same day {'yes' if t.same_day_fix else 'no'}"
    )
    print(f"SLA due: {due}{sla}")
    if d.loan:
        back = f", returned {d.loan.returned_at:%Y-%m-%d}" if d.loan.returned_at else ""
        print(
            f"loaner: {d.loan.loaner_code} ({d.loan.model_family}), due {d.loan.due_on}{back}"
        )
    print(
        table(
            ("at", "actor", "from", "to", "why"),
            [
                (
                    f"{e.at.astimezone(PARIS):%Y-%m-%d %H:%M}",
                    e.actor,
                    e.from_state or "",
                    e.to_state,
                    e.why,
                )
                for e in d.history
            ],
        )
    )
    return 0
