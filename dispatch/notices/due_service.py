"""Service notices owed at ``now``: visits, repair progress, loaners.

Each function reads the rows it needs in a few queries and returns
:class:`~dispatch.notices.kinds.Due` values; the dedupe key names the event
(the booked slot, the ticket's state, the loan's due date), so computing again
later finds the same keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import PlanKind
from data.models import (
    CustomerMachine,
    Loan,
    Loaner,
    Notice,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    Visit,
)
from dispatch.notices.config import CONFIG
from dispatch.notices.kinds import Due, Kind
from dispatch.notices.published import published_stops

OPEN_VISIT_STATES = ("triaged", "scheduled")
REPAIR_KINDS = {
    "at workshop": Kind.REPAIR_RECEIVED,
    "repaired": Kind.REPAIR_REPAIRED,
    "returning": Kind.REPAIR_RETURNING,
}


def _first_name(name: str | None) -> str:
    return (name or "").split(" ")[0] or "votre technicien"


def _slot_key(ticket_id: int, start: datetime) -> str:
    return f"visit:{ticket_id}:{start.astimezone(PARIS):%Y-%m-%dT%H%M}"


def visit_bookings(session: Session, now: datetime) -> list[Due]:
    """A visit booked (day + window) from today on; a new slot for a ticket already told is a move."""
    today = now.astimezone(PARIS).date()
    rows = session.execute(
        select(
            RepairTicket.id,
            RepairTicket.ref,
            RepairTicket.customer_id,
            RepairTicket.visit_on,
            RepairTicket.window_start,
            RepairTicket.window_end,
        ).where(
            RepairTicket.status.in_(OPEN_VISIT_STATES),
            RepairTicket.resolution_path == "onsite",
            RepairTicket.visit_on >= today,
            RepairTicket.window_start.is_not(None),
            RepairTicket.window_end.is_not(None),
        )
    ).all()
    told = set(
        session.scalars(
            select(Notice.entity_id).where(
                Notice.kind.in_([Kind.VISIT_BOOKED.value, Kind.VISIT_MOVED.value])
            )
        )
    )
    out = []
    for tid, ref, cid, visit_on, ws, we in rows:
        if ws is None or we is None:
            continue
        kind = Kind.VISIT_MOVED if str(tid) in told else Kind.VISIT_BOOKED
        out.append(
            Due(
                customer_id=cid,
                kind=kind,
                entity_type="ticket",
                entity_id=str(tid),
                dedupe_key=_slot_key(tid, ws),
                due_at=now,
                context=dict(
                    ticket_ref=ref, visit_day=visit_on, window_start=ws, window_end=we
                ),
            )
        )
    return out


def visit_reminders(session: Session, now: datetime) -> list[Due]:
    """The day before a visit, from the PUBLISHED technician plan of that day (its ETA)."""
    tomorrow = now.astimezone(PARIS).date() + timedelta(days=1)
    spread = timedelta(hours=float(CONFIG["visits"]["reminder_window_h"]))
    stops = select(
        RepairTicket.id,
        RepairTicket.ref,
        RepairTicket.customer_id,
        PlanStop.arrival_at,
        Technician.name,
    ).join(PlanStop, PlanStop.ticket_id == RepairTicket.id)
    rows = session.execute(
        published_stops(stops, PlanKind.TECHNICIANS, tomorrow).outerjoin(
            Technician, Technician.id == PlanRoute.technician_id
        )
    ).all()
    out = []
    for tid, ref, cid, arrival, tech in rows:
        start = _quarter(arrival - spread)
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.VISIT_REMINDER,
                entity_type="ticket",
                entity_id=str(tid),
                dedupe_key=f"reminder:{tid}:{tomorrow.isoformat()}",
                due_at=now,
                context=dict(
                    ticket_ref=ref,
                    visit_day=tomorrow,
                    eta_from=start,
                    eta_to=start + 2 * spread,
                    technician=_first_name(tech),
                ),
            )
        )
    return out


def _quarter(at: datetime) -> datetime:
    local = at.astimezone(PARIS)
    return local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)


def visit_progress(session: Session, now: datetime) -> list[Due]:
    """Technician on the way (``Visit.status``, ``eta_at``) and failed visits."""
    today = now.astimezone(PARIS).date()
    out: list[Due] = []
    # NULL when the visit has neither an ETA nor a planned start: SQLAlchemy types
    # coalesce() as its first argument's non-null type, so the cast says so.
    eta_or_start = cast(
        "ColumnElement[datetime | None]",
        func.coalesce(Visit.eta_at, Visit.planned_start),
    )
    on_the_way = (
        select(
            Visit.id,
            RepairTicket.ref,
            RepairTicket.customer_id,
            Technician.name,
            eta_or_start,
        )
        .join(RepairTicket, RepairTicket.id == Visit.ticket_id)
        .join(Technician, Technician.id == Visit.technician_id)
        .where(Visit.status == "on_my_way", Visit.visit_on == today)
    )
    for vid, ref, cid, tech, eta in session.execute(on_the_way):
        if eta is None:
            continue
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.VISIT_ON_THE_WAY,
                entity_type="visit",
                entity_id=str(vid),
                dedupe_key=f"on-the-way:{vid}",
                due_at=now,
                context=dict(
                    ticket_ref=ref, eta=eta, technician=_first_name(str(tech))
                ),
            )
        )
    failed = (
        select(
            Visit.id,
            Visit.visit_on,
            RepairTicket.ref,
            RepairTicket.customer_id,
            RepairTicket.visit_on,
        )
        .join(RepairTicket, RepairTicket.id == Visit.ticket_id)
        .join(Technician, Technician.id == Visit.technician_id)
        .where(
            Visit.status == "failed",
            Visit.visit_on.between(today - timedelta(days=1), today),
        )
    )
    for vid, day, ref, cid, next_on in session.execute(failed):
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.VISIT_FAILED,
                entity_type="visit",
                entity_id=str(vid),
                dedupe_key=f"visit-failed:{vid}",
                due_at=now,
                context=dict(
                    ticket_ref=ref,
                    visit_day=day,
                    new_day=next_on if next_on and next_on > day else None,
                ),
            )
        )
    return out


def repair_progress(session: Session, now: datetime) -> list[Due]:
    """Workshop repairs: received, repaired, on the way back (one notice per state)."""
    rows = session.execute(
        select(
            RepairTicket.id,
            RepairTicket.ref,
            RepairTicket.customer_id,
            RepairTicket.status,
            CustomerMachine.model,
        )
        .outerjoin(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .where(RepairTicket.status.in_(list(REPAIR_KINDS)))
    ).all()
    return [
        Due(
            customer_id=cid,
            kind=REPAIR_KINDS[status],
            entity_type="ticket",
            entity_id=str(tid),
            dedupe_key=f"repair:{tid}:{status}",
            due_at=now,
            context=dict(ticket_ref=ref, machine=model or "machine"),
        )
        for tid, ref, cid, status, model in rows
    ]


def loans(session: Session, now: datetime) -> list[Due]:
    """Open loans: just lent (due date), due back within N days, overdue."""
    today = now.astimezone(PARIS).date()
    soon = int(CONFIG["loans"]["due_soon_days"])
    fresh = now - timedelta(days=int(CONFIG["loans"]["lent_notice_days"]))
    rows = session.execute(
        select(
            Loan.id,
            Loan.customer_id,
            Loan.lent_at,
            Loan.due_on,
            Loaner.model,
            RepairTicket.ref,
        )
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .join(RepairTicket, RepairTicket.id == Loan.ticket_id)
        .where(Loan.returned_at.is_(None))
    ).all()
    out = []
    for lid, cid, lent_at, due_on, model, ref in rows:
        ctx = dict(loaner=model, due_on=due_on, ticket_ref=ref)
        if lent_at >= fresh and due_on >= today:
            out.append(
                Due(
                    customer_id=cid,
                    kind=Kind.LOAN_LENT,
                    entity_type="loan",
                    entity_id=str(lid),
                    dedupe_key=f"loan-lent:{lid}",
                    due_at=now,
                    context=ctx,
                )
            )
        if 0 <= (due_on - today).days <= soon:
            out.append(
                Due(
                    customer_id=cid,
                    kind=Kind.LOAN_DUE,
                    entity_type="loan",
                    entity_id=str(lid),
                    dedupe_key=f"loan-due:{lid}:{due_on.isoformat()}",
                    due_at=now,
                    context=ctx,
                )
            )
        elif due_on < today:
            out.append(
                Due(
                    customer_id=cid,
                    kind=Kind.LOAN_OVERDUE,
                    entity_type="loan",
                    entity_id=str(lid),
                    dedupe_key=f"loan-overdue:{lid}:{due_on.isoformat()}",
                    due_at=now,
                    context=ctx,
                )
            )
    return out
