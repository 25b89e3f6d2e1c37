"""Delivery order flows: each mode's states and rules as data, one audited change at a time.

Three flows, one table each (:data:`FLOWS`); an order follows the flow of its
``mode`` whatever its ``kind`` (a repair pick-up or a loaner leg is a ``home``
order: "delivered" then means handed over at the far end of the leg).

Home::

    new --load--> out for delivery --deliver--> delivered
                  out for delivery --fail--> failed attempt --re-plan--> new (next delivery day,
                                                                              attempts + 1)
                                             failed attempt --give up--> returned to stock
                                                                      (after MAX_ATTEMPTS)
Store pick-up::

    to prepare --bag ready (customer notified)--> ready --collect--> collected
                                                  ready --holding period over--> returned to stock
Relay point::

    new --load--> out for delivery --drop--> dropped at relay --collect--> collected
                  out for delivery --fail--> failed attempt --re-plan--> new
                                                          dropped at relay --holding over--> returned

Every change goes through :func:`transition`: it checks the table (and the
guard named there), applies the change's side effects (timestamps, attempts,
holding date, next promised day), and writes an ``AuditLog`` row in the
caller's transaction. Services never commit. An illegal change raises
:class:`IllegalTransition`, whose message names the order, its current state
and the state asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS as PARIS
from data.enums import DeliveryMode, Role
from data.models import Customer, DeliveryOrder, Site
from dispatch.access.roles import AccessDenied, Principal, acting, store_scope
from dispatch.deliveries.relays import keep_or_reassign
from dispatch.deliveries.states import (
    DELIVERY_DAYS as DELIVERY_DAYS,
)
from dispatch.deliveries.states import (
    FLOWS,
    GUARDS,
    MAX_ATTEMPTS,
    IllegalTransition,
    OrderState,
    Transition,
    allowed_targets,
    flow_of,
    next_delivery_day,
)
from dispatch.stock.legs import carry_plan_transfers
from dispatch.workshop.flow import leg_moved

__all__ = [
    "FLOWS",
    "MAX_ATTEMPTS",
    "IllegalTransition",
    "OrderChange",
    "OrderState",
    "Transition",
    "allowed_targets",
    "deliver",
    "drop_at_relay",
    "expire_uncollected",
    "fail_attempt",
    "find_order",
    "flow_of",
    "load_on_van",
    "load_plan_orders",
    "next_delivery_day",
    "transition",
]

S = OrderState


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What a transition did. ``notification`` is the message sent to the customer, if any."""

    order_id: int
    ref: str
    mode: str
    source: str
    target: str
    promised_on: date
    attempts: int
    holding_until: date | None
    notification: str | None = None


def find_order(session: Session, key: int | str) -> DeliveryOrder:
    """An order by id (int or digits) or by ref (``O300012``); ``LookupError`` if none."""
    text = str(key).strip()
    order = session.get(DeliveryOrder, int(text)) if text.isdigit() else None
    if order is None:
        order = session.scalar(select(DeliveryOrder).where(DeliveryOrder.ref == text))
    if order is None:
        raise LookupError(f"delivery order {text!r} does not exist")
    return order


def _local_day(at: datetime) -> date:
    return at.astimezone(PARIS).date()


def transition(
    session: Session,
    order_id: int | str,
    target: str,
    *,
    actor: Principal,
    at: datetime | None = None,
    why: str = "",
) -> OrderChange:
    """Move one order to ``target`` if its flow allows it and ``actor`` may; audit it.

    Parameters
    ----------
    order_id
        Id or ref of the order.
    target
        An :class:`OrderState` value.
    actor
        The acting user: a dispatcher moves any order; store staff only mark their own
        store's pick-up bags ready or collected (:data:`STORE_MOVES`).
    at
        When it happened (aware; default now). Its Paris date is "today" for
        guards (holding period) and re-planning.

    Raises
    ------
    IllegalTransition
        The flow has no such change from the current state, or its guard fails.
    AccessDenied
        ``actor`` may not make this change.
    LookupError
        No such order.
    """
    name = acting(actor, Role.DISPATCHER, Role.STORE_STAFF)
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError(f"'at' must be timezone-aware, got {at!r}")
    target = str(target)  # a StrEnum member reads as its value in messages
    order = find_order(session, order_id)
    _check_store_move(actor, order, target)
    source = order.status
    on = _local_day(at)
    mode_name = {
        "home": "home delivery",
        "store pick-up": "store pick-up",
        "relay point": "relay-point order",
    }
    what = f"order {order.ref} ({mode_name.get(order.mode, order.mode)})"
    try:
        target_state = OrderState(target)
    except ValueError:
        raise IllegalTransition(
            f"{what} is {source!r}: {target!r} is not an order state "
            f"(known: {', '.join(s.value for s in OrderState)})",
            order_ref=order.ref,
            current=source,
            attempted=target,
        ) from None
    options = [
        t
        for t in flow_of(order.mode)
        if t.source.value == source and t.target is target_state
    ]
    if not options:
        allowed = allowed_targets(order.mode, source)
        hint = (
            f"from {source!r} it can become: {', '.join(allowed)}"
            if allowed
            else f"{source!r} is final"
        )
        raise IllegalTransition(
            f"{what} is {source!r}: it cannot become {target!r}; {hint}",
            order_ref=order.ref,
            current=source,
            attempted=target,
        )
    rule = options[0]
    if rule.guard is not None:
        refusal = GUARDS[rule.guard](order, on)
        if refusal is not None:
            raise IllegalTransition(
                f"{what} is {source!r}: it cannot become {target!r} yet: {refusal}",
                order_ref=order.ref,
                current=source,
                attempted=target,
            )
    change: dict[str, object] = {
        "ref": order.ref,
        "from": source,
        "to": target_state.value,
        "rule": rule.action,
    }
    notification = _apply(session, order, target_state, at, on, change)
    order.status = target_state.value
    if why:
        change["why"] = why
    record(session, name, "delivery_order", order.id, "status", **change)
    if notification is not None:
        record(
            session,
            name,
            "delivery_order",
            order.id,
            "notify",
            ref=order.ref,
            channel=_channel(session, order),
            message=notification,
        )
    if order.ticket_id is not None:  # a repair leg: the ticket (and loan) move on
        leg_moved(session, order, target_state.value, actor=name, at=at)
    session.flush()
    return OrderChange(
        order.id,
        order.ref,
        order.mode,
        source,
        order.status,
        order.promised_on,
        order.attempts or 0,
        order.holding_until,
        notification,
    )


#: The changes store staff may make, on their own store's pick-up orders only.
STORE_MOVES = frozenset({OrderState.READY.value, OrderState.COLLECTED.value})


def _check_store_move(actor: Principal, order: DeliveryOrder, target: str) -> None:
    own = store_scope(actor)  # None for dispatchers (and admins)
    if own is None:
        return
    if (
        order.mode != DeliveryMode.STORE_PICKUP.value
        or order.destination_site_id != own
        or target not in STORE_MOVES
    ):
        raise AccessDenied(
            actor.username,
            f"move order {order.ref} to {target!r} (store staff: their store's "
            "pick-up bags, ready or collected)",
        )


def _apply(
    session: Session,
    order: DeliveryOrder,
    target: OrderState,
    at: datetime,
    on: date,
    change: dict[str, object],
) -> str | None:
    """Side effects of reaching ``target``; returns the customer notification, if any."""
    site = (
        session.get(Site, order.destination_site_id)
        if order.destination_site_id
        else None
    )
    if target is S.DELIVERED:
        order.delivered_at = at
    elif target is S.FAILED:
        order.attempts = (order.attempts or 0) + 1
        change["attempts"] = order.attempts
    elif target is S.NEW and order.status == S.FAILED.value:
        new_day = next_delivery_day(max(order.promised_on, on))
        shift = new_day - order.promised_on
        change["promised_on"] = (
            f"{order.promised_on.isoformat()} -> {new_day.isoformat()}"
        )
        order.promised_on = new_day
        if order.window_start is not None and order.window_end is not None:
            order.window_start, order.window_end = (
                order.window_start + shift,
                order.window_end + shift,
            )
        if (
            order.mode == DeliveryMode.RELAY.value
            and order.destination_site_id is not None
        ):
            moved = keep_or_reassign(session, order)
            if moved is not None:
                change["relay"] = moved
    elif target is S.READY:
        order.ready_at = at
        order.holding_until = on + timedelta(days=site.holding_days if site else 10)
        change["holding_until"] = order.holding_until
        return _ready_message(session, order, site)
    elif target is S.DROPPED:
        order.delivered_at = at
        order.holding_until = on + timedelta(days=site.holding_days if site else 10)
        change["holding_until"] = order.holding_until
        return _ready_message(session, order, site)
    elif target is S.COLLECTED:
        order.collected_at = at
    return None


def _ready_message(session: Session, order: DeliveryOrder, site: Site | None) -> str:
    customer = session.get(Customer, order.customer_id)
    name = customer.name if customer else "customer"
    where = (
        f"{site.name}, {site.address}, {site.town}" if site else "your pick-up point"
    )
    until = order.holding_until.strftime("%d/%m/%Y") if order.holding_until else "soon"
    return (
        f"Hello {name}, your order {order.ref} is ready for collection at {where} "
        f"until {until}. Please bring the order number."
    )


def _channel(session: Session, order: DeliveryOrder) -> str:
    c = session.get(Customer, order.customer_id)
    if c is not None and c.phone:
        return f"sms {c.phone}"
    if c is not None and c.email:
        return f"email {c.email}"
    return "none on file"


# --- named actions -------------------------------------------------------------------


def load_on_van(
    session: Session,
    order_id: int | str,
    *,
    actor: Principal,
    at: datetime | None = None,
) -> OrderChange:
    """new -> out for delivery (home and relay orders)."""
    return transition(session, order_id, S.OUT, actor=actor, at=at)


def deliver(
    session: Session,
    order_id: int | str,
    *,
    actor: Principal,
    at: datetime | None = None,
) -> OrderChange:
    """out for delivery -> delivered (home orders)."""
    return transition(session, order_id, S.DELIVERED, actor=actor, at=at)


def drop_at_relay(
    session: Session,
    order_id: int | str,
    *,
    actor: Principal,
    at: datetime | None = None,
) -> OrderChange:
    """out for delivery -> dropped at relay; the holding period starts, the customer is notified."""
    return transition(session, order_id, S.DROPPED, actor=actor, at=at)


def fail_attempt(
    session: Session,
    order_id: int | str,
    *,
    actor: Principal,
    at: datetime | None = None,
    why: str = "",
) -> OrderChange:
    """A failed delivery: attempts + 1, then re-planned on the next delivery day (back to ``new``)
    or, after :data:`MAX_ATTEMPTS`, returned to stock. Returns the final change.
    A dispatcher's call (``AccessDenied`` otherwise)."""
    acting(actor, Role.DISPATCHER)
    first = transition(session, order_id, S.FAILED, actor=actor, at=at, why=why)
    target = S.NEW if first.attempts < MAX_ATTEMPTS else S.RETURNED_TO_STOCK
    return transition(session, first.order_id, target, actor=actor, at=at)


def expire_uncollected(
    session: Session, today: date, *, actor: Principal, at: datetime | None = None
) -> list[OrderChange]:
    """Orders waiting past their holding date go back: ready -> returned to stock (stores),
    dropped at relay -> returned (relays). Run once a day, by a dispatcher (or the CLI's
    operator)."""
    acting(actor, Role.DISPATCHER)
    at = at or datetime.combine(
        today, datetime.min.time().replace(hour=20), tzinfo=PARIS
    )
    q = (
        select(DeliveryOrder.id, DeliveryOrder.mode)
        .where(
            DeliveryOrder.status.in_([S.READY.value, S.DROPPED.value]),
            DeliveryOrder.holding_until.is_not(None),
            DeliveryOrder.holding_until < today,
        )
        .order_by(DeliveryOrder.id)
    )
    out = []
    for oid, mode in session.execute(q).all():
        target = (
            S.RETURNED_TO_STOCK
            if mode == DeliveryMode.STORE_PICKUP.value
            else S.RETURNED
        )
        out.append(
            transition(
                session, oid, target, actor=actor, at=at, why="holding period over"
            )
        )
    return out


def load_plan_orders(
    session: Session, plan_id: int, *, actor: Principal, at: datetime | None = None
) -> list[OrderChange]:
    """The vans leave: every ``new`` order on a route of courier plan ``plan_id`` goes
    out for delivery (store pick-up orders keep their own flow: the store prepares them),
    and the loaners of its transfer legs go in transit (:mod:`dispatch.stock.legs`).
    A dispatcher's call (``AccessDenied`` otherwise)."""
    name = acting(actor, Role.DISPATCHER)
    from data.models import PlanRoute, PlanStop

    ids = session.scalars(
        select(PlanStop.delivery_id)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan_id, PlanStop.delivery_id.is_not(None))
        .distinct()
    ).all()
    carry_plan_transfers(session, plan_id, actor=name)  # loaner transfers leave too
    out = []
    for oid in sorted(i for i in ids if i is not None):
        order = session.get_one(DeliveryOrder, oid)
        if order.status == S.NEW.value:
            out.append(
                transition(
                    session, oid, S.OUT, actor=actor, at=at, why=f"plan {plan_id}"
                )
            )
    return out
