"""Swap visits: the courier legs of a workshop repair, generated from the ticket.

A workshop repair means two stops at the customer's, each a *swap*:

* going out: drop the loaner (``loaner out``) and collect the broken machine
  (``repair pick-up``) on the same visit;
* coming back: bring the repaired machine (``repair return``) and collect the
  loaner (``loaner back``).

Each stop is two ``DeliveryOrder`` rows linked to the ticket, for the same
customer, day and window: the courier planner routes them as one stop (group
by ``ticket_id`` and ``promised_on``). Generation is idempotent: the refs are
derived from the ticket (``R42-LOUT``...), looked up first and unique in the
database, so calling twice, or two dispatchers at once, creates them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import audit
from data.base import PARIS as PARIS
from data.enums import DeliveryKind, DeliveryMode, SiteKind
from data.models import (
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Loan,
    Loaner,
    RepairTicket,
    Site,
)
from loaner_pool.errors import LoanerPoolError
from loaner_pool.policy import distance_km

#: Ticket states (values of repairs.states) in which each swap is due.
OUTBOUND_STATES = ("triaged", "awaiting pickup")
RETURN_STATES = ("at workshop", "repaired", "returning")
#: Ref suffix of each leg, in stop order.
SUFFIX = {
    DeliveryKind.LOANER_OUT: "LOUT",
    DeliveryKind.REPAIR_PICKUP: "PICK",
    DeliveryKind.REPAIR_RETURN: "RET",
    DeliveryKind.LOANER_BACK: "LBACK",
}


class SwapError(LoanerPoolError):
    """The ticket is not in a state where a swap visit can be generated."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Ctx:
    ticket: RepairTicket
    customer: Customer
    machine: CustomerMachine | None
    loan: Loan | None
    loaner: Loaner | None
    workshop: Site


def swap_jobs_for(
    session: Session,
    ticket_id: int,
    on_date: date,
    *,
    actor: str = "system",
    without_loaner: bool = False,
) -> tuple[int, ...]:
    """Create (once) the two delivery orders of the swap stop the ticket is due for.

    An outbound swap (loaner out + repair pick-up) while the ticket waits for
    pick-up; a return swap (repair return + loaner back) once the machine is at
    or leaving the workshop. Returns the two order ids in stop order; a second
    call returns the same ids without creating anything. ``without_loaner``: no
    loaner is lent (not needed, or none in stock), the outbound visit only
    collects the machine.

    Raises
    ------
    SwapError
        Not a workshop ticket, not in a swap state, no loaner lent for the
        outbound swap, or no workshop site.
    """
    ctx = _context(session, ticket_id)
    kinds = _kinds_due(ctx, without_loaner)
    existing = _existing(session, ticket_id, kinds)
    if len(existing) == len(kinds):
        return tuple(existing[k] for k in kinds)
    try:
        with session.begin_nested():
            for kind in kinds:
                if kind not in existing:
                    existing[kind] = _create(session, ctx, kind, on_date, actor)
    except IntegrityError:  # a concurrent call created them first
        existing = _existing(session, ticket_id, kinds)
    return tuple(existing[k] for k in kinds)


def _context(session: Session, ticket_id: int) -> _Ctx:
    ticket = session.get(RepairTicket, ticket_id)
    if ticket is None:
        raise SwapError(f"ticket {ticket_id} does not exist")
    if ticket.resolution_path != "workshop":
        raise SwapError(
            f"ticket {ticket_id} is on the {ticket.resolution_path} path: "
            "swap visits are for workshop repairs"
        )
    customer = session.get_one(Customer, ticket.customer_id)
    loan = session.scalar(
        select(Loan).where(Loan.ticket_id == ticket_id, Loan.returned_at.is_(None))
    )
    return _Ctx(
        ticket=ticket,
        customer=customer,
        machine=session.get(CustomerMachine, ticket.machine_id)
        if ticket.machine_id
        else None,
        loan=loan,
        loaner=session.get(Loaner, loan.loaner_id) if loan else None,
        workshop=_workshop(session, customer, ticket_id),
    )


def _workshop(session: Session, customer: Customer, ticket_id: int) -> Site:
    shops = session.scalars(
        select(Site).where(Site.kind == SiteKind.WORKSHOP.value)
    ).all()
    if not shops:
        raise SwapError(f"ticket {ticket_id}: no workshop site in the network")
    return min(
        shops,
        key=lambda s: (distance_km(customer.lat, customer.lon, s.lat, s.lon), s.id),
    )


def _kinds_due(ctx: _Ctx, without_loaner: bool = False) -> tuple[DeliveryKind, ...]:
    t = ctx.ticket
    if t.status in OUTBOUND_STATES:
        if ctx.loan is None and without_loaner:
            return (DeliveryKind.REPAIR_PICKUP,)
        if ctx.loan is None:
            raise SwapError(
                f"ticket {t.id} has no loaner lent yet: lend one before planning the swap"
            )
        return (DeliveryKind.LOANER_OUT, DeliveryKind.REPAIR_PICKUP)
    if t.status in RETURN_STATES:
        if ctx.loan is None:  # loaner already back (or never lent): machine only
            return (DeliveryKind.REPAIR_RETURN,)
        return (DeliveryKind.REPAIR_RETURN, DeliveryKind.LOANER_BACK)
    raise SwapError(f"ticket {t.id} is {t.status!r}: no swap visit is due")


def _existing(
    session: Session, ticket_id: int, kinds: tuple[DeliveryKind, ...]
) -> dict[DeliveryKind, int]:
    rows = session.execute(
        select(DeliveryOrder.kind, DeliveryOrder.id)
        .where(
            DeliveryOrder.ticket_id == ticket_id,
            DeliveryOrder.kind.in_([k.value for k in kinds]),
        )
        .order_by(DeliveryOrder.id)
    )
    found: dict[DeliveryKind, int] = {}
    for kind, oid in rows:
        found.setdefault(DeliveryKind(kind), oid)
    return found


def _create(
    session: Session, ctx: _Ctx, kind: DeliveryKind, on_date: date, actor: str
) -> int:
    t = ctx.ticket
    home_site = ctx.loan.from_site_id if ctx.loan else ctx.workshop.id
    ships_from, goes_to = {
        DeliveryKind.LOANER_OUT: (home_site, None),
        DeliveryKind.REPAIR_PICKUP: (home_site, ctx.workshop.id),
        DeliveryKind.REPAIR_RETURN: (ctx.workshop.id, None),
        DeliveryKind.LOANER_BACK: (ctx.workshop.id, home_site),
    }[kind]
    same_day = (
        t.window_start is not None
        and t.window_start.astimezone(PARIS).date() == on_date
    )
    order = DeliveryOrder(
        ref=f"{t.ref}-{SUFFIX[kind]}",
        customer_id=t.customer_id,
        kind=kind.value,
        mode=DeliveryMode.HOME.value,
        ticket_id=t.id,
        items=_items(ctx, kind),
        parcels=1,
        depot_id=ships_from,
        destination_site_id=goes_to,
        promised_on=on_date,
        window_start=t.window_start if same_day else None,
        window_end=t.window_end if same_day else None,
        status="new",
        created_at=datetime.now(UTC),
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        actor,
        "delivery_order",
        order.id,
        "create swap leg",
        ticket_id=t.id,
        kind=kind.value,
        promised_on=on_date,
    )
    return order.id


def _items(ctx: _Ctx, kind: DeliveryKind) -> str:
    machine = (
        f"{ctx.machine.model} s/n {ctx.machine.serial}"
        if ctx.machine
        else "customer's machine"
    )
    loaner = (
        f"loaner {ctx.loaner.code} ({ctx.loaner.model})" if ctx.loaner else "loaner"
    )
    return {
        DeliveryKind.LOANER_OUT: f"{loaner}: swap with the broken machine",
        DeliveryKind.REPAIR_PICKUP: f"{machine} to the workshop (ticket {ctx.ticket.ref})",
        DeliveryKind.REPAIR_RETURN: f"{machine} repaired (ticket {ctx.ticket.ref})",
        DeliveryKind.LOANER_BACK: f"{loaner} back to the pool",
    }[kind]
