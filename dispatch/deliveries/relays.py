"""Relay points: each order goes to the nearest relay with room left on its drop day.

A relay's ``relay_daily_capacity`` is the number of orders it accepts for one
drop day (``promised_on``). Candidates are the ``max_candidates`` nearest relays
to the customer (great-circle distance), nearest first; a full relay passes the
order to the next nearest. The choice is recorded on the order
(``destination_site_id``) and audited. The chosen relay's row is locked
(``FOR UPDATE`` on PostgreSQL, the writer engine's ``BEGIN IMMEDIATE`` on SQLite)
and its load counted again under the lock, so two dispatchers assigning at once
cannot overfill it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import DeliveryMode, Role, SiteKind
from data.gazetteer import distance_km as distance_km
from data.models import Customer, DeliveryOrder, Site
from dispatch.access.roles import Principal, acting

MAX_CANDIDATES = 10
COUNTED = ("new", "out for delivery", "dropped at relay", "collected", "failed attempt")
"""States of an order that occupies its relay's slot for its drop day."""

__all__ = [
    "NoRelayCapacity",
    "RelayChoice",
    "admit_relay_order",
    "assign_relay",
    "assign_relays",
    "choose_relay",
    "distance_km",
    "keep_or_reassign",
    "relay_load",
]


class NoRelayCapacity(LookupError):
    """No relay among the nearest has room on that day."""


@dataclass(frozen=True, slots=True)
class RelayChoice:
    order_id: int
    order_ref: str
    relay_id: int
    relay_code: str
    distance_km: float
    rank: int  # 1 = the nearest relay; >1 = the nearer ones were full
    load_after: int
    capacity: int


def choose_relay(
    lat: float,
    lon: float,
    relays: Sequence[Site],
    load: Counter[int] | dict[int, int],
    *,
    max_candidates: int = MAX_CANDIDATES,
) -> tuple[Site, float, int] | None:
    """Pure: the nearest of the ``max_candidates`` nearest relays with room, its distance and rank."""
    ranked = sorted(
        ((distance_km(lat, lon, r.lat, r.lon), r.id, r) for r in relays),
        key=lambda x: (x[0], x[1]),
    )[:max_candidates]
    for rank, (km, _, relay) in enumerate(ranked, 1):
        if load.get(relay.id, 0) < (relay.relay_daily_capacity or 0):
            return relay, km, rank
    return None


def relay_load(
    session: Session,
    day: date,
    relay_ids: Iterable[int] | None = None,
    *,
    exclude_order: int | None = None,
) -> Counter[int]:
    """Orders per relay for drop day ``day``."""
    q = (
        select(DeliveryOrder.destination_site_id, func.count())
        .where(
            DeliveryOrder.mode == DeliveryMode.RELAY.value,
            DeliveryOrder.promised_on == day,
            DeliveryOrder.destination_site_id.is_not(None),
            DeliveryOrder.status.in_(COUNTED),
        )
        .group_by(DeliveryOrder.destination_site_id)
    )
    if relay_ids is not None:
        q = q.where(DeliveryOrder.destination_site_id.in_(list(relay_ids)))
    if exclude_order is not None:
        q = q.where(DeliveryOrder.id != exclude_order)
    return Counter({int(k or 0): int(n) for k, n in session.execute(q).tuples()})


def _relays(session: Session) -> list[Site]:
    return list(
        session.scalars(
            select(Site).where(Site.kind == SiteKind.RELAY.value).order_by(Site.id)
        )
    )


def assign_relay(
    session: Session,
    order_id: int,
    *,
    actor: Principal,
    max_candidates: int = MAX_CANDIDATES,
) -> RelayChoice:
    """Give a relay-point order the nearest relay with room on its drop day (audited).

    Raises
    ------
    NoRelayCapacity
        Every one of the nearest ``max_candidates`` relays is full that day.
    ValueError
        The order is not a relay-point order.
    AccessDenied
        ``actor`` is not a dispatcher.
    """
    name = acting(actor, Role.DISPATCHER)
    return _assign_relay(session, order_id, name, max_candidates)


def _assign_relay(
    session: Session, order_id: int, actor: str, max_candidates: int = MAX_CANDIDATES
) -> RelayChoice:
    """:func:`assign_relay` once the caller is checked; ``actor`` is the name recorded."""
    order = session.get(DeliveryOrder, order_id)
    if order is None:
        raise LookupError(f"delivery order {order_id} does not exist")
    if order.mode != DeliveryMode.RELAY.value:
        raise ValueError(
            f"order {order.ref} is a {order.mode} order, not a relay-point order"
        )
    customer = session.get_one(Customer, order.customer_id)
    relays = _relays(session)
    tried: set[int] = set()
    while True:
        candidates = [r for r in relays if r.id not in tried]
        load = relay_load(session, order.promised_on, exclude_order=order.id)
        pick = choose_relay(
            customer.lat,
            customer.lon,
            candidates,
            load,
            max_candidates=max_candidates - len(tried),
        )
        if pick is None:
            raise NoRelayCapacity(
                f"order {order.ref}: the {max_candidates} relays nearest to {customer.town} are full "
                f"on {order.promised_on.isoformat()}"
            )
        relay, km, _ = pick
        # Lock the relay, then count again: another transaction may have filled it meanwhile.
        session.scalar(select(Site.id).where(Site.id == relay.id).with_for_update())
        now = relay_load(
            session, order.promised_on, [relay.id], exclude_order=order.id
        )[relay.id]
        if now < (relay.relay_daily_capacity or 0):
            break
        tried.add(relay.id)
    rank = 1 + sum(
        1 for r in relays if distance_km(customer.lat, customer.lon, r.lat, r.lon) < km
    )
    before = order.destination_site_id
    order.destination_site_id = relay.id
    record(
        session,
        actor,
        "delivery_order",
        order.id,
        "assign relay",
        ref=order.ref,
        relay=relay.code,
        relay_id=relay.id,
        previous=before,
        km=round(km, 1),
        rank=rank,
        day=order.promised_on,
        load=f"{now + 1}/{relay.relay_daily_capacity}",
    )
    session.flush()
    return RelayChoice(
        order.id,
        order.ref,
        relay.id,
        relay.code,
        round(km, 2),
        rank,
        now + 1,
        relay.relay_daily_capacity or 0,
    )


def assign_relays(
    session: Session, day: date, *, actor: Principal
) -> tuple[list[RelayChoice], list[str]]:
    """Assign every relay-point order of ``day`` still without a relay, oldest first.

    Returns the choices and, for orders that found no room, the refusal messages.
    A dispatcher's call (``AccessDenied`` otherwise).
    """
    name = acting(actor, Role.DISPATCHER)
    q = (
        select(DeliveryOrder.id)
        .where(
            DeliveryOrder.mode == DeliveryMode.RELAY.value,
            DeliveryOrder.promised_on == day,
            DeliveryOrder.destination_site_id.is_(None),
            DeliveryOrder.status == "new",
        )
        .order_by(DeliveryOrder.created_at, DeliveryOrder.id)
    )
    done, refused = [], []
    for oid in session.scalars(q).all():
        try:
            done.append(_assign_relay(session, oid, name))
        except NoRelayCapacity as exc:
            refused.append(str(exc))
    return done, refused


def keep_or_reassign(session: Session, order: DeliveryOrder) -> str | None:
    """After a re-plan to another day: keep the relay if it has room then, else move the order.

    Returns ``"REL-0001 -> REL-0007"`` when moved, None when kept.
    """
    relay = (
        session.get(Site, order.destination_site_id)
        if order.destination_site_id
        else None
    )
    if relay is not None:
        load = relay_load(
            session, order.promised_on, [relay.id], exclude_order=order.id
        )[relay.id]
        if load < (relay.relay_daily_capacity or 0):
            return None
    order.destination_site_id = None
    session.flush()
    try:
        choice = _assign_relay(session, order.id, "re-plan")  # inside a checked change
    except NoRelayCapacity:
        return (
            f"{relay.code if relay else '-'} -> none (no relay with room: assign later)"
        )
    return f"{relay.code if relay else '-'} -> {choice.relay_code}"


def admit_relay_order(
    session: Session, order: DeliveryOrder, *, actor: str, overflow: bool = True
) -> RelayChoice:
    """A new relay-point order (e.g. just imported): keep its relay if it has room on
    the drop day, else overflow it to the nearest relay with room (``overflow``), as
    planning does. The relay row is locked and counted again, so an import cannot
    overfill it; the order itself must be flushed already.

    Raises
    ------
    NoRelayCapacity
        The named relay is full and (``overflow=False``) moving is not allowed, or
        none of the relays nearest the customer has room; the message names the
        order, the relay and the day.
    """
    if order.mode != DeliveryMode.RELAY.value:
        raise ValueError(
            f"order {order.ref} is a {order.mode} order, not a relay-point order"
        )
    asked = (
        session.get(Site, order.destination_site_id)
        if order.destination_site_id
        else None
    )
    if asked is not None:
        session.scalar(select(Site.id).where(Site.id == asked.id).with_for_update())
        load = relay_load(
            session, order.promised_on, [asked.id], exclude_order=order.id
        )[asked.id]
        cap = asked.relay_daily_capacity or 0
        if load < cap:
            customer = session.get_one(Customer, order.customer_id)
            km = distance_km(customer.lat, customer.lon, asked.lat, asked.lon)
            return RelayChoice(
                order.id,
                order.ref,
                asked.id,
                asked.code,
                round(km, 2),
                1,
                load + 1,
                cap,
            )
        if not overflow:
            raise NoRelayCapacity(
                f"order {order.ref}: relay {asked.code} is full on "
                f"{order.promised_on.isoformat()} ({load}/{cap})"
            )
    order.destination_site_id = None
    session.flush()
    try:
        return _assign_relay(session, order.id, actor)
    except NoRelayCapacity as exc:
        where = f"relay {asked.code} is full and " if asked is not None else ""
        raise NoRelayCapacity(f"{where}{exc}") from None
