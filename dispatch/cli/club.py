"""`tournee club enrol PHONE_OR_EMAIL [--club yes|no]`: enrol a customer in the loyalty club.

The customer is found by phone (any written form) or e-mail; a second
enrolment is refused (exit 2, one line). ``--club yes`` records consent to club
reminders (capsules, descaling, points, perks) at the same time.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from data.base import PARIS
from dispatch.cli.common import cli_user, write
from dispatch.loyalty.customers import parse_contact
from dispatch.loyalty.enrol import EnrolError, enrol
from dispatch.notices.prefs import PreferenceError, set_preferences

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("club", help="the loyalty club: enrol members")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser("enrol", help="enrol the customer with this phone or e-mail")
    a.add_argument("contact", metavar="PHONE_OR_EMAIL")
    a.add_argument(
        "--club", choices=["yes", "no"], default="no", help="consent to club reminders"
    )
    a.set_defaults(func=_enrol)


def _enrol(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from data.models import Customer

    actor = cli_user()

    def change(s: Session) -> str:
        try:
            kind, value = parse_contact(args.contact)
        except ValueError as exc:
            raise EnrolError(str(exc)) from None
        column = Customer.email if kind == "email" else Customer.phone
        found = list(
            s.scalars(select(Customer).where(column == value).order_by(Customer.ref))
        )
        if len(found) != 1:
            raise EnrolError(
                f"no customer with {args.contact!r}"
                if not found
                else f"{len(found)} customers share {args.contact!r}: {', '.join(c.ref for c in found)}"
            )
        now = datetime.now(PARIS)
        account = enrol(
            s, actor, found[0].id, on=now.date(), club_consent=args.club == "yes"
        )
        set_preferences(
            s, actor.username, found[0].id, at=now, club_consent=args.club == "yes"
        )
        return f"{found[0].ref} ({found[0].name}) enrolled: tier {account.tier}, club reminders {args.club}"

    print(write(change, (EnrolError, PreferenceError)))
    return 0
