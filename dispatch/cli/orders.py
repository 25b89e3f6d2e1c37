"""`tournee orders ...`: store pick-up bags, order state changes, relay assignment.

Thin: each change is one write transaction (``data.db.write_session``, retried
whole when SQLite reports a lock) around one service; a refusal (illegal state
change, another store's order, no relay with room) is one line on stderr and
exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import migrate, sessions
from data.models import Site
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import ACTOR_HELP, CommandError, command_user, write
from dispatch.deliveries import flows as deliveries
from dispatch.deliveries import relays, store_bags
from dispatch.deliveries.flows import PARIS, OrderChange, OrderState

T = TypeVar("T")
REFUSALS = (
    deliveries.IllegalTransition,
    store_bags.WrongStore,
    relays.NoRelayCapacity,
    AccessDenied,
    LookupError,
    ValueError,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "orders", help="store pick-up bags, delivery order states, relay points"
    )
    p.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    a = acts.add_parser(
        "bags", help="a store's bags to prepare for a day (preparation sheet)"
    )
    a.add_argument("--store", required=True, help="store code (STO-001) or site id")
    a.add_argument("--date", type=date.fromisoformat, required=True)
    a.add_argument(
        "--csv", dest="csv_path", default=None, help="write the sheet as CSV here"
    )
    a.add_argument(
        "--html",
        dest="html_path",
        default=None,
        help="write the print-friendly page here",
    )
    a.set_defaults(func=_bags)

    for name, target, text in (
        (
            "ready",
            OrderState.READY,
            "a store bag is prepared: ready, customer notified",
        ),
        (
            "collected",
            OrderState.COLLECTED,
            "the customer collected the order (store or relay)",
        ),
    ):
        a = acts.add_parser(name, help=text)
        a.add_argument("order", help="order id or ref (O300012)")
        a.add_argument(
            "--store",
            default=None,
            help="acting store staff's store (code or id): refuses other stores' orders",
        )
        a.set_defaults(func=_store_action, target=target)

    a = acts.add_parser("move", help="move an order to another state (dispatcher)")
    a.add_argument("order")
    a.add_argument("state", help=f"one of: {', '.join(s.value for s in OrderState)}")
    a.add_argument("--why", default="")
    a.set_defaults(func=_move)

    a = acts.add_parser(
        "failed", help="a delivery attempt failed: re-plan next delivery day"
    )
    a.add_argument("order")
    a.add_argument("--why", default="")
    a.set_defaults(func=_failed)

    a = acts.add_parser(
        "expire", help="return orders uncollected after their holding period"
    )
    a.add_argument("--date", type=date.fromisoformat, required=True, help="today")
    a.set_defaults(func=_expire)

    a = acts.add_parser(
        "load", help="the vans leave: a courier plan's orders go out for delivery"
    )
    a.add_argument("--plan", type=int, required=True, help="courier plan id")
    a.set_defaults(func=_load)

    a = acts.add_parser(
        "left-out", help="every order a courier plan leaves out, with the reason"
    )
    a.add_argument("--plan", type=int, required=True, help="courier plan id")
    a.set_defaults(func=_left_out)

    a = acts.add_parser(
        "relays",
        help="assign relay-point orders of a day to the nearest relay with room",
    )
    a.add_argument("--date", type=date.fromisoformat, required=True)
    a.set_defaults(func=_relays)


def _actor(args: argparse.Namespace) -> Any:
    """The acting principal: ``tournee --as USER`` (or this group's ``--actor USER``),
    else the OS operator; the delivery services check its role."""
    return command_user(args)


def _write(fn: Callable[[Session], T]) -> T:
    return write(fn, REFUSALS)


def _store_id(session: Session, key: str) -> int:
    site = (
        session.get(Site, int(key))
        if key.isdigit()
        else session.scalar(select(Site).where(Site.code == key))
    )
    if site is None or site.kind != "store":
        raise LookupError(f"{key!r} is not a store")
    return site.id


def _print_change(c: OrderChange) -> None:
    extra = ""
    if c.target == OrderState.NEW.value and c.attempts:
        extra = (
            f", re-planned for {c.promised_on.isoformat()} (attempt {c.attempts + 1})"
        )
    if c.holding_until and c.target in (
        OrderState.READY.value,
        OrderState.DROPPED.value,
    ):
        extra = f", held until {c.holding_until.isoformat()}"
    print(f"order {c.ref}: {c.source} -> {c.target}{extra}")
    if c.notification:
        print(f"  notified: {c.notification}")


def _bags(args: argparse.Namespace) -> int:
    actor = _actor(args)
    migrate()
    with sessions()() as s:
        try:
            sid = _store_id(s, args.store)
            store = s.get_one(Site, sid)
            bags = store_bags.bags_to_prepare(s, sid, args.date, actor=actor)
        except (LookupError, AccessDenied) as exc:
            raise CommandError(str(exc)) from exc
    print(
        f"{store.code} {store.name}, {args.date}: {len(bags)} bags, {sum(b.parcels for b in bags)} parcels"
    )
    for b in bags:
        print(
            f"  {b.deadline_at.astimezone(PARIS).strftime('%H:%M')}  {b.ref}  {b.customer}  [{b.tier}, {b.score}]  "
            f"{b.parcels} × {b.items}"
        )
    if args.csv_path:
        Path(args.csv_path).write_text(store_bags.sheet_csv(bags), encoding="utf-8")
    if args.html_path:
        Path(args.html_path).write_text(
            store_bags.sheet_html(store.name, args.date, bags), encoding="utf-8"
        )
    return 0


def _store_action(args: argparse.Namespace) -> int:
    actor = _actor(args)

    def act(s: Session) -> OrderChange:
        if args.store is None:
            return deliveries.transition(s, args.order, args.target, actor=actor)
        sid = _store_id(s, args.store)
        fn = (
            store_bags.mark_ready
            if args.target == OrderState.READY
            else store_bags.mark_collected
        )
        return fn(s, args.order, store_id=sid, actor=actor)

    _print_change(_write(act))
    return 0


def _move(args: argparse.Namespace) -> int:
    actor = _actor(args)
    _print_change(
        _write(
            lambda s: deliveries.transition(
                s, args.order, args.state, actor=actor, why=args.why
            )
        )
    )
    return 0


def _failed(args: argparse.Namespace) -> int:
    actor = _actor(args)
    _print_change(
        _write(
            lambda s: deliveries.fail_attempt(s, args.order, actor=actor, why=args.why)
        )
    )
    return 0


def _expire(args: argparse.Namespace) -> int:
    actor = _actor(args)
    changes = _write(lambda s: deliveries.expire_uncollected(s, args.date, actor=actor))
    for c in changes:
        _print_change(c)
    print(f"{len(changes)} order(s) returned after their holding period")
    return 0


def _relays(args: argparse.Namespace) -> int:
    actor = _actor(args)
    done, refused = _write(lambda s: relays.assign_relays(s, args.date, actor=actor))
    for c in done:
        print(
            f"order {c.order_ref} -> {c.relay_code} ({c.distance_km} km, choice {c.rank}, "
            f"{c.load_after}/{c.capacity})"
        )
    for msg in refused:
        print(f"refused: {msg}")
    print(f"{len(done)} assigned, {len(refused)} without room")
    return 0 if not refused else 1


def _load(args: argparse.Namespace) -> int:
    actor = _actor(args)
    changes = _write(lambda s: deliveries.load_plan_orders(s, args.plan, actor=actor))
    print(f"plan {args.plan}: {len(changes)} order(s) out for delivery")
    return 0


def _left_out(args: argparse.Namespace) -> int:
    from dispatch.planning.couriers import unplannable_orders
    from dispatch.planning.left_out import left_out_orders
    from dispatch.planning.plans import load_plan

    migrate()
    with sessions()() as s:
        try:
            view = load_plan(s, args.plan)
            rows = left_out_orders(s, args.plan) + unplannable_orders(s, view.day)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
    for x in rows:
        print(
            f"{x.ref}\t{x.job_ref or '-'}\t{x.reason}{' - ' + x.detail if x.detail else ''}"
        )
    print(f"{len(rows)} order(s) left out of plan {args.plan}")
    return 0
