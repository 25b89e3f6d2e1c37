"""Delivery operations for the orders page: find an order, its timeline, its moves.

Dispatchers move any order along its flow (failed attempts, re-plans, relay
assignment, loading the vans from a courier plan); store staff only act on the
store pick-up orders of their own store (bag ready, collected). Every change goes
through :mod:`dispatch.deliveries` (audited, refused with the reason); answers are
frozen dataclasses with readable names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.enums import DeliveryMode, Role, SiteKind
from data.models import AuditLog, Customer, DeliveryOrder, Plan, Site
from dispatch import labels
from dispatch.access.roles import AccessDenied, Principal, check_role, store_scope
from dispatch.deliveries import flows, relays, store_bags
from dispatch.deliveries.flows import OrderChange, OrderState, allowed_targets

ORDER_ROLES = (Role.DISPATCHER, Role.STORE_STAFF)
STORE_MOVES = (OrderState.READY.value, OrderState.COLLECTED.value)

__all__ = [
    "ORDER_ROLES",
    "CourierPlan",
    "OrderCard",
    "RelayFill",
    "TimelineRow",
    "assign_relays",
    "courier_plans",
    "fail",
    "find",
    "load_plan",
    "move",
    "relay_fill",
    "timeline",
]


@dataclass(frozen=True, slots=True)
class OrderCard:
    id: int
    ref: str
    mode: str
    kind: str
    status: str
    customer: str
    town: str
    items: str
    parcels: int
    promised_on: date
    window: str
    destination: str  # "REL-0007 · Tabac du Centre" or ""
    attempts: int
    holding_until: date | None
    moves: tuple[str, ...]  # states the user may move it to


@dataclass(frozen=True, slots=True)
class TimelineRow:
    at: datetime
    when: str
    actor: str
    what: str


@dataclass(frozen=True, slots=True)
class RelayFill:
    code: str
    name: str
    town: str
    lat: float
    lon: float
    load: int
    capacity: int

    @property
    def share(self) -> float:
        return self.load / self.capacity if self.capacity else 1.0


@dataclass(frozen=True, slots=True)
class CourierPlan:
    id: int
    label: str
    status: str


def _order(session: Session, user: Principal, ref: str | int) -> DeliveryOrder:
    """The order if the user may see it (store staff: their store's pick-up orders)."""
    check_role(user, *ORDER_ROLES)
    order = flows.find_order(session, ref)
    own = store_scope(user)
    if own is not None and order.destination_site_id != own:
        raise AccessDenied(user.username, f"see order {order.ref} of another site")
    return order


def _moves(user: Principal, order: DeliveryOrder) -> tuple[str, ...]:
    targets = allowed_targets(order.mode, order.status)
    if store_scope(user) is not None:
        return tuple(t for t in targets if t in STORE_MOVES)
    return tuple(t for t in targets if t != OrderState.FAILED.value)  # via fail()


def find(session: Session, user: Principal, ref: str | int) -> OrderCard:
    """One order as the page shows it; ``LookupError`` / ``AccessDenied``."""
    o = _order(session, user, ref)
    c = session.get_one(Customer, o.customer_id)
    dest = session.get(Site, o.destination_site_id) if o.destination_site_id else None
    return _card(user, o, c, dest)


def _card(
    user: Principal, o: DeliveryOrder, c: Customer, dest: Site | None
) -> OrderCard:
    return OrderCard(
        o.id,
        o.ref,
        o.mode,
        o.kind,
        o.status,
        c.name,
        c.town,
        o.items,
        o.parcels,
        o.promised_on,
        labels.window(o.window_start, o.window_end),
        labels.site(dest.code, dest.name) if dest else "",
        o.attempts or 0,
        o.holding_until,
        _moves(user, o),
    )


def _dates(text: str) -> str:
    """ISO dates in an audit text, as the one local date format."""
    return _ISO.sub(lambda m: labels.day(date.fromisoformat(m.group(0))), text)


_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _describe(e: AuditLog) -> str:
    return _dates(_what(e))


def _what(e: AuditLog) -> str:
    ch = e.change or {}
    if e.action == "status":
        text = f"{ch.get('from')} → {ch.get('to')} ({ch.get('rule', '')})"
        extra = [
            f"{k}: {ch[k]}"
            for k in ("attempts", "promised_on", "relay", "holding_until", "why")
            if ch.get(k)
        ]
        return text + (" · " + " · ".join(extra) if extra else "")
    if e.action == "assign relay":
        return f"relay {ch.get('relay')} ({ch.get('km')} km, choice {ch.get('rank')}, load {ch.get('load')})"
    if e.action == "notify":
        return f"customer notified by {ch.get('channel')}: {ch.get('message')}"
    if e.action == "import":
        return f"imported from {ch.get('file')}"
    return f"{e.action}: " + ", ".join(f"{k} {v}" for k, v in ch.items() if k != "ref")


def timeline(
    session: Session, user: Principal, ref: str | int
) -> tuple[TimelineRow, ...]:
    """Everything that happened to the order, oldest first (from the audit log)."""
    o = _order(session, user, ref)
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "delivery_order", AuditLog.entity_id == str(o.id))
        .order_by(AuditLog.at, AuditLog.id)
    )
    out = [
        TimelineRow(
            o.created_at,
            labels.when(o.created_at),
            "-",
            f"order created: {o.mode}, {o.parcels} parcel(s)",
        )
    ]
    out += [TimelineRow(e.at, labels.when(e.at), e.actor, _describe(e)) for e in rows]
    return tuple(out)


def move(
    session: Session, user: Principal, ref: str | int, target: str, *, why: str = ""
) -> OrderChange:
    """Move an order to ``target`` (store staff: bag ready / collected at their store).

    Raises ``IllegalTransition`` (naming both states and why), ``WrongStore``,
    ``AccessDenied``, ``LookupError``.
    """
    o = _order(session, user, ref)
    own = store_scope(user)
    if own is not None:
        if target not in STORE_MOVES:
            raise AccessDenied(user.username, f"move order {o.ref} to {target!r}")
        fn = (
            store_bags.mark_ready
            if target == OrderState.READY.value
            else store_bags.mark_collected
        )
        return fn(session, o.id, store_id=own, actor=user)
    if target == OrderState.FAILED.value:
        return fail(session, user, o.id, why=why)
    return flows.transition(session, o.id, target, actor=user, why=why)


def fail(session: Session, user: Principal, ref: str | int, *, why: str) -> OrderChange:
    """A failed delivery attempt (dispatcher): re-planned next van day, or back to stock."""
    check_role(user, Role.DISPATCHER)
    o = _order(session, user, ref)
    if not why.strip():
        raise ValueError(f"order {o.ref}: say why the attempt failed")
    return flows.fail_attempt(session, o.id, actor=user, why=why.strip())


def assign_relays(
    session: Session, user: Principal, day: date
) -> tuple[list[relays.RelayChoice], list[str]]:
    """Relay-point orders of ``day`` without a relay get the nearest with room (dispatcher)."""
    check_role(user, Role.DISPATCHER)
    return relays.assign_relays(session, day, actor=user)


def courier_plans(
    session: Session, user: Principal, day: date
) -> tuple[CourierPlan, ...]:
    """The day's courier plans (newest first), for loading the vans."""
    check_role(user, Role.DISPATCHER)
    q = (
        select(Plan)
        .where(
            Plan.kind == "couriers", Plan.plan_date == day, Plan.status != "superseded"
        )
        .order_by(Plan.id.desc())
    )
    return tuple(
        CourierPlan(
            p.id,
            f"plan {p.id} · {p.status}{' · ' + p.label if p.label else ''} · {labels.when(p.created_at)}",
            p.status,
        )
        for p in session.scalars(q)
    )


def load_plan(session: Session, user: Principal, plan_id: int) -> list[OrderChange]:
    """The vans leave: the plan's orders go out for delivery, its loaner transfers in transit."""
    check_role(user, Role.DISPATCHER)
    plan = session.get(Plan, plan_id)
    if plan is None or plan.kind != "couriers":
        raise LookupError(f"courier plan {plan_id} does not exist")
    if plan.status == "superseded":
        raise ValueError(f"plan {plan_id} is superseded: load the day's current plan")
    return flows.load_plan_orders(session, plan_id, actor=user)


def relay_fill(session: Session, user: Principal, day: date) -> tuple[RelayFill, ...]:
    """Every relay point's orders for drop day ``day`` against its capacity."""
    check_role(user, Role.DISPATCHER)
    load = relays.relay_load(session, day)
    return tuple(
        RelayFill(
            r.code,
            r.name,
            r.town,
            r.lat,
            r.lon,
            load.get(r.id, 0),
            r.relay_daily_capacity or 0,
        )
        for r in session.scalars(
            select(Site).where(Site.kind == SiteKind.RELAY.value).order_by(Site.code)
        )
    )


def store_orders(session: Session, user: Principal, day: date) -> tuple[OrderCard, ...]:
    """Orders promised on ``day`` the user acts on (store staff: their store's pick-ups;
    dispatchers: failed attempts and relay orders still without a relay)."""
    check_role(user, *ORDER_ROLES)
    own = store_scope(user)
    # one query for the orders, their customers and destinations (not 3 per order)
    q = (
        select(DeliveryOrder, Customer, Site)
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .outerjoin(Site, Site.id == DeliveryOrder.destination_site_id)
        .where(DeliveryOrder.promised_on == day)
        .order_by(DeliveryOrder.id)
    )
    if own is not None:
        q = q.where(
            DeliveryOrder.destination_site_id == own,
            DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
        )
    else:
        q = q.where(
            (DeliveryOrder.status == OrderState.OUT.value)
            | (
                (DeliveryOrder.mode == DeliveryMode.RELAY.value)
                & DeliveryOrder.destination_site_id.is_(None)
            )
        )
    rows = session.execute(q.limit(200)).all()
    return tuple(_card(user, o, c, dest) for o, c, dest in rows)
