"""Opening a ticket: triage it and give it its SLA due time, in one transaction.

The decisions are the pure modules' (``repairs.triage`` from the rules file,
``repairs.sla`` from the customer's loyalty tier and the severity); this module
reads what they need from the database and stores what they decide.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.models import CustomerMachine, LoyaltyAccount, RepairTicket
from repairs.errors import RepairsError
from repairs.lifecycle import TicketNotFound, TicketView, record_event, transition, view
from repairs.sla import sla_due
from repairs.sla_policy import SlaPolicy, policy_in_force
from repairs.states import ResolutionPath, Severity, TicketState, needs_loaner
from repairs.triage import triage

#: The tier of a customer without a loyalty account.
DEFAULT_TIER = "Member"


class MachineNotFound(RepairsError, LookupError):
    """The machine is unknown, or belongs to another customer."""

    def __init__(self, machine_id: int, customer_id: int) -> None:
        self.machine_id = machine_id
        self.customer_id = customer_id
        super().__init__(
            f"machine {machine_id} is not a machine of customer {customer_id}"
        )


def customer_tier(session: Session, customer_id: int) -> str:
    """The customer's cached loyalty tier; ``Member`` without an account."""
    tier = session.scalar(
        select(LoyaltyAccount.tier).where(LoyaltyAccount.customer_id == customer_id)
    )
    return tier or DEFAULT_TIER


def _machine(session: Session, machine_id: int, customer_id: int) -> CustomerMachine:
    machine = session.get(CustomerMachine, machine_id)
    if machine is None or machine.customer_id != customer_id:
        raise MachineNotFound(machine_id, customer_id)
    return machine


def open_ticket(
    session: Session,
    customer_id: int,
    fault: str,
    severity: Severity | str,
    *,
    machine_id: int | None,
    description: str = "",
    actor: str,
    opened_at: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
    model_family: str | None = None,
    ref: str | None = None,
    why: str = "opened",
) -> TicketView:
    """Create a ticket, triage it and compute its SLA due time.

    The ticket is written as ``new`` then moved to ``triaged`` through the
    lifecycle, so its history shows both steps with their audit rows.

    Parameters
    ----------
    severity
        A ``Severity`` value (``low``, ``normal``, ``high``, ``critical``).
    opened_at
        When the customer called (aware); defaults to now. The SLA clock
        starts there, in business hours.
    window
        The customer's preferred visit window ``(start, end)``, aware datetimes.
    model_family
        Only without ``machine_id`` (a customer whose machine is not on record).
    ref
        The ticket's reference when it has one already (an import); else ``R<id>``.

    Raises
    ------
    MachineNotFound, UnknownFault, UnknownModelFamily, ValueError
    """
    sev = Severity(severity)
    at = opened_at or datetime.now(UTC)
    if window is not None and not window[0] < window[1]:
        raise ValueError(f"window ends before it starts: {window[0]} - {window[1]}")
    if machine_id is not None:
        family = _machine(session, machine_id, customer_id).model_family
    elif model_family:
        family = model_family
    else:
        raise ValueError("a ticket needs a machine or its model family")
    decision = triage(fault, family)
    tier = customer_tier(session, customer_id)
    policy = policy_in_force()
    path = ResolutionPath(decision.path).value
    ticket = RepairTicket(
        ref=ref or f"N-{uuid.uuid4().hex[:12]}",  # else R<id> once the id is known
        customer_id=customer_id,
        machine_id=machine_id,
        fault=fault,
        severity=sev.value,
        description=description,
        opened_at=at,
        sla_due_at=sla_due(at, sev, tier, path=path, policy=policy),
        sla_policy_version=policy.version,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        status=TicketState.NEW.value,
    )
    session.add(ticket)
    session.flush()
    if ref is None:
        ticket.ref = f"R{ticket.id}"
    record_event(session, ticket, None, actor=actor, why=why, at=at, tier=tier)
    _apply_triage(
        ticket, decision.path, decision.skill, decision.duration_min, decision.same_day
    )
    transition(  # flushes the ref, the triage and the new status in one UPDATE
        session,
        ticket.id,
        TicketState.TRIAGED,
        actor=actor,
        why=f"triage rule {decision.rule}: {decision.path.value}, "
        f"{decision.skill}, {decision.duration_min} min",
        now=at,
    )
    return view(ticket)


def _apply_triage(
    ticket: RepairTicket,
    path: ResolutionPath,
    skill: str,
    duration_min: int,
    same_day: bool,
) -> None:
    ticket.resolution_path = path.value
    ticket.required_skill = skill
    ticket.duration_min = duration_min
    ticket.same_day_fix = same_day
    ticket.loaner_needed = needs_loaner(path, same_day)


def recompute_due(
    session: Session, ticket_id: int, *, actor: str, policy: SlaPolicy | None = None
) -> bool:
    """Give a ticket the due time the policy in force (or ``policy``) computes from its
    opening; returns whether it changed. Audited with the old and new due times.

    Tickets otherwise keep the due time computed when they were opened: a new policy
    edition changes newly opened tickets only, until an admin calls this.
    """
    ticket = session.get(RepairTicket, ticket_id, with_for_update=True)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    pol = policy or policy_in_force()
    tier = customer_tier(session, ticket.customer_id)
    new_due = sla_due(
        ticket.opened_at, ticket.severity, tier, path=ticket.resolution_path, policy=pol
    )
    if ticket.sla_due_at == new_due and ticket.sla_policy_version == pol.version:
        return False
    old = ticket.sla_due_at
    ticket.sla_due_at = new_due
    ticket.sla_policy_version = pol.version
    ticket.version += 1
    record(
        session,
        actor,
        "repair_ticket",
        ticket.ref,
        "sla recomputed",
        old=old.isoformat() if old else None,
        new=new_due.isoformat(),
        policy=pol.version,
    )
    return True
