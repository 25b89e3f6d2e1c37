"""What the tickets page shows and does: the filtered list, one ticket, a move.

Thin services over :mod:`repairs` (queries and ``transition``), with the role
check (dispatchers and managers; admin always) and the SLA status of each row.
Answers are frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import repairs
from data.enums import Role
from data.models import Customer, RepairTicket, Technician
from dispatch.access.roles import Principal, check_role
from dispatch.workshop.flow import after_move
from repairs.lifecycle import TicketNotFound, get_ticket, view
from repairs.queries import (
    UNSCHEDULED_STATES,
    TicketDetail,
    TicketRow,
    at_risk,
    breached,
    list_tickets,
    ticket_detail,
)
from repairs.sla import SlaStatus, business_hours_between, sla_status
from repairs.states import OPEN_STATES, ResolutionPath, TicketState

__all__ = [
    "OPEN",
    "TICKET_ROLES",
    "SlaFilter",
    "TicketLine",
    "TicketPage",
    "TicketView",
    "detail",
    "find_ticket",
    "move",
    "tickets",
]

TICKET_ROLES = (Role.DISPATCHER, Role.MANAGER, Role.AGENT)
DEFAULT_LIMIT = 200


#: The status filter meaning "every open state" (not resolved, closed or cancelled).
OPEN = "open"


class SlaFilter(StrEnum):
    ANY = "any"
    AT_RISK = "at risk"
    BREACHED = "breached"


@dataclass(frozen=True, slots=True)
class TicketLine:
    """A row of the ticket list with its SLA status at ``now`` (None once done)."""

    row: TicketRow
    sla: SlaStatus | None


@dataclass(frozen=True, slots=True)
class TicketPage:
    lines: tuple[TicketLine, ...]
    matching: int  # how many tickets match, before the limit
    limit: int


@dataclass(frozen=True, slots=True)
class TicketView:
    """The ticket detail plus who is assigned."""

    detail: TicketDetail
    technician: str | None
    hours_left: float | None  # business hours to the SLA due time (negative: late)


def _sla_of(r: TicketRow, now: datetime) -> SlaStatus | None:
    if r.sla_due_at is None or r.status not in OPEN_STATES:
        return None
    return sla_status(r.sla_due_at, now, r.status not in UNSCHEDULED_STATES)


def tickets(
    session: Session,
    user: Principal,
    *,
    now: datetime,
    status: str | None = None,
    region: str | None = None,
    sla: SlaFilter | str = SlaFilter.ANY,
    limit: int = DEFAULT_LIMIT,
) -> TicketPage:
    """Tickets by status (a state, ``OPEN`` or None for all), customer region and SLA
    status, soonest due first."""
    check_role(user, *TICKET_ROLES)
    sla = SlaFilter(sla)
    if sla is SlaFilter.ANY and status == OPEN:
        merged = sorted(
            (
                r
                for state in OPEN_STATES
                for r in list_tickets(
                    session, status=state, region=region, limit=limit, now=now
                )
            ),
            key=lambda r: (r.sla_due_at is None, r.sla_due_at or now, r.id),
        )
        rows = tuple(merged[:limit])
        count = (
            select(func.count(RepairTicket.id))
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(RepairTicket.status.in_([s.value for s in OPEN_STATES]))
        )
        if region is not None:
            count = count.where(Customer.region == region)
        matching = int(session.scalar(count) or 0)
    elif sla is SlaFilter.ANY:
        rows = list_tickets(session, status=status, region=region, limit=limit, now=now)
        count = select(func.count(RepairTicket.id)).join(
            Customer, Customer.id == RepairTicket.customer_id
        )
        if status is not None:
            count = count.where(RepairTicket.status == TicketState(status).value)
        if region is not None:
            count = count.where(Customer.region == region)
        matching = int(session.scalar(count) or 0)
    else:
        found = (
            at_risk(session, now)
            if sla is SlaFilter.AT_RISK
            else breached(session, now)
        )
        all_rows = tuple(
            r
            for r in found
            if (
                status is None
                or (status == OPEN and r.status in OPEN_STATES)
                or (status != OPEN and r.status == TicketState(status))
            )
            and (region is None or r.region == region)
        )
        matching = len(all_rows)
        rows = all_rows[:limit]
    return TicketPage(
        tuple(TicketLine(r, _sla_of(r, now)) for r in rows), matching, limit
    )


def find_ticket(session: Session, user: Principal, key: str | int) -> int:
    """A ticket's id from its id or reference; ``TicketNotFound`` if none."""
    check_role(user, *TICKET_ROLES)
    text = str(key).strip()
    tid = session.scalar(select(RepairTicket.id).where(RepairTicket.ref == text))
    if tid is None and text.isdigit():
        tid = session.scalar(
            select(RepairTicket.id).where(RepairTicket.id == int(text))
        )
    if tid is None:
        raise TicketNotFound(int(text) if text.isdigit() else 0)
    return int(tid)


def detail(
    session: Session, user: Principal, ticket_id: int, now: datetime
) -> TicketView:
    """One ticket: customer, triage, SLA at ``now``, history, loan, technician."""
    check_role(user, *TICKET_ROLES)
    d = ticket_detail(session, ticket_id, now)
    tech = (
        session.scalar(
            select(Technician.name).where(Technician.id == d.ticket.technician_id)
        )
        if d.ticket.technician_id is not None
        else None
    )
    due = d.ticket.sla_due_at
    left = business_hours_between(now, due) if due is not None and d.sla else None
    return TicketView(d, tech, left)


def move(
    session: Session,
    user: Principal,
    ticket_id: int,
    to: TicketState | str,
    *,
    why: str,
    expected_version: int | None = None,
    path: ResolutionPath | str | None = None,
    now: datetime | None = None,
) -> repairs.TicketView:
    """Move the ticket to ``to`` (an allowed next state) with a reason.

    Raises ``ValueError`` for an empty reason, and repairs' ``IllegalTransition``,
    ``TicketChanged`` (someone else moved it since ``expected_version``) or
    ``TicketNotFound``.
    """
    check_role(user, *TICKET_ROLES)
    if not why.strip():
        raise ValueError("say why the ticket moves (the reason goes in its history)")
    moved = repairs.transition(
        session,
        ticket_id,
        to,
        actor=user.username,
        why=why.strip(),
        path=path,
        expected_version=expected_version,
        now=now,
    )
    # the workshop chosen, or the machine repaired: loaner and courier legs at once
    after_move(session, moved, actor=user.username, now=now or datetime.now(UTC))
    return view(get_ticket(session, ticket_id))
