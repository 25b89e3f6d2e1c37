"""`tournee visit slots --ticket REF [--days N] [--json F]`, `tournee visit book --ticket REF --slot ID`.

``slots`` prints the arrival windows the rounds can keep (JSON: ``{"ticket": REF,
"offers": [{"id", "day", "start", "end", "technician", "added_km", "sla_met"}]}``,
times ISO 8601 with their offset). ``book`` books one; a slot taken meanwhile is
refused on one line (exit 2) and the fresh offers are printed on stdout. The
``visit`` group may already exist (``visit status``): these actions join it.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import RepairTicket
from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.booking.book import SlotTaken
from dispatch.booking.offers import BookingError, Offers
from dispatch.booking.rules import BookingRules
from dispatch.cli.common import CommandError, cli_user, read, table, write
from dispatch.views.booking import book_slot, slot_offers
from repairs.errors import RepairsError


def _visit_group(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    parser = sub.choices.get("visit")
    if parser is None:
        parser = sub.add_parser("visit", help="book technician visits")
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def _rules(args: argparse.Namespace) -> BookingRules:
    try:
        return BookingRules(
            window_min=int(args.window_hours * 60),
            offers=args.offers,
            days=args.days,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _common(a: argparse.ArgumentParser) -> None:
    a.add_argument("--ticket", required=True, help="ticket reference, e.g. R100012")
    a.add_argument("--days", type=int, default=5, help="working days ahead (default 5)")
    a.add_argument("--window-hours", type=float, default=2.0, help="window length")
    a.add_argument("--offers", type=int, default=3, help="how many offers (default 3)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    acts = _visit_group(sub)
    a = acts.add_parser("slots", help="arrival windows to offer for an on-site ticket")
    _common(a)
    a.add_argument("--json", type=Path, metavar="FILE", help="also write the offers")
    a.set_defaults(func=_slots)
    a = acts.add_parser("book", help="book an offered slot for the ticket")
    _common(a)
    a.add_argument("--slot", required=True, help="an offer id from `visit slots`")
    a.set_defaults(func=_book)


REFUSED = (BookingError, RepairsError, AccessDenied, ValueError, LookupError)


def ticket_id(s: Session, ref: str) -> int:
    text = ref.strip()
    tid = s.scalar(select(RepairTicket.id).where(RepairTicket.ref == text))
    if tid is None:
        raise BookingError(f"ticket {text!r} does not exist")
    return int(tid)


def _print(o: Offers) -> None:
    if not o.offers:
        print(f"{o.ticket_ref}: no slot ({o.note})")
        return
    print(
        table(
            ("slot", "window", "technician", "added km", "SLA"),
            [
                (
                    x.id,
                    labels.window(x.slot.start, x.slot.end),
                    x.technician,
                    f"{x.added_km:.1f}",
                    "met" if x.sla_met else "missed",
                )
                for x in o.offers
            ],
        )
    )


def _slots(args: argparse.Namespace) -> int:
    rules = _rules(args)
    now = datetime.now(UTC)
    user = cli_user()
    o = read(
        lambda s: slot_offers(s, user, ticket_id(s, args.ticket), now=now, rules=rules),
        REFUSED,
    )
    _print(o)
    if args.json:
        args.json.write_text(json.dumps(o.as_json(), indent=2), encoding="utf-8")
    return 0


def _book(args: argparse.Namespace) -> int:
    rules = _rules(args)
    now = datetime.now(UTC)
    user = cli_user()
    try:
        b = write(
            lambda s: book_slot(
                s,
                user,
                ticket_id(s, args.ticket),
                args.slot,
                now=now,
                rules=rules,
            ),
            (),
        )
    except SlotTaken as exc:
        if exc.fresh is not None:
            _print(exc.fresh)
        raise CommandError(str(exc)) from None
    except REFUSED as exc:
        raise CommandError(str(exc).splitlines()[0]) from None
    print(f"{b.ticket_ref} booked: {b.label} (+{b.added_km:.1f} km)")
    return 0
