"""The remote path: the queue of tickets to fix by phone, the fault's guided checklist,
and the three outcomes, each through ``repairs.transition`` (history + audit).

* fixed by phone: remote fix -> resolved -> closed, first-time fix;
* needs a visit: re-triaged to the on-site path (then offered slots at the desk);
* needs the workshop: re-triaged to the workshop, which lends a loaner and creates
  the courier swap at once (:mod:`dispatch.workshop.flow`).

A triaged ticket is first moved to "remote fix" (the call has started), so every
outcome reads the same in the history whether the agent pressed "start" or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

import repairs
from data.models import Customer, CustomerMachine, RepairTicket
from dispatch import labels
from dispatch.access.roles import Principal, check_role
from dispatch.views.desk import DESK_ROLES
from dispatch.workshop.flow import send_to_workshop
from repairs.lifecycle import get_ticket
from repairs.states import ResolutionPath, TicketState
from repairs.triage import checklist

__all__ = ["Outcome", "RemoteLine", "outcome", "queue", "start_call"]

REMOTE_ROLES = (*DESK_ROLES,)
#: On-site visit length when a phone fix turns into a visit and the rule was shorter.
MIN_VISIT_MIN = 30


class Outcome(StrEnum):
    FIXED = "fixed"
    VISIT = "visit"
    WORKSHOP = "workshop"

    @property
    def label(self) -> str:
        return {
            Outcome.FIXED: "Fixed by phone",
            Outcome.VISIT: "Needs a technician visit",
            Outcome.WORKSHOP: "Needs the workshop",
        }[self]


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteLine:
    id: int
    ref: str
    customer: str
    phone: str
    machine: str
    fault: str
    status: str
    sla_due_at: datetime | None
    checklist: tuple[str, ...]
    version: int


def queue(
    session: Session, user: Principal, *, limit: int = 100
) -> tuple[RemoteLine, ...]:
    """Remote tickets not done yet, soonest SLA first, each with its checklist."""
    check_role(user, *REMOTE_ROLES)
    rows = session.execute(
        select(RepairTicket, Customer, CustomerMachine)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .where(
            RepairTicket.resolution_path == ResolutionPath.REMOTE.value,
            RepairTicket.status.in_(
                (TicketState.TRIAGED.value, TicketState.REMOTE_FIX.value)
            ),
        )
        .order_by(RepairTicket.sla_due_at, RepairTicket.id)
        .limit(limit)
    ).tuples()
    return tuple(
        RemoteLine(
            id=t.id,
            ref=t.ref,
            customer=c.name,
            phone=labels.phone(c.phone),
            machine=f"{m.model} · {m.serial}" if m else "",
            fault=labels.fault(t.fault),
            status=t.status,
            sla_due_at=t.sla_due_at,
            checklist=checklist(t.fault),
            version=t.version,
        )
        for t, c, m in rows
    )


def start_call(
    session: Session, user: Principal, ticket_id: int, *, now: datetime
) -> repairs.TicketView:
    """triaged -> remote fix: the agent is on the phone with the customer."""
    check_role(user, *REMOTE_ROLES)
    return repairs.transition(
        session,
        ticket_id,
        TicketState.REMOTE_FIX,
        actor=user.username,
        why="guided fix by phone started",
        now=now,
    )


def outcome(
    session: Session,
    user: Principal,
    ticket_id: int,
    result: Outcome | str,
    *,
    note: str = "",
    now: datetime,
) -> str:
    """Record the call's outcome; returns what happens next, in words."""
    check_role(user, *REMOTE_ROLES)
    res = Outcome(result)
    t = get_ticket(session, ticket_id)
    if t.resolution_path != ResolutionPath.REMOTE.value:
        raise repairs.RepairsError(f"ticket {t.ref} is not on the remote path")
    who = user.username
    said = f": {note.strip()}" if note.strip() else ""
    if t.status == TicketState.TRIAGED:
        start_call(session, user, ticket_id, now=now)
    if res is Outcome.FIXED:
        repairs.transition(
            session,
            t.id,
            TicketState.RESOLVED,
            actor=who,
            why=f"fixed by phone{said}",
            now=now,
        )
        t.first_time_fix = True
        repairs.transition(
            session, t.id, TicketState.CLOSED, actor=who, why="first-time fix", now=now
        )
        return f"{t.ref} closed: fixed by phone, first time."
    path = ResolutionPath.ONSITE if res is Outcome.VISIT else ResolutionPath.WORKSHOP
    repairs.transition(
        session,
        t.id,
        TicketState.TRIAGED,
        actor=who,
        why=f"phone fix did not work, {res.label.lower()}{said}",
        path=path,
        now=now,
    )
    if res is Outcome.VISIT:
        t.duration_min = max(t.duration_min, MIN_VISIT_MIN)
        t.first_time_fix = False
        session.flush()
        return f"{t.ref} needs a visit: offer the customer a slot."
    started = send_to_workshop(session, t.id, actor=who, now=now)
    return f"{t.ref} goes to the workshop: {started.summary}."
