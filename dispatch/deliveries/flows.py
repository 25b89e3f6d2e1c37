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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS as PARIS
from data.enums import DeliveryMode
from data.models import Customer, DeliveryOrder, Site
from dispatch.deliveries.relays import keep_or_reassign

MAX_ATTEMPTS = 3
"""A home or relay order that failed this many times goes back to stock."""
DELIVERY_DAYS = (0, 1, 2, 3, 4, 5)
"""Weekdays the vans run (Monday to Saturday): a failed attempt is re-planned on the next one."""

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


class OrderState(StrEnum):
    """Values stored in ``DeliveryOrder.status`` (human-readable: the UI shows them)."""

    NEW = "new"
    TO_PREPARE = "to prepare"
    OUT = "out for delivery"
    DELIVERED = "delivered"
    FAILED = "failed attempt"
    READY = "ready"
    COLLECTED = "collected"
    RETURNED_TO_STOCK = "returned to stock"
    DROPPED = "dropped at relay"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed change. ``guard`` names a rule of :data:`GUARDS` that must hold."""

    source: OrderState
    target: OrderState
    action: str
    guard: str | None = None


S = OrderState
FLOWS: Mapping[DeliveryMode, tuple[Transition, ...]] = {
    DeliveryMode.HOME: (
        Transition(S.NEW, S.OUT, "load on a van"),
        Transition(S.OUT, S.DELIVERED, "deliver"),
        Transition(S.OUT, S.FAILED, "record a failed attempt"),
        Transition(
            S.FAILED, S.NEW, "re-plan on the next delivery day", "attempts left"
        ),
        Transition(
            S.FAILED, S.RETURNED_TO_STOCK, "give up: back to stock", "no attempts left"
        ),
    ),
    DeliveryMode.STORE_PICKUP: (
        Transition(S.TO_PREPARE, S.READY, "bag ready: notify the customer"),
        Transition(S.READY, S.COLLECTED, "collected by the customer"),
        Transition(
            S.READY,
            S.RETURNED_TO_STOCK,
            "uncollected: back to stock",
            "holding period over",
        ),
    ),
    DeliveryMode.RELAY: (
        Transition(S.NEW, S.OUT, "load on a van"),
        Transition(S.OUT, S.DROPPED, "drop at the relay point"),
        Transition(S.OUT, S.FAILED, "record a failed attempt"),
        Transition(
            S.FAILED, S.NEW, "re-plan on the next delivery day", "attempts left"
        ),
        Transition(
            S.FAILED, S.RETURNED_TO_STOCK, "give up: back to stock", "no attempts left"
        ),
        Transition(S.DROPPED, S.COLLECTED, "collected by the customer"),
        Transition(
            S.DROPPED, S.RETURNED, "uncollected: returned", "holding period over"
        ),
    ),
}
"""The flows, as data: (mode) -> allowed transitions."""


def _holding_over(order: DeliveryOrder, on: date) -> str | None:
    if order.holding_until is None:
        return "it has no holding date"
    if on <= order.holding_until:
        return f"it is held until {order.holding_until.isoformat()} (today {on.isoformat()})"
    return None


GUARDS: Mapping[str, Callable[[DeliveryOrder, date], str | None]] = {
    "attempts left": lambda o, _on: (
        None
        if (o.attempts or 0) < MAX_ATTEMPTS
        else f"it already failed {o.attempts} times (max {MAX_ATTEMPTS})"
    ),
    "no attempts left": lambda o, _on: (
        None
        if (o.attempts or 0) >= MAX_ATTEMPTS
        else f"only {o.attempts} of {MAX_ATTEMPTS} attempts made"
    ),
    "holding period over": _holding_over,
}
"""Guard name -> check returning why the change is refused (None = allowed)."""


class IllegalTransition(ValueError):
    """A change the order's flow does not allow; the message says which and why."""

    def __init__(
        self, message: str, *, order_ref: str, current: str, attempted: str
    ) -> None:
        super().__init__(message)
        self.order_ref, self.current, self.attempted = order_ref, current, attempted


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


def flow_of(mode: str) -> tuple[Transition, ...]:
    """The transition table of an order mode (``ValueError`` naming it if unknown)."""
    try:
        return FLOWS[DeliveryMode(mode)]
    except ValueError:
        raise ValueError(
            f"unknown delivery mode {mode!r}; known: "
            f"{', '.join(m.value for m in DeliveryMode)}"
        ) from None


def allowed_targets(mode: str, state: str) -> tuple[str, ...]:
    """States an order of this mode may move to from ``state``."""
    return tuple(t.target.value for t in flow_of(mode) if t.source.value == state)


def next_delivery_day(after: date) -> date:
    """The first van day strictly after ``after`` (Sundays skipped)."""
    d = after + timedelta(days=1)
    while d.weekday() not in DELIVERY_DAYS:
        d += timedelta(days=1)
    return d


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
    actor: str,
    at: datetime | None = None,
    why: str = "",
) -> OrderChange:
    """Move one order to ``target`` if its flow allows it; audit the change.

    Parameters
    ----------
    order_id
        Id or ref of the order.
    target
        An :class:`OrderState` value.
    at
        When it happened (aware; default now). Its Paris date is "today" for
        guards (holding period) and re-planning.

    Raises
    ------
    IllegalTransition
        The flow has no such change from the current state, or its guard fails.
    LookupError
        No such order.
    """
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError(f"'at' must be timezone-aware, got {at!r}")
    target = str(target)  # a StrEnum member reads as its value in messages
    order = find_order(session, order_id)
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
    record(session, actor, "delivery_order", order.id, "status", **change)
    if notification is not None:
        record(
            session,
            actor,
            "delivery_order",
            order.id,
            "notify",
            ref=order.ref,
            channel=_channel(session, order),
            message=notification,
        )
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
    session: Session, order_id: int | str, *, actor: str, at: datetime | None = None
) -> OrderChange:
    """new -> out for delivery (home and relay orders)."""
    return transition(session, order_id, S.OUT, actor=actor, at=at)


def deliver(
    session: Session, order_id: int | str, *, actor: str, at: datetime | None = None
) -> OrderChange:
    """out for delivery -> delivered (home orders)."""
    return transition(session, order_id, S.DELIVERED, actor=actor, at=at)


def drop_at_relay(
    session: Session, order_id: int | str, *, actor: str, at: datetime | None = None
) -> OrderChange:
    """out for delivery -> dropped at relay; the holding period starts, the customer is notified."""
    return transition(session, order_id, S.DROPPED, actor=actor, at=at)


def fail_attempt(
    session: Session,
    order_id: int | str,
    *,
    actor: str,
    at: datetime | None = None,
    why: str = "",
) -> OrderChange:
    """A failed delivery: attempts + 1, then re-planned on the next delivery day (back to ``new``)
    or, after :data:`MAX_ATTEMPTS`, returned to stock. Returns the final change."""
    first = transition(session, order_id, S.FAILED, actor=actor, at=at, why=why)
    target = S.NEW if first.attempts < MAX_ATTEMPTS else S.RETURNED_TO_STOCK
    return transition(session, first.order_id, target, actor=actor, at=at)


def expire_uncollected(
    session: Session, today: date, *, actor: str, at: datetime | None = None
) -> list[OrderChange]:
    """Orders waiting past their holding date go back: ready -> returned to stock (stores),
    dropped at relay -> returned (relays). Run once a day."""
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
    session: Session, plan_id: int, *, actor: str, at: datetime | None = None
) -> list[OrderChange]:
    """The vans leave: every ``new`` order on a route of courier plan ``plan_id`` goes
    out for delivery (store pick-up orders keep their own flow: the store prepares them)."""
    from data.models import PlanRoute, PlanStop

    ids = session.scalars(
        select(PlanStop.delivery_id)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan_id, PlanStop.delivery_id.is_not(None))
        .distinct()
    ).all()
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
