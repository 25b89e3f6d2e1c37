"""What the service desk does: find or create the caller, show their card, open a ticket.

Dispatchers, contact-centre agents and store staff (at their own store's counter)
use it. A customer is found by phone (any written form), e-mail or customer
reference; a new one is created only at an address the gazetteer knows. Opening
a ticket triages it at once (``repairs.open_ticket``) and answers with the path,
the SLA due time and why it is that time. Answers are frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import repairs
from data import audit
from data.base import PARIS
from data.enums import Role
from data.gazetteer import gazetteer
from data.models import (
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Loan,
    Loaner,
    RepairTicket,
    Site,
)
from dispatch import labels
from dispatch.access.roles import Principal, check_role, store_scope
from dispatch.loyalty.contact import normalize_email, normalize_phone
from dispatch.loyalty.customers import CustomerCard, find_customer, parse_contact
from dispatch.workshop.flow import send_to_workshop
from loaner_pool.errors import LoanerPoolError
from repairs.service import customer_tier
from repairs.sla import sla_hours
from repairs.sla_policy import policy_in_force
from repairs.states import OPEN_STATES, Severity
from repairs.triage import FAULTS, triage

__all__ = [
    "DESK_ROLES",
    "DeskCard",
    "DeskError",
    "OpenedTicket",
    "card",
    "create_customer",
    "find",
    "open_ticket",
    "resolve_customer",
    "sla_reason",
]

DESK_ROLES = (Role.DISPATCHER, Role.AGENT, Role.STORE_STAFF)
#: What the page's pickers offer (the rules' values; labels make them readable).
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
__all__ += ["FAULTS", "SEVERITIES"]


class DeskError(ValueError):
    """A refusal at the desk: one line naming the field and the reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MachineLine:
    id: int
    serial: str
    model: str
    family: str  # readable
    family_code: str
    warranty_end: date


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketLine:
    id: int
    ref: str
    fault: str
    status: str
    path: str
    path_code: str | None
    sla_due_at: datetime | None
    window: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanLine:
    loaner: str
    ticket_ref: str
    lent_at: datetime
    due_on: date
    returned_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderLine:
    ref: str
    kind: str
    mode: str
    status: str
    promised_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class DeskCard:
    """Everything the desk shows about one caller."""

    customer_id: int
    ref: str
    name: str
    phone: str  # readable French form
    email: str
    address: str
    town: str
    postcode: str
    region: str
    loyalty: CustomerCard | None
    machines: tuple[MachineLine, ...]
    open_tickets: tuple[TicketLine, ...]
    loans: tuple[LoanLine, ...]
    orders: tuple[OrderLine, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedTicket:
    id: int
    ref: str
    path: str  # remote / onsite / workshop
    path_label: str
    skill: str
    duration_min: int
    sla_due_at: datetime
    sla_reason: str
    triage_note: str
    loaner_needed: bool
    next_step: str = ""  # what was set off at once (workshop: loaner and courier legs)


def _check(user: Principal) -> None:
    check_role(user, *DESK_ROLES)
    store_scope(user)  # store staff bound to no store may not serve anyone


def resolve_customer(session: Session, key: str) -> int:
    """A customer id from a reference (``C000042``), a phone number or an e-mail."""
    text = str(key).strip()
    if not text:
        raise DeskError("customer: give a phone number, an e-mail or a reference")
    cid = session.scalar(select(Customer.id).where(Customer.ref == text))
    if cid is not None:
        return int(cid)
    try:
        kind, value = parse_contact(text)
    except ValueError:
        raise DeskError(
            f"customer: {text!r} is no reference, phone number or e-mail"
        ) from None
    column = Customer.email if kind == "email" else Customer.phone
    ids = session.scalars(
        select(Customer.id).where(column == value).order_by(Customer.ref)
    ).all()
    if not ids:
        raise DeskError(f"customer: nobody has {kind} {text!r}")
    if len(ids) > 1:
        refs = ", ".join(
            session.scalars(
                select(Customer.ref).where(Customer.id.in_(ids)).order_by(Customer.ref)
            )
        )
        raise DeskError(
            f"customer: {len(ids)} customers share {kind} {text!r} ({refs}); give the reference"
        )
    return int(ids[0])


def find(session: Session, user: Principal, key: str) -> tuple[int, ...]:
    """Customer ids matching a phone (any form), e-mail or reference; empty if none."""
    _check(user)
    text = str(key).strip()
    cid = session.scalar(select(Customer.id).where(Customer.ref == text))
    if cid is not None:
        return (int(cid),)
    try:
        kind, value = parse_contact(text)
    except ValueError:
        raise DeskError(
            f"search: {text!r} is no reference, phone number or e-mail"
        ) from None
    column = Customer.email if kind == "email" else Customer.phone
    return tuple(
        int(i)
        for i in session.scalars(
            select(Customer.id).where(column == value).order_by(Customer.ref)
        )
    )


def card(
    session: Session, user: Principal, customer_id: int, *, on: date | None = None
) -> DeskCard:
    """The caller's card: loyalty, machines, open tickets, loans and orders."""
    _check(user)
    c = session.get(Customer, customer_id)
    if c is None:
        raise DeskError(f"customer {customer_id} does not exist")
    day = on or datetime.now(PARIS).date()
    loyalty = None
    contact = c.phone or c.email
    if contact:
        loyalty = next(
            (
                x
                for x in find_customer(session, contact, on=day)
                if x.customer_id == c.id
            ),
            None,
        )
    machines = tuple(
        MachineLine(
            id=m.id,
            serial=m.serial,
            model=m.model,
            family=labels.family(m.model_family),
            family_code=m.model_family,
            warranty_end=m.warranty_end,
        )
        for m in session.scalars(
            select(CustomerMachine)
            .where(CustomerMachine.customer_id == c.id)
            .order_by(CustomerMachine.id)
        )
    )
    tickets = tuple(
        TicketLine(
            id=t.id,
            ref=t.ref,
            fault=labels.fault(t.fault),
            status=t.status,
            path=labels.path(t.resolution_path),
            path_code=t.resolution_path,
            sla_due_at=t.sla_due_at,
            window=labels.window(t.window_start, t.window_end),
        )
        for t in session.scalars(
            select(RepairTicket)
            .where(
                RepairTicket.customer_id == c.id,
                RepairTicket.status.in_([s.value for s in OPEN_STATES]),
            )
            .order_by(RepairTicket.id)
        )
    )
    loans = tuple(
        LoanLine(
            loaner=code,
            ticket_ref=ref,
            lent_at=loan.lent_at,
            due_on=loan.due_on,
            returned_at=loan.returned_at,
        )
        for loan, code, ref in session.execute(
            select(Loan, Loaner.code, RepairTicket.ref)
            .join(Loaner, Loaner.id == Loan.loaner_id)
            .join(RepairTicket, RepairTicket.id == Loan.ticket_id)
            .where(Loan.customer_id == c.id)
            .order_by(Loan.lent_at.desc())
            .limit(10)
        ).tuples()
    )
    orders = tuple(
        OrderLine(
            ref=o.ref,
            kind=o.kind,
            mode=o.mode,
            status=o.status,
            promised_on=o.promised_on,
        )
        for o in session.scalars(
            select(DeliveryOrder)
            .where(DeliveryOrder.customer_id == c.id)
            .order_by(DeliveryOrder.promised_on.desc(), DeliveryOrder.id.desc())
            .limit(10)
        )
    )
    return DeskCard(
        customer_id=c.id,
        ref=c.ref,
        name=c.name,
        phone=labels.phone(c.phone),
        email=c.email or "",
        address=c.address,
        town=c.town,
        postcode=c.postcode,
        region=c.region,
        loyalty=loyalty,
        machines=machines,
        open_tickets=tickets,
        loans=loans,
        orders=orders,
    )


def _next_ref(session: Session) -> str:
    top = session.scalar(select(func.max(Customer.id))) or 0
    return f"C{top + 1:06d}"


def create_customer(
    session: Session,
    user: Principal,
    *,
    name: str,
    phone: str = "",
    email: str = "",
    address: str = "",
    postcode: str,
    town: str,
) -> int:
    """A new customer at an address the gazetteer knows (postcode and town agree)."""
    _check(user)
    if not name.strip():
        raise DeskError("name: required")
    e164 = None
    if phone.strip():
        try:
            e164 = normalize_phone(phone)
        except ValueError as exc:
            raise DeskError(f"phone: {exc}") from None
    mail = None
    if email.strip():
        try:
            mail = normalize_email(email)
        except ValueError as exc:
            raise DeskError(f"e-mail: {exc}") from None
    if e164 is None and mail is None:
        raise DeskError(
            "phone or e-mail: give at least one, to find the customer again"
        )
    found = gazetteer().resolve(postcode, town)
    if found is None or found[1] != "town":
        raise DeskError(
            f"address: {town!r} at postcode {postcode!r} is not a place the gazetteer knows"
        )
    place, precision = found
    c = Customer(
        ref=_next_ref(session),
        name=name.strip(),
        phone=e164,
        email=mail,
        address=address.strip(),
        postcode=place.postcode,
        town=place.name,
        region=place.region_name,
        lat=place.lat,
        lon=place.lon,
        geo_precision=precision,
        created_at=datetime.now(UTC),
    )
    session.add(c)
    session.flush()
    audit.record(
        session, user.username, "customer", c.id, "create", ref=c.ref, town=c.town
    )
    return c.id


def sla_reason(
    tier: str,
    severity: str,
    opened_at: datetime,
    due: datetime,
    path: str | None = None,
) -> str:
    """``Gold member, critical, technician visit: 10 business hours (policy 2026.1)
    from Tue 24 Nov 10:00, due Tue 24 Nov 12:00``."""
    hours = sla_hours(severity, tier, path=path)
    sev = labels.severity(severity).lower()
    how = f", {labels.path(path).lower()}" if path else ""
    return (
        f"{tier} member, {sev}{how}: {hours:g} business hours "
        f"(policy {policy_in_force().version}) from {labels.when(opened_at)}, "
        f"due {labels.when(due)}"
    )


def open_ticket(
    session: Session,
    user: Principal,
    customer: str | int,
    *,
    serial: str,
    fault: str,
    severity: str,
    description: str = "",
    now: datetime | None = None,
) -> OpenedTicket:
    """Open and triage a ticket for one of the customer's machines (by serial)."""
    _check(user)
    cid = customer if isinstance(customer, int) else resolve_customer(session, customer)
    machine = session.scalar(
        select(CustomerMachine).where(CustomerMachine.serial == serial.strip())
    )
    if machine is None or machine.customer_id != cid:
        raise DeskError(f"machine: {serial!r} is not a machine of this customer")
    try:
        sev = Severity(severity.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Severity)
        raise DeskError(f"severity: {severity!r} is not one of {known}") from None
    at = now or datetime.now(UTC)
    where = ""
    if user.role == Role.STORE_STAFF and user.store_id is not None:
        store = session.get(Site, user.store_id)
        where = f" at {labels.site(store.code, store.name)}" if store else ""
    try:
        v = repairs.open_ticket(
            session,
            cid,
            fault.strip().lower(),
            sev,
            machine_id=machine.id,
            description=(description.strip() + where).strip(),
            actor=user.username,
            opened_at=at,
        )
    except ValueError as exc:  # UnknownFault / UnknownModelFamily
        raise DeskError(f"fault: {str(exc).splitlines()[0]}") from None
    decision = triage(v.fault, machine.model_family)
    assert v.sla_due_at is not None and v.resolution_path is not None
    tier = customer_tier(session, cid)
    next_step = ""
    if v.resolution_path.value == "workshop":
        try:
            next_step = send_to_workshop(
                session, v.id, actor=user.username, now=at
            ).summary
        except (
            LoanerPoolError
        ) as exc:  # e.g. no workshop site: the ticket stays triaged
            next_step = f"not sent to the workshop yet: {exc}"
    return OpenedTicket(
        id=v.id,
        ref=v.ref,
        path=v.resolution_path.value,
        path_label=labels.path(v.resolution_path.value),
        skill=labels.skill(v.required_skill),
        duration_min=v.duration_min,
        sla_due_at=v.sla_due_at,
        sla_reason=sla_reason(
            tier, sev.value, at, v.sla_due_at, v.resolution_path.value
        ),
        triage_note=decision.note,
        loaner_needed=v.loaner_needed,
        next_step=next_step,
    )
