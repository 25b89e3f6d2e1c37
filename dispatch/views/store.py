"""What the store page shows and does, for the signed-in user's store only.

Thin services over :mod:`dispatch.deliveries.store_bags` and the loaner tables. Every function
takes the acting user and the store asked for, and calls
:func:`dispatch.access.roles.check_store_access` before reading or changing anything:
store staff get their own store, and a request for another store raises
``AccessDenied`` (whatever a page, a URL or a session value asked for).
Answers are frozen dataclasses, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.enums import DeliveryMode, Role, SiteKind
from data.models import Customer, DeliveryOrder, Loan, Loaner, RepairTicket, Site
from dispatch.access.roles import (
    AccessDenied,
    Principal,
    check_role,
    check_store_access,
)
from dispatch.deliveries import store_bags
from dispatch.deliveries.flows import OrderChange, OrderState
from dispatch.deliveries.store_bags import Bag
from dispatch.planning.builder import PARIS

__all__ = [
    "OpenLoan",
    "StoreDay",
    "StoreLoaner",
    "StoreLoaners",
    "StoreRef",
    "WaitingBag",
    "mark_bag_collected",
    "mark_bag_ready",
    "resolve_store",
    "store_day",
    "store_loaners",
]

#: Roles that may open a store's page (admin always may).
STORE_ROLES = (Role.STORE_STAFF,)


@dataclass(frozen=True, slots=True)
class StoreRef:
    id: int
    code: str
    name: str
    town: str


@dataclass(frozen=True, slots=True)
class WaitingBag:
    """A bag ready at the counter, waiting for its customer."""

    order_id: int
    ref: str
    customer: str
    phone: str
    items: str
    parcels: int
    promised_on: date
    ready_at: datetime | None
    holding_until: date | None


@dataclass(frozen=True, slots=True)
class StoreDay:
    """The store's bags around ``day``: to prepare (by today, for tomorrow) and waiting."""

    store: StoreRef
    day: date
    today: tuple[Bag, ...]  # promised today or earlier, still to prepare
    tomorrow: tuple[Bag, ...]  # promised tomorrow, still to prepare
    waiting: tuple[WaitingBag, ...]  # ready, not collected yet
    collected_today: int

    @property
    def tomorrow_day(self) -> date:
        return self.day + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class StoreLoaner:
    id: int
    code: str
    model: str
    model_family: str
    state: str
    condition: str


@dataclass(frozen=True, slots=True)
class OpenLoan:
    """A loaner lent from this store and not back yet, with who to call."""

    loaner_code: str
    model_family: str
    ticket_ref: str
    customer: str
    phone: str
    email: str
    lent_at: datetime
    due_on: date
    days_overdue: int  # 0 when not due yet


@dataclass(frozen=True, slots=True)
class StoreLoaners:
    loaners: tuple[StoreLoaner, ...]
    loans: tuple[OpenLoan, ...]


def resolve_store(user: Principal, requested: int | None) -> int | None:
    """The store the page must show.

    Store staff: their own store; asking for any other (``requested``, from a
    widget, a URL or the session) raises ``AccessDenied``. Others: ``requested``
    (None when nothing was chosen yet).
    """
    if user.role == Role.STORE_STAFF:
        if user.store_id is None:
            raise AccessDenied(user.username, "see any store (not bound to one)")
        if requested is not None and requested != user.store_id:
            raise AccessDenied(user.username, f"see store {requested}")
        return user.store_id
    return requested


def _store(session: Session, user: Principal, store_id: int) -> StoreRef:
    check_role(user, *STORE_ROLES)
    check_store_access(user, store_id)
    site = session.get(Site, store_id)
    if site is None or site.kind != SiteKind.STORE:
        raise LookupError(f"site {store_id} is not a store")
    return StoreRef(site.id, site.code, site.name, site.town)


def store_day(session: Session, user: Principal, store_id: int, day: date) -> StoreDay:
    """Bags to prepare today (and late ones) and tomorrow, and bags waiting collection."""
    store = _store(session, user, store_id)
    by_tomorrow = store_bags.bags_to_prepare(
        session, store_id, day + timedelta(days=1), actor=user
    )
    today = tuple(b for b in by_tomorrow if b.promised_on <= day)
    tomorrow = tuple(b for b in by_tomorrow if b.promised_on > day)
    pickup = (
        DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
        DeliveryOrder.destination_site_id == store_id,
    )
    rows = session.execute(
        select(DeliveryOrder, Customer.name, Customer.phone)
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .where(*pickup, DeliveryOrder.status == OrderState.READY.value)
        .order_by(DeliveryOrder.ready_at, DeliveryOrder.ref)
    ).tuples()
    waiting = tuple(
        WaitingBag(
            o.id,
            o.ref,
            name,
            phone or "",
            o.items,
            o.parcels,
            o.promised_on,
            o.ready_at,
            o.holding_until,
        )
        for o, name, phone in rows
    )
    start = datetime.combine(day, time(0), tzinfo=PARIS)
    collected = session.scalar(
        select(func.count(DeliveryOrder.id)).where(
            *pickup,
            DeliveryOrder.status == OrderState.COLLECTED.value,
            DeliveryOrder.collected_at >= start,
            DeliveryOrder.collected_at < start + timedelta(days=1),
        )
    )
    return StoreDay(store, day, today, tomorrow, waiting, int(collected or 0))


def mark_bag_ready(
    session: Session,
    user: Principal,
    store_id: int,
    order_id: int,
    *,
    at: datetime | None = None,
) -> OrderChange:
    """The bag is prepared (to prepare -> ready); refuses another store's bag."""
    _store(session, user, store_id)
    try:
        return store_bags.mark_ready(
            session, order_id, store_id=store_id, actor=user, at=at
        )
    except store_bags.WrongStore as exc:
        raise _own_words(exc) from exc


def mark_bag_collected(
    session: Session,
    user: Principal,
    store_id: int,
    order_id: int,
    *,
    at: datetime | None = None,
) -> OrderChange:
    """The customer took the bag (ready -> collected); refuses another store's bag."""
    _store(session, user, store_id)
    try:
        return store_bags.mark_collected(
            session, order_id, store_id=store_id, actor=user, at=at
        )
    except store_bags.WrongStore as exc:
        raise _own_words(exc) from exc


def store_loaners(
    session: Session, user: Principal, store_id: int, today: date
) -> StoreLoaners:
    """The store's loaners (retired ones left out) and its open loans, most overdue first."""
    _store(session, user, store_id)
    loaners = tuple(
        StoreLoaner(r.id, r.code, r.model, r.model_family, r.state, r.condition)
        for r in session.scalars(
            select(Loaner)
            .where(Loaner.site_id == store_id, Loaner.state != "retired")
            .order_by(Loaner.state, Loaner.code)
        )
    )
    rows = session.execute(
        select(Loan, Loaner.code, Loaner.model_family, RepairTicket.ref, Customer)
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .join(RepairTicket, RepairTicket.id == Loan.ticket_id)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.from_site_id == store_id, Loan.returned_at.is_(None))
        .order_by(Loan.due_on, Loan.id)
    ).tuples()
    loans = tuple(
        OpenLoan(
            code,
            family,
            ref,
            c.name,
            c.phone or "",
            c.email or "",
            loan.lent_at,
            loan.due_on,
            max(0, (today - loan.due_on).days),
        )
        for loan, code, family, ref, c in rows
    )
    return StoreLoaners(loaners, loans)


def _own_words(exc: store_bags.WrongStore) -> store_bags.WrongStore:
    """A refusal that names nothing of another store (neither its code nor its order)."""
    text = str(exc)
    if "is for store" in text:
        return store_bags.WrongStore(
            "this bag is not one of your store's pick-up orders"
        )
    if "not a store pick-up" in text:
        return store_bags.WrongStore("this order is not a store pick-up")
    return exc
