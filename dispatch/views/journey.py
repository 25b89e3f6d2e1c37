"""A ticket's journey from the call to closure: every state, leg, visit and loan, with
who and when, and what comes next. Read-only, assembled from the rows that own each
fact (ticket events, bookings, visits, delivery legs and their audit, loans)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    AuditLog,
    DeliveryOrder,
    Loan,
    Loaner,
    RepairTicket,
    Site,
    Technician,
    TicketEvent,
    Visit,
    VisitBooking,
)
from dispatch import labels
from dispatch.access.roles import Principal, check_role
from dispatch.field.visits import FailReason
from dispatch.views.tickets import TICKET_ROLES
from repairs.lifecycle import get_ticket

__all__ = ["Journey", "Step", "journey"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    at: datetime
    kind: str  # "ticket", "booking", "visit", "courier", "loan"
    what: str
    who: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Journey:
    ref: str
    steps: tuple[Step, ...]  # oldest first
    next_step: str


def journey(session: Session, user: Principal, ticket_id: int) -> Journey:
    check_role(user, *TICKET_ROLES)
    t = get_ticket(session, ticket_id)
    steps: list[Step] = []
    for e in session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == t.id)
        .order_by(TicketEvent.id)
    ):
        move = f"{e.from_state} → {e.to_state}" if e.from_state else "ticket opened"
        why = "" if not e.from_state and e.why == "opened" else e.why
        steps.append(
            Step(
                at=e.at,
                kind="ticket",
                what=f"{move}: {why}" if why else move,
                who=e.actor,
            )
        )
    bookings = session.scalars(
        select(VisitBooking)
        .where(VisitBooking.ticket_id == t.id)
        .order_by(VisitBooking.attempt)
    ).all()
    b = bookings[-1] if bookings else None
    tech_names = dict(
        session.execute(select(Technician.id, Technician.name)).tuples().all()
    )
    for bk in bookings:
        which = "visit" if bk.attempt == 1 else f"visit {bk.attempt}"
        steps.append(
            Step(
                at=bk.booked_at,
                kind="booking",
                what=f"{which} booked for "
                f"{labels.window(bk.window_start, bk.window_end)} "
                f"with {tech_names.get(bk.technician_id, '')}",
                who=bk.booked_by,
            )
        )
    for v in session.scalars(
        select(Visit).where(Visit.ticket_id == t.id).order_by(Visit.id)
    ):
        name = tech_names.get(v.technician_id, "")
        if v.arrived_at:
            steps.append(
                Step(at=v.arrived_at, kind="visit", what="technician arrived", who=name)
            )
        if v.completed_at:
            done = "fixed" if v.fixed else "not fixed"
            if not v.fixed and v.failure_reason in set(FailReason):
                done += f" ({FailReason(v.failure_reason).label.lower()})"
            steps.append(
                Step(
                    at=v.completed_at,
                    kind="visit",
                    what=f"visit done: {done}",
                    who=name,
                )
            )
    legs = session.scalars(
        select(DeliveryOrder)
        .where(DeliveryOrder.ticket_id == t.id)
        .order_by(DeliveryOrder.id)
    ).all()
    by_id = {str(o.id): o for o in legs}
    for o in legs:
        steps.append(
            Step(
                at=o.created_at,
                kind="courier",
                what=f"{o.ref} {o.kind} planned for {labels.day(o.promised_on)}",
                who="",
            )
        )
    if by_id:
        for a in session.scalars(
            select(AuditLog)
            .where(
                AuditLog.entity == "delivery_order",
                AuditLog.entity_id.in_(list(by_id)),
                AuditLog.action == "status",
            )
            .order_by(AuditLog.id)
        ):
            o = by_id[a.entity_id]
            steps.append(
                Step(
                    at=a.at,
                    kind="courier",
                    what=f"{o.ref} {o.kind}: {a.change.get('to', '')}",
                    who=a.actor,
                )
            )
    sites = dict(session.execute(select(Site.id, Site.code)).tuples().all())
    for loan, code in session.execute(
        select(Loan, Loaner.code)
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .where(Loan.ticket_id == t.id)
        .order_by(Loan.id)
    ).tuples():
        steps.append(
            Step(
                at=loan.lent_at,
                kind="loan",
                what=f"loaner {code} lent from {sites.get(loan.from_site_id, '')}, "
                f"due back {labels.day(loan.due_on)}",
                who="",
            )
        )
        if loan.returned_at:
            steps.append(
                Step(
                    at=loan.returned_at,
                    kind="loan",
                    what=f"loaner {code} back at "
                    f"{sites.get(loan.returned_to_site_id or 0, '')}: to cleaning",
                    who="",
                )
            )
    steps.sort(key=lambda s: s.at)
    return Journey(
        ref=t.ref, steps=tuple(steps), next_step=_next(t, b, legs, tech_names)
    )


def _leg(legs: Sequence[DeliveryOrder], kind: str) -> DeliveryOrder | None:
    return next((o for o in reversed(legs) if o.kind == kind), None)


def _next(
    t: RepairTicket,
    b: VisitBooking | None,
    legs: Sequence[DeliveryOrder],
    techs: dict[int, str],
) -> str:
    s, path = t.status, t.resolution_path
    if s in ("closed", "cancelled"):
        return "Nothing: the ticket is done."
    if s == "resolved":
        return "Close the ticket once the paperwork is done."
    if path == "remote":
        return "Fix by phone with the guided checklist (Service desk · Remote queue)."
    if path == "onsite":
        if s == "triaged" and t.first_time_fix is False and t.visit_on is not None:
            return (
                f"Book the second visit with the customer, from {labels.day(t.visit_on)} "
                "(Service desk), or let that day's plan place it."
            )
        if s == "triaged":
            return "Book a visit with the customer (Service desk), or let the next plan place it."
        if s == "scheduled":
            when = labels.window(t.window_start, t.window_end) or labels.day(t.visit_on)
            who = techs.get(t.technician_id or 0, "")
            return f"Technician visit {when}" + (f" with {who}" if who else "") + "."
        return "The technician is on site: record the outcome."
    pick, back = _leg(legs, "repair pick-up"), _leg(legs, "repair return")
    if s == "triaged":
        return (
            "Send to the workshop: a loaner and the courier swap are created at once."
        )
    if s == "awaiting pickup" and pick is not None:
        return f"Courier collects the machine on {labels.day(pick.promised_on)} ({pick.ref}, {pick.status})."
    if s == "at workshop":
        return "Repair at the workshop, then mark it repaired: the return is planned at once."
    if s in ("repaired", "returning") and back is not None:
        return (
            f"Courier brings the machine back on {labels.day(back.promised_on)} "
            f"({back.ref}, {back.status}) and collects the loaner."
        )
    return "Move the ticket on when its next step is done."
