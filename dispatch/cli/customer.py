"""`tournee customer find PHONE_OR_EMAIL`, `tournee loyalty expiring|refresh|redeem`.

``customer find`` exits 1 when nobody has that number or address, 2 (one
line) when the input is neither. ``loyalty expiring`` prints the members to
notify, soonest expiry first (``--csv FILE`` writes the same rows).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from data.db import migrate, retry_locked, sessions, write_session
from dispatch.cli.common import ACTOR_HELP, CommandError, command_user, table
from dispatch.loyalty.customers import CustomerCard, find_customer
from dispatch.loyalty.rules import DEFAULT_CONFIG
from dispatch.loyalty.service import (
    ExpiringMember,
    LoyaltyError,
    RefreshCounts,
    expiring,
    redeem,
    refresh_tiers,
)
from repairs.sla import PARIS


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("customer", help="find a customer by phone or e-mail")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser("find", help="member, tier, perk position and points")
    a.add_argument(
        "contact",
        metavar="PHONE_OR_EMAIL",
        help="e.g. '06 12 34 56 78' or jane@example.fr",
    )
    a.add_argument(
        "--date", type=_day, default=None, help="status on this day (default: today)"
    )
    a.add_argument(
        "--days", type=_days, default=30, help="expiry window for points (default 30)"
    )
    a.set_defaults(func=_find)

    p = sub.add_parser(
        "loyalty", help="loyalty programme: expiring points, tiers, redemptions"
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser("expiring", help="members whose points expire within --days")
    a.add_argument("--days", type=_days, default=30)
    a.add_argument(
        "--date", type=_day, default=None, help="from this day (default: today)"
    )
    a.add_argument(
        "--csv", type=Path, metavar="FILE", help="also write the rows as CSV"
    )
    a.set_defaults(func=_expiring)

    a = acts.add_parser("refresh", help="recompute every member's cached tier")
    a.add_argument("--date", type=_day, default=None)
    a.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    a.set_defaults(func=_refresh)

    a = acts.add_parser("redeem", help="spend a member's points")
    a.add_argument("contact", metavar="PHONE_OR_EMAIL")
    a.add_argument("points", type=int)
    a.add_argument("--date", type=_day, default=None)
    a.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    a.set_defaults(func=_redeem)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of days >= 0: {text!r}")
    return value


def _today(value: date | None) -> date:
    return value or datetime.now(PARIS).date()


def _find(args: argparse.Namespace) -> int:
    migrate()
    with sessions()() as s:
        try:
            cards = find_customer(
                s, args.contact, on=_today(args.date), expiring_within_days=args.days
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    if not cards:
        print(f"tournee customer: no customer with {args.contact!r}", file=sys.stderr)
        return 1
    print("\n\n".join(card_text(c, args.days) for c in cards))
    return 0


def card_text(c: CustomerCard, days: int) -> str:
    """The card as a few lines of text."""
    lines = [
        f"{c.name} ({c.ref}), {c.postcode} {c.town}",
        f"contact: {c.contact or '-'}",
    ]
    member = f"member since {c.enrolled_on}" if c.is_member else "not a loyalty member"
    lines.append(f"{member}; open tickets: {c.open_tickets}")
    tier = f"tier: {c.tier.value}, {c.spend_12m} € over 12 months"
    if c.next_tier is not None:
        tier += f"; {c.missing_to_next} € to {c.next_tier.value}"
    lines.append(tier)
    cyc = c.cycle
    perk = (
        f"perks: {c.online_orders} online orders, cycle position {cyc.position}"
        f"/{DEFAULT_CONFIG.cycle_length}; next: {cyc.next_perk.label} at position "
        f"{cyc.next_perk_position} (in {cyc.orders_to_next} order"
        f"{'s' if cyc.orders_to_next != 1 else ''})"
    )
    lines.append(perk)
    if c.last_online_perk is not None:
        lines.append(
            f"last online order ({c.last_online_amount} €): {c.last_online_perk.label}"
        )
    if c.is_member:
        pts = f"points: {c.points_balance}"
        if c.expiring:
            pts += f"; {c.expiring_points} expire within {days} days (first on {c.next_expiry})"
        lines.append(pts)
    return "\n".join(lines)


EXPIRING_HEADERS = ("expires on", "points", "balance", "ref", "name", "phone", "email")


def _row(m: ExpiringMember) -> tuple[object, ...]:
    return (
        m.expires_on,
        m.points,
        m.balance,
        m.ref,
        m.name,
        m.phone or "",
        m.email or "",
    )


def _expiring(args: argparse.Namespace) -> int:
    migrate()
    day = _today(args.date)
    with sessions()() as s:
        members = expiring(s, day, args.days)
    rows = [_row(m) for m in members]
    if args.csv is not None:
        _write_csv(args.csv, EXPIRING_HEADERS, rows)
    if not members:
        print(f"no member has points expiring from {day} within {args.days} days")
        return 0
    print(table(EXPIRING_HEADERS, rows))
    total = sum(m.points for m in members)
    print(
        f"{len(members)} members to notify; {total} points expire within {args.days} days of {day}"
    )
    return 0


def _write_csv(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(headers)
            w.writerows(rows)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}") from exc


def _refresh(args: argparse.Namespace) -> int:
    who = command_user(args).username  # --as/--actor USER, else the OS operator
    migrate()
    day = _today(args.date)

    def attempt() -> RefreshCounts:
        with write_session() as s:
            return refresh_tiers(s, day, actor=who)

    counts = retry_locked(attempt)
    per = ", ".join(f"{t.value} {n}" for t, n in counts.by_tier.items())
    print(
        f"{counts.accounts} accounts on {day}: {counts.changed} changed "
        f"({counts.upgraded} up, {counts.downgraded} down); {per}"
    )
    return 0


def _redeem(args: argparse.Namespace) -> int:
    who = command_user(args).username  # --as/--actor USER, else the OS operator
    migrate()
    day = _today(args.date)

    def attempt() -> tuple[CustomerCard, int]:
        with write_session() as s:
            cards = find_customer(s, args.contact, on=day)
            if len(cards) != 1:
                raise CommandError(
                    f"{len(cards)} customers with {args.contact!r}; need exactly one"
                )
            return cards[0], redeem(
                s, cards[0].customer_id, args.points, day, actor=who
            )

    try:
        card, balance = retry_locked(attempt)
    except (LoyaltyError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    print(
        f"{card.name} ({card.ref}) redeemed {args.points} points on {day}; balance {balance}"
    )
    return 0
