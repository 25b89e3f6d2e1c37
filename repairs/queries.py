"""Read-only questions about tickets, answered with small frozen dataclasses.

Pages and the CLI never hold ORM objects after the session closes, so every
answer here is plain data. SLA arithmetic is ``repairs.sla``'s (business hours,
French public holidays); SQL only narrows the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.models import (
    Customer,
    Loan,
    Loaner,
    LoyaltyAccount,
    RepairTicket,
    TicketEvent,
)
from repairs.lifecycle import TicketView, get_ticket, view
from repairs.sla import (
    AT_RISK_WITHIN_H,
    SlaStatus,
    add_business_hours,
    business_hours_between,
    sla_status,
)
from repairs.states import OPEN_STATES, TicketState

#: States in which nothing is booked yet for the ticket: the SLA clock runs and
#: nobody has committed to a date. Everything later counts as scheduled.
UNSCHEDULED_STATES: frozenset[TicketState] = frozenset(
    {TicketState.NEW, TicketState.TRIAGED}
)
DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketRow:
    """One line of a ticket list."""

    id: int
    ref: str
    customer: str
    region: str
    tier: str
    status: TicketState
    severity: str
    resolution_path: str | None
    opened_at: datetime
    sla_due_at: datetime | None
    business_hours_left: float | None  # negative once breached


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRow:
    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanSummary:
    loan_id: int
    loaner_id: int
    loaner_code: str
    model_family: str
    lent_at: datetime
    due_on: date
    returned_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketDetail:
    """Everything the ticket page shows: the ticket, who, its SLA, history and loan."""

    ticket: TicketView
    customer: str
    phone: str | None
    email: str | None
    region: str
    tier: str
    description: str
    sla: SlaStatus | None
    history: tuple[EventRow, ...]
    loan: LoanSummary | None  # the open loan, else the latest one


def _rows(
    session: Session,
    stmt: Select[RepairTicket, Customer, str | None],
    now: datetime | None,
) -> list[TicketRow]:
    out = []
    for t, c, tier in session.execute(stmt):
        left = (
            business_hours_between(now, t.sla_due_at)
            if now is not None and t.sla_due_at is not None
            else None
        )
        out.append(
            TicketRow(
                id=t.id,
                ref=t.ref,
                customer=c.name,
                region=c.region,
                tier=tier or "Member",
                status=TicketState(t.status),
                severity=t.severity,
                resolution_path=t.resolution_path,
                opened_at=t.opened_at,
                sla_due_at=t.sla_due_at,
                business_hours_left=left,
            )
        )
    return out


def _base() -> Select[RepairTicket, Customer, str | None]:
    # The tier comes through an outer join (no club account: NULL), which the mapped
    # type ``str`` cannot say: the cast widens it.
    return cast(
        "Select[RepairTicket, Customer, str | None]",
        select(RepairTicket, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id),
    )


def at_risk(
    session: Session, now: datetime, within_h: float = AT_RISK_WITHIN_H
) -> tuple[TicketRow, ...]:
    """Unscheduled tickets due within ``within_h`` business hours (not yet breached).

    Soonest due first. "Unscheduled" is ``new`` or ``triaged``.
    """
    # SQL narrows to a wall-clock horizon; a due time in the closed hours right
    # after it (evening, weekend, bridge holidays) still counts, hence the days.
    horizon = add_business_hours(now, within_h) + timedelta(days=4)
    stmt = (
        _base()
        .where(RepairTicket.status.in_([s.value for s in UNSCHEDULED_STATES]))
        .where(RepairTicket.sla_due_at >= now, RepairTicket.sla_due_at <= horizon)
        .order_by(RepairTicket.sla_due_at, RepairTicket.id)
    )
    return tuple(
        r
        for r in _rows(session, stmt, now)
        if r.sla_due_at is not None
        and sla_status(r.sla_due_at, now, False, at_risk_within_h=within_h)
        is SlaStatus.AT_RISK
    )


def breached(session: Session, now: datetime) -> tuple[TicketRow, ...]:
    """Open tickets (not resolved, closed or cancelled) past their due time, oldest first."""
    stmt = (
        _base()
        .where(RepairTicket.status.in_([s.value for s in OPEN_STATES]))
        .where(RepairTicket.sla_due_at < now)
        .order_by(RepairTicket.sla_due_at, RepairTicket.id)
    )
    return tuple(_rows(session, stmt, now))


def list_tickets(
    session: Session,
    *,
    status: TicketState | str | None = None,
    region: str | None = None,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> tuple[TicketRow, ...]:
    """Tickets filtered by status and customer region, soonest due first."""
    stmt = _base()
    if status is not None:
        stmt = stmt.where(RepairTicket.status == TicketState(status).value)
    if region is not None:
        stmt = stmt.where(Customer.region == region)
    stmt = stmt.order_by(RepairTicket.sla_due_at, RepairTicket.id).limit(limit)
    return tuple(_rows(session, stmt, now))


def ticket_detail(
    session: Session, ticket_id: int, now: datetime | None = None
) -> TicketDetail:
    """The ticket with its customer, SLA status at ``now`` (default: now),
    history and loan.

    Raises ``TicketNotFound``.
    """
    now = now or datetime.now(UTC)
    t = get_ticket(session, ticket_id)
    c = session.get_one(Customer, t.customer_id)
    tier = session.scalar(
        select(LoyaltyAccount.tier).where(LoyaltyAccount.customer_id == c.id)
    )
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return TicketDetail(
        ticket=view(t),
        customer=c.name,
        phone=c.phone,
        email=c.email,
        region=c.region,
        tier=tier or "Member",
        description=t.description,
        sla=_sla(t, now),
        history=tuple(
            EventRow(
                at=e.at,
                actor=e.actor,
                from_state=e.from_state,
                to_state=e.to_state,
                why=e.why,
            )
            for e in events
        ),
        loan=_loan(session, ticket_id),
    )


def _sla(t: RepairTicket, now: datetime) -> SlaStatus | None:
    """No SLA status for a ticket without a due time or already done."""
    if t.sla_due_at is None or TicketState(t.status) not in OPEN_STATES:
        return None
    scheduled = TicketState(t.status) not in UNSCHEDULED_STATES
    return sla_status(t.sla_due_at, now, scheduled)


def _loan(session: Session, ticket_id: int) -> LoanSummary | None:
    row = session.execute(
        select(Loan, Loaner)
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .where(Loan.ticket_id == ticket_id)
        .order_by(Loan.returned_at.is_not(None), Loan.lent_at.desc(), Loan.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    loan, loaner = row
    return LoanSummary(
        loan_id=loan.id,
        loaner_id=loaner.id,
        loaner_code=loaner.code,
        model_family=loaner.model_family,
        lent_at=loan.lent_at,
        due_on=loan.due_on,
        returned_at=loan.returned_at,
    )
